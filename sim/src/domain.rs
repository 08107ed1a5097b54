//! The rest of the hospital the attacks and defences act on: the staff and
//! their accounts, the data flowing between devices, and the clinical
//! services that need the devices. Names no mechanism.

use serde::Serialize;

use crate::estate::DeviceTypeId;
use crate::network::{ServiceId, ServiceSet, ZoneId};
pub use crate::scenario::raw::{RadioKind, StaffRole};

/// Index of a staff group in [`crate::Scenario::staff`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct StaffId(pub u16);

/// A validated group of staff (or service) accounts.
#[derive(Clone, Debug, Serialize)]
pub struct Staff {
    /// Its id in scenario files.
    pub id: String,
    /// Readable name.
    pub name: String,
    /// What they do.
    pub role: StaffRole,
    /// How many accounts.
    pub count: u32,
    /// Whether they read e-mail.
    pub email: bool,
    /// Share who click a phishing e-mail.
    pub click_rate: f64,
    /// Share of those who receive a phishing e-mail and do not click who
    /// report it to the security team.
    pub report_rate: f64,
    /// Probability that a stolen credential of theirs logs in: 1 on a
    /// password alone; below 1 when a second factor is asked for and the
    /// attacker must get past it (push fatigue, a relayed code).
    pub second_factor_bypass: f64,
    /// Per zone, whether their accounts log in to its hosts.
    #[serde(skip)]
    pub logs_in_to: Vec<bool>,
    /// Services their accounts log in over.
    #[serde(skip)]
    pub services: ServiceSet,
    /// The zone their own workstations sit in.
    #[serde(skip)]
    pub works_in: Option<ZoneId>,
}

impl Staff {
    /// Whether one of their accounts logs in to a host of `zone` over `service`.
    pub fn can_log_in(&self, zone: ZoneId, service: ServiceId) -> bool {
        self.logs_in_to.get(usize::from(zone.0)).copied().unwrap_or(false) && self.services.contains(service)
    }
}

/// A radio interface of a device type.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Radio {
    /// Bluetooth Low Energy or Wi-Fi.
    pub kind: RadioKind,
    /// Range in metres.
    pub range_m: f64,
}

/// Index of a data flow in [`crate::Scenario::data_flows`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct DataFlowId(pub u16);

/// A validated data flow.
#[derive(Clone, Debug, Serialize)]
pub struct DataFlow {
    /// Its id in scenario files.
    pub id: String,
    /// The device type that sends.
    #[serde(skip)]
    pub from: DeviceTypeId,
    /// The device type that receives.
    #[serde(skip)]
    pub to: DeviceTypeId,
    /// The service it travels over.
    #[serde(skip)]
    pub service: ServiceId,
    /// Encrypted in transit.
    pub encrypted: bool,
    /// Messages per hour from each sending device.
    pub messages_per_hour: f64,
}

/// Index of a clinical service in [`crate::Scenario::clinical_services`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ClinicalServiceId(pub u16);

/// A validated clinical service.
#[derive(Clone, Debug, Serialize)]
pub struct ClinicalService {
    /// Its id in scenario files.
    pub id: String,
    /// Readable name.
    pub name: String,
    /// For each device type it needs, the share of its devices that must work.
    #[serde(skip)]
    pub needs: Vec<(DeviceTypeId, f64)>,
}
