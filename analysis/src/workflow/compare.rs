//! Comparing designs: each design runs the same trials with the same seed,
//! and the comparison, its plots and a self-contained report are written.

use std::path::PathBuf;
use std::sync::Arc;

use iomtsim_sim::scenario::limits::MAX_TRIALS;
use iomtsim_sim::{Engine, Registry, ScenarioSource, load_model};
use polars::prelude::*;
use sha2::{Digest, Sha256};

use super::run::MAX_THREADS;
use super::{Progress, Stop, WorkflowError, hex, run_trials};
use crate::compare::{Design, MetricComparison, compare, comparison_frame, plain_summary};
use crate::dataset::{breakdown_frame, timeseries_frame, trials_frame};
use crate::metrics::metric_infos;
use crate::output::{write_parquet, write_text};
use crate::plots::{HarmBy, plot_compromised_over_time, plot_distributions, plot_harm};
use crate::report::{Figure, ReportSettings, design_diagram, render_report};
use crate::summary::with_major_outbreak;

/// Files a comparison owns in its folder.
const OWNED: &[&str] = &["report.html", "comparison.parquet", "trials.parquet", "compare.json"];

/// The designs to compare and where to write the comparison.
pub struct CompareRequest {
    /// The designs' scenarios; the first is the baseline.
    pub designs: Vec<ScenarioSource>,
    /// Trials per design (default: the first design's `trials`).
    pub trials: Option<u32>,
    /// Seed shared by every design (default: the first design's `seed`).
    pub seed: Option<u64>,
    /// Worker threads (0: every core).
    pub threads: usize,
    /// Output folder (default: `out/compare`).
    pub out: Option<PathBuf>,
    /// Replace a comparison the folder holds.
    pub force: bool,
    /// The smallest difference that matters in practice, as a share of the
    /// first design's mean: smaller ones are not coloured in the report
    /// however significant.
    pub min_effect: f64,
}

/// What a finished comparison reports.
pub struct CompareReport {
    /// The plain-language summary, one paragraph per design after the first.
    pub summary: Vec<String>,
    /// Every design's figures for every metric.
    pub rows: Vec<MetricComparison>,
    /// The designs in money, when they price harm in one currency.
    pub risk: Option<crate::risk::RiskComparison>,
    /// The output folder.
    pub out: PathBuf,
}

/// Runs every design over the same trials and writes `report.html`,
/// `comparison.parquet`, the designs' trials and the plots.
///
/// # Errors
/// [`WorkflowError`] for an invalid scenario or request, an occupied
/// folder, an interruption or a failure to write.
pub fn compare_designs(
    request: CompareRequest,
    registry: &Registry,
    progress: &dyn Progress,
    stop: &Stop,
) -> Result<CompareReport, WorkflowError> {
    if request.threads > MAX_THREADS {
        return Err(WorkflowError::Usage(format!(
            "--threads must be at most {MAX_THREADS} (0 uses every core), found {}",
            request.threads
        )));
    }
    let mut engines = Vec::new();
    let mut shas = Vec::new();
    let mut files = Vec::new();
    for source in request.designs {
        shas.push(hex(&Sha256::digest(source.text.as_bytes())));
        files.push(source.file.clone());
        engines.push(Engine::new(load_model(source, registry)?));
    }
    let Some(first) = engines.first().map(|e| e.scenario().clone()) else {
        return Err(WorkflowError::Usage("name at least two designs to compare".into()));
    };
    let trials = request.trials.unwrap_or(first.trials);
    if trials == 0 || trials > MAX_TRIALS {
        return Err(WorkflowError::Usage(format!("--trials must be between 1 and {MAX_TRIALS}, found {trials}")));
    }
    let seed = request.seed.unwrap_or(first.seed);
    let out = request.out.clone().unwrap_or_else(|| PathBuf::from("out").join("compare"));
    if !request.force && OWNED.iter().any(|f| out.join(f).exists()) {
        return Err(WorkflowError::Usage(format!(
            "{} already holds a comparison; choose another --out, or replace it with --force",
            out.display()
        )));
    }

    let mut designs: Vec<Design> = Vec::new();
    for (i, engine) in engines.iter().enumerate() {
        let model = engine.model().clone();
        let mut label = model.scenario.name.clone();
        if designs.iter().any(|d| d.label == label) {
            label = format!("{label}#{}", i + 1);
        }
        progress.start(&label, u64::from(trials));
        let results =
            run_trials(engine, seed, 0..trials, request.threads, Some(first.sample_every), progress, stop, &label);
        progress.finish();
        let results = results?;
        let with_design = |mut df: DataFrame| -> PolarsResult<DataFrame> {
            let n = df.height();
            df.with_column(Column::new("design".into(), vec![label.as_str(); n]))?;
            Ok(df)
        };
        let mut metrics = metric_infos(&model);
        let trials = with_major_outbreak(trials_frame(&model, seed, &results)?, &mut metrics)?;
        designs.push(Design {
            trials: with_design(trials)?,
            timeseries: with_design(timeseries_frame(&model, &results)?)?,
            breakdown: with_design(breakdown_frame(&model, &results)?)?,
            metrics,
            model: Arc::clone(&model),
            label: label.clone(),
        });
    }
    if stop.requested() {
        return Err(WorkflowError::Interrupted {
            message: "interrupted before the report was written; nothing was written".into(),
            resumable: false,
        });
    }

    let plots_dir = out.join("plots");
    std::fs::create_dir_all(&plots_dir)
        .map_err(|e| WorkflowError::Runtime(format!("cannot create {}: {e}", plots_dir.display())))?;
    let rows = compare(&designs, request.min_effect)?;
    write_parquet(&mut comparison_frame(&rows)?, &out.join("comparison.parquet"))?;
    let stack = |f: fn(&Design) -> &DataFrame| -> PolarsResult<DataFrame> {
        let mut all = f(&designs[0]).clone();
        for d in &designs[1..] {
            all.vstack_mut(f(d))?;
        }
        all.rechunk_mut();
        Ok(all)
    };
    // Designs may run different mechanisms: the stacked trials keep the
    // columns every design has.
    let shared: Vec<String> = designs[0]
        .trials
        .get_column_names()
        .into_iter()
        .map(|c| c.to_string())
        .filter(|c| designs.iter().all(|d| d.trials.column(c).is_ok()))
        .collect();
    let mut all_trials = {
        let mut all = designs[0].trials.select(shared.iter().map(String::as_str))?;
        for d in &designs[1..] {
            all.vstack_mut(&d.trials.select(shared.iter().map(String::as_str))?)?;
        }
        all.rechunk_mut();
        all
    };
    write_parquet(&mut all_trials, &out.join("trials.parquet"))?;
    plot_compromised_over_time(&stack(|d| &d.timeseries)?, "design", &plots_dir.join("compromised_over_time"))?;
    plot_distributions(&all_trials, "design", &plots_dir.join("outcome_distributions"))?;
    let breakdown = stack(|d| &d.breakdown)?;
    plot_harm(&breakdown, HarmBy::DeviceType, "design", &plots_dir.join("harm_by_device_type"))?;
    plot_harm(&breakdown, HarmBy::Zone, "design", &plots_dir.join("harm_by_zone"))?;
    let risk = crate::risk::risk_comparison(&designs)?;
    if let Some(r) = &risk {
        let period = if r.span == "a year" { "year" } else { "trial" };
        crate::plots::plot_loss_exceedance(
            &all_trials,
            "design",
            &r.currency,
            period,
            &plots_dir.join("loss_exceedance"),
        )?;
    }
    let read_svg =
        |name: &str| std::fs::read_to_string(plots_dir.join(name)).map_err(|e| WorkflowError::Runtime(e.to_string()));
    let mut figures = Vec::new();
    if risk.is_some() {
        figures.push(Figure {
            title: "How often a trial loses more than a given sum: where a line crosses 1 in 20 is a bad trial's loss"
                .into(),
            svg: read_svg("loss_exceedance.svg")?,
        });
    }
    figures.extend([
        Figure {
            title: "Devices compromised at each moment: median (line) and 5–95% of trials (band)".into(),
            svg: read_svg("compromised_over_time.svg")?,
        },
        Figure { title: "How outcomes vary across trials".into(), svg: read_svg("outcome_distributions.svg")? },
        Figure {
            title: "Where the harm lands: devices compromised per trial, by device type".into(),
            svg: read_svg("harm_by_device_type.svg")?,
        },
    ]);
    let diagrams: Vec<Figure> = designs
        .iter()
        .map(|d| Figure { title: format!("{}: zones, devices and conduits", d.label), svg: design_diagram(d) })
        .collect();
    let mut summary = risk.as_ref().map(crate::risk::risk_sentences).unwrap_or_default();
    summary.extend(plain_summary(&rows, &designs, request.min_effect));
    let html = render_report(
        &designs,
        &rows,
        &summary,
        risk.as_ref(),
        &figures,
        &diagrams,
        ReportSettings { trials, seed, min_effect: request.min_effect },
    );
    write_text(&html, &out.join("report.html"))?;
    let manifest = serde_json::json!({
        "program": format!("iomtsim {}", env!("CARGO_PKG_VERSION")),
        "seed": seed,
        "trials": trials,
        "designs": designs.iter().zip(&files).zip(&shas).map(|((d, f), sha)| serde_json::json!({
            "label": d.label, "file": f, "scenario_sha256": sha,
        })).collect::<Vec<_>>(),
    });
    write_text(&(serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n"), &out.join("compare.json"))?;
    Ok(CompareReport { summary, rows, risk, out })
}
