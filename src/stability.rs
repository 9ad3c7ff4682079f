//! What changed since a previous run: accounts' tier moves and the reasons
//! for them, from the runs' `accounts_scored.parquet`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{Error, IoOp, Location, Result};
use serde::Serialize;

/// One account whose tier changed since the previous run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierMove {
    pub account_id: String,
    pub from: Option<u8>,
    pub to: Option<u8>,
    pub reason: String,
}

/// Tier changes since a previous run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Movement {
    pub previous_run: String,
    pub up: u64,
    pub down: u64,
    pub unchanged: u64,
    /// Accounts that gained a tier (were untiered or absent).
    pub entered: u64,
    /// Accounts that lost their tier (now untiered or absent).
    pub left: u64,
    /// Every move, up to `MAX_MOVES_LISTED`, ordered by account id.
    pub moves: Vec<TierMove>,
}

/// At most this many individual tier moves are listed.
pub const MAX_MOVES_LISTED: usize = 200;

pub fn scored_file(p: &Path) -> PathBuf {
    if p.is_dir() {
        p.join("accounts_scored.parquet")
    } else {
        p.to_path_buf()
    }
}

/// One account in a run's `accounts_scored.parquet`.
#[derive(Debug, Clone, Default)]
pub struct ScoredRow {
    pub current_tier: Option<u8>,
    pub recommended_tier: Option<u8>,
    pub fit_score: Option<f64>,
    pub in_icp: Option<bool>,
    /// Segment id, 1-based.
    pub segment: Option<u32>,
}

impl ScoredRow {
    pub fn tier(&self, column: &str) -> Option<u8> {
        if column == "recommended_tier" {
            self.recommended_tier
        } else {
            self.current_tier
        }
    }
}

/// `account_id` → its row in a run's `accounts_scored.parquet`.
pub fn read_run(path: &Path, tier_column: &str) -> Result<HashMap<String, ScoredRow>> {
    let file = scored_file(path);
    let f = std::fs::File::open(&file).map_err(|e| Error::io(IoOp::Reading, &file, e))?;
    let df = ParquetReader::new(f)
        .finish()
        .map_err(|e| crate::error::polars_input(&file, e))?;
    let bad = |e: PolarsError| crate::error::polars_input(&file, e);
    let col = |name: &str| {
        df.column(name).map_err(|_| {
            Error::input(
                "a column of accounts_scored.parquet is missing",
                Location::file(&file).column(name),
                "pass a run directory or accounts_scored.parquet written by discover; --tier-column is current_tier or recommended_tier",
            )
        })
    };
    let ids = col("account_id")?
        .as_materialized_series()
        .cast(&DataType::String)
        .map_err(bad)?;
    let tiers = |name: &str| -> Result<Vec<Option<u8>>> {
        let s = col(name)?
            .as_materialized_series()
            .cast(&DataType::Int64)
            .map_err(bad)?;
        let ca = s.i64().map_err(bad)?;
        ca.iter()
            .map(|t| match t {
                None => Ok(None),
                Some(v @ 1..=3) => Ok(Some(v as u8)),
                Some(v) => Err(Error::input(
                    "unrecognised tier label",
                    Location::file(&file).column(name).value(v),
                    "tiers in a run's output are 1, 2, 3 or null",
                )),
            })
            .collect()
    };
    if tier_column != "current_tier" && tier_column != "recommended_tier" {
        col(tier_column)?;
        return Err(Error::config(
            format!("--tier-column {tier_column} is not a tier column"),
            "use --tier-column current_tier or recommended_tier",
        ));
    }
    let current = tiers("current_tier")?;
    let recommended = tiers("recommended_tier").unwrap_or_else(|_| vec![None; df.height()]);
    let fit = optional(&df, "fit_score", DataType::Float64, &file, |s| {
        Ok(s.f64()?.iter().collect())
    })?;
    let segment = optional(&df, "segment", DataType::UInt32, &file, |s| {
        Ok(s.u32()?.iter().collect())
    })?;
    let icp = optional(&df, "in_icp", DataType::Boolean, &file, |s| {
        Ok(s.bool()?.iter().collect())
    })?;
    let mut out = HashMap::with_capacity(df.height());
    for (i, id) in ids.str().map_err(bad)?.iter().enumerate() {
        out.insert(
            id.unwrap_or_default().to_string(),
            ScoredRow {
                current_tier: current[i],
                recommended_tier: recommended[i],
                fit_score: fit[i],
                in_icp: icp[i],
                segment: segment[i],
            },
        );
    }
    Ok(out)
}

/// The fit score where each recommended tier starts in a run: the lowest
/// score among its Tier 1, 2 and 3 accounts (tiers are cut from the ranking
/// by fit score, so this is the run's threshold as its accounts show it).
pub fn tier_starts(rows: &HashMap<String, ScoredRow>) -> [Option<f64>; 3] {
    let mut starts = [None; 3];
    for r in rows.values() {
        if let (Some(t @ 1..=3), Some(f)) = (r.recommended_tier, r.fit_score) {
            let s: &mut Option<f64> = &mut starts[t as usize - 1];
            *s = Some(s.map_or(f, |x: f64| x.min(f)));
        }
    }
    starts
}

/// The tier starts of the previous and of this run.
pub type StartsBeforeNow = ([Option<f64>; 3], [Option<f64>; 3]);

/// "Tier 2 now starts at 61.8, was 63.0", when a move from tier `from` to
/// `to` is not explained by the fit score's direction: up with a lower (or
/// the same) score, down with a higher one. The tier named is the one the
/// account entered (moving up) or fell out of (moving down).
fn threshold_text(
    from: Option<u8>,
    to: Option<u8>,
    scores: (Option<f64>, Option<f64>),
    starts: &StartsBeforeNow,
) -> Option<String> {
    let (Some(x), Some(y)) = (from, to) else {
        return None;
    };
    let delta = match scores {
        (Some(a), Some(b)) => b - a,
        _ => 0.0,
    };
    let tier = match y.cmp(&x) {
        std::cmp::Ordering::Less if delta <= 0.0 => y,
        std::cmp::Ordering::Greater if delta >= 0.0 => x,
        _ => return None,
    };
    let i = tier as usize - 1;
    match (starts.0[i], starts.1[i]) {
        (Some(was), Some(now)) if (was - now).abs() >= 0.05 => {
            Some(format!("Tier {tier} now starts at {now:.1}, was {was:.1}"))
        }
        _ => None,
    }
}

/// An optional column of a run's table cast to `dtype`, all null where the
/// run has no such column.
fn optional<T: Clone>(
    df: &DataFrame,
    name: &str,
    dtype: DataType,
    file: &Path,
    values: impl Fn(&Series) -> PolarsResult<Vec<Option<T>>>,
) -> Result<Vec<Option<T>>> {
    let bad = |e: PolarsError| crate::error::polars_input(file, e);
    match df.column(name) {
        Ok(c) => values(&c.as_materialized_series().cast(&dtype).map_err(bad)?).map_err(bad),
        Err(_) => Ok(vec![None; df.height()]),
    }
}

/// Why an account's tier changed, from what the two runs recorded.
fn why(
    before: Option<&ScoredRow>,
    now: Option<&ScoredRow>,
    column: &str,
    starts: Option<&StartsBeforeNow>,
) -> String {
    if column != "recommended_tier" {
        return "the tier column changed between runs".into();
    }
    let mut parts = Vec::new();
    if let (Some(b), Some(n)) = (before, now) {
        if b.in_icp != n.in_icp {
            parts.push(match n.in_icp {
                Some(true) => "now meets the ICP criteria".to_string(),
                _ => "no longer meets the ICP criteria".to_string(),
            });
        }
        if let (Some(x), Some(y)) = (b.fit_score, n.fit_score) {
            if (x - y).abs() >= 0.05 {
                parts.push(format!("fit score {x:.1} → {y:.1}"));
            }
        }
        let tiers = (b.recommended_tier, n.recommended_tier);
        if let Some(t) =
            starts.and_then(|st| threshold_text(tiers.0, tiers.1, (b.fit_score, n.fit_score), st))
        {
            parts.push(t);
        }
    }
    if parts.is_empty() {
        "the tier thresholds changed".into()
    } else {
        parts.join("; ")
    }
}

pub fn movement(
    previous: &Path,
    before: &HashMap<String, ScoredRow>,
    column: &str,
    ids: &[String],
    now: &[Option<u8>],
    now_rows: Option<&HashMap<String, ScoredRow>>,
) -> Result<Movement> {
    let mut m = Movement {
        previous_run: previous.display().to_string(),
        up: 0,
        down: 0,
        unchanged: 0,
        entered: 0,
        left: 0,
        moves: vec![],
    };
    let mut moves = Vec::new();
    let starts = now_rows.map(|r| (tier_starts(before), tier_starts(r)));
    for (id, &t) in ids.iter().zip(now) {
        let b_row = before.get(id);
        let b = b_row.and_then(|r| r.tier(column));
        let what = match (b, t) {
            (Some(x), Some(y)) if x == y => {
                m.unchanged += 1;
                continue;
            }
            (None, None) => continue,
            (Some(x), Some(y)) if y < x => {
                m.up += 1;
                format!("moved up from Tier {x} to Tier {y}")
            }
            (Some(x), Some(y)) => {
                m.down += 1;
                format!("moved down from Tier {x} to Tier {y}")
            }
            (None, Some(y)) => {
                m.entered += 1;
                format!("entered at Tier {y}")
            }
            (Some(x), None) => {
                m.left += 1;
                format!("left the tiers (was Tier {x})")
            }
        };
        moves.push(TierMove {
            account_id: id.clone(),
            from: b,
            to: t,
            reason: format!(
                "{what}: {}",
                why(
                    b_row,
                    now_rows.and_then(|r| r.get(id)),
                    column,
                    starts.as_ref()
                )
            ),
        });
    }
    moves.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    moves.truncate(MAX_MOVES_LISTED);
    m.moves = moves;
    Ok(m)
}

/// Two segments are the same segment across runs when the Jaccard index of
/// their accounts (among accounts present in both runs) reaches this.
pub const MIN_MATCH_JACCARD: f64 = 0.5;

/// A segment of this run that continues one of the previous run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MatchedSegment {
    pub id: u32,
    /// Jaccard index of the two segments' accounts (0–1).
    pub jaccard: f64,
}

/// A previous segment with no successor.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VanishedSegment {
    pub id: u32,
    pub name: Option<String>,
    /// Its accounts in the previous run.
    pub accounts: u64,
}

/// How this run's segments line up with the previous run's.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SegmentMatching {
    pub previous_run: String,
    pub matched: Vec<MatchedSegment>,
    /// Ids given to segments that did not exist before.
    pub new: Vec<u32>,
    pub vanished: Vec<VanishedSegment>,
    /// Stable id per segment of this run, in this run's size order.
    #[serde(skip)]
    pub ids: Vec<u32>,
    /// The previous name of each matched segment, in this run's size order.
    #[serde(skip)]
    pub names: Vec<Option<String>>,
}

/// Read `segments.parquet` of a run: id → name.
pub fn segment_names(run: &Path) -> Result<HashMap<u32, String>> {
    let file = run.join("segments.parquet");
    let f = std::fs::File::open(&file).map_err(|e| Error::io(IoOp::Reading, &file, e))?;
    let df = ParquetReader::new(f)
        .finish()
        .map_err(|e| crate::error::polars_input(&file, e))?;
    let bad = |e: PolarsError| crate::error::polars_input(&file, e);
    let ids = df
        .column("segment")
        .map_err(bad)?
        .as_materialized_series()
        .cast(&DataType::UInt32)
        .map_err(bad)?;
    let names = df
        .column("name")
        .map_err(bad)?
        .as_materialized_series()
        .cast(&DataType::String)
        .map_err(bad)?;
    Ok(ids
        .u32()
        .map_err(bad)?
        .iter()
        .zip(names.str().map_err(bad)?.iter())
        .filter_map(|(i, n)| Some((i?, n?.to_string())))
        .collect())
}

/// The assignment of rows to columns maximising the total score (each row
/// and column used at most once), by dynamic programming over subsets of
/// columns; `score[r][c]`. Exact for up to 16 columns, which covers any k
/// `discover` considers; beyond that, greedy.
pub fn best_assignment(score: &[Vec<f64>], cols: usize) -> Vec<Option<usize>> {
    let rows = score.len();
    if cols > 16 {
        let mut used = vec![false; cols];
        return score
            .iter()
            .map(|r| {
                let best = (0..cols)
                    .filter(|&c| !used[c])
                    .max_by(|&a, &b| r[a].total_cmp(&r[b]));
                if let Some(c) = best {
                    used[c] = true;
                }
                best
            })
            .collect();
    }
    let full = 1usize << cols;
    // dp[r][mask]: best total for rows r.. with columns in mask used.
    let mut dp = vec![vec![0.0f64; full]; rows + 1];
    for r in (0..rows).rev() {
        for mask in 0..full {
            let mut best = dp[r + 1][mask];
            for c in 0..cols {
                if mask & (1 << c) == 0 {
                    best = best.max(score[r][c] + dp[r + 1][mask | (1 << c)]);
                }
            }
            dp[r][mask] = best;
        }
    }
    let mut out = vec![None; rows];
    let mut mask = 0;
    for (r, slot) in out.iter_mut().enumerate() {
        if dp[r][mask] == dp[r + 1][mask] {
            continue;
        }
        for c in 0..cols {
            if mask & (1 << c) == 0
                && (score[r][c] + dp[r + 1][mask | (1 << c)] - dp[r][mask]).abs() < 1e-12
            {
                *slot = Some(c);
                mask |= 1 << c;
                break;
            }
        }
    }
    out
}

/// Give this run's segments (`labels`, 0-based by size) the ids of the
/// previous run's segments they continue.
pub fn match_segments(
    previous_run: &Path,
    previous: &HashMap<String, ScoredRow>,
    previous_names: &HashMap<u32, String>,
    ids: &[String],
    labels: &[usize],
    k: usize,
) -> SegmentMatching {
    let mut prev_ids: Vec<u32> = previous.values().filter_map(|r| r.segment).collect();
    prev_ids.sort_unstable();
    prev_ids.dedup();
    let col_of: HashMap<u32, usize> = prev_ids
        .iter()
        .enumerate()
        .map(|(i, &id)| (id, i))
        .collect();
    let p = prev_ids.len();
    let mut overlap = vec![vec![0u64; p]; k];
    let mut now_size = vec![0u64; k];
    let mut prev_size = vec![0u64; p];
    for (id, &l) in ids.iter().zip(labels) {
        if let Some(c) = previous
            .get(id)
            .and_then(|r| r.segment)
            .and_then(|s| col_of.get(&s))
        {
            overlap[l][*c] += 1;
            now_size[l] += 1;
            prev_size[*c] += 1;
        }
    }
    let jaccard: Vec<Vec<f64>> = (0..k)
        .map(|r| {
            (0..p)
                .map(|c| {
                    let union = now_size[r] + prev_size[c] - overlap[r][c];
                    if union == 0 {
                        0.0
                    } else {
                        overlap[r][c] as f64 / union as f64
                    }
                })
                .collect()
        })
        .collect();
    let assignment = best_assignment(&jaccard, p);
    let mut next = prev_ids.last().copied().unwrap_or(0) + 1;
    let mut out = SegmentMatching {
        previous_run: previous_run.display().to_string(),
        matched: vec![],
        new: vec![],
        vanished: vec![],
        ids: vec![0; k],
        names: vec![None; k],
    };
    let mut taken = vec![false; p];
    for r in 0..k {
        match assignment[r].filter(|&c| jaccard[r][c] >= MIN_MATCH_JACCARD) {
            Some(c) => {
                taken[c] = true;
                out.ids[r] = prev_ids[c];
                out.names[r] = previous_names.get(&prev_ids[c]).cloned();
                out.matched.push(MatchedSegment {
                    id: prev_ids[c],
                    jaccard: jaccard[r][c],
                });
            }
            None => {
                out.ids[r] = next;
                out.new.push(next);
                next += 1;
            }
        }
    }
    let mut prev_counts: HashMap<u32, u64> = HashMap::new();
    for r in previous.values() {
        if let Some(s) = r.segment {
            *prev_counts.entry(s).or_default() += 1;
        }
    }
    for (c, &id) in prev_ids.iter().enumerate() {
        if !taken[c] {
            out.vanished.push(VanishedSegment {
                id,
                name: previous_names.get(&id).cloned(),
                accounts: prev_counts.get(&id).copied().unwrap_or(0),
            });
        }
    }
    out
}

/// How the recommended tiers moved since the previous run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TierStability {
    /// Jaccard index of the previous and current Tier 1 accounts (0–1).
    pub tier1_jaccard: Option<f64>,
    /// Share of the previous Tier 1 still in Tier 1 (0–1).
    pub tier1_retained: Option<f64>,
    /// Accounts per (previous tier, current tier); null is outside the tiers.
    pub transitions: Vec<Transition>,
    pub movement: Movement,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Transition {
    pub from: Option<u8>,
    pub to: Option<u8>,
    pub accounts: u64,
}

/// Compare this run's recommended tiers with the previous run's.
pub fn tier_stability(
    previous_run: &Path,
    previous: &HashMap<String, ScoredRow>,
    ids: &[String],
    now: &[Option<u8>],
    now_rows: &HashMap<String, ScoredRow>,
) -> Result<TierStability> {
    let mut t = std::collections::BTreeMap::<(Option<u8>, Option<u8>), u64>::new();
    let (mut both, mut prev1, mut now1) = (0u64, 0u64, 0u64);
    for (id, &to) in ids.iter().zip(now) {
        let from = previous.get(id).and_then(|r| r.recommended_tier);
        *t.entry((from, to)).or_default() += 1;
        prev1 += u64::from(from == Some(1));
        now1 += u64::from(to == Some(1));
        both += u64::from(from == Some(1) && to == Some(1));
    }
    let union = prev1 + now1 - both;
    Ok(TierStability {
        tier1_jaccard: (union > 0).then(|| both as f64 / union as f64),
        tier1_retained: (prev1 > 0).then(|| both as f64 / prev1 as f64),
        transitions: t
            .into_iter()
            .map(|((from, to), accounts)| Transition { from, to, accounts })
            .collect(),
        movement: movement(
            previous_run,
            previous,
            "recommended_tier",
            ids,
            now,
            Some(now_rows),
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(tier: Option<u8>, fit: f64) -> ScoredRow {
        ScoredRow {
            current_tier: None,
            recommended_tier: tier,
            fit_score: Some(fit),
            in_icp: Some(true),
            segment: Some(1),
        }
    }

    /// Account b moves up from Tier 3 to Tier 2 while its fit score falls
    /// from 62.5 to 62.1: Tier 2 started at 63.0 (account a) and now starts
    /// at 61.8 (account a again), and the reason says so. Account c moves
    /// up with a higher score: the score explains it, no threshold is named.
    #[test]
    fn a_move_against_the_score_names_the_moved_threshold() {
        let before: HashMap<String, ScoredRow> = [
            ("a".to_string(), row(Some(2), 63.0)),
            ("b".to_string(), row(Some(3), 62.5)),
            ("c".to_string(), row(Some(3), 50.0)),
            ("d".to_string(), row(Some(1), 90.0)),
        ]
        .into();
        let now: HashMap<String, ScoredRow> = [
            ("a".to_string(), row(Some(2), 61.8)),
            ("b".to_string(), row(Some(2), 62.1)),
            ("c".to_string(), row(Some(2), 70.0)),
            ("d".to_string(), row(Some(1), 90.0)),
        ]
        .into();
        assert_eq!(tier_starts(&now), [Some(90.0), Some(61.8), None]);
        let ids: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let tiers: Vec<Option<u8>> = ids.iter().map(|i| now[i].recommended_tier).collect();
        let m = movement(
            Path::new("prev"),
            &before,
            "recommended_tier",
            &ids,
            &tiers,
            Some(&now),
        )
        .unwrap();
        assert_eq!(m.up, 2);
        assert_eq!(
            m.moves[0].reason,
            "moved up from Tier 3 to Tier 2: fit score 62.5 → 62.1; Tier 2 now starts at 61.8, was 63.0"
        );
        assert_eq!(
            m.moves[1].reason,
            "moved up from Tier 3 to Tier 2: fit score 50.0 → 70.0"
        );
    }
}
