//! Drift: the population stability index (PSI) of each feature, of the fit
//! score and of each tier's win rate, between the accounts a model learned
//! from and today's.
//!
//! Baselines are stored in `model.json` as bin edges and shares, so drift
//! can be measured without the training data. Numeric features and the fit
//! score use the training deciles (right-closed bins, as in
//! [`crate::stats::association::psi`]) plus a bin for nulls; categorical
//! features their levels plus `(unseen)`; binary features no / yes /
//! `(missing)`; list features the share of each value among all values, plus
//! `(none)` for accounts with none. Bands: below 0.1 stable, 0.1–0.25 watch,
//! above 0.25 drifted.

use serde::{Deserialize, Serialize};

use crate::features::{FeatureColumn, FeatureData, Transform, UNSEEN};
use crate::stats::association::psi_from_shares;

/// Quantile bins for numeric features and the fit score. Twenty bins of 5%
/// rather than the customary deciles: company sizes and similar heavy-tailed
/// columns move within deciles, and doubling every company's size must read
/// as drift.
pub const NUMERIC_BINS: usize = 20;

/// PSI at or above this is "watch".
pub const WATCH: f64 = 0.1;
/// PSI above this is "drifted".
pub const DRIFTED: f64 = 0.25;

/// A distribution over fixed bins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Bins {
    /// Right-closed bins between `edges`, then a bin for nulls.
    Numeric { edges: Vec<f64>, shares: Vec<f64> },
    /// One bin per label.
    Levels {
        labels: Vec<String>,
        shares: Vec<f64>,
    },
}

impl Bins {
    fn shares(&self) -> &[f64] {
        match self {
            Bins::Numeric { shares, .. } | Bins::Levels { shares, .. } => shares,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureBaseline {
    pub feature: String,
    pub bins: Bins,
}

/// What the model's accounts looked like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub features: Vec<FeatureBaseline>,
    /// Distribution of the fit score (0–1 win probability).
    pub fit_score: Bins,
}

/// Put the values of the given ranks (ascending) where a sort would put
/// them, without sorting the rest: each selection splits the slice for the
/// ranks on either side.
fn select_ranks(v: &mut [f64], ranks: &[usize]) {
    if ranks.is_empty() {
        return;
    }
    let mid = ranks.len() / 2;
    let r = ranks[mid];
    v.select_nth_unstable_by(r, f64::total_cmp);
    let (left, right) = v.split_at_mut(r + 1);
    select_ranks(left, &ranks[..mid]);
    // Ranks equal to `r` (short slices repeat ranks) are already in place.
    let shifted: Vec<usize> = ranks[mid + 1..]
        .iter()
        .filter(|&&x| x > r)
        .map(|&x| x - r - 1)
        .collect();
    select_ranks(right, &shifted);
}

fn numeric_bins(values: &[f64], edges: Option<&[f64]>) -> Bins {
    let edges: Vec<f64> = match edges {
        Some(e) => e.to_vec(),
        None => {
            let mut present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
            let ranks: Vec<usize> = (1..NUMERIC_BINS)
                .map(|k| k * present.len() / NUMERIC_BINS)
                .filter(|&r| r < present.len())
                .collect();
            select_ranks(&mut present, &ranks);
            let mut e: Vec<f64> = ranks.iter().map(|&r| present[r]).collect();
            e.dedup();
            e
        }
    };
    let mut counts = vec![0u64; edges.len() + 2];
    for &v in values {
        let b = if v.is_nan() {
            edges.len() + 1
        } else {
            edges.partition_point(|&e| e < v)
        };
        counts[b] += 1;
    }
    let n = values.len().max(1) as f64;
    Bins::Numeric {
        edges,
        shares: counts.into_iter().map(|c| c as f64 / n).collect(),
    }
}

fn level_bins(labels: Vec<String>, counts: Vec<u64>) -> Bins {
    let total: u64 = counts.iter().sum();
    Bins::Levels {
        labels,
        shares: counts
            .into_iter()
            .map(|c| c as f64 / total.max(1) as f64)
            .collect(),
    }
}

/// The distribution of one feature on `like`'s bins (or new bins when `None`).
fn feature_bins(f: &FeatureColumn, like: Option<&Bins>) -> Bins {
    let like_labels = match like {
        Some(Bins::Levels { labels, .. }) => Some(labels),
        _ => None,
    };
    match (&f.data, &f.spec.transform) {
        (FeatureData::Numeric(v), _) => {
            let edges = match like {
                Some(Bins::Numeric { edges, .. }) => Some(edges.as_slice()),
                _ => None,
            };
            numeric_bins(v, edges)
        }
        (FeatureData::Binary(v), _) => {
            let mut c = vec![0u64; 3];
            for &x in v {
                c[if x.is_nan() { 2 } else { x as usize }] += 1;
            }
            level_bins(vec!["no".into(), "yes".into(), "(missing)".into()], c)
        }
        (FeatureData::Categorical(codes), Transform::Categorical { levels }) => {
            categorical_bins(codes, levels, like_labels)
        }
        (FeatureData::List { offsets, .. }, Transform::List { values, .. }) => {
            list_bins(f, offsets.len() - 1, values, like_labels)
        }
        _ => level_bins(vec![], vec![]),
    }
}

/// Each label's index.
fn label_index(labels: &[String]) -> std::collections::HashMap<&str, usize> {
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect()
}

/// A categorical's shares on `like` (whose last label takes unseen levels),
/// or on its levels and `(unseen)`.
fn categorical_bins(codes: &[u32], levels: &[String], like: Option<&Vec<String>>) -> Bins {
    let labels: Vec<String> = match like {
        Some(labels) => labels.clone(),
        None => levels
            .iter()
            .cloned()
            .chain(["(unseen)".to_string()])
            .collect(),
    };
    let index = label_index(&labels);
    let unseen = labels.len() - 1;
    let map: Vec<usize> = levels
        .iter()
        .map(|l| index.get(l.as_str()).copied().unwrap_or(unseen))
        .collect();
    let mut c = vec![0u64; labels.len()];
    for &code in codes {
        c[if code == UNSEEN {
            unseen
        } else {
            map[code as usize]
        }] += 1;
    }
    level_bins(labels, c)
}

/// A list feature's shares of `n` accounts having each value on `like`
/// (values it lacks are not counted), or on its values; the last label
/// counts accounts with no value.
fn list_bins(f: &FeatureColumn, n: usize, values: &[String], like: Option<&Vec<String>>) -> Bins {
    let labels: Vec<String> = match like {
        Some(labels) => labels.clone(),
        None => values
            .iter()
            .cloned()
            .chain(["(none)".to_string()])
            .collect(),
    };
    let none = labels.len() - 1;
    let index = label_index(&labels);
    let map: Vec<Option<usize>> = values
        .iter()
        .map(|v| index.get(v.as_str()).copied())
        .collect();
    let mut c = vec![0u64; labels.len()];
    for i in 0..n {
        let vals = f.list_values(i);
        if vals.is_empty() {
            c[none] += 1;
        }
        for &v in vals {
            if let Some(b) = map[v as usize] {
                c[b] += 1;
            }
        }
    }
    level_bins(labels, c)
}

/// The baseline of a model's training accounts.
pub fn baseline(features: &[FeatureColumn], fit: &[f64]) -> Baseline {
    Baseline {
        features: features
            .iter()
            .map(|f| FeatureBaseline {
                feature: f.spec.name.clone(),
                bins: feature_bins(f, None),
            })
            .collect(),
        fit_score: numeric_bins(fit, None),
    }
}

/// A PSI band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Stable,
    Watch,
    Drifted,
}

impl Band {
    /// The band as the reports and logs write it (as in report.json).
    pub fn name(self) -> &'static str {
        match self {
            Band::Stable => "stable",
            Band::Watch => "watch",
            Band::Drifted => "drifted",
        }
    }
}

pub fn band(psi: f64) -> Band {
    if psi > DRIFTED {
        Band::Drifted
    } else if psi >= WATCH {
        Band::Watch
    } else {
        Band::Stable
    }
}

/// The PSI of one quantity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftItem {
    pub name: String,
    pub psi: f64,
    pub band: Band,
}

/// Drift against a baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    /// What today's accounts are compared with.
    pub against: String,
    pub features: Vec<DriftItem>,
    pub fit_score: Option<DriftItem>,
    /// Per tier, the PSI of its (won, lost) shares between then and now.
    pub tier_win_rates: Vec<DriftItem>,
    /// Names of everything in the drifted band.
    pub drifted: Vec<String>,
}

fn item(name: String, psi: f64) -> DriftItem {
    DriftItem {
        name,
        psi,
        band: band(psi),
    }
}

/// Compare today's features (and fit scores) with a baseline. Features the
/// baseline does not know are skipped.
pub fn drift(
    against: String,
    base: &Baseline,
    features: &[FeatureColumn],
    fit: Option<&[f64]>,
    tier_win_rates: &[(String, f64, f64)],
) -> Drift {
    let mut items = Vec::new();
    for b in &base.features {
        if let Some(f) = features.iter().find(|f| f.spec.name == b.feature) {
            let now = feature_bins(f, Some(&b.bins));
            items.push(item(
                b.feature.clone(),
                psi_from_shares(b.bins.shares(), now.shares()),
            ));
        }
    }
    let fit_score = fit.map(|p| {
        let edges = match &base.fit_score {
            Bins::Numeric { edges, .. } => Some(edges.as_slice()),
            Bins::Levels { .. } => None,
        };
        let now = numeric_bins(p, edges);
        item(
            "fit_score".into(),
            psi_from_shares(base.fit_score.shares(), now.shares()),
        )
    });
    let tiers: Vec<DriftItem> = tier_win_rates
        .iter()
        .map(|(name, then, now)| {
            item(
                name.clone(),
                psi_from_shares(&[*then, 1.0 - then], &[*now, 1.0 - now]),
            )
        })
        .collect();
    let drifted = items
        .iter()
        .chain(fit_score.iter())
        .chain(tiers.iter())
        .filter(|i| i.band == Band::Drifted)
        .map(|i| i.name.clone())
        .collect();
    Drift {
        against,
        features: items,
        fit_score,
        tier_win_rates: tiers,
        drifted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selected_ranks_hold_the_values_a_sort_puts_there() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(7);
        for len in [1usize, 5, 19, 20, 21, 1000] {
            let v: Vec<f64> = (0..len)
                .map(|_| f64::from(rng.gen_range(0..50u8)))
                .collect();
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let ranks: Vec<usize> = (1..NUMERIC_BINS).map(|k| k * len / NUMERIC_BINS).collect();
            let mut w = v.clone();
            select_ranks(&mut w, &ranks);
            for &r in &ranks {
                assert_eq!(w[r], sorted[r], "len {len}, rank {r}");
            }
        }
    }
    use crate::features::{FeatureSpec, Transform};

    fn industry(codes: Vec<u32>) -> FeatureColumn {
        FeatureColumn {
            spec: FeatureSpec {
                name: "industry".into(),
                transform: Transform::Categorical {
                    levels: vec!["A".into(), "B".into(), "C".into()],
                },
                nulls: 0,
            },
            data: FeatureData::Categorical(codes),
        }
    }

    /// Baseline A 5, B 3, C 2 of 10 accounts (0.5, 0.3, 0.2); today A 2, B 3,
    /// C 5 (0.2, 0.3, 0.5). PSI = (0.2 − 0.5)·ln(0.2/0.5) + 0 + (0.5 − 0.2)·ln(0.5/0.2)
    /// = 0.3·ln 2.5 · 2 = 0.5498; the empty "(unseen)" bin adds (ε − ε)·ln 1 = 0.
    #[test]
    fn categorical_drift_matches_the_hand_computation() {
        let then = industry(vec![0, 0, 0, 0, 0, 1, 1, 1, 2, 2]);
        let now = industry(vec![0, 0, 1, 1, 1, 2, 2, 2, 2, 2]);
        let base = baseline(std::slice::from_ref(&then), &[0.5; 10]);
        let d = drift("then".into(), &base, &[now], None, &[]);
        let psi = d.features[0].psi;
        assert!((psi - 0.6 * 2.5f64.ln()).abs() < 1e-12, "{psi}");
        assert_eq!(d.features[0].band, Band::Drifted);
        assert_eq!(d.drifted, ["industry"]);
        let same = drift("then".into(), &base, &[then], None, &[]);
        assert_eq!(same.features[0].psi, 0.0);
    }

    /// A tier whose win rate went from 40% to 20%: shares (0.4, 0.6) → (0.2, 0.8),
    /// PSI = −0.2·ln 0.5 + 0.2·ln(4/3) = 0.1386 + 0.0575 = 0.1962, "watch".
    #[test]
    fn a_tier_win_rate_drift_is_the_psi_of_its_won_and_lost_shares() {
        let base = baseline(&[], &[0.5; 4]);
        let d = drift(
            "then".into(),
            &base,
            &[],
            None,
            &[("Tier 1 win rate".into(), 0.4, 0.2)],
        );
        let expect = -0.2 * 0.5f64.ln() + 0.2 * (4.0f64 / 3.0).ln();
        assert!((d.tier_win_rates[0].psi - expect).abs() < 1e-12);
        assert_eq!(d.tier_win_rates[0].band, Band::Watch);
        assert_eq!(band(0.05), Band::Stable);
        assert_eq!(band(0.3), Band::Drifted);
        // The reports' band names are report.json's.
        for b in [Band::Stable, Band::Watch, Band::Drifted] {
            assert_eq!(serde_json::to_value(b).unwrap(), b.name());
        }
    }
}
