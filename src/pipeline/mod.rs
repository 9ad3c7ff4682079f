//! The reviews as library calls: [`discover`], [`validate`] and [`score`].
//!
//! Each takes a checked [`Config`](crate::config::Config) (and its own
//! parameters) and a [`Progress`], and returns typed results; rendering the
//! reports and writing the run directory are separate steps a caller may
//! skip. The command line in `cmd` only parses arguments into these calls,
//! prints and chooses the exit status.

pub mod discover;
pub mod score;
pub mod validate;

pub use discover::{discover, Discovery};
pub use score::{score, Scoring};
pub use validate::{validate, ValidateParams, WindowChoice};

use crate::error::Result;
use crate::io::spec::InputSpec;
use crate::progress::Progress;

/// Read and validate the accounts and deals of `spec`, reported as one
/// stage with a step per table (reading is most of `validate`'s time, and a
/// large part of `discover`'s).
pub fn load(spec: &InputSpec, progress: &mut dyn Progress) -> Result<crate::io::Inputs> {
    progress.begin(
        &format!(
            "reading accounts from {} and deals from {}",
            spec.accounts_path.display(),
            spec.deals_path.display()
        ),
        2 + u64::from(spec.account_history.is_some()),
    );
    let inputs = crate::io::load(spec, |m| progress.step(&m))?;
    progress.finish();
    Ok(inputs)
}

/// One stage of a run: its wall time, and memory as it ended.
#[derive(Debug, Clone)]
pub struct Lap {
    pub stage: &'static str,
    pub seconds: f64,
    /// The process's resident memory, where the system reports it.
    pub memory: Option<crate::memory::Resident>,
}

/// Stage timings, reported as detail lines.
struct Stopwatch {
    last: std::time::Instant,
    laps: Vec<Lap>,
}

impl Stopwatch {
    fn new() -> Self {
        Stopwatch {
            last: std::time::Instant::now(),
            laps: Vec::new(),
        }
    }

    /// End a stage: time it and hand the memory it freed back to the
    /// operating system, so the next stage does not stack on top of it.
    fn lap(&mut self, progress: &mut dyn Progress, stage: &'static str) {
        crate::memory::release_freed();
        let now = std::time::Instant::now();
        let seconds = (now - self.last).as_secs_f64();
        self.last = now;
        let memory = crate::memory::resident();
        progress.detail(&match memory {
            Some(m) => format!(
                "{stage}: {seconds:.2} s (peak so far {:.0} MiB, {:.0} MiB resident after it)",
                m.peak_mib, m.now_mib
            ),
            None => format!("{stage}: {seconds:.2} s"),
        });
        self.laps.push(Lap {
            stage,
            seconds,
            memory,
        });
    }
}
