//! What the clustering found, measured: outcomes and speed per segment
//! (the core ICP carved out as a segment when its held-out test says so),
//! the score model, the current tiers, and the drivers beside them.

use crate::cluster::Clustering;
use crate::config::Config;
use crate::domain::OutcomeLabel;
use crate::error::Result;
use crate::features::evidence::{Evidence, JoinSummary};
use crate::features::{FeatureColumn, FeatureMatrix, Gate, Skipped, Use};
use crate::io::contract::Deals;
use crate::io::Inputs;
use crate::outcomes::{FigureOptions, OutcomeFigures};
use crate::progress::Progress;
use crate::recommend::carve::CoreIcpSegment;
use crate::recommend::{Model, Recommendation, Scores};
use crate::report::parquet::ScoredAccounts;
use crate::report::{Report, Section, SegmentReport};
use crate::segments::{BestSegmentTest, SegmentInputs};
use crate::stability::SegmentMatching;

use super::previous::Previous;
use super::sections;
use crate::pipeline::{Lap, Stopwatch};

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

pub(super) fn rfc3339_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// How figures are measured: the horizons and the confidence level.
pub(super) fn figure_options(config: &Config) -> FigureOptions {
    FigureOptions {
        horizons: config.horizons.clone(),
        confidence: config.confidence,
    }
}

/// Per deal, won (`true`), lost (`false`) or open (`None`).
pub(super) fn deal_won(deals: &Deals) -> Vec<Option<bool>> {
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
pub(super) fn evidence<'a>(
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

/// Per encoded column, whether segments are drawn on it: when the gate
/// lets its feature draw segments ([`Use::Segments`]: fit features, not shut
/// as likely leaks; signals and relationships are described per segment).
pub(super) fn clustered_columns(
    features: &[FeatureColumn],
    gate: &Gate,
    matrix: &FeatureMatrix,
) -> Vec<bool> {
    (matrix.feature_of.iter())
        .map(|&f| gate.allows(&features[f].spec, Use::Segments))
        .collect()
}

/// The run so far: inputs read, features inferred, accounts clustered.
pub(super) struct Found<'a> {
    pub(super) config: &'a Config,
    pub(super) inputs: Inputs,
    pub(super) features: Vec<FeatureColumn>,
    pub(super) skipped: Vec<Skipped>,
    pub(super) clustering: Clustering,
    /// Each account's segment (0-based): its k-means segment, or `k - 1`
    /// when the core ICP is carved out and holds it.
    pub(super) labels: Vec<usize>,
    /// Segments: k-means' k, plus one with the core ICP carved out.
    pub(super) k: usize,
    pub(super) started_at: String,
    /// With an account history, what the as-of join of all deals did.
    pub(super) joined: Option<JoinSummary>,
    /// Without one, the features that look set by a win.
    pub(super) post_outcome: Option<crate::leakage::PostOutcome>,
    /// Which feature may be used for what; the likely leaks in none.
    pub(super) gate: Gate,
}

/// Segments with their figures and ids (kept from `--previous` where it matches).
pub(super) struct Segments {
    pub(super) segments: Vec<SegmentReport>,
    pub(super) ids: Vec<u32>,
    pub(super) previous: Option<Previous>,
    pub(super) matching: Option<SegmentMatching>,
}

/// Segments with their speed test and the carved core ICP segment, and the
/// current tiers, measured beside them.
pub(super) struct PerSegment {
    pub(super) segs: Segments,
    pub(super) core_icp_segment: Option<CoreIcpSegment>,
    pub(super) speed: Section<crate::report::SpeedReport>,
    pub(super) current_tiers: Section<crate::verdict::CurrentTiers>,
}

/// What a run measured beside the score model, ready for the report.
pub(super) struct Measured {
    /// The figures of all deals.
    pub(super) overall: OutcomeFigures,
    /// Without lost deals, the sentence that says the ICP, fit score and
    /// drivers were learned on "won within H days".
    pub(super) learned_on: Option<String>,
    /// Encoded columns k-means ran on.
    pub(super) encoded_columns: usize,
    pub(super) best_segment: Option<BestSegmentTest>,
    pub(super) correlations: Section<crate::correlations::Correlations>,
    pub(super) per_segment: PerSegment,
}

impl Found<'_> {
    fn opts(&self) -> FigureOptions {
        figure_options(self.config)
    }

    /// Segments were drawn with these deals' outcomes: whether the best
    /// k-means segment converts better than chance is judged on accounts
    /// held out of a refit, on the fit columns, as the segments were drawn.
    fn held_out_segment_test(&self, matrix: &FeatureMatrix) -> Option<BestSegmentTest> {
        crate::segments::held_out_best_segment_test(
            &matrix.x,
            &clustered_columns(&self.features, &self.gate, matrix),
            &self.inputs.deals.account,
            &deal_won(&self.inputs.deals),
            self.clustering.k,
            &self.config.cluster,
        )
    }

    /// Outcomes, speed, the score model, the current tiers and the drivers;
    /// then the report and the per-account table ([`Found::finish`]).
    pub(super) fn measure(
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
        let per_segment =
            self.segments_speed_and_tiers(&overall, rec.as_ref(), progress, &mut clock)?;
        if let Some(r) = &mut rec {
            r.model.segments.ids = per_segment.segs.ids.clone();
        }
        let measured = Measured {
            overall,
            learned_on: learn_from.map(|(_, note)| note),
            encoded_columns,
            best_segment,
            correlations: match correlations {
                Some(c) => Section::Computed(c),
                None => Section::not_computed("no closed deals"),
            },
            per_segment,
        };
        self.finish(measured, rec, progress, clock)
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
        Option<BestSegmentTest>,
        Option<crate::correlations::Correlations>,
        Option<Recommendation>,
    ) {
        std::thread::scope(|s| {
            let beside = s.spawn(|| {
                let best_segment = self.held_out_segment_test(matrix);
                let correlations = crate::correlations::analyse(
                    &ev.features,
                    &self.gate,
                    ev.rows(),
                    &ev.by_row(fit_deals),
                    &self.config.thresholds,
                );
                (best_segment, correlations)
            });
            let rec = self.recommend(matrix, weights, fit_deals, ev, progress);
            let (best_segment, correlations) = crate::parallel::joined(beside);
            (best_segment, correlations, rec)
        })
    }

    /// Outcomes and speed per segment, the core ICP carved out as a segment
    /// of its own when it wins more on held-out deals than the rest of the
    /// segments it sits in; beside them, on a second thread, the current
    /// tiers, which read none of them.
    fn segments_speed_and_tiers(
        &mut self,
        overall: &OutcomeFigures,
        rec: Option<&Recommendation>,
        progress: &mut dyn Progress,
        clock: &mut Stopwatch,
    ) -> Result<PerSegment> {
        let opts = self.opts();
        let carved = rec.and_then(|r| r.carved(&self.clustering.labels, self.clustering.k));
        if let Some(c) = &carved {
            self.labels = c.labels();
            self.k = c.segments();
        }
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
            let segs = self.segments(overall, carved.as_ref().map(|c| c.name()));
            (segs, crate::parallel::joined(current_tiers))
        });
        let segs = segs?;
        clock.lap(progress, "segment outcomes; current tiers beside them");
        let core_icp_segment = carved.map(|c| c.report(&segs.ids));
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

    /// Each segment's report, with ids and names kept from `--previous`;
    /// `carved_name` names the carved core ICP segment (the last).
    fn segments(&self, overall: &OutcomeFigures, carved_name: Option<String>) -> Result<Segments> {
        let previous = (self.config.previous.as_deref())
            .map(Previous::load)
            .transpose()?;
        let matching = (previous.as_ref())
            .map(|p| p.match_segments(&self.inputs.accounts.ids, &self.labels, self.k));
        let ids: Vec<u32> = matching
            .as_ref()
            .map_or_else(|| (1..=self.k as u32).collect(), |m| m.ids.clone());
        let segments = crate::segments::reports(&SegmentInputs {
            features: &self.features,
            gate: &self.gate,
            labels: &self.labels,
            k: self.k,
            deals: &self.inputs.deals,
            overall,
            opts: &self.opts(),
            ids: &ids,
            kept_names: matching.as_ref().map(|m| m.names.as_slice()),
            carved_name,
        });
        Ok(Segments {
            segments,
            ids,
            previous,
            matching,
        })
    }

    /// ICP criteria, fit score, tiers and their out-of-time validation.
    fn recommend(
        &self,
        matrix: &FeatureMatrix,
        weights: &[f64],
        deals: &Deals,
        ev: &Evidence,
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
                gate: &self.gate,
            },
        );
        progress.finish();
        rec
    }
}
