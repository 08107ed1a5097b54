//! The device estate: device types with their security profile, the
//! vulnerabilities they carry, and where they are placed.

use serde::{Deserialize, Deserializer, Serialize};

use crate::network::{ServiceId, ServiceSet, ZoneId};
use crate::time::{Offset, SimDuration};

/// Index of a device type in [`crate::Scenario::device_types`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceTypeId(pub u16);

/// Index of a vulnerability in [`crate::Scenario::vulnerabilities`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VulnId(pub u8);

/// The most vulnerabilities one scenario can name (one 64-bit set per device).
pub const MAX_VULNERABILITIES: usize = 64;

/// A probability or share, checked to lie in 0–1 when read.
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd, Serialize)]
pub struct Probability(f64);

impl Probability {
    /// Certainty.
    pub fn one() -> Self {
        Probability(1.0)
    }

    /// A probability, or an error saying why `p` is not one.
    pub fn new(p: f64) -> Result<Self, String> {
        if p.is_finite() && (0.0..=1.0).contains(&p) {
            Ok(Probability(p))
        } else {
            Err(format!("expected a probability between 0 and 1, found {p}"))
        }
    }

    /// The value, in 0–1.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Probability {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Probability::new(f64::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Probability {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Probability".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "number", "minimum": 0.0, "maximum": 1.0 })
    }
}

/// How much harm a device's loss does to patients.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Criticality {
    /// Loss can kill (infusion pumps, ventilators).
    LifeCritical,
    /// Loss delays care (monitors, imaging).
    High,
    /// Loss slows work (workstations).
    #[default]
    Medium,
    /// Loss is an inconvenience.
    Low,
}

impl Criticality {
    /// Whether downtime of this device counts as clinically critical.
    pub fn is_critical(self) -> bool {
        matches!(self, Criticality::LifeCritical | Criticality::High)
    }
}

/// A validated vulnerability.
#[derive(Clone, Debug, Serialize)]
pub struct Vulnerability {
    /// Its id in scenario files.
    pub id: String,
    /// CVE identifier, if given.
    pub cve: Option<String>,
    /// CVSS base score, if given.
    pub cvss: Option<f64>,
    /// The service an exploit reaches it through.
    #[serde(skip)]
    pub service: ServiceId,
    /// Disclosure, relative to the trial start.
    pub disclosed: Offset,
    /// Vendor's delay from disclosure to a patch.
    pub vendor_patch_after: SimDuration,
}

impl Vulnerability {
    /// When a patch is available, relative to the trial start.
    pub fn patch_released(&self) -> Offset {
        self.disclosed.plus(self.vendor_patch_after)
    }
}

/// A validated device type.
#[derive(Clone, Debug, Serialize)]
pub struct DeviceType {
    /// Its id in scenario files.
    pub id: String,
    /// Readable name.
    pub name: String,
    /// Services it listens on.
    #[serde(skip)]
    pub services: ServiceSet,
    /// Vulnerabilities and the share of devices carrying each.
    #[serde(skip)]
    pub vulnerabilities: Vec<(VulnId, f64)>,
    /// Share on an unsupported OS.
    pub unsupported_os: f64,
    /// Records held per device.
    pub patient_records: u64,
    /// Clinical criticality.
    pub criticality: Criticality,
    /// Share still using the maker's default credentials.
    pub default_credentials: f64,
    /// Records encrypted at rest.
    pub encrypted_at_rest: bool,
    /// Share that authenticate whoever sends them commands.
    pub authenticates_commands: f64,
    /// Radio interfaces.
    pub radio: Vec<crate::domain::Radio>,
}

/// Devices of one type in one zone.
#[derive(Clone, Copy, Debug)]
pub struct Placement {
    /// The zone.
    pub zone: ZoneId,
    /// The device type.
    pub device_type: DeviceTypeId,
    /// How many.
    pub count: u32,
}
