//! Scenario files: reading and validating them into data.
//!
//! The text is parsed once, into a TOML tree that keeps the span of every
//! key and value ([`Document`]). The scenario's own fields are read from it
//! into the serde shape of [`raw`] (syntax, types, unknown fields and value
//! ranges are caught there, with the exact span), then cross-references are
//! checked and resolved into a [`Scenario`] of indices. The attack and
//! defence tables are kept as [`InstanceSection`]s pointing into the tree,
//! for a registry to configure later: loading knows no mechanism. Every
//! problem found is reported, each at its file, line and column. Sizes are
//! checked against [`limits`] before anything is allocated for them.

mod diagnostic;
mod document;
mod graph_file;
mod graph_network;
pub mod raw;
mod validate;

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

pub use diagnostic::{Diagnostic, ScenarioError, line_col};
pub use document::{Document, Section};

use crate::domain::{ClinicalService, DataFlow, DataFlowId, Staff, StaffId};
use crate::estate::{DeviceType, DeviceTypeId, Placement, VulnId, Vulnerability};
use crate::network::{Conduit, Network, Service, ServiceId, Zone, ZoneId};
use crate::time::SimDuration;
use crate::vocabulary::Role;

/// Limits that keep a mistyped scenario from exhausting memory.
pub mod limits {
    /// Largest scenario file read, in bytes.
    pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
    /// Most devices in one scenario (a national estate).
    pub const MAX_DEVICES: u64 = 2_000_000;
    /// Most zones.
    pub const MAX_ZONES: usize = 16_384;
    /// Most device types.
    pub const MAX_DEVICE_TYPES: usize = 4_096;
    /// Most trials in one run.
    pub const MAX_TRIALS: u32 = 1_000_000;
    /// Longest trial.
    pub const MAX_DURATION_DAYS: u64 = 3_650;
    /// Most attack and defence instances in one scenario.
    pub const MAX_INSTANCES: usize = 256;
}

/// A scenario file's name and text.
#[derive(Clone, Debug)]
pub struct ScenarioSource {
    /// The file as the user named it (or `<embedded>`), for messages.
    pub file: String,
    /// Its text.
    pub text: Arc<str>,
    /// The folder the files it names (graph files) are read from: the
    /// file's own folder. `None`: the folder of `file` as written.
    pub base: Option<std::path::PathBuf>,
}

impl ScenarioSource {
    /// Reads a file, refusing files too large to be scenarios and files
    /// that are not UTF-8.
    ///
    /// # Errors
    /// [`ScenarioError::Unreadable`], [`ScenarioError::TooLarge`] or
    /// [`ScenarioError::NotUtf8`].
    pub fn from_path(path: &Path) -> Result<Self, ScenarioError> {
        let file = path.display().to_string();
        let unreadable = |e: std::io::Error| ScenarioError::Unreadable { file: file.clone(), reason: e.to_string() };
        let meta = std::fs::metadata(path).map_err(unreadable)?;
        if meta.is_dir() {
            return Err(ScenarioError::Unreadable { file, reason: "it is a directory".into() });
        }
        if meta.len() > limits::MAX_FILE_BYTES {
            return Err(ScenarioError::TooLarge { file, size: meta.len(), limit: limits::MAX_FILE_BYTES });
        }
        // The reported length can lie (a device, a pipe): the limit holds
        // while reading, too.
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(std::fs::File::open(path).map_err(unreadable)?, limits::MAX_FILE_BYTES + 1),
            &mut bytes,
        )
        .map_err(unreadable)?;
        if bytes.len() as u64 > limits::MAX_FILE_BYTES {
            return Err(ScenarioError::TooLarge { file, size: bytes.len() as u64, limit: limits::MAX_FILE_BYTES });
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let valid = std::str::from_utf8(&e.as_bytes()[..offset]).unwrap_or_default();
            let (line, column) = line_col(valid, offset);
            ScenarioError::NotUtf8 { file: file.clone(), offset, line, column }
        })?;
        Ok(ScenarioSource { file, text: text.into(), base: path.parent().map(Path::to_path_buf) })
    }

    /// A scenario held in memory.
    pub fn from_text(file: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        ScenarioSource { file: file.into(), text: text.into(), base: None }
    }

    /// The same source, reading the files it names from `base`.
    #[must_use]
    pub fn with_base(mut self, base: Option<std::path::PathBuf>) -> Self {
        self.base = base;
        self
    }

    /// The folder the files the scenario names are read from.
    pub fn base_dir(&self) -> std::path::PathBuf {
        self.base.clone().unwrap_or_else(|| Path::new(&self.file).parent().unwrap_or(Path::new("")).to_path_buf())
    }

    pub(crate) fn invalid(&self, diagnostics: Vec<Diagnostic>) -> ScenarioError {
        ScenarioError::Invalid { file: self.file.clone(), source_text: self.text.clone(), diagnostics }
    }
}

/// One device slot: its type, zone and ordinal within its type. Devices are
/// numbered by their order in `placement`; the ordinal within the type is
/// what stays the same when another design places the device elsewhere.
#[derive(Clone, Copy, Debug)]
pub struct DeviceSlot {
    /// Its type.
    pub device_type: DeviceTypeId,
    /// Its zone.
    pub zone: ZoneId,
    /// Its number among the devices of its type.
    pub ordinal: u32,
}

/// An attack or defence table of the scenario (`[attacks.<id>]`), not yet
/// configured: which mechanism it names and where its parameters stand.
#[derive(Clone, Debug)]
pub struct InstanceSection {
    /// Attack or defence.
    pub role: Role,
    /// Its id: the table's key.
    pub id: Spanned<String>,
    /// The mechanism: the table's `kind`, or its id when it has none.
    pub kind: Spanned<String>,
    /// What a defence costs a year to run (`cost_per_year`, default 0).
    pub cost_per_year: f64,
    /// What a defence costs once, to buy and install (`one_off_cost`,
    /// default 0).
    pub one_off_cost: f64,
    /// When an attack arrives: at `start` (default at once), or as a
    /// Poisson process at `arrivals_per_year`.
    pub arrival: Arrival,
    /// Where the scenario set `start` or `arrivals_per_year`, if it did.
    pub arrival_span: Option<std::ops::Range<usize>>,
}

/// When an attack arrives in a trial.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arrival {
    /// Once, this long after the trial starts.
    At(SimDuration),
    /// As a Poisson process at this many arrivals per year (365 days).
    PerYear(f64),
}

/// A validated scenario: every reference resolved to an index.
#[derive(Debug)]
pub struct Scenario {
    /// Short name.
    pub name: String,
    /// What it represents.
    pub description: String,
    /// Which variant or design it is.
    pub variant: String,
    /// Seed of the random streams.
    pub seed: u64,
    /// Default number of trials.
    pub trials: u32,
    /// Simulated span of one trial.
    pub duration: SimDuration,
    /// Sampling interval of the time series.
    pub sample_every: SimDuration,
    /// Services, built-in first.
    pub services: Vec<Service>,
    /// Zones in file order.
    pub zones: Vec<Zone>,
    /// Directed conduits (a bidirectional one appears twice).
    pub conduits: Vec<Conduit>,
    /// Networks many zones share.
    pub shared_networks: Vec<crate::network::SharedNetwork>,
    /// The zone graph.
    pub network: Network,
    /// Vulnerabilities in file order.
    pub vulnerabilities: Vec<Vulnerability>,
    /// Device types in file order.
    pub device_types: Vec<DeviceType>,
    /// Placement rows in file order.
    pub placements: Vec<Placement>,
    /// Every device, numbered by placement order.
    pub devices: Vec<DeviceSlot>,
    /// Staff and service accounts, in groups.
    pub staff: Vec<Staff>,
    /// Data flowing between device types.
    pub data_flows: Vec<DataFlow>,
    /// Clinical services and the devices they need.
    pub clinical_services: Vec<ClinicalService>,
    /// What harm costs, if the scenario says.
    pub costs: Option<crate::costs::Costs>,
    /// The attack and defence tables: defences first, each role in id order.
    pub instances: Vec<InstanceSection>,
    /// The parsed file, holding each instance's parameters with their spans.
    pub document: Arc<Document>,
    /// Files read besides the scenario's own text (its graph files), as
    /// found: a run records their SHA-256, since they decide its results too.
    pub input_files: Vec<std::path::PathBuf>,
    /// The file it came from.
    pub source: ScenarioSource,
}

impl Scenario {
    /// Reads and validates a scenario. The attacks and defences it names
    /// are kept as sections for a registry to configure
    /// ([`crate::build_model`]).
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] listing every problem found.
    pub fn load(source: ScenarioSource) -> Result<Scenario, ScenarioError> {
        if source.text.trim().is_empty() {
            return Err(source.invalid(vec![
                Diagnostic::whole_file("the scenario file is empty")
                    .with_help("start from a shipped scenario, e.g. scenarios/teaching/flat-ward.toml"),
            ]));
        }
        let document = Document::parse(source.text.clone()).map_err(|e| source.invalid(vec![e]))?;
        let raw = raw::RawScenario::deserialize(document.deserializer())
            .map_err(|e| source.invalid(vec![Diagnostic::from_toml(&e)]))?;
        let (instances, problems) = document.instance_sections();
        match validate::validate(raw, source.clone(), instances, Arc::new(document)) {
            Ok(scenario) if problems.is_empty() => Ok(scenario),
            Ok(_) => Err(source.invalid(problems)),
            Err(mut d) => {
                d.extend(problems);
                Err(source.invalid(d))
            }
        }
    }

    /// Number of devices.
    pub fn device_count(&self) -> u32 {
        self.devices.len() as u32
    }

    /// The parameters of an attack or defence table, ready to parse.
    pub fn section(&self, instance: &InstanceSection) -> Section<'_> {
        self.document.section(instance)
    }

    /// Resolves a zone reference from a mechanism's section.
    ///
    /// # Errors
    /// A diagnostic at the reference listing the zones that exist.
    pub fn zone_ref(&self, r: &Spanned<String>) -> Result<ZoneId, Diagnostic> {
        lookup(r, "zone", self.zones.iter().map(|z| z.id.as_str())).map(|i| ZoneId(i as u16))
    }

    /// Resolves a vulnerability reference from a mechanism's section.
    ///
    /// # Errors
    /// A diagnostic at the reference listing the vulnerabilities that exist.
    pub fn vulnerability_ref(&self, r: &Spanned<String>) -> Result<VulnId, Diagnostic> {
        lookup(r, "vulnerability", self.vulnerabilities.iter().map(|v| v.id.as_str())).map(|i| VulnId(i as u8))
    }

    /// Resolves a device-type reference from a mechanism's section.
    ///
    /// # Errors
    /// A diagnostic at the reference listing the device types that exist.
    pub fn device_type_ref(&self, r: &Spanned<String>) -> Result<DeviceTypeId, Diagnostic> {
        lookup(r, "device type", self.device_types.iter().map(|t| t.id.as_str())).map(|i| DeviceTypeId(i as u16))
    }

    /// Resolves a reference to another attack or defence of this scenario
    /// (of `role`, when given), returning its index in [`Scenario::instances`].
    ///
    /// # Errors
    /// A diagnostic at the reference listing the instances that exist.
    pub fn instance_ref(&self, r: &Spanned<String>, role: Option<Role>) -> Result<usize, Diagnostic> {
        let what = role.map_or("mechanism", Role::noun);
        let of_role = || self.instances.iter().filter(move |i| role.is_none_or(|x| i.role == x));
        let i = lookup(r, what, of_role().map(|i| i.id.get_ref().as_str()))?;
        let id = of_role().nth(i).map(|s| s.id.get_ref().clone()).unwrap_or_default();
        Ok(self.instances.iter().position(|s| *s.id.get_ref() == id).unwrap_or(0))
    }

    /// Resolves a staff-group reference from a mechanism's section.
    ///
    /// # Errors
    /// A diagnostic at the reference listing the staff groups that exist.
    pub fn staff_ref(&self, r: &Spanned<String>) -> Result<StaffId, Diagnostic> {
        lookup(r, "staff group", self.staff.iter().map(|s| s.id.as_str())).map(|i| StaffId(i as u16))
    }

    /// Resolves a data-flow reference from a mechanism's section.
    ///
    /// # Errors
    /// A diagnostic at the reference listing the data flows that exist.
    pub fn data_flow_ref(&self, r: &Spanned<String>) -> Result<DataFlowId, Diagnostic> {
        lookup(r, "data flow", self.data_flows.iter().map(|f| f.id.as_str())).map(|i| DataFlowId(i as u16))
    }

    /// Resolves a service reference from a mechanism's section.
    ///
    /// # Errors
    /// A diagnostic at the reference listing the services that exist.
    pub fn service_ref(&self, r: &Spanned<String>) -> Result<ServiceId, Diagnostic> {
        lookup(r, "service", self.services.iter().map(|s| s.id.as_str())).map(|i| ServiceId(i as u8))
    }

    /// The service a name refers to.
    pub fn service_id(&self, name: &str) -> Option<ServiceId> {
        self.services.iter().position(|s| s.id == name).map(|i| ServiceId(i as u8))
    }

    /// Devices per zone, for reports.
    pub fn devices_per_zone(&self) -> Vec<u32> {
        let mut n = vec![0u32; self.zones.len()];
        for d in &self.devices {
            n[usize::from(d.zone.0)] += 1;
        }
        n
    }
}

/// Finds `r` among `names`, or explains which names exist.
pub(crate) fn lookup<'a>(
    r: &Spanned<String>,
    what: &str,
    names: impl Iterator<Item = &'a str> + Clone,
) -> Result<usize, Diagnostic> {
    names.clone().position(|n| n == r.get_ref().as_str()).ok_or_else(|| {
        let known: Vec<&str> = names.collect();
        Diagnostic::at(r.span(), format!("unknown {what} `{}`", r.get_ref())).with_help(if known.is_empty() {
            format!("this scenario defines no {what}")
        } else {
            format!("the {what}s of this scenario are: {}", known.join(", "))
        })
    })
}
