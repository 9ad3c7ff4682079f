//! The command line: one module per subcommand, each with its `Args` and `run`.

pub mod discover;
pub mod generate;
pub mod score;
pub mod sql;
pub mod validate;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Config, Overrides, RawConfig};
use crate::dates::parse_date;
use crate::error::{Error, Result};
use crate::progress::Progress;

/// The inputs every subcommand that reads accounts and deals takes.
#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Accounts: a Parquet or CSV file, or a directory of them [default: data/sample/accounts.parquet].
    #[arg(long)]
    pub accounts: Option<PathBuf>,
    /// Deals: a Parquet or CSV file, or a directory of them [default: data/sample/deals.parquet].
    #[arg(long)]
    pub deals: Option<PathBuf>,
    /// TOML file mapping column names and outcome labels (see data/examples/).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Censor open deals at this date and ignore deals created after it (YYYY-MM-DD) [default: the latest date in the deals].
    #[arg(long)]
    pub as_of: Option<String>,
}

/// Parse a `YYYY-MM-DD` flag value.
pub fn date_flag(flag: &str, value: &str) -> Result<i32> {
    parse_date(value).ok_or_else(|| {
        Error::config(
            format!("{flag} '{value}' is not a date"),
            format!("use YYYY-MM-DD, e.g. {flag} 2026-09-30"),
        )
    })
}

impl InputArgs {
    /// The checked config: the file (if any), then these flags, then `extra`.
    pub fn config(&self, extra: Overrides) -> Result<Config> {
        let raw = match &self.config {
            Some(p) => RawConfig::from_file(p)?,
            None => RawConfig::default(),
        };
        let as_of = self
            .as_of
            .as_deref()
            .map(|s| date_flag("--as-of", s))
            .transpose()?;
        raw.check(Overrides {
            accounts: self.accounts.clone(),
            deals: self.deals.clone(),
            as_of,
            config_file: self.config.clone(),
            ..extra
        })
    }
}

/// Outcome-based account segmentation: which accounts to go after, and how hard.
///
/// Reads won, lost and open deals and account features, finds segments with
/// k-means, measures how well and how fast each converts, and checks whether
/// your current tiers are in the right order.
#[derive(Debug, Parser)]
#[command(name = "abm-segments", version, about, long_about = None, help_expected = true)]
pub struct Cli {
    /// Print only errors: nothing on stdout, and no progress on stderr (the
    /// findings are in the run directory and the exit status). `validate
    /// --json` still prints its JSON, which is the command's output.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print more detail about each stage (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find segments, their outcomes and speed, and judge the current tiers (default input: data/sample).
    Discover(discover::Args),
    /// Does Tier 1 out-convert Tier 2? Per-tier figures and the verdict for a window of deals.
    Validate(validate::Args),
    /// Tier new accounts with a discover run's model.json, without re-clustering.
    Score(score::Args),
    /// Print a discover run's model as one SQL SELECT that scores an accounts table in DuckDB, Spark, BigQuery, Snowflake or Postgres.
    Sql(sql::Args),
    /// Write synthetic accounts and deals with planted segments.
    Generate(generate::Args),
}

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

/// Run the parsed command; returns the process exit status.
pub fn run(cli: Cli) -> Result<u8> {
    let log = Log::new(cli.quiet, cli.verbose);
    match cli.command {
        Command::Discover(args) => discover::run(args, log),
        Command::Validate(args) => validate::run(args, log),
        Command::Score(args) => score::run(args, log),
        Command::Sql(args) => sql::run(args, log),
        Command::Generate(args) => generate::run(args, log),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
