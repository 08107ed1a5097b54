//! The loss-exceedance curve: for each loss on the horizontal axis, the
//! share of trials that lost more. The tail a board must survive reads off
//! it directly: where a curve crosses "1 in 20" is the bad year's loss.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use polars::prelude::*;

use super::distributions::sorted_values;
use super::{FONT, PlotError, colour, draw_legend_beside, draw_text, render_both};
use crate::money::TOTAL;

/// Draws the loss-exceedance curve of `trials`' `loss_total`, one line per
/// value of `group`, to `<stem>.svg` and `<stem>.png`. `period` names what
/// a trial stands for ("year" when a trial is a year of the hospital's life,
/// else "trial").
///
/// # Errors
/// [`PlotError`] if the frame lacks the column or a file cannot be written.
pub fn plot_loss_exceedance(
    trials: &DataFrame,
    group: &str,
    currency: &str,
    period: &str,
    stem: &Path,
) -> Result<Vec<PathBuf>, PlotError> {
    let data = sorted_values(trials, group, TOTAL)
        .map_err(|source| PlotError::Data { plot: "loss-exceedance curve".into(), source })?;
    let names: Vec<String> = data.iter().map(|(v, _)| v.clone()).collect();
    let x_max = data.iter().flat_map(|(_, v)| v.last().copied()).fold(0.0f64, f64::max).max(1.0) * 1.05;
    // A logarithmic share axis, so the tail (1 in 20, 1 in 100) is as
    // readable as the middle; it stops just below one trial in the largest
    // group, where a curve that reaches zero leaves the chart.
    let trials = data.iter().map(|(_, v)| v.len()).max().unwrap_or(1).max(1) as f64;
    let floor = (0.5 / trials).min(0.005);
    render_both!(stem, (1100, 620), |root| {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let root = root
            .titled(&format!("How often a {period} loses more than a given sum (loss-exceedance curve)"), (FONT, 22))
            .map_err(|e| e.to_string())?;
        let (chart_area, legend_area) = root.split_horizontally(860);
        let mut chart = ChartBuilder::on(&chart_area)
            .margin(16)
            .x_label_area_size(46)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..x_max, (floor..1.0).log_scale())
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(format!("loss in a {period} ({currency})"))
            .y_desc(format!("share of {period}s losing more"))
            .x_label_formatter(&|x| super::tick(*x))
            .y_label_formatter(&|y| {
                if *y >= 0.1 {
                    format!("{y:.1}")
                } else {
                    let s = format!("{y:.4}");
                    s.trim_end_matches('0').to_owned()
                }
            })
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .draw()
            .map_err(|e| e.to_string())?;
        for (share, label) in [(0.05, "1 in 20"), (0.01, "1 in 100")] {
            chart
                .draw_series(LineSeries::new([(0.0, share), (x_max, share)], BLACK.mix(0.35).stroke_width(1)))
                .map_err(|e| e.to_string())?;
            let (x, y) = chart.backend_coord(&(x_max, share));
            draw_text(&chart_area, label, (x - 4, y - 16), 12, HPos::Right, VPos::Bottom)?;
        }
        for (i, (_, values)) in data.iter().enumerate() {
            if values.is_empty() {
                continue;
            }
            let n = values.len() as f64;
            // Above each sorted loss, the share of trials that lost more.
            let share = |above: f64| (above / n).max(floor);
            let steps = values
                .iter()
                .enumerate()
                .flat_map(|(k, &x)| [(x, share(n - k as f64)), (x, share(n - k as f64 - 1.0))])
                .chain(std::iter::once((x_max, floor)));
            chart
                .draw_series(LineSeries::new(std::iter::once((0.0, 1.0)).chain(steps), colour(i).stroke_width(2)))
                .map_err(|e| e.to_string())?;
        }
        draw_legend_beside(&legend_area, &names, 13)?;
        Ok(())
    })
}
