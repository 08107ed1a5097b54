//! Incident response: a detected device is isolated from the network after
//! a delay, then rebuilt and returned to service after a restore time,
//! optionally with every released patch installed. Isolation stops an
//! infected device from spreading but costs downtime of its own.
//!
//! The team may be finite: each responder works one detected device at a
//! time, from taking it to cutting it off, and the rest wait their turn in
//! the order they were detected, so a large outbreak outruns a small team.
//! The team may reset the passwords of every account the attackers hold
//! once it has cut off a device. A rebuild restores the device's data from
//! backup where it has one that the attackers have not reached (they reach
//! the backups by compromising a backup server); without one, the rebuild
//! takes longer.

use std::collections::VecDeque;
use std::sync::Arc;

use iomtsim_sim::StaffId;

use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[defences.<id>]` with `kind = "incident_response"`: isolation and
/// restoration of detected devices.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentResponseParams {
    /// Time from a device's detection to its isolation.
    pub isolate_after: Distribution,
    /// Time from isolation to the device back in service, rebuilt clean.
    pub restore_time: Distribution,
    /// Install every released patch while rebuilding (unsupported devices
    /// have none to install); otherwise a restored device is as vulnerable
    /// as before.
    #[serde(default = "yes")]
    pub patch_on_restore: bool,
    /// What the team cuts off when it answers a detection: `device`, the
    /// detected device (the default), or `zone`, every device of its zone,
    /// as a hospital that pulls a ward off the network does; each comes
    /// back after its own restore time.
    #[serde(default)]
    pub isolate: IsolationScope,
    /// Responders, each working one detected device at a time from taking
    /// it to cutting it off (`isolate_after`). Absent: as many as needed.
    #[serde(default)]
    #[schemars(with = "Option<u32>", range(min = 1))]
    pub responders: Option<Spanned<u32>>,
    /// Reset the passwords of every staff group whose credentials the
    /// attackers hold, each time the team cuts off a device. Default false.
    #[serde(default)]
    pub reset_credentials: bool,
    /// Share of devices whose data is backed up. Default 1.
    #[serde(default = "Probability::one")]
    pub backup_coverage: Probability,
    /// The device type that holds the backups: once an attacker has held
    /// one of them, the backups are gone (encrypted or deleted; 95% of
    /// hospitals hit by ransomware saw attempts on their backups, two in
    /// three of them succeeded [S14]). Absent: backups are out of reach.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub backup_server: Option<Spanned<String>>,
    /// Time from isolation to the device back in service when it has no
    /// usable backup (rebuilt and its data re-entered). Absent: as
    /// `restore_time`.
    #[serde(default)]
    pub restore_without_backup: Option<Distribution>,
}

fn yes() -> bool {
    true
}

/// What an isolation cuts off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IsolationScope {
    /// The detected device.
    #[default]
    Device,
    /// Every device of the detected device's zone.
    Zone,
}

/// Registers the `incident_response` mechanism.
pub struct IncidentResponseFactory;

const ISOLATED: EventSpec = EventSpec::new(
    "isolated",
    "is cut off the network by the response team",
    "are cut off the network by the response team",
);
const REBUILT: EventSpec =
    EventSpec::new("rebuilt", "is rebuilt clean and back in service", "are rebuilt clean and back in service");
const PATCHED: EventSpec = EventSpec::new(
    "patched-while-rebuilt",
    "receives its patches while rebuilt",
    "receive their patches while rebuilt",
);
const RESET: EventSpec = EventSpec::new(
    "passwords-reset",
    "is where the team, having cut it off, resets every password the attackers hold",
    "are where the team, having cut them off, resets every password the attackers hold",
);
const RESETS: MetricSpec = MetricSpec::count(
    "credentials_reset",
    "stolen credentials reset",
    "credentials the attackers held that the team's password resets made worthless",
)
.unit("accounts");
const NO_BACKUP: MetricSpec = MetricSpec::count(
    "rebuilt_without_backup",
    "rebuilds without a usable backup",
    "devices rebuilt with no backup to restore from, theirs never taken or destroyed by the attackers",
)
.unit("devices")
.lower_is_better();
const ISOLATIONS: MetricSpec =
    MetricSpec::count("isolations", "isolations", "devices the team cut off the network (each isolation counts)")
        .unit("devices");
const RESTORATIONS: MetricSpec =
    MetricSpec::count("restorations", "rebuilds", "devices the team rebuilt clean (each rebuild counts)")
        .unit("devices");

impl PluginSpec for IncidentResponseFactory {
    type Params = IncidentResponseParams;
    const KIND: &'static str = "incident_response";
    const ROLE: Role = Role::Defence;
    const SUMMARY: &'static str = "isolate detected devices, then restore them clean (optionally patched)";

    fn configure(
        params: IncidentResponseParams,
        _: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        if let Some(n) = &params.responders
            && *n.get_ref() == 0
        {
            problems.push(
                Diagnostic::at(n.span(), "a team of no responders answers nothing")
                    .with_help("give at least 1, or leave `responders` out for as many as needed"),
            );
        }
        let backup_servers = match &params.backup_server {
            Some(t) => match scenario.device_type_ref(t) {
                Ok(t) => {
                    (0..scenario.device_count()).filter(|&d| scenario.devices[d as usize].device_type == t).collect()
                }
                Err(d) => {
                    problems.push(d);
                    Vec::new()
                }
            },
            None => Vec::new(),
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        let responders = params.responders.as_ref().map(|n| *n.get_ref());
        let mut zones = vec![Vec::new(); scenario.zones.len()];
        if params.isolate == IsolationScope::Zone {
            for (d, slot) in scenario.devices.iter().enumerate() {
                zones[usize::from(slot.zone.0)].push(d as DeviceIndex);
            }
        }
        Ok(Box::new(IncidentResponse {
            params: Arc::new(params),
            responders,
            backup_servers: Arc::new(backup_servers),
            zones: Arc::new(zones),
        }))
    }
}

struct IncidentResponse {
    params: Arc<IncidentResponseParams>,
    responders: Option<u32>,
    backup_servers: Arc<Vec<DeviceIndex>>,
    /// Per zone, its devices (only when isolating whole zones).
    zones: Arc<Vec<Vec<DeviceIndex>>>,
}

#[derive(Clone, Copy)]
struct Ids {
    isolate: HandlerId,
    restore: HandlerId,
    isolated: EventKindId,
    rebuilt: EventKindId,
    patched: EventKindId,
    reset: EventKindId,
    isolations: MetricId,
    restorations: MetricId,
    resets: MetricId,
    no_backup: MetricId,
}

/// One instance's parameters and ids, for its handlers, and its team's
/// state in the trial.
struct Team {
    params: Arc<IncidentResponseParams>,
    ids: Ids,
    responders: Option<u32>,
    backup_servers: Arc<Vec<DeviceIndex>>,
    zones: Arc<Vec<Vec<DeviceIndex>>>,
    /// Responders working a device now.
    busy: u32,
    /// Detected devices waiting for a responder, with their epoch then.
    queue: VecDeque<(DeviceIndex, u64)>,
}

impl Plugin for IncidentResponse {
    fn build(&self, b: &mut SimBuilder) {
        let detected = b.handler("incident_response.detected", plan_isolation);
        b.on_transition(Transition::Detected, detected);
        let ids = Ids {
            isolate: b.handler("incident_response.isolate", isolate_device),
            restore: b.handler("incident_response.restore", restore_device),
            isolated: b.event(ISOLATED),
            rebuilt: b.event(REBUILT),
            patched: b.event(PATCHED),
            reset: b.event(RESET),
            isolations: b.metric(ISOLATIONS),
            restorations: b.metric(RESTORATIONS),
            resets: b.metric(RESETS),
            no_backup: b.metric(NO_BACKUP),
        };
        b.story("isolated {isolations} {isolations|device|devices} and rebuilt {restorations} by the end of the trial");
        b.init_resource::<Instances<Team>>();
        let (params, me, responders, servers, zones) =
            (self.params.clone(), b.instance(), self.responders, self.backup_servers.clone(), self.zones.clone());
        b.on_trial_start(move |mut teams: ResMut<Instances<Team>>| {
            teams.insert(
                me,
                Team {
                    params: params.clone(),
                    ids,
                    responders,
                    backup_servers: servers.clone(),
                    zones: zones.clone(),
                    busy: 0,
                    queue: VecDeque::new(),
                },
            );
        });
    }
}

/// The draws of one device's response are keyed by the compromise being
/// answered (and the device's epoch, for a device detected while clean).
fn key(sim: &Sim, e: &Event, epoch: u64) -> Key {
    sim.key(e.instance).and(sim.state(e.target).cause).with(epoch)
}

/// A device is detected: a free responder takes it, or it waits its turn.
fn plan_isolation(In(e): In<Event>, mut sim: Sim, mut teams: ResMut<Instances<Team>>) {
    let team = teams.get_mut(e.instance);
    let epoch = u64::from(sim.state(e.target).epoch);
    if team.responders.is_some_and(|n| team.busy >= n) {
        team.queue.push_back((e.target, epoch));
        return;
    }
    take(&mut sim, team, e.instance, e.target, epoch);
}

/// A responder takes device `d`: it is cut off after the isolation delay,
/// which the responder spends on it.
fn take(sim: &mut Sim, team: &mut Team, me: InstanceId, d: DeviceIndex, epoch: u64) {
    team.busy += 1;
    let key = sim.key(me).and(sim.state(d).cause).with(epoch);
    let delay = team.params.isolate_after.draw(key.named("isolate"));
    sim.spend_analyst_hours(delay.as_hours_f64());
    sim.schedule_in(delay, team.ids.isolate, d, epoch);
}

fn isolate_device(In(e): In<Event>, mut sim: Sim, mut teams: ResMut<Instances<Team>>) {
    let team = teams.get_mut(e.instance);
    team.busy -= 1;
    // The responder takes the next device still compromised as detected.
    while let Some((d, epoch)) = team.queue.pop_front() {
        let s = sim.state(d);
        if u64::from(s.epoch) == epoch && !s.isolated {
            take(&mut sim, team, e.instance, d, epoch);
            break;
        }
    }
    if u64::from(sim.state(e.target).epoch) != e.tag {
        return; // rebuilt since
    }
    if sim.isolate(e.target, team.ids.isolated) {
        sim.add(team.ids.isolations, 1);
    }
    if team.params.reset_credentials {
        let mut reset = 0;
        for g in 0..sim.scenario().staff.len() {
            reset += sim.revoke_credentials(StaffId(g as u16));
        }
        if reset > 0 {
            sim.record(e.target, team.ids.reset);
            sim.add(team.ids.resets, u64::from(reset));
        }
    }
    let key = key(&sim, &e, e.tag);
    plan_restore(&mut sim, team, e.target, e.tag, key);
    if team.params.isolate == IsolationScope::Zone {
        // The rest of the zone goes off the network too, each device
        // back after its own restore, keyed by the device and the
        // isolation that took it.
        let zone = usize::from(sim.device(e.target).zone.0);
        let zones = team.zones.clone();
        for &d in &zones[zone] {
            if d != e.target && sim.isolate(d, team.ids.isolated) {
                sim.add(team.ids.isolations, 1);
                let epoch = u64::from(sim.state(d).epoch);
                let k = key.named("zone").with(sim.identity(d));
                plan_restore(&mut sim, team, d, epoch, k);
            }
        }
    }
}

/// Schedules device `d`'s return to service: from its backup, if it has
/// one the attackers have not reached (on a backup server they held, or
/// destroyed on the device itself), else the longer way.
fn plan_restore(sim: &mut Sim, team: &Team, d: DeviceIndex, epoch: u64, key: Key) {
    let backed_up = key.named("backup").bernoulli(team.params.backup_coverage.get())
        && !sim.state(d).backups_destroyed
        && !team.backup_servers.iter().any(|&b| sim.state(b).ever_compromised);
    let delay = match (&team.params.restore_without_backup, backed_up) {
        (Some(without), false) => without.draw(key.named("restore")),
        _ => team.params.restore_time.draw(key.named("restore")),
    };
    if !backed_up {
        sim.add(team.ids.no_backup, 1);
    }
    sim.schedule_in(delay, team.ids.restore, d, epoch);
}

fn restore_device(In(e): In<Event>, mut sim: Sim, teams: Res<Instances<Team>>) {
    let team = teams.get(e.instance);
    let state = sim.state(e.target);
    if u64::from(state.epoch) != e.tag {
        return;
    }
    if team.params.patch_on_restore && !state.unsupported {
        for (v, out) in crate::common::patches_released(&sim).into_iter().enumerate() {
            if out {
                sim.patch(e.target, VulnId(v as u8), team.ids.patched);
            }
        }
    }
    sim.restore(e.target, team.ids.rebuilt);
    sim.add(team.ids.restorations, 1);
}

#[cfg(test)]
mod tests {
    use crate::testing::*;

    fn response(isolate_after: &str, restore_time: &str, patch: bool) -> String {
        format!(
            "[defences.monitoring]\ncoverage = 1.0\ntime_to_detect = {{ dist = \"exponential\", mean = \"1h\" }}\n\
             [defences.incident_response]\nisolate_after = {isolate_after}\nrestore_time = {restore_time}\npatch_on_restore = {patch}"
        )
    }

    const SCENARIO: &str = include_str!("../../../scenarios/defences/incident_response.toml");

    #[test]
    fn the_shipped_team_contains_the_outbreak_after_detection_and_unreachable_backups_shorten_the_rebuilds() {
        let bare = without(SCENARIO, "defences.incident_response");
        let (on, off) = (run(SCENARIO, 100, false), run(&bare, 100, false));
        assert_clearly_below(compromised(&on), compromised(&off), "compromised with a response team");
        // The team answers detections, it does not make them: up to the
        // first one the trials run alike, so it comes as late after the
        // first compromise in every trial, with the team or without.
        assert!(on.iter().any(|r| r.outcome.core().detected));
        for (a, b) in on.iter().zip(&off) {
            assert_eq!(a.outcome.core().time_to_detect_h, b.outcome.core().time_to_detect_h);
        }
        let downtime = |r: &[iomtsim_sim::TrialResult]| {
            mean_ci(&r.iter().map(|t| t.outcome.core().downtime_device_hours).collect::<Vec<_>>())
        };
        let bigger = SCENARIO.replace("responders = 1 ", "responders = 20 ");
        assert_ne!(bigger, SCENARIO);
        let more = run(&bigger, 100, false);
        assert_clearly_below(downtime(&more), downtime(&on), "downtime with twenty responders");
        // The backup server off the file-sharing network: the worm cannot
        // reach the backups, and every rebuild restores from them.
        let safe = SCENARIO.replace(
            "id = \"backup-server\"\nname = \"Backup server\"\nservices = [\"smb\", \"https\"]",
            "id = \"backup-server\"\nname = \"Backup server\"\nservices = [\"https\"]",
        );
        assert_ne!(safe, SCENARIO);
        let kept = run(&safe, 100, false);
        let lost = |t: &str, r: &[_]| mean_ci(&metric(t, r, "incident_response.rebuilt_without_backup"));
        assert_eq!(lost(&safe, &kept).0, 0.0);
        assert!(lost(SCENARIO, &on).0 > 0.0);
        assert_clearly_below(downtime(&kept), downtime(&on), "downtime with backups out of reach");
    }

    #[test]
    fn faster_isolation_contains_the_outbreak() {
        let fast = run(&lan(300, "-60d", "", "", &response("\"0s\"", "\"100d\"", true)), 60, false);
        let slow = run(&lan(300, "-60d", "", "", &response("\"6h\"", "\"100d\"", true)), 60, false);
        assert_clearly_below(compromised(&fast), compromised(&slow), "compromised with immediate isolation");
        assert!(
            fast.iter().all(|r| r.outcome.core().isolated == r.outcome.core().compromised),
            "every detected device is isolated"
        );
    }

    #[test]
    fn restored_devices_fall_again_unless_patched() {
        let reinfections = |text: &str| -> u64 {
            let e = engine(text);
            let infections = e.model().metric("worm.infections").unwrap();
            run(text, 20, false).iter().map(|r| r.outcome.get(infections).count() - r.outcome.core().compromised).sum()
        };
        assert!(
            reinfections(&lan(300, "-60d", "", "", &response("\"0s\"", "\"2h\"", false))) > 0,
            "rebuilt but unpatched hosts are taken again"
        );
        assert_eq!(
            reinfections(&lan(300, "-60d", "", "", &response("\"0s\"", "\"2h\"", true))),
            0,
            "rebuilt and patched hosts are immune"
        );
    }

    #[test]
    fn a_small_team_falls_behind_a_large_outbreak() {
        let team = |n: &str| {
            lan(
                300,
                "-60d",
                "",
                "",
                &format!(
                    "[defences.monitoring]\ntime_to_detect = \"1h\"\ntriage_hours = 0.0\n[defences.incident_response]\n\
                     isolate_after = \"2h\"\nrestore_time = \"100d\"\n{n}"
                ),
            )
            .replace("scans_per_hour = 2.0", "scans_per_hour = 0.3")
        };
        let (one, many) = (run(&team("responders = 1"), 40, false), run(&team(""), 40, false));
        assert_clearly_below(compromised(&many), compromised(&one), "compromised with a team as large as needed");
        // Each isolation took its responder two hours (the last may still
        // be under way when the trial ends).
        for r in &one {
            let (hours, isolated) = (r.outcome.core().analyst_hours, r.outcome.core().isolated as f64);
            assert!(hours >= 2.0 * isolated && hours <= 2.0 * (isolated + 1.0), "{hours} h for {isolated}");
        }
        let err = load_error(&team("responders = 0"));
        assert!(err.contains("a team of no responders"), "{err}");
    }

    #[test]
    fn resetting_passwords_stops_the_operator_using_them() {
        let base = without(include_str!("../../../scenarios/defences/mfa.toml"), "defences.mfa");
        let respond = |reset: bool| {
            format!(
                "{base}\n[defences.monitoring]\ncoverage = 0.5\ntime_to_detect = {{ dist = \"exponential\", mean = \"2d\" }}\n\
                 [defences.incident_response]\nisolate_after = \"1h\"\nrestore_time = \"1d\"\nreset_credentials = {reset}\n"
            )
        };
        let (with, without_reset) = (respond(true), respond(false));
        let (a, b) = (run(&with, 100, false), run(&without_reset, 100, false));
        let moves = |t: &str, r: &[_]| mean_ci(&metric(t, r, "phishing.lateral_moves"));
        assert_clearly_below(moves(&with, &a), moves(&without_reset, &b), "lateral moves with password resets");
        assert!(metric(&with, &a, "incident_response.credentials_reset").iter().any(|&n| n > 0.0));
        // The clicks are the same people's either way.
        assert_eq!(metric(&with, &a, "phishing.clicks"), metric(&without_reset, &b, "phishing.clicks"));
    }

    #[test]
    fn without_a_usable_backup_a_rebuild_takes_longer() {
        let backups = |extra: &str| {
            lan(
                100,
                "-60d",
                "",
                "",
                &format!("{}\nrestore_without_backup = \"10d\"\n{extra}", response("\"0s\"", "\"1d\"", true)),
            )
            .replace("duration = \"10d\"", "duration = \"30d\"")
        };
        let downtime = |r: &[iomtsim_sim::TrialResult]| {
            mean_ci(&r.iter().map(|t| t.outcome.core().downtime_device_hours).collect::<Vec<_>>())
        };
        let (kept, none) = (run(&backups(""), 20, false), run(&backups("backup_coverage = 0.0"), 20, false));
        assert_clearly_below(downtime(&kept), downtime(&none), "downtime with backups");
        // The hosts hold their own backups: the worm that takes them takes
        // the backups too.
        let reached = backups("backup_server = \"host\"");
        let results = run(&reached, 20, false);
        let no_backup = metric(&reached, &results, "incident_response.rebuilt_without_backup");
        let restored = metric(&reached, &results, "incident_response.restorations");
        assert!(no_backup.iter().zip(&restored).all(|(a, b)| a == b && *a > 0.0));
        // Backups change how long a rebuild takes, not who falls.
        for (a, b) in kept.iter().zip(&none) {
            assert_eq!(a.outcome.core().compromised, b.outcome.core().compromised);
        }
    }

    #[test]
    fn isolating_the_zone_stops_the_outbreak_at_the_zones_downtime() {
        let text = |scope: &str| {
            lan(
                300,
                "-60d",
                "",
                "",
                &format!(
                    "[defences.monitoring]\ncoverage = 0.2\ntime_to_detect = \"2h\"\n[defences.incident_response]\n\
                     isolate_after = \"30m\"\nrestore_time = \"2d\"\nisolate = \"{scope}\""
                ),
            )
            .replace("scans_per_hour = 2.0", "scans_per_hour = 0.3")
        };
        let (zone, device) = (run(&text("zone"), 40, false), run(&text("device"), 40, false));
        assert_clearly_below(compromised(&zone), compromised(&device), "compromised when the zone is cut off");
        let downtime = |r: &[iomtsim_sim::TrialResult]| {
            mean_ci(&r.iter().map(|t| t.outcome.core().downtime_device_hours).collect::<Vec<_>>())
        };
        assert_clearly_below(downtime(&device), downtime(&zone), "downtime when only devices are cut off");
        assert!(zone.iter().filter(|r| r.outcome.core().detected).all(|r| r.outcome.core().isolated == 300));
    }

    #[test]
    fn isolation_costs_downtime_until_restored() {
        let text = lan(50, "-60d", "", "", &response("\"0s\"", "\"1d\"", true));
        let e = engine(&text);
        let (isolations, restorations) = (
            e.model().metric("incident_response.isolations").unwrap(),
            e.model().metric("incident_response.restorations").unwrap(),
        );
        for t in run(&text, 10, false) {
            let (i, r) = (t.outcome.get(isolations).count(), t.outcome.get(restorations).count());
            // Each isolated device is out of service for exactly one day.
            assert_eq!(i, r);
            assert!((t.outcome.core().downtime_device_hours - 24.0 * r as f64).abs() < 1e-6, "{t:?}");
        }
    }
}
