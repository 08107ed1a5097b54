//! Progress bars and stop requests for long commands.

use std::io::IsTerminal;
use std::sync::{Mutex, OnceLock};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use iomtsim_analysis::workflow::{Progress, Stop};

/// A progress bar on the terminal (hidden when output is not a terminal).
pub struct Bar(Mutex<Option<ProgressBar>>);

impl Bar {
    /// No bar yet.
    pub fn new() -> Self {
        Bar(Mutex::new(None))
    }
}

impl Progress for Bar {
    fn start(&self, what: &str, total: u64) {
        let bar = if std::io::stdout().is_terminal() {
            let bar = ProgressBar::new(total);
            if let Ok(style) = ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} trials  {elapsed} (eta {eta})")
            {
                bar.set_style(style);
            }
            bar.set_message(what.to_owned());
            bar
        } else {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden())
        };
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(bar);
        }
    }

    fn advance(&self) {
        if let Ok(slot) = self.0.lock()
            && let Some(bar) = slot.as_ref()
        {
            bar.inc(1);
        }
    }

    fn finish(&self) {
        if let Ok(mut slot) = self.0.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
        }
    }
}

/// The process's stop request, set by Ctrl-C or SIGTERM.
pub fn stop_on_signal() -> &'static Stop {
    static STOP: OnceLock<Stop> = OnceLock::new();
    let stop = STOP.get_or_init(Stop::new);
    // Only fails if a handler is already set, which this program never does twice.
    let _ = ctrlc::set_handler(|| {
        if let Some(s) = STOP.get() {
            s.request();
        }
    });
    stop
}
