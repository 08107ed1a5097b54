//! Organisations at a glance, for estates of many (a national health
//! service): a map of the estate in which each organisation is a tile whose
//! area is its number of devices (a squarified treemap, largest first),
//! coloured by the share of trials in which the attack took at least one of
//! its devices.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use polars::prelude::*;

use plotters::style::text_anchor::{HPos, VPos};

use super::{PlotError, draw_text, render_both};
use crate::numbers::with_decimals;

/// One organisation's size and outcome over the trials.
#[derive(Clone, Debug, PartialEq)]
pub struct OrganisationOutcome {
    /// Its id.
    pub organisation: String,
    /// Its devices.
    pub devices: u32,
    /// Share of trials in which at least one of its devices was compromised.
    pub infected_share: f64,
    /// Share of trials in which at least one was disrupted.
    pub disrupted_share: f64,
}

/// Per organisation and trial: its devices, and how many were compromised
/// and disrupted (`None` when the breakdown names no organisation column).
fn per_organisation_and_trial(breakdown: &DataFrame) -> Option<LazyFrame> {
    breakdown.column("organisation").ok()?;
    Some(
        breakdown
            .clone()
            .lazy()
            .filter(col("organisation").neq(lit("")))
            .group_by([col("organisation"), col("trial")])
            .agg([col("devices").sum(), col("compromised").sum(), col("disrupted").sum()]),
    )
}

/// Each organisation's size and outcome, from `breakdown.parquet` (empty
/// when the scenario's zones name no organisation), largest first.
///
/// # Errors
/// If the frame lacks the breakdown's columns.
pub fn organisation_outcomes(breakdown: &DataFrame) -> PolarsResult<Vec<OrganisationOutcome>> {
    let Some(per_trial) = per_organisation_and_trial(breakdown) else { return Ok(Vec::new()) };
    let per = per_trial
        .group_by([col("organisation")])
        .agg([
            col("devices").max().alias("devices"),
            col("compromised").gt(lit(0)).cast(DataType::Float64).mean().alias("infected"),
            col("disrupted").gt(lit(0)).cast(DataType::Float64).mean().alias("disrupted"),
        ])
        .sort_by_exprs(
            [col("devices"), col("organisation")],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .collect()?;
    let ids = per.column("organisation")?.str()?;
    let devices = per.column("devices")?.cast(&DataType::UInt32)?;
    let devices = devices.u32()?;
    let infected = per.column("infected")?.f64()?;
    let disrupted = per.column("disrupted")?.f64()?;
    Ok((0..per.height())
        .map(|i| OrganisationOutcome {
            organisation: ids.get(i).unwrap_or_default().to_owned(),
            devices: devices.get(i).unwrap_or(0),
            infected_share: infected.get(i).unwrap_or(0.0),
            disrupted_share: disrupted.get(i).unwrap_or(0.0),
        })
        .collect())
}

/// Two rows for the run's summary when the scenario's zones name
/// organisations: how many organisations had a device compromised, and how
/// many had one disrupted, per trial (none otherwise).
///
/// # Errors
/// If the frame lacks the breakdown's columns.
pub fn organisations_reached(breakdown: &DataFrame) -> PolarsResult<Vec<crate::summary::MetricSummary>> {
    let Some(per_trial) = per_organisation_and_trial(breakdown) else { return Ok(Vec::new()) };
    let per_trial = per_trial
        .group_by([col("trial")])
        .agg([
            col("compromised").gt(lit(0)).cast(DataType::Float64).sum().alias("compromised"),
            col("disrupted").gt(lit(0)).cast(DataType::Float64).sum().alias("disrupted"),
            col("organisation").n_unique().alias("organisations"),
        ])
        .sort(["trial"], SortMultipleOptions::default())
        .collect()?;
    if per_trial.height() == 0 {
        return Ok(Vec::new());
    }
    let of = per_trial.column("organisations")?.cast(&DataType::Float64)?.f64()?.max().unwrap_or(0.0);
    let row = |column: &str, what: &str| -> PolarsResult<crate::summary::MetricSummary> {
        let values: Vec<Option<f64>> = per_trial.column(column)?.f64()?.iter().collect();
        let info = crate::MetricInfo {
            column: format!("organisations_{column}"),
            label: format!("organisations with a device {what} (of {})", with_decimals(of, 0)),
            description: format!("organisations with at least one device {what}, per trial"),
            unit: "organisations".into(),
            better: "lower".into(),
            kind: "count".into(),
            bookkeeping: false,
            source: String::new(),
        };
        Ok(crate::summary::summarize_values(&info, &values))
    };
    Ok(vec![row("compromised", "compromised")?, row("disrupted", "disrupted")?])
}

/// A share of trials as a colour: pale grey at 0, through orange, to dark
/// red at 1.
fn heat(share: f64) -> RGBColor {
    let stops = [(0.0, (220.0, 220.0, 220.0)), (0.5, (230.0, 159.0, 0.0)), (1.0, (150.0, 20.0, 20.0))];
    let s = share.clamp(0.0, 1.0);
    let (lo, hi) = if s <= 0.5 { (stops[0], stops[1]) } else { (stops[1], stops[2]) };
    let t = (s - lo.0) / (hi.0 - lo.0);
    let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(mix(lo.1.0, hi.1.0), mix(lo.1.1, hi.1.1), mix(lo.1.2, hi.1.2))
}

/// Draws the organisations to `<stem>.svg` and `<stem>.png`, or nothing
/// when the scenario's zones name no organisation.
///
/// # Errors
/// [`PlotError`] if the frame lacks a column or a file cannot be written.
pub fn plot_organisations(breakdown: &DataFrame, stem: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let orgs =
        organisation_outcomes(breakdown).map_err(|source| PlotError::Data { plot: "organisations".into(), source })?;
    if orgs.is_empty() {
        return Ok(Vec::new());
    }
    let (width, height) = (1100u32, 900u32);
    let map = Tile { x: 30.0, y: 80.0, w: f64::from(width) - 60.0, h: f64::from(height) - 190.0 };
    let sizes: Vec<f64> = orgs.iter().map(|o| f64::from(o.devices.max(1))).collect();
    let tiles = squarify(&sizes, map);
    let infected = orgs.iter().filter(|o| o.infected_share > 0.0).count();
    let mean_infected: f64 = orgs.iter().map(|o| o.infected_share).sum();
    let n = orgs.len() as f64;
    render_both!(stem, (width, height), |root| {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let title = format!(
            "{} organisations, each a tile as large as its estate, coloured by how often the attack reached it",
            with_decimals(n, 0)
        );
        draw_text(&root, &title, (30, 28), 17, HPos::Left, VPos::Center)?;
        let sub = format!(
            "a mean of {} organisations infected per trial; {} infected in at least one trial",
            with_decimals(mean_infected, 1),
            with_decimals(infected as f64, 0)
        );
        draw_text(&root, &sub, (30, 54), 14, HPos::Left, VPos::Center)?;
        for (o, t) in orgs.iter().zip(&tiles) {
            let (x0, y0) = (t.x.round() as i32, t.y.round() as i32);
            let (x1, y1) = ((t.x + t.w).round() as i32, (t.y + t.h).round() as i32);
            root.draw(&Rectangle::new([(x0, y0), (x1.max(x0 + 1), y1.max(y0 + 1))], heat(o.infected_share).filled()))
                .map_err(|e| e.to_string())?;
            // Outline tiles large enough to tell apart.
            if t.w >= 4.0 && t.h >= 4.0 {
                root.draw(&Rectangle::new([(x0, y0), (x1, y1)], WHITE.stroke_width(1))).map_err(|e| e.to_string())?;
            }
        }
        // The colour scale.
        let (x0, y0) = (30i32, height as i32 - 70);
        draw_text(
            &root,
            "share of trials with at least one device compromised",
            (x0, y0 - 18),
            13,
            HPos::Left,
            VPos::Center,
        )?;
        for step in 0..=100 {
            let x = x0 + step * 4;
            root.draw(&Rectangle::new([(x, y0), (x + 4, y0 + 16)], heat(f64::from(step) / 100.0).filled()))
                .map_err(|e| e.to_string())?;
        }
        for (label, at) in [("0", 0), ("0.5", 200), ("1", 400)] {
            draw_text(&root, label, (x0 + at, y0 + 30), 12, HPos::Center, VPos::Center)?;
        }
        let note = format!(
            "largest: {} ({}); smallest: {}",
            orgs[0].organisation,
            crate::numbers::count(sizes[0] as u64, "device", "devices"),
            crate::numbers::count(sizes[sizes.len() - 1] as u64, "device", "devices")
        );
        draw_text(&root, &note, (x0 + 480, y0 + 8), 13, HPos::Left, VPos::Center)?;
        Ok(())
    })
}

/// A rectangle of the map.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Tile {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

/// Lays `sizes` (largest first) out in `area` as a squarified treemap
/// (Bruls, Huizing and van Wijk 2000): each tile's area is in proportion to
/// its size, and tiles are kept as near square as the row they share allows.
fn squarify(sizes: &[f64], area: Tile) -> Vec<Tile> {
    let total: f64 = sizes.iter().sum();
    let scale = if total > 0.0 { area.w * area.h / total } else { 0.0 };
    let areas: Vec<f64> = sizes.iter().map(|s| s * scale).collect();
    let mut tiles = Vec::with_capacity(sizes.len());
    let mut rest = area;
    let mut i = 0;
    while i < areas.len() {
        let side = rest.w.min(rest.h);
        // Grow the row while that makes its worst aspect ratio no worse.
        let worst = |row: &[f64]| {
            let sum: f64 = row.iter().sum();
            let (max, min) = row.iter().fold((0.0f64, f64::MAX), |(a, b), &r| (a.max(r), b.min(r)));
            let s2 = side * side;
            (s2 * max / (sum * sum)).max(sum * sum / (s2 * min))
        };
        let mut end = i + 1;
        while end < areas.len() && worst(&areas[i..=end]) <= worst(&areas[i..end]) {
            end += 1;
        }
        let row = &areas[i..end];
        let sum: f64 = row.iter().sum();
        if rest.w >= rest.h {
            // A column on the left.
            let w = if rest.h > 0.0 { sum / rest.h } else { 0.0 };
            let mut y = rest.y;
            for a in row {
                let h = if w > 0.0 { a / w } else { 0.0 };
                tiles.push(Tile { x: rest.x, y, w, h });
                y += h;
            }
            rest = Tile { x: rest.x + w, y: rest.y, w: (rest.w - w).max(0.0), h: rest.h };
        } else {
            // A row along the top.
            let h = if rest.w > 0.0 { sum / rest.w } else { 0.0 };
            let mut x = rest.x;
            for a in row {
                let w = if h > 0.0 { a / h } else { 0.0 };
                tiles.push(Tile { x, y: rest.y, w, h });
                x += w;
            }
            rest = Tile { x: rest.x, y: rest.y + h, w: rest.w, h: (rest.h - h).max(0.0) };
        }
        i = end;
    }
    tiles
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breakdown() -> DataFrame {
        // Two trials; org a (3 devices) infected in one, b (1 device) never,
        // and a zone of no organisation.
        df!(
            "trial" => [0u32, 0, 0, 1, 1, 1],
            "organisation" => ["a", "b", "", "a", "b", ""],
            "devices" => [3u32, 1, 5, 3, 1, 5],
            "compromised" => [2u32, 0, 4, 0, 0, 0],
            "disrupted" => [1u32, 0, 0, 0, 0, 0],
        )
        .unwrap()
    }

    #[test]
    fn outcomes_are_per_organisation_largest_first() {
        let o = organisation_outcomes(&breakdown()).unwrap();
        assert_eq!(o.len(), 2, "zones of no organisation are left out");
        assert_eq!((o[0].organisation.as_str(), o[0].devices, o[0].infected_share), ("a", 3, 0.5));
        assert_eq!((o[1].organisation.as_str(), o[1].infected_share, o[1].disrupted_share), ("b", 0.0, 0.0));
        let dir = tempfile::tempdir().unwrap();
        let files = plot_organisations(&breakdown(), &dir.path().join("organisations")).unwrap();
        assert_eq!(files.len(), 2);
        let rows = organisations_reached(&breakdown()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].mean, rows[0].n, rows[0].label.as_str()),
            (0.5, 2, "organisations with a device compromised (of 2)")
        );
        assert_eq!(rows[1].mean, 0.5);
        let none = breakdown().lazy().with_column(lit("").alias("organisation")).collect().unwrap();
        assert!(organisations_reached(&none).unwrap().is_empty());
        assert!(plot_organisations(&none, &dir.path().join("none")).unwrap().is_empty());
    }

    #[test]
    fn tiles_cover_the_map_in_proportion_to_size() {
        let sizes = [600.0, 300.0, 60.0, 30.0, 6.0, 3.0, 1.0];
        let map = Tile { x: 10.0, y: 20.0, w: 400.0, h: 250.0 };
        let tiles = squarify(&sizes, map);
        let total: f64 = sizes.iter().sum();
        for (s, t) in sizes.iter().zip(&tiles) {
            let want = s / total * map.w * map.h;
            assert!((t.w * t.h - want).abs() < 1e-6 * map.w * map.h, "{s}: area {} vs {want}", t.w * t.h);
            assert!(t.x >= map.x - 1e-9 && t.x + t.w <= map.x + map.w + 1e-6, "{t:?} inside the map");
            assert!(t.y >= map.y - 1e-9 && t.y + t.h <= map.y + map.h + 1e-6, "{t:?} inside the map");
        }
        // No two tiles overlap.
        for (i, a) in tiles.iter().enumerate() {
            for b in &tiles[i + 1..] {
                let overlap_w = (a.x + a.w).min(b.x + b.w) - a.x.max(b.x);
                let overlap_h = (a.y + a.h).min(b.y + b.h) - a.y.max(b.y);
                assert!(overlap_w <= 1e-6 || overlap_h <= 1e-6, "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn colours_run_from_grey_to_red() {
        assert_eq!(heat(0.0), RGBColor(220, 220, 220));
        assert_eq!(heat(1.0), RGBColor(150, 20, 20));
        assert_eq!(heat(0.5), RGBColor(230, 159, 0));
    }
}
