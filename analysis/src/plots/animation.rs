//! An animated picture of one trial: the zone graph, each zone coloured by
//! the share of its devices compromised, frame by frame. It makes the
//! difference between a flat and a segmented network visible in class.

use std::path::Path;

use iomtsim_sim::{Scenario, SimTime, Transition, TrialResult};
use plotters::prelude::*;

use plotters::style::text_anchor::{HPos, VPos};

use super::{FONT, PlotError, draw_text, register_font_once};
use crate::explain::clock;

/// The instants to draw: spaced by events rather than by the clock, so
/// that an outbreak of a few hours in a trial of a month unfolds over the
/// frames. Each frame comes just after the next share of the compromises
/// and rebuilds; the first is just before the first of them, the last at
/// the last of them.
fn frame_times(events: &[SimTime], frames: usize) -> Vec<SimTime> {
    let frames = frames.max(2);
    let Some(&first) = events.first() else { return vec![SimTime::ZERO; 2] };
    let mut times = vec![SimTime(first.0.saturating_sub(1))];
    let n = events.len();
    for i in 1..frames {
        let rank = (i * n).div_ceil(frames - 1).clamp(1, n) - 1;
        let t = events[rank];
        if times.last() != Some(&t) {
            times.push(t);
        }
    }
    // Few events: the longest pauses between them get frames of their own,
    // so the animation still has its length.
    while times.len() < frames {
        let Some((i, gap)) = times.windows(2).map(|w| w[1].0 - w[0].0).enumerate().max_by_key(|(_, g)| *g) else {
            break;
        };
        if gap < 2 {
            break;
        }
        times.insert(i + 1, SimTime(times[i].0 + gap / 2));
    }
    times
}

/// Per-zone compromised counts at each frame's instant (see `frame_times`).
pub(crate) fn zone_shares(scenario: &Scenario, result: &TrialResult, frames: usize) -> (Vec<SimTime>, Vec<Vec<u32>>) {
    let spread: Vec<_> = result
        .events
        .iter()
        .filter(|e| matches!(e.transition, Some(Transition::Compromised | Transition::Restored)))
        .collect();
    let times = frame_times(&spread.iter().map(|e| e.time).collect::<Vec<_>>(), frames);
    let mut compromised = vec![false; scenario.devices.len()];
    let mut per_zone = vec![0u32; scenario.zones.len()];
    let mut out = Vec::with_capacity(times.len());
    let mut next = 0;
    for t in &times {
        while next < spread.len() && spread[next].time <= *t {
            let e = spread[next];
            let d = e.device as usize;
            let z = usize::from(scenario.devices[d].zone.0);
            match e.transition {
                Some(Transition::Compromised) if !compromised[d] => {
                    compromised[d] = true;
                    per_zone[z] += 1;
                }
                Some(Transition::Restored) if compromised[d] => {
                    compromised[d] = false;
                    per_zone[z] -= 1;
                }
                _ => {}
            }
            next += 1;
        }
        out.push(per_zone.clone());
    }
    (times, out)
}

/// Most zones an animation draws: a ring of more is unreadable, and a
/// national estate's thousands would not fit in memory as a picture.
const MOST_ZONES: usize = 24;

/// The zones to draw, in scenario order: all of them, or the ones the
/// trial hit hardest (then the largest), up to [`MOST_ZONES`].
fn zones_to_draw(scenario: &Scenario, counts: &[Vec<u32>], devices: &[u32]) -> Vec<usize> {
    let all = scenario.zones.len();
    if all <= MOST_ZONES {
        return (0..all).collect();
    }
    let peak = |z: usize| counts.iter().map(|c| c[z]).max().unwrap_or(0);
    let mut order: Vec<usize> = (0..all).filter(|&z| !scenario.zones[z].external).collect();
    order.sort_by_key(|&z| (std::cmp::Reverse(peak(z)), std::cmp::Reverse(devices[z]), z));
    order.truncate(MOST_ZONES);
    order.sort_unstable();
    order
}

/// The title's lines: the scenario's name wrapped at 60 characters, never cut.
fn title_lines(name: &str) -> Vec<String> {
    crate::report::wrap(name, 60)
}

/// The line under the title: the frame's instant and how many devices are
/// compromised at that instant (not how many ever were).
fn caption(t: SimTime, compromised_now: u32, shown: &str) -> String {
    format!(
        "{} — {} at this moment{shown}",
        clock(t),
        crate::numbers::count(u64::from(compromised_now), "device compromised", "devices compromised")
    )
}

/// Writes the animation as a GIF (one frame every 150 ms), each frame
/// titled with its simulated time.
///
/// # Errors
/// [`PlotError::Draw`] if the file cannot be written.
pub fn animate_zones(scenario: &Scenario, result: &TrialResult, path: &Path, frames: usize) -> Result<(), PlotError> {
    register_font_once();
    let fail = |e: String| PlotError::Draw { path: path.to_owned(), reason: e };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| fail(e.to_string()))?;
    }
    let (times, counts) = zone_shares(scenario, result, frames);
    let devices = scenario.devices_per_zone();
    let zones = zones_to_draw(scenario, &counts, &devices);
    let slot: std::collections::HashMap<usize, usize> = zones.iter().enumerate().map(|(i, &z)| (z, i)).collect();
    let names: Vec<Vec<String>> = scenario.zones.iter().map(|z| crate::report::wrap(&z.name, 24)).collect();
    let lines = zones.iter().map(|&z| names[z].len()).max().unwrap_or(1) as i32;
    let title = title_lines(&scenario.name);
    // Each line of the title below the first moves the caption and the zones down.
    let below = 26 * (title.len() as i32 - 1);
    let (bw, bh, gx, top) = (250, 44 + 19 * lines, 90, 80 + below);
    let (ring_width, ring_height, centres) = crate::report::ring_layout(zones.len(), f64::from(bw), f64::from(bh));
    let edge = |(cx, cy): (i32, i32), (tx, ty): (i32, i32)| {
        let (dx, dy) = (f64::from(tx - cx), f64::from(ty - cy));
        let scale = (f64::from(bw / 2) / dx.abs().max(1e-9)).min(f64::from(bh / 2) / dy.abs().max(1e-9)).min(1.0);
        (cx + (dx * scale) as i32, cy + (dy * scale) as i32)
    };
    let grey = RGBColor(110, 110, 110);
    let shown = if zones.len() < scenario.zones.len() {
        format!(
            " (the {} zones most hit, of {})",
            zones.len(),
            crate::numbers::with_decimals(scenario.zones.len() as f64, 0)
        )
    } else {
        String::new()
    };
    // Wide enough for the title's longest line and the longest caption.
    let longest_title = title.iter().map(|l| l.chars().count()).max().unwrap_or(0) as i32;
    let longest_caption =
        times.iter().zip(&counts).map(|(t, c)| caption(*t, c.iter().sum(), &shown).chars().count()).max().unwrap_or(0)
            as i32;
    let width = (ring_width as i32).max((longest_title * 13).max(longest_caption * 12).max(44 * 13) + 2 * gx);
    let size = (width as u32, (top + ring_height as i32) as u32);
    let shift = (width - ring_width as i32) / 2;
    let centre = |z: usize| (centres[slot[&z]].0 as i32 + shift, centres[slot[&z]].1 as i32 + top);
    let root = BitMapBackend::gif(path, size, 150).map_err(|e| fail(e.to_string()))?.into_drawing_area();
    for (t, per_zone) in times.iter().zip(&counts) {
        root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
        let total: u32 = per_zone.iter().sum();
        for (k, line) in title.iter().enumerate() {
            draw_text(&root, line, (gx, 24 + 26 * k as i32), 22, HPos::Left, VPos::Center).map_err(fail)?;
        }
        root.draw(&Text::new(caption(*t, total, &shown), (gx, 46 + below), (FONT, 20).into_font()))
            .map_err(|e| fail(e.to_string()))?;
        // Conduits as arrows, from the zone that opens connections to the one that accepts them.
        for (from, to, _) in scenario.network.conduits() {
            let (from, to) = (usize::from(from.0), usize::from(to.0));
            if !(slot.contains_key(&from) && slot.contains_key(&to)) {
                continue;
            }
            let (a, b) = (centre(from), centre(to));
            let (start, end) = (edge(a, b), edge(b, a));
            root.draw(&PathElement::new(vec![start, end], grey.stroke_width(2))).map_err(|e| fail(e.to_string()))?;
            let (dx, dy) = (f64::from(end.0 - start.0), f64::from(end.1 - start.1));
            let len = (dx * dx + dy * dy).sqrt().max(1.0);
            let (ux, uy) = (dx / len, dy / len);
            let back = (f64::from(end.0) - 14.0 * ux, f64::from(end.1) - 14.0 * uy);
            let head = vec![
                end,
                ((back.0 - 6.0 * uy) as i32, (back.1 + 6.0 * ux) as i32),
                ((back.0 + 6.0 * uy) as i32, (back.1 - 6.0 * ux) as i32),
            ];
            root.draw(&Polygon::new(head, grey.filled())).map_err(|e| fail(e.to_string()))?;
        }
        for &z in &zones {
            let (cx, cy) = centre(z);
            let share = if devices[z] > 0 { f64::from(per_zone[z]) / f64::from(devices[z]) } else { 0.0 };
            // White (untouched) to red (every device compromised).
            let fill = RGBColor(255, (255.0 * (1.0 - share)) as u8, (255.0 * (1.0 - share)) as u8);
            let border = if scenario.zones[z].external { RGBColor(150, 150, 150) } else { RGBColor(0, 114, 178) };
            let corners = [(cx - bw / 2, cy - bh / 2), (cx + bw / 2, cy + bh / 2)];
            root.draw(&Rectangle::new(corners, fill.filled())).map_err(|e| fail(e.to_string()))?;
            root.draw(&Rectangle::new(corners, border.stroke_width(2))).map_err(|e| fail(e.to_string()))?;
            for (k, line) in names[z].iter().enumerate() {
                let at = (cx - bw / 2 + 10, cy - bh / 2 + 17 + 19 * k as i32);
                draw_text(&root, line, at, 16, HPos::Left, VPos::Center).map_err(fail)?;
            }
            root.draw(&Text::new(
                format!("{} / {} compromised", per_zone[z], devices[z]),
                (cx - bw / 2 + 10, cy + bh / 2 - 26),
                (FONT, 15).into_font(),
            ))
            .map_err(|e| fail(e.to_string()))?;
        }
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_follow_the_events_not_the_clock() {
        // An outbreak of 100 compromises within two hours of a 30-day trial:
        // evenly spaced frames would put it all between frame 0 and frame 1.
        let mut events: Vec<SimTime> = (0..100u64).map(|i| SimTime(9 * 3_600_000_000 + i * 72_000_000)).collect();
        events.push(SimTime(20 * 86_400_000_000));
        let times = frame_times(&events, 48);
        assert!(times.len() >= 40, "{} frames", times.len());
        let during = times.iter().filter(|t| t.0 <= 11 * 3_600_000_000).count();
        assert!(during >= 40, "only {during} frames show the outbreak unfold");
        assert!(times.windows(2).all(|w| w[0] < w[1]), "frames move forward");
        // Few events still make a full animation.
        let few = frame_times(&[SimTime(10), SimTime(1_000_000), SimTime(5_000_000)], 48);
        assert_eq!(few.len(), 48);
        assert!(few.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(*times.last().unwrap(), SimTime(20 * 86_400_000_000), "the last frame shows the end");
    }

    #[test]
    fn a_long_title_is_wrapped_not_cut() {
        let name = "Regional hospital trust with three sites, a shared data centre and community clinics";
        let lines = title_lines(name);
        assert!(lines.len() > 1 && lines.iter().all(|l| l.chars().count() <= 60), "{lines:?}");
        assert_eq!(lines.join(" "), name, "every word is kept");
        assert!(!lines.concat().contains('…'));
        assert_eq!(title_lines("flat-ward"), ["flat-ward"]);
    }

    #[test]
    fn the_caption_counts_devices_compromised_at_the_frames_instant() {
        let at = SimTime(9 * 3_600_000_000);
        assert_eq!(caption(at, 12, ""), "Day 0, 09:00 — 12 devices compromised at this moment");
        assert_eq!(caption(at, 1, ""), "Day 0, 09:00 — 1 device compromised at this moment");
    }
}
