//! The state changes every attack and defence is made of. Each checks that
//! it applies, updates the device, keeps the trial's counters, logs the
//! event and raises its [`Signal`] so that other plugins can react.

use bevy_ecs::world::Mut;

use crate::device::{Device, DeviceIndex, DeviceState};
use crate::engine::Sim;
use crate::estate::VulnId;
use crate::outcome::{Breakdown, EventRecord, Sample, Signal, TrialOutcome, TrialResult};
use crate::time::SimTime;

impl Sim {
    /// Devices in the estate.
    pub fn device_count(&self) -> u32 {
        self.devices.len() as u32
    }

    /// What device `d` is.
    pub fn device(&self, d: DeviceIndex) -> Device {
        *self.world.get::<Device>(self.devices[d as usize]).expect("every device has Device")
    }

    /// What has happened to device `d`.
    pub fn device_state(&self, d: DeviceIndex) -> DeviceState {
        *self.world.get::<DeviceState>(self.devices[d as usize]).expect("every device has DeviceState")
    }

    fn state_mut(&mut self, d: DeviceIndex) -> Mut<'_, DeviceState> {
        self.world.get_mut::<DeviceState>(self.devices[d as usize]).expect("every device has DeviceState")
    }

    fn record(&mut self, kind: Signal, device: DeviceIndex, technique: Option<&'static str>) {
        let time = self.now();
        if let Some(log) = &mut self.log {
            log.push(EventRecord { time, kind, device, technique });
        }
    }

    /// Applies `change` to device `d`, accounting downtime when the device
    /// goes out of or back into service.
    fn change_state(&mut self, d: DeviceIndex, change: impl FnOnce(&mut DeviceState)) {
        let now = self.now();
        let critical = {
            let t = self.device(d).device_type;
            self.scenario.device_types[usize::from(t.0)].criticality.is_critical()
        };
        let mut state = self.state_mut(d);
        let before = *state;
        change(&mut state);
        let (was_down, down) = (before.unavailable(), state.unavailable());
        let mut accrued = None;
        if !was_down && down {
            state.unavailable_since = Some(now);
        } else if was_down && !down {
            accrued = state.unavailable_since.take().map(|since| now - since);
            if let Some(span) = accrued {
                state.downtime += span;
            }
        }
        let after = *state;
        let count = |counter: &mut u32, was: bool, is: bool| {
            if is && !was {
                *counter += 1;
            } else if was && !is {
                *counter -= 1;
            }
        };
        count(&mut self.tally.disrupted_now, before.disrupted, after.disrupted);
        count(&mut self.tally.isolated_now, before.isolated, after.isolated);
        count(&mut self.tally.patched_devices, before.patched != 0, after.patched != 0);
        if let Some(span) = accrued {
            self.tally.downtime += span;
            if critical {
                self.tally.critical_downtime += span;
            }
        }
    }

    /// An attacker takes control of `d` by `technique` (an ATT&CK id).
    /// Returns false if it was already compromised or is isolated.
    pub fn compromise(&mut self, d: DeviceIndex, technique: &'static str) -> bool {
        let s = self.device_state(d);
        if s.compromised || s.isolated {
            return false;
        }
        let first_time = !s.ever_compromised;
        self.change_state(d, |s| {
            s.compromised = true;
            s.ever_compromised = true;
        });
        let t = &mut self.tally;
        t.compromised_now += 1;
        t.peak_compromised = t.peak_compromised.max(t.compromised_now);
        if first_time {
            t.compromised_ever += 1;
            let records = self.scenario.device_types[usize::from(self.device(d).device_type.0)].patient_records;
            self.tally.records_exposed += records;
        }
        self.tally.first_compromise.get_or_insert(self.now());
        self.record(Signal::Compromised, d, Some(technique));
        self.emit(Signal::Compromised, d, 0);
        true
    }

    /// `d` loses its function to an attack (encrypted, bricked) and stays
    /// out of service until restored. It need not be compromised: a denial
    /// of service needs no foothold. Returns false if already disrupted.
    pub fn disrupt(&mut self, d: DeviceIndex, technique: &'static str) -> bool {
        let s = self.device_state(d);
        if s.disrupted {
            return false;
        }
        if !s.ever_disrupted {
            self.tally.disrupted += 1;
        }
        self.change_state(d, |s| {
            s.disrupted = true;
            s.ever_disrupted = true;
        });
        self.record(Signal::Disrupted, d, Some(technique));
        self.emit(Signal::Disrupted, d, 0);
        true
    }

    /// The compromise of `d` is detected (by monitoring, staff, …). Returns
    /// false if `d` is not compromised or its compromise is already known.
    pub fn detect(&mut self, d: DeviceIndex, technique: Option<&'static str>) -> bool {
        let s = self.device_state(d);
        if !s.compromised || s.detected {
            return false;
        }
        self.change_state(d, |s| s.detected = true);
        self.tally.first_detection.get_or_insert(self.now());
        self.record(Signal::Detected, d, technique);
        self.emit(Signal::Detected, d, 0);
        true
    }

    /// Incident response cuts `d` off the network: it can neither be reached
    /// nor reach others, and is out of service. Returns false if already
    /// isolated.
    pub fn isolate(&mut self, d: DeviceIndex) -> bool {
        if self.device_state(d).isolated {
            return false;
        }
        self.change_state(d, |s| s.isolated = true);
        self.tally.isolated += 1;
        self.record(Signal::Isolated, d, None);
        self.emit(Signal::Isolated, d, 0);
        true
    }

    /// `d` is rebuilt clean and returned to service. Events scheduled for
    /// its earlier compromise become stale (its epoch moves on).
    pub fn restore(&mut self, d: DeviceIndex) -> bool {
        let was_compromised = self.device_state(d).compromised;
        self.change_state(d, |s| {
            s.compromised = false;
            s.disrupted = false;
            s.isolated = false;
            s.detected = false;
            s.epoch += 1;
        });
        if was_compromised {
            self.tally.compromised_now -= 1;
        }
        self.tally.restored += 1;
        self.record(Signal::Restored, d, None);
        self.emit(Signal::Restored, d, 0);
        true
    }

    /// Installs the patch for `v` on `d`. Returns false if `d` does not
    /// carry `v` or it is already patched.
    pub fn patch(&mut self, d: DeviceIndex, v: VulnId) -> bool {
        if !self.device_state(d).exposed_to(v) {
            return false;
        }
        self.change_state(d, |s| s.patched |= 1 << v.0);
        self.tally.patched += 1;
        self.record(Signal::Patched, d, None);
        self.emit(Signal::Patched, d, u64::from(v.0));
        true
    }

    /// Marks `v` as patched on `d` before the trial starts (the patch was
    /// installed before time zero): no event, no signal.
    pub fn patch_before_start(&mut self, d: DeviceIndex, v: VulnId) {
        let mut state = self.state_mut(d);
        let first = state.patched == 0;
        state.patched |= 1 << v.0;
        if first {
            self.tally.patched_devices += 1;
        }
    }

    /// The estate's state now, for the time series.
    pub(crate) fn sample(&self, time: SimTime) -> Sample {
        Sample {
            time,
            compromised: self.tally.compromised_now,
            disrupted: self.tally.disrupted_now,
            isolated: self.tally.isolated_now,
            patched: self.tally.patched_devices,
        }
    }

    /// Closes the books at the horizon.
    pub(crate) fn finish(mut self, trial: u32) -> TrialResult {
        let horizon = self.horizon;
        let types = self.scenario.device_types.len();
        let mut cells: Vec<Option<Breakdown>> = vec![None; self.scenario.zones.len() * types];
        let mut query = self.world.query::<(&Device, &DeviceState)>();
        for (device, state) in query.iter(&self.world) {
            let critical = self.scenario.device_types[usize::from(device.device_type.0)].criticality.is_critical();
            let mut downtime = state.downtime;
            if let Some(since) = state.unavailable_since {
                let span = horizon - since;
                downtime += span;
                self.tally.downtime += span;
                if critical {
                    self.tally.critical_downtime += span;
                }
            }
            let cell = cells[usize::from(device.zone.0) * types + usize::from(device.device_type.0)].get_or_insert(
                Breakdown {
                    zone: device.zone,
                    device_type: device.device_type,
                    devices: 0,
                    compromised: 0,
                    disrupted: 0,
                    downtime_device_hours: 0.0,
                },
            );
            cell.devices += 1;
            cell.compromised += u32::from(state.ever_compromised);
            cell.disrupted += u32::from(state.ever_disrupted);
            cell.downtime_device_hours += downtime.as_hours_f64();
        }
        let breakdown: Vec<Breakdown> = cells.into_iter().flatten().collect();
        let t = &self.tally;
        let hours = |x: Option<SimTime>| x.map(SimTime::as_hours_f64);
        let outcome = TrialOutcome {
            trial,
            devices: self.devices.len() as u32,
            compromised: t.compromised_ever,
            peak_compromised: t.peak_compromised,
            still_compromised: t.compromised_now,
            disrupted: t.disrupted,
            isolated: t.isolated,
            restored: t.restored,
            patched: t.patched,
            records_exposed: t.records_exposed,
            downtime_device_hours: t.downtime.as_hours_f64(),
            critical_downtime_device_hours: t.critical_downtime.as_hours_f64(),
            detected: t.first_detection.is_some(),
            time_to_detect_h: match (t.first_compromise, t.first_detection) {
                (Some(c), Some(d)) => Some((d - c).as_hours_f64()),
                _ => None,
            },
            first_compromise_h: hours(t.first_compromise),
            events: t.events,
        };
        TrialResult {
            outcome,
            events: self.log.take().unwrap_or_default(),
            samples: std::mem::take(&mut self.samples),
            breakdown,
        }
    }
}
