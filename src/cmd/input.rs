//! The inputs every command that reads accounts and deals takes, and date
//! flags.

use std::path::PathBuf;

use crate::config::{Config, Overrides, RawConfig};
use crate::dates::parse_date;
use crate::error::{Error, Result};

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
