//! `iomtsim compare`: runs several designs with common random numbers and
//! writes a report a non-statistician can read.

use std::path::PathBuf;

use iomtsim_analysis::compare::{Design, compare as compare_designs, comparison_frame, plain_summary};
use iomtsim_analysis::plots::{HarmBy, plot_compromised_over_time, plot_distributions, plot_harm};
use iomtsim_analysis::polars::prelude::*;
use iomtsim_analysis::report::{Figure, design_diagram, render_report};
use iomtsim_analysis::{breakdown_frame, timeseries_frame, trials_frame, write_parquet, write_text};
use iomtsim_sim::scenario::limits::MAX_TRIALS;
use iomtsim_sim::{Engine, RunOptions};
use sha2::{Digest, Sha256};

use super::run::hex;
use crate::cli::CompareArgs;
use crate::failure::Failure;

/// Files a comparison owns in its folder.
const OWNED: &[&str] = &["report.html", "comparison.parquet", "trials.parquet", "compare.json"];

/// Runs every design over the same trials and writes the report.
pub fn compare(args: CompareArgs) -> Result<(), Failure> {
    let mut engines = Vec::new();
    let mut shas = Vec::new();
    for path in &args.designs {
        let source = super::read_source(Some(path))?;
        shas.push(hex(&Sha256::digest(source.text.as_bytes())));
        engines.push(Engine::new(super::load(source)?));
    }
    let first = engines[0].scenario().clone();
    let trials = args.trials.unwrap_or(first.trials);
    if trials == 0 || trials > MAX_TRIALS {
        return Err(Failure::BadInput(format!("error: --trials must be between 1 and {MAX_TRIALS}, found {trials}")));
    }
    let seed = args.seed.unwrap_or(first.seed);
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("out").join("compare"));
    if !args.force && OWNED.iter().any(|f| out.join(f).exists()) {
        return Err(Failure::BadInput(format!(
            "error: {} already holds a comparison; choose another --out, or replace it with --force",
            out.display()
        )));
    }
    let plots_dir = out.join("plots");
    std::fs::create_dir_all(&plots_dir)
        .map_err(|e| Failure::Runtime(format!("cannot create {}: {e}", plots_dir.display())))?;

    let encode = |e: PolarsError| Failure::Runtime(e.to_string());
    let mut designs = Vec::new();
    for (i, engine) in engines.iter().enumerate() {
        let s = engine.scenario().clone();
        let mut label = s.name.clone();
        if designs.iter().any(|d: &Design| d.label == label) {
            label = format!("{label}#{}", i + 1);
        }
        let options = RunOptions {
            seed,
            trials: 0..trials,
            threads: args.threads,
            record_events: false,
            sample_every: Some(first.sample_every),
        };
        eprintln!("running {label}: {trials} trials");
        let results = engine.run(&options, &|| {}).map_err(|e| Failure::Runtime(e.to_string()))?;
        let relabel = |mut df: DataFrame| -> Result<DataFrame, Failure> {
            let n = df.height();
            df.with_column(Column::new("variant".into(), vec![label.as_str(); n])).map_err(encode)?;
            Ok(df)
        };
        designs.push(Design {
            trials: relabel(trials_frame(&s, seed, &results).map_err(encode)?)?,
            timeseries: relabel(timeseries_frame(&s, &results).map_err(encode)?)?,
            breakdown: relabel(breakdown_frame(&s, &results).map_err(encode)?)?,
            scenario: s,
            label: label.clone(),
        });
    }

    let rows = compare_designs(&designs).map_err(encode)?;
    write_parquet(&mut comparison_frame(&rows).map_err(encode)?, &out.join("comparison.parquet"))?;
    let stack = |f: fn(&Design) -> &DataFrame| -> Result<DataFrame, Failure> {
        let mut all = f(&designs[0]).clone();
        for d in &designs[1..] {
            all.vstack_mut(f(d)).map_err(encode)?;
        }
        all.rechunk_mut();
        Ok(all)
    };
    let mut all_trials = stack(|d| &d.trials)?;
    write_parquet(&mut all_trials, &out.join("trials.parquet"))?;
    let plot_err = |e: iomtsim_analysis::plots::PlotError| Failure::Runtime(e.to_string());
    plot_compromised_over_time(&stack(|d| &d.timeseries)?, &plots_dir.join("compromised_over_time"))
        .map_err(plot_err)?;
    plot_distributions(&all_trials, &plots_dir.join("outcome_distributions")).map_err(plot_err)?;
    let breakdown = stack(|d| &d.breakdown)?;
    plot_harm(&breakdown, HarmBy::DeviceType, &plots_dir.join("harm_by_device_type")).map_err(plot_err)?;
    plot_harm(&breakdown, HarmBy::Zone, &plots_dir.join("harm_by_zone")).map_err(plot_err)?;
    let read_svg =
        |name: &str| std::fs::read_to_string(plots_dir.join(name)).map_err(|e| Failure::Runtime(e.to_string()));
    let figures = vec![
        Figure {
            title: "Compromised devices over time: median (line) and 5–95% of trials (band)".into(),
            svg: read_svg("compromised_over_time.svg")?,
        },
        Figure { title: "How outcomes vary across trials".into(), svg: read_svg("outcome_distributions.svg")? },
        Figure {
            title: "Where the harm lands: devices compromised per trial, by device type".into(),
            svg: read_svg("harm_by_device_type.svg")?,
        },
    ];
    let diagrams: Vec<Figure> = designs
        .iter()
        .map(|d| Figure { title: format!("{}: zones, devices and conduits", d.label), svg: design_diagram(d) })
        .collect();
    let summary = plain_summary(&rows, &designs);
    let html = render_report(&designs, &rows, &summary, &figures, &diagrams, trials, seed);
    write_text(&html, &out.join("report.html"))?;
    let manifest = serde_json::json!({
        "program": format!("iomtsim {}", env!("CARGO_PKG_VERSION")),
        "seed": seed,
        "trials": trials,
        "designs": designs.iter().zip(&args.designs).zip(&shas).map(|((d, p), sha)| serde_json::json!({
            "label": d.label, "file": p.display().to_string(), "scenario_sha256": sha,
        })).collect::<Vec<_>>(),
    });
    write_text(&(serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n"), &out.join("compare.json"))?;

    for s in &summary {
        say!("{s}");
    }
    say!("report written to {}", out.join("report.html").display());
    Ok(())
}
