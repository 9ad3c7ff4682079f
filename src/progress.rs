//! How a long run reports where it is. A leaf: the pipeline reports through
//! [`Progress`]; the command line draws it as log lines and progress bars,
//! and tests and benchmarks pass [`Silent`].

/// Progress of a run: log lines, and long stages made of steps.
///
/// A stage begins with [`Progress::begin`], moves on with
/// [`Progress::step`] and ends with [`Progress::finish`]; stages do not nest.
pub trait Progress {
    /// A line everyone sees (not with `--quiet`).
    fn info(&mut self, msg: &str);
    /// A line shown with `--verbose`.
    fn detail(&mut self, msg: &str);
    /// Begin a long stage of `steps` steps; its line is logged.
    fn begin(&mut self, msg: &str, steps: u64);
    /// Change the number of steps of the current stage, once it is known.
    fn set_steps(&mut self, steps: u64);
    /// Begin the next step of the current stage (the previous one is done).
    fn step(&mut self, msg: &str);
    /// Move the current stage on by `n` steps at once (rows of a batch).
    fn advance(&mut self, n: u64) {
        let _ = n;
    }
    /// End the current stage.
    fn finish(&mut self);
}

/// Reports nothing: for tests, benchmarks and programs embedding the review.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn info(&mut self, _: &str) {}
    fn detail(&mut self, _: &str) {}
    fn begin(&mut self, _: &str, _: u64) {}
    fn set_steps(&mut self, _: u64) {}
    fn step(&mut self, _: &str) {}
    fn finish(&mut self) {}
}
