//! `score`: tier new accounts with a model from `discover`, without
//! re-clustering, and measure how far they have drifted from the model's
//! training accounts.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::drift::Drift;
use crate::error::{Error, IoOp, Location, Result};
use crate::features::infer::apply;
use crate::io::contract;
use crate::progress::Progress;
use crate::recommend::explain::Explain;
use crate::recommend::{Model, MODEL_VERSION};
use crate::report::parquet::{accounts_scored, Metadata, ScoredAccounts};

/// Accounts scored by a model, before the table is written.
pub struct Scoring {
    pub scored: ScoredAccounts,
    /// Key-value metadata for `accounts_scored.parquet`.
    pub metadata: Metadata,
    /// Drift of the features and the fit score from the model's training accounts.
    pub drift: Drift,
}

impl Scoring {
    /// Accounts in the recommended ICP.
    pub fn in_icp(&self) -> usize {
        self.scored
            .in_icp
            .as_ref()
            .map_or(0, |v| v.iter().filter(|&&x| x).count())
    }

    /// Accounts given tier `t`.
    pub fn tier_count(&self, t: u8) -> usize {
        self.scored
            .recommended_tier
            .iter()
            .filter(|x| **x == Some(t))
            .count()
    }
}

/// Read a model file (or `<dir>/model.json`).
pub fn read_model(path: &Path) -> Result<Model> {
    let file = if path.is_dir() {
        path.join("model.json")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).map_err(|e| Error::io(IoOp::Reading, &file, e))?;
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

/// Score the accounts of `config` with `model`.
pub fn score(config: &Config, model: &Model, progress: &mut dyn Progress) -> Result<Scoring> {
    let spec = &config.input;
    progress.begin(
        &format!("reading accounts from {}", spec.accounts_path.display()),
        1,
    );
    let accounts = contract::accounts(crate::io::read_accounts(spec)?, spec)?;
    progress.finish();
    let features = apply(&accounts.features, &model.features, &accounts.path)?;
    let n = accounts.len();
    let mut scores = model.apply(&features, n);
    let explain = Explain::take(model, &features, &mut scores);
    let metadata = vec![
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
    let drift = crate::drift::drift(
        format!("the model's training accounts (as of {})", model.as_of),
        &model.baseline,
        &features,
        Some(&scores.probability),
        &[],
    );
    let (readiness_score, readiness_band) = (scores.readiness_score(), scores.readiness_band());
    let scored = ScoredAccounts {
        account_id: accounts.ids,
        segment: scores.segment,
        fit_score: scores.probability.iter().map(|p| Some(100.0 * p)).collect(),
        recommended_tier: scores.tier,
        current_tier: accounts.tier.unwrap_or_else(|| vec![None; n]),
        readiness_score,
        readiness_band,
        in_icp: Some(scores.in_icp),
        expected_value: Some(scores.expected_value),
        explain: Some(explain),
    };
    Ok(Scoring {
        scored,
        metadata,
        drift,
    })
}

/// Write `accounts_scored.parquet` beside the target and rename it into
/// place, so a reader never sees half a file.
pub fn write(scored: ScoredAccounts, metadata: Metadata, out: &Path) -> Result<()> {
    let bytes = accounts_scored(scored, metadata)?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(IoOp::Creating, &parent, e))?;
    let tmp = parent.join(format!(".abm-tmp-score-{}", std::process::id()));
    std::fs::write(&tmp, &bytes).map_err(|e| Error::io(IoOp::Writing, &tmp, e))?;
    std::fs::rename(&tmp, out).map_err(|e| Error::io(IoOp::RenamingIntoPlace, out, e))?;
    Ok(())
}
