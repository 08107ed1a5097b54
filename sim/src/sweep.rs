//! Sweep files: a parameter study over one scenario. A sweep names the
//! scenario, the parameters to vary by their path in it
//! (`defences.patching.coverage`, `staff.nurses.click_rate`), the values of
//! each (a list, `linspace` or `logspace`) and how to combine them: every
//! combination (`grid`) or each parameter alone with the others as the
//! scenario has them (`one-at-a-time`). Each combination is a cell; a cell's
//! scenario is the scenario's text with the cell's values written in, so a
//! cell runs exactly as that edited file would.
//!
//! A path walks the scenario's tables: a key of a table, or in an array of
//! tables (`[[staff]]`, `[[zones]]`, `[[device_types]]`, …) the `id` of an
//! entry (or its number from 0, for `[[placement]]` rows that have none).
//! Problems are reported like a scenario's, at the sweep file's line and
//! column: a path that leads nowhere, a range that cannot be, a value the
//! scenario refuses.

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;
use toml_edit::{DocumentMut, Item, Value};

use crate::scenario::{Diagnostic, Scenario, ScenarioError, ScenarioSource};

/// Most cells in one sweep.
pub const MAX_CELLS: usize = 10_000;

/// The serde shape of a sweep file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSweep {
    /// The scenario file, relative to the sweep file.
    pub scenario: Spanned<String>,
    /// How the parameters combine: `grid` (every combination, the default)
    /// or `one-at-a-time` (each parameter alone, the others as the
    /// scenario has them, plus the scenario itself as cell 0).
    #[serde(default)]
    pub design: SweepDesign,
    /// Trials per cell (default: the scenario's `trials`).
    #[serde(default)]
    pub trials: Option<Spanned<u32>>,
    /// Seed of every cell (default: the scenario's `seed`): every cell runs
    /// the same trials, so cells differ only by their values.
    #[serde(default)]
    pub seed: Option<u64>,
    /// The parameters to vary.
    pub parameters: Vec<RawParameter>,
}

/// How a sweep's parameters combine into cells.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SweepDesign {
    /// Every combination of the parameters' values.
    #[default]
    Grid,
    /// Each parameter's values alone, the others as the scenario has them.
    OneAtATime,
}

/// One parameter of a sweep and its values: exactly one of `values`,
/// `linspace`, `logspace`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawParameter {
    /// Its path in the scenario, e.g. `defences.patching.coverage`.
    pub path: Spanned<String>,
    /// The values, listed.
    #[serde(default)]
    pub values: Option<Vec<Spanned<toml::Value>>>,
    /// Evenly spaced numbers from `from` to `to`, `steps` of them.
    #[serde(default)]
    pub linspace: Option<Spanned<RawRange>>,
    /// Numbers evenly spaced on a log scale from `from` to `to` (both above
    /// zero), `steps` of them.
    #[serde(default)]
    pub logspace: Option<Spanned<RawRange>>,
}

/// A range of numbers.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRange {
    /// The first value.
    pub from: f64,
    /// The last value.
    pub to: f64,
    /// How many values, 2 or more.
    pub steps: u32,
}

/// A value a parameter takes.
#[derive(Clone, Debug, PartialEq)]
pub enum SweepValue {
    /// A whole number.
    Integer(i64),
    /// A number.
    Float(f64),
    /// True or false.
    Bool(bool),
    /// Text: an id, a duration such as `12h`.
    Text(String),
}

impl SweepValue {
    /// The value as a number, for datasets and plots (text has none).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            SweepValue::Integer(i) => Some(*i as f64),
            SweepValue::Float(x) => Some(*x),
            SweepValue::Bool(b) => Some(f64::from(u8::from(*b))),
            SweepValue::Text(_) => None,
        }
    }

    fn to_toml(&self) -> Value {
        match self {
            SweepValue::Integer(i) => Value::from(*i),
            SweepValue::Float(x) => Value::from(*x),
            SweepValue::Bool(b) => Value::from(*b),
            SweepValue::Text(t) => Value::from(t.as_str()),
        }
    }
}

impl std::fmt::Display for SweepValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SweepValue::Integer(i) => write!(f, "{i}"),
            SweepValue::Float(x) => write!(f, "{}", (x * 1e9).round() / 1e9),
            SweepValue::Bool(b) => write!(f, "{b}"),
            SweepValue::Text(t) => write!(f, "{t}"),
        }
    }
}

/// A parameter, resolved.
#[derive(Clone, Debug)]
pub struct Parameter {
    /// Its path in the scenario.
    pub path: String,
    /// Its values, in order.
    pub values: Vec<SweepValue>,
    /// Where each value stands in the sweep file.
    spans: Vec<Range<usize>>,
}

/// One cell: which value each parameter takes (`None`: as the scenario
/// has it).
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// Its number, from 0.
    pub index: u32,
    /// Per parameter, the index of its value, or none.
    pub choice: Vec<Option<usize>>,
}

/// A validated sweep.
#[derive(Debug)]
pub struct Sweep {
    /// The sweep file.
    pub source: ScenarioSource,
    /// The scenario it varies.
    pub scenario: ScenarioSource,
    /// How the parameters combine.
    pub design: SweepDesign,
    /// Trials per cell, when the sweep says.
    pub trials: Option<u32>,
    /// The seed, when the sweep says.
    pub seed: Option<u64>,
    /// The parameters.
    pub parameters: Vec<Parameter>,
    /// The cells, in order.
    pub cells: Vec<Cell>,
}

impl Sweep {
    /// Reads a sweep file and the scenario it names, and checks every path
    /// and every value against the scenario's own format (the mechanisms'
    /// tables are checked by [`Sweep::check`]).
    ///
    /// # Errors
    /// [`ScenarioError`] naming the sweep file's line and column, or the
    /// scenario's.
    pub fn load(source: ScenarioSource) -> Result<Sweep, ScenarioError> {
        let raw: RawSweep =
            toml::from_str(&source.text).map_err(|e| source.invalid(vec![Diagnostic::from_toml(&e)]))?;
        let base = Path::new(&source.file).parent().unwrap_or(Path::new(""));
        let file = base.join(raw.scenario.get_ref());
        let scenario = ScenarioSource::from_path(&file).map_err(|e| match e {
            ScenarioError::Unreadable { reason, .. } => source.invalid(vec![
                Diagnostic::at(raw.scenario.span(), format!("cannot read scenario `{}`: {reason}", file.display()))
                    .with_help("name the scenario file relative to the sweep file"),
            ]),
            other => other,
        })?;
        Sweep::with_scenario(source, raw, scenario)
    }

    /// A sweep whose scenario is given rather than read (a shard's record
    /// of what it ran, when shards are joined).
    ///
    /// # Errors
    /// As [`Sweep::load`].
    pub fn from_texts(source: ScenarioSource, scenario: ScenarioSource) -> Result<Sweep, ScenarioError> {
        let raw: RawSweep =
            toml::from_str(&source.text).map_err(|e| source.invalid(vec![Diagnostic::from_toml(&e)]))?;
        Sweep::with_scenario(source, raw, scenario)
    }

    fn with_scenario(source: ScenarioSource, raw: RawSweep, scenario: ScenarioSource) -> Result<Sweep, ScenarioError> {
        Scenario::load(scenario.clone())?;
        let document: DocumentMut = scenario.text.parse().map_err(|e: toml_edit::TomlError| {
            source.invalid(vec![Diagnostic::whole_file(format!("cannot edit the scenario: {e}"))])
        })?;
        let mut problems = Vec::new();
        if raw.parameters.is_empty() {
            problems.push(
                Diagnostic::whole_file("the sweep varies no parameter")
                    .with_help("add [[parameters]] tables, each with a `path` and `values`, `linspace` or `logspace`"),
            );
        }
        let mut parameters = Vec::new();
        for p in &raw.parameters {
            match parameter(p, &document) {
                Ok(param) => {
                    if parameters.iter().any(|q: &Parameter| q.path == param.path) {
                        problems.push(Diagnostic::at(p.path.span(), format!("`{}` is swept twice", param.path)));
                    }
                    parameters.push(param);
                }
                Err(d) => problems.push(d),
            }
        }
        if let Some(t) = &raw.trials
            && *t.get_ref() == 0
        {
            problems.push(Diagnostic::at(t.span(), "a sweep needs at least one trial per cell"));
        }
        if !problems.is_empty() {
            return Err(source.invalid(problems));
        }
        let count = match raw.design {
            SweepDesign::Grid => parameters.iter().fold(1usize, |n, p| n.saturating_mul(p.values.len())),
            SweepDesign::OneAtATime => 1 + parameters.iter().map(|p| p.values.len()).sum::<usize>(),
        };
        if count > MAX_CELLS {
            return Err(source.invalid(vec![
                Diagnostic::whole_file(format!("the sweep has {count} cells; at most {MAX_CELLS} are allowed"))
                    .with_help("sweep fewer values, or one parameter at a time (`design = \"one-at-a-time\"`)"),
            ]));
        }
        let cells = cells(raw.design, &parameters);
        Ok(Sweep {
            source,
            scenario,
            design: raw.design,
            trials: raw.trials.map(|t| *t.get_ref()),
            seed: raw.seed,
            parameters,
            cells,
        })
    }

    /// The scenario of `cell`: the scenario's text with the cell's values
    /// written in.
    pub fn cell_scenario(&self, cell: &Cell) -> ScenarioSource {
        let mut document: DocumentMut = self.scenario.text.parse().expect("checked when the sweep was loaded");
        for (p, choice) in self.parameters.iter().zip(&cell.choice) {
            if let Some(v) = choice {
                set(&mut document, &p.path, &p.values[*v]).expect("checked when the sweep was loaded");
            }
        }
        ScenarioSource::from_text(
            format!("{} (cell {} of {})", self.scenario.file, cell.index, self.source.file),
            document.to_string(),
        )
        .with_base(Some(self.scenario.base_dir()))
    }

    /// Checks every value of every parameter, each alone in the scenario,
    /// with `load` (which builds the model, mechanisms included), and then
    /// every cell; a value the scenario refuses is reported at its place in
    /// the sweep file, with the scenario's own complaint.
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] about the sweep file.
    pub fn check<T>(&self, load: impl Fn(ScenarioSource) -> Result<T, ScenarioError>) -> Result<Vec<T>, ScenarioError> {
        let mut problems = Vec::new();
        let n = self.parameters.len();
        for (i, p) in self.parameters.iter().enumerate() {
            for (v, span) in p.spans.iter().enumerate() {
                let mut choice = vec![None; n];
                choice[i] = Some(v);
                if let Err(e) = load(self.cell_scenario(&Cell { index: 0, choice })) {
                    problems.push(
                        Diagnostic::at(
                            span.clone(),
                            format!("the scenario refuses `{} = {}`: {}", p.path, p.values[v], first_problem(&e)),
                        )
                        .with_help("sweep values the scenario allows at that path; `iomtsim schema` describes it"),
                    );
                }
            }
        }
        if !problems.is_empty() {
            return Err(self.source.invalid(problems));
        }
        let mut models = Vec::with_capacity(self.cells.len());
        for cell in &self.cells {
            match load(self.cell_scenario(cell)) {
                Ok(m) => models.push(m),
                Err(e) => {
                    return Err(self.source.invalid(vec![Diagnostic::whole_file(format!(
                        "the scenario refuses cell {} ({}): {}",
                        cell.index,
                        self.describe(cell),
                        first_problem(&e)
                    ))]));
                }
            }
        }
        Ok(models)
    }

    /// The cell's values in words: `path = value, …`.
    pub fn describe(&self, cell: &Cell) -> String {
        let parts: Vec<String> = self
            .parameters
            .iter()
            .zip(&cell.choice)
            .filter_map(|(p, c)| c.map(|v| format!("{} = {}", p.path, p.values[v])))
            .collect();
        if parts.is_empty() { "the scenario as written".into() } else { parts.join(", ") }
    }
}

/// The first problem an error names, in one line.
fn first_problem(e: &ScenarioError) -> String {
    match e {
        ScenarioError::Invalid { diagnostics, .. } => {
            diagnostics.first().map(|d| d.message.clone()).unwrap_or_else(|| e.to_string())
        }
        other => other.to_string(),
    }
}

/// Resolves a parameter: its path exists, its values are well formed.
fn parameter(p: &RawParameter, document: &DocumentMut) -> Result<Parameter, Diagnostic> {
    let path = p.path.get_ref().trim().to_owned();
    let given = [p.values.is_some(), p.linspace.is_some(), p.logspace.is_some()].iter().filter(|x| **x).count();
    if given != 1 {
        return Err(Diagnostic::at(
            p.path.span(),
            format!("give `{path}` exactly one of `values`, `linspace`, `logspace`"),
        )
        .with_help("e.g. `values = [0.2, 0.5]` or `linspace = { from = 0.1, to = 0.9, steps = 5 }`"));
    }
    lookup(document, &path).map_err(|(message, help)| Diagnostic::at(p.path.span(), message).with_help(help))?;
    let (values, spans) = if let Some(list) = &p.values {
        if list.is_empty() {
            return Err(Diagnostic::at(p.path.span(), format!("`{path}` has no values")));
        }
        let mut values = Vec::new();
        for v in list {
            values.push(match v.get_ref() {
                toml::Value::Integer(i) => SweepValue::Integer(*i),
                toml::Value::Float(x) => SweepValue::Float(*x),
                toml::Value::Boolean(b) => SweepValue::Bool(*b),
                toml::Value::String(s) => SweepValue::Text(s.clone()),
                _ => {
                    return Err(Diagnostic::at(v.span(), "a swept value must be a number, true or false, or text")
                        .with_help("tables and arrays cannot be swept; sweep the field inside them"));
                }
            });
        }
        (values, list.iter().map(Spanned::span).collect())
    } else {
        let (range, log) = match (&p.linspace, &p.logspace) {
            (Some(r), _) => (r, false),
            (_, Some(r)) => (r, true),
            _ => unreachable!("exactly one was given"),
        };
        let r = range.get_ref();
        let ok = r.from.is_finite() && r.to.is_finite() && (!log || (r.from > 0.0 && r.to > 0.0));
        if !ok || r.steps < 2 || r.steps > 1_000 {
            return Err(Diagnostic::at(
                range.span(),
                if log {
                    "a logspace runs between two numbers above zero, in 2 to 1,000 steps"
                } else {
                    "a linspace runs between two finite numbers, in 2 to 1,000 steps"
                },
            ));
        }
        let at = |k: u32| {
            let t = f64::from(k) / f64::from(r.steps - 1);
            if log { (r.from.ln() + t * (r.to.ln() - r.from.ln())).exp() } else { r.from + t * (r.to - r.from) }
        };
        let values: Vec<SweepValue> = (0..r.steps).map(|k| SweepValue::Float(at(k))).collect();
        let spans = vec![range.span(); values.len()];
        (values, spans)
    };
    Ok(Parameter { path, values, spans })
}

/// The cells of a design.
fn cells(design: SweepDesign, parameters: &[Parameter]) -> Vec<Cell> {
    let n = parameters.len();
    let mut out = Vec::new();
    match design {
        SweepDesign::Grid => {
            let total = parameters.iter().fold(1usize, |n, p| n.saturating_mul(p.values.len()));
            for k in 0..total.min(MAX_CELLS + 1) {
                let mut rest = k;
                let mut choice = vec![None; n];
                // The last parameter varies fastest.
                for (i, p) in parameters.iter().enumerate().rev() {
                    choice[i] = Some(rest % p.values.len());
                    rest /= p.values.len();
                }
                out.push(Cell { index: k as u32, choice });
            }
        }
        SweepDesign::OneAtATime => {
            out.push(Cell { index: 0, choice: vec![None; n] });
            for (i, p) in parameters.iter().enumerate() {
                for v in 0..p.values.len() {
                    let mut choice = vec![None; n];
                    choice[i] = Some(v);
                    out.push(Cell { index: out.len() as u32, choice });
                }
            }
        }
    }
    out
}

/// Walks `path` in the document to the value it names.
fn lookup<'d>(document: &'d DocumentMut, path: &str) -> Result<&'d Item, (String, String)> {
    let mut item: &Item = document.as_item();
    let mut walked = Vec::new();
    for part in path.split('.') {
        let next = step(item, part);
        let Some(next) = next else {
            let here = if walked.is_empty() { "the scenario".to_owned() } else { format!("`{}`", walked.join(".")) };
            return Err((
                format!("`{path}` leads nowhere: {here} has no `{part}`"),
                format!("{here} has: {}", keys(item)),
            ));
        };
        walked.push(part);
        item = next;
    }
    if item.is_table() || item.is_array_of_tables() {
        return Err((format!("`{path}` is a table, not a value"), format!("sweep one of its fields: {}", keys(item))));
    }
    Ok(item)
}

/// One step of a path: a key of a table, or the entry of an array of
/// tables with that `id` (or number).
fn step<'d>(item: &'d Item, part: &str) -> Option<&'d Item> {
    if let Some(array) = item.as_array_of_tables() {
        let by_id = array.iter().position(|t| t.get("id").and_then(Item::as_str) == Some(part));
        let index = by_id.or_else(|| part.parse::<usize>().ok().filter(|&i| i < array.len()))?;
        return item.get(index);
    }
    item.get(part)
}

/// What a table or array of tables offers, for help.
fn keys(item: &Item) -> String {
    if let Some(array) = item.as_array_of_tables() {
        let ids: Vec<String> = array
            .iter()
            .enumerate()
            .map(|(i, t)| t.get("id").and_then(Item::as_str).map_or_else(|| i.to_string(), str::to_owned))
            .collect();
        return format!("entries {}", ids.join(", "));
    }
    match item.as_table_like() {
        Some(t) => t.iter().map(|(k, _)| k.to_owned()).collect::<Vec<_>>().join(", "),
        None => "no fields".into(),
    }
}

/// Writes `value` at `path`.
fn set(document: &mut DocumentMut, path: &str, value: &SweepValue) -> Result<(), String> {
    let mut item: &mut Item = document.as_item_mut();
    for part in path.split('.') {
        item = if item.is_array_of_tables() {
            let array = item.as_array_of_tables().expect("checked");
            let by_id = array.iter().position(|t| t.get("id").and_then(Item::as_str) == Some(part));
            let index = by_id.or_else(|| part.parse::<usize>().ok()).ok_or_else(|| path.to_owned())?;
            item.get_mut(index).ok_or_else(|| path.to_owned())?
        } else {
            item.get_mut(part).ok_or_else(|| path.to_owned())?
        };
    }
    let mut new = value.to_toml();
    if let Some(old) = item.as_value() {
        *new.decor_mut() = old.decor().clone();
    }
    *item = Item::Value(new);
    Ok(())
}
