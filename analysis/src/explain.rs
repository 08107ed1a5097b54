//! One trial told as a story a student can follow: what happened, in time
//! order and plain words, what each defence did or failed to do, and a short
//! summary at the end.

use std::fmt::Write as _;

use iomtsim_sim::{
    EventKindId, EventRecord, MetricKind, Model, Role, Scenario, SimTime, Transition, TrialResult, technique_name,
};

use crate::numbers::count;

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

/// Consecutive events of one kind in one zone within an hour, told as one line.
struct Episode<'a> {
    kind: EventKindId,
    /// The zone, or `None` when the episode gathers several zones.
    zone: Option<u16>,
    events: Vec<&'a EventRecord>,
}

/// The most lines one kind of event takes in a story; past it, that kind's
/// events are grouped more coarsely, so an outbreak of a few hours is told
/// hour by hour while a month of patching is told week by week.
const MAX_LINES_PER_KIND: usize = 12;

/// Events of one kind (in one zone, when `by_zone`) within `window` of the
/// first of them, as one line each, in the order of their first events.
fn group<'a>(scenario: &Scenario, events: &[&'a EventRecord], window: u64, by_zone: bool) -> Vec<Episode<'a>> {
    let mut out: Vec<Episode<'a>> = Vec::new();
    let mut open: std::collections::BTreeMap<Option<u16>, usize> = Default::default();
    for &e in events {
        let zone = by_zone.then(|| scenario.devices[e.device as usize].zone.0);
        if let Some(&i) = open.get(&zone)
            && e.time.0.saturating_sub(out[i].events[0].time.0) < window
        {
            out[i].events.push(e);
            continue;
        }
        open.insert(zone, out.len());
        out.push(Episode { kind: e.kind, zone, events: vec![e] });
    }
    out
}

/// Each kind of event grouped as finely as keeps it within
/// [`MAX_LINES_PER_KIND`] lines, all lines in time order; and whether any
/// kind had to be grouped beyond the hour.
fn story_episodes<'a>(scenario: &Scenario, events: &'a [EventRecord]) -> (Vec<Episode<'a>>, bool) {
    const HOUR: u64 = 3_600_000_000;
    let mut kinds: Vec<EventKindId> = events.iter().map(|e| e.kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let mut all = Vec::new();
    let mut coarsened = false;
    for kind in kinds {
        let of_kind: Vec<&EventRecord> = events.iter().filter(|e| e.kind == kind).collect();
        let ladder = [
            (HOUR, true),
            (4 * HOUR, true),
            (24 * HOUR, true),
            (24 * HOUR, false),
            (7 * 24 * HOUR, false),
            (u64::MAX, false),
        ];
        let mut chosen = Vec::new();
        for (i, (window, by_zone)) in ladder.iter().enumerate() {
            chosen = group(scenario, &of_kind, *window, *by_zone);
            if chosen.len() <= MAX_LINES_PER_KIND {
                coarsened |= i > 0;
                break;
            }
        }
        all.extend(chosen);
    }
    all.sort_by_key(|ep| (ep.events[0].time, ep.events[0].kind));
    (all, coarsened)
}

fn describe_devices(scenario: &Scenario, events: &[&EventRecord]) -> String {
    let mut counts: Vec<(u16, usize)> = Vec::new();
    let mut seen: Vec<u32> = events.iter().map(|e| e.device).collect();
    seen.sort_unstable();
    seen.dedup();
    let distinct: Vec<&EventRecord> =
        seen.iter().filter_map(|d| events.iter().find(|e| e.device == *d).copied()).collect();
    let events = &distinct[..];
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
        format!("{} {n} (device {})", article(&n), events[0].device)
    } else {
        let mut parts: Vec<String> =
            counts.iter().take(3).map(|(t, n)| format!("{} × {}", whole(*n as f64), name(*t))).collect();
        if counts.len() > 3 {
            let rest: usize = counts.iter().skip(3).map(|(_, n)| n).sum();
            parts.push(count(rest as u64, "other", "others"));
        }
        format!("{} ({})", count(events.len() as u64, "device", "devices"), parts.join(", "))
    }
}

/// "a" or "an" before `noun`, by how it is said: "an infusion pump", "an
/// HL7 interface engine" (an acronym is said letter by letter), "a USB hub".
fn article(noun: &str) -> &'static str {
    let first = noun.split([' ', '-']).next().unwrap_or_default();
    let spelled = first.chars().count() > 1
        && first.chars().filter(|c| c.is_alphabetic()).all(char::is_uppercase)
        && first.chars().any(char::is_alphabetic);
    let vowel_sound = if spelled {
        first.starts_with(['A', 'E', 'F', 'H', 'I', 'L', 'M', 'N', 'O', 'R', 'S', 'X'])
    } else {
        first.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U'])
    };
    if vowel_sound { "an" } else { "a" }
}

/// "25 minutes", "1 minute", "3.5 hours", "4.2 days".
fn span_words(secs: f64) -> String {
    let minutes = secs / 60.0;
    if minutes < 1.0 {
        "under a minute".into()
    } else if minutes < 120.0 {
        let m = minutes.round();
        if m == 1.0 { "1 minute".into() } else { format!("{m:.0} minutes") }
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

/// A metric's value as a story tells it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StoryValue {
    /// The value.
    pub value: f64,
    /// Whether it counts things (devices, messages, records), told whole:
    /// otherwise it is a span of time, told to a tenth below 100.
    pub whole: bool,
}

impl StoryValue {
    /// The value rounded as it is told.
    fn rounded(self) -> f64 {
        if self.whole || self.value.abs() >= 100.0 { self.value.round() } else { (self.value * 10.0).round() / 10.0 }
    }

    /// The value as it is told: "46,025", "1.5".
    fn words(self) -> String {
        let r = self.rounded();
        crate::numbers::with_decimals(r, if r.fract() == 0.0 { 0 } else { 1 })
    }
}

/// Fills a story template with an instance's metric values: `{name}` is
/// the value of its metric `name`, `{name|one|many}` the word that agrees
/// with it.
pub fn render_story(template: &str, value: impl Fn(&str) -> Option<StoryValue>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let inner = &rest[open + 1..open + close];
        let mut parts = inner.split('|');
        let name = parts.next().unwrap_or_default();
        match (value(name), parts.next(), parts.next()) {
            (Some(v), Some(one), Some(many)) => out.push_str(if v.rounded() == 1.0 { one } else { many }),
            (Some(v), _, _) => out.push_str(&v.words()),
            (None, _, _) => out.push_str(&rest[open..=open + close]),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// Tells trial `result` of `model` as a story.
pub fn tell(model: &Model, result: &TrialResult, format: StoryFormat) -> String {
    let scenario: &Scenario = &model.scenario;
    let md = format == StoryFormat::Markdown;
    let o = result.outcome.core();
    let trial = result.outcome.trial;
    let mut s = String::new();
    if md {
        let _ = writeln!(s, "# {}: trial {}\n", scenario.name, trial);
        let _ = writeln!(s, "{}\n", scenario.description);
    } else {
        let _ = writeln!(s, "{} — trial {}\n{}\n", scenario.name, trial, scenario.description);
    }
    let names = |role: Role| -> Vec<String> {
        model
            .instances
            .iter()
            .filter(|i| i.role == role)
            .map(|i| {
                if i.id == i.kind {
                    i.kind.replace('_', " ")
                } else {
                    format!("{} ({})", i.id, i.kind.replace('_', " "))
                }
            })
            .collect()
    };
    let (attacks, defences) = (names(Role::Attack), names(Role::Defence));
    let zones = scenario.zones.iter().filter(|z| !z.external).count();
    let _ = writeln!(
        s,
        "{} in {}. Attacks: {}. Defences: {}.\n",
        count(u64::from(scenario.device_count()), "device", "devices"),
        count(zones as u64, "zone", "zones"),
        if attacks.is_empty() { "none".to_owned() } else { attacks.join(", ") },
        if defences.is_empty() { "none".to_owned() } else { defences.join(", ") }
    );
    if md {
        s.push_str("## What happened\n\n");
    }
    let several_attacks = model.instances.iter().filter(|i| i.role == Role::Attack).count() > 1;
    let mut first = true;
    // When each device was last compromised, detected and taken out of
    // service, to say how long each step took.
    let n = scenario.devices.len();
    let (mut compromised_at, mut detected_at, mut down_at) = (vec![None; n], vec![None; n], vec![None; n]);
    let (episodes, coarsened) = story_episodes(scenario, &result.events);
    if coarsened {
        let _ = writeln!(
            s,
            "({} events in all: where a kind of event is frequent, its events are told together by the day or the week.)\n",
            whole(result.events.len() as f64)
        );
    }
    for ep in episodes {
        let kind = model.event_kind(ep.kind);
        let transition = ep.events[0].transition;
        let zone = match ep.zone {
            Some(z) => scenario.zones[usize::from(z)].name.clone(),
            None => {
                let mut zones: Vec<u16> =
                    ep.events.iter().map(|e| scenario.devices[e.device as usize].zone.0).collect();
                zones.sort_unstable();
                zones.dedup();
                if zones.len() == 1 {
                    scenario.zones[usize::from(zones[0])].name.clone()
                } else {
                    format!("{} zones", whole(zones.len() as f64))
                }
            }
        };
        let start = ep.events[0].time;
        let end = ep.events.iter().map(|e| e.time).max().unwrap_or(start);
        let when = if ep.events.len() > 1 && end.0 / 60_000_000 != start.0 / 60_000_000 {
            let (from, to) = (clock(start), clock(end));
            let same_day = start.0 / 86_400_000_000 == end.0 / 86_400_000_000;
            let to = if same_day { to[to.find(", ").map_or(0, |i| i + 2)..].to_owned() } else { to };
            format!("{from}–{to}")
        } else {
            clock(start)
        };
        let what = describe_devices(scenario, &ep.events);
        let how = kind
            .technique
            .map(|t| format!(" — {} ({t})", lower_words(technique_name(t).unwrap_or("an attack technique"))))
            .unwrap_or_default();
        let by = if several_attacks && model.instance_info(kind.source).role == Role::Attack {
            format!(" [{}]", model.instance_info(kind.source).id)
        } else {
            String::new()
        };
        let lead = if first && transition == Some(Transition::Compromised) {
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
        let step = match transition {
            Some(Transition::Disrupted) => since(&compromised_at).map(|d| format!(", {d} after the compromise")),
            Some(Transition::Detected) => since(&compromised_at).map(|d| format!(", {d} after the compromise")),
            Some(Transition::Isolated) => since(&detected_at).map(|d| format!(", {d} after detection")),
            Some(Transition::Restored | Transition::Recovered) => {
                since(&down_at).map(|d| format!(", after {d} out of service"))
            }
            _ => None,
        }
        .unwrap_or_default();
        for e in &ep.events {
            let d = e.device as usize;
            match e.transition {
                Some(Transition::Compromised) => compromised_at[d] = Some(e.time),
                Some(Transition::Detected) => detected_at[d] = Some(e.time),
                Some(Transition::Disrupted | Transition::Isolated) => {
                    down_at[d].get_or_insert(e.time);
                }
                Some(Transition::Restored) => {
                    (compromised_at[d], detected_at[d], down_at[d]) = (None, None, None);
                }
                Some(Transition::Recovered) => down_at[d] = None,
                Some(Transition::Patched) | None => {}
            }
        }
        // The phrase agrees with the devices, not the events: one device
        // that shows several forged readings still "shows" them.
        let mut devices: Vec<u32> = ep.events.iter().map(|e| e.device).collect();
        devices.sort_unstable();
        devices.dedup();
        let phrase = if devices.len() > 1 { kind.many } else { kind.one };
        let times = match (devices.len(), ep.events.len()) {
            (1, 2) => " (twice)".to_owned(),
            (1, n) if n > 2 => format!(" ({} times)", whole(n as f64)),
            _ => String::new(),
        };
        let mut line = format!("{lead}{what} in {zone} {phrase}{times}{how}{step}{by}.");
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

    // What each attack and defence did, in the words it declared.
    s.push_str(if md { "\n## What each attack and defence did\n\n" } else { "\nWhat each attack and defence did:\n" });
    let bullet = if md { "- " } else { "  - " };
    for (i, info) in model.instances.iter().enumerate() {
        let value = |name: &str| {
            let m = model.metric(&format!("{}.{name}", info.id))?;
            let decl = &model.metrics[usize::from(m.0)];
            let span = decl.kind == MetricKind::Hours || decl.unit.contains("hour");
            Some(StoryValue { value: result.outcome.get(m).as_f64()?, whole: !span })
        };
        let did = info.story.map(|t| render_story(t, value)).unwrap_or_else(|| "ran.".to_owned());
        let _ = writeln!(s, "{bullet}{} ({}, {}): {did}.", info.id, info.role.noun(), info.summary);
        let _ = i;
    }
    let first_detection = result.events.iter().find(|e| e.transition == Some(Transition::Detected));
    let line = match (first_detection, o.time_to_detect_h) {
        (Some(e), Some(h)) => {
            let kind = model.event_kind(e.kind);
            format!(
                "The first compromise was detected after {}: {} {} ({}).",
                span_words(h * 3600.0),
                describe_devices(scenario, &[e]),
                kind.one,
                model.instance_info(kind.source).id
            )
        }
        _ => "Nobody detected the attack.".to_owned(),
    };
    let _ = writeln!(s, "{bullet}{line}");

    s.push_str(if md { "\n## Summary\n\n" } else { "\nSummary: " });
    s.push_str(&summary(&o, scenario));
    s.push('\n');
    s
}

/// The story's closing paragraph: what the trial cost, in plain words.
fn summary(o: &iomtsim_sim::CoreOutcome, scenario: &Scenario) -> String {
    let was = |n: u64| if n == 1 { "was" } else { "were" };
    let mut out = vec![format!(
        "{} of {} {} compromised ({} at once at the worst moment) and {} {} put out of function.",
        whole(o.compromised as f64),
        count(o.devices, "device", "devices"),
        was(o.compromised),
        whole(o.peak_compromised as f64),
        whole(o.disrupted as f64),
        was(o.disrupted)
    )];
    match o.safety_events {
        0 => {}
        1 => out.push("A patient came to harm from an attack on their care (a patient-safety event).".into()),
        n => out.push(format!(
            "Patients came to harm {} times from attacks on their care (patient-safety events).",
            whole(n as f64)
        )),
    }
    out.push(format!(
        "{} on compromised devices.",
        count(o.records_on_compromised_devices, "patient record was", "patient records were")
    ));
    let laws: Vec<&str> = [(o.breach_notifiable_hipaa, "HIPAA"), (o.breach_notifiable_gdpr, "GDPR")]
        .iter()
        .filter(|(due, _)| *due)
        .map(|(_, law)| *law)
        .collect();
    let notifiable = format!("a breach notifiable under {}", laws.join(" and "));
    match (o.records_exfiltrated, laws.is_empty()) {
        (0, true) => {}
        (0, false) => out.push(format!("Patient data was breached: {notifiable}.")),
        (n, true) => out.push(format!("{} left the hospital readable.", count(n, "patient record", "patient records"))),
        (n, false) => out.push(format!(
            "{} left the hospital readable: {notifiable}.",
            count(n, "patient record", "patient records")
        )),
    }
    let device_hours = |h: f64| count(h.round().max(0.0) as u64, "device-hour", "device-hours");
    out.push(format!(
        "Devices were out of service for {} in all, {} of them on life-critical or high-criticality devices.",
        device_hours(o.downtime_device_hours),
        whole(o.critical_downtime_device_hours)
    ));
    if o.clinical_service_hours_lost > 0.0 {
        out.push(format!(
            "Clinical services were down for {} in all, summed over services.",
            hours_words(o.clinical_service_hours_lost)
        ));
    }
    out.push(format!(
        "{} still compromised when the trial ended after {}.",
        count(o.still_compromised, "device was", "devices were"),
        scenario.duration
    ));
    out.join(" ")
}

/// Hours in running text: "14 hours", "1 hour", "2.5 hours".
fn hours_words(h: f64) -> String {
    let v = StoryValue { value: h, whole: false };
    if v.rounded() == 0.0 {
        return "a few minutes".into();
    }
    format!("{} {}", v.words(), if v.rounded() == 1.0 { "hour" } else { "hours" })
}

/// A count in running text, with thousands separated: "30,121".
fn whole(x: f64) -> String {
    crate::numbers::with_decimals(x, 0)
}

/// A technique's name in running text: each word lower-cased, except
/// acronyms and names with digits ("OS Credential Dumping" reads "OS
/// credential dumping", "Exfiltration Over C2 Channel" keeps its "C2").
fn lower_words(name: &str) -> String {
    name.split(' ')
        .map(|w| {
            let letters = w.chars().filter(|c| c.is_alphabetic()).count();
            let acronym = letters > 1 && w.chars().filter(|c| c.is_alphabetic()).all(char::is_uppercase);
            if acronym || w.chars().any(|c| c.is_ascii_digit()) { w.to_owned() } else { w.to_lowercase() }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn acronyms_keep_their_capitals_in_running_text() {
        assert_eq!(super::lower_words("OS Credential Dumping"), "OS credential dumping");
        assert_eq!(super::lower_words("Exploitation of Remote Services"), "exploitation of remote services");
        assert_eq!(super::lower_words("Adversary-in-the-Middle"), "adversary-in-the-middle");
        assert_eq!(super::lower_words("Transfer Over C2 Channel"), "transfer over C2 channel");
    }

    #[test]
    fn articles_follow_how_a_name_is_said() {
        assert_eq!(super::article("infusion pump"), "an");
        assert_eq!(super::article("HL7 interface engine"), "an");
        assert_eq!(super::article("MRI scanner"), "an");
        assert_eq!(super::article("USB hub"), "a");
        assert_eq!(super::article("clinical workstation"), "a");
    }

    #[test]
    fn story_numbers_are_whole_counts_with_separators_and_tenths_of_hours() {
        use super::{StoryValue, render_story};
        let value = |name: &str| match name {
            "messages" => Some(StoryValue { value: 46_024.9, whole: true }),
            "flows" => Some(StoryValue { value: 1.0, whole: true }),
            "hours" => Some(StoryValue { value: 1.54, whole: false }),
            "long" => Some(StoryValue { value: 1_234.5, whole: false }),
            _ => None,
        };
        let told = render_story(
            "read {messages} messages of {flows} {flows|flow|flows} for {hours} {hours|hour|hours}, {long} in all{other}",
            value,
        );
        assert_eq!(told, "read 46,025 messages of 1 flow for 1.5 hours, 1,235 in all{other}");
    }
}
