//! The report, assembled once from the figures a run measured, and the
//! per-account table beside it.

use std::collections::BTreeMap;

use super::found::{rfc3339_now, Discovery, Found, Measured, PerSegment, Reasons};
use crate::dates::format_date;
use crate::error::Result;
use crate::io::contract::Accounts;
use crate::io::read::InputFile;
use crate::io::Inputs;
use crate::outcomes::OutcomeFigures;
use crate::pipeline::Stopwatch;
use crate::progress::Progress;
use crate::recommend::carve::CoreIcpSegment;
use crate::recommend::{IcpSection, Recommendation, Scores, TiersSection};
use crate::report::headlines::{headlines, Findings};
use crate::report::parquet::ScoredAccounts;
use crate::report::{self, notes};
use crate::report::{
    ClusteringReport, DataQuality, FeatureUsed, HistoryQuality, Parameters, Report, RunInfo,
    Section,
};
use crate::segments::BestSegmentTest;

impl Found<'_> {
    /// Compare with `--previous`, assemble the report, and build the
    /// per-account table.
    pub(super) fn finish(
        self,
        m: Measured,
        mut rec: Option<Recommendation>,
        progress: &mut dyn Progress,
        mut clock: Stopwatch,
    ) -> Result<Discovery> {
        let PerSegment {
            segs,
            core_icp_segment,
            speed,
            current_tiers,
        } = m.per_segment;
        let (icp, tiers) = model_sections(rec.as_ref(), &m.overall);
        let clustering = self.clustering_report(m.best_segment, core_icp_segment);
        let findings = Findings {
            clustering: &clustering,
            segments: &segs.segments,
            overall: &m.overall,
            confidence: self.config.confidence,
            speed: &speed,
            correlations: &m.correlations,
            icp: &icp,
            tiers: &tiers,
            current_tiers: &current_tiers,
        };
        let learned_on = m.learned_on.as_deref();
        let headlines = [
            headlines(&findings),
            learned_on.into_iter().map(str::to_string).collect(),
        ]
        .concat();
        let data_quality = self.data_quality(&findings, learned_on, m.encoded_columns);
        let (parameters, inputs) = (self.parameters(), input_files(&self.inputs));
        let as_of = format_date(self.inputs.deals.as_of);
        let Found {
            config,
            inputs: read,
            features,
            labels,
            started_at,
            ..
        } = self;
        // Every deal-level figure is measured now.
        drop(read.deals);
        let accounts = read.accounts;
        let (stability, drift) = match (&segs.previous, segs.matching) {
            (Some(previous), Some(matching)) => {
                let (stability, drift) = previous.compare(
                    matching,
                    &current_tiers,
                    &accounts,
                    &features,
                    rec.as_ref(),
                )?;
                (Section::Computed(stability), drift)
            }
            _ => (
                Section::not_computed("no --previous run given"),
                Section::not_computed("no --previous run given"),
            ),
        };
        clock.lap(progress, "comparison with --previous");
        let report = Report {
            schema_version: report::SCHEMA_VERSION,
            run: RunInfo {
                tool: "abm-segments",
                tool_version: env!("CARGO_PKG_VERSION"),
                started_at,
                finished_at: rfc3339_now(),
                as_of,
                seed: config.cluster.seed,
                parameters,
                inputs,
            },
            headlines,
            data_quality,
            clustering,
            segments: segs.segments,
            speed,
            correlations: m.correlations,
            icp,
            tiers,
            current_tiers,
            stability,
            drift,
        };
        let scored = scored_accounts(&labels, &segs.ids, &mut rec, accounts);
        let (model, reasons) = model_and_reasons(rec, features);
        Ok(Discovery {
            report,
            model,
            scored,
            reasons,
            timings: clock.laps,
        })
    }

    /// The parameters the run was given.
    fn parameters(&self) -> Parameters {
        let config = self.config;
        Parameters {
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
        }
    }

    /// What was read and used, and the warnings: about the input, the
    /// sections not computed, and deals learned on as "won within H days"
    /// (`learned_on`).
    fn data_quality(
        &self,
        findings: &Findings,
        learned_on: Option<&str>,
        encoded_columns: usize,
    ) -> DataQuality {
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
            features_as_of: notes::features_as_of(self.inputs.history.as_ref()),
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
            post_outcome: self.post_outcome.clone(),
            status_fields: crate::features::roles::undeclared_statuses(self.features.iter().map(
                |f| {
                    let s = &f.spec;
                    (s.name.as_str(), s.role, s.role_declared, s.text_values())
                },
            )),
            warnings: [
                notes::data_warnings(drops, deals, findings.overall, learned_on.is_some()),
                notes::not_computed_warnings(findings),
                learned_on.into_iter().map(str::to_string).collect(),
            ]
            .concat(),
        }
    }

    /// How the segments were drawn, with the out-of-sample test of the
    /// best one and the test that carved the core ICP out, when it did.
    fn clustering_report(
        &self,
        best_segment: Option<BestSegmentTest>,
        core_icp_segment: Option<CoreIcpSegment>,
    ) -> ClusteringReport {
        let (c, p) = (&self.clustering, &self.config.cluster);
        let carved = core_icp_segment.as_ref().map(notes::carve_reason);
        ClusteringReport {
            method: "k-means (linfa), k-means++ init; k by silhouette on a seeded sample",
            k_considered: c.candidates.iter().map(|c| c.k).collect(),
            candidates: c.candidates.clone(),
            k_chosen: c.k,
            reason: format!("{}{}", c.reason, carved.unwrap_or_default()),
            seed: p.seed,
            n_runs: p.n_runs,
            fit_sample: c.fit_sample,
            silhouette_sample: c.silhouette_sample,
            best_segment,
            core_icp_segment,
        }
    }
}

/// The input files read, by role.
fn input_files(read: &Inputs) -> BTreeMap<&'static str, InputFile> {
    let mut inputs = BTreeMap::from([
        ("accounts", read.accounts.file.clone()),
        ("deals", read.deals.file.clone()),
    ]);
    if let Some(h) = &read.history {
        inputs.insert("account_history", h.file.clone());
    }
    inputs
}

/// The ICP and tiers sections, or why the score model could not be fitted.
fn model_sections(
    rec: Option<&Recommendation>,
    overall: &OutcomeFigures,
) -> (Section<IcpSection>, Section<TiersSection>) {
    match rec {
        Some(r) => (
            Section::Computed(r.icp.clone()),
            Section::Computed(r.tiers.clone()),
        ),
        None => {
            let no_model = notes::no_model_reason(overall);
            (
                Section::not_computed(no_model.clone()),
                Section::not_computed(no_model),
            )
        }
    }
}

/// The per-account columns of `accounts_scored.parquet` but for the
/// reasons: each account's segment (`ids` by its label), its scores, which
/// are taken out of `rec` where nothing else reads them, and its current tier.
fn scored_accounts(
    labels: &[usize],
    ids: &[u32],
    rec: &mut Option<Recommendation>,
    accounts: Accounts,
) -> ScoredAccounts {
    let n = accounts.len();
    ScoredAccounts {
        segment: labels.iter().map(|&l| ids[l]).collect(),
        fit_score: match rec {
            Some(r) => r
                .scores
                .probability
                .iter()
                .map(|p| Some(100.0 * p))
                .collect(),
            None => vec![None; n],
        },
        recommended_tier: match rec {
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
    }
}

/// The score model, and what each account's reasons are written from.
fn model_and_reasons(
    rec: Option<Recommendation>,
    features: Vec<crate::features::FeatureColumn>,
) -> (Option<crate::recommend::Model>, Option<Reasons>) {
    match rec {
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
    }
}
