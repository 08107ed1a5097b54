//! Trial outcomes and event logs as polars DataFrames, with the column
//! names and types the datasets promise.

use iomtsim_sim::{Scenario, TrialResult};
use polars::prelude::*;

/// One row per trial: the `trials` dataset.
///
/// # Errors
/// Only if polars rejects the columns, which would be a bug.
pub fn trials_frame(scenario: &Scenario, seed: u64, results: &[TrialResult]) -> PolarsResult<DataFrame> {
    let n = results.len();
    let o = |f: &dyn Fn(&iomtsim_sim::TrialOutcome) -> u32| results.iter().map(|r| f(&r.outcome)).collect::<Vec<u32>>();
    let columns = vec![
        Column::new("scenario".into(), vec![scenario.name.as_str(); n]),
        Column::new("variant".into(), vec![scenario.variant.as_str(); n]),
        Column::new("trial".into(), o(&|x| x.trial)),
        Column::new("seed".into(), vec![seed; n]),
        Column::new("devices".into(), o(&|x| x.devices)),
        Column::new("compromised".into(), o(&|x| x.compromised)),
        Column::new("peak_compromised".into(), o(&|x| x.peak_compromised)),
        Column::new("still_compromised".into(), o(&|x| x.still_compromised)),
        Column::new("disrupted".into(), o(&|x| x.disrupted)),
        Column::new("isolated".into(), o(&|x| x.isolated)),
        Column::new("restored".into(), o(&|x| x.restored)),
        Column::new("patched".into(), o(&|x| x.patched)),
        Column::new("records_exposed".into(), results.iter().map(|r| r.outcome.records_exposed).collect::<Vec<u64>>()),
        Column::new(
            "downtime_device_hours".into(),
            results.iter().map(|r| r.outcome.downtime_device_hours).collect::<Vec<f64>>(),
        ),
        Column::new(
            "critical_downtime_device_hours".into(),
            results.iter().map(|r| r.outcome.critical_downtime_device_hours).collect::<Vec<f64>>(),
        ),
        Column::new("detected".into(), results.iter().map(|r| r.outcome.detected).collect::<Vec<bool>>()),
        Column::new(
            "time_to_detect_h".into(),
            results.iter().map(|r| r.outcome.time_to_detect_h).collect::<Vec<Option<f64>>>(),
        ),
        Column::new(
            "first_compromise_h".into(),
            results.iter().map(|r| r.outcome.first_compromise_h).collect::<Vec<Option<f64>>>(),
        ),
        Column::new("events".into(), results.iter().map(|r| r.outcome.events).collect::<Vec<u64>>()),
    ];
    DataFrame::new(n, columns)
}

/// One row per logged event: the `events` dataset.
///
/// # Errors
/// Only if polars rejects the columns, which would be a bug.
pub fn events_frame(scenario: &Scenario, results: &[TrialResult]) -> PolarsResult<DataFrame> {
    let n: usize = results.iter().map(|r| r.events.len()).sum();
    let mut trial = Vec::with_capacity(n);
    let mut time_s = Vec::with_capacity(n);
    let mut kind = Vec::with_capacity(n);
    let mut device = Vec::with_capacity(n);
    let mut device_type = Vec::with_capacity(n);
    let mut zone = Vec::with_capacity(n);
    let mut technique = Vec::with_capacity(n);
    for r in results {
        for e in &r.events {
            let slot = scenario.devices[e.device as usize];
            trial.push(r.outcome.trial);
            time_s.push(e.time.as_secs_f64());
            kind.push(e.kind.as_str());
            device.push(e.device);
            device_type.push(scenario.device_types[usize::from(slot.device_type.0)].id.as_str());
            zone.push(scenario.zones[usize::from(slot.zone.0)].id.as_str());
            technique.push(e.technique);
        }
    }
    DataFrame::new(
        n,
        vec![
            Column::new("trial".into(), trial),
            Column::new("time_s".into(), time_s),
            Column::new("kind".into(), kind),
            Column::new("device".into(), device),
            Column::new("device_type".into(), device_type),
            Column::new("zone".into(), zone),
            Column::new("technique".into(), technique),
        ],
    )
}

/// The estate's state sampled over time: the `timeseries` dataset.
///
/// # Errors
/// Only if polars rejects the columns, which would be a bug.
pub fn timeseries_frame(scenario: &Scenario, results: &[TrialResult]) -> PolarsResult<DataFrame> {
    let n: usize = results.iter().map(|r| r.samples.len()).sum();
    let rows = || results.iter().flat_map(|r| r.samples.iter().map(move |s| (r.outcome.trial, s)));
    DataFrame::new(
        n,
        vec![
            Column::new("variant".into(), vec![scenario.variant.as_str(); n]),
            Column::new("trial".into(), rows().map(|(t, _)| t).collect::<Vec<u32>>()),
            Column::new("time_h".into(), rows().map(|(_, s)| s.time.as_hours_f64()).collect::<Vec<f64>>()),
            Column::new("compromised".into(), rows().map(|(_, s)| s.compromised).collect::<Vec<u32>>()),
            Column::new("disrupted".into(), rows().map(|(_, s)| s.disrupted).collect::<Vec<u32>>()),
            Column::new("isolated".into(), rows().map(|(_, s)| s.isolated).collect::<Vec<u32>>()),
            Column::new("patched".into(), rows().map(|(_, s)| s.patched).collect::<Vec<u32>>()),
        ],
    )
}

/// What happened per zone and device type in each trial: the `breakdown`
/// dataset, showing where the harm lands.
///
/// # Errors
/// Only if polars rejects the columns, which would be a bug.
pub fn breakdown_frame(scenario: &Scenario, results: &[TrialResult]) -> PolarsResult<DataFrame> {
    let n: usize = results.iter().map(|r| r.breakdown.len()).sum();
    let rows = || results.iter().flat_map(|r| r.breakdown.iter().map(move |b| (r.outcome.trial, b)));
    DataFrame::new(
        n,
        vec![
            Column::new("variant".into(), vec![scenario.variant.as_str(); n]),
            Column::new("trial".into(), rows().map(|(t, _)| t).collect::<Vec<u32>>()),
            Column::new(
                "zone".into(),
                rows().map(|(_, b)| scenario.zones[usize::from(b.zone.0)].id.as_str()).collect::<Vec<&str>>(),
            ),
            Column::new(
                "device_type".into(),
                rows()
                    .map(|(_, b)| scenario.device_types[usize::from(b.device_type.0)].id.as_str())
                    .collect::<Vec<&str>>(),
            ),
            Column::new("devices".into(), rows().map(|(_, b)| b.devices).collect::<Vec<u32>>()),
            Column::new("compromised".into(), rows().map(|(_, b)| b.compromised).collect::<Vec<u32>>()),
            Column::new("disrupted".into(), rows().map(|(_, b)| b.disrupted).collect::<Vec<u32>>()),
            Column::new(
                "downtime_device_hours".into(),
                rows().map(|(_, b)| b.downtime_device_hours).collect::<Vec<f64>>(),
            ),
        ],
    )
}
