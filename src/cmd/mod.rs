//! The command line: one module per subcommand, each with its `Args` and `run`.

pub mod discover;
pub mod generate;

use clap::{Parser, Subcommand};

use crate::error::Result;

/// Outcome-based account segmentation: which accounts to go after, and how hard.
///
/// Reads won, lost and open deals and account features, finds segments with
/// k-means, measures how well and how fast each converts, and checks whether
/// your current tiers are in the right order.
#[derive(Debug, Parser)]
#[command(name = "abm-segments", version, about, long_about = None, help_expected = true)]
pub struct Cli {
    /// Print only errors.
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
    /// Write synthetic accounts and deals with planted segments.
    Generate(generate::Args),
}

/// Progress and log lines on stderr, never on stdout.
#[derive(Debug, Clone, Copy)]
pub struct Log {
    pub level: i8,
}

impl Log {
    pub fn new(quiet: bool, verbose: u8) -> Log {
        Log {
            level: if quiet { -1 } else { verbose as i8 },
        }
    }

    pub fn info(&self, msg: impl AsRef<str>) {
        if self.level >= 0 {
            eprintln!("{}", msg.as_ref());
        }
    }

    pub fn detail(&self, msg: impl AsRef<str>) {
        if self.level >= 1 {
            eprintln!("  {}", msg.as_ref());
        }
    }
}

/// Run the parsed command; returns the process exit status.
pub fn run(cli: Cli) -> Result<u8> {
    let log = Log::new(cli.quiet, cli.verbose);
    match cli.command {
        Command::Discover(args) => discover::run(args, log),
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
