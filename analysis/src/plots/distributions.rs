//! How outcomes spread across trials: the empirical cumulative distribution
//! of four metrics, one panel each, one line per variant.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use polars::prelude::*;

use super::{FONT, PlotError, colour, distinct_in_order, draw_legend_beside, render_both};

/// The metrics drawn, with their axis labels.
pub const DISTRIBUTION_METRICS: &[(&str, &str)] = &[
    ("compromised", "devices compromised"),
    ("records_on_compromised_devices", "patient records on compromised devices"),
    ("downtime_device_hours", "downtime (device-hours)"),
    ("time_to_detect_h", "time to detect (hours)"),
];

/// Sorted values of `metric` per group (nulls dropped).
pub(crate) fn sorted_values(trials: &DataFrame, group: &str, metric: &str) -> PolarsResult<Vec<(String, Vec<f64>)>> {
    let mut out = Vec::new();
    for variant in distinct_in_order(trials, group)? {
        let rows = trials.clone().lazy().filter(col(group).eq(lit(variant.as_str()))).collect()?;
        let mut v: Vec<f64> = rows.column(metric)?.cast(&DataType::Float64)?.f64()?.iter().flatten().collect();
        v.sort_by(f64::total_cmp);
        out.push((variant, v));
    }
    Ok(out)
}

/// Draws the outcome distributions to `<stem>.svg` and `<stem>.png`.
///
/// # Errors
/// [`PlotError`] if the frame lacks a column or a file cannot be written.
pub fn plot_distributions(trials: &DataFrame, group: &str, stem: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let mut panels = Vec::new();
    for (metric, label) in DISTRIBUTION_METRICS {
        let data = sorted_values(trials, group, metric)
            .map_err(|source| PlotError::Data { plot: format!("distribution of {metric}"), source })?;
        panels.push((*label, data));
    }
    let names: Vec<String> =
        panels.first().map(|(_, d)| d.iter().map(|(v, _)| v.clone()).collect()).unwrap_or_default();
    render_both!(stem, (1340, 760), |root| {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let root = root
            .titled("How outcomes vary across trials (cumulative share of trials)", (FONT, 22))
            .map_err(|e| e.to_string())?;
        let (grid, legend_area) = root.split_horizontally(1100);
        for (area, (label, data)) in grid.split_evenly((2, 2)).iter().zip(&panels) {
            let x_max = data.iter().flat_map(|(_, v)| v.last().copied()).fold(0.0f64, f64::max).max(1e-9) * 1.05;
            let mut chart = ChartBuilder::on(area)
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(50)
                .build_cartesian_2d(0.0..x_max, 0.0..1.0)
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc(*label)
                .y_desc("share of trials ≤ x")
                .x_label_formatter(&|x| super::tick(*x))
                .y_label_formatter(&|y| format!("{y:.1}"))
                .label_style((FONT, 12))
                .axis_desc_style((FONT, 14))
                .draw()
                .map_err(|e| e.to_string())?;
            for (i, (_, values)) in data.iter().enumerate() {
                if values.is_empty() {
                    continue;
                }
                let c = colour(i);
                let n = values.len() as f64;
                let steps = values.iter().enumerate().flat_map(|(k, &x)| [(x, k as f64 / n), (x, (k + 1) as f64 / n)]);
                chart.draw_series(LineSeries::new(steps, c.stroke_width(2))).map_err(|e| e.to_string())?;
            }
        }
        draw_legend_beside(&legend_area, &names, 13)?;
        Ok(())
    })
}
