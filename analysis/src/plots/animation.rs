//! An animated picture of one trial: the zone graph, each zone coloured by
//! the share of its devices compromised, frame by frame. It makes the
//! difference between a flat and a segmented network visible in class.

use std::path::Path;

use iomtsim_sim::{Scenario, SimTime, Transition, TrialResult};
use plotters::prelude::*;

use super::{FONT, PlotError, register_font_once};
use crate::explain::clock;

/// Per-zone compromised counts at each of `frames` instants from the first
/// event to the last compromise or restoration (inclusive).
pub(crate) fn zone_shares(scenario: &Scenario, result: &TrialResult, frames: usize) -> (Vec<SimTime>, Vec<Vec<u32>>) {
    let spread: Vec<_> = result
        .events
        .iter()
        .filter(|e| matches!(e.transition, Some(Transition::Compromised | Transition::Restored)))
        .collect();
    let start = spread.first().map_or(SimTime::ZERO, |e| e.time);
    let end = spread.last().map_or(start, |e| e.time).max(SimTime(start.0 + 3_600_000_000));
    let frames = frames.max(2);
    let times: Vec<SimTime> =
        (0..frames).map(|i| SimTime(start.0 + (end.0 - start.0) * i as u64 / (frames as u64 - 1))).collect();
    let mut compromised = vec![false; scenario.devices.len()];
    let mut per_zone = vec![0u32; scenario.zones.len()];
    let mut out = Vec::with_capacity(frames);
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

/// Writes the animation as a GIF (one frame every 150 ms).
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
    let zones: Vec<usize> = (0..scenario.zones.len()).collect();
    let n = zones.len().max(1);
    let cols = (n as f64).sqrt().ceil() as i32;
    let rows = (n as i32 + cols - 1) / cols;
    let (bw, bh, gx, gy, top) = (190, 70, 70, 60, 70);
    let size = ((cols * (bw + gx) + gx) as u32, (top + rows * (bh + gy) + gy / 2) as u32);
    let centre = |i: usize| {
        let (c, r) = (i as i32 % cols, i as i32 / cols);
        (gx + c * (bw + gx) + bw / 2, top + r * (bh + gy) + bh / 2)
    };
    let devices = scenario.devices_per_zone();
    let root = BitMapBackend::gif(path, size, 150).map_err(|e| fail(e.to_string()))?.into_drawing_area();
    for (t, per_zone) in times.iter().zip(&counts) {
        root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
        let total: u32 = per_zone.iter().sum();
        root.draw(&Text::new(
            format!("{}: {} — {} devices compromised", scenario.name, clock(*t), total),
            (gx, 24),
            (FONT, 22).into_font(),
        ))
        .map_err(|e| fail(e.to_string()))?;
        for (from, to, _) in scenario.network.conduits() {
            let (a, b) = (centre(usize::from(from.0)), centre(usize::from(to.0)));
            root.draw(&PathElement::new(vec![a, b], RGBColor(120, 120, 120).stroke_width(2)))
                .map_err(|e| fail(e.to_string()))?;
        }
        for &z in &zones {
            let (cx, cy) = centre(z);
            let share = if devices[z] > 0 { f64::from(per_zone[z]) / f64::from(devices[z]) } else { 0.0 };
            // White (untouched) to red (every device compromised).
            let fill = RGBColor(255, (255.0 * (1.0 - share)) as u8, (255.0 * (1.0 - share)) as u8);
            let edge = if scenario.zones[z].external { RGBColor(150, 150, 150) } else { RGBColor(0, 114, 178) };
            root.draw(&Rectangle::new([(cx - bw / 2, cy - bh / 2), (cx + bw / 2, cy + bh / 2)], fill.filled()))
                .map_err(|e| fail(e.to_string()))?;
            root.draw(&Rectangle::new([(cx - bw / 2, cy - bh / 2), (cx + bw / 2, cy + bh / 2)], edge.stroke_width(2)))
                .map_err(|e| fail(e.to_string()))?;
            let name: String = scenario.zones[z].name.chars().take(24).collect();
            root.draw(&Text::new(name, (cx - bw / 2 + 8, cy - 24), (FONT, 15).into_font()))
                .map_err(|e| fail(e.to_string()))?;
            root.draw(&Text::new(
                format!("{} / {} compromised", per_zone[z], devices[z]),
                (cx - bw / 2 + 8, cy + 4),
                (FONT, 14).into_font(),
            ))
            .map_err(|e| fail(e.to_string()))?;
        }
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    Ok(())
}
