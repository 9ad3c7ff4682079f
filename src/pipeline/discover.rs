//! `discover`: read, validate, segment and measure, then judge the current
//! tiers; one function per stage.
//!
//! [`discover`] returns a [`Discovery`] (the finished [`Report`], the score
//! model and the per-account table); [`render`] turns it into the run
//! directory's files and [`write`] writes them. A caller that wants only the
//! figures stops after [`discover`].

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::DataFrame;

use super::{Lap, Stopwatch};
use crate::cluster::{cluster_with_progress, Clustering, Step};
use crate::config::Config;
use crate::dates::format_date;
use crate::domain::OutcomeLabel;
use crate::error::{Error, IoOp, Location, Result};
use crate::features::evidence::{Evidence, JoinSummary};
use crate::features::{encode, infer::InferOptions, FeatureColumn, FeatureMatrix, Role, Skipped};
use crate::io::contract::{Accounts, Deals};
use crate::io::history::History;
use crate::io::run_dir::{self, Files, Staging};
use crate::io::Inputs;
use crate::outcomes::{figures, group_deals, FigureOptions, OutcomeFigures};
use crate::progress::Progress;
use crate::recommend::carve::{CarveTest, CoreIcpSegment};
use crate::recommend::explain::Explainer;
use crate::recommend::{Model, Recommendation, Scores};
use crate::report::parquet::ScoredAccounts;
use crate::report::{
    self, ClusteringReport, DataQuality, FeatureUsed, HistoryQuality, Parameters, Report, RunInfo,
    Section, SegmentReport,
};
use crate::stability::SegmentMatching;
use crate::text::{p_text, pct};

mod headlines;
mod previous;
mod sections;

use previous::Previous;

/// Everything a run found, before it is rendered.
pub struct Discovery {
    pub report: Report,
    /// The fitted score model (`model.json`), when one could be fitted.
    pub model: Option<Model>,
    /// The per-account columns of `accounts_scored.parquet`, but for the
    /// reasons.
    pub scored: ScoredAccounts,
    /// What each account's reasons are written from (with a model), a row
    /// group at a time as `accounts_scored.parquet` is written: the reason
    /// texts of ten million accounts take gigabytes.
    pub reasons: Option<Reasons>,
    /// Wall time and memory per stage, in pipeline order (not part of the
    /// report: outputs stay byte-identical between runs).
    pub timings: Vec<Lap>,
}

/// The features and the score model's scores of every account.
pub struct Reasons {
    pub features: Vec<FeatureColumn>,
    pub scores: Scores,
}

/// A rendered run: the report and the files of its run directory not yet
/// written into its staging.
pub struct Rendered {
    pub report: Report,
    pub files: Files,
    pub timings: Vec<Lap>,
}

fn rfc3339_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
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
    let exclude = post_outcome
        .as_ref()
        .map(|p| p.excluded())
        .unwrap_or_default();
    // The evidence's matrix, when it is not this one, has the same columns.
    fit_columns_only((&features, &exclude), &matrix, &mut weights);
    clock.lap(progress, "encode");
    // The overall figures read the deals only: they are counted while
    // k-means runs.
    let (clustering, overall) = std::thread::scope(|s| {
        let overall = s.spawn(|| overall_figures(config, &inputs));
        let clustering = clusters(config, &features, &matrix, &weights, progress);
        (clustering, crate::parallel::joined(overall))
    });
    let mut clustering = clustering?;
    clustering.reason.push_str(if crate::segments::on_fit(&features) {
        "; clustered on fit features (signals and relationships are described, not clustered on)"
    } else {
        "; no feature has the fit role, so clustered on all features"
    });
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
        carved: None,
        started_at,
        joined,
        post_outcome,
        exclude,
    };
    found.measure(matrix, &weights, overall, progress, clock)
}

/// The figures of all deals.
fn overall_figures(config: &Config, inputs: &Inputs) -> OutcomeFigures {
    let (accounts, deals) = (&inputs.accounts, &inputs.deals);
    let all: Vec<usize> = (0..deals.len()).collect();
    figures(deals, &all, accounts.len() as u64, &figure_options(config))
}

/// How figures are measured: the horizons and the confidence level.
fn figure_options(config: &Config) -> FigureOptions {
    FigureOptions {
        horizons: config.horizons.clone(),
        confidence: config.confidence,
    }
}

/// When the features that explain deals were known, in one sentence.
fn features_as_of(history: Option<&History>) -> String {
    match history {
        Some(h) => format!(
            "Features are joined as of each deal's creation from {}.",
            h.file.path
        ),
        None => "Features are one snapshot of the accounts table, as of the as-of date: \
                 a deal opened long ago is explained by its account's features today."
            .to_string(),
    }
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

/// Per deal, won (`true`), lost (`false`) or open (`None`).
fn deal_won(deals: &Deals) -> Vec<Option<bool>> {
    deals
        .outcome
        .iter()
        .map(|o| match o {
            OutcomeLabel::Won => Some(true),
            OutcomeLabel::Lost => Some(false),
            OutcomeLabel::Open => None,
        })
        .collect()
}

/// The features each of `deals` is explained by: as of its creation with
/// an account history, else the accounts table's.
fn evidence<'a>(
    features: &'a [FeatureColumn],
    inputs: &Inputs,
    deals: &'a Deals,
) -> Result<Evidence<'a>> {
    Evidence::new(
        features,
        &inputs.accounts.features,
        deals,
        inputs.history.as_ref(),
    )
}

/// Per encoded column, how much it separates won from lost deals, each
/// deal with its evidence row (`matrix` is that of `ev`'s rows).
fn outcome_weights(matrix: &FeatureMatrix, ev: &Evidence, deals: &Deals) -> Vec<f64> {
    crate::features::encode::outcome_weights(&matrix.x, &ev.row_of_deal, &deal_won(deals))
}

/// Zero the entries of `w` (one per encoded column) whose feature is not
/// fit, when at least one is (signals and relationships are described per
/// segment, not clustered on), or is `exclude`d (likely leaks).
fn fit_columns_only(
    (features, exclude): (&[FeatureColumn], &[String]),
    matrix: &FeatureMatrix,
    w: &mut [f64],
) {
    let on_fit = crate::segments::on_fit(features);
    for (j, x) in w.iter_mut().enumerate() {
        let spec = &features[matrix.feature_of[j]].spec;
        if (on_fit && spec.role != Role::Fit) || exclude.contains(&spec.name) {
            *x = 0.0;
        }
    }
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

/// With the core ICP carved out as the last segment: name it by its
/// criteria, say in the clustering's reason how it was carved, and return
/// the test's account for the report.
fn report_carve(
    reason: &mut String,
    segs: &mut Segments,
    (t, r): (&CarveTest, &Recommendation),
    kmeans_labels: &[usize],
) -> CoreIcpSegment {
    let k = segs.ids.len() - 1;
    let in_icp = &r.scores.in_icp;
    let criteria = r.icp.core.text.clone();
    let holding = crate::recommend::carve::segments_holding(kmeans_labels, in_icp, k);
    let from: Vec<u32> = (0..k)
        .filter(|&s| holding[s])
        .map(|s| segs.ids[s])
        .collect();
    let c = t.report(
        segs.ids[k],
        criteria.clone(),
        in_icp.iter().filter(|&&x| x).count() as u64,
        from.clone(),
    );
    segs.segments[k].name = format!("core ICP: {criteria}");
    let from: Vec<String> = from.iter().map(|id| format!("S{id}")).collect();
    reason.push_str(&format!(
        "; the core ICP is a segment of its own, S{}: on held-out deals it won {} of {} closed deals against {} of {} in the rest of {} (one-sided account-clustered test, {})",
        c.id,
        pct(Some(c.held_out.win_rate)),
        c.held_out.closed_deals,
        pct(Some(c.rest_held_out.win_rate)),
        c.rest_held_out.closed_deals,
        from.join(", "),
        p_text(c.p_value)
    ));
    c
}

/// The run so far: inputs read, features inferred, accounts clustered.
struct Found<'a> {
    config: &'a Config,
    inputs: Inputs,
    features: Vec<FeatureColumn>,
    skipped: Vec<Skipped>,
    clustering: Clustering,
    /// Each account's segment (0-based): its k-means segment, or `k - 1`
    /// when the core ICP is carved out and holds it.
    labels: Vec<usize>,
    /// Segments: k-means' k, plus one with the core ICP carved out.
    k: usize,
    /// The held-out test that carved the core ICP out, when it did.
    carved: Option<crate::recommend::carve::CarveTest>,
    started_at: String,
    /// With an account history, what the as-of join of all deals did.
    joined: Option<JoinSummary>,
    /// Without one, the features that look set by a win.
    post_outcome: Option<crate::leakage::PostOutcome>,
    /// The likely leaks: in no segment weight, criterion or fit score.
    exclude: Vec<String>,
}

/// Segments with their figures and ids (kept from `--previous` where it matches).
struct Segments {
    overall: OutcomeFigures,
    segments: Vec<SegmentReport>,
    ids: Vec<u32>,
    previous: Option<Previous>,
    matching: Option<SegmentMatching>,
    /// Without lost deals, the sentence that says the ICP, fit score and
    /// drivers were learned on "won within H days".
    learned_on: Option<String>,
}

/// Segments with their speed test and the carved core ICP segment, and the
/// current tiers, measured beside them.
struct PerSegment {
    segs: Segments,
    core_icp_segment: Option<CoreIcpSegment>,
    speed: Section<crate::report::SpeedReport>,
    current_tiers: Section<crate::verdict::CurrentTiers>,
}

impl Found<'_> {
    fn opts(&self) -> FigureOptions {
        figure_options(self.config)
    }

    /// Segments were drawn with these deals' outcomes: whether the best
    /// k-means segment converts better than chance is judged on accounts
    /// held out of a refit, on the fit columns, as the segments were drawn.
    fn held_out_segment_test(
        &self,
        matrix: &FeatureMatrix,
    ) -> Option<crate::segments::BestSegmentTest> {
        let mut keep = vec![1.0; matrix.columns.len()];
        fit_columns_only((&self.features, &self.exclude), matrix, &mut keep);
        let keep: Vec<bool> = keep.iter().map(|&w| w != 0.0).collect();
        crate::segments::held_out_best_segment_test(
            &matrix.x,
            &keep,
            &self.inputs.deals.account,
            &deal_won(&self.inputs.deals),
            self.clustering.k,
            &self.config.cluster,
        )
    }

    /// Outcomes, speed, the score model, the current tiers and the drivers.
    fn measure(
        mut self,
        matrix: FeatureMatrix,
        weights: &[f64],
        overall: OutcomeFigures,
        progress: &mut dyn Progress,
        mut clock: Stopwatch,
    ) -> Result<Discovery> {
        let learn_from = crate::outcomes::deals_to_learn_from(&self.inputs.deals, &overall);
        let fit_deals = learn_from.as_ref().map_or(&self.inputs.deals, |(d, _)| d);
        let ev = evidence(&self.features, &self.inputs, fit_deals)?;
        let (best_segment, correlations, mut rec) =
            self.recommend_and_beside(&matrix, weights, fit_deals, &ev, progress);
        // The encoded matrix is the largest account-level table; nothing
        // after the score model reads it.
        let encoded_columns = matrix.columns.len();
        drop(matrix);
        clock.lap(
            progress,
            "ICP, score, tiers and holdout; held-out segment test and drivers beside it",
        );
        // A core ICP that wins more on held-out deals than the rest of the
        // segments it sits in is a segment of its own.
        if let Some((r, t)) = (rec.as_ref()).and_then(|r| Some(r).zip(r.carve.clone())) {
            if t.carves() {
                let labels = &self.clustering.labels;
                self.labels =
                    crate::recommend::carve::carved_labels(labels, &r.scores.in_icp, self.k);
                self.k += 1;
                self.carved = Some(t);
            }
        }
        let PerSegment {
            mut segs,
            core_icp_segment,
            speed,
            current_tiers,
        } = self.segments_speed_and_tiers(overall, rec.as_ref(), progress, &mut clock)?;
        if let Some(r) = &mut rec {
            r.model.segments.ids = segs.ids.clone();
        }
        let correlations = match correlations {
            Some(c) => Section::Computed(c),
            None => Section::not_computed("no closed deals"),
        };
        segs.learned_on = learn_from.map(|(_, note)| note);
        let mut report = self.report(&segs, rec.as_ref(), encoded_columns);
        report.data_quality.post_outcome = self.post_outcome.clone();
        report.speed = speed;
        report.correlations = correlations;
        report.current_tiers = current_tiers;
        report.clustering.best_segment = best_segment;
        report.clustering.core_icp_segment = core_icp_segment;
        self.finish(report, segs, rec, progress, clock)
    }

    /// The score model; beside it, on a second thread, the held-out
    /// segment test and the drivers, which read none of its results. They
    /// run one after the other, so that at most one of them holds memory of
    /// its own while the scores are built.
    fn recommend_and_beside(
        &self,
        matrix: &FeatureMatrix,
        weights: &[f64],
        fit_deals: &Deals,
        ev: &Evidence,
        progress: &mut dyn Progress,
    ) -> (
        Option<crate::segments::BestSegmentTest>,
        Option<crate::correlations::Correlations>,
        Option<Recommendation>,
    ) {
        std::thread::scope(|s| {
            let beside = s.spawn(|| {
                let best_segment = self.held_out_segment_test(matrix);
                let correlations = crate::correlations::analyse(
                    &ev.features,
                    ev.rows(),
                    &ev.by_row(fit_deals),
                    &self.config.thresholds,
                );
                (best_segment, correlations)
            });
            let rec = self.recommend(matrix, weights, fit_deals, (ev, &self.exclude), progress);
            let (best_segment, correlations) = crate::parallel::joined(beside);
            (best_segment, correlations, rec)
        })
    }

    /// Outcomes and speed per segment; beside them, on a second thread, the
    /// current tiers, which read none of them.
    fn segments_speed_and_tiers(
        &mut self,
        overall: OutcomeFigures,
        rec: Option<&Recommendation>,
        progress: &mut dyn Progress,
        clock: &mut Stopwatch,
    ) -> Result<PerSegment> {
        let opts = self.opts();
        progress.begin("measuring outcomes and speed per segment", 2);
        progress.step("outcomes per segment (beside them: the current tiers)");
        let (segs, current_tiers) = std::thread::scope(|s| {
            let inputs = &self.inputs;
            let current_tiers = s.spawn(|| {
                sections::current_tiers(
                    &inputs.accounts,
                    &inputs.deals,
                    &opts,
                    rec.map(|r| r.scores.in_icp.as_slice()),
                    inputs.history.as_ref(),
                )
            });
            let segs = self.segments(overall);
            (segs, crate::parallel::joined(current_tiers))
        });
        let mut segs = segs?;
        clock.lap(progress, "segment outcomes; current tiers beside them");
        let core_icp_segment = match (&self.carved, rec) {
            (Some(t), Some(r)) => Some(report_carve(
                &mut self.clustering.reason,
                &mut segs,
                (t, r),
                &self.clustering.labels,
            )),
            _ => None,
        };
        progress.step("speed: P(win within the horizon) compared between segments");
        let speed = sections::speed(
            &self.inputs.deals,
            &self.labels,
            &segs.segments,
            &self.config.horizons,
            self.config.confidence,
        );
        progress.finish();
        clock.lap(progress, "speed test");
        Ok(PerSegment {
            segs,
            core_icp_segment,
            speed,
            current_tiers,
        })
    }

    /// Figures per segment, with ids and names kept from `--previous`.
    fn segments(&self, overall: OutcomeFigures) -> Result<Segments> {
        let (accounts, deals) = (&self.inputs.accounts, &self.inputs.deals);
        let opts = self.opts();
        let (k, labels) = (self.k, &self.labels);
        let seg_of: Vec<Option<usize>> = labels.iter().map(|&l| Some(l)).collect();
        let seg_deals = group_deals(deals, &seg_of, k);
        let mut seg_accounts = vec![0u64; k];
        for &l in labels {
            seg_accounts[l] += 1;
        }
        let distinctions = crate::segments::distinctions(&self.features, labels, k);
        let describe = |role| crate::segments::describe(&self.features, labels, k, role);
        let (signals, relationships) = (describe(Role::Signal), describe(Role::Relationship));
        let previous = self
            .config
            .previous
            .as_deref()
            .map(Previous::load)
            .transpose()?;
        let matching = previous
            .as_ref()
            .map(|p| p.match_segments(&accounts.ids, labels, k));
        let ids: Vec<u32> = matching
            .as_ref()
            .map_or_else(|| (1..=k as u32).collect(), |m| m.ids.clone());
        let mut names: Vec<String> = (0..k)
            .map(|s| {
                matching
                    .as_ref()
                    .and_then(|m| m.names[s].clone())
                    .unwrap_or_else(|| crate::segments::name(&distinctions[s], &self.features))
            })
            .collect();
        crate::segments::make_names_unique(&mut names, &ids);
        // Each segment's figures read its deals alone: two at a time.
        let each: Vec<usize> = (0..k).collect();
        let outcomes = crate::parallel::map_on_two_threads(&each, |&s| {
            figures(deals, &seg_deals[s], seg_accounts[s], &opts)
        });
        let segments = (0..k)
            .zip(names)
            .zip(outcomes)
            .map(|((s, name), o)| {
                let lift = match (o.win_rate, overall.win_rate) {
                    (Some(w), Some(all)) if all > 0.0 => Some(w / all),
                    _ => None,
                };
                SegmentReport {
                    id: ids[s],
                    name,
                    share: seg_accounts[s] as f64 / accounts.len() as f64,
                    outcomes: o,
                    lift,
                    distinguishing: distinctions[s].clone(),
                    signals: signals[s].clone(),
                    relationships: relationships[s].clone(),
                }
            })
            .collect();
        Ok(Segments {
            overall,
            segments,
            ids,
            previous,
            matching,
            learned_on: None,
        })
    }

    /// ICP criteria, fit score, tiers and their out-of-time validation.
    fn recommend(
        &self,
        matrix: &FeatureMatrix,
        weights: &[f64],
        deals: &Deals,
        (ev, exclude): (&Evidence, &[String]),
        progress: &mut dyn Progress,
    ) -> Option<Recommendation> {
        progress.begin(
            "fitting ICP criteria, fit scores and tiers, validating on the last full quarter",
            1,
        );
        progress.step(
            "fit score, criteria, tier thresholds and out-of-time validation \
             (beside it: the held-out segment test, the drivers of winning and of speed)",
        );
        let opts = self.opts();
        let rec = crate::recommend::recommend_with(
            &self.features,
            matrix,
            deals,
            ev,
            &crate::recommend::Context {
                labels: &self.clustering.labels,
                centroids: &self.clustering.centroids,
                column_weights: weights,
                opts: &opts,
                sizes: &self.config.tier_sizes,
                rules: &self.config.rules,
                account_id_column: &self.config.input.account_columns.id,
                accounts_sha256: &self.inputs.accounts.file.sha256,
                exclude,
            },
        );
        progress.finish();
        rec
    }

    /// The report with every section this run computes in one place;
    /// speed, correlations and current tiers are filled in by the caller.
    fn report(
        &self,
        segs: &Segments,
        rec: Option<&Recommendation>,
        encoded_columns: usize,
    ) -> Report {
        let no_model = sections::no_model_reason(&segs.overall);
        Report {
            schema_version: report::SCHEMA_VERSION,
            run: self.run_info(),
            headlines: vec![],
            data_quality: self.data_quality(segs, encoded_columns),
            clustering: self.clustering_report(),
            segments: segs.segments.clone(),
            speed: Section::not_computed(""),
            correlations: Section::not_computed(""),
            icp: rec.map_or_else(
                || Section::not_computed(no_model.clone()),
                |r| Section::Computed(r.icp.clone()),
            ),
            tiers: rec.map_or_else(
                || Section::not_computed(no_model.clone()),
                |r| Section::Computed(r.tiers.clone()),
            ),
            current_tiers: Section::not_computed(""),
            stability: Section::not_computed("no --previous run given"),
            drift: Section::not_computed("no --previous run given"),
        }
    }

    fn run_info(&self) -> RunInfo {
        let config = self.config;
        RunInfo {
            tool: "abm-segments",
            tool_version: env!("CARGO_PKG_VERSION"),
            started_at: self.started_at.clone(),
            finished_at: String::new(),
            as_of: format_date(self.inputs.deals.as_of),
            seed: config.cluster.seed,
            parameters: Parameters {
                k_min: config.cluster.k_min,
                k_max: config.cluster.k_max,
                n_runs: config.cluster.n_runs,
                fit_sample: config.cluster.fit_sample,
                silhouette_sample: config.cluster.silhouette_sample,
                min_segment_share: config.cluster.min_segment_share,
                min_segment_accounts: config.cluster.min_segment_accounts,
                horizons_days: config.horizons.clone(),
                confidence: config.confidence,
                config_file: config.config_file.as_ref().map(|p| p.display().to_string()),
            },
            inputs: {
                let mut inputs = BTreeMap::from([
                    ("accounts", self.inputs.accounts.file.clone()),
                    ("deals", self.inputs.deals.file.clone()),
                ]);
                if let Some(h) = &self.inputs.history {
                    inputs.insert("account_history", h.file.clone());
                }
                inputs
            },
        }
    }

    fn data_quality(&self, segs: &Segments, encoded_columns: usize) -> DataQuality {
        let Inputs {
            accounts,
            deals,
            drops,
            deals_read,
            ..
        } = &self.inputs;
        let mut deals_with_account = vec![false; accounts.len()];
        for &a in &deals.account {
            deals_with_account[a as usize] = true;
        }
        DataQuality {
            accounts_read: accounts.file.rows,
            deals_read: *deals_read,
            deals_used: deals.len() as u64,
            deals_dropped: drops.deals_dropped.clone(),
            deals_reopened_at_as_of: drops.deals_reopened_at_as_of,
            deals_lost_as_stale: drops.deals_lost_as_stale,
            accounts_without_deals: deals_with_account.iter().filter(|&&d| !d).count() as u64,
            features_used: self
                .features
                .iter()
                .map(|f| FeatureUsed {
                    name: f.spec.name.clone(),
                    kind: f.spec.kind(),
                    role: f.spec.role,
                    role_declared: f.spec.role_declared,
                    nulls: f.spec.nulls,
                    null_share: f.spec.nulls as f64 / accounts.len() as f64,
                    transform: f.spec.transform.clone(),
                })
                .collect(),
            features_skipped: self.skipped.clone(),
            encoded_columns,
            features_as_of: features_as_of(self.inputs.history.as_ref()),
            account_history: self.inputs.history.as_ref().zip(self.joined.clone()).map(
                |(h, join)| HistoryQuality {
                    path: h.file.path.clone(),
                    rows: h.versions() as u64,
                    accounts_with_versions: h.accounts_with_versions() as u64,
                    versions_per_account: h.versions() as f64
                        / h.accounts_with_versions().max(1) as f64,
                    has_tier: h.tier.is_some(),
                    join,
                },
            ),
            post_outcome: None,
            warnings: sections::data_warnings(
                drops,
                deals,
                &segs.overall,
                segs.learned_on.is_some(),
            ),
        }
    }

    fn clustering_report(&self) -> ClusteringReport {
        let (c, p) = (&self.clustering, &self.config.cluster);
        ClusteringReport {
            method: "k-means (linfa), k-means++ init; k by silhouette on a seeded sample",
            k_considered: c.candidates.iter().map(|c| c.k).collect(),
            candidates: c.candidates.clone(),
            k_chosen: c.k,
            reason: c.reason.clone(),
            seed: p.seed,
            n_runs: p.n_runs,
            fit_sample: c.fit_sample,
            silhouette_sample: c.silhouette_sample,
            best_segment: None,
            core_icp_segment: None,
        }
    }

    /// Compare with `--previous`, write the headlines and warnings, and
    /// build the per-account table.
    fn finish(
        self,
        mut report: Report,
        segs: Segments,
        mut rec: Option<Recommendation>,
        progress: &mut dyn Progress,
        mut clock: Stopwatch,
    ) -> Result<Discovery> {
        let Found {
            inputs,
            features,
            labels,
            ..
        } = self;
        // Every deal-level figure is in the report now.
        drop(inputs.deals);
        let accounts = inputs.accounts;
        if let (Some(p), Some(m)) = (&segs.previous, segs.matching) {
            let (stability, drift) = p.compare(m, &report, &accounts, &features, rec.as_ref())?;
            report.stability = Section::Computed(stability);
            report.drift = drift;
        }
        clock.lap(progress, "comparison with --previous");
        report
            .data_quality
            .warnings
            .extend(sections::not_computed_warnings(&report));
        report.headlines = headlines::headlines(&report, &segs.overall);
        if let Some(note) = &segs.learned_on {
            report.headlines.push(note.clone());
            report.data_quality.warnings.push(note.clone());
        }
        report.run.finished_at = rfc3339_now();
        let n = accounts.len();
        let scored = ScoredAccounts {
            segment: labels.iter().map(|&l| segs.ids[l]).collect(),
            fit_score: match &rec {
                Some(r) => r
                    .scores
                    .probability
                    .iter()
                    .map(|p| Some(100.0 * p))
                    .collect(),
                None => vec![None; n],
            },
            recommended_tier: match &mut rec {
                Some(r) => std::mem::take(&mut r.scores.tier),
                None => vec![None; n],
            },
            readiness_score: rec.as_ref().and_then(|r| r.scores.readiness_score()),
            readiness_band: rec.as_ref().and_then(|r| r.scores.readiness_band()),
            in_icp: rec.as_ref().map(|r| r.scores.in_icp.clone()),
            expected_value: (rec.as_mut()).map(|r| std::mem::take(&mut r.scores.expected_value)),
            explain: None,
            current_tier: accounts.tier.unwrap_or_else(|| vec![None; n]),
            account_id: accounts.ids,
        };
        let (model, reasons) = match rec {
            Some(r) => {
                // What the reasons read: probability, ICP, contributions.
                let scores = Scores {
                    readiness: None,
                    combined: None,
                    band: None,
                    segment: Vec::new(),
                    ..r.scores
                };
                (Some(r.model), Some(Reasons { features, scores }))
            }
            None => (None, None),
        };
        Ok(Discovery {
            report,
            model,
            scored,
            reasons,
            timings: clock.laps,
        })
    }
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
