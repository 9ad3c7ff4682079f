//! `abm-segments generate`: synthetic data with planted segments.

use std::path::PathBuf;

use crate::cmd::Log;
use crate::error::{exit, Error, IoOp, Result};
use crate::generate::{generate, write_table, GenerateParams, OutFormat, Structure};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to write accounts.<ext> and deals.<ext> (and with --history
    /// account_history.<ext>) into (created if missing).
    #[arg(long, default_value = "data/sample")]
    pub out: PathBuf,
    /// Number of accounts. 1,000,000 takes a few seconds and about 1 GiB of memory.
    #[arg(long, default_value_t = 3_000)]
    pub accounts: usize,
    /// Mean deals per account (Poisson).
    #[arg(long, default_value_t = 3.0)]
    pub deals_per_account: f64,
    /// Random seed; the same seed gives the same tables.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// As-of date: deals are created over the two years before it (YYYY-MM-DD).
    #[arg(long, default_value = "2026-09-30")]
    pub as_of: String,
    /// File format.
    #[arg(long, value_enum, default_value = "parquet")]
    pub format: OutFormat,
    /// The planted truth: `a` (strong intent signal, Fintech/SaaS × mid-size ×
    /// Salesforce fit group) or `b` (weaker web-visits signal, EMEA ×
    /// Manufacturing/Logistics × SAP fit group), `pockets` (two fit pockets
    /// joined by OR), `band` (a band of employees closed on both sides) or
    /// `null` (nothing bears on winning). See the `generate` module docs.
    #[arg(long, value_enum, default_value = "a")]
    pub structure: Structure,
    /// Also write account_history.<ext>: the accounts' feature versions
    /// (`valid_from`, `valid_to`, `tier`, `csm_assigned`).
    #[arg(long)]
    pub history: bool,
}

pub fn run(args: Args, log: Log) -> Result<u8> {
    if !(args.deals_per_account > 0.0 && args.deals_per_account <= 50.0) {
        return Err(Error::config(
            format!(
                "--deals-per-account {} is outside (0, 50]",
                args.deals_per_account
            ),
            "use e.g. --deals-per-account 3",
        ));
    }
    let params = GenerateParams {
        accounts: args.accounts,
        deals_per_account: args.deals_per_account,
        seed: args.seed,
        as_of: args.as_of,
        structure: args.structure,
    };
    let mut g = generate(&params)?;
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io(IoOp::Creating, &args.out, e))?;
    let ext = match args.format {
        OutFormat::Parquet => "parquet",
        OutFormat::Csv => "csv",
    };
    let a = args.out.join(format!("accounts.{ext}"));
    let d = args.out.join(format!("deals.{ext}"));
    write_table(&mut g.accounts, &a, args.format)?;
    write_table(&mut g.deals, &d, args.format)?;
    log.info(format!(
        "wrote {} accounts to {} and {} deals to {}",
        g.accounts.height(),
        a.display(),
        g.deals.height(),
        d.display()
    ));
    if args.history {
        let h = args.out.join(format!("account_history.{ext}"));
        write_table(&mut g.account_history, &h, args.format)?;
        log.info(format!(
            "wrote {} account versions to {}",
            g.account_history.height(),
            h.display()
        ));
    }
    Ok(exit::OK)
}
