//! `iomtsim explain`: one trial as a story, optionally with an animation.

use iomtsim_analysis::explain::{StoryFormat, tell};
use iomtsim_sim::Engine;

use crate::cli::{ExplainArgs, StoryFormatArg};
use crate::failure::Failure;

/// Runs one trial with its event log and tells it.
pub fn explain(args: ExplainArgs) -> Result<(), Failure> {
    let engine = Engine::new(super::load(super::read_source(args.scenario.as_deref())?)?);
    let seed = args.seed.unwrap_or(engine.scenario().seed);
    let result = engine.run_trial(seed, args.trial, true);
    let format = match args.format {
        StoryFormatArg::Text => StoryFormat::Text,
        StoryFormatArg::Md => StoryFormat::Markdown,
    };
    let story = tell(engine.model(), &result, format);
    match &args.out {
        Some(path) => iomtsim_analysis::write_text(&story, path)?,
        None => say_raw!("{story}"),
    }
    if let Some(gif) = &args.gif {
        iomtsim_analysis::plots::animate_zones(engine.scenario(), &result, gif, 48)
            .map_err(|e| Failure::Runtime(e.to_string()))?;
        eprintln!("animation written to {}", gif.display());
    }
    Ok(())
}
