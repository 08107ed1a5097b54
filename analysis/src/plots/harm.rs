//! Where the harm lands: mean devices compromised per trial, per device
//! type or per zone, one bar per variant.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use polars::prelude::*;

use super::{FONT, PlotError, colour, distinct_in_order, draw_legend, render_both};

/// What the bars are grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HarmBy {
    /// One group per device type.
    DeviceType,
    /// One group per zone.
    Zone,
}

impl HarmBy {
    fn column(self) -> &'static str {
        match self {
            HarmBy::DeviceType => "device_type",
            HarmBy::Zone => "zone",
        }
    }
}

/// Mean compromised devices per trial for each (group, variant), groups in
/// order of first appearance.
pub(crate) fn mean_harm(
    breakdown: &DataFrame,
    by: HarmBy,
    series: &str,
) -> PolarsResult<(Vec<String>, Vec<(String, Vec<f64>)>)> {
    let group = by.column();
    let per_trial = breakdown
        .clone()
        .lazy()
        .group_by([col(series), col("trial"), col(group)])
        .agg([col("compromised").sum().cast(DataType::Float64)])
        .group_by([col(series), col(group)])
        .agg([col("compromised").mean()])
        .collect()?;
    let groups = distinct_in_order(breakdown, group)?;
    let mut out = Vec::new();
    for variant in distinct_in_order(breakdown, series)? {
        let mut means = vec![0.0; groups.len()];
        let rows = per_trial.clone().lazy().filter(col(series).eq(lit(variant.as_str()))).collect()?;
        for (g, m) in rows.column(group)?.str()?.iter().zip(rows.column("compromised")?.f64()?.iter()) {
            if let (Some(g), Some(m)) = (g, m)
                && let Some(i) = groups.iter().position(|x| x == g)
            {
                means[i] = m;
            }
        }
        out.push((variant, means));
    }
    Ok((groups, out))
}

/// Draws mean compromised devices per group to `<stem>.svg` and `<stem>.png`.
///
/// # Errors
/// [`PlotError`] if the frame lacks a column or a file cannot be written.
pub fn plot_harm(breakdown: &DataFrame, by: HarmBy, series: &str, stem: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let what = match by {
        HarmBy::DeviceType => "device type",
        HarmBy::Zone => "zone",
    };
    let (groups, data) = mean_harm(breakdown, by, series)
        .map_err(|source| PlotError::Data { plot: format!("harm by {what}"), source })?;
    let variants = data.len().max(1);
    let x_max = data.iter().flat_map(|(_, v)| v.iter().copied()).fold(0.0f64, f64::max).max(1.0) * 1.15;
    let height = (120 + 34 * groups.len() as u32 * variants as u32).max(300);
    render_both!(stem, (960, height), |root| {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let n = groups.len() as i32 * variants as i32;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("Mean devices compromised per trial, by {what}"), (FONT, 22))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(190)
            .build_cartesian_2d(0.0..x_max, (0..n).into_segmented())
            .map_err(|e| e.to_string())?;
        let labels = groups.clone();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n.max(1) as usize)
            .y_label_formatter(&|y| match y {
                // One label per group, beside its first bar.
                SegmentValue::CenterOf(y) if *y % variants as i32 == 0 => {
                    labels.get((*y / variants as i32) as usize).cloned().unwrap_or_default()
                }
                _ => String::new(),
            })
            .x_desc("devices compromised (mean per trial)")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .draw()
            .map_err(|e| e.to_string())?;
        for (vi, (variant, means)) in data.iter().enumerate() {
            let c = colour(vi);
            chart
                .draw_series(means.iter().enumerate().map(|(g, &m)| {
                    let y = (g * variants + vi) as i32;
                    Rectangle::new([(0.0, SegmentValue::Exact(y)), (m, SegmentValue::Exact(y + 1))], c.filled())
                }))
                .map_err(|e| e.to_string())?
                .label(variant.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], c.filled()));
        }
        draw_legend(&mut chart, 13)?;
        Ok(())
    })
}
