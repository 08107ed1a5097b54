//! Devices as ECS entities: what a device is ([`Device`], a component fixed
//! for the trial) and the state every mechanism shares ([`DeviceState`]):
//! whether an attacker controls it, whether it works, whether it is cut off
//! the network, which vulnerabilities it carries and which are patched. The
//! shared state is the engine's, kept in its trial resource by device index;
//! a mechanism's own per-device state is a component of its own.

use bevy_ecs::component::Component;
use serde::Serialize;

use crate::estate::{DeviceTypeId, VulnId};
use crate::network::ZoneId;
use crate::random::Key;
use crate::time::{SimDuration, SimTime};

/// Number of a device within its scenario (placement order).
pub type DeviceIndex = u32;

/// What a device is: its number, type, zone and ordinal within its type
/// (its stable identity across designs that place it differently).
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Device {
    /// Its number in the scenario.
    pub index: DeviceIndex,
    /// Its type.
    pub device_type: DeviceTypeId,
    /// Its zone.
    pub zone: ZoneId,
    /// Its number among the devices of its type, counted in placement order.
    pub ordinal: u32,
}

/// The state of a device that every mechanism may read and that the
/// engine's transitions change.
///
/// Read it with [`crate::Sim::state`] or [`crate::Sim::devices`], and change
/// it only through `Sim`'s transitions, which keep the books. It is the
/// engine's state, held in one dense array by device index (not a
/// component): every handler reads it, and an index is several times cheaper
/// than an entity lookup.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeviceState {
    /// Vulnerabilities this device carries, one bit each (drawn per trial
    /// from the device type's shares).
    pub vulnerable: u64,
    /// Vulnerabilities patched on it.
    pub patched: u64,
    /// Runs an operating system its maker no longer patches (MDS2 CSUP).
    pub unsupported: bool,
    /// Still uses its maker's default credentials (MDS2 PAUT).
    pub default_credentials: bool,
    /// Authenticates whoever sends it commands.
    pub authenticates_commands: bool,
    /// An attacker controls it now.
    pub compromised: bool,
    /// An attacker has controlled it at some point in the trial.
    pub ever_compromised: bool,
    /// It has lost its function to an attack (encrypted, bricked).
    pub disrupted: bool,
    /// It has lost its function at some point in the trial.
    pub ever_disrupted: bool,
    /// It is cut off the network: it neither reaches nor is reached.
    pub isolated: bool,
    /// It has been cut off at some point in the trial.
    pub ever_isolated: bool,
    /// The current compromise has been detected.
    pub detected: bool,
    /// Since when it has been out of service (disrupted or isolated).
    pub unavailable_since: Option<SimTime>,
    /// Time out of service so far (periods that have ended).
    pub downtime: SimDuration,
    /// Its backups (shadow copies, the backup copies reachable from it)
    /// were destroyed since it was last rebuilt: a rebuild cannot restore
    /// from them.
    pub backups_destroyed: bool,
    /// Counts restorations, so that events scheduled for an earlier
    /// compromise of the device can tell they are stale.
    pub epoch: u32,
    /// The key of the compromise that holds the device now (or held it
    /// last): who compromised it, and which of its successes this was.
    /// Mechanisms that answer a compromise (a payload, a detection, a
    /// response) key their draws by it, so that when two designs hand the
    /// same attacker's same step a different victim, what follows is still
    /// drawn alike.
    pub cause: Key,
}

impl DeviceState {
    /// Whether it carries `v` unpatched.
    pub fn exposed_to(&self, v: VulnId) -> bool {
        let bit = 1u64 << v.0;
        self.vulnerable & bit != 0 && self.patched & bit == 0
    }

    /// Whether it carries `v` at all.
    pub fn carries(&self, v: VulnId) -> bool {
        self.vulnerable & (1u64 << v.0) != 0
    }

    /// Whether an exploit of `v` would take it now: exposed, not already
    /// compromised, and reachable (not isolated).
    pub fn susceptible_to(&self, v: VulnId) -> bool {
        self.exposed_to(v) && !self.compromised && !self.isolated
    }

    /// Whether it is out of service.
    pub fn unavailable(&self) -> bool {
        self.disrupted || self.isolated
    }
}

/// The changes of [`DeviceState`] the engine makes on a mechanism's behalf.
/// Mechanisms subscribe to them (a detection follows a compromise, an
/// isolation a detection) without knowing who caused them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// An attacker gained control of the device.
    Compromised,
    /// The device lost its function.
    Disrupted,
    /// Its compromise was detected.
    Detected,
    /// It was cut off the network.
    Isolated,
    /// It was rebuilt clean and returned to service.
    Restored,
    /// A vulnerability on it was patched.
    Patched,
    /// It works again after losing its function without being rebuilt (a
    /// flood ended).
    Recovered,
}

impl Transition {
    /// Every transition, in a fixed order.
    pub const ALL: [Transition; 7] = [
        Transition::Compromised,
        Transition::Disrupted,
        Transition::Detected,
        Transition::Isolated,
        Transition::Restored,
        Transition::Patched,
        Transition::Recovered,
    ];

    /// Its name in datasets.
    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Compromised => "compromised",
            Transition::Disrupted => "disrupted",
            Transition::Detected => "detected",
            Transition::Isolated => "isolated",
            Transition::Restored => "restored",
            Transition::Patched => "patched",
            Transition::Recovered => "recovered",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}
