//! The metrics a run's datasets hold, as the model declared them: kept in
//! `run.json` so that a finished run can be summarised, plotted and
//! compared without rebuilding its model.

use iomtsim_sim::{Better, MetricKind, Model};
use serde::{Deserialize, Serialize};

/// One declared metric, owned and serialisable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricInfo {
    /// Its column in `trials.parquet`.
    pub column: String,
    /// Plain words for tables.
    pub label: String,
    /// What it measures.
    pub description: String,
    /// Its unit, or empty.
    pub unit: String,
    /// `lower`, `higher` or `neither`: which direction is good.
    pub better: String,
    /// `count`, `peak`, `amount`, `money`, `flag` or `hours`.
    pub kind: String,
    /// Bookkeeping rather than an outcome: left out of summaries.
    pub bookkeeping: bool,
    /// The attack or defence instance that declared it; empty for the engine's own.
    pub source: String,
}

impl MetricInfo {
    /// Whether less is better.
    pub fn lower_is_better(&self) -> bool {
        self.better == "lower"
    }

    /// Whether more is better.
    pub fn higher_is_better(&self) -> bool {
        self.better == "higher"
    }

    /// Whether the metric says whether something happened (summarised as a share).
    pub fn is_flag(&self) -> bool {
        self.kind == "flag"
    }

    /// Whether it is shown as a whole number: a count, or a sum of money
    /// (whose pennies no simulation supports).
    pub fn is_count(&self) -> bool {
        self.kind == "count" || self.kind == "peak" || self.kind == "money"
    }

    /// Whether it is a sum of money (its unit is the currency).
    pub fn is_money(&self) -> bool {
        self.kind == "money"
    }
}

/// The metrics of `model`, in declaration order, then the losses in money
/// when the scenario has a cost model.
pub fn metric_infos(model: &Model) -> Vec<MetricInfo> {
    let mut infos: Vec<MetricInfo> = model
        .metrics
        .iter()
        .map(|m| MetricInfo {
            column: m.column.clone(),
            label: m.label.clone(),
            description: m.description.to_owned(),
            unit: m.unit.to_owned(),
            better: match m.better {
                Better::Lower => "lower",
                Better::Higher => "higher",
                Better::Neither => "neither",
            }
            .to_owned(),
            kind: match m.kind {
                MetricKind::Count => "count",
                MetricKind::Peak => "peak",
                MetricKind::Amount => "amount",
                MetricKind::Flag => "flag",
                MetricKind::Hours => "hours",
            }
            .to_owned(),
            bookkeeping: m.bookkeeping,
            source: m.source.map(|i| model.instance_info(i).id.clone()).unwrap_or_default(),
        })
        .collect();
    infos.extend(crate::money::loss_infos(&model.scenario));
    infos
}
