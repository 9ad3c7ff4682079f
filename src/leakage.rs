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
//! *each* deal wins. Among the accounts that have it, some are still unlucky:
//! they lose their first closed deal, are pitched again, and lose again. A
//! value written at the account's first win (or some time after it, or for
//! most winners only) is different: every account that has it has won, so
//! among its accounts the unlucky ones are missing. The check looks, per
//! side of each split of a feature (a binary's yes/no, a level against the
//! others, a list value present or absent, a numeric feature above or below
//! a decile of its values), at the side's **followed-up first losers** —
//! accounts whose first closed deal was lost and that closed another — and
//! the share of them that never won:
//!
//! * on a side a win wrote, that share is 0, whatever the sales process;
//! * on a genuine trait's side it is the chance of staying unlucky, above
//!   0 however often lost accounts are pitched again (until the trait wins
//!   almost every deal).
//!
//! A split is **likely post-outcome** when the exact one-sided
//! [`NEVER_WON_CONFIDENCE`] upper bound on its value side's never-won share
//! is at most [`MAX_NEVER_WON_SHARE`] (an effect size, judged the same at
//! any number of accounts: more accounts only tighten the bound), and the
//! other side's share is at least [`MIN_OTHER_NEVER_WON_SHARE`] (where
//! re-pitched accounts nearly always win in the end, whatever they are, the
//! split says nothing).
//!
//! Why not the earlier measure. It compared the accounts with a win on a
//! side with `E = Σ 1 − (1 − p)^{n_a}`, those expected at the side's per-deal
//! win rate from each account's closed deals `n_a`. That assumes the number
//! of deals does not depend on the outcomes. Where lost accounts are
//! pitched again until they win, an account's deal count is a function of
//! its losses, every side shows more winning accounts than expected, and
//! the excess's `z` grows with `√N`: at a few thousand accounts a genuine
//! `industry ≠ Government` passed any fixed `z`. The figure is still
//! reported (`z`), as a description only. Following the first losers uses
//! each account's first closed deal, which exists whatever happens next,
//! and asks only whether a later win came: re-pitching makes later wins
//! more likely on every side alike, and cannot make a genuine side's
//! unlucky accounts vanish. Open deals are no evidence: an account whose
//! only later deal is open is not followed up.
//!
//! Near-perfect separation alone (a level with 0 wins in many closed deals)
//! is what a genuine disqualifier also shows — Government at 0.6% wins of
//! thousands of closed deals is real — so it is reported (`separated`) but
//! decides nothing.
//!
//! # What is done with it
//!
//! A likely post-outcome feature is **excluded**: shut out of every use by
//! the feature gate (ICP criteria, disqualifiers, fit score, readiness,
//! drivers, segments), unless its role is declared in `[accounts.roles]`
//! (a declaration says the value was known before the deal). A value set
//! 90 days after the win, or for 90% of winners only, leaves its other side
//! with some winners — it does not separate — and is excluded all the same.
//! The report lists every likely post-outcome feature with its share (or
//! mean) among accounts with and without a win.
//!
//! # Remarks
//!
//! With one closed deal per account no account is followed up and nothing
//! is listed: a value set by the win cannot be told from a perfect
//! predictor. The account history (`--account-history`) answers the
//! question directly, and makes this check unnecessary.

use serde::Serialize;

use crate::domain::OutcomeLabel;
use crate::features::{FeatureColumn, FeatureData, Role, Transform};
use crate::io::contract::Deals;
use crate::recommend::counts;
use crate::text::pct;

/// Excess of accounts with a win (in standard errors) the report sets beside
/// each likely post-outcome feature's `z`, for reference: the decision no
/// longer rests on it (it grows with the number of accounts, and with any
/// sales process whose deal counts depend on outcomes).
pub const MIN_EXCESS_Z: f64 = 5.0;
/// Share of a side's followed-up first losers (accounts that lost their
/// first closed deal and closed another) that never won, at or below which
/// the side is likely post-outcome: a value written by a win leaves none,
/// whatever the sales process, while a genuine trait leaves the accounts
/// that stayed unlucky. Judged on the upper confidence bound
/// ([`NEVER_WON_CONFIDENCE`]), so a side with few such accounts is not
/// listed on chance.
pub const MAX_NEVER_WON_SHARE: f64 = 0.02;
/// One-sided confidence of the bound on the never-won share.
pub const NEVER_WON_CONFIDENCE: f64 = 0.99;
/// Share of the other side's followed-up first losers that never won, from
/// which the split is likely post-outcome: where re-pitched accounts almost
/// always win in the end, whatever they are, no side says anything.
pub const MIN_OTHER_NEVER_WON_SHARE: f64 = 0.2;
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
    /// The excess-of-winners z reported beside each feature (descriptive:
    /// it grows with the number of accounts, and with re-pitching).
    pub min_excess_z: f64,
    /// A side is likely post-outcome when the upper bound on its
    /// never-won share is at most this…
    pub max_never_won_share: f64,
    /// …at this one-sided confidence…
    pub never_won_confidence: f64,
    /// …and the other side's never-won share is at least this.
    pub min_other_never_won_share: f64,
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
    /// `(accounts_won − accounts_won_expected) / standard error`:
    /// descriptive (it grows with the number of accounts and with
    /// re-pitching; the decision rests on the never-won share).
    pub z: f64,
    /// Accounts with `value` that lost their first closed deal and closed
    /// another.
    pub first_lost_followed: u64,
    /// Of them, accounts that never won.
    pub first_lost_never_won: u64,
    /// `first_lost_never_won / first_lost_followed`.
    pub never_won_share: f64,
    /// Its upper one-sided confidence bound (Clopper–Pearson; exact for
    /// every listed feature, whose share is at most the threshold).
    pub never_won_upper: f64,
    /// The same share on the other side.
    pub other_never_won_share: f64,
    /// The other side, e.g. `csm_assigned = no`, and its closed and won deals.
    pub other_value: String,
    pub other_closed_deals: u64,
    pub other_won_deals: u64,
    /// Whether the other side all but separates won from lost.
    pub separated: bool,
    /// Shut out of every use (criteria, fit score, readiness, drivers),
    /// its role not being declared.
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

/// Won and lost closed deals of each account, and whether its first closed
/// deal was lost.
struct Accounts {
    won: Vec<f64>,
    lost: Vec<f64>,
    first_lost: Vec<bool>,
}

impl Accounts {
    fn of(deals: &Deals, n: usize) -> Accounts {
        let (won, lost) = counts(deals, &deals.account, n, &|_| true);
        Accounts {
            won,
            lost,
            first_lost: first_closed_lost(deals, n),
        }
    }
}

/// Per account, whether its first closed deal (by close date, then
/// creation, then file order) was lost.
fn first_closed_lost(deals: &Deals, n: usize) -> Vec<bool> {
    let mut first: Vec<Option<(i32, i32, bool)>> = vec![None; n];
    for i in 0..deals.len() {
        let lost = match deals.outcome[i] {
            OutcomeLabel::Won => false,
            OutcomeLabel::Lost => true,
            OutcomeLabel::Open => continue,
        };
        let key = (deals.closed[i], deals.created[i], lost);
        let slot = &mut first[deals.account[i] as usize];
        if slot.is_none_or(|(c, d, _)| (key.0, key.1) < (c, d)) {
            *slot = Some(key);
        }
    }
    first.into_iter().map(|f| f.is_some_and(|f| f.2)).collect()
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
    /// Accounts that lost their first closed deal and closed another.
    followed: u64,
    /// Of them, accounts that never won.
    never_won: u64,
}

impl Side {
    fn add_account(&mut self, acc: &Accounts, a: usize) {
        self.add(acc.won[a], acc.lost[a], acc.first_lost[a]);
    }

    fn add(&mut self, won: f64, lost: f64, first_lost: bool) {
        let n = (won + lost) as usize;
        if n == 0 {
            return;
        }
        if first_lost && n >= 2 {
            self.followed += 1;
            self.never_won += u64::from(won == 0.0);
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
        self.followed += o.followed;
        self.never_won += o.never_won;
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
            followed: self.followed - part.followed,
            never_won: self.never_won - part.never_won,
        }
    }

    /// Share of the followed-up first losers that never won (`None`
    /// without one).
    fn never_won_share(&self) -> Option<f64> {
        (self.followed > 0).then(|| self.never_won as f64 / self.followed as f64)
    }

    /// Upper one-sided [`NEVER_WON_CONFIDENCE`] bound (Clopper–Pearson) on
    /// the never-won share where it can decide, the share being at most
    /// [`MAX_NEVER_WON_SHARE`]; above that the share itself, which the
    /// bound exceeds (enough to judge and to rank, without a Beta quantile
    /// for every split); 1 without a followed-up first loser.
    fn never_won_upper(&self) -> f64 {
        match self.never_won_share() {
            None => 1.0,
            Some(r) if r > MAX_NEVER_WON_SHARE => r,
            Some(_) => clopper_pearson_upper(self.never_won, self.followed, NEVER_WON_CONFIDENCE),
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

/// The exact (Clopper–Pearson) one-sided upper confidence bound on a share
/// of `k` in `n`: the `confidence` quantile of Beta(k + 1, n − k); 1 when
/// `k = n`.
fn clopper_pearson_upper(k: u64, n: u64, confidence: f64) -> f64 {
    use statrs::distribution::{Beta, ContinuousCDF};
    if k >= n {
        return 1.0;
    }
    if k == 0 {
        // Closed form: (1 − p)^n = 1 − confidence.
        return 1.0 - (1.0 - confidence).powf(1.0 / n as f64);
    }
    Beta::new(k as f64 + 1.0, (n - k) as f64).map_or(1.0, |b| b.inverse_cdf(confidence))
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
        let add = |side: &mut Side, a: usize| side.add_account(acc, a);
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

/// The split of one feature that looks most post-outcome, oriented with
/// its value side first.
struct Found {
    value: String,
    other: String,
    inside: Side,
    outside: Side,
    expected: f64,
    z: f64,
    /// Upper bound on the `value` side's never-won share.
    upper: f64,
    /// Per account, on the `value` side.
    side: Box<dyn Fn(usize) -> Option<bool>>,
    flip: bool,
}

/// The most post-outcome-looking split of one feature ([`rank`]), and the
/// largest excess z over all its splits.
fn best_split(f: &FeatureColumn, acc: &Accounts, active: &[usize]) -> (Option<Found>, f64) {
    let n = acc.won.len();
    let cuts = match &f.data {
        FeatureData::Numeric(v) => decile_cuts(v, active),
        _ => Vec::new(),
    };
    let parts = Parts::count(f, acc, active, &cuts);
    let mut best: Option<((bool, f64, f64), Found)> = None;
    let mut max_z: f64 = 0.0;
    for (j, s) in splits(f, n, &cuts).into_iter().enumerate() {
        let (yes, no) = match &parts {
            Some(parts) => parts.sides(j),
            None => {
                let (mut yes, mut no) = (Side::default(), Side::default());
                for &a in active {
                    match (s.side)(a) {
                        Some(true) => yes.add_account(acc, a),
                        Some(false) => no.add_account(acc, a),
                        None => {}
                    }
                }
                (yes, no)
            }
        };
        let (ey, zy) = yes.excess();
        let (en, zn) = no.excess();
        max_z = max_z.max(zy).max(zn);
        let (yes_key, no_key) = (rank(&yes, &no, zy), rank(&no, &yes, zn));
        let better = |k: &(bool, f64, f64)| best.as_ref().is_none_or(|b| *k < b.0);
        if yes_key <= no_key && better(&yes_key) {
            best = Some((
                yes_key,
                Found {
                    value: s.value,
                    other: s.other,
                    upper: yes.never_won_upper(),
                    inside: yes,
                    outside: no,
                    expected: ey,
                    z: zy,
                    side: s.side,
                    flip: false,
                },
            ));
        } else if no_key < yes_key && better(&no_key) {
            best = Some((
                no_key,
                Found {
                    value: s.other,
                    other: s.value,
                    upper: no.never_won_upper(),
                    inside: no,
                    outside: yes,
                    expected: en,
                    z: zn,
                    side: s.side,
                    flip: true,
                },
            ));
        }
    }
    (best.map(|b| b.1), max_z)
}

/// How post-outcome the split with `inside` as its value side looks, the
/// smallest first: whether it is likely post-outcome at all, then the
/// bound on its never-won share, then (for splits alike in both) the
/// excess of accounts with a win.
fn rank(inside: &Side, outside: &Side, z: f64) -> (bool, f64, f64) {
    (!likely(inside, outside), inside.never_won_upper(), -z)
}

/// Whether a split whose value side is `inside` is likely post-outcome:
/// of the value side's followed-up first losers almost none never won
/// (bounded by [`MAX_NEVER_WON_SHARE`]), while on the other side at least
/// [`MIN_OTHER_NEVER_WON_SHARE`] of them did.
fn likely(inside: &Side, outside: &Side) -> bool {
    inside.never_won_upper() <= MAX_NEVER_WON_SHARE
        && outside
            .never_won_share()
            .is_some_and(|r| r >= MIN_OTHER_NEVER_WON_SHARE)
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
/// split), whichever split is judged: descriptive, see [`MIN_EXCESS_Z`].
pub fn excess_z(f: &FeatureColumn, n: usize, deals: &Deals) -> f64 {
    let acc = Accounts::of(deals, n);
    let active: Vec<usize> = (0..n).filter(|&a| acc.won[a] + acc.lost[a] > 0.0).collect();
    best_split(f, &acc, &active).1
}

/// Likely post-outcome features of `features` (values per account, one
/// snapshot as of the deals' as-of date), from every deal's outcome.
pub fn analyse(features: &[FeatureColumn], n: usize, deals: &Deals) -> PostOutcome {
    let acc = Accounts::of(deals, n);
    let active: Vec<usize> = (0..n).filter(|&a| acc.won[a] + acc.lost[a] > 0.0).collect();
    let with_win = acc.won.iter().filter(|&&w| w > 0.0).count() as u64;
    // Each feature's split is found on its own: two at a time.
    let mut found: Vec<PostOutcomeFeature> = crate::parallel::map_on_two_threads(features, |f| {
        let b = best_split(f, &acc, &active).0?;
        likely(&b.inside, &b.outside).then(|| describe(f, &b, &acc))
    })
    .into_iter()
    .flatten()
    .collect();
    found.sort_by(|a, b| {
        (a.never_won_upper.total_cmp(&b.never_won_upper))
            .then(b.z.total_cmp(&a.z))
            .then(a.feature.cmp(&b.feature))
    });
    PostOutcome {
        note: format!(
            "features are one snapshot of the accounts as of {}: a deal opened earlier is explained by the values its account has now",
            crate::dates::format_date(deals.as_of)
        ),
        method: "per split of each feature, the accounts that lost their first closed deal and closed another: on a side set by a win none of them never won, on a genuine trait's side the unlucky ones did, however often lost accounts are pitched again",
        min_excess_z: MIN_EXCESS_Z,
        max_never_won_share: MAX_NEVER_WON_SHARE,
        never_won_confidence: NEVER_WON_CONFIDENCE,
        min_other_never_won_share: MIN_OTHER_NEVER_WON_SHARE,
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
    let excluded = !declared;
    let values = match measure {
        "mean" => format!("{} vs {}", short(with_win), short(without_win)),
        _ => format!(
            "{} vs {} of accounts",
            pct(Some(with_win)),
            pct(Some(without_win))
        ),
    };
    let share = b.inside.never_won_share().unwrap_or(f64::NAN);
    let other_share = b.outside.never_won_share().unwrap_or(f64::NAN);
    let mut text = format!(
        "{}: {values} with and without a win — of {} accounts with {} that lost their first closed deal and closed another, {} never won ({}), against {} with {}",
        f.spec.name,
        b.inside.followed,
        b.value,
        b.inside.never_won,
        pct(Some(share)),
        pct(Some(other_share)),
        b.other,
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
        ". Likely a leak: left out of the ICP criteria and the fit score, and of every other use. Check it was known before the deal; if it was, declare its role in [accounts.roles], else give the account history (--account-history)"
    } else {
        ". Kept: its role is declared in [accounts.roles], which says it was known before the deal"
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
        first_lost_followed: b.inside.followed,
        first_lost_never_won: b.inside.never_won,
        never_won_share: share,
        never_won_upper: b.upper,
        other_never_won_share: other_share,
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
            s.add(w, l, false);
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
            first_lost: (0..n).map(|_| rng.gen_bool(0.5)).collect(),
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
                        Some(true) => yes.add_account(&acc, a),
                        Some(false) => no.add_account(&acc, a),
                        None => {}
                    }
                }
                assert_eq!(parts.sides(j), (yes, no), "{}", split.value);
            }
        }
    }

    /// Accounts (won, lost, first closed deal lost): only those that lost
    /// their first and closed another are followed; of the three here, one
    /// never won. Bounds: 1 − 0.01^{1/n} for none in n, and the Beta
    /// quantile otherwise (scipy `beta.ppf(0.99, 2, 2)`, the root of 3x² − 2x³ = 0.99: 0.941096...).
    #[test]
    fn the_never_won_share_follows_first_losers_worked_by_hand() {
        let mut s = Side::default();
        for (w, l, first_lost) in [
            (1.0, 1.0, true),
            (0.0, 2.0, true),
            (2.0, 1.0, true),
            (0.0, 1.0, true),
            (1.0, 2.0, false),
        ] {
            s.add(w, l, first_lost);
        }
        assert_eq!((s.followed, s.never_won), (3, 1));
        assert_eq!(s.never_won_share(), Some(1.0 / 3.0));
        let up = clopper_pearson_upper(1, 3, 0.99);
        assert!((up - 0.941_096_864_221_804_2).abs() < 1e-9, "{up}");
        let none = clopper_pearson_upper(0, 300, 0.99);
        assert!((none - (1.0 - 0.01f64.powf(1.0 / 300.0))).abs() < 1e-15);
        assert!(none < MAX_NEVER_WON_SHARE && none > 0.015, "{none}");
        assert_eq!(clopper_pearson_upper(4, 4, 0.99), 1.0);
        assert_eq!(Side::default().never_won_share(), None);
        // Where the share is above the threshold the bound is not needed:
        // the share itself stands for it.
        assert_eq!(s.never_won_upper(), 1.0 / 3.0);
        assert_eq!(Side::default().never_won_upper(), 1.0);
        let clean = Side {
            followed: 300,
            ..Side::default()
        };
        assert_eq!(clean.never_won_upper(), none);
    }

    #[test]
    fn a_side_that_always_or_never_wins_has_no_excess() {
        assert_eq!(side(&[(0.0, 3.0), (0.0, 1.0)]).excess(), (0.0, 0.0));
        assert_eq!(side(&[(2.0, 0.0), (1.0, 0.0)]).excess(), (2.0, 0.0));
    }
}
