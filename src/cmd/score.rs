//! `abm-segments score`: tier new accounts with a model from `discover`,
//! without re-clustering — for the weekly run between quarterly reviews.

use std::path::PathBuf;

use crate::cmd::{Console, Log};
use crate::config::{Overrides, RawConfig};
use crate::error::{exit, Error, Result};
use crate::pipeline::score::{batch_rows, read_model, score_to};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// model.json written by discover, or the run directory holding it.
    #[arg(long)]
    pub model: PathBuf,
    /// Accounts to score: a Parquet or CSV file, or a directory of them, with the columns discover saw.
    #[arg(long)]
    pub accounts: PathBuf,
    /// TOML config for column names and CSV options (the same file discover used, if any).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Parquet file to write: account_id, segment, fit_score, recommended_tier, current_tier, in_icp, expected_value.
    #[arg(long, default_value = "accounts_scored.parquet")]
    pub out: PathBuf,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Exit with status 3 when a feature or the fit score has drifted (PSI > 0.25, beyond sampling noise at 5%, Holm) from the model's training accounts.
    #[arg(long)]
    pub fail_on_drift: bool,
}

pub fn run(args: Args, log: Log) -> Result<u8> {
    let model = read_model(&args.model)?;
    if args.out.exists() && !args.force {
        return Err(Error::config(
            format!("{} already exists", args.out.display()),
            "pass --force to replace it, or choose another --out",
        ));
    }
    let mut raw = match &args.config {
        Some(p) => RawConfig::from_file(p)?,
        None => RawConfig::default(),
    };
    if raw.accounts.id.is_none() {
        raw.accounts.id = Some(model.account_id_column.clone());
    }
    let config = raw.check(Overrides {
        accounts: Some(args.accounts.clone()),
        ..Default::default()
    })?;
    let scored = score_to(
        &config,
        &model,
        &args.out,
        batch_rows(),
        &mut Console::new(log),
    )?;
    let summary = format!(
        "scored {} accounts: {} in the ICP; Tier 1 {}, Tier 2 {}, Tier 3 {}; wrote {}",
        scored.accounts,
        scored.in_icp,
        scored.tiers[0],
        scored.tiers[1],
        scored.tiers[2],
        args.out.display()
    );
    let drift = scored.drift;
    for d in drift.features.iter().chain(drift.fit_score.iter()) {
        if d.band != crate::drift::Band::Stable {
            log.info(format!(
                "drift: {} PSI {:.3} ({})",
                d.name,
                d.psi,
                d.band.name()
            ));
        }
    }
    log.output(summary);
    if !drift.drifted.is_empty() {
        log.output(format!(
            "drifted since {}: {}",
            drift.against,
            drift.drifted.join(", ")
        ));
        if args.fail_on_drift {
            return Ok(exit::CHECK_FAILED);
        }
    }
    Ok(exit::OK)
}
