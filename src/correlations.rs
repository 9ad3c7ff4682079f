//! Which account attributes go with winning, and with winning fast.
//!
//! Closed deals carry their account's features. For a numeric feature the
//! association with winning is the point-biserial correlation; for a
//! categorical feature the chi-square test of independence with Cramér's
//! V. Every level (categorical level, list value, binary `true`) also gets
//! its own 2×2 test against the rest, its win rate with a Wilson interval,
//! and its lift. These deal-level tests take the account as the unit of
//! evidence: each statistic is divided by the design effect of its scores
//! summed by account and referred to an F distribution on the accounts
//! ([`crate::stats::rao_scott`]; with one deal per account the plain test,
//! unchanged). The same win association is repeated at the account level
//! (an account converts if it has at least one won deal).
//!
//! Speed is the hazard of winning, losses and open deals censored (every
//! deal counts, open ones up to the as-of date): the log-rank test for a
//! level against the rest and across a categorical's levels, the Cox score
//! test of a numeric feature's ranks, with the same correction for
//! accounts ([`timing`]).
//!
//! Benjamini–Hochberg q-values are taken over every test in the run. A
//! finding is *significant* when q is below `q_max` (levels also need
//! `min_support` closed deals from `min_accounts` accounts) and *material*
//! when it is also large enough to matter: lift ≥ 1.2 or ≤ 0.8 for a level,
//! |r| ≥ 0.05 for a correlation (Cramér's V for a whole categorical), and a
//! hazard ratio of winning ≥ 1.25 or ≤ 0.8 for speed.

use serde::Serialize;

use crate::domain::OutcomeLabel;
use crate::features::{FeatureColumn, FeatureData, FeatureKind, Gate, Use};
use crate::io::contract::Deals;
use crate::stats::association::{benjamini_hochberg, chi2_contingency, pearson_counts};
use crate::stats::conversion::{wilson_interval, Interval};
use crate::stats::descriptive::median_counts;
use crate::stats::rao_scott::corrected_p;

mod clustered;
pub mod timing;

use clustered::Moments;
use timing::{SpeedTest, Timed};

/// A hazard ratio of winning at or above this (or at or below its
/// inverse, 0.8) is a material speed finding.
pub const HAZARD_RATIO_MATERIAL: f64 = 1.25;

/// Thresholds for calling a finding significant and material.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thresholds {
    pub q_max: f64,
    pub min_support: u64,
    /// Accounts a level's closed deals must come from for it to be
    /// significant ([`crate::stats::clustered::MIN_ACCOUNTS`]).
    pub min_accounts: u64,
    pub lift_high: f64,
    pub lift_low: f64,
    pub min_abs_r: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            q_max: 0.05,
            min_support: 30,
            min_accounts: crate::stats::clustered::MIN_ACCOUNTS,
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
    /// The log-rank test of the hazard of winning (a level against the
    /// rest, or a categorical across its levels).
    Logrank,
    /// The Cox score test of a numeric feature's ranks.
    CoxScore,
}

impl TestName {
    /// The name as written in the outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            TestName::PointBiserial => "point_biserial",
            TestName::Spearman => "spearman",
            TestName::ChiSquare => "chi_square",
            TestName::KruskalWallis => "kruskal_wallis",
            TestName::Logrank => "logrank",
            TestName::CoxScore => "cox_score",
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
    /// The one-step hazard ratio of winning, `exp(U/I)` (per standard
    /// deviation of the ranks for a numeric feature).
    HazardRatio,
}

impl EffectMeasure {
    /// The name as written in the outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            EffectMeasure::R => "r",
            EffectMeasure::Rho => "rho",
            EffectMeasure::CramersV => "cramers_v",
            EffectMeasure::EpsilonSquared => "epsilon_squared",
            EffectMeasure::HazardRatio => "hazard_ratio",
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
    /// `point_biserial`, `chi_square`, `logrank`, `cox_score`.
    pub test: TestName,
    /// `deals` (closed deals) or `accounts` (accounts with a closed deal).
    pub view: &'static str,
    pub statistic: f64,
    /// `r`, `cramers_v` or `hazard_ratio`.
    pub effect_measure: EffectMeasure,
    pub effect: f64,
    pub n: u64,
    /// With accounts as clusters in the deal view: the plain statistic over
    /// its design effect, referred to F on the accounts.
    pub p_value: f64,
    /// The deal view's p-value with deals independent (the plain test).
    pub p_value_unclustered: Option<f64>,
    /// The deal view's design effect (at least 1; exactly 1 with one deal
    /// per account), which divides `statistic`.
    pub design_effect: Option<f64>,
    /// The accounts that set the F reference's denominator degrees of
    /// freedom (accounts less one; of the smaller side for a level against
    /// the rest); null with one deal per account (the plain chi-square).
    pub accounts: Option<u64>,
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
    /// Median days to win of won deals with this level, and of the rest
    /// (won deals only; shown beside `speed`).
    pub median_days_to_win: Option<f64>,
    pub median_days_to_win_rest: Option<f64>,
    /// Log-rank test of the hazard of winning, this level against the rest,
    /// open deals censored; its effect is the hazard ratio.
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
        p_value_unclustered: None,
        design_effect: None,
        accounts: None,
        q_value: f64::NAN,
        significant: false,
        material: false,
    }
}

impl Finding {
    /// The deal view's test with accounts as clusters: `statistic_1df` is
    /// the plain statistic as a chi-square on `df` degrees of freedom.
    fn clustered(mut self, statistic: f64, df: u64, (d, accounts): (f64, Option<u64>)) -> Self {
        self.p_value_unclustered = Some(self.p_value);
        self.design_effect = Some(d);
        self.accounts = accounts;
        if accounts.is_some() {
            self.p_value = corrected_p(statistic, df, d, accounts);
        }
        self
    }
}

/// A speed test as a finding.
fn speed_finding(t: SpeedTest, test: TestName) -> Finding {
    let mut f = finding(
        test,
        "deals",
        t.statistic,
        EffectMeasure::HazardRatio,
        t.hazard_ratio,
        t.deals,
        t.p_value,
    );
    f.p_value_unclustered = Some(t.p_value_unclustered);
    f.design_effect = Some(t.design_effect);
    f.accounts = t.accounts;
    f
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
                fa.speed = timing::numeric_speed(v, &c.timed)
                    .map(|t| speed_finding(t, TestName::CoxScore));
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
    /// Every deal, open ones to the as-of date, for the speed tests.
    timed: Timed,
    /// Won over closed deals.
    overall: f64,
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
        let rows: Vec<timing::Row> = (0..deals.len())
            .map(|i| timing::Row {
                account: deals.account[i],
                day: deals.days(i),
                won: deals.outcome[i] == OutcomeLabel::Won,
            })
            .collect();
        let timed = Timed::new(rows, n_accounts);
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
            timed,
            overall,
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
        // The point-biserial t², a chi-square on one degree of freedom.
        let t2 = (n_deals as f64 - 2.0) * p.r * p.r / ((1.0 - p.r) * (1.0 + p.r)).max(0.0);
        let design =
            clustered::numeric_design(|| with_closed().map(|a| (v[a], c.won_n[a], c.lost_n[a])));
        finding(t, "deals", p.r, m, p.r, n_deals, p.p_value).clustered(t2, 1, design)
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

/// Tests of a categorical, list or binary feature: across all levels (a
/// categorical only), and each level against the rest, appended to `levels`.
/// A binary feature takes its `true` level's tests as its own.
fn level_tests(
    fa: &mut FeatureAssociation,
    f: &FeatureColumn,
    c: &Closed,
    levels: &mut Vec<LevelAssociation>,
) {
    let counts = count_levels(f, c);
    let (speed, across) = timing::level_speed(f, &c.timed);
    if let FeatureData::Categorical(_) = &f.data {
        categorical_tests(fa, &counts);
        fa.speed = across.map(|t| speed_finding(t, TestName::Logrank));
    }
    let mut d_out = vec![0u64; c.days_len];
    for (l, name) in f.levels().iter().enumerate() {
        let mut level = level_association(f, l, name, &counts, c, &mut d_out);
        level.speed = speed[l].map(|t| speed_finding(t, TestName::Logrank));
        levels.push(level);
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

/// A feature's counts per level: over deals, over accounts, and the
/// moments of each level's accounts (and of every account with a known
/// value) that the deal view's design effects read.
struct Counts {
    deals: LevelCounts,
    accounts: LevelCounts,
    moments: Vec<Moments>,
    known: Moments,
}

/// One pass over the deals and one over the accounts count every level; a
/// level's "rest" is the known total minus the level. Days to win are kept
/// as histograms, so the medians sort nothing.
fn count_levels(f: &FeatureColumn, c: &Closed) -> Counts {
    let nl = f.levels().len();
    let mut deal_counts = LevelCounts::new(nl, c.days_len);
    for &(a, w, d) in &c.deals {
        if let Some(ls) = f.levels_of(a) {
            deal_counts.add(ls, w, Some(d as usize));
        }
    }
    let mut acc_counts = LevelCounts::new(nl, 0);
    let (mut moments, mut known) = (vec![Moments::default(); nl], Moments::default());
    for &a in &c.accounts {
        if let Some(ls) = f.levels_of(a) {
            acc_counts.add(ls, c.acc_won[a], None);
            known.add(c.won_n[a], c.lost_n[a]);
            for &l in ls.iter().filter(|&&l| (l as usize) < nl) {
                moments[l as usize].add(c.won_n[a], c.lost_n[a]);
            }
        }
    }
    Counts {
        deals: deal_counts,
        accounts: acc_counts,
        moments,
        known,
    }
}

/// A categorical's one test of winning across all its levels: chi-square
/// over deals (accounts as clusters) and over accounts.
fn categorical_tests(fa: &mut FeatureAssociation, counts: &Counts) {
    let nl = counts.deals.closed.len();
    let table = |c: &LevelCounts| -> Vec<Vec<u64>> {
        (0..nl)
            .map(|l| vec![c.won[l], c.closed[l] - c.won[l]])
            .collect()
    };
    let chi_square = |c: &LevelCounts, view| {
        let n: u64 = c.closed.iter().sum();
        chi2_contingency(&table(c)).map(|t| {
            let (name, m) = (TestName::ChiSquare, EffectMeasure::CramersV);
            let f = finding(name, view, t.statistic, m, t.cramers_v, n, t.p_value);
            (f, t.statistic, t.dof)
        })
    };
    let present: Vec<Moments> = (0..nl)
        .filter(|&l| counts.deals.closed[l] > 0)
        .map(|l| counts.moments[l])
        .collect();
    fa.win =
        chi_square(&counts.deals, "deals").map(|(f, stat, dof)| {
            match clustered::levels_design(&present) {
                Some(design) => f.clustered(stat, dof, design),
                None => f,
            }
        });
    fa.win_accounts = chi_square(&counts.accounts, "accounts").map(|x| x.0);
}

/// Level `l` of `f` against the rest: win rate, lift and 2×2 tests over
/// deals (accounts as clusters) and accounts, and median days to win.
/// `d_out` is scratch for the rest's histogram; the speed test is the
/// caller's.
fn level_association(
    f: &FeatureColumn,
    l: usize,
    name: &str,
    counts: &Counts,
    c: &Closed,
    d_out: &mut [u64],
) -> LevelAssociation {
    let (deals, accounts) = (&counts.deals, &counts.accounts);
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
    let deal_test = || {
        let t = two_by_two(won, cl, rest_won, rest_cl, "deals")?;
        let n = deals.known_closed as f64;
        let (inside, outside) = (&counts.moments[l], counts.known.minus(&counts.moments[l]));
        let design =
            clustered::level_design(inside, &outside, deals.known_won as f64 / n, cl as f64 / n);
        let stat = t.statistic;
        Some(t.clustered(stat, 1, design))
    };
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
            deal_test()
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
        speed: None,
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
                    EffectMeasure::HazardRatio => material_hazard_ratio(x.effect),
                    _ => x.effect.abs() >= th.min_abs_r,
                };
        }
    }
    for l in levels.iter_mut() {
        judge_level(l, th, &mut next_q);
    }
    ps.len()
}

/// Whether a hazard ratio is far enough from 1 to matter.
fn material_hazard_ratio(hr: f64) -> bool {
    hr >= HAZARD_RATIO_MATERIAL || hr <= 1.0 / HAZARD_RATIO_MATERIAL
}

/// A level's findings are significant only with `min_support` closed deals
/// from `min_accounts` accounts, and material when its lift (or hazard
/// ratio of winning) is large.
fn judge_level(l: &mut LevelAssociation, th: &Thresholds, next_q: &mut impl FnMut() -> f64) {
    let supported =
        l.closed_deals >= th.min_support && l.accounts_with_closed_deals >= th.min_accounts;
    let big = |lift: Option<f64>| lift.is_some_and(|v| v >= th.lift_high || v <= th.lift_low);
    let material = [
        big(l.lift),
        big(l.account_lift),
        l.speed
            .as_ref()
            .is_some_and(|s| material_hazard_ratio(s.effect)),
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
    /// A level's material win and speed findings, ranked by lift and by
    /// the hazard ratio of winning.
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
        if let Some(s) = l.speed.as_ref().filter(|s| s.material) {
            let medians = match (l.median_days_to_win, l.median_days_to_win_rest) {
                (Some(a), Some(b)) => format!("; median {a:.0} days to win vs {b:.0} for the rest"),
                _ => String::new(),
            };
            let text = format!(
                "{}: wins at {:.2}× the pace of the rest (hazard of winning, open deals censored{medians}; q{})",
                l.label,
                s.effect,
                q_text(s.q_value)
            );
            self.speed(s.effect, text);
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
                "{}: {:.2}× the hazard of winning per standard deviation of its rank (open deals censored; q{})",
                f.feature,
                s.effect,
                q_text(s.q_value)
            );
            self.speed(s.effect, text);
        }
    }

    /// A material speed finding with hazard ratio `hr`, ranked by how far
    /// it is from 1.
    fn speed(&mut self, hr: f64, text: String) {
        if hr > 1.0 {
            self.fast.push((hr, text));
        } else {
            self.slow.push((1.0 / hr.max(1e-9), text));
        }
    }
}

#[cfg(test)]
mod null_drivers;
#[cfg(test)]
mod tests;
