//! One trial told as a story a student can follow: what happened, in time
//! order and plain words, what each defence did or failed to do, and a short
//! summary at the end.

use std::fmt::Write as _;

use iomtsim_sim::{EventRecord, Role, Scenario, Signal, SimTime, TrialResult};

/// How the story is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoryFormat {
    /// Plain text for the terminal.
    Text,
    /// Markdown for a handout.
    Markdown,
}

/// "Day 0, 09:14" for an instant of the trial.
pub fn clock(t: SimTime) -> String {
    let minutes = (t.as_secs_f64() / 60.0).floor() as u64;
    format!("Day {}, {:02}:{:02}", minutes / 1440, (minutes / 60) % 24, minutes % 60)
}

/// Plain words for an ATT&CK technique the engine logs.
fn technique_words(t: &str) -> &'static str {
    match t {
        "T1210" => "exploitation of remote services",
        "T1486" => "data encrypted for impact",
        _ => "an attack technique",
    }
}

fn verb(kind: Signal, n: usize) -> &'static str {
    match (kind, n > 1) {
        (Signal::Compromised, false) => "is compromised",
        (Signal::Compromised, true) => "are compromised",
        (Signal::Disrupted, false) => "is encrypted and stops working",
        (Signal::Disrupted, true) => "are encrypted and stop working",
        (Signal::Detected, false) => "is found to be compromised",
        (Signal::Detected, true) => "are found to be compromised",
        (Signal::Isolated, false) => "is cut off the network by the incident response team",
        (Signal::Isolated, true) => "are cut off the network by the incident response team",
        (Signal::Restored, false) => "is rebuilt clean and back in service",
        (Signal::Restored, true) => "are rebuilt clean and back in service",
        (Signal::Patched, false) => "receives its security patch",
        (Signal::Patched, true) => "receive their security patch",
    }
}

/// Consecutive events of one kind in one zone within an hour, told as one line.
struct Episode<'a> {
    kind: Signal,
    zone: u16,
    events: Vec<&'a EventRecord>,
}

fn episodes<'a>(scenario: &Scenario, events: &'a [EventRecord]) -> Vec<Episode<'a>> {
    let mut out: Vec<Episode<'a>> = Vec::new();
    for e in events {
        let zone = scenario.devices[e.device as usize].zone.0;
        if let Some(last) = out.last_mut()
            && last.kind == e.kind
            && last.zone == zone
            && e.time.0.saturating_sub(last.events[0].time.0) < 3_600_000_000
        {
            last.events.push(e);
            continue;
        }
        out.push(Episode { kind: e.kind, zone, events: vec![e] });
    }
    out
}

fn describe_devices(scenario: &Scenario, events: &[&EventRecord]) -> String {
    let mut counts: Vec<(u16, usize)> = Vec::new();
    for e in events {
        let t = scenario.devices[e.device as usize].device_type.0;
        match counts.iter_mut().find(|(x, _)| *x == t) {
            Some(c) => c.1 += 1,
            None => counts.push((t, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let name = |t: u16| lower_first(&scenario.device_types[usize::from(t)].name);
    if events.len() == 1 {
        let n = name(counts[0].0);
        let article = if n.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) { "an" } else { "a" };
        format!("{article} {n} (device {})", events[0].device)
    } else {
        let parts: Vec<String> = counts.iter().map(|(t, n)| format!("{n} × {}", name(*t))).collect();
        format!("{} devices ({})", events.len(), parts.join(", "))
    }
}

/// "25 minutes", "3.5 hours", "4.2 days".
fn span_words(secs: f64) -> String {
    let minutes = secs / 60.0;
    if minutes < 1.0 {
        "under a minute".into()
    } else if minutes < 120.0 {
        format!("{minutes:.0} minutes")
    } else if minutes < 48.0 * 60.0 {
        format!("{:.1} hours", minutes / 60.0)
    } else {
        format!("{:.1} days", minutes / 1440.0)
    }
}

/// "Clinical workstation" → "clinical workstation", but "IP camera" stays.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_lowercase() => {
            a.to_lowercase().chain(name.chars().skip(1)).collect()
        }
        _ => name.to_owned(),
    }
}

/// Tells trial `result` of `scenario` as a story, with `kinds` the attacks
/// and defences the scenario runs.
pub fn tell(scenario: &Scenario, kinds: &[(Role, &'static str)], result: &TrialResult, format: StoryFormat) -> String {
    let md = format == StoryFormat::Markdown;
    let o = &result.outcome;
    let mut s = String::new();
    if md {
        let _ = writeln!(s, "# {}: trial {}\n", scenario.name, o.trial);
        let _ = writeln!(s, "{}\n", scenario.description);
    } else {
        let _ = writeln!(s, "{} — trial {}\n{}\n", scenario.name, o.trial, scenario.description);
    }
    let defences: Vec<&str> = kinds.iter().filter(|(r, _)| *r == Role::Defence).map(|(_, k)| *k).collect();
    let attacks: Vec<&str> = kinds.iter().filter(|(r, _)| *r == Role::Attack).map(|(_, k)| *k).collect();
    let _ = writeln!(
        s,
        "{} devices in {} zone{}. Attack: {}. Defences: {}.\n",
        scenario.device_count(),
        scenario.zones.iter().filter(|z| !z.external).count(),
        if scenario.zones.iter().filter(|z| !z.external).count() == 1 { "" } else { "s" },
        if attacks.is_empty() { "none".to_owned() } else { attacks.join(", ") },
        if defences.is_empty() { "none".to_owned() } else { defences.join(", ").replace('_', " ") }
    );
    if md {
        s.push_str("## What happened\n\n");
    }
    let mut first = true;
    // When each device was last compromised, detected and taken out of
    // service, to say how long each defence took at each step.
    let n = scenario.devices.len();
    let (mut compromised_at, mut detected_at, mut down_at) = (vec![None; n], vec![None; n], vec![None; n]);
    for ep in episodes(scenario, &result.events) {
        let zone = &scenario.zones[usize::from(ep.zone)].name;
        let start = ep.events[0].time;
        let end = ep.events[ep.events.len() - 1].time;
        let when = if ep.events.len() > 1 && end.0 / 60_000_000 != start.0 / 60_000_000 {
            format!("{}–{}", clock(start), &clock(end)[clock(end).find(", ").map_or(0, |i| i + 2)..])
        } else {
            clock(start)
        };
        let what = describe_devices(scenario, &ep.events);
        let how = ep.events[0].technique.map(|t| format!(" — {} ({t})", technique_words(t))).unwrap_or_default();
        let lead = if first && ep.kind == Signal::Compromised {
            first = false;
            "The attack begins: "
        } else {
            ""
        };
        let since = |times: &[Option<SimTime>]| -> Option<String> {
            let spans: Vec<f64> = ep
                .events
                .iter()
                .filter_map(|e| times[e.device as usize].map(|t: SimTime| (e.time - t).as_secs_f64()))
                .collect();
            if spans.is_empty() {
                return None;
            }
            let mean = spans.iter().sum::<f64>() / spans.len() as f64;
            Some(if spans.len() > 1 { format!("on average {}", span_words(mean)) } else { span_words(mean) })
        };
        let step = match ep.kind {
            Signal::Disrupted => since(&compromised_at).map(|d| format!(", {d} after infection")),
            Signal::Detected => since(&compromised_at).map(|d| format!(", {d} after the compromise")),
            Signal::Isolated => since(&detected_at).map(|d| format!(", {d} after detection")),
            Signal::Restored => since(&down_at).map(|d| format!(", after {d} out of service")),
            _ => None,
        }
        .unwrap_or_default();
        for e in &ep.events {
            let d = e.device as usize;
            match e.kind {
                Signal::Compromised => compromised_at[d] = Some(e.time),
                Signal::Detected => detected_at[d] = Some(e.time),
                Signal::Disrupted | Signal::Isolated => {
                    down_at[d].get_or_insert(e.time);
                }
                Signal::Restored => {
                    (compromised_at[d], detected_at[d], down_at[d]) = (None, None, None);
                }
                Signal::Patched => {}
            }
        }
        let mut line = format!("{lead}{what} in {zone} {}{how}{step}.", verb(ep.kind, ep.events.len()));
        if let Some(c) = line.get(0..1) {
            line = c.to_uppercase() + &line[1..];
        }
        if md {
            let _ = writeln!(s, "- **{when}** — {line}");
        } else {
            let _ = writeln!(s, "{when} — {line}");
        }
    }
    if result.events.is_empty() {
        s.push_str("Nothing happened: no device was compromised in this trial.\n");
    }

    // What each defence did or failed to do.
    s.push_str(if md { "\n## What the defences did\n\n" } else { "\nWhat the defences did:\n" });
    let bullet = if md { "- " } else { "  - " };
    let ttd = o.time_to_detect_h.map(|h| format!("{h:.1} hours"));
    for d in &defences {
        let line = match *d {
            "patching" => format!(
                "Patching installed {} patches during the trial (counting those installed while devices were rebuilt); the devices the attack took had no patch yet, or could never get one.",
                o.patched
            ),
            "monitoring" => match &ttd {
                Some(t) if o.detected => format!("Detection: the first compromise was found after {t}."),
                _ => "Monitoring never detected the attack.".to_owned(),
            },
            "incident_response" => format!(
                "Incident response isolated {} devices and rebuilt {} by the end of the trial.",
                o.isolated, o.restored
            ),
            other => format!("{other}: ran."),
        };
        let _ = writeln!(s, "{bullet}{line}");
    }
    if !defences.contains(&"monitoring") {
        let line = match &ttd {
            Some(t) => format!("No monitoring ran; the attack was noticed only after {t}, when staff reported it."),
            None => "No monitoring ran, and nobody noticed the attack.".to_owned(),
        };
        let _ = writeln!(s, "{bullet}{line}");
    }
    if !defences.contains(&"patching") {
        let _ = writeln!(s, "{bullet}No patch programme ran: vulnerable devices stayed vulnerable.");
    }

    s.push_str(if md { "\n## Summary\n\n" } else { "\nSummary: " });
    let _ = writeln!(
        s,
        "{} of {} devices were compromised ({} at once at the worst moment) and {} were encrypted. {} patient records were exposed. Devices were out of service for {:.0} device-hours in all, {:.0} of them on life-critical or high-criticality devices. {} devices were still compromised when the trial ended after {}.",
        o.compromised,
        o.devices,
        o.peak_compromised,
        o.disrupted,
        o.records_exposed,
        o.downtime_device_hours,
        o.critical_downtime_device_hours,
        o.still_compromised,
        scenario.duration
    );
    s
}
