//! A previous run: segment ids kept for the same segments, tier moves and
//! drift since then.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::drift::{Drift, TierRates};
use crate::error::Result;
use crate::features::FeatureColumn;
use crate::io::contract::Accounts;
use crate::recommend::{Model, Recommendation};
use crate::report::{self, CurrentTiers, Section};
use crate::stability::{ScoredRow, SegmentMatching, TierStability};

/// A previous run, for stable segment ids, tier moves and drift.
pub(super) struct Previous {
    dir: PathBuf,
    rows: HashMap<String, ScoredRow>,
    names: HashMap<u32, String>,
    model: Option<Model>,
    report: Option<PreviousReport>,
}

impl Previous {
    /// Match today's segments to the previous run's by shared accounts.
    pub(super) fn match_segments(
        &self,
        ids: &[String],
        labels: &[usize],
        k: usize,
    ) -> SegmentMatching {
        crate::stability::match_segments(&self.dir, &self.rows, &self.names, ids, labels, k)
    }

    pub(super) fn load(dir: &Path) -> Result<Previous> {
        let model_file = dir.join("model.json");
        let report_file = dir.join("report.json");
        Ok(Previous {
            dir: dir.to_path_buf(),
            rows: crate::stability::read_run(dir, "current_tier")?,
            names: crate::stability::segment_names(dir)?,
            model: model_file
                .exists()
                .then(|| crate::pipeline::score::read_model(&model_file))
                .transpose()?,
            report: std::fs::read_to_string(&report_file)
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok()),
        })
    }

    /// Today's segments and tiers against the previous run's, and the
    /// drift since; `current_tiers` is today's current-tier section.
    pub(super) fn compare(
        &self,
        matching: SegmentMatching,
        current_tiers: &Section<CurrentTiers>,
        accounts: &Accounts,
        features: &[FeatureColumn],
        rec: Option<&Recommendation>,
    ) -> Result<(report::Stability, Section<Drift>)> {
        let tiers = rec.map(|r| self.tier_moves(accounts, r)).transpose()?;
        Ok((
            report::Stability {
                segments: matching,
                tiers,
            },
            self.drift(current_tiers, accounts, features),
        ))
    }

    /// How the recommended tiers moved since the previous run.
    fn tier_moves(&self, accounts: &Accounts, r: &Recommendation) -> Result<TierStability> {
        let now_rows = accounts
            .ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                (
                    id.clone(),
                    ScoredRow {
                        current_tier: None,
                        recommended_tier: r.scores.tier[i],
                        fit_score: Some(100.0 * r.scores.probability[i]),
                        in_icp: Some(r.scores.in_icp[i]),
                        segment: None,
                    },
                )
            })
            .collect();
        crate::stability::tier_stability(
            &self.dir,
            &self.rows,
            &accounts.ids,
            &r.scores.tier,
            &now_rows,
        )
    }

    /// Drift of the features, the fit score and the tiers' win rates.
    fn drift(
        &self,
        current_tiers: &Section<CurrentTiers>,
        accounts: &Accounts,
        features: &[FeatureColumn],
    ) -> Section<Drift> {
        let Some(m) = &self.model else {
            return Section::not_computed("the previous run has no model.json");
        };
        // The previous model on today's accounts isolates drift in the data from changes of model.
        let fit = (accounts.features_in_key_order().ok())
            .and_then(|df| crate::features::infer::apply(&df, &m.features, &accounts.path).ok())
            .map(|f| m.apply(&f, accounts.len()).probability);
        let then_counts: Vec<(Option<u8>, u64, u64)> = self
            .report
            .as_ref()
            .and_then(|r| r.current_tiers.as_ref())
            .map(|ct| {
                ct.tiers
                    .iter()
                    .filter_map(|t| Some((t.tier, t.outcomes.won?, t.outcomes.lost?)))
                    .collect()
            })
            .unwrap_or_default();
        let tier_rates = tier_rates(current_tiers, &then_counts);
        Section::Computed(crate::drift::drift(
            format!("{} (as of {})", self.dir.display(), m.as_of),
            &m.baseline,
            features,
            fit.as_deref(),
            &tier_rates,
        ))
    }
}

/// What drift reads of the previous run's `report.json`: each tier's won and lost deals.
#[derive(Debug, Deserialize)]
struct PreviousReport {
    current_tiers: Option<PreviousTiers>,
}

/// `current_tiers`; a section not computed then has no tiers.
#[derive(Debug, Deserialize)]
struct PreviousTiers {
    #[serde(default)]
    tiers: Vec<PreviousTier>,
}

#[derive(Debug, Deserialize)]
struct PreviousTier {
    tier: Option<u8>,
    outcomes: PreviousOutcomes,
}

#[derive(Debug, Deserialize)]
struct PreviousOutcomes {
    won: Option<u64>,
    lost: Option<u64>,
}

/// Each tier's deals closed by the previous run and since it: today's
/// counts less the previous run's; tiers with none closed since are left out.
fn tier_rates(
    current_tiers: &Section<CurrentTiers>,
    then_counts: &[(Option<u8>, u64, u64)],
) -> Vec<TierRates> {
    let Some(ct) = current_tiers.computed() else {
        return vec![];
    };
    ct.tiers
        .iter()
        .filter_map(|t| {
            let &(_, won, lost) = then_counts.iter().find(|x| x.0 == t.tier)?;
            let (w, c) = (t.outcomes.won, t.outcomes.won + t.outcomes.lost);
            Some(TierRates {
                name: t.tier.map_or("untiered win rate".to_string(), |x| {
                    format!("Tier {x} win rate")
                }),
                then_won: won,
                then_closed: won + lost,
                new_won: w.checked_sub(won)?,
                // No deal closed since: no new win rate to compare.
                new_closed: c.checked_sub(won + lost).filter(|&n| n > 0)?,
            })
        })
        .collect()
}
