//! What the commands print while they work: log lines and progress bars on
//! stderr, the [`Progress`] the pipeline reports through.

use crate::progress::Progress;

/// Progress and log lines on stderr, never on stdout.
///
/// `-q` prints only errors; by default each stage prints one line; `-v`
/// adds detail, including each step of a long stage. When stderr is a
/// terminal (and not `-q`), long stages also show a progress bar, which is
/// cleared when the stage ends, so the lines left on screen are the same as
/// in a log file.
#[derive(Debug, Clone, Copy)]
pub struct Log {
    pub level: i8,
    /// Draw progress bars (stderr is a terminal and not quiet).
    pub bars: bool,
}

impl Log {
    pub fn new(quiet: bool, verbose: u8) -> Log {
        use std::io::IsTerminal;
        Log {
            level: if quiet { -1 } else { verbose as i8 },
            bars: !quiet && std::io::stderr().is_terminal(),
        }
    }

    pub fn info(&self, msg: impl AsRef<str>) {
        if self.level >= 0 {
            eprintln!("{}", msg.as_ref());
        }
    }

    /// A finding or summary for a person, on stdout; nothing under `-q`,
    /// where a scheduler reads the run directory and the exit status.
    pub fn output(&self, msg: impl AsRef<str>) {
        if self.level >= 0 {
            println!("{}", msg.as_ref());
        }
    }

    pub fn detail(&self, msg: impl AsRef<str>) {
        if self.level >= 1 {
            eprintln!("  {}", msg.as_ref());
        }
    }

    /// Start a long stage of `steps` steps: its line is logged, and on a
    /// terminal a bar follows its steps until [`Stage::finish`].
    pub fn stage(&self, msg: impl Into<String>, steps: u64) -> Stage {
        let msg = msg.into();
        self.info(&msg);
        let bar = self.bars.then(|| {
            let bar = indicatif::ProgressBar::new(steps);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} [{bar:30}] {pos}/{len} {wide_msg} {elapsed}",
                )
                .expect("a valid progress template")
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Stage {
            log: *self,
            bar,
            started: false,
        }
    }
}

/// A long stage in progress; see [`Log::stage`].
pub struct Stage {
    log: Log,
    bar: Option<indicatif::ProgressBar>,
    started: bool,
}

impl Stage {
    /// Begin the next step (the previous one is done); logged with `-v`.
    pub fn step(&mut self, msg: impl AsRef<str>) {
        match &self.bar {
            Some(bar) => {
                if self.started {
                    bar.inc(1);
                }
                bar.set_message(msg.as_ref().to_string());
                if self.log.level >= 1 {
                    bar.println(format!("  {}", msg.as_ref()));
                }
            }
            None => self.log.detail(msg),
        }
        self.started = true;
    }

    /// Move on by `n` steps at once.
    pub fn advance(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// Change the number of steps, once it is known.
    pub fn set_steps(&self, steps: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(steps);
        }
    }

    /// End the stage and clear its bar.
    pub fn finish(self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// [`Progress`] on the terminal: log lines, and a bar per long stage.
pub struct Console {
    log: Log,
    stage: Option<Stage>,
}

impl Console {
    pub fn new(log: Log) -> Console {
        Console { log, stage: None }
    }
}

impl Progress for Console {
    fn info(&mut self, msg: &str) {
        self.log.info(msg);
    }

    fn detail(&mut self, msg: &str) {
        self.log.detail(msg);
    }

    fn begin(&mut self, msg: &str, steps: u64) {
        self.stage = Some(self.log.stage(msg, steps));
    }

    fn set_steps(&mut self, steps: u64) {
        if let Some(stage) = &self.stage {
            stage.set_steps(steps);
        }
    }

    fn step(&mut self, msg: &str) {
        match &mut self.stage {
            Some(stage) => stage.step(msg),
            None => self.log.detail(msg),
        }
    }

    fn advance(&mut self, n: u64) {
        if let Some(stage) = &self.stage {
            stage.advance(n);
        }
    }

    fn finish(&mut self) {
        if let Some(stage) = self.stage.take() {
            stage.finish();
        }
    }
}
