//! Trial outcomes, event logs, time series and breakdowns as polars
//! DataFrames. The columns of `trials` are the model's declared metrics, in
//! declaration order; nothing here names a mechanism.

use iomtsim_sim::{MetricKind, MetricValue, Model, TrialResult};
use polars::prelude::*;

/// One row per trial: the `trials` dataset. After the identifying columns
/// (`scenario`, `variant`, `trial`, `seed`) come the model's metrics: the
/// engine's own by name, each mechanism's as `<instance>.<metric>`; then,
/// when the scenario prices harm, the losses in money (`loss_*`).
///
/// # Errors
/// Only if polars rejects the columns, which would be a bug.
pub fn trials_frame(model: &Model, seed: u64, results: &[TrialResult]) -> PolarsResult<DataFrame> {
    let n = results.len();
    let s = &model.scenario;
    let mut columns = vec![
        Column::new("scenario".into(), vec![s.name.as_str(); n]),
        Column::new("variant".into(), vec![s.variant.as_str(); n]),
        Column::new("trial".into(), results.iter().map(|r| r.outcome.trial).collect::<Vec<u32>>()),
        Column::new("seed".into(), vec![seed; n]),
    ];
    for (i, m) in model.metrics.iter().enumerate() {
        let values = results.iter().map(|r| r.outcome.values[i]);
        let name = m.column.as_str().into();
        columns.push(match m.kind {
            MetricKind::Count | MetricKind::Peak => {
                Column::new(name, values.map(MetricValue::count).collect::<Vec<u64>>())
            }
            MetricKind::Amount => Column::new(name, values.map(|v| v.as_f64().unwrap_or(0.0)).collect::<Vec<f64>>()),
            MetricKind::Flag => Column::new(name, values.map(|v| v == MetricValue::Flag(true)).collect::<Vec<bool>>()),
            MetricKind::Hours => Column::new(name, values.map(MetricValue::as_f64).collect::<Vec<Option<f64>>>()),
        });
    }
    columns.extend(crate::money::loss_columns(model, results));
    DataFrame::new(n, columns)
}

/// One row per recorded event: the `events` dataset. `kind` is the event's
/// declared name, `source` the attack or defence instance that recorded it,
/// `technique` its ATT&CK id, `transition` the change it made to the
/// device's shared state (if any).
///
/// # Errors
/// Only if polars rejects the columns, which would be a bug.
pub fn events_frame(model: &Model, results: &[TrialResult]) -> PolarsResult<DataFrame> {
    let scenario = &model.scenario;
    let n: usize = results.iter().map(|r| r.events.len()).sum();
    let mut trial = Vec::with_capacity(n);
    let mut time_s = Vec::with_capacity(n);
    let mut kind = Vec::with_capacity(n);
    let mut source = Vec::with_capacity(n);
    let mut technique = Vec::with_capacity(n);
    let mut transition = Vec::with_capacity(n);
    let mut device = Vec::with_capacity(n);
    let mut device_type = Vec::with_capacity(n);
    let mut zone = Vec::with_capacity(n);
    for r in results {
        for e in &r.events {
            let slot = scenario.devices[e.device as usize];
            let k = model.event_kind(e.kind);
            trial.push(r.outcome.trial);
            time_s.push(e.time.as_secs_f64());
            kind.push(k.name);
            source.push(model.instance_info(k.source).id.as_str());
            technique.push(k.technique);
            transition.push(e.transition.map(|t| t.as_str()));
            device.push(e.device);
            device_type.push(scenario.device_types[usize::from(slot.device_type.0)].id.as_str());
            zone.push(scenario.zones[usize::from(slot.zone.0)].id.as_str());
        }
    }
    DataFrame::new(
        n,
        vec![
            Column::new("trial".into(), trial),
            Column::new("time_s".into(), time_s),
            Column::new("kind".into(), kind),
            Column::new("source".into(), source),
            Column::new("technique".into(), technique),
            Column::new("transition".into(), transition),
            Column::new("device".into(), device),
            Column::new("device_type".into(), device_type),
            Column::new("zone".into(), zone),
        ],
    )
}

/// The estate's state sampled over time: the `timeseries` dataset. Every
/// count is of devices at that instant (`compromised_now` falls when a
/// device is rebuilt), unlike the `trials` totals.
///
/// # Errors
/// Only if polars rejects the columns, which would be a bug.
pub fn timeseries_frame(model: &Model, results: &[TrialResult]) -> PolarsResult<DataFrame> {
    let n: usize = results.iter().map(|r| r.samples.len()).sum();
    let rows = || results.iter().flat_map(|r| r.samples.iter().map(move |s| (r.outcome.trial, s)));
    DataFrame::new(
        n,
        vec![
            Column::new("variant".into(), vec![model.scenario.variant.as_str(); n]),
            Column::new("trial".into(), rows().map(|(t, _)| t).collect::<Vec<u32>>()),
            Column::new("time_h".into(), rows().map(|(_, s)| s.time.as_hours_f64()).collect::<Vec<f64>>()),
            Column::new("compromised_now".into(), rows().map(|(_, s)| s.compromised_now).collect::<Vec<u32>>()),
            Column::new("disrupted_now".into(), rows().map(|(_, s)| s.disrupted_now).collect::<Vec<u32>>()),
            Column::new("isolated_now".into(), rows().map(|(_, s)| s.isolated_now).collect::<Vec<u32>>()),
            Column::new("devices_patched".into(), rows().map(|(_, s)| s.devices_patched).collect::<Vec<u32>>()),
        ],
    )
}

/// What happened per zone and device type in each trial: the `breakdown`
/// dataset, showing where the harm lands (and in which organisation, for
/// scenarios whose zones name one; empty otherwise).
///
/// # Errors
/// Only if polars rejects the columns, which would be a bug.
pub fn breakdown_frame(model: &Model, results: &[TrialResult]) -> PolarsResult<DataFrame> {
    let scenario = &model.scenario;
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
            Column::new(
                "zone_name".into(),
                rows().map(|(_, b)| scenario.zones[usize::from(b.zone.0)].name.as_str()).collect::<Vec<&str>>(),
            ),
            Column::new(
                "device_type_name".into(),
                rows()
                    .map(|(_, b)| scenario.device_types[usize::from(b.device_type.0)].name.as_str())
                    .collect::<Vec<&str>>(),
            ),
            Column::new(
                "organisation".into(),
                rows()
                    .map(|(_, b)| scenario.zones[usize::from(b.zone.0)].organisation.as_deref().unwrap_or(""))
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

/// Hours each clinical service was down in each trial: the `services`
/// dataset (empty when the scenario declares no clinical service).
///
/// # Errors
/// Only if polars rejects the columns, which would be a bug.
pub fn services_frame(model: &Model, results: &[TrialResult]) -> PolarsResult<DataFrame> {
    let scenario = &model.scenario;
    let rows = || {
        results.iter().flat_map(|r| r.service_hours_lost.iter().enumerate().map(move |(i, h)| (r.outcome.trial, i, *h)))
    };
    let n = rows().count();
    DataFrame::new(
        n,
        vec![
            Column::new("variant".into(), vec![scenario.variant.as_str(); n]),
            Column::new("trial".into(), rows().map(|(t, _, _)| t).collect::<Vec<u32>>()),
            Column::new(
                "service".into(),
                rows().map(|(_, i, _)| scenario.clinical_services[i].id.as_str()).collect::<Vec<&str>>(),
            ),
            Column::new(
                "service_name".into(),
                rows().map(|(_, i, _)| scenario.clinical_services[i].name.as_str()).collect::<Vec<&str>>(),
            ),
            Column::new("hours_lost".into(), rows().map(|(_, _, h)| h).collect::<Vec<f64>>()),
        ],
    )
}
