//! Plots drawn from a run's datasets with plotters, each written as SVG
//! (for papers and the HTML report) and PNG (for slides).
//!
//! Text is drawn with a bundled open-licence font (DejaVu Sans, registered
//! with plotters' `ab_glyph` backend), so plots render the same on a fresh
//! machine with no system fonts.

mod animation;
mod distributions;
mod harm;
mod losses;
mod matrix;
mod organisations;
mod sweep;
mod text;
mod timeseries;

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;
use polars::prelude::*;

pub use animation::animate_zones;
pub use distributions::{DISTRIBUTION_METRICS, plot_distributions};
pub use harm::{HarmBy, plot_harm};
pub use losses::plot_loss_exceedance;
pub use matrix::plot_defence_matrix;
pub use organisations::{organisations_reached, plot_organisations};
pub use sweep::plot_sweep;
pub use timeseries::plot_compromised_over_time;

use plotters::style::text_anchor::{HPos, VPos};
pub(crate) use text::draw_text;

/// The font family every plot uses.
pub(crate) const FONT: &str = "sans-serif";
pub(crate) static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

pub(crate) fn register_font_once() {
    REGISTER.call_once(|| {
        // The bundled font is a valid TrueType file; failing to parse it
        // would only leave text undrawn, which the tests would catch.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES);
        let _ = plotters::style::register_font(text::FALLBACK, FontStyle::Normal, text::FALLBACK_BYTES);
    });
}

/// Why a plot could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The datasets lack what the plot needs.
    #[error("cannot compute the data of {plot}: {source}")]
    Data {
        /// The plot.
        plot: String,
        /// What polars said.
        source: PolarsError,
    },
    /// Drawing or encoding failed.
    #[error("cannot draw {path}: {reason}")]
    Draw {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Colours of the variants, in order (colour-blind-safe Okabe–Ito palette).
pub(crate) const PALETTE: &[RGBColor] = &[
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

/// The colour of variant number `i`.
pub(crate) fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Renders the same drawing code to SVG and PNG. A macro because the
/// drawing code is generic over the backend.
macro_rules! render_both {
    ($stem:expr, $size:expr, |$root:ident| $body:block) => {{
        $crate::plots::register_font_once();
        let stem: &std::path::Path = $stem;
        let svg = stem.with_extension("svg");
        let png = stem.with_extension("png");
        let fail =
            |path: &std::path::Path, e: String| $crate::plots::PlotError::Draw { path: path.to_owned(), reason: e };
        {
            let $root = plotters::prelude::SVGBackend::new(&svg, $size).into_drawing_area();
            let r: Result<(), String> = (|| $body)();
            r.map_err(|e| fail(&svg, e))?;
            $root.present().map_err(|e| fail(&svg, e.to_string()))?;
        }
        {
            let $root = plotters::prelude::BitMapBackend::new(&png, $size).into_drawing_area();
            let r: Result<(), String> = (|| $body)();
            r.map_err(|e| fail(&png, e))?;
            $root.present().map_err(|e| fail(&png, e.to_string()))?;
        }
        Ok::<Vec<std::path::PathBuf>, $crate::plots::PlotError>(vec![svg, png])
    }};
}
pub(crate) use render_both;

/// The plots a run draws into `<dir>/plots/`, by file stem (each as SVG
/// and PNG): the files `--force` may remove.
pub const RUN_PLOTS: &[&str] = &[
    "compromised_over_time",
    "outcome_distributions",
    "harm_by_device_type",
    "harm_by_zone",
    "loss_exceedance",
    "organisations",
];

/// Every plot of a run's output folder, drawn into `<dir>/plots/`.
///
/// # Errors
/// [`PlotError`] if a dataset is missing a column or a file cannot be written.
pub fn plot_run(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let read = |name: &str| {
        crate::read_parquet(&dir.join(name))
            .map_err(|e| PlotError::Draw { path: dir.join(name), reason: e.to_string() })
    };
    let trials = read("trials.parquet")?;
    let timeseries = read("timeseries.parquet")?;
    let breakdown = read("breakdown.parquet")?;
    let out = dir.join("plots");
    std::fs::create_dir_all(&out).map_err(|e| PlotError::Draw { path: out.clone(), reason: e.to_string() })?;
    let [over_time, distributions, by_type, by_zone, losses, organisations] = RUN_PLOTS else {
        unreachable!("six run plots")
    };
    let mut files = plot_compromised_over_time(&timeseries, "variant", &out.join(over_time))?;
    files.extend(plot_distributions(&trials, "variant", &out.join(distributions))?);
    files.extend(plot_harm(&breakdown, HarmBy::DeviceType, "variant", &out.join(by_type))?);
    files.extend(plot_harm(&breakdown, HarmBy::Zone, "variant", &out.join(by_zone))?);
    if trials.column(crate::money::TOTAL).is_ok() {
        let currency = crate::read_json::<crate::RunManifest>(&dir.join("run.json"))
            .ok()
            .and_then(|m| m.metrics.into_iter().find(|m| m.column == crate::money::TOTAL).map(|m| m.unit))
            .unwrap_or_default();
        files.extend(plot_loss_exceedance(&trials, "variant", &currency, "trial", &out.join(losses))?);
    }
    files.extend(plot_organisations(&breakdown, &out.join(organisations))?);
    Ok(files)
}

/// Draws a legend in its own area beside a chart, so that it never covers
/// what the chart shows: one coloured square and name per series.
pub(crate) fn draw_legend_beside<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    names: &[String],
    font_size: u32,
) -> Result<(), String> {
    for (i, name) in names.iter().enumerate() {
        let y = 60 + i as i32 * (font_size as i32 + 10);
        let c = colour(i);
        area.draw(&Rectangle::new([(8, y - 6), (24, y + 6)], c.filled())).map_err(|e| e.to_string())?;
        draw_text(area, &fit(name, 28), (32, y), font_size, HPos::Left, VPos::Center)?;
    }
    Ok(())
}

/// A tick label as a reader would write it: whole numbers without ".0",
/// thousands as "50k", millions as "1.2M".
pub(crate) fn tick(x: f64) -> String {
    let a = x.abs();
    let trimmed =
        |s: String| if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_owned() } else { s };
    if a >= 1e6 {
        format!("{}M", trimmed(format!("{:.1}", x / 1e6)))
    } else if a >= 1e4 {
        format!("{}k", trimmed(format!("{:.1}", x / 1e3)))
    } else if a >= 10.0 || x.fract() == 0.0 {
        crate::numbers::with_decimals(x, 0)
    } else {
        trimmed(format!("{x:.2}"))
    }
}

/// A name shortened to `n` characters at most, marked when shortened.
pub(crate) fn fit(name: &str, n: usize) -> String {
    if name.chars().count() <= n {
        name.to_owned()
    } else {
        format!("{}…", name.chars().take(n - 1).collect::<String>())
    }
}

/// The distinct values of a string column, in order of first appearance.
pub(crate) fn distinct_in_order(df: &DataFrame, column: &str) -> PolarsResult<Vec<String>> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<String> = Vec::new();
    for v in df.column(column)?.str()?.iter().flatten() {
        if seen.insert(v) {
            out.push(v.to_owned());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeseries() -> DataFrame {
        // Two variants, three trials each, sampled at 0 h and 1 h; at 1 h
        // variant "a" has 10, 20, 30 compromised and "b" has 1, 2, 3.
        df!(
            "variant" => ["a", "a", "a", "a", "a", "a", "b", "b", "b", "b", "b", "b"],
            "trial" => [0u32, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2],
            "time_h" => [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0],
            "compromised_now" => [1u32, 10, 1, 20, 1, 30, 1, 1, 1, 2, 1, 3],
        )
        .unwrap()
    }

    #[test]
    fn ticks_read_as_numbers_do() {
        assert_eq!(tick(50_000.0), "50k");
        assert_eq!(tick(150_000.0), "150k");
        assert_eq!(tick(1_300_000.0), "1.3M");
        assert_eq!(tick(2_000_000.0), "2M");
        assert_eq!(tick(400.0), "400");
        assert_eq!(tick(1500.0), "1,500");
        assert_eq!(tick(0.25), "0.25");
        assert_eq!(tick(3.0), "3");
    }

    #[test]
    fn bands_are_the_quantiles_across_trials() {
        let b = timeseries::bands(&timeseries(), "variant", "compromised_now").unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].0, "a");
        let (t, lo, mid, hi) = b[0].1[1];
        assert_eq!(t, 1.0);
        assert_eq!(mid, 20.0);
        assert!((lo - 11.0).abs() < 1e-9 && (hi - 29.0).abs() < 1e-9, "{lo} {hi}");
        assert_eq!(b[1].1[1].2, 2.0);
    }

    #[test]
    fn the_time_series_plot_draws_a_band_and_a_median_per_variant() {
        let dir = tempfile::tempdir().unwrap();
        let files = plot_compromised_over_time(&timeseries(), "variant", &dir.path().join("ts")).unwrap();
        assert_eq!(files.len(), 2);
        let svg = std::fs::read_to_string(dir.path().join("ts.svg")).unwrap();
        assert!(svg.contains("a (median)") && svg.contains("b (median)"), "legend names every variant");
        assert_eq!(svg.matches("<polygon").count(), 2, "one 5–95% band per variant");
        assert!(svg.matches("<polyline").count() >= 2, "one median line per variant");
        assert!(svg.contains("Compromised devices over time"));
        let png = std::fs::read(dir.path().join("ts.png")).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        // Tick labels read as numbers: no "10.0", no numbers run together.
        let texts: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| t.split('>').nth(1))
            .map(|t| t.split('<').next().unwrap_or("").trim())
            .collect();
        for t in &texts {
            assert!(!t.ends_with(".0"), "tick {t:?}");
            assert!(t.matches('.').count() <= 1, "numbers run together: {t:?}");
        }
    }

    #[test]
    fn harm_bars_are_mean_compromised_per_trial_by_group() {
        let breakdown = df!(
            "variant" => ["a", "a", "a", "a"],
            "trial" => [0u32, 0, 1, 1],
            "zone" => ["ward", "ward", "ward", "icu"],
            "device_type" => ["pump", "pc", "pump", "pump"],
            "devices" => [5u32, 5, 5, 5],
            "compromised" => [2u32, 4, 0, 3],
            "disrupted" => [0u32, 0, 0, 0],
            "downtime_device_hours" => [0.0, 0.0, 0.0, 0.0],
        )
        .unwrap();
        let (groups, data) = harm::mean_harm(&breakdown, HarmBy::DeviceType, "variant").unwrap();
        assert_eq!(groups, ["pump", "pc"]);
        // pump: (2) in trial 0, (0 + 3) in trial 1: mean 2.5; pc: 4 in trial 0 only: mean over its trials 4.
        assert_eq!(data[0].1, vec![2.5, 4.0]);
        let dir = tempfile::tempdir().unwrap();
        plot_harm(&breakdown, HarmBy::Zone, "variant", &dir.path().join("z")).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("z.svg")).unwrap();
        let texts: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| t.split('>').nth(1))
            .map(|t| t.split('<').next().unwrap_or("").trim())
            .collect();
        assert!(texts.contains(&"ward") && texts.contains(&"icu"), "every zone is labelled: {texts:?}");
        assert!(svg.matches("<rect").count() >= 3, "one bar per zone, and a background");
    }

    /// The value of attribute `name` in an SVG element's text.
    fn attr(element: &str, name: &str) -> Option<f64> {
        let key = format!(" {name}=\"");
        let at = element.find(&key)? + key.len();
        element[at..].split('"').next()?.parse().ok()
    }

    #[test]
    fn grouped_bars_sit_on_their_own_label_and_the_legend_covers_none() {
        // Three designs, three zones: every design's bar for a zone must sit
        // in that zone's band, beside its label, however many designs there are.
        let mut rows: Vec<(&str, u32, &str, u32)> = Vec::new();
        for (v, scale) in [("flat", 3u32), ("vlan", 2), ("zones", 1)] {
            for (z, n) in [("wards", 10u32), ("servers", 4), ("imaging", 7)] {
                rows.push((v, 0, z, n * scale));
            }
        }
        let breakdown = df!(
            "design" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            "trial" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            "zone" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            "zone_name" => rows.iter().map(|r| format!("{} zone", r.2)).collect::<Vec<_>>(),
            "device_type" => rows.iter().map(|_| "pc").collect::<Vec<_>>(),
            "devices" => rows.iter().map(|_| 50u32).collect::<Vec<_>>(),
            "compromised" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        plot_harm(&breakdown, HarmBy::Zone, "design", &dir.path().join("z")).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("z.svg")).unwrap();
        // The labels: zone names, at their vertical centre.
        let labels: Vec<(String, f64)> = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| {
                let body = t.split('>').nth(1)?.split('<').next()?.trim().to_owned();
                (body.ends_with(" zone") && !body.starts_with("Mean")).then(|| (body, attr(t, "y").unwrap()))
            })
            .collect();
        assert_eq!(
            labels.iter().map(|l| l.0.as_str()).collect::<Vec<_>>(),
            ["wards zone", "servers zone", "imaging zone"]
        );
        let rects: Vec<(String, f64, f64, f64, f64)> = svg
            .split("<rect")
            .skip(1)
            .filter_map(|r| {
                let fill = r.split("fill=\"").nth(1)?.split('"').next()?.to_owned();
                Some((fill, attr(r, "x")?, attr(r, "y")?, attr(r, "width")?, attr(r, "height")?))
            })
            .collect();
        let legend_x = rects.iter().filter(|r| r.4 <= 13.0 && r.3 <= 17.0).map(|r| r.1).fold(f64::INFINITY, f64::min);
        for (vi, expected) in [[30.0, 12.0, 21.0], [20.0, 8.0, 14.0], [10.0, 4.0, 7.0]].iter().enumerate() {
            let c = colour(vi);
            let hex = format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
            let mut bars: Vec<&(String, f64, f64, f64, f64)> =
                rects.iter().filter(|r| r.0.eq_ignore_ascii_case(&hex) && r.1 < legend_x).collect();
            bars.sort_by(|a, b| a.2.total_cmp(&b.2));
            assert_eq!(bars.len(), 3, "design {vi}: one bar per zone");
            for (k, b) in bars.iter().enumerate() {
                let centre = b.2 + b.4 / 2.0;
                let nearest = labels
                    .iter()
                    .enumerate()
                    .min_by(|x, y| (x.1.1 - centre).abs().total_cmp(&(y.1.1 - centre).abs()))
                    .unwrap()
                    .0;
                assert_eq!(nearest, k, "design {vi}'s bar for {} sits beside {}", labels[k].0, labels[nearest].0);
            }
            // Longer bars for larger means, in the zone order of the labels.
            let widths: Vec<f64> = bars.iter().map(|b| b.3).collect();
            let ratio = widths[0] / expected[0];
            for (w, e) in widths.iter().zip(expected.iter()) {
                assert!((w / e - ratio).abs() < 0.05 * ratio, "{widths:?} vs {expected:?}");
            }
            // The legend lies beside the bars, never over them.
            assert!(bars.iter().all(|b| b.1 + b.3 < legend_x), "a bar reaches under the legend");
        }
    }
}
