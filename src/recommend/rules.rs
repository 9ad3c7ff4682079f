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
//! both 2.326 (p < 0.01) and the 97.5th percentile of the best candidate's
//! z over [`PERMUTATIONS`] seeded shuffles of the accounts' outcomes among
//! the accounts still in, level sets rebuilt in each shuffle as they are on
//! the data (so trying hundreds of candidates, choosing level sets by win
//! rate, and deals clustered in accounts keep the step's error rate at
//! 2.5%) — and
//! the win rate rises by at least 3%. The core search is judged against the
//! broad step's threshold (the best over a superset of its candidates), so
//! it finds a first criterion only when the broad search does. At most one
//! condition per feature, and at most `max_qualifying`. Disqualifying
//! criteria are single conditions whose win rate is clearly below half the
//! overall rate (upper 95% Wilson bound under 0.5 × overall) with enough
//! support, and whose z against the rest exceeds the 97.5th percentile of
//! the worst candidate's over the same shuffles. The qualifying and
//! disqualifying searches at 2.5% each keep the chance that pure noise
//! yields any criterion at 5%. Numeric cut points are quantiles snapped to
//! readable values (1, 2, 2.5, 5 × 10^k). A folded `other` level is a
//! criterion only when the levels it holds are known, and is written as them.

use serde::{Deserialize, Serialize};

use crate::features::folded_names;
use crate::features::infer::OTHER;
use crate::features::{FeatureColumn, FeatureData, Role, Transform};
use crate::stats::conversion::{proportions_ztest, wilson_interval, Alternative};

/// Share of the current wins a second or later broad criterion must keep.
pub const MIN_WIN_RETENTION: f64 = 0.9;

/// One condition on one feature, in the feature's original units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Condition {
    /// A categorical feature takes one of these levels.
    In {
        feature: String,
        levels: Vec<String>,
    },
    /// A list feature contains the value, or a binary feature is true or
    /// false (`value = "true"` / `"false"`, read `csm_assigned = yes` / `= no`).
    Has { feature: String, value: String },
    /// A numeric feature lies in `[min, max]` (either bound may be open). Nulls never match.
    Range {
        feature: String,
        min: Option<f64>,
        max: Option<f64>,
    },
}

fn readable(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let sign = v.signum();
    let a = v.abs();
    let e = 10f64.powf(a.log10().floor());
    let m = a / e;
    let snapped = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .min_by(|x, y| (x - m).abs().total_cmp(&(y - m).abs()))
        .unwrap_or(1.0);
    sign * snapped * e
}

fn fmt_num(v: f64) -> String {
    if v.abs() >= 1000.0 && v.fract() == 0.0 {
        let s = format!("{}", v.abs() as i64);
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if v < 0.0 {
            format!("-{out}")
        } else {
            out
        }
    } else {
        format!("{v}")
    }
}

impl Condition {
    pub fn feature(&self) -> &str {
        match self {
            Condition::In { feature, .. }
            | Condition::Has { feature, .. }
            | Condition::Range { feature, .. } => feature,
        }
    }

    /// The condition in words, e.g. `industry in {Fintech, SaaS}`, `200 ≤ employees ≤ 2,000`.
    /// The folded `other` level is written as the levels it holds, taken
    /// from `features`: `industry in {SaaS, Mining, Fishing, +3 more}`.
    pub fn text(&self, features: &[FeatureColumn]) -> String {
        match self {
            Condition::In { feature, levels } if levels.len() == 1 && levels[0] != OTHER => {
                format!("{feature} = {}", levels[0])
            }
            Condition::In { feature, levels } => {
                let mut parts: Vec<String> =
                    levels.iter().filter(|l| *l != OTHER).cloned().collect();
                if parts.len() < levels.len() {
                    let folded = features
                        .iter()
                        .find(|f| f.spec.name == *feature)
                        .map_or(&[][..], |f| f.folded());
                    parts.extend(folded_names(folded));
                }
                format!("{feature} in {{{}}}", parts.join(", "))
            }
            Condition::Has { feature, value } if value == "true" => format!("{feature} = yes"),
            Condition::Has { feature, value } if value == "false" => format!("{feature} = no"),
            Condition::Has { feature, value } => format!("{feature} contains {value}"),
            Condition::Range {
                feature,
                min: Some(a),
                max: Some(b),
            } => format!("{} ≤ {feature} ≤ {}", fmt_num(*a), fmt_num(*b)),
            Condition::Range {
                feature,
                min: Some(a),
                max: None,
            } => format!("{feature} ≥ {}", fmt_num(*a)),
            Condition::Range {
                feature,
                min: None,
                max: Some(b),
            } => format!("{feature} ≤ {}", fmt_num(*b)),
            Condition::Range { feature, .. } => format!("{feature} is known"),
        }
    }

    /// Whether each account matches. `features` must hold the named feature.
    pub fn matches(&self, features: &[FeatureColumn], n: usize) -> Vec<bool> {
        self.matches_rows(features, 0..n)
    }

    /// Whether each of the given accounts matches, in their order.
    pub fn matches_rows(
        &self,
        features: &[FeatureColumn],
        rows: impl Iterator<Item = usize>,
    ) -> Vec<bool> {
        let test = self.test(features);
        rows.map(test).collect()
    }

    /// The condition as a test of one account, by index.
    fn test<'a>(&'a self, features: &'a [FeatureColumn]) -> Box<dyn Fn(usize) -> bool + 'a> {
        let Some(f) = features.iter().find(|f| f.spec.name == self.feature()) else {
            return Box::new(|_| false);
        };
        match (self, &f.data, &f.spec.transform) {
            (
                Condition::In { levels, .. },
                FeatureData::Categorical(codes),
                Transform::Categorical { levels: all, .. },
            ) => {
                let wanted: Vec<bool> = all.iter().map(|l| levels.contains(l)).collect();
                Box::new(move |i| wanted.get(codes[i] as usize).copied().unwrap_or(false))
            }
            (Condition::Has { value, .. }, FeatureData::Binary(v), _) => {
                let want = value == "true";
                Box::new(move |i| !v[i].is_nan() && (v[i] == 1.0) == want)
            }
            (
                Condition::Has { value, .. },
                FeatureData::List { .. },
                Transform::List { values, .. },
            ) => match values.iter().position(|v| v == value) {
                None => Box::new(|_| false),
                Some(code) => Box::new(move |i| f.list_values(i).contains(&(code as u32))),
            },
            (Condition::Range { min, max, .. }, FeatureData::Numeric(v), _) => Box::new(move |i| {
                let x = v[i];
                !x.is_nan() && min.is_none_or(|m| x >= m) && max.is_none_or(|m| x <= m)
            }),
            _ => Box::new(|_| false),
        }
    }
}

/// Whether criteria may be built on a feature: a fit feature (who the
/// account is) the caller did not `exclude`. Signals say when to act and
/// relationships how; neither defines the ICP.
pub fn eligible(f: &FeatureColumn, exclude: &[String]) -> bool {
    f.spec.role == Role::Fit && !exclude.contains(&f.spec.name)
}

/// Candidate conditions, from every [`eligible`] feature. `active[j]` is
/// the account of `won[j]` and `lost[j]`.
fn candidates(
    features: &[FeatureColumn],
    active: &[usize],
    (won, lost): (&[f64], &[f64]),
    min_support: f64,
    exclude: &[String],
) -> Vec<Condition> {
    let mut out = Vec::new();
    for f in features.iter().filter(|f| eligible(f, exclude)) {
        let name = &f.spec.name;
        match (&f.data, &f.spec.transform) {
            (FeatureData::Numeric(v), _) => range_candidates(name, v, active, &mut out),
            (FeatureData::Binary(_), _) => {
                for value in ["true", "false"] {
                    out.push(Condition::Has {
                        feature: name.clone(),
                        value: value.into(),
                    });
                }
            }
            (FeatureData::List { .. }, Transform::List { values, .. }) => {
                for v in values {
                    out.push(Condition::Has {
                        feature: name.clone(),
                        value: v.clone(),
                    });
                }
            }
            (FeatureData::Categorical(codes), Transform::Categorical { levels, .. }) => {
                let rows = (active, won, lost);
                // A folded `other` whose levels are not known cannot be
                // named, so it is left out rather than written bare.
                let named = !f.folded().is_empty();
                level_set_candidates(name, (codes, levels, named), rows, min_support, &mut out);
            }
            _ => {}
        }
    }
    out
}

/// Ranges of a numeric feature between readable deciles of its known values
/// (at least ten of them): at least, at most, and between each pair.
fn range_candidates(name: &str, v: &[f64], active: &[usize], out: &mut Vec<Condition>) {
    let mut present: Vec<f64> = (active.iter())
        .filter(|&&a| !v[a].is_nan())
        .map(|&a| v[a])
        .collect();
    present.sort_by(f64::total_cmp);
    if present.len() < 10 {
        return;
    }
    let mut cuts: Vec<f64> = (1..10)
        .map(|q| readable(present[q * present.len() / 10]))
        .collect();
    cuts.dedup();
    let range = |min, max| Condition::Range {
        feature: name.to_string(),
        min,
        max,
    };
    for &c in &cuts {
        out.push(range(Some(c), None));
        out.push(range(None, Some(c)));
    }
    for (i, &a) in cuts.iter().enumerate() {
        for &b in &cuts[i + 1..] {
            out.push(range(Some(a), Some(b)));
        }
    }
}

/// Sets of a categorical's levels: levels with `min_support` closed deals
/// by win rate, best first; sets are the best-first prefixes, then each
/// level alone. The folded `other` level takes part only when its levels
/// are `named`.
fn level_set_candidates(
    name: &str,
    (codes, levels, named): (&[u32], &[String], bool),
    (active, won, lost): (&[usize], &[f64], &[f64]),
    min_support: f64,
    out: &mut Vec<Condition>,
) {
    let mut stats = vec![(0.0, 0.0); levels.len()];
    for j in 0..won.len() {
        if let Some(s) = stats.get_mut(codes[active[j]] as usize) {
            s.0 += won[j];
            s.1 += won[j] + lost[j];
        }
    }
    // The folded `other` level is a criterion too: its text names the levels.
    let mut order: Vec<usize> = (0..levels.len())
        .filter(|&l| stats[l].1 >= min_support && (named || levels[l] != OTHER))
        .collect();
    order.sort_by(|&a, &b| {
        (stats[b].0 / stats[b].1)
            .total_cmp(&(stats[a].0 / stats[a].1))
            .then(a.cmp(&b))
    });
    for k in 1..order.len() {
        let mut set: Vec<String> = order[..k].iter().map(|&l| levels[l].clone()).collect();
        set.sort();
        out.push(Condition::In {
            feature: name.to_string(),
            levels: set,
        });
    }
    for &l in &order {
        let single = Condition::In {
            feature: name.to_string(),
            levels: vec![levels[l].clone()],
        };
        if !out.contains(&single) {
            out.push(single);
        }
    }
}

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

/// The learned criteria: two points of the frontier between win rate and
/// reach, and the disqualifiers both share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Criteria {
    /// The core ICP: the conjunction with the highest win rate at the
    /// minimum support. "In ICP" means these and no disqualifier.
    pub qualifying: Vec<Condition>,
    pub disqualifying: Vec<Condition>,
    /// The broad ICP: most wins at a win rate above the overall. Empty in
    /// models written before the core ICP.
    #[serde(default)]
    pub broad: Vec<Condition>,
}

impl Criteria {
    /// Whether each account is in the (core) ICP: all qualifying, no disqualifying.
    pub fn in_icp(&self, features: &[FeatureColumn], n: usize) -> Vec<bool> {
        self.matching(&self.qualifying, features, n)
    }

    /// Whether each account is in the broad ICP: all broad criteria, no disqualifying.
    pub fn in_broad_icp(&self, features: &[FeatureColumn], n: usize) -> Vec<bool> {
        self.matching(&self.broad, features, n)
    }

    /// Accounts matching all of `qualifying` and none of the disqualifiers.
    fn matching(
        &self,
        qualifying: &[Condition],
        features: &[FeatureColumn],
        n: usize,
    ) -> Vec<bool> {
        let mut inside = vec![true; n];
        for c in qualifying {
            for (x, m) in inside.iter_mut().zip(c.matches(features, n)) {
                *x &= m;
            }
        }
        for c in &self.disqualifying {
            for (x, m) in inside.iter_mut().zip(c.matches(features, n)) {
                *x &= !m;
            }
        }
        inside
    }
}

fn totals(mask: &[bool], won: &[f64], lost: &[f64]) -> (f64, f64) {
    let (mut w, mut l) = (0.0, 0.0);
    for i in 0..mask.len() {
        if mask[i] {
            w += won[i];
            l += lost[i];
        }
    }
    (w, l)
}

/// Permutations of account outcomes behind each step's threshold.
pub const PERMUTATIONS: usize = 200;
/// Seed of the permutations; step `s` (0-based) uses `PERMUTATION_SEED + s`.
pub const PERMUTATION_SEED: u64 = 42;
/// Percentile (per mille) of the permuted best statistic a criterion must
/// pass. The qualifying search and the disqualifying one are each held at
/// 2.5%, so on outcomes unrelated to the features the chance that either
/// keeps a criterion is at most 5% (later qualifying steps only follow a
/// first one that held).
const PERMILLE: usize = 975;
/// The permutation threshold is measured on at most this many rows (a
/// seeded sample of the rows in play beyond it, with the support minimum
/// scaled to the sample's share of deals). Under shuffled outcomes a z is
/// standard normal at any size, and the candidates' overlap, which sets the
/// best one's spread, does not depend on the size either, so the threshold
/// is the same; shuffling 100,000 accounts 200 times per step is not.
pub const NULL_ROWS: usize = 5_000;
/// One-sided z of p = 0.01, the least a criterion must reach whatever the permutations say.
const MIN_Z: f64 = 2.326_347_874_040_841;

/// Won and lost deals of the accounts in `inside` that `mask` holds, and
/// how many accounts those are.
fn sums(mask: &[bool], inside: &[usize], won: &[f64], lost: &[f64]) -> (f64, f64, f64) {
    let (mut w, mut l, mut a) = (0.0, 0.0, 0.0);
    for &i in inside {
        if mask[i] {
            w += won[i];
            l += lost[i];
            a += 1.0;
        }
    }
    (w, l, a)
}

/// What a qualifying search looks for: a point of the frontier between
/// win rate and reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Search {
    /// Most wins at a win rate above the overall: FOIL gain, and each
    /// refinement after the first keeps [`MIN_WIN_RETENTION`] of the wins.
    Broad,
    /// The highest win rate at the minimum support: the refinement that
    /// best separates (largest z) among those holding at least the minimum
    /// share of accounts, with no retention of wins asked for, until no
    /// refinement leaves rows that win significantly less.
    Core,
}

/// How many times as often the rows a core refinement keeps must win as
/// those it removes: the lift the drivers call material.
pub const CORE_MIN_RATIO: f64 = 1.2;

/// One greedy step: the current rule set's won and lost deals and win rate.
struct Step {
    cw: f64,
    cl: f64,
    /// Wins the current rows' signals and relationships alone lead one to
    /// expect (see [`learn`]).
    ce: f64,
    rate: f64,
    /// Whether a refinement must keep [`MIN_WIN_RETENTION`] of the current wins.
    retain: bool,
    min_support: f64,
    /// Accounts a refinement must hold (0 for none).
    min_accounts: f64,
    search: Search,
}

impl Step {
    /// A candidate keeping `w` won and `l` lost deals of `accounts`
    /// accounts, whose signals and relationships lead one to expect `e`
    /// wins: its z (the accounts it removes win less, one-sided) and its
    /// value to the search (FOIL gain, or the z), or `None` when it lacks
    /// support, lift, materiality or win retention.
    fn score(&self, w: f64, l: f64, accounts: f64, e: &dyn Fn() -> f64) -> Option<(f64, f64)> {
        if w + l < self.min_support || w == 0.0 || accounts < self.min_accounts {
            return None;
        }
        let r = w / (w + l);
        if r < self.rate * 1.03 {
            return None;
        }
        // A broad refinement must keep most of the wins: the broad ICP says
        // who belongs on the list, not who is already hot.
        if self.retain && w < MIN_WIN_RETENTION * self.cw {
            return None;
        }
        let (rw, rl) = (self.cw - w, self.cl - l);
        // A core refinement must be material with signals and relationships
        // held fixed: the rows it keeps beat what their signals and
        // relationships predict at least CORE_MIN_RATIO times as much as
        // the rows it removes (observed over expected wins). A fit
        // condition that only stands in for a relationship (larger accounts
        // have more known contacts) wins as its relationships predict, on
        // both sides, and is not material. `e` (the kept rows' expected
        // wins) is summed only here, where it is read.
        if self.search == Search::Core && rw + rl > 0.0 {
            let e = e();
            let re = self.ce - e;
            if re > 0.0 && e > 0.0 && w / e < CORE_MIN_RATIO * (rw / re) {
                return None;
            }
        }
        let z = proportions_ztest(
            w as u64,
            (w + l) as u64,
            rw as u64,
            (rw + rl) as u64,
            Alternative::Greater,
        )?
        .statistic;
        let value = match self.search {
            Search::Broad => w * (r.log2() - self.rate.log2()),
            Search::Core => z,
        };
        Some((z, value))
    }
}

/// Rules are learned on at most this many accounts with closed deals (a
/// seeded sample beyond it), which bounds memory at one byte per account and
/// candidate.
pub const MAX_RULE_ACCOUNTS: usize = 100_000;

/// Learn criteria from per-account won and lost deal counts, on the
/// [`eligible`] features: fit features not in `exclude`.
///
/// Both qualifying searches start from the same first-step threshold (the
/// core one judges each step against the permuted best of all candidates
/// at the deal support, a superset of its own), so the core search finds a
/// first criterion only when the broad one does: together they keep the
/// qualifying search's 2.5%.
/// No criterion rests on a feature named in `exclude` (likely post-outcome
/// features).
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
    exclude: &[String],
) -> Criteria {
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
    let cands = candidates(features, &active, (&won, &lost), min_support, exclude);
    let masks: Vec<Vec<bool>> = cands
        .iter()
        .map(|c| c.matches_rows(features, active.iter().copied()))
        .collect();
    let t = Table {
        cands: &cands,
        masks: &masks,
        won: &won,
        lost: &lost,
        expected: &expected,
        min_support,
        cats: levels_of(features, &active, &cands),
        atoms: Vec::new(),
    };
    let t = Table {
        atoms: atoms_of(&t),
        ..t
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
    Criteria {
        qualifying: t.qualifying(start, opts.max_qualifying, Search::Core, core_accounts),
        broad: t.qualifying(
            vec![true; won.len()],
            opts.max_qualifying,
            Search::Broad,
            0.0,
        ),
        disqualifying,
    }
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

/// Candidates, which rows each matches, and the rows' won and lost counts.
struct Table<'a> {
    cands: &'a [Condition],
    masks: &'a [Vec<bool>],
    won: &'a [f64],
    lost: &'a [f64],
    /// Each row's expected wins from its signals and relationships.
    expected: &'a [f64],
    min_support: f64,
    /// Categorical features, whose level sets are rebuilt under each shuffle.
    cats: Vec<Levels>,
    /// The other candidates, by feature, as [`Atoms`].
    atoms: Vec<Atoms>,
}

/// Some candidates of one non-categorical feature, and each row's atom: the
/// rows alike in every one of these candidates' masks share an atom (a
/// numeric feature's nine cut points make at most twenty), so a
/// candidate's won and lost deals are the sums over the atoms it holds.
/// Deal counts are whole numbers, whose sums are exact in any order: summed
/// by atom they are the very totals a pass over the rows gives.
struct Atoms {
    feature: String,
    /// The candidates (indices into [`Table::cands`]).
    cands: Vec<usize>,
    /// Per row of the table, its atom.
    atom: Vec<u32>,
    n_atoms: usize,
    /// Per candidate of `cands`, the atoms it holds.
    holds: Vec<Vec<u32>>,
}

/// Most atoms of one [`Atoms`]: past it a feature's further candidates (a
/// list feature's values, whose combinations can double with each) start
/// another, so a shuffle costs one pass over the rows per [`Atoms`] and a
/// few dozen additions per candidate.
const MAX_ATOMS: usize = 64;

/// The [`Atoms`] of each non-categorical feature with candidates, in the
/// order of their first candidate.
fn atoms_of(t: &Table) -> Vec<Atoms> {
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for k in (0..t.cands.len()).filter(|k| !t.cats.iter().any(|c| c.cands.contains(k))) {
        let feature = t.cands[k].feature();
        match groups.iter_mut().find(|(f, _)| *f == feature) {
            Some((_, ks)) => ks.push(k),
            None => groups.push((feature, vec![k])),
        }
    }
    let mut out = Vec::new();
    for (feature, ks) in groups {
        let mut rest = &ks[..];
        while !rest.is_empty() {
            let atoms = Atoms::new(feature, rest, t.masks, t.won.len());
            rest = &rest[atoms.cands.len()..];
            out.push(atoms);
        }
    }
    out
}

impl Atoms {
    /// The atoms of the first of candidates `cands` (indices into `masks`)
    /// over `rows` rows: as many as keep them within [`MAX_ATOMS`], and at
    /// least one.
    fn new(feature: &str, cands: &[usize], masks: &[Vec<bool>], rows: usize) -> Atoms {
        let (mut atom, mut n_atoms) = (vec![0u32; rows], 1);
        let mut split_atom = vec![0u32; rows];
        let mut taken = 0;
        // Each mask splits every atom in two (or leaves it whole).
        for &k in cands {
            let mut split = vec![u32::MAX; 2 * n_atoms];
            let mut next = 0;
            for ((s, &a), &m) in split_atom.iter_mut().zip(&atom).zip(&masks[k]) {
                let key = 2 * a as usize + usize::from(m);
                if split[key] == u32::MAX {
                    split[key] = next;
                    next += 1;
                }
                *s = split[key];
            }
            if taken > 0 && next as usize > MAX_ATOMS {
                break;
            }
            std::mem::swap(&mut atom, &mut split_atom);
            n_atoms = next as usize;
            taken += 1;
        }
        let cands = &cands[..taken];
        // One row of each atom says which candidates hold it.
        let mut first = vec![usize::MAX; n_atoms];
        for (r, &a) in atom.iter().enumerate().rev() {
            first[a as usize] = r;
        }
        let holds = (cands.iter())
            .map(|&k| {
                (0..n_atoms as u32)
                    .filter(|&a| masks[k][first[a as usize]])
                    .collect()
            })
            .collect();
        Atoms {
            feature: feature.to_string(),
            cands: cands.to_vec(),
            atom,
            n_atoms,
            holds,
        }
    }

    /// The best statistic of this feature's candidates from each atom's won
    /// and lost deals `ins`.
    fn best(&self, ins: &[(f64, f64)], stat: &dyn Fn(f64, f64) -> Option<f64>) -> f64 {
        (self.holds.iter())
            .filter_map(|h| {
                let (mut w, mut l) = (0.0, 0.0);
                for &a in h {
                    w += ins[a as usize].0;
                    l += ins[a as usize].1;
                }
                stat(w, l)
            })
            .fold(f64::NEG_INFINITY, f64::max)
    }
}

/// A categorical feature's level per row and its candidates' indices: its
/// level sets are ordered by observed win rate, so under a shuffle of
/// outcomes they are ordered afresh, as [`level_set_candidates`] would.
struct Levels {
    feature: String,
    names: Vec<String>,
    code: Vec<u32>,
    n_levels: usize,
    cands: Vec<usize>,
    /// The folded `other` level when its levels are not named: never in a set.
    unnamed_other: Option<usize>,
}

/// The categorical features' [`Levels`] over the rows `active`.
fn levels_of(features: &[FeatureColumn], active: &[usize], cands: &[Condition]) -> Vec<Levels> {
    let mut out = Vec::new();
    for f in features {
        let (FeatureData::Categorical(codes), Transform::Categorical { levels, .. }) =
            (&f.data, &f.spec.transform)
        else {
            continue;
        };
        let cands = (0..cands.len())
            .filter(
                |&k| matches!(&cands[k], Condition::In { feature, .. } if *feature == f.spec.name),
            )
            .collect();
        out.push(Levels {
            feature: f.spec.name.clone(),
            names: levels.clone(),
            code: active.iter().map(|&a| codes[a]).collect(),
            n_levels: levels.len(),
            cands,
            unnamed_other: (f.folded().is_empty())
                .then(|| levels.iter().position(|l| l == OTHER))
                .flatten(),
        });
    }
    out
}

impl Table<'_> {
    /// Qualifying criteria by a greedy `search` from the rows in `current`;
    /// a core refinement must hold `min_accounts` accounts.
    fn qualifying(
        &self,
        mut current: Vec<bool>,
        max: usize,
        search: Search,
        min_accounts: f64,
    ) -> Vec<Condition> {
        let mut qualifying: Vec<Condition> = Vec::new();
        let mut used: Vec<String> = Vec::new();
        while qualifying.len() < max {
            let step = self.step(&current, qualifying.is_empty(), search, min_accounts);
            let Some((condition, mask)) = self.best_refinement(&current, &used, &step) else {
                break;
            };
            for (c, m) in current.iter_mut().zip(mask) {
                *c &= m;
            }
            used.push(condition.feature().to_string());
            qualifying.push(condition);
        }
        qualifying
    }

    /// The step of a `search` from the rows in `current`.
    fn step(&self, current: &[bool], first: bool, search: Search, min_accounts: f64) -> Step {
        let (cw, cl) = totals(current, self.won, self.lost);
        Step {
            cw,
            cl,
            ce: (0..current.len())
                .filter(|&i| current[i])
                .map(|i| self.expected[i])
                .sum(),
            rate: cw / (cw + cl).max(1.0),
            retain: search == Search::Broad && !first,
            min_support: self.min_support,
            min_accounts,
            search,
        }
    }

    /// The candidate on a feature not `used` with the most value to the
    /// step's search over the rows in `current`, among those that raise the
    /// win rate, cover `min_support` deals, and leave rows that win
    /// significantly less: a z past both [`MIN_Z`] and the step's
    /// permutation threshold. The threshold is of the broad step's
    /// statistic without its account minimum, which for the core search is
    /// the best over a superset of its candidates, so it errs on the safe side.
    fn best_refinement(
        &self,
        current: &[bool],
        used: &[String],
        step: &Step,
    ) -> Option<(Condition, Vec<bool>)> {
        use rand::SeedableRng;
        let (won, lost) = (self.won, self.lost);
        let is_used = |f: &str| used.iter().any(|u| u == f);
        let open: Vec<usize> = (0..self.cands.len())
            .filter(|&k| !is_used(self.cands[k].feature()))
            .filter(|k| !self.cats.iter().any(|c| c.cands.contains(k)))
            .collect();
        let open_cats: Vec<&Levels> = (self.cats.iter())
            .filter(|c| !is_used(&c.feature))
            .collect();
        let inside: Vec<usize> = (0..won.len()).filter(|&i| current[i]).collect();
        let mut rng =
            rand_xoshiro::Xoshiro256Plus::seed_from_u64(PERMUTATION_SEED + used.len() as u64);
        let rows = null_rows(&inside, &mut rng);
        let (nw, nl) = (sums_over(&rows, won), sums_over(&rows, lost));
        let null_step = Step {
            cw: nw,
            cl: nl,
            ce: 0.0,
            rate: nw / (nw + nl).max(1.0),
            retain: step.retain,
            min_support: self.min_support * (nw + nl) / (step.cw + step.cl).max(1.0),
            min_accounts: 0.0,
            search: Search::Broad,
        };
        let stat = |w: f64, l: f64| null_step.score(w, l, f64::INFINITY, &|| 0.0).map(|s| s.0);
        let open_atoms: Vec<&Atoms> = (self.atoms.iter())
            .filter(|a| !is_used(&a.feature))
            .collect();
        let threshold = self.permuted_best((&open_atoms, &open_cats), &rows, &mut rng, &stat);
        // The step's candidates: the fixed ones, and each open categorical's
        // level sets ordered by win rate among the rows still in.
        let level_sets = (open_cats.iter()).flat_map(|c| {
            (c.sets(&inside, (won, lost), self.min_support).into_iter()).map(move |set| {
                let mut names: Vec<String> = set.iter().map(|&l| c.names[l].clone()).collect();
                names.sort();
                let condition = Condition::In {
                    feature: c.feature.clone(),
                    levels: names,
                };
                let mask = c
                    .code
                    .iter()
                    .map(|x| set.contains(&(*x as usize)))
                    .collect();
                (condition, std::borrow::Cow::Owned(mask))
            })
        });
        let pre = self.atom_sums(&open_atoms, &inside);
        let fixed = (open.iter()).map(|&k| {
            (
                self.cands[k].clone(),
                std::borrow::Cow::Borrowed(&self.masks[k]),
                pre[k],
            )
        });
        let level_sets = level_sets.map(|(c, m)| (c, m, None));
        let mut best: Option<(f64, Condition, std::borrow::Cow<'_, Vec<bool>>)> = None;
        for (condition, mask, pre) in fixed.chain(level_sets) {
            let (w, l, a) = pre.unwrap_or_else(|| sums(&mask, &inside, won, lost));
            // In row order, as a sum of fractions depends on it.
            let e = || -> f64 {
                (inside.iter().filter(|&&i| mask[i]))
                    .map(|&i| self.expected[i])
                    .sum()
            };
            let Some((z, value)) = step.score(w, l, a, &e) else {
                continue;
            };
            if z <= threshold.max(MIN_Z) {
                continue;
            }
            if best.as_ref().is_none_or(|(g, ..)| value > *g) {
                best = Some((value, condition, mask));
            }
        }
        best.map(|(_, c, m)| (c, m.into_owned()))
    }

    /// Per candidate of `atoms`, its won and lost deals and accounts among
    /// the rows `inside`, from one pass per feature (`None` for the rest).
    fn atom_sums(&self, atoms: &[&Atoms], inside: &[usize]) -> Vec<Option<(f64, f64, f64)>> {
        let mut out = vec![None; self.cands.len()];
        for g in atoms {
            let mut ins = vec![(0.0, 0.0, 0.0); g.n_atoms];
            for &i in inside {
                let t = &mut ins[g.atom[i] as usize];
                (t.0, t.1, t.2) = (t.0 + self.won[i], t.1 + self.lost[i], t.2 + 1.0);
            }
            for (&k, h) in g.cands.iter().zip(&g.holds) {
                let sum = |f: fn(&(f64, f64, f64)) -> f64| {
                    h.iter().fold(0.0, |s, &a| s + f(&ins[a as usize]))
                };
                out[k] = Some((sum(|t| t.0), sum(|t| t.1), sum(|t| t.2)));
            }
        }
        out
    }

    /// Disqualifying: clearly poor single conditions (95% Wilson upper bound
    /// below half the overall win rate) whose z against the rest is past the
    /// permutation threshold of the worst candidate's, worst first, one per
    /// feature.
    fn disqualifying(&self, max: usize) -> Vec<Condition> {
        let (won, lost) = (self.won, self.lost);
        let (tw, tl) = totals(&vec![true; won.len()], won, lost);
        let overall = tw / (tw + tl).max(1.0);
        let worse = |w: f64, l: f64| worse_z(tw, tl, w, l, self.min_support);
        let worst_z = self.worst_null_z();
        let mut poor: Vec<(f64, usize)> = Vec::new();
        for (k, m) in self.masks.iter().enumerate() {
            let (w, l) = totals(m, won, lost);
            if w + l < self.min_support || worse(w, l).is_none_or(|z| z <= worst_z) {
                continue;
            }
            if let Some(iv) = wilson_interval(w as u64, (w + l) as u64, 0.95) {
                if iv.hi < 0.5 * overall {
                    poor.push((w / (w + l), k));
                }
            }
        }
        poor.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut disqualifying: Vec<Condition> = Vec::new();
        for (_, k) in poor {
            if disqualifying.len() == max {
                break;
            }
            let feature = self.cands[k].feature();
            if disqualifying.iter().any(|d| d.feature() == feature) {
                continue;
            }
            disqualifying.push(self.cands[k].clone());
        }
        disqualifying
    }

    /// The permutation threshold of the worst candidate's z over all rows.
    fn worst_null_z(&self) -> f64 {
        use rand::SeedableRng;
        let everyone: Vec<usize> = (0..self.won.len()).collect();
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(PERMUTATION_SEED.wrapping_sub(1));
        let rows = null_rows(&everyone, &mut rng);
        let (tw, tl) = (sums_over(&rows, self.won), sums_over(&rows, self.lost));
        let (aw, al) = (
            sums_over(&everyone, self.won),
            sums_over(&everyone, self.lost),
        );
        let min_support = self.min_support * (tw + tl) / (aw + al).max(1.0);
        let worse = |w: f64, l: f64| worse_z(tw, tl, w, l, min_support);
        let atoms: Vec<&Atoms> = self.atoms.iter().collect();
        let cats: Vec<&Levels> = self.cats.iter().collect();
        self.permuted_best((&atoms, &cats), &rows, &mut rng, &worse)
    }

    /// The [`PERMILLE`] percentile of the best open candidate's statistic
    /// when the accounts' (won, lost) deals are shuffled among the rows in
    /// `inside`: what the best of these candidates reaches by chance one
    /// time in forty. Categorical level sets are rebuilt under each shuffle.
    fn permuted_best(
        &self,
        (open_atoms, open_cats): (&[&Atoms], &[&Levels]),
        inside: &[usize],
        rng: &mut rand_xoshiro::Xoshiro256Plus,
        stat: &dyn Fn(f64, f64) -> Option<f64>,
    ) -> f64 {
        use rand::seq::SliceRandom;
        // Everything a shuffle reads, gathered once into arrays over the
        // rows `inside`: a few thousand rows stay in cache where the full
        // columns do not. A shuffle then tallies each feature's atoms or
        // levels in one pass, and its candidates add up those tallies.
        let at = |v: &[f64]| -> Vec<f64> { inside.iter().map(|&i| v[i]).collect() };
        let (won, lost) = (at(self.won), at(self.lost));
        let atoms: Vec<Vec<u32>> = (open_atoms.iter())
            .map(|g| inside.iter().map(|&i| g.atom[i]).collect())
            .collect();
        let codes: Vec<Vec<u32>> = (open_cats.iter())
            .map(|c| inside.iter().map(|&i| c.code[i]).collect())
            .collect();
        let (mut pw, mut pl) = (won.clone(), lost.clone());
        let mut order: Vec<usize> = (0..inside.len()).collect();
        let mut ins: Vec<(f64, f64)> = Vec::new();
        let mut best: Vec<f64> = (0..PERMUTATIONS)
            .map(|_| {
                order.shuffle(rng);
                for (j, &b) in order.iter().enumerate() {
                    pw[j] = won[b];
                    pl[j] = lost[b];
                }
                let mut best = f64::NEG_INFINITY;
                for (g, atom) in open_atoms.iter().zip(&atoms) {
                    ins.clear();
                    ins.resize(g.n_atoms, (0.0, 0.0));
                    for ((&a, &w), &l) in atom.iter().zip(&pw).zip(&pl) {
                        let t = &mut ins[a as usize];
                        t.0 += w;
                        t.1 += l;
                    }
                    best = best.max(g.best(&ins, stat));
                }
                (open_cats.iter().zip(&codes))
                    .map(|(c, code)| {
                        let ins = c.tally(
                            code.iter()
                                .zip(&pw)
                                .zip(&pl)
                                .map(|((&k, &w), &l)| (k, w, l)),
                        );
                        c.best(&ins, self.min_support, stat)
                    })
                    .fold(best, f64::max)
            })
            .collect();
        best.sort_by(f64::total_cmp);
        best[(PERMUTATIONS * PERMILLE).div_ceil(1000) - 1]
    }
}

/// One-sided z that the rows a condition leaves out (of `tw` won and `tl`
/// lost) win more than the `w` won and `l` lost it holds.
fn worse_z(tw: f64, tl: f64, w: f64, l: f64, min_support: f64) -> Option<f64> {
    if w + l < min_support {
        return None;
    }
    let z = proportions_ztest(
        (tw - w) as u64,
        (tw + tl - w - l) as u64,
        w as u64,
        (w + l) as u64,
        Alternative::Greater,
    )?;
    Some(z.statistic)
}

/// The rows a permutation threshold is measured on: `rows` itself up to
/// [`NULL_ROWS`], else a seeded sample of that many, in ascending order.
fn null_rows(rows: &[usize], rng: &mut rand_xoshiro::Xoshiro256Plus) -> Vec<usize> {
    if rows.len() <= NULL_ROWS {
        return rows.to_vec();
    }
    let mut picked = rand::seq::index::sample(rng, rows.len(), NULL_ROWS).into_vec();
    picked.sort_unstable();
    picked.into_iter().map(|i| rows[i]).collect()
}

/// The sum of `v` over `rows`.
fn sums_over(rows: &[usize], v: &[f64]) -> f64 {
    rows.iter().map(|&i| v[i]).sum()
}

impl Levels {
    /// Each level's won and lost deals over the rows in `inside`, and the
    /// levels with `min_support` closed deals there ordered by win rate,
    /// best first (the folded `other` left out when its levels are unnamed).
    fn order(
        &self,
        inside: &[usize],
        (won, lost): (&[f64], &[f64]),
        min_support: f64,
    ) -> (Vec<(f64, f64)>, Vec<usize>) {
        let ins = self.tally(inside.iter().map(|&j| (self.code[j], won[j], lost[j])));
        let order = self.ranked(&ins, min_support);
        (ins, order)
    }

    /// Won and lost deals per level from rows of (level code, won, lost).
    fn tally(&self, rows: impl Iterator<Item = (u32, f64, f64)>) -> Vec<(f64, f64)> {
        let mut ins = vec![(0.0, 0.0); self.n_levels];
        for (code, won, lost) in rows {
            if let Some(s) = ins.get_mut(code as usize) {
                s.0 += won;
                s.1 += lost;
            }
        }
        ins
    }

    /// The levels with `min_support` closed deals in `ins`, best win rate
    /// first (the folded `other` left out when its levels are unnamed).
    fn ranked(&self, ins: &[(f64, f64)], min_support: f64) -> Vec<usize> {
        let rate = |l: usize| ins[l].0 / (ins[l].0 + ins[l].1);
        let mut order: Vec<usize> = (0..self.n_levels)
            .filter(|&l| ins[l].0 + ins[l].1 >= min_support && self.unnamed_other != Some(l))
            .collect();
        order.sort_by(|&a, &b| rate(b).total_cmp(&rate(a)).then(a.cmp(&b)));
        order
    }

    /// The level sets a step tries among the rows in `inside`: the
    /// best-first prefixes of [`Levels::order`], then each level alone.
    fn sets(
        &self,
        inside: &[usize],
        outcomes: (&[f64], &[f64]),
        min_support: f64,
    ) -> Vec<Vec<usize>> {
        let (_, order) = self.order(inside, outcomes, min_support);
        let mut sets: Vec<Vec<usize>> = (1..order.len()).map(|k| order[..k].to_vec()).collect();
        // The first level alone is already the first prefix.
        let singles = order.iter().skip(usize::from(order.len() > 1));
        sets.extend(singles.map(|&l| vec![l]));
        sets
    }

    /// The best statistic of this feature's level sets ([`Levels::sets`])
    /// from its levels' won and lost deals `ins` ([`Levels::tally`]).
    fn best(
        &self,
        ins: &[(f64, f64)],
        min_support: f64,
        stat: &dyn Fn(f64, f64) -> Option<f64>,
    ) -> f64 {
        let order = self.ranked(ins, min_support);
        let (mut best, mut w, mut l) = (f64::NEG_INFINITY, 0.0, 0.0);
        for (k, &lv) in order.iter().enumerate() {
            best = stat(ins[lv].0, ins[lv].1).map_or(best, |z| best.max(z));
            if k + 1 < order.len() {
                (w, l) = (w + ins[lv].0, l + ins[lv].1);
                best = stat(w, l).map_or(best, |z| best.max(z));
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_points_snap_to_readable_values() {
        assert_eq!(readable(183.0), 200.0);
        assert_eq!(readable(2140.0), 2000.0);
        assert_eq!(readable(2400.0), 2500.0);
        assert!((readable(0.37) - 0.25).abs() < 1e-15);
        assert_eq!(readable(7600.0), 10_000.0);
        assert_eq!(fmt_num(2000.0), "2,000");
    }

    #[test]
    fn conditions_read_as_crm_filters() {
        let c = Condition::In {
            feature: "industry".into(),
            levels: vec!["Fintech".into(), "SaaS".into()],
        };
        assert_eq!(c.text(&[]), "industry in {Fintech, SaaS}");
        let r = Condition::Range {
            feature: "employees".into(),
            min: Some(200.0),
            max: Some(2000.0),
        };
        assert_eq!(r.text(&[]), "200 ≤ employees ≤ 2,000");
        let h = Condition::Has {
            feature: "technologies".into(),
            value: "Salesforce".into(),
        };
        assert_eq!(h.text(&[]), "technologies contains Salesforce");
        // A boolean reads as yes/no; "contains" is for list features only.
        let yes = Condition::Has {
            feature: "csm_assigned".into(),
            value: "true".into(),
        };
        assert_eq!(yes.text(&[]), "csm_assigned = yes");
        let no = Condition::Has {
            feature: "csm_assigned".into(),
            value: "false".into(),
        };
        assert_eq!(no.text(&[]), "csm_assigned = no");
    }

    /// Summed by atom, each candidate's won and lost deals and accounts
    /// over some rows, and the best statistic of a feature's candidates,
    /// are those a pass over each candidate's mask gives: masks made of
    /// nested ranges (as a numeric feature's) and of random rows alike.
    #[test]
    fn atom_sums_are_the_sums_over_each_mask() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(3);
        let n = 600;
        let v: Vec<u32> = (0..n).map(|_| rng.gen_range(0..12)).collect();
        let mut masks: Vec<Vec<bool>> = Vec::new();
        let mut cands = Vec::new();
        for (a, b) in [(0, 3), (2, 7), (5, 11), (4, 4), (12, 20)] {
            masks.push(v.iter().map(|&x| (a..=b).contains(&x)).collect());
        }
        // Ten masks of random rows, as a list feature's values: their
        // combinations pass MAX_ATOMS, so they take more than one Atoms.
        for _ in 0..10 {
            masks.push((0..n).map(|_| rng.gen_bool(0.3)).collect());
        }
        for k in 0..masks.len() {
            let feature = if k < 5 { "ranges" } else { "random" };
            cands.push(Condition::Has {
                feature: feature.into(),
                value: k.to_string(),
            });
        }
        let won: Vec<f64> = (0..n).map(|_| f64::from(rng.gen_range(0..4u8))).collect();
        let lost: Vec<f64> = (0..n).map(|_| f64::from(rng.gen_range(0..4u8))).collect();
        let t = Table {
            cands: &cands,
            masks: &masks,
            won: &won,
            lost: &lost,
            expected: &won,
            min_support: 1.0,
            cats: Vec::new(),
            atoms: Vec::new(),
        };
        let atoms = atoms_of(&t);
        // Five nested ranges over twelve values split them into at most 11
        // atoms; each candidate is in exactly one Atoms.
        assert_eq!(atoms[0].cands, (0..5).collect::<Vec<_>>());
        assert!(atoms[0].n_atoms <= 11, "{}", atoms[0].n_atoms);
        assert!(atoms.len() > 2 && atoms.iter().all(|a| a.n_atoms <= MAX_ATOMS));
        let mut all: Vec<usize> = atoms.iter().flat_map(|a| a.cands.clone()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..masks.len()).collect::<Vec<_>>());
        let inside: Vec<usize> = (0..n).filter(|_| rng.gen_bool(0.7)).collect();
        let by_atom = t.atom_sums(&atoms.iter().collect::<Vec<_>>(), &inside);
        let stat = |w: f64, l: f64| (w > 0.0).then(|| w / (w + l) + 1e-3 * w);
        for (k, mask) in masks.iter().enumerate() {
            assert_eq!(by_atom[k], Some(sums(mask, &inside, &won, &lost)), "{k}");
        }
        for g in &atoms {
            let mut ins = vec![(0.0, 0.0); g.n_atoms];
            for &i in &inside {
                ins[g.atom[i] as usize].0 += won[i];
                ins[g.atom[i] as usize].1 += lost[i];
            }
            let direct = (g.cands.iter())
                .filter_map(|&k| {
                    let (w, l, _) = sums(&masks[k], &inside, &won, &lost);
                    stat(w, l)
                })
                .fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(g.best(&ins, &stat).to_bits(), direct.to_bits());
        }
    }

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
        let c = learn(&features, &won, &lost, None, &RuleOptions::default(), &[]);
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
            &["b".into()],
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
        let plain = learn(&features, &won, &lost, None, &opts, &[]);
        assert_eq!(plain.qualifying.len(), 1, "{plain:?}");
        assert_eq!(plain.qualifying[0].feature(), "large");
        let held = learn(&features, &won, &lost, Some(&won), &opts, &[]);
        assert!(held.qualifying.is_empty(), "{held:?}");
    }
}
