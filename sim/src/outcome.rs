//! What one trial produced: its outcome row and, optionally, its
//! security-relevant events.

use serde::Serialize;

use crate::device::DeviceIndex;
use crate::time::{SimDuration, SimTime};

/// The kinds of state change every attack and defence speaks in. Plugins
/// subscribe to them; the event log records them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// An attacker gained control of a device.
    Compromised,
    /// A device lost its function to an attack.
    Disrupted,
    /// A compromise was detected.
    Detected,
    /// A device was cut off the network.
    Isolated,
    /// A device was rebuilt clean and returned to service.
    Restored,
    /// A vulnerability was patched on a device.
    Patched,
}

impl Signal {
    /// Every signal, in a fixed order.
    pub const ALL: [Signal; 6] =
        [Signal::Compromised, Signal::Disrupted, Signal::Detected, Signal::Isolated, Signal::Restored, Signal::Patched];

    /// Its name in datasets.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Compromised => "compromised",
            Signal::Disrupted => "disrupted",
            Signal::Detected => "detected",
            Signal::Isolated => "isolated",
            Signal::Restored => "restored",
            Signal::Patched => "patched",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// One logged event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventRecord {
    /// When.
    pub time: SimTime,
    /// What happened.
    pub kind: Signal,
    /// To which device.
    pub device: DeviceIndex,
    /// The MITRE ATT&CK technique, where one applies.
    pub technique: Option<&'static str>,
}

/// One trial's outcome: a row of `trials.parquet`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrialOutcome {
    /// The trial's index.
    pub trial: u32,
    /// Devices in the estate.
    pub devices: u32,
    /// Distinct devices ever compromised.
    pub compromised: u32,
    /// Most devices compromised at one time.
    pub peak_compromised: u32,
    /// Devices still compromised when the trial ended.
    pub still_compromised: u32,
    /// Distinct devices that lost their function (e.g. encrypted).
    pub disrupted: u32,
    /// Isolations by incident response (a device isolated twice counts twice).
    pub isolated: u32,
    /// Restorations by incident response (each rebuild counts).
    pub restored: u32,
    /// Patches installed during the trial.
    pub patched: u32,
    /// Patient records on devices an attacker controlled.
    pub records_exposed: u64,
    /// Device-hours out of service (disrupted or isolated).
    pub downtime_device_hours: f64,
    /// The same, counting only life-critical and high-criticality devices.
    pub critical_downtime_device_hours: f64,
    /// Whether any compromise was detected.
    pub detected: bool,
    /// Hours from the first compromise to the first detection.
    pub time_to_detect_h: Option<f64>,
    /// Hours from the trial start to the first compromise.
    pub first_compromise_h: Option<f64>,
    /// Events the engine processed.
    pub events: u64,
}

/// The estate's state at one instant of a trial: a row of `timeseries.parquet`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// The instant (every event up to and including it has happened).
    pub time: SimTime,
    /// Devices compromised now.
    pub compromised: u32,
    /// Devices disrupted now (lost their function, not yet restored).
    pub disrupted: u32,
    /// Devices isolated now.
    pub isolated: u32,
    /// Devices with at least one patch installed (before or during the trial).
    pub patched: u32,
}

/// What happened to the devices of one type in one zone over a trial: a
/// row of `breakdown.parquet`, showing where the harm lands.
#[derive(Clone, Debug, PartialEq)]
pub struct Breakdown {
    /// The zone.
    pub zone: crate::network::ZoneId,
    /// The device type.
    pub device_type: crate::estate::DeviceTypeId,
    /// Devices of that type in that zone.
    pub devices: u32,
    /// Of those, ever compromised.
    pub compromised: u32,
    /// Of those, ever disrupted.
    pub disrupted: u32,
    /// Their device-hours out of service.
    pub downtime_device_hours: f64,
}

/// A trial's outcome and, when asked for, its event log.
#[derive(Clone, Debug)]
pub struct TrialResult {
    /// The outcome row.
    pub outcome: TrialOutcome,
    /// The events, in time order (empty unless recording was asked for).
    pub events: Vec<EventRecord>,
    /// The state sampled at a regular interval (empty unless asked for).
    pub samples: Vec<Sample>,
    /// Outcome per (zone, device type) pair that holds devices.
    pub breakdown: Vec<Breakdown>,
}

/// Running counters a trial keeps while it runs.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tally {
    pub compromised_now: u32,
    pub disrupted_now: u32,
    pub isolated_now: u32,
    pub patched_devices: u32,
    pub compromised_ever: u32,
    pub peak_compromised: u32,
    pub disrupted: u32,
    pub isolated: u32,
    pub restored: u32,
    pub patched: u32,
    pub records_exposed: u64,
    pub downtime: SimDuration,
    pub critical_downtime: SimDuration,
    pub first_compromise: Option<SimTime>,
    pub first_detection: Option<SimTime>,
    pub events: u64,
}
