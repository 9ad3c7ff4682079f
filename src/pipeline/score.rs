//! `score`: tier new accounts with a model from `discover`, without
//! re-clustering, and measure how far they have drifted from the model's
//! training accounts.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::drift::{Drift, Tally};
use crate::error::{Error, IoOp, Location, Result};
use crate::features::infer::apply;
use crate::io::contract::{self, AccountBatch, BatchOrigin};
use crate::io::read;
use crate::progress::Progress;
use crate::recommend::explain::Explain;
use crate::recommend::{Model, MODEL_VERSION};
use crate::report::parquet::{accounts_scored, Metadata, ScoredAccounts, ScoredWriter};

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

/// Score the accounts of `config` with `model`, all in memory and in
/// account-key order: the reference the batched [`score_to`] is tested
/// against, and the path of programs that want the table itself.
pub fn score(config: &Config, model: &Model, progress: &mut dyn Progress) -> Result<Scoring> {
    let spec = &config.input;
    progress.begin(
        &format!("reading accounts from {}", spec.accounts_path.display()),
        1,
    );
    let accounts = contract::accounts(crate::io::read_accounts(spec)?, spec)?;
    progress.finish();
    let n = accounts.len();
    let metadata = metadata(model, &accounts.file.sha256);
    let batch = AccountBatch {
        features: accounts.features_in_key_order()?,
        ids: accounts.ids,
        tier: accounts.tier,
    };
    let mut tally = Tally::new(&model.baseline);
    let scored = score_batch(model, batch, &accounts.path, &mut tally)?;
    debug_assert_eq!(scored.account_id.len(), n);
    Ok(Scoring {
        scored,
        metadata,
        drift: drift_of(model, &tally),
    })
}

/// The key-value metadata of `accounts_scored.parquet` written by `score`.
fn metadata(model: &Model, accounts_sha256: &str) -> Metadata {
    vec![
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
            accounts_sha256.to_string(),
        ),
    ]
}

fn drift_of(model: &Model, tally: &Tally) -> Drift {
    crate::drift::drift_of(
        format!("the model's training accounts (as of {})", model.as_of),
        &model.baseline,
        tally,
        &[],
    )
}

/// Score one batch of accounts (or all of them), counting their features
/// and fit scores into `tally` for drift.
fn score_batch(
    model: &Model,
    batch: AccountBatch,
    path: &Path,
    tally: &mut Tally,
) -> Result<ScoredAccounts> {
    let AccountBatch {
        ids,
        tier,
        features,
    } = batch;
    let n = ids.len();
    let features = apply(&features, &model.features, path)?;
    let mut scores = model.apply(&features, n);
    let explain = Explain::take(model, &features, &mut scores);
    tally.add(&model.baseline, &features, Some(&scores.probability));
    let (readiness_score, readiness_band) = (scores.readiness_score(), scores.readiness_band());
    Ok(ScoredAccounts {
        account_id: ids,
        segment: scores.segment,
        fit_score: scores.probability.iter().map(|p| Some(100.0 * p)).collect(),
        recommended_tier: scores.tier,
        current_tier: tier.unwrap_or_else(|| vec![None; n]),
        readiness_score,
        readiness_band,
        in_icp: Some(scores.in_icp),
        expected_value: Some(scores.expected_value),
        explain: Some(explain),
    })
}

/// Rows `score` reads, scores and writes at a time, unless
/// `ABM_SCORE_BATCH_ROWS` says otherwise: one row group of the output. A
/// batch of 256Ki accounts with a dozen features and their reasons takes
/// a few hundred MiB.
pub const BATCH_ROWS: usize = 1 << 18;

/// The batch size: `ABM_SCORE_BATCH_ROWS` if set to a positive number
/// (tests force many batches with it), else [`BATCH_ROWS`].
pub fn batch_rows() -> usize {
    std::env::var("ABM_SCORE_BATCH_ROWS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(BATCH_ROWS)
}

/// What [`score_to`] wrote, in counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub accounts: u64,
    /// Accounts in the recommended ICP.
    pub in_icp: u64,
    /// Accounts given Tier 1, 2 and 3.
    pub tiers: [u64; 3],
    /// Drift of the features and the fit score from the model's training accounts.
    pub drift: Drift,
}

/// Score the accounts of `config` with `model` in batches of `batch_rows`
/// rows and write `accounts_scored.parquet` to `out` as they go, one or more
/// row groups per batch, in the input's row order. Memory holds a batch or
/// two and a 64-bit hash of each key (8 bytes an account: 80 MB for 10M
/// accounts), with which keys are checked unique across batches.
///
/// The file is written beside `out` and renamed into place once complete;
/// on any error, nothing is left at `out`.
pub fn score_to(
    config: &Config,
    model: &Model,
    out: &Path,
    batch_rows: usize,
    progress: &mut dyn Progress,
) -> Result<Scored> {
    let spec = &config.input;
    let id = spec.account_columns.id.as_str();
    let table = read::table_batches(&spec.accounts_path, spec.accounts_csv_separator, None)?;
    let (path, columns, total) = (table.path.clone(), table.columns.clone(), table.file.rows);
    let tmp = Temp::beside(out)?;
    let file = std::fs::File::create(&tmp.0).map_err(|e| Error::io(IoOp::Creating, &tmp.0, e))?;
    let mut writer = ScoredWriter::new(
        std::io::BufWriter::with_capacity(1 << 20, file),
        metadata(model, &table.file.sha256),
    );
    let mut tally = Tally::new(&model.baseline);
    let mut hashes: Vec<u64> = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    let (mut in_icp, mut tiers) = (0u64, [0u64; 3]);
    progress.begin(
        &format!("reading accounts from {} and scoring them", path.display()),
        total,
    );
    let rows = table.for_each(batch_rows, |df| {
        let first = hashes.len() as u64;
        let whole = first == 0 && df.height() as u64 == total;
        let origin = BatchOrigin {
            path: &path,
            columns: &columns,
            first_row: first,
            whole,
        };
        let batch = contract::account_batch(df, &origin, spec)?;
        hashes.extend(batch.ids.iter().map(|k| key_hash(k)));
        let scored = score_batch(model, batch, &path, &mut tally)?;
        in_icp += scored.in_icp.iter().flatten().filter(|&&x| x).count() as u64;
        for t in scored.recommended_tier.iter().flatten() {
            tiers[usize::from(*t - 1)] += 1;
        }
        progress.advance(scored.account_id.len() as u64);
        writer.write(scored)?;
        // polars decodes each batch on its own threads, whose glibc arenas
        // keep what a batch freed: without this the resident set grew with
        // every batch.
        crate::memory::release_freed();
        Ok(())
    });
    progress.finish();
    let rows = rows?;
    if rows == 0 {
        return Err(Error::input(
            "the accounts table has no rows",
            Location::file(&path).column(id),
            "export the accounts again; a file with only a header usually means the export failed",
        ));
    }
    if let Some(key) = duplicate_key(hashes, spec)? {
        return Err(contract::duplicate_account(&path, spec, &key));
    }
    let size = writer.finish()?;
    debug_assert!(size > 0);
    tmp.rename_to(out)?;
    Ok(Scored {
        accounts: rows,
        in_icp,
        tiers,
        drift: drift_of(model, &tally),
    })
}

/// A key's 64-bit hash, the same in every run (SipHash with fixed keys).
fn key_hash(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    #[allow(deprecated)] // SipHasher: fixed keys, so the hash is reproducible
    let mut h = std::hash::SipHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// The first key (in key order) that appears twice, as [`contract::accounts`]
/// reports it. Sorting the keys' hashes finds candidates; only when two
/// hashes agree are the keys read again (the key column only) to tell a
/// duplicate from a collision, which among 10M random keys happens about
/// once in 400,000 inputs.
fn duplicate_key(
    mut hashes: Vec<u64>,
    spec: &crate::io::spec::InputSpec,
) -> Result<Option<String>> {
    hashes.sort_unstable();
    let mut twice: Vec<u64> = hashes
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0])
        .collect();
    drop(hashes);
    if twice.is_empty() {
        return Ok(None);
    }
    twice.dedup();
    let id = spec.account_columns.id.as_str();
    let table = read::table_batches(
        &spec.accounts_path,
        spec.accounts_csv_separator,
        Some(&[id]),
    )?;
    let (path, columns) = (table.path.clone(), table.columns.clone());
    let mut keys: Vec<String> = Vec::new();
    let mut first = 0u64;
    table.for_each(BATCH_ROWS, |df| {
        let n = df.height() as u64;
        let origin = BatchOrigin {
            path: &path,
            columns: &columns,
            first_row: first,
            whole: false,
        };
        let batch = contract::account_batch(df, &origin, spec)?;
        first += n;
        keys.extend(
            batch
                .ids
                .into_iter()
                .filter(|k| twice.binary_search(&key_hash(k)).is_ok()),
        );
        Ok(())
    })?;
    keys.sort_unstable();
    Ok(keys.windows(2).find(|w| w[0] == w[1]).map(|w| w[0].clone()))
}

/// A file being written beside its target, removed unless renamed into place.
struct Temp(PathBuf);

impl Temp {
    fn beside(out: &Path) -> Result<Temp> {
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(IoOp::Creating, &parent, e))?;
        Ok(Temp(
            parent.join(format!(".abm-tmp-score-{}", std::process::id())),
        ))
    }

    fn rename_to(self, out: &Path) -> Result<()> {
        std::fs::rename(&self.0, out).map_err(|e| Error::io(IoOp::RenamingIntoPlace, out, e))
        // `self` drops here; the temporary path no longer exists.
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Write `accounts_scored.parquet` beside the target and rename it into
/// place, so a reader never sees half a file.
pub fn write(scored: ScoredAccounts, metadata: Metadata, out: &Path) -> Result<()> {
    let bytes = accounts_scored(scored, metadata)?;
    let tmp = Temp::beside(out)?;
    std::fs::write(&tmp.0, &bytes).map_err(|e| Error::io(IoOp::Writing, &tmp.0, e))?;
    tmp.rename_to(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Overrides, RawConfig};

    fn spec(dir: &Path, text: &str) -> crate::io::spec::InputSpec {
        std::fs::create_dir_all(dir).unwrap();
        let path = dir.join("accounts.csv");
        std::fs::write(&path, text).unwrap();
        RawConfig::default()
            .check(Overrides {
                accounts: Some(path),
                ..Default::default()
            })
            .unwrap()
            .input
    }

    /// Equal hashes send the keys to be read again: a collision (two
    /// hashes equal, the keys not) is no duplicate, a repeated key is.
    #[test]
    fn equal_hashes_are_told_apart_from_equal_keys() {
        let dir = std::env::temp_dir().join(format!("abm-dupkey-{}", std::process::id()));
        let unique = spec(&dir, "account_id,x\na,1\nb,2\nc,3\n");
        let h = |k: &str| key_hash(k);
        // As if "c" hashed like "b": the keys are read, and all differ.
        assert_eq!(
            duplicate_key(vec![h("a"), h("b"), h("b")], &unique).unwrap(),
            None
        );
        assert_eq!(
            duplicate_key(vec![h("a"), h("b"), h("c")], &unique).unwrap(),
            None
        );
        let repeated = spec(&dir, "account_id,x\nz,1\nb,2\nz,3\nb,4\n");
        let hashes = ["z", "b", "z", "b"].map(h).to_vec();
        // The first repeated key in key order, as the in-memory check reports.
        assert_eq!(
            duplicate_key(hashes, &repeated).unwrap(),
            Some("b".to_string())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
