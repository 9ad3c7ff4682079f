//! `discover`: read, validate, segment and measure, then judge the current
//! tiers; one function per stage.
//!
//! [`discover`] returns a [`Discovery`] (the finished [`Report`], the score
//! model and the per-account table); [`render`] turns it into the run
//! directory's files and [`write`] writes them. A caller that wants only the
//! figures stops after [`discover`].
//!
//! This file reads the inputs and draws the segments; `found` measures what
//! they found (outcomes, speed, the score model, the current tiers) and
//! `assemble` puts the figures into the report and the per-account table.

use std::path::Path;

use polars::prelude::DataFrame;

use super::{Lap, Stopwatch};
use crate::cluster::{cluster_with_progress, Clustering, Step};
use crate::config::Config;
use crate::dates::format_date;
use crate::error::{Error, IoOp, Location, Result};
use crate::features::evidence::Evidence;
use crate::features::{encode, infer::InferOptions, FeatureColumn, FeatureMatrix};
use crate::io::contract::{Accounts, Deals};
use crate::io::run_dir::{self, Files, Staging};
use crate::io::Inputs;
use crate::outcomes::{figures, OutcomeFigures};
use crate::progress::Progress;
use crate::recommend::explain::Explainer;
use crate::recommend::Model;
use crate::report::parquet::ScoredAccounts;
use crate::report::{self, Report};

mod assemble;
mod found;
mod previous;
mod sections;

use found::{clustered_columns, deal_won, evidence, figure_options, rfc3339_now, Found};
pub use found::{Discovery, Reasons};

/// A rendered run: the report and the files of its run directory not yet
/// written into its staging.
pub struct Rendered {
    pub report: Report,
    pub files: Files,
    pub timings: Vec<Lap>,
}

/// Read, validate, segment and measure; the whole review as a [`Discovery`].
pub fn discover(config: &Config, progress: &mut dyn Progress) -> Result<Discovery> {
    let started_at = rfc3339_now();
    let mut clock = Stopwatch::new();
    let mut inputs = super::load(&config.input, progress)?;
    clock.lap(progress, "read and validate");
    progress.detail(&format!(
        "{} accounts, {} deals kept, as of {}",
        inputs.accounts.len(),
        inputs.deals.len(),
        format_date(inputs.deals.as_of)
    ));
    enough_accounts(config, &inputs.accounts)?;
    let (features, skipped) = crate::features::infer::infer_accounts(
        &inputs.accounts,
        &InferOptions {
            kinds: &config.kinds,
            roles: &config.roles,
            list_separator: &config.list_separator,
            file: &inputs.accounts.path,
        },
    )?;
    // The features hold every value the run reads from here on, unless an
    // account history (whose missing columns take the accounts' types) or
    // `--previous` (whose model is applied to the accounts) needs the table
    // itself: free it, keeping its height (at 10M accounts, about 1.5 GB).
    if inputs.history.is_none() && config.previous.is_none() {
        inputs.accounts.features = DataFrame::empty_with_height(inputs.accounts.len());
        inputs.accounts.rows = None;
    }
    clock.lap(progress, "features");
    // With a history each deal's features are as of its creation; the
    // snapshot check is for runs without one. Likely leaks are kept out of
    // the segments, the criteria and the fit score. The check reads none
    // of the matrix: it runs while the matrix is encoded and each column's
    // weight measured, and its leaks are then weighted 0.
    let (post_outcome, matrix, weighed) = std::thread::scope(|s| {
        let post_outcome = s.spawn(|| {
            (inputs.history.is_none())
                .then(|| crate::leakage::analyse(&features, inputs.accounts.len(), &inputs.deals))
        });
        let matrix = encode(&features, inputs.accounts.len());
        let weighed = evidence(&features, &inputs, &inputs.deals).map(|ev| {
            let w = outcome_weights(ev.matrix(&matrix), &ev, &inputs.deals);
            (w, ev.joined)
        });
        (crate::parallel::joined(post_outcome), matrix, weighed)
    });
    let (mut weights, joined) = weighed?;
    // One gate for every use of a feature: its role, and the likely leaks
    // shut out of all of them.
    let gate = crate::features::Gate::new(
        &features,
        post_outcome
            .as_ref()
            .map(|p| p.excluded())
            .unwrap_or_default(),
    );
    // The evidence's matrix, when it is not this one, has the same columns.
    let clustered = clustered_columns(&features, &gate, &matrix);
    for (w, &kept) in weights.iter_mut().zip(&clustered) {
        if !kept {
            *w = 0.0;
        }
    }
    clock.lap(progress, "encode");
    // The overall figures read the deals only: they are counted while
    // k-means runs.
    let (clustering, overall) = std::thread::scope(|s| {
        let overall = s.spawn(|| overall_figures(config, &inputs));
        let clustering = clusters(config, &features, &matrix, &weights, progress);
        (clustering, crate::parallel::joined(overall))
    });
    let mut clustering = clustering?;
    clustering
        .reason
        .push_str(report::notes::clustered_on(gate.segments_on_roles()));
    clock.lap(
        progress,
        "clustering (k selection and fit); overall outcomes beside it",
    );
    progress.detail(&clustering.reason);
    let found = Found {
        config,
        inputs,
        features,
        skipped,
        labels: clustering.labels.clone(),
        k: clustering.k,
        clustering,
        started_at,
        joined,
        post_outcome,
        gate,
    };
    found.measure(matrix, &weights, overall, progress, clock)
}

/// The figures of all deals.
fn overall_figures(config: &Config, inputs: &Inputs) -> OutcomeFigures {
    let (accounts, deals) = (&inputs.accounts, &inputs.deals);
    let all: Vec<usize> = (0..deals.len()).collect();
    figures(deals, &all, accounts.len() as u64, &figure_options(config))
}

/// Before feature inference: with too few accounts every feature looks constant.
fn enough_accounts(config: &Config, accounts: &Accounts) -> Result<()> {
    let n = accounts.len();
    if n >= 2 * config.cluster.k_min {
        return Ok(());
    }
    Err(Error::input(
        format!(
            "{n} account{} {} too few for {} segments: each segment needs at least two accounts",
            if n == 1 { "" } else { "s" },
            if n == 1 { "is" } else { "are" },
            config.cluster.k_min
        ),
        Location::file(&accounts.path)
            .column(&config.input.account_columns.id)
            .value(&accounts.ids[0]),
        format!(
            "give at least {} accounts, or lower --k-min (or [clustering] k_min; the least is 2)",
            2 * config.cluster.k_min
        ),
    ))
}

/// Per encoded column, how much it separates won from lost deals, each
/// deal with its evidence row (`matrix` is that of `ev`'s rows).
fn outcome_weights(matrix: &FeatureMatrix, ev: &Evidence, deals: &Deals) -> Vec<f64> {
    crate::features::encode::outcome_weights(&matrix.x, &ev.row_of_deal, &deal_won(deals))
}

/// k-means on the outcome-weighted matrix, k chosen by silhouette.
fn clusters(
    config: &Config,
    features: &[FeatureColumn],
    matrix: &FeatureMatrix,
    weights: &[f64],
    progress: &mut dyn Progress,
) -> Result<Clustering> {
    // Clustering works on the weighted copy; the score model on the matrix
    // as encoded. Each column times its weight, row by row.
    let mut weighted = ndarray::Array2::zeros(matrix.x.dim());
    crate::parallel::fill_rows_on_two_threads(&mut weighted, |from, mut rows| {
        let x = matrix.x.slice(ndarray::s![from..from + rows.nrows(), ..]);
        for (mut to, row) in rows.rows_mut().into_iter().zip(x.rows()) {
            for ((t, &v), &w) in to.iter_mut().zip(row).zip(weights) {
                *t = v * w;
            }
        }
    });
    progress.begin(
        &format!(
            "clustering {} accounts on {} features ({} encoded columns), k = {}..={}",
            matrix.x.nrows(),
            features.len(),
            matrix.columns.len(),
            config.cluster.k_min,
            config.cluster.k_max
        ),
        (config.cluster.k_max + 1 - config.cluster.k_min) as u64,
    );
    let clustering =
        cluster_with_progress(weighted.view(), &config.cluster, &mut |step, steps| {
            progress.set_steps(steps as u64);
            progress.step(&match step {
                Step::Fit(k) => format!("k = {k}: k-means and silhouette on the sample"),
                Step::Refine(k) => format!("k = {k}: refining on all accounts"),
            });
        })?;
    progress.finish();
    Ok(clustering)
}

/// The run directory's files: `report.json`, `report.md`, `report.html`,
/// the Parquet tables and `model.json`. `accounts_scored.parquet`, the
/// largest by far, is written into `staging` as its row groups are encoded
/// (the copy into the file overlaps the next group's reasons) and is not
/// among the files returned.
pub fn render(
    d: Discovery,
    progress: &mut dyn Progress,
    staging: &mut Staging,
) -> Result<Rendered> {
    let mut clock = Stopwatch {
        last: std::time::Instant::now(),
        laps: d.timings,
    };
    let report = d.report;
    let mut files: Files = vec![
        ("report.json", report::json::render(&report)?),
        ("report.md", report::markdown::render(&report).into_bytes()),
        ("report.html", report::html::render(&report).into_bytes()),
        ("segments.parquet", report::parquet::segments(&report)?),
    ];
    const SCORED: &str = "accounts_scored.parquet";
    let mut out = std::io::BufWriter::new(staging.create(SCORED)?);
    accounts_scored(d.scored, d.model.as_ref(), d.reasons, &report, &mut out)?;
    let flushed = out.into_inner().map_err(|e| e.into_error());
    flushed.map_err(|e| Error::io(IoOp::Writing, staging.path(SCORED), e))?;
    files.push((
        "correlations.parquet",
        report::parquet::correlations(&report)?,
    ));
    if let Some(model) = &d.model {
        let mut json = serde_json::to_vec_pretty(model)
            .map_err(|e| Error::Internal(format!("serialising model.json: {e}")))?;
        json.push(b'\n');
        files.push(("model.json", json));
    }
    clock.lap(progress, "render reports");
    Ok(Rendered {
        report,
        files,
        timings: clock.laps,
    })
}

/// `accounts_scored.parquet` into `out`, each row group's reasons written as
/// it is reached.
fn accounts_scored(
    scored: ScoredAccounts,
    model: Option<&Model>,
    reasons: Option<Reasons>,
    report: &Report,
    out: &mut dyn std::io::Write,
) -> Result<()> {
    let kv = report::parquet::run_metadata(report);
    match model.zip(reasons.as_ref()) {
        Some((model, Reasons { features, scores })) => {
            let explainer = Explainer::new(model, features, scored.account_id.len());
            report::parquet::accounts_scored_by_group(
                scored,
                |rows| Some(explainer.columns(scores, rows)),
                kv,
                out,
            )
        }
        None => report::parquet::accounts_scored_by_group(scored, |_| None, kv, out),
    }
}

/// Fail early, before the long work, when the run directory cannot be written.
pub fn preflight(out: &Path, force: bool) -> Result<()> {
    run_dir::preflight(out, force)
}

/// Start writing the run directory (see [`run_dir::Staging`]).
pub fn stage(out: &Path, force: bool) -> Result<Staging> {
    Staging::begin(out, force)
}

/// Write the rest of the run directory and publish it atomically
/// (replacing a previous run only when `stage` was given `force`).
pub fn publish(staging: Staging, files: &Files) -> Result<()> {
    staging.publish(files, run_dir::Fault::from_env())
}
