//! Where the harm lands: mean devices compromised per trial, per device
//! type or per zone, one bar per variant.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use polars::prelude::*;

use plotters::style::text_anchor::{HPos, VPos};

use super::{FONT, PlotError, colour, distinct_in_order, draw_legend_beside, draw_text, fit, render_both, tick};

/// One series' mean per group: its name and the means in group order.
type SeriesMeans = (String, Vec<f64>);

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
) -> PolarsResult<(Vec<String>, Vec<SeriesMeans>)> {
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
    let index: std::collections::HashMap<&str, usize> =
        groups.iter().enumerate().map(|(i, g)| (g.as_str(), i)).collect();
    let mut out = Vec::new();
    for variant in distinct_in_order(breakdown, series)? {
        let mut means = vec![0.0; groups.len()];
        let rows = per_trial.clone().lazy().filter(col(series).eq(lit(variant.as_str()))).collect()?;
        for (g, m) in rows.column(group)?.str()?.iter().zip(rows.column("compromised")?.f64()?.iter()) {
            if let (Some(g), Some(m)) = (g, m)
                && let Some(&i) = index.get(g)
            {
                means[i] = m;
            }
        }
        out.push((variant, means));
    }
    Ok((groups, out))
}

/// Draws mean compromised devices per group to `<stem>.svg` and `<stem>.png`:
/// one band per group, holding one bar per series, the group's name beside
/// the middle of its band, the legend beside the chart.
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
    // A national estate has thousands of zones: show the most harmed.
    let all = groups.len();
    let (groups, data) = most_harmed(groups, data, MOST_GROUPS);
    let names = display_names(breakdown, by, &groups);
    let caption = if all > groups.len() {
        format!("Mean devices compromised per trial, the {} most harmed of {all} {what}s", groups.len())
    } else {
        format!("Mean devices compromised per trial, by {what}")
    };
    let variants = data.len().max(1);
    let g = groups.len().max(1) as f64;
    let x_max = data.iter().flat_map(|(_, v)| v.iter().copied()).fold(0.0f64, f64::max).max(1.0) * 1.08;
    let height = (140 + 26 * groups.len() as u32 * variants as u32 + 10 * groups.len() as u32).max(300);
    let legend_width = 240;
    render_both!(stem, (1100, height), |root| {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (plot_area, legend_area) = root.split_horizontally(1100 - legend_width);
        let mut chart = ChartBuilder::on(&plot_area)
            .caption(caption.as_str(), (FONT, 22))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(330)
            .build_cartesian_2d(0.0..x_max, 0.0..g)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_label_formatter(&|x| tick(*x))
            .x_desc("devices compromised (mean per trial)")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .draw()
            .map_err(|e| e.to_string())?;
        // Group k (from the top) fills the band [g-k-1, g-k]; its bars share
        // the band's middle 80%, in series order from the top.
        let band_top = |k: usize| g - k as f64;
        let bar = |k: usize, vi: usize| {
            let h = 0.8 / variants as f64;
            let top = band_top(k) - 0.1 - vi as f64 * h;
            (top - h, top)
        };
        for (vi, (_, means)) in data.iter().enumerate() {
            let c = colour(vi);
            chart
                .draw_series(means.iter().enumerate().map(|(k, &m)| {
                    let (lo, hi) = bar(k, vi);
                    Rectangle::new([(0.0, lo), (m, hi)], c.filled())
                }))
                .map_err(|e| e.to_string())?;
        }
        for (k, name) in names.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(0.0, band_top(k) - 0.5));
            draw_text(&plot_area, &fit(name, 46), (x - 8, y), 13, HPos::Right, VPos::Center)?;
        }
        let names: Vec<String> = data.iter().map(|(v, _)| v.clone()).collect();
        draw_legend_beside(&legend_area, &names, 13)?;
        Ok(())
    })
}

/// Most groups a harm chart shows.
const MOST_GROUPS: usize = 30;

/// The `n` groups with the most harm in any series, in their first order.
fn most_harmed(groups: Vec<String>, data: Vec<(String, Vec<f64>)>, n: usize) -> (Vec<String>, Vec<(String, Vec<f64>)>) {
    if groups.len() <= n {
        return (groups, data);
    }
    let worst = |i: usize| data.iter().map(|(_, m)| m[i]).fold(0.0f64, f64::max);
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by(|&a, &b| worst(b).total_cmp(&worst(a)).then(a.cmp(&b)));
    let mut kept = order[..n].to_vec();
    kept.sort_unstable();
    let groups = kept.iter().map(|&i| groups[i].clone()).collect();
    let data = data.into_iter().map(|(v, m)| (v, kept.iter().map(|&i| m[i]).collect())).collect();
    (groups, data)
}

/// The names to show for each group: the scenario's names where the
/// breakdown carries them, else the ids.
fn display_names(breakdown: &DataFrame, by: HarmBy, groups: &[String]) -> Vec<String> {
    let name_column = match by {
        HarmBy::DeviceType => "device_type_name",
        HarmBy::Zone => "zone_name",
    };
    let (Ok(ids), Ok(names)) = (breakdown.column(by.column()), breakdown.column(name_column)) else {
        return groups.to_vec();
    };
    let (Ok(ids), Ok(names)) = (ids.str(), names.str()) else { return groups.to_vec() };
    let mut name_of = std::collections::HashMap::new();
    for (i, n) in ids.iter().zip(names.iter()) {
        if let (Some(i), Some(n)) = (i, n) {
            name_of.entry(i).or_insert(n);
        }
    }
    groups.iter().map(|g| name_of.get(g.as_str()).map_or_else(|| g.clone(), |n| (*n).to_owned())).collect()
}
