//! Which account attributes go with winning, and with winning fast.
//!
//! Closed deals carry their account's features. For a numeric feature the
//! association with winning is the point-biserial correlation, and with
//! speed Spearman's rho against days to win over won deals. For a
//! categorical feature it is the chi-square test of independence with
//! Cramér's V, and Kruskal–Wallis across levels for speed. Every level
//! (categorical level, list value, binary `true`) also gets its own 2×2 test
//! against the rest, its win rate with a Wilson interval, and its lift. The
//! same win association is repeated at the account level (an account
//! converts if it has at least one won deal), so a few accounts with many
//! deals cannot dominate.
//!
//! Benjamini–Hochberg q-values are taken over every test in the run. A
//! finding is *significant* when q is below `q_max` (levels also need
//! `min_support` closed deals) and *material* when it is also large enough to
//! matter: lift ≥ 1.2 or ≤ 0.8 for a level, |r| ≥ 0.05 for a correlation
//! (Cramér's V for a whole categorical, epsilon² ≥ 0.05² for Kruskal–Wallis,
//! and a median days-to-win ratio ≤ 0.8 or ≥ 1.25 for a level's speed).

use serde::Serialize;

use crate::domain::OutcomeLabel;
use crate::features::{FeatureColumn, FeatureData, FeatureKind, Gate, Use};
use crate::io::contract::Deals;
use crate::stats::association::{
    benjamini_hochberg, chi2_contingency, kruskal_counts, pearson_counts, rank_counts,
};
use crate::stats::conversion::{wilson_interval, Interval};
use crate::stats::descriptive::median_counts;

/// Thresholds for calling a finding significant and material.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thresholds {
    pub q_max: f64,
    pub min_support: u64,
    pub lift_high: f64,
    pub lift_low: f64,
    pub min_abs_r: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            q_max: 0.05,
            min_support: 30,
            lift_high: 1.2,
            lift_low: 0.8,
            min_abs_r: 0.05,
        }
    }
}

/// The statistical test behind a finding; `report.json` and
/// `correlations.parquet` carry its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestName {
    PointBiserial,
    Spearman,
    ChiSquare,
    KruskalWallis,
}

impl TestName {
    /// The name as written in the outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            TestName::PointBiserial => "point_biserial",
            TestName::Spearman => "spearman",
            TestName::ChiSquare => "chi_square",
            TestName::KruskalWallis => "kruskal_wallis",
        }
    }
}

impl std::fmt::Display for TestName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The effect size a finding reports; written by its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectMeasure {
    /// Pearson's r (point-biserial for a binary outcome).
    R,
    /// Spearman's rho.
    Rho,
    CramersV,
    /// Kruskal–Wallis H over n − 1.
    EpsilonSquared,
}

impl EffectMeasure {
    /// The name as written in the outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            EffectMeasure::R => "r",
            EffectMeasure::Rho => "rho",
            EffectMeasure::CramersV => "cramers_v",
            EffectMeasure::EpsilonSquared => "epsilon_squared",
        }
    }
}

impl std::fmt::Display for EffectMeasure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One statistical test and what it means.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// `point_biserial`, `spearman`, `chi_square`, `kruskal_wallis`.
    pub test: TestName,
    /// `deals` (closed deals) or `accounts` (accounts with a closed deal).
    pub view: &'static str,
    pub statistic: f64,
    /// `r`, `rho`, `cramers_v` or `epsilon_squared`.
    pub effect_measure: EffectMeasure,
    pub effect: f64,
    pub n: u64,
    pub p_value: f64,
    /// Benjamini–Hochberg q-value over every test in the run.
    pub q_value: f64,
    pub significant: bool,
    pub material: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureAssociation {
    pub feature: String,
    pub kind: FeatureKind,
    pub win: Option<Finding>,
    pub win_accounts: Option<Finding>,
    pub speed: Option<Finding>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelAssociation {
    pub feature: String,
    pub level: String,
    /// e.g. `industry = Fintech`, `technologies has Salesforce`.
    pub label: String,
    pub closed_deals: u64,
    pub won: u64,
    pub win_rate: Option<f64>,
    pub win_rate_interval: Option<Interval>,
    /// Win rate over the overall win rate.
    pub lift: Option<f64>,
    /// 2×2 chi-square of this level against the rest, closed deals.
    pub win: Option<Finding>,
    pub accounts_with_closed_deals: u64,
    /// Share of those accounts with at least one won deal.
    pub account_conversion_rate: Option<f64>,
    pub account_lift: Option<f64>,
    pub win_accounts: Option<Finding>,
    /// Median days to win of won deals with this level, and of the rest.
    pub median_days_to_win: Option<f64>,
    pub median_days_to_win_rest: Option<f64>,
    /// Kruskal–Wallis of days to win, this level against the rest.
    pub speed: Option<Finding>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drivers {
    pub winning_positive: Vec<String>,
    pub winning_negative: Vec<String>,
    pub faster: Vec<String>,
    pub slower: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Correlations {
    pub thresholds: Thresholds,
    pub overall_win_rate: f64,
    pub overall_account_conversion_rate: f64,
    /// Tests entering the Benjamini–Hochberg correction.
    pub tests: usize,
    pub features: Vec<FeatureAssociation>,
    pub levels: Vec<LevelAssociation>,
    /// Material findings in words, strongest first (deal view).
    pub drivers: Drivers,
}

fn finding(
    test: TestName,
    view: &'static str,
    statistic: f64,
    effect_measure: EffectMeasure,
    effect: f64,
    n: u64,
    p: f64,
) -> Finding {
    Finding {
        test,
        view,
        statistic,
        effect_measure,
        effect,
        n,
        p_value: p,
        q_value: f64::NAN,
        significant: false,
        material: false,
    }
}

/// Closed and won counts per level and for every row whose value is known,
/// with histograms of days to win (won deals) when `days_len` > 0.
struct LevelCounts {
    closed: Vec<u64>,
    won: Vec<u64>,
    known_closed: u64,
    known_won: u64,
    /// Level-major: level `l`'s histogram is `days[l * days_len..][..days_len]`.
    days: Vec<u64>,
    known_days: Vec<u64>,
    days_len: usize,
}

impl LevelCounts {
    fn new(levels: usize, days_len: usize) -> LevelCounts {
        LevelCounts {
            closed: vec![0; levels],
            won: vec![0; levels],
            known_closed: 0,
            known_won: 0,
            days: vec![0; levels * days_len],
            known_days: vec![0; days_len],
            days_len,
        }
    }

    /// One closed row with these levels (indices past the last level, such
    /// as an unseen category, count only in the known total).
    fn add(&mut self, levels: &[u32], won: bool, days: Option<usize>) {
        self.known_closed += 1;
        self.known_won += u64::from(won);
        let days = days.filter(|_| won && self.days_len > 0);
        if let Some(d) = days {
            self.known_days[d] += 1;
        }
        for &l in levels {
            let l = l as usize;
            if l >= self.closed.len() {
                continue;
            }
            self.closed[l] += 1;
            self.won[l] += u64::from(won);
            if let Some(d) = days {
                self.days[l * self.days_len + d] += 1;
            }
        }
    }

    fn days_to_win(&self, l: usize) -> &[u64] {
        &self.days[l * self.days_len..(l + 1) * self.days_len]
    }
}

fn two_by_two(
    a_won: u64,
    a_closed: u64,
    b_won: u64,
    b_closed: u64,
    view: &'static str,
) -> Option<Finding> {
    let t = vec![vec![a_won, a_closed - a_won], vec![b_won, b_closed - b_won]];
    let c = chi2_contingency(&t)?;
    Some(finding(
        TestName::ChiSquare,
        view,
        c.statistic,
        EffectMeasure::CramersV,
        c.cramers_v,
        a_closed + b_closed,
        c.p_value,
    ))
}

/// Run the whole analysis on the `features` (the accounts', in original
/// units) the gate lets count as drivers; `deals` the validated deals.
pub fn analyse(
    features: &[FeatureColumn],
    gate: &Gate,
    n_accounts: usize,
    deals: &Deals,
    th: &Thresholds,
) -> Option<Correlations> {
    let c = Closed::new(deals, n_accounts)?;
    let mut feats = Vec::new();
    let mut levels = Vec::new();
    for f in gate.features(features, Use::Driver) {
        let mut fa = FeatureAssociation {
            feature: f.spec.name.clone(),
            kind: f.spec.kind(),
            win: None,
            win_accounts: None,
            speed: None,
        };
        match &f.data {
            FeatureData::Numeric(v) => {
                numeric_win_tests(&mut fa, v, &c);
                fa.speed = numeric_speed_test(v, &c);
            }
            _ => level_tests(&mut fa, f, &c, &mut levels),
        }
        feats.push(fa);
    }
    let tests = assign_q_values(&mut feats, &mut levels, th);
    for fa in &mut feats {
        if fa.kind == FeatureKind::Binary {
            if let Some(l) = levels.iter().find(|l| l.feature == fa.feature) {
                copy_level_findings(fa, l);
            }
        }
    }
    let drivers = drivers(&feats, &levels, c.overall);
    Some(Correlations {
        thresholds: th.clone(),
        overall_win_rate: c.overall,
        overall_account_conversion_rate: c.acc_overall,
        tests,
        features: feats,
        levels,
        drivers,
    })
}

/// Closed deals and the per-account tallies every test reads.
struct Closed {
    /// Account, won, whole days from creation to close.
    deals: Vec<(usize, bool, u32)>,
    /// One past the longest days to close (histogram length).
    days_len: usize,
    /// Won over closed deals.
    overall: f64,
    n_accounts: usize,
    /// Accounts with a closed deal, ascending.
    accounts: Vec<usize>,
    /// Per account: has a won deal.
    acc_won: Vec<bool>,
    won_n: Vec<u64>,
    lost_n: Vec<u64>,
    /// Share of `accounts` with a won deal.
    acc_overall: f64,
}

impl Closed {
    /// `None` when no deal is closed.
    fn new(deals: &Deals, n_accounts: usize) -> Option<Closed> {
        let closed: Vec<(usize, bool, u32)> = (0..deals.len())
            .filter(|&i| deals.outcome[i] != OutcomeLabel::Open)
            .map(|i| {
                (
                    deals.account[i] as usize,
                    deals.outcome[i] == OutcomeLabel::Won,
                    deals.days(i),
                )
            })
            .collect();
        if closed.is_empty() {
            return None;
        }
        let days_len = closed.iter().map(|c| c.2 as usize + 1).max().unwrap_or(0);
        let overall = closed.iter().filter(|c| c.1).count() as f64 / closed.len() as f64;
        let mut acc_closed = vec![false; n_accounts];
        let mut acc_won = vec![false; n_accounts];
        let (mut won_n, mut lost_n) = (vec![0u64; n_accounts], vec![0u64; n_accounts]);
        for &(a, w, _) in &closed {
            acc_closed[a] = true;
            acc_won[a] |= w;
            if w {
                won_n[a] += 1;
            } else {
                lost_n[a] += 1;
            }
        }
        let accounts: Vec<usize> = (0..n_accounts).filter(|&a| acc_closed[a]).collect();
        let acc_overall =
            accounts.iter().filter(|&&a| acc_won[a]).count() as f64 / accounts.len().max(1) as f64;
        Some(Closed {
            deals: closed,
            days_len,
            overall,
            n_accounts,
            accounts,
            acc_won,
            won_n,
            lost_n,
            acc_overall,
        })
    }
}

/// A numeric feature's point-biserial correlation with winning, over deals
/// and over accounts. Deal-level tests come from per-account counts: an
/// account's value stands for each of its deals (see `pearson_counts`).
fn numeric_win_tests(fa: &mut FeatureAssociation, v: &[f64], c: &Closed) {
    let with_closed = || c.accounts.iter().copied().filter(|&a| !v[a].is_nan());
    let n_deals: u64 = with_closed().map(|a| c.won_n[a] + c.lost_n[a]).sum();
    fa.win = pearson_counts(|| {
        with_closed().flat_map(|a| [(v[a], 1.0, c.won_n[a]), (v[a], 0.0, c.lost_n[a])])
    })
    .map(|p| {
        let (t, m) = (TestName::PointBiserial, EffectMeasure::R);
        finding(t, "deals", p.r, m, p.r, n_deals, p.p_value)
    });
    let n_acc = with_closed().count() as u64;
    fa.win_accounts =
        pearson_counts(|| with_closed().map(|a| (v[a], f64::from(u8::from(c.acc_won[a])), 1))).map(
            |p| {
                let (t, m) = (TestName::PointBiserial, EffectMeasure::R);
                finding(t, "accounts", p.r, m, p.r, n_acc, p.p_value)
            },
        );
}

/// A numeric feature's Spearman correlation with days to win over won
/// deals: x ranked through its accounts' won counts, days through their
/// histogram.
fn numeric_speed_test(v: &[f64], c: &Closed) -> Option<Finding> {
    let known = |a: usize| !v[a].is_nan();
    let winners: Vec<usize> = (c.accounts.iter().copied())
        .filter(|&a| known(a) && c.won_n[a] > 0)
        .collect();
    let xs: Vec<f64> = winners.iter().map(|&a| v[a]).collect();
    let ws: Vec<u64> = winners.iter().map(|&a| c.won_n[a]).collect();
    let mut rank_x = vec![0.0; c.n_accounts];
    for (&a, r) in winners.iter().zip(rank_counts(&xs, &ws)) {
        rank_x[a] = r;
    }
    let mut hist = vec![0u64; c.days_len];
    let won_known = || c.deals.iter().filter(|d| d.1 && known(d.0));
    for d in won_known() {
        hist[d.2 as usize] += 1;
    }
    let day_values: Vec<f64> = (0..c.days_len).map(|d| d as f64).collect();
    let rank_d = rank_counts(&day_values, &hist);
    let n_won: u64 = ws.iter().sum();
    pearson_counts(|| won_known().map(|d| (rank_x[d.0], rank_d[d.2 as usize], 1))).map(|p| {
        let (t, m) = (TestName::Spearman, EffectMeasure::Rho);
        finding(t, "deals", p.r, m, p.r, n_won, p.p_value)
    })
}

/// Tests of a categorical, list or binary feature: across all levels (a
/// categorical only), and each level against the rest, appended to `levels`.
/// A binary feature takes its `true` level's tests as its own.
fn level_tests(
    fa: &mut FeatureAssociation,
    f: &FeatureColumn,
    c: &Closed,
    levels: &mut Vec<LevelAssociation>,
) {
    let (deal_counts, acc_counts) = count_levels(f, c);
    if let FeatureData::Categorical(_) = &f.data {
        categorical_tests(fa, &deal_counts, &acc_counts);
    }
    let mut d_out = vec![0u64; c.days_len];
    for (l, name) in f.levels().iter().enumerate() {
        let counts = (&deal_counts, &acc_counts);
        levels.push(level_association(f, l, name, counts, c, &mut d_out));
    }
    if f.spec.kind() == FeatureKind::Binary {
        if let Some(l) = levels.last() {
            copy_level_findings(fa, l);
        }
    }
}

fn copy_level_findings(fa: &mut FeatureAssociation, l: &LevelAssociation) {
    fa.win = l.win.clone();
    fa.win_accounts = l.win_accounts.clone();
    fa.speed = l.speed.clone();
}

/// One pass over the deals and one over the accounts count every level; a
/// level's "rest" is the known total minus the level. Days to win are kept
/// as histograms, so the rank tests and medians sort nothing.
fn count_levels(f: &FeatureColumn, c: &Closed) -> (LevelCounts, LevelCounts) {
    let nl = f.levels().len();
    let mut deal_counts = LevelCounts::new(nl, c.days_len);
    for &(a, w, d) in &c.deals {
        if let Some(ls) = f.levels_of(a) {
            deal_counts.add(ls, w, Some(d as usize));
        }
    }
    let mut acc_counts = LevelCounts::new(nl, 0);
    for &a in &c.accounts {
        if let Some(ls) = f.levels_of(a) {
            acc_counts.add(ls, c.acc_won[a], None);
        }
    }
    (deal_counts, acc_counts)
}

/// A categorical's one test across all its levels: chi-square of winning
/// (deals and accounts), Kruskal–Wallis of days to win.
fn categorical_tests(fa: &mut FeatureAssociation, deals: &LevelCounts, accounts: &LevelCounts) {
    let nl = deals.closed.len();
    let table = |c: &LevelCounts| -> Vec<Vec<u64>> {
        (0..nl)
            .map(|l| vec![c.won[l], c.closed[l] - c.won[l]])
            .collect()
    };
    let chi_square = |c: &LevelCounts, view| {
        let n: u64 = c.closed.iter().sum();
        chi2_contingency(&table(c)).map(|t| {
            let (name, m) = (TestName::ChiSquare, EffectMeasure::CramersV);
            finding(name, view, t.statistic, m, t.cramers_v, n, t.p_value)
        })
    };
    fa.win = chi_square(deals, "deals");
    fa.win_accounts = chi_square(accounts, "accounts");
    let groups: Vec<&[u64]> = (0..nl)
        .filter(|&l| deals.won[l] > 0)
        .map(|l| deals.days_to_win(l))
        .collect();
    fa.speed = kruskal_finding(&groups, deals.won.iter().sum());
}

/// Kruskal–Wallis of days to win across `groups` (histograms) of `n_won`
/// won deals, with epsilon² as its effect.
fn kruskal_finding(groups: &[&[u64]], n_won: u64) -> Option<Finding> {
    kruskal_counts(groups).map(|t| {
        let eps2 = t.statistic / (n_won as f64 - 1.0).max(1.0);
        let (name, m) = (TestName::KruskalWallis, EffectMeasure::EpsilonSquared);
        finding(name, "deals", t.statistic, m, eps2, n_won, t.p_value)
    })
}

/// Level `l` of `f` against the rest: win rate, lift and 2×2 tests over
/// deals and accounts, and days to win. `d_out` is scratch for the rest's
/// histogram.
fn level_association(
    f: &FeatureColumn,
    l: usize,
    name: &str,
    (deals, accounts): (&LevelCounts, &LevelCounts),
    c: &Closed,
    d_out: &mut [u64],
) -> LevelAssociation {
    let (cl, won) = (deals.closed[l], deals.won[l]);
    let rest_cl = deals.known_closed - cl;
    let rest_won = deals.known_won - won;
    let (ac, aw) = (accounts.closed[l], accounts.won[l]);
    let rac = accounts.known_closed - ac;
    let raw = accounts.known_won - aw;
    let d_in = deals.days_to_win(l);
    for ((o, &k), &i) in d_out.iter_mut().zip(&deals.known_days).zip(d_in) {
        *o = k - i;
    }
    let win_rate = (cl > 0).then(|| won as f64 / cl as f64);
    let acc_rate = (ac > 0).then(|| aw as f64 / ac as f64);
    LevelAssociation {
        feature: f.spec.name.clone(),
        level: name.to_string(),
        label: f.level_label(l),
        closed_deals: cl,
        won,
        win_rate,
        win_rate_interval: wilson_interval(won, cl, 0.95),
        lift: win_rate.map(|r| r / c.overall).filter(|l| l.is_finite()),
        win: if cl > 0 && rest_cl > 0 {
            two_by_two(won, cl, rest_won, rest_cl, "deals")
        } else {
            None
        },
        accounts_with_closed_deals: ac,
        account_conversion_rate: acc_rate,
        account_lift: acc_rate
            .map(|r| r / c.acc_overall)
            .filter(|l| l.is_finite()),
        win_accounts: if ac > 0 && rac > 0 {
            two_by_two(aw, ac, raw, rac, "accounts")
        } else {
            None
        },
        median_days_to_win: median_counts(d_in),
        median_days_to_win_rest: median_counts(d_out),
        speed: kruskal_finding(&[d_in, d_out], deals.known_won),
    }
}

/// Benjamini–Hochberg over every test (binary features' tests are their
/// level's, counted once), then significance and materiality. Returns the
/// number of tests corrected over.
fn assign_q_values(
    feats: &mut [FeatureAssociation],
    levels: &mut [LevelAssociation],
    th: &Thresholds,
) -> usize {
    let mut ps = Vec::new();
    for fa in feats.iter().filter(|fa| fa.kind != FeatureKind::Binary) {
        for x in [&fa.win, &fa.win_accounts, &fa.speed].into_iter().flatten() {
            ps.push(x.p_value);
        }
    }
    for l in levels.iter() {
        for x in [&l.win, &l.win_accounts, &l.speed].into_iter().flatten() {
            ps.push(x.p_value);
        }
    }
    let mut qs = benjamini_hochberg(&ps).into_iter();
    let mut next_q = move || qs.next().unwrap_or(f64::NAN);
    for fa in feats.iter_mut().filter(|fa| fa.kind != FeatureKind::Binary) {
        for x in [&mut fa.win, &mut fa.win_accounts, &mut fa.speed]
            .into_iter()
            .flatten()
        {
            x.q_value = next_q();
            x.significant = x.q_value < th.q_max;
            x.material = x.significant
                && match x.effect_measure {
                    EffectMeasure::EpsilonSquared => x.effect >= th.min_abs_r * th.min_abs_r,
                    _ => x.effect.abs() >= th.min_abs_r,
                };
        }
    }
    for l in levels.iter_mut() {
        judge_level(l, th, &mut next_q);
    }
    ps.len()
}

/// A level's findings are significant only with `min_support` closed deals,
/// and material when its lift (or median days-to-win ratio) is large.
fn judge_level(l: &mut LevelAssociation, th: &Thresholds, next_q: &mut impl FnMut() -> f64) {
    let supported = l.closed_deals >= th.min_support;
    let big = |lift: Option<f64>| lift.is_some_and(|v| v >= th.lift_high || v <= th.lift_low);
    let ratio = match (l.median_days_to_win, l.median_days_to_win_rest) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    };
    let material = [
        big(l.lift),
        big(l.account_lift),
        ratio.is_some_and(|r| r <= 0.8 || r >= 1.25),
    ];
    for (x, material) in [&mut l.win, &mut l.win_accounts, &mut l.speed]
        .into_iter()
        .zip(material)
    {
        if let Some(x) = x {
            x.q_value = next_q();
            x.significant = supported && x.q_value < th.q_max;
            x.material = x.significant && material;
        }
    }
}

fn drivers(feats: &[FeatureAssociation], levels: &[LevelAssociation], overall: f64) -> Drivers {
    let mut found = Found::default();
    // The folded rare levels are a driver too: their label names them.
    for l in levels {
        found.level(l, overall);
    }
    for f in feats.iter().filter(|f| f.kind == FeatureKind::Numeric) {
        found.numeric(f);
    }
    let top = |mut v: Vec<(f64, String)>| -> Vec<String> {
        v.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        v.into_iter().take(8).map(|x| x.1).collect()
    };
    Drivers {
        winning_positive: top(found.pos),
        winning_negative: top(found.neg),
        faster: top(found.fast),
        slower: top(found.slow),
    }
}

/// Material findings in words, each with a strength to rank by.
#[derive(Default)]
struct Found {
    pos: Vec<(f64, String)>,
    neg: Vec<(f64, String)>,
    fast: Vec<(f64, String)>,
    slow: Vec<(f64, String)>,
}

fn q_text(q: f64) -> String {
    crate::text::p_text(q).trim_start_matches('p').to_string()
}

impl Found {
    /// A level's material win and speed findings, ranked by lift and by the
    /// ratio of median days to win.
    fn level(&mut self, l: &LevelAssociation, overall: f64) {
        if let (Some(w), Some(lift), Some(rate)) = (&l.win, l.lift, l.win_rate) {
            if w.material {
                let text = format!(
                    "{}: wins {:.0}% of {} closed deals vs {:.0}% overall (lift {:.2}×, q{})",
                    l.label,
                    100.0 * rate,
                    l.closed_deals,
                    100.0 * overall,
                    lift,
                    q_text(w.q_value)
                );
                if lift > 1.0 {
                    self.pos.push((lift, text));
                } else {
                    self.neg.push((1.0 / lift.max(1e-9), text));
                }
            }
        }
        if let (Some(s), Some(a), Some(b)) =
            (&l.speed, l.median_days_to_win, l.median_days_to_win_rest)
        {
            if s.material {
                let text = format!(
                    "{}: median {a:.0} days to win vs {b:.0} for the rest (q{})",
                    l.label,
                    q_text(s.q_value)
                );
                if a < b {
                    self.fast.push((b / a.max(1.0), text));
                } else {
                    self.slow.push((a / b.max(1.0), text));
                }
            }
        }
    }

    /// A numeric feature's material correlations, ranked as 1 + 4|r|.
    fn numeric(&mut self, f: &FeatureAssociation) {
        if let Some(w) = f.win.as_ref().filter(|w| w.material) {
            let text = format!(
                "{}: r = {:.2} with winning (q{})",
                f.feature,
                w.effect,
                q_text(w.q_value)
            );
            if w.effect > 0.0 {
                self.pos.push((1.0 + w.effect.abs() * 4.0, text));
            } else {
                self.neg.push((1.0 + w.effect.abs() * 4.0, text));
            }
        }
        if let Some(s) = f.speed.as_ref().filter(|s| s.material) {
            let text = format!(
                "{}: rho = {:.2} with days to win (q{})",
                f.feature,
                s.effect,
                q_text(s.q_value)
            );
            if s.effect < 0.0 {
                self.fast.push((1.0 + s.effect.abs() * 4.0, text));
            } else {
                self.slow.push((1.0 + s.effect.abs() * 4.0, text));
            }
        }
    }
}

#[cfg(test)]
mod tests;
