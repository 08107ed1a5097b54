//! A run's output folder, written so that nothing is lost on a crash.
//!
//! Trials are committed in batches: each batch's rows go to their own
//! Parquet file under `parts/`, written atomically, and `run.partial.json`
//! records the run's plan. A run killed at any point keeps every finished
//! batch, and `--resume` runs only the missing ones. When every batch is
//! in, the parts are joined in trial order into `trials.parquet` (and
//! `events.parquet`), `run.json` replaces the partial manifest, and the
//! parts are removed. Because the final files are always built the same way
//! from the same rows, an interrupted and resumed run, a run split into
//! slices and merged, and an uninterrupted run give byte-identical datasets.

use std::ops::Range;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::manifest::{RunManifest, RunPlan};
use crate::output::{OutputError, read_parquet, write_csv, write_parquet, write_text};

const PARTIAL: &str = "run.partial.json";
const MANIFEST: &str = "run.json";
const PARTS: &str = "parts";
/// Files a run owns in its folder; `--force` removes these and nothing else.
const OWNED_FILES: &[&str] = &[
    "trials.parquet",
    "events.parquet",
    "timeseries.parquet",
    "breakdown.parquet",
    "services.parquet",
    "trials.csv",
    "events.csv",
    "timeseries.csv",
    "breakdown.csv",
    "services.csv",
    MANIFEST,
    PARTIAL,
];
/// Folders a run owns entirely in its folder.
const OWNED_DIRS: &[&str] = &[PARTS];

/// How to treat an output folder that already holds a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    /// Refuse a folder that holds a run.
    New,
    /// Replace the run the folder holds.
    Force,
    /// Finish the interrupted run the folder holds.
    Resume,
}

/// Why an output folder could not be used or completed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The folder holds a finished or interrupted run and neither `--force`
    /// nor `--resume` was given.
    #[error("{dir} already holds {what}; {hint}")]
    Occupied {
        /// The folder.
        dir: String,
        /// What it holds.
        what: &'static str,
        /// What to do.
        hint: &'static str,
    },
    /// `--resume` found no interrupted run.
    #[error("{dir} holds no interrupted run to resume{detail}")]
    NothingToResume {
        /// The folder.
        dir: String,
        /// More about what it holds.
        detail: &'static str,
    },
    /// `--resume` or `merge` found runs that are not the same run.
    #[error("{what} differ: {detail}")]
    Mismatch {
        /// What was being compared.
        what: String,
        /// Which field differs and how.
        detail: String,
    },
    /// A manifest could not be read.
    #[error("cannot read {path}: {reason}")]
    BadManifest {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Reading or writing failed.
    #[error(transparent)]
    Output(#[from] OutputError),
}

impl StoreError {
    /// Whether the user can fix it by changing the command (exit code 2).
    pub fn is_usage(&self) -> bool {
        !matches!(self, StoreError::Output(_))
    }
}

/// An output folder with a run in progress.
pub struct RunStore {
    dir: PathBuf,
    plan: RunPlan,
}

fn io_err(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Output(OutputError::Io { path: path.to_owned(), source })
}

/// Reads a manifest or partial manifest.
///
/// # Errors
/// [`StoreError::BadManifest`] naming the file.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, StoreError> {
    let bad = |reason: String| StoreError::BadManifest { path: path.display().to_string(), reason };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| bad(e.to_string()))
}

fn write_json<T: serde::Serialize>(value: &T, path: &Path) -> Result<(), StoreError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| StoreError::BadManifest { path: path.display().to_string(), reason: e.to_string() })?;
    Ok(write_text(&(text + "\n"), path)?)
}

/// Compares the fields of two plans that decide the results.
fn compare_plans(what: &str, a: &RunPlan, b: &RunPlan, check_range: bool) -> Result<(), StoreError> {
    let mismatch = |field: &str, x: String, y: String| {
        Err(StoreError::Mismatch {
            what: what.to_owned(),
            detail: format!("{field} is {x} in one and {y} in the other"),
        })
    };
    if a.program != b.program {
        return mismatch("the program version", a.program.clone(), b.program.clone());
    }
    if a.scenario_sha256 != b.scenario_sha256 {
        return mismatch("the scenario (SHA-256)", a.scenario_sha256.clone(), b.scenario_sha256.clone());
    }
    if a.input_files != b.input_files {
        let list = |p: &RunPlan| {
            let files: Vec<String> = p.input_files.iter().map(|f| format!("{} {}", f.path, f.sha256)).collect();
            if files.is_empty() { "none".to_owned() } else { files.join(", ") }
        };
        return mismatch("the graph files (SHA-256)", list(a), list(b));
    }
    if a.seed != b.seed {
        return mismatch("the seed", a.seed.to_string(), b.seed.to_string());
    }
    if a.events != b.events {
        return mismatch("--events", a.events.to_string(), b.events.to_string());
    }
    if a.sample_every != b.sample_every {
        return mismatch("the sampling interval", a.sample_every.clone(), b.sample_every.clone());
    }
    if check_range && (a.trial_start, a.trial_end) != (b.trial_start, b.trial_end) {
        return mismatch(
            "the trials",
            format!("{}..{}", a.trial_start, a.trial_end),
            format!("{}..{}", b.trial_start, b.trial_end),
        );
    }
    Ok(())
}

fn part_path(dir: &Path, kind: &str, batch: &Range<u32>) -> PathBuf {
    dir.join(PARTS).join(format!("{kind}-{:010}-{:010}.parquet", batch.start, batch.end))
}

impl RunStore {
    /// Opens `dir` for the run `plan`, returning the batches still to run.
    /// On resume the stored plan's batch size is kept, so batches line up.
    ///
    /// # Errors
    /// [`StoreError::Occupied`] if the folder holds a run and the mode does
    /// not allow replacing or resuming it; [`StoreError::Mismatch`] if the
    /// run to resume is another run.
    pub fn open(dir: &Path, mut plan: RunPlan, mode: OpenMode) -> Result<(RunStore, Vec<Range<u32>>), StoreError> {
        let shown = dir.display().to_string();
        let has = |f: &str| dir.join(f).exists();
        let finished = has(MANIFEST) || has("trials.parquet");
        let partial = has(PARTIAL);
        match mode {
            OpenMode::New if partial => {
                return Err(StoreError::Occupied {
                    dir: shown,
                    what: "an interrupted run",
                    hint: "finish it with --resume, or start over with --force",
                });
            }
            OpenMode::New if finished => {
                return Err(StoreError::Occupied {
                    dir: shown,
                    what: "a finished run",
                    hint: "choose another --out, or replace it with --force",
                });
            }
            OpenMode::Resume if !partial => {
                let detail = if finished { " (the run there is finished)" } else { "" };
                return Err(StoreError::NothingToResume { dir: shown, detail });
            }
            OpenMode::Force => Self::clear(dir)?,
            _ => {}
        }
        std::fs::create_dir_all(dir.join(PARTS)).map_err(|e| io_err(dir, e))?;
        if mode == OpenMode::Resume {
            let stored: RunPlan = read_json(&dir.join(PARTIAL))?;
            compare_plans("the interrupted run and this command", &stored, &plan, true)?;
            plan.batch_size = stored.batch_size;
            plan.csv |= stored.csv;
        }
        write_json(&plan, &dir.join(PARTIAL))?;
        let store = RunStore { dir: dir.to_owned(), plan };
        let remaining = store
            .plan
            .batches()
            .into_iter()
            .filter(|b| !store.plan.datasets().iter().all(|kind| part_path(dir, kind, b).exists()))
            .collect();
        Ok((store, remaining))
    }

    /// Removes the files a run owns, and nothing else: a figure or a note
    /// the user put in the folder, or in `plots/`, stays.
    fn clear(dir: &Path) -> Result<(), StoreError> {
        let plots = crate::plots::RUN_PLOTS
            .iter()
            .flat_map(|stem| ["svg", "png"].map(|ext| Path::new("plots").join(format!("{stem}.{ext}"))));
        for p in OWNED_FILES.iter().map(|f| dir.join(f)).chain(plots.map(|p| dir.join(p))) {
            if p.exists() {
                std::fs::remove_file(&p).map_err(|e| io_err(&p, e))?;
            }
        }
        // The plots folder goes too, unless the user keeps something there.
        let plots = dir.join("plots");
        if std::fs::read_dir(&plots).is_ok_and(|mut d| d.next().is_none()) {
            std::fs::remove_dir(&plots).map_err(|e| io_err(&plots, e))?;
        }
        for d in OWNED_DIRS {
            let p = dir.join(d);
            if p.exists() {
                std::fs::remove_dir_all(&p).map_err(|e| io_err(&p, e))?;
            }
        }
        Ok(())
    }

    /// The plan in force (on resume, with the stored batch size).
    pub fn plan(&self) -> &RunPlan {
        &self.plan
    }

    /// Commits one batch's rows: a frame per dataset of the plan, written in
    /// the order of [`RunPlan::datasets`], so that the trials part, written
    /// last, marks the batch complete.
    ///
    /// # Errors
    /// [`StoreError::Output`] if the disk refuses.
    pub fn commit(&self, batch: &Range<u32>, frames: &mut [(&'static str, DataFrame)]) -> Result<(), StoreError> {
        for kind in self.plan.datasets() {
            if let Some((_, df)) = frames.iter_mut().find(|(k, _)| *k == kind) {
                write_parquet(df, &part_path(&self.dir, kind, batch))?;
            }
        }
        Ok(())
    }

    /// Joins the parts into the final datasets, writes `run.json` and
    /// removes the parts. Returns the trials frame.
    ///
    /// # Errors
    /// [`StoreError::Output`] if reading or writing fails.
    pub fn finish(
        self,
        manifest_of: impl FnOnce(&RunPlan, &DataFrame) -> RunManifest,
    ) -> Result<DataFrame, StoreError> {
        let batches = self.plan.batches();
        let read_all = |kind: &str| -> Result<DataFrame, StoreError> {
            let frames =
                batches.iter().map(|b| read_parquet(&part_path(&self.dir, kind, b))).collect::<Result<Vec<_>, _>>()?;
            concat_frames(frames, &self.dir)
        };
        let mut trials = DataFrame::empty();
        for kind in self.plan.datasets() {
            let mut df = read_all(kind)?;
            write_dataset(&self.dir, kind, &mut df, self.plan.csv)?;
            if kind == "trials" {
                trials = df;
            }
        }
        write_json(&manifest_of(&self.plan, &trials), &self.dir.join(MANIFEST))?;
        let partial = self.dir.join(PARTIAL);
        std::fs::remove_file(&partial).map_err(|e| io_err(&partial, e))?;
        let parts = self.dir.join(PARTS);
        std::fs::remove_dir_all(&parts).map_err(|e| io_err(&parts, e))?;
        Ok(trials)
    }
}

/// Stacks frames in order into one single-chunk frame, so that the bytes
/// written do not depend on how the rows were batched.
fn concat_frames(frames: Vec<DataFrame>, dir: &Path) -> Result<DataFrame, StoreError> {
    let encode = |source| StoreError::Output(OutputError::Polars { path: dir.to_owned(), source });
    let mut iter = frames.into_iter();
    let Some(mut all) = iter.next() else {
        return Err(encode(PolarsError::NoData("no batches".into())));
    };
    for f in iter {
        all.vstack_mut(&f).map_err(encode)?;
    }
    all.rechunk_mut();
    Ok(all)
}

fn write_dataset(dir: &Path, kind: &str, df: &mut DataFrame, csv: bool) -> Result<(), StoreError> {
    write_parquet(df, &dir.join(format!("{kind}.parquet")))?;
    if csv {
        write_csv(df, &dir.join(format!("{kind}.csv")))?;
    }
    Ok(())
}

/// Joins finished runs of disjoint, adjacent trial slices of the same
/// scenario, seed and program into one run in `out`, equal to a single run
/// of all their trials.
///
/// # Errors
/// [`StoreError::Mismatch`] if the slices are not slices of one run (other
/// scenario, seed, program or event setting; overlapping or missing trials).
pub fn merge_runs(dirs: &[PathBuf], out: &Path, mode: OpenMode) -> Result<RunManifest, StoreError> {
    let mut slices: Vec<(PathBuf, RunManifest)> = Vec::new();
    for d in dirs {
        let path = d.join(MANIFEST);
        if !path.exists() {
            return Err(StoreError::BadManifest {
                path: path.display().to_string(),
                reason: "no run.json: is this a finished run's output folder?".into(),
            });
        }
        slices.push((d.clone(), read_json(&path)?));
    }
    slices.sort_by_key(|(_, m)| m.plan.trial_start);
    let first = slices
        .first()
        .ok_or_else(|| StoreError::Mismatch { what: "merge".into(), detail: "no runs given".into() })?
        .1
        .clone();
    for pair in slices.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        compare_plans(&format!("{} and {}", a.0.display(), b.0.display()), &a.1.plan, &b.1.plan, false)?;
        if a.1.plan.trial_end != b.1.plan.trial_start {
            let how = if a.1.plan.trial_end > b.1.plan.trial_start { "overlap" } else { "leave a gap" };
            return Err(StoreError::Mismatch {
                what: "the slices' trials".into(),
                detail: format!(
                    "{} holds trials {}..{} and {} holds {}..{}, which {how}",
                    a.0.display(),
                    a.1.plan.trial_start,
                    a.1.plan.trial_end,
                    b.0.display(),
                    b.1.plan.trial_start,
                    b.1.plan.trial_end
                ),
            });
        }
    }
    let shown = out.display().to_string();
    if mode != OpenMode::Force
        && (out.join(MANIFEST).exists() || out.join("trials.parquet").exists() || out.join(PARTIAL).exists())
    {
        return Err(StoreError::Occupied {
            dir: shown,
            what: "a run",
            hint: "choose another --out, or replace it with --force",
        });
    }
    if mode == OpenMode::Force {
        RunStore::clear(out)?;
    }
    std::fs::create_dir_all(out).map_err(|e| io_err(out, e))?;
    let csv = slices.iter().all(|(_, m)| m.plan.csv);
    for kind in first.plan.datasets() {
        let file = format!("{kind}.parquet");
        let frames = slices.iter().map(|(d, _)| read_parquet(&d.join(&file))).collect::<Result<Vec<_>, _>>()?;
        write_dataset(out, kind, &mut concat_frames(frames, out)?, csv)?;
    }
    let last = &slices.last().expect("non-empty").1;
    let mut merged = first.clone();
    merged.plan.trial_end = last.plan.trial_end;
    merged.plan.csv = csv;
    merged.trials = merged.plan.trials();
    merged.total_events = slices.iter().map(|(_, m)| m.total_events).sum();
    merged.wall_seconds = slices.iter().map(|(_, m)| m.wall_seconds).sum();
    merged.events_per_second = merged.total_events as f64 / merged.wall_seconds.max(1e-9);
    merged.threads = slices.iter().map(|(_, m)| m.threads).max().unwrap_or(1);
    merged.finished_at = last.finished_at.clone();
    merged.merged_from = slices.iter().map(|(d, _)| d.display().to_string()).collect();
    write_json(&merged, &out.join(MANIFEST))?;
    Ok(merged)
}
