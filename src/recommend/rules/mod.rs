//! ICP criteria as rules a person can read and a CRM can filter on.
//!
//! Criteria are built on fit features only (who the account is: industry,
//! size, technologies, region), never on buying signals or relationships,
//! and never on features the caller excludes (e.g. ones that look
//! post-outcome). Two qualifying rule sets give two points of the frontier
//! between win rate and reach, both learned greedily from all accounts with
//! closed deals, adding one condition at a time:
//!
//! * the **core ICP** adds the condition that best separates the rows it
//!   keeps from those it removes (the largest z, so of two groups winning
//!   as often, the larger), among those holding at least the minimum
//!   support in closed deals and `core_min_account_share` of the accounts,
//!   among the accounts no disqualifier rules out, and narrows as long as
//!   a refinement is significant and material (the rows kept win at least
//!   [`CORE_MIN_RATIO`] times as often as those removed): the highest win
//!   rate at the minimum support, even a small group holding a tenth of
//!   the wins (choosing by the observed win rate alone would split hairs
//!   within the group, by chance);
//! * the **broad ICP** adds the condition with the largest FOIL gain
//!   `won' · (log2 rate' − log2 rate)` (won deals kept, times the
//!   information gained about winning), and after the first criterion a
//!   refinement must keep 90% of the current wins: most wins at a win rate
//!   above the overall.
//!
//! At each step a categorical's levels are ordered by win rate among the
//! rows still in, and its candidate sets are the best-first prefixes and
//! each level alone, so a narrower rule can name the levels that win
//! within it. In both searches, a condition is added only when the
//! accounts it removes win significantly less often — a one-sided z above
//! both 2.326 (p < 0.01) and the 99th percentile of the best candidate's
//! z over [`PERMUTATIONS`] seeded shuffles of the accounts' outcomes among
//! the accounts still in, level sets rebuilt in each shuffle as they are on
//! the data (so trying hundreds of candidates, choosing level sets by win
//! rate, and deals clustered in accounts keep the step's error rate at
//! 1%) — and
//! the win rate rises by at least 3%. The core search is judged against the
//! broad step's threshold (the best over a superset of its candidates), so
//! it finds a first criterion only when the broad search does. At most one
//! condition per feature, and at most `max_qualifying`. Disqualifying
//! criteria are single conditions whose win rate is clearly below half the
//! overall rate (upper 95% Wilson bound under 0.5 × overall) with enough
//! support, and whose z against the rest exceeds the 99th percentile of
//! the worst candidate's over the same shuffles. The qualifying and
//! disqualifying searches at 1% each keep the chance that pure noise
//! yields any criterion at 2%; without a qualifying criterion no ICP is
//! found and no account is in it. A numeric feature's candidates are
//! ranges between coarse cut points — the deciles and the tails (1%, 2.5%,
//! 5% and their mirrors) snapped to readable values (1, 2, 2.5, 5 ×
//! 10^k) — open or closed on both sides; once a range is chosen, each of
//! its bounds moves to the fine cut point (every half percentile, two
//! significant digits) between its coarse neighbours with the most value
//! to the search ([`refine`]), so a band reads "300 ≤ employees ≤ 1,200".
//! The guard judges the coarse candidates, so moving a bound cannot raise
//! the error rate. A folded `other` level is a
//! criterion only when the levels it holds are known, and is written as them.

mod candidates;
mod condition;
mod cuts;
mod permutation;
mod refine;
mod search;
mod tally;

pub(crate) use condition::fmt_num;
pub use condition::{Condition, Criteria};
pub use permutation::{NULL_ROWS, PERMUTATIONS, PERMUTATION_SEED};
pub use search::{CORE_MIN_RATIO, MIN_WIN_RETENTION};

use serde::{Deserialize, Serialize};

use crate::features::{FeatureColumn, Gate, Use};
use candidates::{candidates, ActiveRows};
use refine::Numeric;
use search::{Search, Table};
use tally::{atoms_of, levels_of};

/// Rule-learning options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleOptions {
    pub max_qualifying: usize,
    pub max_disqualifying: usize,
    /// Closed deals a rule must cover.
    pub min_support: u64,
    /// Share (0–1) of the accounts with closed deals the core ICP must hold.
    #[serde(default = "default_core_min_account_share")]
    pub core_min_account_share: f64,
}

fn default_core_min_account_share() -> f64 {
    0.01
}

impl Default for RuleOptions {
    fn default() -> Self {
        RuleOptions {
            max_qualifying: 5,
            max_disqualifying: 5,
            min_support: 30,
            core_min_account_share: default_core_min_account_share(),
        }
    }
}

/// Rules are learned on at most this many accounts with closed deals (a
/// seeded sample beyond it), which bounds memory at one byte per account and
/// candidate.
pub const MAX_RULE_ACCOUNTS: usize = 100_000;

/// Learn criteria from per-account won and lost deal counts, on the
/// features `gate` lets criteria rest on ([`Use::IcpCriterion`]: fit
/// features not shut as likely post-outcome).
///
/// Both qualifying searches start from the same first-step threshold (the
/// core one judges each step against the permuted best of all candidates
/// at the deal support, a superset of its own), so the core search finds a
/// first criterion only when the broad one does: together they keep the
/// qualifying search's 1%.
/// No criterion, and no categorical level set, rests on a feature the gate
/// shuts out.
///
/// `expected` holds each row's expected wins from its signals and
/// relationships alone (its closed deals times their predicted win rate);
/// a core refinement's materiality is judged on observed over expected
/// wins. Without it every closed deal is expected to win at the overall
/// rate, so materiality compares plain win rates.
pub fn learn(
    features: &[FeatureColumn],
    won: &[f64],
    lost: &[f64],
    expected: Option<&[f64]>,
    opts: &RuleOptions,
    gate: &Gate,
) -> Criteria {
    learn_guarded(features, won, lost, expected, opts, gate).criteria
}

/// What [`learn_guarded`] learned: the criteria, and the z the first
/// qualifying step had to pass (its permutation threshold, at least
/// 2.326), which sizes the sample "no ICP found" asks for.
#[derive(Debug, Clone)]
pub struct Learned {
    pub criteria: Criteria,
    pub first_step_z: Option<f64>,
}

/// [`learn`], with the first qualifying step's guard.
pub fn learn_guarded(
    features: &[FeatureColumn],
    won: &[f64],
    lost: &[f64],
    expected: Option<&[f64]>,
    opts: &RuleOptions,
    gate: &Gate,
) -> Learned {
    let active = rule_accounts(won, lost);
    let (tw, tl): (f64, f64) = (won.iter().sum(), lost.iter().sum());
    let overall = tw / (tw + tl).max(1.0);
    let expected: Vec<f64> = match expected {
        Some(e) => active.iter().map(|&i| e[i]).collect(),
        None => (active.iter())
            .map(|&i| (won[i] + lost[i]) * overall)
            .collect(),
    };
    let won: Vec<f64> = active.iter().map(|&i| won[i]).collect();
    let lost: Vec<f64> = active.iter().map(|&i| lost[i]).collect();
    let min_support = opts.min_support as f64;
    let rows = ActiveRows {
        active: &active,
        won: &won,
        lost: &lost,
    };
    let cands = candidates(features, &rows, min_support, gate);
    let masks: Vec<Vec<bool>> = cands
        .iter()
        .map(|c| c.matches_rows(features, active.iter().copied()))
        .collect();
    let cats = levels_of(gate.features(features, Use::IcpCriterion), &active, &cands);
    let t = Table {
        cands: &cands,
        masks: &masks,
        won: &won,
        lost: &lost,
        expected: &expected,
        min_support,
        atoms: atoms_of(&cands, &masks, &cats, won.len()),
        cats,
        first_step_z: std::cell::Cell::new(None),
        numeric: numeric_of(features, &active, gate),
    };
    let core_accounts = (opts.core_min_account_share * active.len() as f64).ceil();
    let disqualifying = t.disqualifying(opts.max_disqualifying);
    // The core ICP is learned among the accounts no disqualifier rules out
    // (in ICP means both), so its first condition is not spent on them.
    // With no disqualifier it starts from all rows, as the broad search
    // does: on noise it then finds a criterion only when the broad one does.
    let mut start = vec![true; won.len()];
    for d in &disqualifying {
        for (s, m) in start
            .iter_mut()
            .zip(d.matches_rows(features, active.iter().copied()))
        {
            *s &= !m;
        }
    }
    let criteria = Criteria {
        qualifying: t.qualifying(start, opts.max_qualifying, Search::Core, core_accounts),
        broad: t.qualifying(
            vec![true; won.len()],
            opts.max_qualifying,
            Search::Broad,
            0.0,
        ),
        disqualifying,
    };
    Learned {
        criteria,
        first_step_z: t.first_step_z.get(),
    }
}

/// The numeric features criteria may rest on, over the rows `active`,
/// with their cut points.
fn numeric_of(features: &[FeatureColumn], active: &[usize], gate: &Gate) -> Vec<Numeric> {
    (gate.features(features, Use::IcpCriterion))
        .filter_map(|f| match &f.data {
            crate::features::FeatureData::Numeric(v) => {
                let present = cuts::sorted_present(v, active);
                Some(Numeric {
                    feature: f.spec.name.clone(),
                    values: active.iter().map(|&i| v[i]).collect(),
                    coarse: cuts::coarse(&present),
                    fine: cuts::fine(&present),
                })
            }
            _ => None,
        })
        .collect()
}

/// Accounts with closed deals, ascending; beyond [`MAX_RULE_ACCOUNTS`] a
/// seeded sample of them.
fn rule_accounts(won: &[f64], lost: &[f64]) -> Vec<usize> {
    use rand::SeedableRng;
    let active: Vec<usize> = (0..won.len()).filter(|&i| won[i] + lost[i] > 0.0).collect();
    if active.len() <= MAX_RULE_ACCOUNTS {
        return active;
    }
    let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(42);
    let mut picked = rand::seq::index::sample(&mut rng, active.len(), MAX_RULE_ACCOUNTS).into_vec();
    picked.sort_unstable();
    picked.into_iter().map(|i| active[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{FeatureData, Role, Transform};

    fn binary(name: &str, role: Role, v: Vec<f64>) -> FeatureColumn {
        FeatureColumn {
            spec: crate::features::FeatureSpec {
                name: name.into(),
                transform: Transform::Binary {
                    impute: 0.0,
                    missing_flag: false,
                },
                nulls: 0,
                role,
                role_declared: true,
            },
            data: FeatureData::Binary(v),
        }
    }

    /// 4,000 accounts with one closed deal each. Fit features `a` (every
    /// other account) and `b` (10 of each 100); the 200 accounts with both
    /// win 3 deals in 5, the rest 1 in 5. A signal `hot` is yes exactly on
    /// the won deals, and a relationship `known` on 4 of 5 of them.
    fn small_group() -> (Vec<FeatureColumn>, Vec<f64>, Vec<f64>) {
        let n = 4000;
        let a: Vec<bool> = (0..n).map(|i| i % 2 == 0).collect();
        let b: Vec<bool> = (0..n).map(|i| (i / 10) % 10 == 0).collect();
        let won: Vec<f64> = (0..n)
            .map(|i| {
                let wins = if a[i] && b[i] { i % 5 < 3 } else { i % 5 == 0 };
                f64::from(u8::from(wins))
            })
            .collect();
        let lost: Vec<f64> = won.iter().map(|w| 1.0 - w).collect();
        let flag = |v: &[bool]| v.iter().map(|&x| f64::from(u8::from(x))).collect();
        let known: Vec<bool> = (0..n).map(|i| won[i] == 1.0 && i % 7 != 0).collect();
        let features = vec![
            binary("a", Role::Fit, flag(&a)),
            binary("b", Role::Fit, flag(&b)),
            binary("hot", Role::Signal, won.clone()),
            binary("known", Role::Relationship, flag(&known)),
        ];
        (features, won, lost)
    }

    /// The group with both `a` and `b` holds 200 of the 4,000 accounts and
    /// 120 of the 880 wins (14%): the broad search, which must keep 90% of
    /// the wins, cannot narrow to it; the core search does. The signal and
    /// the relationship, which separate far better, are never used.
    #[test]
    fn the_core_icp_narrows_to_a_small_group_on_fit_features_only() {
        let (features, won, lost) = small_group();
        let c = learn(
            &features,
            &won,
            &lost,
            None,
            &RuleOptions::default(),
            &Gate::new(&features, []),
        );
        let yes = |f: &str| Condition::Has {
            feature: f.into(),
            value: "true".into(),
        };
        let mut core = c.qualifying.clone();
        core.sort_by(|x, y| x.feature().cmp(y.feature()));
        assert_eq!(core, vec![yes("a"), yes("b")], "{c:?}");
        assert!(
            !c.broad.contains(&yes("b")) || !c.broad.contains(&yes("a")),
            "{c:?}"
        );
        for d in c.qualifying.iter().chain(&c.broad).chain(&c.disqualifying) {
            assert!(["a", "b"].contains(&d.feature()), "{d:?}");
        }
        let inside = c.in_icp(&features, won.len());
        assert_eq!(inside.iter().filter(|&&x| x).count(), 200);
        // An excluded feature is not used either: without `b` the core ICP
        // cannot reach the group.
        let c = learn(
            &features,
            &won,
            &lost,
            None,
            &RuleOptions::default(),
            &Gate::new(&features, ["b".to_string()]),
        );
        assert!(c.qualifying.iter().all(|q| q.feature() != "b"), "{c:?}");
    }

    /// 1,000 accounts with 5 closed deals each. A relationship `known` wins
    /// 3 deals in 5, its absence 1 in 5; a fit feature `large` goes with it
    /// (400 of the 500 known accounts, 100 of the others) and does nothing
    /// of its own. Judged on plain win rates `large` wins 1.9 times as
    /// often as the rest and is a core criterion; with each account's
    /// expected wins from `known` (exactly its wins here) every row wins
    /// as expected and `large` is not material.
    #[test]
    fn a_fit_proxy_of_a_relationship_is_not_material_with_it_held_fixed() {
        let n = 1000;
        let known: Vec<bool> = (0..n).map(|i| i < 500).collect();
        let large: Vec<bool> = (0..n).map(|i| i < 400 || (500..600).contains(&i)).collect();
        let won: Vec<f64> = known.iter().map(|&k| if k { 3.0 } else { 1.0 }).collect();
        let lost: Vec<f64> = won.iter().map(|w| 5.0 - w).collect();
        let flag = |v: &[bool]| v.iter().map(|&x| f64::from(u8::from(x))).collect();
        let features = vec![
            binary("large", Role::Fit, flag(&large)),
            binary("known", Role::Relationship, flag(&known)),
        ];
        let opts = RuleOptions::default();
        let plain = learn(
            &features,
            &won,
            &lost,
            None,
            &opts,
            &Gate::new(&features, []),
        );
        assert_eq!(plain.qualifying.len(), 1, "{plain:?}");
        assert_eq!(plain.qualifying[0].feature(), "large");
        let held = learn(
            &features,
            &won,
            &lost,
            Some(&won),
            &opts,
            &Gate::new(&features, []),
        );
        assert!(held.qualifying.is_empty(), "{held:?}");
    }
}
