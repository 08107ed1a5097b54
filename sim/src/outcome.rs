//! What one trial produced: the value of every declared metric, and, when
//! asked for, its event log, its sampled time series and where the harm
//! landed.

use crate::device::{DeviceIndex, Transition};
use crate::estate::DeviceTypeId;
use crate::network::ZoneId;
use crate::time::SimTime;
use crate::vocabulary::{EventKindId, MetricId, MetricValue};

/// One recorded event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventRecord {
    /// When.
    pub time: SimTime,
    /// What happened, and (through the kind's declaration) who did it.
    pub kind: EventKindId,
    /// To which device.
    pub device: DeviceIndex,
    /// The change of the device's state it made, if any.
    pub transition: Option<Transition>,
}

/// The engine's own metrics, declared before any mechanism's, in this
/// order: their ids are fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum CoreMetric {
    /// Devices in the estate.
    Devices,
    /// Distinct devices ever compromised.
    Compromised,
    /// Most devices compromised at one time.
    PeakCompromised,
    /// Devices still compromised when the trial ended.
    StillCompromised,
    /// Distinct devices that lost their function.
    Disrupted,
    /// Distinct devices cut off the network at some point.
    Isolated,
    /// Patches installed during the trial.
    PatchesInstalled,
    /// Patient records on devices an attacker controlled.
    RecordsOnCompromisedDevices,
    /// Device-hours out of service.
    DowntimeDeviceHours,
    /// The same for life-critical and high-criticality devices.
    CriticalDowntimeDeviceHours,
    /// Whether any compromise was detected.
    Detected,
    /// Hours from the first compromise to the first detection.
    TimeToDetectH,
    /// Hours from the trial start to the first compromise.
    FirstCompromiseH,
    /// Hours an attacker was inside before the first detection (or the end).
    DwellTimeH,
    /// Staff credentials an attacker came to hold.
    CredentialsStolen,
    /// Patient records that left the hospital readable.
    RecordsExfiltrated,
    /// Patient records opened inside the hospital by someone with no right
    /// to them (nothing left the network, but the patients' data was
    /// disclosed).
    RecordsDisclosedInside,
    /// Whether a breach must be reported to HHS under HIPAA (500 records or more).
    BreachNotifiableHipaa,
    /// Whether a breach must be notified under GDPR Art. 33 (any readable records taken).
    BreachNotifiableGdpr,
    /// Harm to patients from an attack on their care.
    SafetyEvents,
    /// Hours clinical services were down, summed over services.
    ClinicalServiceHoursLost,
    /// Devices rebuilt (a device rebuilt twice counts twice).
    Rebuilds,
    /// Hours the security team spent on alerts and responses.
    AnalystHours,
    /// Events the engine processed.
    Events,
}

impl CoreMetric {
    /// Its id.
    pub const fn id(self) -> MetricId {
        MetricId(self as u16)
    }
}

/// The engine's own metrics of one trial, typed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CoreOutcome {
    /// Devices in the estate.
    pub devices: u64,
    /// Distinct devices ever compromised.
    pub compromised: u64,
    /// Most devices compromised at one time.
    pub peak_compromised: u64,
    /// Devices still compromised at the end.
    pub still_compromised: u64,
    /// Distinct devices that lost their function.
    pub disrupted: u64,
    /// Distinct devices cut off the network at some point.
    pub isolated: u64,
    /// Patches installed during the trial.
    pub patches_installed: u64,
    /// Patient records on devices an attacker controlled.
    pub records_on_compromised_devices: u64,
    /// Device-hours out of service.
    pub downtime_device_hours: f64,
    /// The same for life-critical and high-criticality devices.
    pub critical_downtime_device_hours: f64,
    /// Whether any compromise was detected.
    pub detected: bool,
    /// Hours from the first compromise to the first detection.
    pub time_to_detect_h: Option<f64>,
    /// Hours from the trial start to the first compromise.
    pub first_compromise_h: Option<f64>,
    /// Hours an attacker was inside before the first detection (or the end).
    pub dwell_time_h: Option<f64>,
    /// Staff credentials an attacker came to hold.
    pub credentials_stolen: u64,
    /// Patient records that left the hospital readable.
    pub records_exfiltrated: u64,
    /// Patient records disclosed inside the hospital.
    pub records_disclosed_inside: u64,
    /// HIPAA notification due.
    pub breach_notifiable_hipaa: bool,
    /// GDPR notification due.
    pub breach_notifiable_gdpr: bool,
    /// Harm to patients.
    pub safety_events: u64,
    /// Clinical-service hours lost.
    pub clinical_service_hours_lost: f64,
    /// Devices rebuilt.
    pub rebuilds: u64,
    /// Security-team hours spent.
    pub analyst_hours: f64,
    /// Events the engine processed.
    pub events: u64,
}

/// One trial's outcome: a row of `trials.parquet`, one value per metric
/// the model declares, in declaration order.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialOutcome {
    /// The trial's index.
    pub trial: u32,
    /// The metrics' values.
    pub values: Vec<MetricValue>,
}

impl TrialOutcome {
    /// The value of metric `m`.
    pub fn get(&self, m: MetricId) -> MetricValue {
        self.values[usize::from(m.0)]
    }

    /// The engine's own metrics.
    pub fn core(&self) -> CoreOutcome {
        let count = |m: CoreMetric| self.get(m.id()).count();
        let amount = |m: CoreMetric| self.get(m.id()).as_f64().unwrap_or(0.0);
        let hours = |m: CoreMetric| self.get(m.id()).as_f64();
        CoreOutcome {
            devices: count(CoreMetric::Devices),
            compromised: count(CoreMetric::Compromised),
            peak_compromised: count(CoreMetric::PeakCompromised),
            still_compromised: count(CoreMetric::StillCompromised),
            disrupted: count(CoreMetric::Disrupted),
            isolated: count(CoreMetric::Isolated),
            patches_installed: count(CoreMetric::PatchesInstalled),
            records_on_compromised_devices: count(CoreMetric::RecordsOnCompromisedDevices),
            downtime_device_hours: amount(CoreMetric::DowntimeDeviceHours),
            critical_downtime_device_hours: amount(CoreMetric::CriticalDowntimeDeviceHours),
            detected: self.get(CoreMetric::Detected.id()) == MetricValue::Flag(true),
            time_to_detect_h: hours(CoreMetric::TimeToDetectH),
            first_compromise_h: hours(CoreMetric::FirstCompromiseH),
            dwell_time_h: hours(CoreMetric::DwellTimeH),
            credentials_stolen: count(CoreMetric::CredentialsStolen),
            records_exfiltrated: count(CoreMetric::RecordsExfiltrated),
            records_disclosed_inside: count(CoreMetric::RecordsDisclosedInside),
            breach_notifiable_hipaa: self.get(CoreMetric::BreachNotifiableHipaa.id()) == MetricValue::Flag(true),
            breach_notifiable_gdpr: self.get(CoreMetric::BreachNotifiableGdpr.id()) == MetricValue::Flag(true),
            safety_events: count(CoreMetric::SafetyEvents),
            clinical_service_hours_lost: amount(CoreMetric::ClinicalServiceHoursLost),
            rebuilds: count(CoreMetric::Rebuilds),
            analyst_hours: self.get(CoreMetric::AnalystHours.id()).as_f64().unwrap_or(0.0),
            events: count(CoreMetric::Events),
        }
    }
}

/// The estate's state at one instant of a trial: a row of `timeseries.parquet`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// The instant (every event up to and including it has happened).
    pub time: SimTime,
    /// Devices compromised at this instant.
    pub compromised_now: u32,
    /// Devices out of function at this instant (not yet restored).
    pub disrupted_now: u32,
    /// Devices cut off the network at this instant.
    pub isolated_now: u32,
    /// Devices with at least one patch installed (before or during the trial).
    pub devices_patched: u32,
}

/// What happened to the devices of one type in one zone over a trial: a
/// row of `breakdown.parquet`, showing where the harm lands.
#[derive(Clone, Debug, PartialEq)]
pub struct Breakdown {
    /// The zone.
    pub zone: ZoneId,
    /// The device type.
    pub device_type: DeviceTypeId,
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
    /// Hours each clinical service was down, in the scenario's order.
    pub service_hours_lost: Vec<f64>,
    /// Events waiting in the queue, averaged over the events processed:
    /// what a bare queue of the same load would hold (for benchmarks).
    pub mean_pending: f64,
    /// Handler calls: scheduled events plus signals delivered to
    /// subscribers (for benchmarks: the engine's units of work).
    pub dispatches: u64,
}
