//! The vocabulary mechanisms declare: the outcome metrics they contribute
//! and the kinds of event they record. Datasets, summaries, comparison
//! reports and trial stories are built from these declarations, so a new
//! attack or defence shows up in all of them without any of them naming it
//! (as `bevy_diagnostic` registers measurements, or a Prometheus registry
//! its metrics).
//!
//! Declarations are `const` specs written next to the mechanism:
//!
//! ```
//! use iomtsim_sim::{EventSpec, MetricSpec};
//!
//! const ISOLATIONS: MetricSpec =
//!     MetricSpec::count("isolations", "isolations", "devices cut off the network (each isolation counts)")
//!         .unit("devices")
//!         .lower_is_better();
//! const ISOLATED: EventSpec = EventSpec::new("isolated", "is cut off the network", "are cut off the network");
//! ```

use serde::Serialize;

/// An attack or defence instance of a model, in build order (defences
/// first, each role in id order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct InstanceId(pub u16);

/// A declared kind of event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct EventKindId(pub u16);

/// A declared outcome metric: a column of `trials.parquet`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct MetricId(pub u16);

/// Whether a mechanism attacks or defends; it decides the scenario table it
/// is configured in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Listed under `[attacks.<id>]`.
    Attack,
    /// Listed under `[defences.<id>]`.
    Defence,
}

impl Role {
    /// The scenario table holding instances of this role.
    pub fn table(self) -> &'static str {
        match self {
            Role::Attack => "attacks",
            Role::Defence => "defences",
        }
    }

    /// "attack" or "defence".
    pub fn noun(self) -> &'static str {
        match self {
            Role::Attack => "attack",
            Role::Defence => "defence",
        }
    }
}

/// Which direction of a metric a reader should hope for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// Less is better (devices compromised, downtime).
    Lower,
    /// More is better (share of attacks detected).
    Higher,
    /// Neither: a description of the trial (devices in the estate).
    Neither,
}

/// What a metric holds, and how a trial accumulates it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricKind {
    /// A whole number that adds up over the trial (devices, records,
    /// actions): an unsigned 64-bit column.
    Count,
    /// The largest value a whole number reached during the trial (the peak
    /// of devices compromised at once): an unsigned 64-bit column.
    Peak,
    /// A real amount that adds up (device-hours): a 64-bit float column.
    Amount,
    /// Whether something happened at all: a boolean column, summarised as
    /// the share of trials.
    Flag,
    /// Hours from the trial start (or from another moment) to something
    /// that may never happen; the first time set counts: a nullable float
    /// column, summarised over the trials where it happened.
    Hours,
}

/// One trial's value of one metric.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MetricValue {
    /// A count or a peak.
    Count(u64),
    /// An amount.
    Amount(f64),
    /// A flag.
    Flag(bool),
    /// Hours, if it happened.
    Hours(Option<f64>),
}

impl MetricValue {
    /// The starting value of a metric of `kind`.
    pub fn zero(kind: MetricKind) -> Self {
        match kind {
            MetricKind::Count | MetricKind::Peak => MetricValue::Count(0),
            MetricKind::Amount => MetricValue::Amount(0.0),
            MetricKind::Flag => MetricValue::Flag(false),
            MetricKind::Hours => MetricValue::Hours(None),
        }
    }

    /// The value as a number for statistics (a flag is 0 or 1; hours that
    /// never happened are `None`).
    pub fn as_f64(self) -> Option<f64> {
        match self {
            MetricValue::Count(n) => Some(n as f64),
            MetricValue::Amount(x) => Some(x),
            MetricValue::Flag(b) => Some(f64::from(u8::from(b))),
            MetricValue::Hours(h) => h,
        }
    }

    /// The count, for counts and peaks (0 otherwise).
    pub fn count(self) -> u64 {
        match self {
            MetricValue::Count(n) => n,
            _ => 0,
        }
    }
}

/// A metric as its mechanism declares it (`const`-constructible).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricSpec {
    /// Its name within the mechanism, e.g. `isolations`.
    pub name: &'static str,
    /// Plain words for tables, e.g. "devices isolated".
    pub label: &'static str,
    /// What it measures, in a sentence.
    pub description: &'static str,
    /// Its unit (`devices`, `device-hours`, `hours`, `records`), or empty.
    pub unit: &'static str,
    /// Which direction is good.
    pub better: Better,
    /// What it holds.
    pub kind: MetricKind,
    /// A record of how the trial ran rather than an outcome (the engine's
    /// event count): kept in datasets, left out of summaries and reports.
    pub bookkeeping: bool,
}

impl MetricSpec {
    const fn new(kind: MetricKind, name: &'static str, label: &'static str, description: &'static str) -> Self {
        MetricSpec { name, label, description, unit: "", better: Better::Neither, kind, bookkeeping: false }
    }

    /// A count that adds up over the trial.
    pub const fn count(name: &'static str, label: &'static str, description: &'static str) -> Self {
        Self::new(MetricKind::Count, name, label, description)
    }

    /// The peak a count reached.
    pub const fn peak(name: &'static str, label: &'static str, description: &'static str) -> Self {
        Self::new(MetricKind::Peak, name, label, description)
    }

    /// A real amount that adds up.
    pub const fn amount(name: &'static str, label: &'static str, description: &'static str) -> Self {
        Self::new(MetricKind::Amount, name, label, description)
    }

    /// Whether something happened.
    pub const fn flag(name: &'static str, label: &'static str, description: &'static str) -> Self {
        Self::new(MetricKind::Flag, name, label, description)
    }

    /// Hours to something that may never happen.
    pub const fn hours(name: &'static str, label: &'static str, description: &'static str) -> Self {
        Self::new(MetricKind::Hours, name, label, description).unit("hours")
    }

    /// Sets the unit.
    pub const fn unit(mut self, unit: &'static str) -> Self {
        self.unit = unit;
        self
    }

    /// Less is better.
    pub const fn lower_is_better(mut self) -> Self {
        self.better = Better::Lower;
        self
    }

    /// More is better.
    pub const fn higher_is_better(mut self) -> Self {
        self.better = Better::Higher;
        self
    }

    /// Marks it as bookkeeping, not an outcome.
    pub const fn bookkeeping(mut self) -> Self {
        self.bookkeeping = true;
        self
    }
}

/// A metric of a model: its spec, the column it becomes and who declared it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricDecl {
    /// The column name: the engine's own metrics by their name
    /// (`compromised`), a mechanism's as `<instance>.<name>`.
    pub column: String,
    /// The name within its mechanism.
    pub name: &'static str,
    /// Plain words for tables; a mechanism's carry its instance id.
    pub label: String,
    /// What it measures.
    pub description: &'static str,
    /// Its unit, or empty.
    pub unit: &'static str,
    /// Which direction is good.
    pub better: Better,
    /// What it holds.
    pub kind: MetricKind,
    /// Bookkeeping rather than an outcome.
    pub bookkeeping: bool,
    /// The instance that declared it; `None` for the engine's own.
    pub source: Option<InstanceId>,
}

/// A kind of event as its mechanism declares it (`const`-constructible).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventSpec {
    /// Its name in datasets, e.g. `exploited`.
    pub name: &'static str,
    /// The MITRE ATT&CK technique, where one applies (must be in
    /// [`crate::TECHNIQUES`]).
    pub technique: Option<&'static str>,
    /// What happens to one device, as a story tells it ("is compromised").
    pub one: &'static str,
    /// What happens to several ("are compromised").
    pub many: &'static str,
}

impl EventSpec {
    /// An event kind and the words for it.
    pub const fn new(name: &'static str, one: &'static str, many: &'static str) -> Self {
        EventSpec { name, technique: None, one, many }
    }

    /// Names the ATT&CK technique it is an instance of.
    pub const fn technique(mut self, id: &'static str) -> Self {
        self.technique = Some(id);
        self
    }
}

/// A kind of event of a model: its spec and the instance that records it
/// (its provenance).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventKind {
    /// Name in datasets.
    pub name: &'static str,
    /// ATT&CK technique, if any.
    pub technique: Option<&'static str>,
    /// Words for one device.
    pub one: &'static str,
    /// Words for several.
    pub many: &'static str,
    /// Who records it.
    pub source: InstanceId,
}

/// An attack or defence instance of a model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InstanceInfo {
    /// Its id in the scenario (the key of its table).
    pub id: String,
    /// Its kind (the mechanism).
    pub kind: &'static str,
    /// Attack or defence.
    pub role: Role,
    /// One line on what the mechanism models.
    pub summary: &'static str,
    /// A sentence for trial stories, with `{metric}` placeholders for this
    /// instance's metrics and `{metric|one|many}` for words that agree
    /// with a count (see [`crate::SimBuilder::story`]).
    pub story: Option<&'static str>,
}
