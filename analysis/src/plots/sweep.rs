//! A sweep's plots: for each outcome, its mean against each swept
//! parameter with the 95% band (a one-parameter grid, or each parameter of
//! a one-at-a-time design); a heat map over a two-parameter grid; and for a
//! one-at-a-time design, a tornado chart of how far each parameter moves
//! the outcome from the scenario as written.

use std::path::{Path, PathBuf};

use iomtsim_sim::sweep::{Cell, Sweep, SweepDesign};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{FONT, PlotError, colour, draw_text, fit, render_both, tick};
use crate::workflow::CellSummary;

/// Draws every plot the sweep's design allows into `dir`.
///
/// # Errors
/// [`PlotError`] if a file cannot be written.
pub fn plot_sweep(sweep: &Sweep, summaries: &[CellSummary], dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let mut outcomes: Vec<&str> = Vec::new();
    for s in summaries {
        if !outcomes.contains(&s.outcome.as_str()) {
            outcomes.push(&s.outcome);
        }
    }
    let mut files = Vec::new();
    let find = |cell: &Cell, outcome: &str| summaries.iter().find(|s| s.cell == cell.index && s.outcome == outcome);
    let n = sweep.parameters.len();
    for outcome in &outcomes {
        match (sweep.design, n) {
            (SweepDesign::Grid, 2) => {
                let (a, b) = (&sweep.parameters[0], &sweep.parameters[1]);
                let mut grid = vec![vec![f64::NAN; b.values.len()]; a.values.len()];
                for cell in &sweep.cells {
                    if let (Some(i), Some(j), Some(s)) = (cell.choice[0], cell.choice[1], find(cell, outcome)) {
                        grid[i][j] = s.mean;
                    }
                }
                let labels = |p: &iomtsim_sim::sweep::Parameter| p.values.iter().map(ToString::to_string).collect();
                files.extend(heat_map(
                    outcome,
                    (&a.path, labels(a)),
                    (&b.path, labels(b)),
                    &grid,
                    &dir.join(format!("{outcome}_heatmap")),
                )?);
            }
            (SweepDesign::Grid, 1) | (SweepDesign::OneAtATime, _) => {
                for (i, p) in sweep.parameters.iter().enumerate() {
                    let numeric = p.values.iter().all(|v| v.as_f64().is_some());
                    let points: Vec<(String, f64, f64, f64, Option<f64>)> = sweep
                        .cells
                        .iter()
                        .filter(|c| c.choice.iter().enumerate().all(|(k, v)| (k == i) == v.is_some()))
                        .filter_map(|c| {
                            let s = find(c, outcome)?;
                            let v = c.choice[i]?;
                            let x = if numeric { p.values[v].as_f64() } else { None };
                            Some((p.values[v].to_string(), s.mean, s.interval.0, s.interval.1, x))
                        })
                        .collect();
                    files.extend(line_with_band(outcome, &p.path, &points, &dir.join(format!("{outcome}_by_{i}")))?);
                }
                if sweep.design == SweepDesign::OneAtATime
                    && let Some(base) = sweep.cells.first().and_then(|c| find(c, outcome))
                {
                    let bars: Vec<(String, f64, f64)> = sweep
                        .parameters
                        .iter()
                        .enumerate()
                        .map(|(i, p)| {
                            let means: Vec<f64> = sweep
                                .cells
                                .iter()
                                .filter(|c| c.choice[i].is_some())
                                .filter_map(|c| find(c, outcome).map(|s| s.mean))
                                .collect();
                            let lo = means.iter().copied().fold(f64::INFINITY, f64::min);
                            let hi = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                            (p.path.clone(), lo, hi)
                        })
                        .collect();
                    files.extend(tornado(outcome, base.mean, bars, &dir.join(format!("{outcome}_tornado")))?);
                }
            }
            _ => {}
        }
    }
    Ok(files)
}

/// An outcome's mean against one parameter's values, with its 95% band:
/// at the values themselves where they are numbers, else evenly spaced.
fn line_with_band(
    outcome: &str,
    parameter: &str,
    points: &[(String, f64, f64, f64, Option<f64>)],
    stem: &Path,
) -> Result<Vec<PathBuf>, PlotError> {
    let numeric = !points.is_empty() && points.iter().all(|p| p.4.is_some());
    let xs: Vec<f64> =
        points.iter().enumerate().map(|(i, p)| if numeric { p.4.unwrap_or(0.0) } else { i as f64 }).collect();
    let (x_lo, x_hi) = if numeric {
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let pad = ((hi - lo) * 0.05).max(1e-9);
        (lo - pad, hi + pad)
    } else {
        (-0.2, points.len().saturating_sub(1).max(1) as f64 + 0.2)
    };
    let finite = |x: &f64| x.is_finite();
    let y_max = points.iter().flat_map(|p| [p.1, p.3]).filter(finite).fold(0.0f64, f64::max).max(1e-9) * 1.1;
    let y_min = points.iter().flat_map(|p| [p.1, p.2]).filter(finite).fold(0.0f64, f64::min);
    let labels: Vec<String> = points.iter().map(|p| p.0.clone()).collect();
    render_both!(stem, (900, 560), |root| {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("{outcome} against {parameter} (mean and 95% interval)"), (FONT, 20))
            .margin(18)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(x_lo..x_hi, y_min..y_max)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_labels(if numeric { 8 } else { points.len().max(2) })
            .x_label_formatter(&|x| {
                if numeric {
                    return tick(*x);
                }
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| tick(*y))
            .x_desc(fit(parameter, 60))
            .y_desc(outcome)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .draw()
            .map_err(|e| e.to_string())?;
        let c = colour(0);
        let band: Vec<(f64, f64)> = points
            .iter()
            .zip(&xs)
            .map(|(p, x)| (*x, p.3))
            .chain(points.iter().zip(&xs).rev().map(|(p, x)| (*x, p.2)))
            .filter(|(_, y)| y.is_finite())
            .collect();
        chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.2).filled()))).map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(points.iter().zip(&xs).map(|(p, x)| (*x, p.1)), c.stroke_width(2)))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(points.iter().zip(&xs).map(|(p, x)| Circle::new((*x, p.1), 4, c.filled())))
            .map_err(|e| e.to_string())?;
        Ok(())
    })
}

/// A heat map of an outcome's mean over a two-parameter grid.
fn heat_map(
    outcome: &str,
    (a_name, a): (&str, Vec<String>),
    (b_name, b): (&str, Vec<String>),
    grid: &[Vec<f64>],
    stem: &Path,
) -> Result<Vec<PathBuf>, PlotError> {
    let values: Vec<f64> = grid.iter().flatten().copied().filter(|x| x.is_finite()).collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (left, top, w, h) = (190i32, 90i32, 90i32, 44i32);
    let width = (left + w * b.len() as i32 + 60).max(640) as u32;
    let height = (top + h * a.len() as i32 + 90) as u32;
    render_both!(stem, (width, height), |root| {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        draw_text(&root, &format!("Mean {outcome} over the grid"), (16, 14), 18, HPos::Left, VPos::Top)?;
        draw_text(&root, &fit(b_name, 70), (left, top - 40), 13, HPos::Left, VPos::Center)?;
        draw_text(&root, &fit(a_name, 28), (16, top - 16), 13, HPos::Left, VPos::Center)?;
        for (j, label) in b.iter().enumerate() {
            draw_text(&root, label, (left + w * j as i32 + w / 2, top - 14), 12, HPos::Center, VPos::Center)?;
        }
        for (i, label) in a.iter().enumerate() {
            let y = top + h * i as i32;
            draw_text(&root, label, (left - 10, y + h / 2), 12, HPos::Right, VPos::Center)?;
            for (j, v) in grid[i].iter().enumerate() {
                let x = left + w * j as i32;
                let share = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
                let c = if v.is_finite() {
                    let mix = |x: u8| (255.0 - (255.0 - f64::from(x)) * (0.1 + 0.9 * share)).round() as u8;
                    RGBColor(mix(213), mix(94), mix(0))
                } else {
                    RGBColor(225, 225, 225)
                };
                root.draw(&Rectangle::new([(x, y), (x + w - 2, y + h - 2)], c.filled())).map_err(|e| e.to_string())?;
                draw_text(&root, &tick(*v), (x + w / 2, y + h / 2), 12, HPos::Center, VPos::Center)?;
            }
        }
        draw_text(
            &root,
            "Deeper colour: higher mean. Every cell ran the same trials.",
            (16, top + h * a.len() as i32 + 24),
            12,
            HPos::Left,
            VPos::Top,
        )?;
        Ok(())
    })
}

/// A tornado chart: for each parameter, the range of the outcome's mean
/// over its values, around the scenario as written, widest first.
fn tornado(
    outcome: &str,
    base: f64,
    mut bars: Vec<(String, f64, f64)>,
    stem: &Path,
) -> Result<Vec<PathBuf>, PlotError> {
    bars.retain(|b| b.1.is_finite() && b.2.is_finite());
    bars.sort_by(|x, y| (y.2 - y.1).total_cmp(&(x.2 - x.1)));
    let lo = bars.iter().map(|b| b.1).fold(base, f64::min);
    let hi = bars.iter().map(|b| b.2).fold(base, f64::max);
    let pad = ((hi - lo) * 0.08).max(1e-9);
    let k = bars.len().max(1) as f64;
    let height = (140 + 44 * bars.len() as u32).max(300);
    render_both!(stem, (1000, height), |root| {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("How far each parameter moves {outcome} (one at a time)"), (FONT, 20))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(300)
            .build_cartesian_2d((lo - pad)..(hi + pad), 0.0..k)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_label_formatter(&|x| tick(*x))
            .x_desc(format!("mean {outcome}"))
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let top = k - i as f64 - 0.15;
                Rectangle::new([(b.1, top - 0.7), (b.2, top)], colour(0).filled())
            }))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(std::iter::once(PathElement::new(vec![(base, 0.0), (base, k)], BLACK.stroke_width(2))))
            .map_err(|e| e.to_string())?;
        for (i, b) in bars.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(lo - pad, k - i as f64 - 0.5));
            draw_text(&root, &fit(&b.0, 40), (x - 8, y), 13, HPos::Right, VPos::Center)?;
        }
        Ok(())
    })
}
