//! The quarterly question: does Tier 1 out-convert Tier 2, and Tier 2 Tier 3?
//!
//! Each comparison is first given a basis ([`basis`]): won / closed when
//! every deal of both tiers has been followed long enough to have closed,
//! else P(win ≤ H) with open deals censored at a horizon both tiers' deals
//! have been followed to, else "not yet comparable". On that basis it is a
//! two-sided test of equal win rates with accounts as clusters
//! ([`crate::stats::clustered`]; the accounts themselves are the effective
//! sample at rates of 0 or 1 and with fewer than
//! [`crate::stats::clustered::MIN_ACCOUNTS`] accounts): the p-value is the
//! one at which the Newcombe interval on effective sample sizes touches 0,
//! and Holm's correction across the comparisons reported together keeps
//! the stated 5% for the family. The interval shown is at the corrected
//! level, so it excludes 0 exactly when the verdict is significant. Without
//! a significant difference the verdict gives the smallest difference the
//! sample can detect, and how many quarters of deals a 10-point difference
//! would need. A comparison that is not yet comparable has no p-value, is
//! left out of the correction, and never reads as an inversion.

pub mod basis;

use crate::outcomes::OutcomeFigures;
use serde::Serialize;

pub use basis::{ComparisonBasis, TierSample};

use crate::stability::Movement;
use crate::stats::clustered::{
    clustered_diff_interval, clustered_diff_p_value, minimum_detectable_difference, ClusteredRate,
};
use crate::stats::conversion::{proportions_ztest, Alternative};
use crate::stats::multiple::holm;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierFigures {
    /// 1, 2, 3, or null for accounts without a tier.
    pub tier: Option<u8>,
    pub outcomes: OutcomeFigures,
}

/// One tier's figure on a comparison's basis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierOnBasis {
    pub tier: u8,
    /// Won / closed, or P(win ≤ `horizon_days`) (0–1).
    pub estimate: f64,
    /// Closed deals (`closed_deals`) or all deals (`win_within_horizon`).
    pub deals: u64,
    /// Accounts those deals come from.
    pub accounts: u64,
    /// Cluster-robust over deal-by-deal variance, at least 1.
    pub design_effect: f64,
    /// Binomial trials the estimate is worth once clustering is allowed
    /// for: deals (censoring allowed for) over `design_effect`.
    pub effective_deals: f64,
    /// The accounts are the effective sample: a rate of 0 or 1, or fewer
    /// than `MIN_ACCOUNTS` (10) accounts holding several deals.
    pub accounts_as_unit: bool,
}

impl TierOnBasis {
    fn of(tier: u8, r: &ClusteredRate) -> Self {
        TierOnBasis {
            tier,
            estimate: r.rate,
            deals: r.closed,
            accounts: r.accounts,
            design_effect: r.design_effect,
            effective_deals: r.effective_closed(),
            accounts_as_unit: r.accounts_as_unit,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierComparison {
    pub higher: u8,
    pub lower: u8,
    /// The higher tier's figure minus the lower tier's, on `basis`.
    pub difference: Option<f64>,
    /// Newcombe interval for `difference` on effective sample sizes, at
    /// `difference_interval_confidence`: it excludes 0 exactly when
    /// `p_value_holm` is below 1 − confidence.
    pub difference_interval: Option<crate::stats::conversion::Interval>,
    /// Confidence of `difference_interval` (0–1): the stated confidence
    /// with Holm's correction for the comparisons reported together.
    pub difference_interval_confidence: Option<f64>,
    /// `newcombe_clustered` (won / closed) or
    /// `newcombe_clustered_cumulative_incidence` (P(win ≤ H)): two-sided,
    /// accounts as clusters.
    pub test: ComparisonTest,
    /// Two-sided p-value of equal figures, before correction.
    pub p_value: Option<f64>,
    /// `p_value` with Holm's correction across the comparisons reported together.
    pub p_value_holm: Option<f64>,
    /// `in_order`, `inverted`, `no_significant_difference`,
    /// `not_yet_comparable` or `not_computed`.
    pub verdict: PairVerdict,
    pub verdict_text: String,
    /// Smallest difference in win rate (0–1) this sample detects with 80%
    /// power in the corrected two-sided test, tier sizes and design effects
    /// as they are.
    pub minimum_detectable_difference: Option<f64>,
    /// When `minimum_detectable_difference` is above 0.10: quarters of deals
    /// at the window's rate needed to detect a 10-point difference.
    pub quarters_needed: Option<f64>,
    /// `closed_deals`, `win_within_horizon` or `not_yet_comparable` (`""`
    /// when a tier has no deals to compare).
    pub basis: ComparisonBasis,
    /// Why this basis, in a sentence.
    pub basis_text: String,
    /// The horizon of `win_within_horizon`, days.
    pub horizon_days: Option<f64>,
    /// Follow-up the comparison needs: the longer of the two tiers'
    /// won-cycle 90th percentiles (days from creation to win, open deals
    /// censored), days; null without a win.
    pub follow_up_needed_days: Option<f64>,
    /// The higher and the lower tier on `basis`; empty when not compared.
    pub on_basis: Vec<TierOnBasis>,
    /// Whether either tier's effective sample is its accounts.
    pub accounts_as_unit: bool,
}

/// The deals a verdict is about, by creation date (inclusive, YYYY-MM-DD).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Window {
    pub label: String,
    pub from: String,
    pub to: String,
}

/// Won business from accounts outside the target list.
#[derive(Debug, Clone, Serialize)]
pub struct IcpGap {
    /// Share (0–1) of won deals and of won value from accounts with no tier.
    pub untiered_won_deal_share: Option<f64>,
    pub untiered_won_value_share: Option<f64>,
    pub untiered_win_rate: Option<f64>,
    pub tier3_win_rate: Option<f64>,
    /// One-sided p-value that untiered accounts win more often than Tier 3.
    pub untiered_beats_tier3_p_value: Option<f64>,
    /// Share of won deals and won value from accounts outside the recommended
    /// ICP (null until a recommended ICP exists).
    pub outside_icp_won_deal_share: Option<f64>,
    pub outside_icp_won_value_share: Option<f64>,
    pub text: String,
}

/// The verdict for one quarter of a multi-quarter window.
#[derive(Debug, Clone, Serialize)]
pub struct QuarterVerdict {
    pub window: Window,
    pub verdict: String,
    pub comparisons: Vec<TierComparison>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CurrentTiers {
    pub verdict: String,
    pub window: Window,
    pub tiers: Vec<TierFigures>,
    pub comparisons: Vec<TierComparison>,
    pub icp_gap: IcpGap,
    /// Per quarter, when the window spans several.
    pub by_quarter: Vec<QuarterVerdict>,
    pub movement: Option<Movement>,
}

/// The test a tier comparison used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComparisonTest {
    /// Not run: a tier has nothing to compare, or the tiers are not yet
    /// comparable (serialised as `""`).
    #[serde(rename = "")]
    None,
    /// Two-sided, from the Newcombe interval on effective sample sizes
    /// with accounts as clusters.
    NewcombeClustered,
    /// The same on P(win ≤ H): effective sizes from the Aalen–Johansen
    /// estimate's influences, accounts as clusters.
    NewcombeClusteredCumulativeIncidence,
}

/// How a higher tier converts against the tier below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PairVerdict {
    /// A tier has no closed deals.
    NotComputed,
    /// The higher tier converts significantly better.
    InOrder,
    /// The higher tier converts significantly worse.
    Inverted,
    NoSignificantDifference,
    /// The window's deals have not been followed long enough to compare the
    /// tiers; never an inversion.
    NotYetComparable,
}

/// Power of the smallest detectable difference.
pub const POWER: f64 = 0.8;
/// The tier-to-tier difference in win rate (0–1) worth detecting: below a
/// sample's detectable difference it sets the quarters of deals needed.
pub const TARGET_DIFFERENCE: f64 = 0.10;
/// Average days in a quarter.
pub const DAYS_PER_QUARTER: f64 = 365.25 / 4.0;

/// The comparisons judged together, which share a Holm correction.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    /// Confidence of the family (0.95: a 5% family-wise error rate).
    pub confidence: f64,
    /// Number of comparisons with a p-value in the family.
    pub size: usize,
    /// Days of deal creation the figures cover, for "quarters needed".
    pub window_days: f64,
}

/// The horizon, in days, of the P(win ≤ H) shown beside won / closed.
pub const LEAD_HORIZON_DAYS: u32 = 90;
/// Above this share of a window's deals still open, won / closed is read
/// early and P(win ≤ 90 d) leads the held-out figures.
pub const OPEN_SHARE_TO_LEAD: f64 = 0.2;

/// P(win ≤ 90 d) of a group, when 90 days is one of the horizons.
pub fn win_within_lead_horizon(o: &OutcomeFigures) -> Option<f64> {
    o.time_to_win
        .horizons
        .iter()
        .find(|h| h.days == LEAD_HORIZON_DAYS)
        .map(|h| h.probability)
}

/// Share (0–1) of the deals of `tiers` still open; `None` without deals.
pub fn open_share(tiers: &[TierFigures]) -> Option<f64> {
    let (open, deals) = tiers.iter().fold((0u64, 0u64), |(o, d), t| {
        (o + t.outcomes.open, d + t.outcomes.deals)
    });
    (deals > 0).then(|| open as f64 / deals as f64)
}

/// Whether won / closed and P(win ≤ 90 d) put two groups in opposite
/// orders (a tie on either measure is no order).
pub fn reordered(h: &OutcomeFigures, l: &OutcomeFigures) -> bool {
    match (
        h.win_rate,
        l.win_rate,
        win_within_lead_horizon(h),
        win_within_lead_horizon(l),
    ) {
        (Some(a), Some(b), Some(x), Some(y)) => (a - b) * (x - y) < 0.0,
        _ => false,
    }
}

/// Why P(win ≤ 90 d) leads won / closed, or `None` when the two measures
/// agree: they disagree when they order the tiers differently or when more
/// than [`OPEN_SHARE_TO_LEAD`] of the window's deals are still open.
pub fn lead_reason(open_share: Option<f64>, reordered: bool) -> Option<String> {
    let share = open_share.unwrap_or(0.0);
    let open = format!(
        "{:.0}% of this window's deals are still open",
        100.0 * share
    );
    if reordered {
        Some(format!(
            "{open} and the two measures order the tiers differently"
        ))
    } else if share > OPEN_SHARE_TO_LEAD {
        Some(open)
    } else {
        None
    }
}

/// Compare a higher tier with a lower one on `on` (their basis and
/// figures), given the comparison's Holm-adjusted p-value within `family`.
pub fn compare(
    higher: u8,
    lower: u8,
    on: &basis::OnBasis,
    p_holm: f64,
    family: &Family,
) -> TierComparison {
    let mut out = TierComparison {
        higher,
        lower,
        difference: None,
        difference_interval: None,
        difference_interval_confidence: None,
        test: ComparisonTest::None,
        p_value: None,
        p_value_holm: None,
        verdict: PairVerdict::NotComputed,
        verdict_text: String::new(),
        minimum_detectable_difference: None,
        quarters_needed: None,
        basis: on.basis,
        basis_text: on.text.clone(),
        horizon_days: on.horizon,
        follow_up_needed_days: on.needed,
        on_basis: vec![],
        accounts_as_unit: false,
    };
    if on.basis == ComparisonBasis::NotYetComparable {
        out.verdict = PairVerdict::NotYetComparable;
        out.verdict_text = format!("Tier {higher} vs Tier {lower}: {}", on.text);
        return out;
    }
    let Some((a, b)) = on.rates else {
        out.verdict_text = format!(
            "Tier {higher} vs Tier {lower}: cannot compare, a tier has no closed deals in this window"
        );
        return out;
    };
    let alpha = 1.0 - family.confidence;
    let p = clustered_diff_p_value(&a, &b);
    // The level at which this comparison is tested under Holm: the interval
    // at 1 − α·p/p_holm excludes 0 exactly when p_holm < α.
    let level = if p_holm > 0.0 {
        alpha * p / p_holm
    } else {
        alpha / family.size as f64
    };
    out.difference = Some(a.rate - b.rate);
    out.difference_interval = clustered_diff_interval(&a, &b, 1.0 - level);
    out.difference_interval_confidence = Some(1.0 - level);
    out.test = match on.basis {
        ComparisonBasis::WinWithinHorizon => ComparisonTest::NewcombeClusteredCumulativeIncidence,
        _ => ComparisonTest::NewcombeClustered,
    };
    out.p_value = Some(p);
    out.p_value_holm = Some(p_holm);
    out.on_basis = vec![TierOnBasis::of(higher, &a), TierOnBasis::of(lower, &b)];
    out.accounts_as_unit = a.accounts_as_unit || b.accounts_as_unit;
    let mdd = minimum_detectable_difference(&a, &b, alpha / family.size.max(1) as f64, POWER);
    out.minimum_detectable_difference = mdd;
    out.quarters_needed = mdd
        .filter(|&d| d > TARGET_DIFFERENCE)
        .map(|d| family.window_days.max(1.0) / DAYS_PER_QUARTER * (d / TARGET_DIFFERENCE).powi(2));
    let (verdict, text) = verdict_text(&out, &a, &b, alpha);
    out.verdict = verdict;
    out.verdict_text = format!("{text}. {}", on.text);
    out
}

/// The verdict and its sentence for a computed comparison.
fn verdict_text(
    c: &TierComparison,
    a: &ClusteredRate,
    b: &ClusteredRate,
    alpha: f64,
) -> (PairVerdict, String) {
    let (higher, lower) = (c.higher, c.lower);
    let measure = match c.horizon_days {
        Some(h) => format!("won within {h:.0} days (open deals censored)"),
        None => "of closed deals won".to_string(),
    };
    let rates = format!(
        "{:.1}% vs {:.1}% {measure}, {} and {} deals from {} and {} accounts",
        100.0 * a.rate,
        100.0 * b.rate,
        a.closed,
        b.closed,
        a.accounts,
        b.accounts
    );
    let unit = match (a.accounts_as_unit, b.accounts_as_unit) {
        (true, true) => format!("; accounts as the unit in Tiers {higher} and {lower}"),
        (true, false) => format!("; accounts as the unit in Tier {higher}"),
        (false, true) => format!("; accounts as the unit in Tier {lower}"),
        (false, false) => String::new(),
    };
    let p_holm = c.p_value_holm.unwrap_or(1.0);
    let evidence = match (c.difference_interval, c.difference_interval_confidence) {
        (Some(iv), Some(conf)) => format!(
            "difference {:+.1} points, {} CI {:+.1} to {:+.1}; two-sided, accounts as clusters{unit}, Holm-adjusted {}",
            100.0 * (a.rate - b.rate),
            crate::text::pct(Some(conf)),
            100.0 * iv.lo,
            100.0 * iv.hi,
            crate::text::p_text(p_holm)
        ),
        _ => String::new(),
    };
    if p_holm < alpha && a.rate > b.rate {
        return (
            PairVerdict::InOrder,
            format!("Tier {higher} out-converts Tier {lower}: {rates} ({evidence})"),
        );
    }
    if p_holm < alpha && a.rate < b.rate {
        return (
            PairVerdict::Inverted,
            format!("Tier {higher} converts worse than Tier {lower}: {rates} ({evidence})"),
        );
    }
    let detect = match (c.minimum_detectable_difference, c.quarters_needed) {
        (Some(d), Some(q)) => format!(
            ": this sample detects a difference of {:.1} points; about {:.0} quarters of deals at this rate would detect {:.0}",
            100.0 * d,
            q.ceil(),
            100.0 * TARGET_DIFFERENCE
        ),
        (Some(d), None) => format!(": this sample detects a difference of {:.1} points", 100.0 * d),
        _ => String::new(),
    };
    (
        PairVerdict::NoSignificantDifference,
        format!(
            "No significant difference between Tier {higher} and Tier {lower} ({rates}; {evidence}){detect}",
        ),
    )
}

/// Tier 1 vs 2 and Tier 2 vs 3 with Holm's correction across those with a
/// p-value, and the verdict in words (its first comparison). `tiers` are
/// the figures per group and `samples` the deals per group
/// ([`basis::samples`]: Tier 1, 2, 3, untiered); `window_days` is the span
/// of deal creation dates the figures cover.
pub fn comparisons(
    tiers: &[TierFigures],
    samples: &[TierSample; 4],
    deals: &Deals,
    confidence: f64,
    window_days: f64,
) -> (String, Vec<TierComparison>) {
    let present = |t: u8| tiers.iter().any(|f| f.tier == Some(t));
    let pairs: Vec<basis::OnBasis> = [(1u8, 2u8), (2, 3)]
        .into_iter()
        .filter(|&(a, b)| present(a) && present(b))
        .map(|(a, b)| {
            let side = |t: u8| (t, &samples[t as usize - 1]);
            basis::on_basis(deals, side(a), side(b))
        })
        .collect();
    let numbers: Vec<(u8, u8)> = [(1u8, 2u8), (2, 3)]
        .into_iter()
        .filter(|&(a, b)| present(a) && present(b))
        .collect();
    let raw: Vec<f64> = pairs
        .iter()
        .map(|on| match (on.basis, on.rates) {
            (ComparisonBasis::NotYetComparable, _) | (_, None) => f64::NAN,
            (_, Some((a, b))) => clustered_diff_p_value(&a, &b),
        })
        .collect();
    let adjusted = holm(&raw);
    let family = Family {
        confidence,
        size: raw.iter().filter(|p| !p.is_nan()).count().max(1),
        window_days,
    };
    let out: Vec<TierComparison> = (numbers.iter().zip(&pairs).zip(&adjusted))
        .map(|((&(a, b), on), &p)| compare(a, b, on, p, &family))
        .collect();
    let verdict = match out.first() {
        None => "Fewer than two of Tier 1, 2 and 3 are present: no comparison".to_string(),
        Some(c) => c.verdict_text.clone(),
    };
    (verdict, out)
}

/// [`comparisons`] for the deals `in_window` selects, each judged by its
/// account's `tier`, from figures already made ([`tier_figures`]).
pub fn tier_comparisons(
    tier: &[Option<u8>],
    deals: &Deals,
    in_window: &dyn Fn(usize) -> bool,
    tiers: &[TierFigures],
    confidence: f64,
    window_days: f64,
) -> (String, Vec<TierComparison>) {
    let samples = basis::samples(
        deals,
        &|i| group(tier[deals.account[i] as usize]),
        in_window,
    );
    comparisons(tiers, &samples, deals, confidence, window_days)
}

/// The whole verdict on a tier assignment over a window of deals.
pub fn current_tiers(
    tier: &[Option<u8>],
    deals: &Deals,
    range: DayRange,
    label: &str,
    opts: &FigureOptions,
    in_icp: Option<&[bool]>,
) -> CurrentTiers {
    let in_window = |i: usize| (range.from..=range.to).contains(&deals.created[i]);
    let mut counts = [0u64; 4];
    for &t in tier {
        counts[group(t)] += 1;
    }
    let group_of = |i: usize| group(tier[deals.account[i] as usize]);
    let samples = basis::samples(deals, &group_of, &in_window);
    let tiers = figures_of(&samples, counts, deals, opts);
    verdict_on(tiers, &samples, deals, range, label, opts, in_icp)
}

/// [`current_tiers`] with each deal judged by its own tier (`deal_tier`,
/// e.g. its account's tier when the deal was created); a tier's accounts
/// are those with a deal in it.
pub fn current_tiers_by_deal(
    deal_tier: &[Option<u8>],
    deals: &Deals,
    range: DayRange,
    label: &str,
    opts: &FigureOptions,
    in_icp: Option<&[bool]>,
) -> CurrentTiers {
    let in_window = |i: usize| (range.from..=range.to).contains(&deals.created[i]);
    let samples = basis::samples(deals, &|i| group(deal_tier[i]), &in_window);
    let counts = std::array::from_fn(|g| {
        let accounts: std::collections::BTreeSet<u32> = samples[g]
            .window
            .iter()
            .map(|&i| deals.account[i])
            .collect();
        accounts.len() as u64
    });
    let tiers = figures_of(&samples, counts, deals, opts);
    verdict_on(tiers, &samples, deals, range, label, opts, in_icp)
}

/// The verdict, comparisons and ICP gap from per-tier figures.
fn verdict_on(
    tiers: Vec<TierFigures>,
    samples: &[TierSample; 4],
    deals: &Deals,
    range: DayRange,
    label: &str,
    opts: &FigureOptions,
    in_icp: Option<&[bool]>,
) -> CurrentTiers {
    let in_window = |i: usize| (range.from..=range.to).contains(&deals.created[i]);
    let days = f64::from(range.to - range.from + 1);
    let (verdict, comparisons) = comparisons(&tiers, samples, deals, opts.confidence, days);
    let icp_gap = icp_gap(&tiers, deals, &in_window, in_icp);
    CurrentTiers {
        verdict,
        window: range.window(label),
        tiers,
        comparisons,
        icp_gap,
        by_quarter: vec![],
        movement: None,
    }
}

/// Whether any comparison is a significant inversion.
pub fn inverted(ct: &CurrentTiers) -> bool {
    ct.comparisons
        .iter()
        .any(|c| c.verdict == PairVerdict::Inverted)
}

/// A window of deal creation dates, inclusive, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub from: i32,
    pub to: i32,
}

impl DayRange {
    pub fn window(&self, label: impl Into<String>) -> Window {
        Window {
            label: label.into(),
            from: format_date(self.from),
            to: format_date(self.to),
        }
    }
}

fn ymd(y: i32, m: u32, d: u32) -> Option<i32> {
    let date = chrono::NaiveDate::from_ymd_opt(y, m, d)?;
    i32::try_from((date - chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?).num_days()).ok()
}

/// Parse `2026Q3` (or `2026-Q3`, `2026q3`) into its first and last day.
pub fn parse_quarter(s: &str) -> Option<DayRange> {
    let t = s.trim().to_uppercase().replace('-', "");
    let (y, q) = t.split_once('Q')?;
    let (y, q): (i32, u32) = (y.parse().ok()?, q.parse().ok()?);
    if !(1..=4).contains(&q) {
        return None;
    }
    let from = ymd(y, 3 * q - 2, 1)?;
    let to = if q == 4 {
        ymd(y + 1, 1, 1)? - 1
    } else {
        ymd(y, 3 * q + 1, 1)? - 1
    };
    Some(DayRange { from, to })
}

/// The quarter holding `day`, e.g. `2026Q3`.
pub fn quarter_of(day: i32) -> String {
    let d = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")
        + chrono::Duration::days(i64::from(day));
    format!("{}Q{}", d.year(), (d.month() - 1) / 3 + 1)
}

/// The `n` quarters ending with the one holding `day`, oldest first.
pub fn trailing_quarters(day: i32, n: usize) -> Vec<(String, DayRange)> {
    let mut out = Vec::with_capacity(n);
    let mut label = quarter_of(day);
    for _ in 0..n {
        let r = parse_quarter(&label).expect("labels from quarter_of parse");
        out.push((label.clone(), r));
        label = quarter_of(r.from - 1);
    }
    out.reverse();
    out
}

use chrono::Datelike;

use crate::dates::format_date;
use crate::domain::OutcomeLabel;
use crate::io::contract::Deals;
use crate::outcomes::{figures, FigureOptions};

/// Figures per tier (1, 2, 3, then untiered) for the deals `in_window` selects.
pub fn tier_figures(
    tier: &[Option<u8>],
    deals: &Deals,
    in_window: &dyn Fn(usize) -> bool,
    opts: &FigureOptions,
) -> Vec<TierFigures> {
    let mut counts = [0u64; 4];
    for &t in tier {
        counts[group(t)] += 1;
    }
    figures_by_group(
        &|i| group(tier[deals.account[i] as usize]),
        counts,
        deals,
        in_window,
        opts,
    )
}

/// Tiers 1, 2, 3 are groups 0, 1, 2; untiered is group 3.
fn group(tier: Option<u8>) -> usize {
    tier.map_or(3, |t| t as usize - 1)
}

/// Figures per group of the deals `in_window` selects, `group_of` giving
/// each deal's group and `counts` each group's accounts; groups without
/// accounts are left out.
fn figures_by_group(
    group_of: &dyn Fn(usize) -> usize,
    counts: [u64; 4],
    deals: &Deals,
    in_window: &dyn Fn(usize) -> bool,
    opts: &FigureOptions,
) -> Vec<TierFigures> {
    let mut idx: [Vec<usize>; 4] = Default::default();
    for i in (0..deals.len()).filter(|&i| in_window(i)) {
        idx[group_of(i)].push(i);
    }
    figures_from(&idx, counts, deals, opts)
}

/// [`figures_by_group`] from the groups' samples.
fn figures_of(
    samples: &[TierSample; 4],
    counts: [u64; 4],
    deals: &Deals,
    opts: &FigureOptions,
) -> Vec<TierFigures> {
    let idx: [&[usize]; 4] = std::array::from_fn(|g| samples[g].window.as_slice());
    figures_from(&idx, counts, deals, opts)
}

fn figures_from(
    idx: &[impl AsRef<[usize]>; 4],
    counts: [u64; 4],
    deals: &Deals,
    opts: &FigureOptions,
) -> Vec<TierFigures> {
    (0..4)
        .filter(|&g| counts[g] > 0)
        .map(|g| TierFigures {
            tier: (g < 3).then_some(g as u8 + 1),
            outcomes: figures(deals, idx[g].as_ref(), counts[g], opts),
        })
        .collect()
}

/// Won business from untiered accounts and from accounts outside the
/// recommended ICP (`in_icp`, when known).
pub fn icp_gap(
    tiers: &[TierFigures],
    deals: &Deals,
    in_window: &dyn Fn(usize) -> bool,
    in_icp: Option<&[bool]>,
) -> IcpGap {
    let get = |t: Option<u8>| tiers.iter().find(|f| f.tier == t).map(|f| &f.outcomes);
    let (mut won, mut won_value) = (0u64, 0.0);
    let (mut out_won, mut out_value) = (0u64, 0.0);
    for i in 0..deals.len() {
        if !in_window(i) || deals.outcome[i] != OutcomeLabel::Won {
            continue;
        }
        won += 1;
        let a = deals.amount[i];
        let v = if a.is_nan() { 0.0 } else { a };
        won_value += v;
        if in_icp.is_some_and(|icp| !icp[deals.account[i] as usize]) {
            out_won += 1;
            out_value += v;
        }
    }
    let share = |x: f64, total: f64| (total > 0.0).then(|| x / total);
    let untiered = get(None);
    let t3 = get(Some(3));
    let p = match (untiered, t3) {
        (Some(u), Some(t)) if u.won + u.lost > 0 && t.won + t.lost > 0 => proportions_ztest(
            u.won,
            u.won + u.lost,
            t.won,
            t.won + t.lost,
            Alternative::Greater,
        )
        .map(|r| r.p_value),
        _ => None,
    };
    let ur = untiered.and_then(|u| u.win_rate);
    let tr = t3.and_then(|t| t.win_rate);
    let text = match (ur, tr, p) {
        (Some(u), Some(t), Some(p)) if u > t && p < 0.05 => format!(
            "Accounts with no tier win more often than Tier 3 ({:.1}% vs {:.1}%, {}): the target list is missing accounts that convert",
            100.0 * u,
            100.0 * t,
            crate::text::p_text(p)
        ),
        (Some(u), Some(t), _) => format!(
            "Accounts with no tier win {:.1}% of closed deals, Tier 3 {:.1}%; untiered accounts bring {:.0}% of won deals",
            100.0 * u,
            100.0 * t,
            100.0 * share(untiered.map_or(0, |x| x.won) as f64, won as f64).unwrap_or(0.0)
        ),
        _ => "No untiered accounts or no Tier 3 deals to compare".to_string(),
    };
    IcpGap {
        untiered_won_deal_share: share(untiered.map_or(0, |u| u.won) as f64, won as f64),
        untiered_won_value_share: share(untiered.map_or(0.0, |u| u.won_value), won_value),
        untiered_win_rate: ur,
        tier3_win_rate: tr,
        untiered_beats_tier3_p_value: p,
        outside_icp_won_deal_share: in_icp.and_then(|_| share(out_won as f64, won as f64)),
        outside_icp_won_value_share: in_icp.and_then(|_| share(out_value, won_value)),
        text,
    }
}

#[cfg(test)]
mod tests;
