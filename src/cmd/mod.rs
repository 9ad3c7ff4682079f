//! The command line: one module per subcommand, each with its `Args` and `run`.

mod console;
pub mod discover;
pub mod generate;
mod input;
pub mod score;
pub mod sql;
pub mod validate;

use clap::{Parser, Subcommand};

use crate::error::Result;
pub use console::{Console, Log, Stage};
pub use input::{date_flag, InputArgs};

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
