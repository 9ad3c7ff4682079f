//! `accounts_scored.parquet` and `segments.parquet`.
//!
//! Both carry the run's identity in the Parquet key-value metadata
//! (`abm_segments.schema_version`, `abm_segments.as_of`, `abm_segments.seed`,
//! `abm_segments.accounts_sha256`, `abm_segments.deals_sha256`), so a file
//! found on its own can be traced back to the run and inputs that made it.

use polars::io::parquet::write::BatchedWriter;
use polars::prelude::*;

use super::Report;
use crate::error::{Error, Result};
use crate::recommend::explain::Explain;

/// Per-account columns of `accounts_scored.parquet`.
pub struct ScoredAccounts {
    pub account_id: Vec<String>,
    /// 1-based segment id.
    pub segment: Vec<u32>,
    /// 0–100; null until a score model is fitted.
    pub fit_score: Vec<Option<f64>>,
    pub recommended_tier: Vec<Option<u8>>,
    pub current_tier: Vec<Option<u8>>,
    /// Readiness score 0–100 and band (`high`, `medium`, `low`); null
    /// without a readiness model.
    pub readiness_score: Option<Vec<f64>>,
    pub readiness_band: Option<Vec<&'static str>>,
    /// Whether the account meets the recommended ICP criteria (null without a model).
    pub in_icp: Option<Vec<bool>>,
    /// Win probability × expected won amount, currency units.
    pub expected_value: Option<Vec<Option<f64>>>,
    /// Why each account scored as it did (with a model).
    pub explain: Option<Explain>,
}

impl ScoredAccounts {
    /// The accounts `rows`, without reasons.
    fn rows(&self, rows: std::ops::Range<usize>) -> ScoredAccounts {
        let r = rows;
        ScoredAccounts {
            account_id: self.account_id[r.clone()].to_vec(),
            segment: self.segment[r.clone()].to_vec(),
            fit_score: self.fit_score[r.clone()].to_vec(),
            recommended_tier: self.recommended_tier[r.clone()].to_vec(),
            current_tier: self.current_tier[r.clone()].to_vec(),
            readiness_score: self.readiness_score.as_ref().map(|v| v[r.clone()].to_vec()),
            readiness_band: self.readiness_band.as_ref().map(|v| v[r.clone()].to_vec()),
            in_icp: self.in_icp.as_ref().map(|v| v[r.clone()].to_vec()),
            expected_value: self.expected_value.as_ref().map(|v| v[r].to_vec()),
            explain: None,
        }
    }
}

/// Key-value metadata naming the run a file came from.
pub type Metadata = Vec<(String, String)>;

/// The metadata of a discover run.
pub fn run_metadata(report: &Report) -> Metadata {
    let mut kv = vec![
        (
            "abm_segments.schema_version".to_string(),
            report.schema_version.to_string(),
        ),
        (
            "abm_segments.tool_version".to_string(),
            report.run.tool_version.to_string(),
        ),
        ("abm_segments.as_of".to_string(), report.run.as_of.clone()),
        ("abm_segments.seed".to_string(), report.run.seed.to_string()),
    ];
    for (name, input) in &report.run.inputs {
        kv.push((format!("abm_segments.{name}_sha256"), input.sha256.clone()));
    }
    kv
}

fn write(df: &mut DataFrame, report: &Report) -> Result<Vec<u8>> {
    write_with(df, run_metadata(report))
}

fn write_with(df: &mut DataFrame, kv: Metadata) -> Result<Vec<u8>> {
    // Room for the uncompressed columns: growing the buffer by doubling
    // copied a million-account file several times over.
    let mut buf = Vec::with_capacity(df.estimated_size() + (1 << 16));
    writer(&mut buf, kv)
        .finish(df)
        .map_err(|e| Error::Internal(format!("writing Parquet: {e}")))?;
    Ok(buf)
}

/// The Parquet writer of every output table.
fn writer<W: std::io::Write>(w: W, kv: Metadata) -> ParquetWriter<W> {
    // Snappy: compressing accounts_scored with zstd took about 1.4 s of a
    // million-account run, Snappy 0.8 s, for files about a third larger.
    // Every Parquet reader supports it.
    ParquetWriter::new(w)
        .with_compression(ParquetCompression::Snappy)
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(kv)))
        .set_parallel(true)
}

/// Rows per row group of `accounts_scored.parquet` (polars' default).
const ROW_GROUP: usize = 512 * 512;

/// Writes `accounts_scored.parquet` a batch of accounts at a time, each
/// batch as row groups of its own, so that `score` holds one batch in
/// memory; `discover` writes through it a row group at a time
/// ([`accounts_scored_by_group`]).
pub struct ScoredWriter<W: std::io::Write> {
    /// Before the first batch: the writer, waiting for the columns' types.
    start: Option<ParquetWriter<W>>,
    batched: Option<BatchedWriter<W>>,
}

impl<W: std::io::Write> ScoredWriter<W> {
    pub fn new(w: W, kv: Metadata) -> Self {
        ScoredWriter {
            start: Some(writer(w, kv)),
            batched: None,
        }
    }

    /// Append a batch of accounts.
    pub fn write(&mut self, a: ScoredAccounts) -> Result<()> {
        self.write_frame(scored_frame(a)?)
    }

    fn write_frame(&mut self, mut df: DataFrame) -> Result<()> {
        let err = |e: PolarsError| Error::Internal(format!("writing accounts_scored: {e}"));
        let df = polars::frame::chunk_df_for_writing(&mut df, ROW_GROUP).map_err(err)?;
        if let Some(w) = self.start.take() {
            self.batched = Some(w.batched(df.schema()).map_err(err)?);
        }
        self.batched
            .as_mut()
            .expect("the writer starts on the first batch")
            .write_batch(&df)
            .map_err(err)
    }

    /// Write the footer (with the metadata); returns the file's size.
    pub fn finish(self) -> Result<u64> {
        let err = |e: PolarsError| Error::Internal(format!("writing accounts_scored: {e}"));
        match (self.batched, self.start) {
            (Some(b), _) => b.finish().map_err(err),
            // No batch: a file with no columns, as writing an empty table does.
            (None, Some(w)) => w.finish(&mut DataFrame::empty()).map_err(err),
            (None, None) => unreachable!("a writer is either started or not"),
        }
    }
}

fn tier_col(name: &str, v: &[Option<u8>]) -> Column {
    let v: Vec<Option<i32>> = v.iter().map(|t| t.map(i32::from)).collect();
    Column::new(name.into(), v)
}

/// `accounts_scored.parquet` of all accounts at once.
pub fn accounts_scored(a: ScoredAccounts, kv: Metadata) -> Result<Vec<u8>> {
    let df = scored_frame(a)?;
    // Room for the uncompressed columns: growing the buffer by doubling
    // copied a million-account file several times over.
    let mut buf = Vec::with_capacity(df.estimated_size() + (1 << 16));
    let mut w = ScoredWriter::new(&mut buf, kv);
    w.write_frame(df)?;
    w.finish()?;
    Ok(buf)
}

/// `accounts_scored.parquet` of all accounts, a row group at a time, each
/// group's reasons written (`explain(rows)`) only when it is reached, so
/// that the reasons of every account are never in memory at once. The
/// groups are those polars cuts the whole table into ([`row_groups`]): the
/// file is the one [`accounts_scored`] writes with every reason at hand.
///
/// `explain` gives reasons for every range or for none. The first group's
/// reasons are written half on each of two threads; then a second thread
/// writes the next group's reasons while this one encodes the last group
/// into `out`; at most two groups are in memory.
pub fn accounts_scored_by_group<W: std::io::Write + ?Sized>(
    a: ScoredAccounts,
    explain: impl Fn(std::ops::Range<usize>) -> Option<Explain> + Sync,
    kv: Metadata,
    out: &mut W,
) -> Result<()> {
    let groups = row_groups(a.account_id.len());
    let a = &a;
    let explain = &explain;
    let first = {
        let rows = groups[0].clone();
        let middle = rows.start + rows.len() / 2;
        let halves = [rows.start..middle, middle..rows.end];
        let parts = crate::parallel::map_on_two_threads(&halves, |r| explain(r.clone()));
        let [earlier, later]: [Option<Explain>; 2] = parts
            .try_into()
            .unwrap_or_else(|_| unreachable!("one part per half"));
        let mut group = a.rows(rows);
        group.explain = (earlier.zip(later))
            .map(|(e, l)| e.append(l))
            .transpose()
            .map_err(|e| Error::Internal(format!("writing accounts_scored: {e}")))?;
        group
    };
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel(0);
        s.spawn(move || {
            for rows in groups.into_iter().skip(1) {
                let mut group = a.rows(rows.clone());
                group.explain = explain(rows);
                // The writer failed and hung up: nothing more to write.
                if tx.send(group).is_err() {
                    break;
                }
            }
        });
        let mut w = ScoredWriter::new(out, kv);
        w.write(first)?;
        for group in rx {
            w.write(group)?;
        }
        w.finish()?;
        Ok(())
    })
}

/// The row groups polars writes a single-chunk table of `n` rows as
/// (`chunk_df_for_writing` with [`ROW_GROUP`]): below two groups' worth,
/// one group; else `n / ROW_GROUP` groups of `n / groups` rows, the last
/// taking the remainder.
fn row_groups(n: usize) -> Vec<std::ops::Range<usize>> {
    let groups = (n / ROW_GROUP).max(1);
    let size = n / groups;
    (0..groups)
        .map(|g| g * size..if g + 1 == groups { n } else { (g + 1) * size })
        .collect()
}

/// The columns of `accounts_scored.parquet` for a batch of accounts.
fn scored_frame(a: ScoredAccounts) -> Result<DataFrame> {
    let n = a.account_id.len();
    DataFrame::new(
        n,
        vec![
            Column::new("account_id".into(), a.account_id),
            Column::new("segment".into(), &a.segment),
            Column::new("fit_score".into(), &a.fit_score),
            tier_col("recommended_tier", &a.recommended_tier),
            tier_col("current_tier", &a.current_tier),
            match &a.in_icp {
                Some(v) => Column::new("in_icp".into(), v),
                None => Column::new("in_icp".into(), vec![None::<bool>; n]),
            },
            match &a.expected_value {
                Some(v) => Column::new("expected_value".into(), v),
                None => Column::new("expected_value".into(), vec![None::<f64>; n]),
            },
            match &a.readiness_score {
                Some(v) => Column::new("readiness_score".into(), v),
                None => Column::new("readiness_score".into(), vec![None::<f64>; n]),
            },
            match &a.readiness_band {
                Some(v) => Column::new("readiness_band".into(), v),
                None => Column::new("readiness_band".into(), vec![None::<&str>; n]),
            },
        ],
    )
    .and_then(|mut df| {
        if let Some(e) = a.explain {
            let t = e.text;
            for texts in [
                t.reasons,
                t.top_positive,
                t.top_negative,
                t.rules_met,
                t.rules_failed,
            ] {
                df.with_column(texts.into_column())?;
            }
            df.with_column(Float64Chunked::from_vec("log_odds".into(), e.log_odds).into_column())?;
            df.with_column(Column::new(
                "baseline_log_odds".into(),
                vec![e.baseline_log_odds; n],
            ))?;
            for (name, c) in e.feature_names.iter().zip(e.contributions) {
                df.with_column(
                    Float64Chunked::from_vec(format!("contrib_{name}").into(), c).into_column(),
                )?;
            }
        }
        Ok(df)
    })
    .map_err(|e| Error::Internal(format!("building accounts_scored: {e}")))
}

pub fn segments(report: &Report) -> Result<Vec<u8>> {
    let segs = &report.segments;
    let n = segs.len();
    let f = |g: &dyn Fn(&super::SegmentReport) -> Option<f64>| -> Vec<Option<f64>> {
        segs.iter().map(g).collect()
    };
    let u = |g: &dyn Fn(&super::SegmentReport) -> u64| -> Vec<u64> { segs.iter().map(g).collect() };
    let mut cols = vec![
        Column::new(
            "segment".into(),
            segs.iter().map(|s| s.id).collect::<Vec<_>>(),
        ),
        Column::new(
            "name".into(),
            segs.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        ),
        Column::new("accounts".into(), u(&|s| s.outcomes.accounts)),
        Column::new("share".into(), f(&|s| Some(s.share))),
        Column::new("deals".into(), u(&|s| s.outcomes.deals)),
        Column::new("won".into(), u(&|s| s.outcomes.won)),
        Column::new("lost".into(), u(&|s| s.outcomes.lost)),
        Column::new("open".into(), u(&|s| s.outcomes.open)),
        Column::new("win_rate".into(), f(&|s| s.outcomes.win_rate)),
        Column::new(
            "win_rate_lo".into(),
            f(&|s| s.outcomes.win_rate_interval.map(|i| i.lo)),
        ),
        Column::new(
            "win_rate_hi".into(),
            f(&|s| s.outcomes.win_rate_interval.map(|i| i.hi)),
        ),
        Column::new("lift".into(), f(&|s| s.lift)),
    ];
    for &d in &report.run.parameters.horizons_days {
        let point = |s: &super::SegmentReport| {
            s.outcomes
                .time_to_win
                .horizons
                .iter()
                .find(|h| h.days == d)
                .cloned()
        };
        cols.push(Column::new(
            format!("p_win_{d}d").into(),
            f(&|s| point(s).map(|p| p.probability)),
        ));
        cols.push(Column::new(
            format!("p_win_{d}d_lo").into(),
            f(&|s| point(s).and_then(|p| p.interval).map(|i| i.lo)),
        ));
        cols.push(Column::new(
            format!("p_win_{d}d_hi").into(),
            f(&|s| point(s).and_then(|p| p.interval).map(|i| i.hi)),
        ));
        cols.push(Column::new(
            format!("at_risk_{d}d").into(),
            u(&|s| point(s).map_or(0, |p| p.at_risk)),
        ));
    }
    cols.extend([
        Column::new(
            "median_days_to_win".into(),
            f(&|s| s.outcomes.time_to_win.median_days_to_win),
        ),
        Column::new(
            "median_days_to_win_won_only".into(),
            f(&|s| s.outcomes.median_days_to_win_won_only),
        ),
        Column::new(
            "avg_won_amount".into(),
            f(&|s| s.outcomes.velocity.avg_won_amount),
        ),
        Column::new(
            "avg_cycle_days".into(),
            f(&|s| s.outcomes.velocity.avg_cycle_days),
        ),
        Column::new(
            "value_per_account_per_quarter".into(),
            f(&|s| s.outcomes.velocity.value_per_account_per_quarter),
        ),
        Column::new("won_value".into(), f(&|s| Some(s.outcomes.won_value))),
        Column::new(
            "pipeline_value".into(),
            f(&|s| Some(s.outcomes.pipeline_value)),
        ),
    ]);
    let mut df =
        DataFrame::new(n, cols).map_err(|e| Error::Internal(format!("building segments: {e}")))?;
    write(&mut df, report)
}

/// `correlations.parquet`: one row per feature-level test and per level.
pub fn correlations(report: &Report) -> Result<Vec<u8>> {
    let Some(c) = report.correlations.computed() else {
        let mut df = DataFrame::empty();
        return write(&mut df, report);
    };
    let mut feature = Vec::new();
    let mut level: Vec<Option<String>> = Vec::new();
    let mut aspect = Vec::new();
    let mut view = Vec::new();
    let mut test = Vec::new();
    let mut effect_measure = Vec::new();
    let mut effect = Vec::new();
    let mut n = Vec::new();
    let mut p = Vec::new();
    let mut q = Vec::new();
    let mut significant = Vec::new();
    let mut material = Vec::new();
    let mut lift: Vec<Option<f64>> = Vec::new();
    let mut win_rate: Vec<Option<f64>> = Vec::new();
    let mut push = |f: &str,
                    l: Option<&str>,
                    a: &str,
                    x: &crate::correlations::Finding,
                    li: Option<f64>,
                    wr: Option<f64>| {
        feature.push(f.to_string());
        level.push(l.map(str::to_string));
        aspect.push(a.to_string());
        view.push(x.view.to_string());
        test.push(x.test.to_string());
        effect_measure.push(x.effect_measure.to_string());
        effect.push(x.effect);
        n.push(x.n);
        p.push(x.p_value);
        q.push(x.q_value);
        significant.push(x.significant);
        material.push(x.material);
        lift.push(li);
        win_rate.push(wr);
    };
    for fa in &c.features {
        if fa.kind == crate::features::FeatureKind::Binary {
            continue;
        }
        for (a, x) in [
            ("win", &fa.win),
            ("win", &fa.win_accounts),
            ("speed", &fa.speed),
        ] {
            if let Some(x) = x {
                push(&fa.feature, None, a, x, None, None);
            }
        }
    }
    for l in &c.levels {
        for (a, x, li, wr) in [
            ("win", &l.win, l.lift, l.win_rate),
            (
                "win",
                &l.win_accounts,
                l.account_lift,
                l.account_conversion_rate,
            ),
            ("speed", &l.speed, None, None),
        ] {
            if let Some(x) = x {
                push(&l.feature, Some(&l.level), a, x, li, wr);
            }
        }
    }
    let rows = feature.len();
    let mut df = DataFrame::new(
        rows,
        vec![
            Column::new("feature".into(), feature),
            Column::new("level".into(), level),
            Column::new("aspect".into(), aspect),
            Column::new("view".into(), view),
            Column::new("test".into(), test),
            Column::new("effect_measure".into(), effect_measure),
            Column::new("effect".into(), effect),
            Column::new("lift".into(), lift),
            Column::new("rate".into(), win_rate),
            Column::new("n".into(), n),
            Column::new("p_value".into(), p),
            Column::new("q_value".into(), q),
            Column::new("significant".into(), significant),
            Column::new("material".into(), material),
        ],
    )
    .map_err(|e| Error::Internal(format!("building correlations: {e}")))?;
    write(&mut df, report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::explain::Explanations;

    /// The groups are polars' own: the chunks `chunk_df_for_writing` cuts a
    /// single-chunk table into, one row group each.
    #[test]
    fn row_groups_are_the_ones_polars_writes() {
        let g = ROW_GROUP;
        for n in [
            0,
            1,
            g - 1,
            g,
            2 * g - 1,
            2 * g,
            2 * g + 1,
            3 * g + 1001,
            5 * g - 1,
            10 * g + 99,
        ] {
            let mut df = DataFrame::new(n, vec![Column::new("x".into(), vec![0u32; n])]).unwrap();
            let cut = polars::frame::chunk_df_for_writing(&mut df, g).unwrap();
            let polars: Vec<usize> = cut.columns()[0]
                .as_materialized_series()
                .chunk_lengths()
                .collect();
            let ours: Vec<usize> = row_groups(n).iter().map(|r| r.len()).collect();
            assert_eq!(ours, polars, "{n} rows");
            assert_eq!(row_groups(n).last().map(|r| r.end), Some(n));
        }
    }

    /// Reasons that differ on every row, so that a group written with
    /// another group's rows, or out of order, changes the file.
    fn explained(rows: std::ops::Range<usize>) -> Explain {
        let text = |name: &str, f: &dyn Fn(usize) -> String| {
            StringChunked::from_iter_values(name.into(), rows.clone().map(f))
        };
        Explain {
            log_odds: rows.clone().map(|i| i as f64 / 7.0).collect(),
            baseline_log_odds: -1.5,
            feature_names: vec!["employees".into(), "industry".into()],
            contributions: vec![
                rows.clone().map(|i| (i % 13) as f64).collect(),
                rows.clone().map(|i| -((i % 5) as f64)).collect(),
            ],
            text: Explanations {
                top_positive: text("top_positive", &|i| format!("employees {i}")),
                top_negative: text("top_negative", &|i| format!("industry {}", i % 9)),
                rules_met: text("rules_met", &|i| ["a", "b; c", ""][i % 3].to_string()),
                rules_failed: text("rules_failed", &|i| ["", "d"][i % 2].to_string()),
                reasons: text("reasons", &|i| format!("fit {} | in ICP", i % 100)),
            },
        }
    }

    fn accounts(n: usize) -> ScoredAccounts {
        ScoredAccounts {
            account_id: (0..n).map(|i| format!("A{i:07}")).collect(),
            segment: (0..n).map(|i| (i % 6) as u32 + 1).collect(),
            fit_score: (0..n)
                .map(|i| (i % 3 != 0).then(|| i as f64 / 1e4))
                .collect(),
            recommended_tier: (0..n).map(|i| Some((i % 3) as u8 + 1)).collect(),
            current_tier: (0..n).map(|i| (i % 4 != 0).then_some(2)).collect(),
            readiness_score: Some((0..n).map(|i| (i % 101) as f64).collect()),
            readiness_band: Some((0..n).map(|i| ["high", "low"][i % 2]).collect()),
            in_icp: Some((0..n).map(|i| i % 7 == 0).collect()),
            expected_value: Some((0..n).map(|i| (i % 2 == 0).then_some(12.5)).collect()),
            explain: None,
        }
    }

    /// Written a group at a time, with each group's reasons made as it is
    /// reached (the first group's in two halves), the file is byte for byte
    /// the one written from the whole table: over three groups and a
    /// remainder, and in one group.
    #[test]
    fn writing_by_group_gives_the_file_of_the_whole_table() {
        for n in [3 * ROW_GROUP + 1001, 1000] {
            let kv = vec![("abm_segments.seed".to_string(), "7".to_string())];
            let mut whole = accounts(n);
            whole.explain = Some(explained(0..n));
            let whole = accounts_scored(whole, kv.clone()).unwrap();
            let asked = std::sync::Mutex::new(Vec::new());
            let mut by_group = Vec::new();
            accounts_scored_by_group(
                accounts(n),
                |rows| {
                    asked.lock().unwrap().push(rows.clone());
                    Some(explained(rows))
                },
                kv.clone(),
                &mut by_group,
            )
            .unwrap();
            // The first group in two halves, then each group whole.
            let mut asked = asked.into_inner().unwrap();
            asked.sort_by_key(|r| r.start);
            let mut expect = row_groups(n);
            let first = expect.remove(0);
            let middle = first.start + first.len() / 2;
            expect.splice(0..0, [first.start..middle, middle..first.end]);
            assert_eq!(asked, expect);
            assert!(by_group == whole, "{n} rows: the files differ");
            let plain = accounts_scored(accounts(n), kv.clone()).unwrap();
            let mut unexplained = Vec::new();
            accounts_scored_by_group(accounts(n), |_| None, kv, &mut unexplained).unwrap();
            assert!(unexplained == plain);
        }
    }
}
