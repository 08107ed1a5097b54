//! Small pieces several mechanisms share: which attacks a mechanism
//! follows, and choosing devices so that common random numbers hold.

use iomtsim_sim::ServiceSet;
use iomtsim_sim::prelude::*;

/// Resolves a `follows` list: the attack instances whose compromises a
/// mechanism answers. Absent: every other attack of the scenario. Indexed
/// like [`Scenario::instances`], which is also the instances' order in the
/// model, so `result[instance.0]` says whether to follow it.
///
/// # Errors
/// A diagnostic for each unknown id, and for a mechanism naming itself.
pub fn resolve_follows(
    follows: Option<&[Spanned<String>]>,
    section: &Section<'_>,
    scenario: &Scenario,
) -> Result<Vec<bool>, Vec<Diagnostic>> {
    let me = scenario.instances.iter().position(|i| i.id.get_ref() == section.id());
    let mut out = vec![false; scenario.instances.len()];
    let mut problems = Vec::new();
    match follows {
        Some(ids) => {
            for id in ids {
                match scenario.instance_ref(id, Some(Role::Attack)) {
                    Ok(i) if Some(i) == me => {
                        problems.push(Diagnostic::at(id.span(), "an attack cannot follow itself"))
                    }
                    Ok(i) => out[i] = true,
                    Err(d) => problems.push(d),
                }
            }
        }
        None => {
            for (i, s) in scenario.instances.iter().enumerate() {
                out[i] = s.role == Role::Attack && Some(i) != me;
            }
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

/// Whether the event kind in a signal's tag was recorded by an instance
/// `follows` marks.
pub fn caused_by_followed(sim: &Sim, tag: u64, follows: &[bool]) -> bool {
    let source = sim.event_kind(EventKindId(tag as u16)).source;
    follows.get(usize::from(source.0)).copied().unwrap_or(false)
}

/// The `n` devices of `candidates` with the smallest draws of `key`
/// extended by each device's identity, smallest first: the same devices in
/// every design where they are candidates.
pub fn first_by_key(
    sim: &Sim,
    key: Key,
    candidates: impl IntoIterator<Item = DeviceIndex>,
    n: usize,
) -> Vec<DeviceIndex> {
    let mut ranked: Vec<(u64, DeviceIndex)> =
        candidates.into_iter().map(|d| (sim.with_identity(key, d).value(), d)).collect();
    let n = n.min(ranked.len());
    if n == 0 {
        return Vec::new();
    }
    ranked.select_nth_unstable(n - 1);
    ranked.truncate(n);
    ranked.sort_unstable();
    ranked.into_iter().map(|(_, d)| d).collect()
}

/// Resolves a list of ids naming what a defence covers into one flag per
/// item: absent, or holding `all`, covers every item; otherwise each id
/// is looked up with `resolve`.
///
/// # Errors
/// A diagnostic for each unknown id.
pub fn select(
    ids: Option<&[Spanned<String>]>,
    len: usize,
    resolve: impl Fn(&Spanned<String>) -> Result<usize, Diagnostic>,
) -> Result<Vec<bool>, Vec<Diagnostic>> {
    let Some(ids) = ids else { return Ok(vec![true; len]) };
    if ids.iter().any(|id| id.get_ref() == "all") {
        return Ok(vec![true; len]);
    }
    let mut out = vec![false; len];
    let mut problems = Vec::new();
    for id in ids {
        match resolve(id) {
            Ok(i) => out[i] = true,
            Err(d) => problems.push(d),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

/// Resolves a list of service names into a set, pushing a diagnostic for
/// each unknown one.
pub fn service_set(scenario: &Scenario, list: &[Spanned<String>], problems: &mut Vec<Diagnostic>) -> ServiceSet {
    let mut set = ServiceSet::NONE;
    for s in list {
        match scenario.service_ref(s) {
            Ok(s) => set.insert(s),
            Err(d) => problems.push(d),
        }
    }
    set
}

/// Resolves an ATT&CK technique id against the table every attack's steps
/// draw from; `fallback` is where to point when the id has no place of its
/// own (a default).
///
/// # Errors
/// A diagnostic naming the techniques the attacks use.
pub fn technique_ref(id: &Spanned<String>, fallback: std::ops::Range<usize>) -> Result<&'static str, Diagnostic> {
    match iomtsim_sim::TECHNIQUES.iter().find(|(t, _, _)| t == id.get_ref()) {
        Some((t, _, _)) => Ok(t),
        None => Err(Diagnostic::at(
            if id.span().is_empty() { fallback } else { id.span() },
            format!("unknown ATT&CK technique `{}`", id.get_ref()),
        )
        .with_help(format!(
            "the techniques the attacks use are: {}",
            iomtsim_sim::TECHNIQUES.iter().map(|(t, _, _)| *t).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Per vulnerability of the scenario, whether its patch is out by now.
pub fn patches_released(sim: &Sim) -> Vec<bool> {
    let now = sim.now();
    sim.scenario().vulnerabilities.iter().map(|v| v.patch_released().to_time().is_none_or(|t| t <= now)).collect()
}

/// When each vulnerability's patch comes out, relative to the trial start.
pub fn patch_release_offsets(sim: &Sim) -> Vec<iomtsim_sim::Offset> {
    sim.scenario().vulnerabilities.iter().map(iomtsim_sim::Vulnerability::patch_released).collect()
}

/// Installs on device `d` each released patch for a vulnerability it
/// carries, `lag(i)` after patch `i` came out: at once when that is before
/// the trial starts, else by an event to `install` (tag: the
/// vulnerability). Call it while the trial is being set up.
pub fn schedule_patch_installs(
    sim: &mut Sim,
    d: DeviceIndex,
    released: &[iomtsim_sim::Offset],
    install: HandlerId,
    mut lag: impl FnMut(usize) -> SimDuration,
) {
    let state = sim.state(d);
    for (i, released) in released.iter().enumerate() {
        let v = VulnId(i as u8);
        if !state.carries(v) {
            continue;
        }
        match released.plus(lag(i)).to_time() {
            None | Some(SimTime::ZERO) => sim.patch_before_start(d, v),
            Some(at) => sim.schedule_at(at, install, d, u64::from(v.0)).expect("the trial has not started"),
        }
    }
}
