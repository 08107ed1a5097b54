//! Compromised devices over time: the median and the 5–95% band across
//! trials, one colour per variant.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use polars::prelude::*;

use super::{FONT, PlotError, colour, distinct_in_order, draw_legend_beside, render_both};

/// One variant's band: (time in hours, 5th percentile, median, 95th percentile).
pub(crate) type Band = Vec<(f64, f64, f64, f64)>;

/// The bands of every group (variant or design) of a `timeseries` frame,
/// computed with polars.
pub(crate) fn bands(timeseries: &DataFrame, group: &str, metric: &str) -> PolarsResult<Vec<(String, Band)>> {
    let q = |p: f64| col(metric).cast(DataType::Float64).quantile(lit(p), QuantileMethod::Linear);
    let stats = timeseries
        .clone()
        .lazy()
        .group_by([col(group), col("time_h")])
        .agg([q(0.05).alias("p05"), q(0.5).alias("p50"), q(0.95).alias("p95")])
        .sort([group, "time_h"], Default::default())
        .collect()?;
    let mut out = Vec::new();
    for variant in distinct_in_order(timeseries, group)? {
        let rows = stats.clone().lazy().filter(col(group).eq(lit(variant.as_str()))).collect()?;
        let f = |c: &str| -> PolarsResult<Vec<f64>> { Ok(rows.column(c)?.f64()?.into_no_null_iter().collect()) };
        let (t, lo, mid, hi) = (f("time_h")?, f("p05")?, f("p50")?, f("p95")?);
        out.push((variant, (0..t.len()).map(|i| (t[i], lo[i], mid[i], hi[i])).collect()));
    }
    Ok(out)
}

/// Draws the devices compromised at each moment to `<stem>.svg` and
/// `<stem>.png`, one colour per value of the `group` column.
///
/// # Errors
/// [`PlotError`] if the frame lacks a column or a file cannot be written.
pub fn plot_compromised_over_time(timeseries: &DataFrame, group: &str, stem: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let data = bands(timeseries, group, "compromised_now")
        .map_err(|source| PlotError::Data { plot: "compromised over time".into(), source })?;
    let t_max = data.iter().flat_map(|(_, b)| b.iter().map(|r| r.0)).fold(1.0f64, f64::max);
    let y_max = data.iter().flat_map(|(_, b)| b.iter().map(|r| r.3)).fold(1.0f64, f64::max) * 1.1;
    let (t_max, unit, scale) = if t_max > 72.0 { (t_max / 24.0, "days", 24.0) } else { (t_max, "hours", 1.0) };
    render_both!(stem, (1160, 540), |root| {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (plot_area, legend_area) = root.split_horizontally(920);
        let mut chart = ChartBuilder::on(&plot_area)
            .caption("Compromised devices over time (median, 5–95% of trials)", (FONT, 22))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..t_max, 0.0..y_max)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(format!("time since the trial started ({unit})"))
            .y_desc("devices compromised at that moment")
            .x_label_formatter(&|x| super::tick(*x))
            .y_label_formatter(&|y| super::tick(*y))
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, (_, band)) in data.iter().enumerate() {
            let c = colour(i);
            let mut area: Vec<(f64, f64)> = band.iter().map(|r| (r.0 / scale, r.3)).collect();
            area.extend(band.iter().rev().map(|r| (r.0 / scale, r.1)));
            chart.draw_series(std::iter::once(Polygon::new(area, c.mix(0.2).filled()))).map_err(|e| e.to_string())?;
            chart
                .draw_series(LineSeries::new(band.iter().map(|r| (r.0 / scale, r.2)), c.stroke_width(3)))
                .map_err(|e| e.to_string())?;
        }
        let names: Vec<String> = data.iter().map(|(v, _)| format!("{v} (median)")).collect();
        draw_legend_beside(&legend_area, &names, 14)?;
        Ok(())
    })
}
