//! `abm-segments discover`: the whole review, one line per stage.

use std::path::PathBuf;

use crate::cmd::{Console, InputArgs, Log};
use crate::config::{Config, Overrides};
use crate::error::{exit, Result};
use crate::pipeline::discover;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    /// Run directory to create [default: runs/discover-<timestamp>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace an existing run directory, only once the new run has succeeded.
    #[arg(long)]
    pub force: bool,
    /// Seed for sampling and k-means; the same seed and inputs give the same report.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Smallest k to try.
    #[arg(long)]
    pub k_min: Option<usize>,
    /// Largest k to try. Each k costs one k-means fit (n_runs restarts) and one silhouette on the sample.
    #[arg(long)]
    pub k_max: Option<usize>,
    /// Account feature versions over time (Parquet, CSV or a directory): `account_id`,
    /// `valid_from`, `valid_to` (null while current; dbt's `dbt_valid_from`/`dbt_valid_to`
    /// work too) and feature columns named as in the accounts table. Each deal is then
    /// explained by the features valid when it was created. Read whole into memory.
    #[arg(long)]
    pub account_history: Option<PathBuf>,
    /// Exit with status 3 when Tier 1 converts significantly worse than Tier 2 (or Tier 2 than Tier 3).
    #[arg(long)]
    pub fail_on_inversion: bool,
    /// A previous run directory: keep its segment ids for the same segments, list tier moves, and measure drift.
    #[arg(long)]
    pub previous: Option<PathBuf>,
    /// Exit with status 3 when a feature, the fit score or a tier's win rate has drifted (PSI > 0.25) since --previous.
    #[arg(long, requires = "previous")]
    pub fail_on_drift: bool,
}

fn config(args: &Args) -> Result<Config> {
    args.input.config(Overrides {
        k_min: args.k_min,
        k_max: args.k_max,
        seed: args.seed,
        previous: args.previous.clone(),
        account_history: args.account_history.clone(),
        ..Default::default()
    })
}

pub fn run(args: Args, log: Log) -> Result<u8> {
    let started = chrono::Utc::now();
    let config = config(&args)?;
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!("runs/discover-{}", started.format("%Y%m%d-%H%M%S")))
    });
    // Before anything is written: a run too large for the memory stops here.
    if let Some((estimate, available)) = crate::estimate::check_discover(&config.input)? {
        log.detail(format!(
            "memory: peak estimated at {:.0} MiB ({:.0} reading, {:.0} after); {}",
            estimate.peak_mib(),
            estimate.reading_mib,
            estimate.after_mib,
            match available {
                Some(a) => format!(
                    "{:.0} MiB available ({})",
                    a.bytes as f64 / 1048576.0,
                    a.source
                ),
                None => "memory available unknown".to_string(),
            }
        ));
    }
    discover::preflight(&out, args.force)?;
    let mut progress = Console::new(log);
    let found = discover::discover(&config, &mut progress)?;
    let mut staging = discover::stage(&out, args.force)?;
    let rendered = discover::render(found, &mut progress, &mut staging)?;
    discover::publish(staging, &rendered.files)?;
    let r = &rendered.report;
    log.output(r.headlines.join("\n"));
    log.output(format!("wrote {}", out.display()));
    let inverted = r
        .current_tiers
        .computed()
        .is_some_and(crate::verdict::inverted);
    if args.fail_on_inversion && inverted {
        log.info("tiers are inverted and --fail-on-inversion was given: exit status 3");
        return Ok(exit::CHECK_FAILED);
    }
    if let Some(d) = r.drift.computed() {
        if !d.drifted.is_empty() {
            log.info(format!(
                "drifted since {}: {}",
                d.against,
                d.drifted.join(", ")
            ));
            if args.fail_on_drift {
                return Ok(exit::CHECK_FAILED);
            }
        }
    }
    Ok(exit::OK)
}
