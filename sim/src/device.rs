//! Devices as ECS entities: what a device is ([`Device`], fixed for the
//! trial) and what has happened to it ([`DeviceState`]).

use bevy_ecs::component::Component;

use crate::estate::{DeviceTypeId, VulnId};
use crate::network::ZoneId;
use crate::time::SimTime;

/// Number of a device within its scenario (placement order).
pub type DeviceIndex = u32;

/// What a device is: its number, type and zone.
#[derive(Component, Clone, Copy, Debug)]
pub struct Device {
    /// Its number in the scenario.
    pub index: DeviceIndex,
    /// Its type.
    pub device_type: DeviceTypeId,
    /// Its zone.
    pub zone: ZoneId,
}

/// What has happened to a device in this trial.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct DeviceState {
    /// Vulnerabilities this device carries, one bit each (drawn per trial
    /// from the device type's shares).
    pub vulnerable: u64,
    /// Vulnerabilities patched on it.
    pub patched: u64,
    /// Runs an operating system its maker no longer patches.
    pub unsupported: bool,
    /// An attacker controls it now.
    pub compromised: bool,
    /// An attacker has controlled it at some point in the trial.
    pub ever_compromised: bool,
    /// It has lost its function to an attack (encrypted, bricked).
    pub disrupted: bool,
    /// It has lost its function at some point in the trial.
    pub ever_disrupted: bool,
    /// Incident response has cut it off the network.
    pub isolated: bool,
    /// The current compromise has been detected.
    pub detected: bool,
    /// Since when it has been out of service (disrupted or isolated).
    pub unavailable_since: Option<SimTime>,
    /// Time out of service so far (periods that have ended).
    pub downtime: crate::time::SimDuration,
    /// Counts restorations, so that events scheduled for an earlier
    /// compromise of the device can tell they are stale.
    pub epoch: u32,
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
