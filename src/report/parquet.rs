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
        .set_parallel(false)
}

/// Rows per row group of `accounts_scored.parquet` (polars' default).
const ROW_GROUP: usize = 512 * 512;

/// Writes `accounts_scored.parquet` a batch of accounts at a time, each
/// batch as row groups of its own, so that `score` holds one batch in
/// memory; `discover` writes all its accounts as one batch through the same
/// code.
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
