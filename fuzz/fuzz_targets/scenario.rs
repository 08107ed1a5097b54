//! Fuzzes the scenario parser and validator: any bytes must give either a
//! scenario or diagnostics, never a panic; a scenario that loads must run a
//! trial without panicking. Seed corpus: `scenarios/` and `tests/bad_inputs/`.
//!
//! Run with `RUSTC_BOOTSTRAP=1 cargo fuzz run scenario fuzz/corpus/scenario`
//! from the repository root (see README, "Reliability").

#![no_main]

use iomtsim_sim::{Engine, ScenarioSource, load_model};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let source = ScenarioSource::from_text("fuzz.toml", text);
    match load_model(source, &iomtsim_attacks::registry()) {
        Ok(model) => {
            // Rendering diagnostics is exercised below; running is bounded
            // so that one input stays fast.
            if model.scenario.device_count() <= 5_000 && model.scenario.duration.as_hours_f64() <= 24.0 * 60.0 {
                let engine = Engine::new(model);
                let o = engine.run_trial(1, 0, false).outcome.core();
                assert!(o.compromised <= o.devices);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
