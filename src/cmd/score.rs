//! `abm-segments score`: tier new accounts with a model from `discover`,
//! without re-clustering — for the weekly run between quarterly reviews.

use std::path::{Path, PathBuf};

use crate::cmd::Log;
use crate::config::{Overrides, RawConfig};
use crate::error::{exit, Error, Location, Result};
use crate::features::infer::apply;
use crate::io::contract;
use crate::recommend::{Model, MODEL_VERSION};
use crate::report::parquet::{accounts_scored, ScoredAccounts};

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
    /// Exit with status 3 when a feature or the fit score has drifted (PSI > 0.25) from the model's training accounts.
    #[arg(long)]
    pub fail_on_drift: bool,
}

/// Read a model file (or `<dir>/model.json`).
pub fn read_model(path: &Path) -> Result<Model> {
    let file = if path.is_dir() {
        path.join("model.json")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).map_err(|e| Error::io("reading", &file, e))?;
    let model: Model = serde_json::from_str(&text).map_err(|e| {
        Error::input(
            format!("not a model written by discover: {e}"),
            Location::file(&file),
            "pass the model.json of a discover run",
        )
    })?;
    if model.model_version != MODEL_VERSION {
        return Err(Error::input(
            format!(
                "model version {} is not supported (this tool reads version {MODEL_VERSION})",
                model.model_version
            ),
            Location::file(&file),
            "run discover again with this version of the tool",
        ));
    }
    Ok(model)
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
    let stage = log.stage(
        format!("reading accounts from {}", args.accounts.display()),
        1,
    );
    let accounts = contract::accounts(crate::io::read_accounts(&config)?, &config)?;
    stage.finish();
    let features = apply(&accounts.features, &model.features, &accounts.path)?;
    let n = accounts.len();
    let mut scores = model.apply(&features, n);
    let explain = crate::report::parquet::Explain::take(&model, &features, &mut scores);
    let scored = ScoredAccounts {
        account_id: &accounts.ids,
        segment: scores.segment.clone(),
        fit_score: scores.probability.iter().map(|p| Some(100.0 * p)).collect(),
        recommended_tier: scores.tier.clone(),
        current_tier: accounts.tier.clone().unwrap_or_else(|| vec![None; n]),
        in_icp: Some(scores.in_icp.clone()),
        expected_value: Some(scores.expected_value.clone()),
        explain: Some(explain),
    };
    let kv = vec![
        ("abm_segments.model_as_of".to_string(), model.as_of.clone()),
        (
            "abm_segments.model_deals_sha256".to_string(),
            model.deals_sha256.clone(),
        ),
        (
            "abm_segments.tool_version".to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        ),
        (
            "abm_segments.accounts_sha256".to_string(),
            accounts.file.sha256.clone(),
        ),
    ];
    let bytes = accounts_scored(scored, kv)?;
    // Write beside the target and rename, so a reader never sees half a file.
    let parent = match args.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io("creating", &parent, e))?;
    let tmp = parent.join(format!(".abm-tmp-score-{}", std::process::id()));
    std::fs::write(&tmp, &bytes).map_err(|e| Error::io("writing", &tmp, e))?;
    std::fs::rename(&tmp, &args.out).map_err(|e| Error::io("renaming into place", &args.out, e))?;
    let drift = crate::drift::drift(
        format!("the model's training accounts (as of {})", model.as_of),
        &model.baseline,
        &features,
        Some(&scores.probability),
        &[],
    );
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
    let tiers = |t: u8| scores.tier.iter().filter(|x| **x == Some(t)).count();
    log.output(format!(
        "scored {n} accounts: {} in the ICP; Tier 1 {}, Tier 2 {}, Tier 3 {}; wrote {}",
        scores.in_icp.iter().filter(|&&x| x).count(),
        tiers(1),
        tiers(2),
        tiers(3),
        args.out.display()
    ));
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
