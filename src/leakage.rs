//! Features that look post-outcome: without the accounts' feature history,
//! which values were most likely written *because* the account won.
//!
//! # The problem
//!
//! Every deal is explained by one snapshot of the accounts table, taken at
//! the as-of date. A value a CRM sets when an account becomes a customer
//! (a success manager assigned, a customer tier, contacts gained after the
//! sale) is then present at every winner and absent elsewhere: it looks like
//! the best predictor there is, and becomes an ICP criterion or a
//! disqualifier ("csm_assigned = no wins 0.0% of 32,314 closed deals").
//!
//! # What is measured, and why it is timing and not just association
//!
//! A genuine trait of the account, however strong, raises the chance that
//! *each* deal wins. Among the accounts that have it, some are still unlucky
//! and lose every deal they closed: an account with `n` closed deals and a
//! per-deal win rate `p` wins none of them with probability `(1 − p)^n`.
//! A value written at the account's first win is different: it is present
//! only where a win has already happened, so among the accounts that have it
//! the unlucky ones are missing. The test therefore compares, per side of
//! each split of a feature (a binary's yes/no, a level against the others,
//! a list value present or absent, a numeric feature above or below a
//! decile of its values):
//!
//! * `O`, the accounts on that side with a won deal, with
//! * `E = Σ_a 1 − (1 − p)^{n_a}`, the accounts expected to have one if its
//!   deals won independently at the side's own per-deal rate `p` (won over
//!   closed deals of the side), `n_a` being each account's closed deals,
//!
//! as `z = (O − E) / √Σ q_a(1 − q_a)` with `q_a = 1 − (1 − p)^{n_a}`.
//! Accounts that differ in how often they win (other features, luck of the
//! draw in intent) only *add* accounts that lose every deal
//! (`E[(1 − p)^n] ≥ (1 − E p)^n`, Jensen's inequality), so for a feature
//! that is a cause, not a consequence, `O − E` is at most noise around a
//! value at or below zero, at any size; for a value set by the first win it
//! grows with the number of accounts. A split is *likely post-outcome* when
//! `z ≥` [`MIN_EXCESS_Z`].
//!
//! Two simpler ideas were tried on the generated sets and rejected:
//! comparing the feature between deals opened before and after the
//! account's first win cannot work on a snapshot (the value is one per
//! account, the same for both), and the feature's association with winning
//! among each account's first deal stays perfect for a value set at the
//! first win (its "no" accounts never won, first deal or not), exactly as
//! for a strong genuine trait. Near-perfect separation alone (a level with
//! 0 wins in many closed deals) is what a genuine disqualifier also shows:
//! Government at 0.6% wins of thousands of closed deals is real.
//!
//! # What is done with it
//!
//! A feature is a **likely leak** when a split is likely post-outcome *and*
//! its other side all but separates won from lost: at least
//! [`MIN_SEPARATED_DEALS`] closed deals winning at most
//! [`MAX_SEPARATED_WIN_RATE`]. A likely leak is kept out of the ICP
//! criteria, the disqualifiers and the fit score, unless its role is
//! declared in `[accounts.roles]` (a declaration says the value was known
//! before the deal). The report lists every likely post-outcome feature with
//! its share (or mean) among accounts with and without a win.
//!
//! # Remarks
//!
//! With one closed deal per account a value set by the win cannot be told
//! from a perfect predictor (`O = E` for both); the test has power from the
//! accounts with several closed deals. The account history
//! (`--account-history`) answers the question directly, and makes this
//! check unnecessary.

use serde::Serialize;

use crate::features::{FeatureColumn, FeatureData, Role, Transform};
use crate::io::contract::Deals;
use crate::recommend::counts;
use crate::text::pct;

/// Excess of accounts with a win (in standard errors) above which a split
/// is likely post-outcome. One-sided p < 3e-7 under independent deals: over
/// the few hundred splits of a wide accounts table a chance flag stays below
/// one in ten thousand runs, and accounts that differ in how often they win
/// only lower `z`.
pub const MIN_EXCESS_Z: f64 = 5.0;
/// Win rate at or below which the other side of a split all but separates
/// won from lost.
pub const MAX_SEPARATED_WIN_RATE: f64 = 0.02;
/// Closed deals the separating side needs.
pub const MIN_SEPARATED_DEALS: u64 = 30;

/// The check's result, for `data_quality.post_outcome`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostOutcome {
    /// What the snapshot means for every figure.
    pub note: String,
    pub method: &'static str,
    pub min_excess_z: f64,
    /// Accounts with a won deal (closed on or before the as-of date).
    pub accounts_with_win: u64,
    pub accounts_without_win: u64,
    /// Likely post-outcome features, the strongest first.
    pub features: Vec<PostOutcomeFeature>,
}

/// One likely post-outcome feature and its figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostOutcomeFeature {
    pub feature: String,
    pub role: Role,
    pub role_declared: bool,
    /// `share`: `with_win` and `without_win` are shares (0–1) of accounts
    /// with `value`; `mean`: they are the feature's mean (numeric features).
    pub measure: &'static str,
    /// Among accounts with a won deal.
    pub with_win: f64,
    /// Among accounts without one.
    pub without_win: f64,
    /// The side with more accounts winning than its deals explain, e.g.
    /// `csm_assigned = yes`.
    pub value: String,
    /// Accounts with `value` and a closed deal.
    pub accounts: u64,
    /// Of them, accounts with a won deal.
    pub accounts_won: u64,
    /// Accounts expected to have a won deal at the side's per-deal win rate.
    pub accounts_won_expected: f64,
    /// Won over closed deals of the accounts with `value`.
    pub win_rate: f64,
    /// `(accounts_won − accounts_won_expected) / standard error`.
    pub z: f64,
    /// The other side, e.g. `csm_assigned = no`, and its closed and won deals.
    pub other_value: String,
    pub other_closed_deals: u64,
    pub other_won_deals: u64,
    /// Whether the other side all but separates won from lost.
    pub separated: bool,
    /// Kept out of the ICP criteria, disqualifiers and fit score (separated,
    /// and its role not declared).
    pub excluded: bool,
    pub text: String,
}

impl PostOutcome {
    /// Names of the features kept out of criteria and the fit score.
    pub fn excluded(&self) -> Vec<String> {
        (self.features.iter())
            .filter(|f| f.excluded)
            .map(|f| f.feature.clone())
            .collect()
    }
}

/// Won and lost closed deals of each account.
struct Accounts {
    won: Vec<f64>,
    lost: Vec<f64>,
}

/// Closed deals and wins of one side of a split, with the histogram of its
/// accounts' closed deals (index = closed deals).
#[derive(Debug, Default, Clone, PartialEq)]
struct Side {
    accounts: u64,
    accounts_won: u64,
    closed: f64,
    won: f64,
    by_closed: Vec<u64>,
}

impl Side {
    fn add(&mut self, won: f64, lost: f64) {
        let n = (won + lost) as usize;
        if n == 0 {
            return;
        }
        self.accounts += 1;
        self.accounts_won += u64::from(won > 0.0);
        self.closed += won + lost;
        self.won += won;
        if self.by_closed.len() <= n {
            self.by_closed.resize(n + 1, 0);
        }
        self.by_closed[n] += 1;
    }

    /// The side of both sets of accounts. Counts are whole numbers, so a
    /// side added up from parts equals the side counted account by account.
    fn merge(&mut self, o: &Side) {
        self.accounts += o.accounts;
        self.accounts_won += o.accounts_won;
        self.closed += o.closed;
        self.won += o.won;
        if self.by_closed.len() < o.by_closed.len() {
            self.by_closed.resize(o.by_closed.len(), 0);
        }
        for (a, b) in self.by_closed.iter_mut().zip(&o.by_closed) {
            *a += b;
        }
    }

    /// The side of this set's accounts that are not in `part`, a subset.
    fn minus(&self, part: &Side) -> Side {
        let mut by_closed = self.by_closed.clone();
        for (a, b) in by_closed.iter_mut().zip(&part.by_closed) {
            *a -= b;
        }
        while by_closed.last() == Some(&0) {
            by_closed.pop();
        }
        Side {
            accounts: self.accounts - part.accounts,
            accounts_won: self.accounts_won - part.accounts_won,
            closed: self.closed - part.closed,
            won: self.won - part.won,
            by_closed,
        }
    }

    fn rate(&self) -> f64 {
        if self.closed > 0.0 {
            self.won / self.closed
        } else {
            0.0
        }
    }

    /// Expected accounts with a win and the excess's z.
    fn excess(&self) -> (f64, f64) {
        let p = self.rate();
        let (mut e, mut v) = (0.0, 0.0);
        for (n, &count) in self.by_closed.iter().enumerate() {
            let q = 1.0 - (1.0 - p).powi(n as i32);
            e += count as f64 * q;
            v += count as f64 * q * (1.0 - q);
        }
        let z = if v > 0.0 {
            (self.accounts_won as f64 - e) / v.sqrt()
        } else {
            0.0
        };
        (e, z)
    }
}

/// One split of a feature: per account, on the `value` side (`Some(true)`),
/// the other (`Some(false)`) or null (`None`).
struct Split {
    value: String,
    other: String,
    side: Box<dyn Fn(usize) -> Option<bool>>,
}

/// The accounts a feature's splits are made of, counted in one pass:
/// each split's two sides are sums of these parts.
enum Parts {
    /// Per level (or list value), its accounts; `all` holds every account
    /// that is not null, so the other side is `all` less the level's.
    Members { each: Vec<Side>, all: Side },
    /// Per bin between consecutive cuts (bin `j` below cut `j`, the last
    /// bin at or above the last cut); split `j` is bins `j + 1..` against
    /// bins `..= j`.
    Bins(Vec<Side>),
}

impl Parts {
    fn count(f: &FeatureColumn, acc: &Accounts, active: &[usize], cuts: &[f64]) -> Option<Parts> {
        let add = |side: &mut Side, a: usize| side.add(acc.won[a], acc.lost[a]);
        match (&f.data, &f.spec.transform) {
            (FeatureData::Categorical(codes), Transform::Categorical { levels, .. }) => {
                let mut each: Vec<Side> = levels.iter().map(|_| Side::default()).collect();
                let mut all = Side::default();
                for &a in active {
                    if let Some(side) = each.get_mut(codes[a] as usize) {
                        add(side, a);
                    }
                    add(&mut all, a);
                }
                Some(Parts::Members { each, all })
            }
            (FeatureData::List { .. }, Transform::List { values, .. }) => {
                let mut each: Vec<Side> = values.iter().map(|_| Side::default()).collect();
                let mut all = Side::default();
                for &a in active {
                    let held = f.list_values(a);
                    for (j, &k) in held.iter().enumerate() {
                        // A value listed twice is held once.
                        if !held[..j].contains(&k) {
                            if let Some(side) = each.get_mut(k as usize) {
                                add(side, a);
                            }
                        }
                    }
                    add(&mut all, a);
                }
                Some(Parts::Members { each, all })
            }
            (FeatureData::Numeric(v), _) => {
                let mut bins: Vec<Side> = (0..=cuts.len()).map(|_| Side::default()).collect();
                for &a in active {
                    if !v[a].is_nan() {
                        add(&mut bins[cuts.partition_point(|&c| c <= v[a])], a);
                    }
                }
                Some(Parts::Bins(bins))
            }
            _ => None,
        }
    }

    /// The (value, other) sides of split `j`.
    fn sides(&self, j: usize) -> (Side, Side) {
        match self {
            Parts::Members { each, all } => (each[j].clone(), all.minus(&each[j])),
            Parts::Bins(bins) => {
                let (mut yes, mut no) = (Side::default(), Side::default());
                bins[j + 1..].iter().for_each(|b| yes.merge(b));
                bins[..=j].iter().for_each(|b| no.merge(b));
                (yes, no)
            }
        }
    }
}

/// The deciles of a numeric feature among the active accounts, once each:
/// where its splits cut.
fn decile_cuts(v: &[f64], active: &[usize]) -> Vec<f64> {
    let mut present: Vec<f64> = (active.iter().map(|&a| v[a]))
        .filter(|x| !x.is_nan())
        .collect();
    present.sort_by(f64::total_cmp);
    let mut cuts: Vec<f64> = (1..10)
        .filter_map(|q| present.get(q * present.len() / 10).copied())
        .collect();
    cuts.dedup();
    cuts
}

/// The splits of one feature (numeric ones at `cuts`); [`best_split`] takes
/// both orientations of each.
fn splits(f: &FeatureColumn, n: usize, cuts: &[f64]) -> Vec<Split> {
    let name = f.spec.name.clone();
    match (&f.data, &f.spec.transform) {
        (FeatureData::Binary(v), _) => {
            let v = v.clone();
            vec![Split {
                value: format!("{name} = yes"),
                other: format!("{name} = no"),
                side: Box::new(move |i| (!v[i].is_nan()).then(|| v[i] == 1.0)),
            }]
        }
        (FeatureData::Categorical(codes), Transform::Categorical { levels, .. }) => {
            let codes = std::rc::Rc::new(codes.clone());
            (levels.iter())
                .enumerate()
                .map(|(l, level)| {
                    let codes = codes.clone();
                    Split {
                        value: format!("{name} = {level}"),
                        other: format!("{name} ≠ {level}"),
                        side: Box::new(move |i| Some(codes[i] == l as u32)),
                    }
                })
                .collect()
        }
        (FeatureData::List { .. }, Transform::List { values, .. }) => {
            let sets: Vec<Vec<u32>> = (0..n).map(|i| f.list_values(i).to_vec()).collect();
            let sets = std::rc::Rc::new(sets);
            (values.iter())
                .enumerate()
                .map(|(k, value)| {
                    let sets = sets.clone();
                    Split {
                        value: format!("{name} contains {value}"),
                        other: format!("{name} lacks {value}"),
                        side: Box::new(move |i| Some(sets[i].contains(&(k as u32)))),
                    }
                })
                .collect()
        }
        (FeatureData::Numeric(v), _) => {
            let v = std::rc::Rc::new(v.clone());
            (cuts.iter().copied())
                .map(|c| {
                    let v = v.clone();
                    Split {
                        value: format!("{name} ≥ {}", short(c)),
                        other: format!("{name} < {}", short(c)),
                        side: Box::new(move |i| (!v[i].is_nan()).then(|| v[i] >= c)),
                    }
                })
                .collect()
        }
        _ => vec![],
    }
}

/// A cut point as it reads in a sentence: at most two decimals.
fn short(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The best-supported post-outcome split of one feature: both orientations
/// of every split, the largest z.
struct Found {
    value: String,
    other: String,
    inside: Side,
    outside: Side,
    expected: f64,
    z: f64,
    /// Per account, on the `value` side.
    side: Box<dyn Fn(usize) -> Option<bool>>,
    flip: bool,
}

fn best_split(f: &FeatureColumn, acc: &Accounts, active: &[usize]) -> Option<Found> {
    let n = acc.won.len();
    let cuts = match &f.data {
        FeatureData::Numeric(v) => decile_cuts(v, active),
        _ => Vec::new(),
    };
    let parts = Parts::count(f, acc, active, &cuts);
    let mut best: Option<Found> = None;
    for (j, s) in splits(f, n, &cuts).into_iter().enumerate() {
        let (yes, no) = match &parts {
            Some(parts) => parts.sides(j),
            None => {
                let (mut yes, mut no) = (Side::default(), Side::default());
                for &a in active {
                    match (s.side)(a) {
                        Some(true) => yes.add(acc.won[a], acc.lost[a]),
                        Some(false) => no.add(acc.won[a], acc.lost[a]),
                        None => {}
                    }
                }
                (yes, no)
            }
        };
        let (ey, zy) = yes.excess();
        let (en, zn) = no.excess();
        let better = |z: f64| best.as_ref().is_none_or(|b| z > b.z);
        if zy >= zn && better(zy) {
            best = Some(Found {
                value: s.value,
                other: s.other,
                inside: yes,
                outside: no,
                expected: ey,
                z: zy,
                side: s.side,
                flip: false,
            });
        } else if zn > zy && better(zn) {
            best = Some(Found {
                value: s.other,
                other: s.value,
                inside: no,
                outside: yes,
                expected: en,
                z: zn,
                side: s.side,
                flip: true,
            });
        }
    }
    best
}

/// The feature's share (or mean) among accounts with and without a win.
fn two_values(f: &FeatureColumn, found: &Found, acc: &Accounts) -> (&'static str, f64, f64) {
    let n = acc.won.len();
    let mut sums = [(0.0, 0.0); 2];
    for i in 0..n {
        let x = match &f.data {
            FeatureData::Numeric(v) if !v[i].is_nan() => v[i],
            FeatureData::Numeric(_) => continue,
            _ => match (found.side)(i) {
                Some(s) => f64::from(u8::from(s != found.flip)),
                None => continue,
            },
        };
        let s = &mut sums[usize::from(acc.won[i] > 0.0)];
        s.0 += x;
        s.1 += 1.0;
    }
    let mean = |(s, c): (f64, f64)| if c > 0.0 { s / c } else { f64::NAN };
    let measure = if matches!(f.data, FeatureData::Numeric(_)) {
        "mean"
    } else {
        "share"
    };
    (measure, mean(sums[1]), mean(sums[0]))
}

/// The largest excess z over the splits of one feature (0 without a
/// split); a feature is likely post-outcome from [`MIN_EXCESS_Z`].
pub fn excess_z(f: &FeatureColumn, n: usize, deals: &Deals) -> f64 {
    let (won, lost) = counts(deals, &deals.account, n, &|_| true);
    let acc = Accounts { won, lost };
    let active: Vec<usize> = (0..n).filter(|&a| acc.won[a] + acc.lost[a] > 0.0).collect();
    best_split(f, &acc, &active).map_or(0.0, |b| b.z)
}

/// Likely post-outcome features of `features` (values per account, one
/// snapshot as of the deals' as-of date), from every deal's outcome.
pub fn analyse(features: &[FeatureColumn], n: usize, deals: &Deals) -> PostOutcome {
    let (won, lost) = counts(deals, &deals.account, n, &|_| true);
    let acc = Accounts { won, lost };
    let active: Vec<usize> = (0..n).filter(|&a| acc.won[a] + acc.lost[a] > 0.0).collect();
    let with_win = acc.won.iter().filter(|&&w| w > 0.0).count() as u64;
    // Each feature's split is found on its own: two at a time.
    let mut found: Vec<PostOutcomeFeature> = crate::parallel::map_on_two_threads(features, |f| {
        let b = best_split(f, &acc, &active)?;
        (b.z >= MIN_EXCESS_Z).then(|| describe(f, &b, &acc))
    })
    .into_iter()
    .flatten()
    .collect();
    found.sort_by(|a, b| b.z.total_cmp(&a.z).then(a.feature.cmp(&b.feature)));
    PostOutcome {
        note: format!(
            "features are one snapshot of the accounts as of {}: a deal opened earlier is explained by the values its account has now",
            crate::dates::format_date(deals.as_of)
        ),
        method: "per split of each feature, accounts with a won deal against those expected at the split's per-deal win rate; a value set by a win leaves no account that lost every deal",
        min_excess_z: MIN_EXCESS_Z,
        accounts_with_win: with_win,
        accounts_without_win: n as u64 - with_win,
        features: found,
    }
}

fn describe(f: &FeatureColumn, b: &Found, acc: &Accounts) -> PostOutcomeFeature {
    let (measure, with_win, without_win) = two_values(f, b, acc);
    let other_rate = b.outside.rate();
    let separated =
        b.outside.closed >= MIN_SEPARATED_DEALS as f64 && other_rate <= MAX_SEPARATED_WIN_RATE;
    let declared = f.spec.role_declared;
    let excluded = separated && !declared;
    let values = match measure {
        "mean" => format!("{} vs {}", short(with_win), short(without_win)),
        _ => format!(
            "{} vs {} of accounts",
            pct(Some(with_win)),
            pct(Some(without_win))
        ),
    };
    let mut text = format!(
        "{}: {values} with and without a win — {} of {} accounts with {} won a deal where their deals' win rate ({}) predicts {:.0}",
        f.spec.name,
        b.inside.accounts_won,
        b.inside.accounts,
        b.value,
        pct(Some(b.inside.rate())),
        b.expected
    );
    if separated {
        text.push_str(&format!(
            "; {} wins {} of {} closed deals",
            b.other,
            pct(Some(other_rate)),
            b.outside.closed as u64
        ));
    }
    text.push_str(if excluded {
        ". Likely a leak: left out of the ICP criteria and the fit score. Check it was known before the deal; if it was, declare its role in [accounts.roles], else give the account history (--account-history)"
    } else if declared {
        ". Kept: its role is declared in [accounts.roles], which says it was known before the deal"
    } else {
        ". Check it was known before the deal"
    });
    PostOutcomeFeature {
        feature: f.spec.name.clone(),
        role: f.spec.role,
        role_declared: declared,
        measure,
        with_win,
        without_win,
        value: b.value.clone(),
        accounts: b.inside.accounts,
        accounts_won: b.inside.accounts_won,
        accounts_won_expected: b.expected,
        win_rate: b.inside.rate(),
        z: b.z,
        other_value: b.other.clone(),
        other_closed_deals: b.outside.closed as u64,
        other_won_deals: b.outside.won as u64,
        separated,
        excluded,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(accounts: &[(f64, f64)]) -> Side {
        let mut s = Side::default();
        for &(w, l) in accounts {
            s.add(w, l);
        }
        s
    }

    #[test]
    fn excess_worked_by_hand() {
        // Accounts (won, lost): (1, 0), (1, 1), (0, 2), and one without a
        // closed deal. p = 2/5; E = 0.4 + 2 · (1 − 0.6²) = 1.68;
        // Var = 0.4 · 0.6 + 2 · 0.64 · 0.36 = 0.7008; O = 2;
        // z = 0.32 / √0.7008 = 0.382254786...
        let s = side(&[(1.0, 0.0), (1.0, 1.0), (0.0, 2.0), (0.0, 0.0)]);
        assert_eq!((s.accounts, s.accounts_won), (3, 2));
        let (e, z) = s.excess();
        assert!((e - 1.68).abs() < 1e-12, "{e}");
        assert!((z - 0.382_254_786_053_997_3).abs() < 1e-12, "{z}");
    }

    #[test]
    fn every_account_winning_one_of_two_deals_is_one_standard_error_too_many() {
        // p = 1/2: each account wins neither deal with probability 1/4, so
        // E = 3 · 0.75 = 2.25 and Var = 3 · 0.75 · 0.25; O = 3 gives z = 1.
        let (e, z) = side(&[(1.0, 1.0); 3]).excess();
        assert!(
            (e - 2.25).abs() < 1e-12 && (z - 1.0).abs() < 1e-12,
            "{e} {z}"
        );
    }

    /// Each split's sides summed from one pass's parts equal the sides
    /// counted account by account through the split itself: a numeric
    /// feature with ties and nulls, a categorical with unseen codes, a list
    /// with a value listed twice.
    #[test]
    fn sides_from_parts_equal_sides_counted_per_split() {
        use crate::features::testing::{categorical_column, list_column, numeric_column};
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(7);
        let n = 3000;
        let numeric = numeric_column(&mut rng, n);
        let categorical = categorical_column(&mut rng, n);
        // Every fifth account lists its first value twice.
        let mut list = list_column(&mut rng, n);
        let (mut offsets, mut values) = (vec![0u32], Vec::new());
        for a in 0..n {
            let held = list.list_values(a);
            values.extend_from_slice(held);
            if a % 5 == 0 {
                values.extend(held.first());
            }
            offsets.push(values.len() as u32);
        }
        list.data = FeatureData::List { offsets, values };
        let acc = Accounts {
            won: (0..n).map(|_| f64::from(rng.gen_range(0..3u8))).collect(),
            lost: (0..n).map(|_| f64::from(rng.gen_range(0..4u8))).collect(),
        };
        let active: Vec<usize> = (0..n).filter(|&a| acc.won[a] + acc.lost[a] > 0.0).collect();
        for f in [&numeric, &categorical, &list] {
            let cuts = match &f.data {
                FeatureData::Numeric(v) => decile_cuts(v, &active),
                _ => Vec::new(),
            };
            let parts = Parts::count(f, &acc, &active, &cuts).unwrap();
            let splits = splits(f, n, &cuts);
            assert!(splits.len() >= 3, "{}", f.spec.name);
            for (j, split) in splits.iter().enumerate() {
                let (mut yes, mut no) = (Side::default(), Side::default());
                for &a in &active {
                    match (split.side)(a) {
                        Some(true) => yes.add(acc.won[a], acc.lost[a]),
                        Some(false) => no.add(acc.won[a], acc.lost[a]),
                        None => {}
                    }
                }
                assert_eq!(parts.sides(j), (yes, no), "{}", split.value);
            }
        }
    }

    #[test]
    fn a_side_that_always_or_never_wins_has_no_excess() {
        assert_eq!(side(&[(0.0, 3.0), (0.0, 1.0)]).excess(), (0.0, 0.0));
        assert_eq!(side(&[(2.0, 0.0), (1.0, 0.0)]).excess(), (2.0, 0.0));
    }
}
