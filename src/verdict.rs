//! The quarterly question: does Tier 1 out-convert Tier 2, and Tier 2 Tier 3?
//!
//! Each comparison is a two-sided test of equal win rates with accounts as
//! clusters ([`crate::stats::clustered`]): the p-value is the one at which
//! the Newcombe interval on effective sample sizes touches 0, and Holm's
//! correction across the comparisons reported together keeps the stated
//! 5% for the family. The interval shown is at the corrected level, so it
//! excludes 0 exactly when the verdict is significant. Without a significant
//! difference the verdict gives the smallest difference the sample can
//! detect, and how many quarters of deals a 10-point difference would need.

use crate::outcomes::OutcomeFigures;
use serde::Serialize;

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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierComparison {
    pub higher: u8,
    pub lower: u8,
    /// Win rate of the higher tier minus the lower tier.
    pub difference: Option<f64>,
    /// Newcombe interval for `difference` on effective sample sizes, at
    /// `difference_interval_confidence`: it excludes 0 exactly when
    /// `p_value_holm` is below 1 − confidence.
    pub difference_interval: Option<crate::stats::conversion::Interval>,
    /// Confidence of `difference_interval` (0–1): the stated confidence
    /// with Holm's correction for the comparisons reported together.
    pub difference_interval_confidence: Option<f64>,
    /// `newcombe_clustered`: two-sided, accounts as clusters.
    pub test: ComparisonTest,
    /// Two-sided p-value of equal win rates, before correction.
    pub p_value: Option<f64>,
    /// `p_value` with Holm's correction across the comparisons reported together.
    pub p_value_holm: Option<f64>,
    /// `in_order`, `inverted` or `no_significant_difference`.
    pub verdict: PairVerdict,
    pub verdict_text: String,
    /// Smallest difference in win rate (0–1) this sample detects with 80%
    /// power in the corrected two-sided test, tier sizes and design effects
    /// as they are.
    pub minimum_detectable_difference: Option<f64>,
    /// When `minimum_detectable_difference` is above 0.10: quarters of deals
    /// at the window's rate needed to detect a 10-point difference.
    pub quarters_needed: Option<f64>,
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
    /// Not run: a tier has no closed deals (serialised as `""`).
    #[serde(rename = "")]
    None,
    /// Two-sided, from the Newcombe interval on effective sample sizes
    /// with accounts as clusters.
    NewcombeClustered,
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
    /// Share (0–1) of the window's deals, all tiers and untiered, still open.
    pub open_share: Option<f64>,
}

/// The horizon, in days, of the P(win ≤ H) shown beside won / closed.
pub const LEAD_HORIZON_DAYS: u32 = 90;
/// Above this share of a window's deals still open, won / closed is read
/// early and P(win ≤ 90 d) leads the verdict.
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

fn clustered(o: &OutcomeFigures) -> Option<ClusteredRate> {
    ClusteredRate::from_summary(
        o.won,
        o.won + o.lost,
        o.accounts,
        o.design_effect.unwrap_or(1.0),
    )
}

/// Two-sided p-value, before correction, of equal win rates in two tiers.
pub fn raw_p_value(h: &OutcomeFigures, l: &OutcomeFigures) -> Option<f64> {
    Some(clustered_diff_p_value(&clustered(h)?, &clustered(l)?))
}

/// Compare a higher tier with a lower one, given the comparison's
/// Holm-adjusted p-value within `family`.
pub fn compare(
    higher: u8,
    h: &OutcomeFigures,
    lower: u8,
    l: &OutcomeFigures,
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
    };
    let (Some(a), Some(b)) = (clustered(h), clustered(l)) else {
        let empty = if h.won + h.lost == 0 { higher } else { lower };
        out.verdict_text = format!(
            "Tier {higher} vs Tier {lower}: cannot compare, Tier {empty} has no closed deals"
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
    out.test = ComparisonTest::NewcombeClustered;
    out.p_value = Some(p);
    out.p_value_holm = Some(p_holm);
    let mdd = minimum_detectable_difference(&a, &b, alpha / family.size.max(1) as f64, POWER);
    out.minimum_detectable_difference = mdd;
    out.quarters_needed = mdd
        .filter(|&d| d > TARGET_DIFFERENCE)
        .map(|d| family.window_days.max(1.0) / DAYS_PER_QUARTER * (d / TARGET_DIFFERENCE).powi(2));
    let p90 = win_within_lead_horizon(h).zip(win_within_lead_horizon(l));
    let lead = p90.and(lead_reason(family.open_share, reordered(h, l)));
    let beside = match (p90, &lead) {
        (Some((x, y)), None) => format!(", P(win ≤ 90 d) {:.1}% vs {:.1}%", 100.0 * x, 100.0 * y),
        _ => String::new(),
    };
    let (verdict, text) = verdict_text(&out, &a, &b, alpha, &beside);
    out.verdict = verdict;
    out.verdict_text = match (p90, lead) {
        (Some((x, y)), Some(why)) => format!(
            "Tier {higher} vs Tier {lower} by P(win ≤ 90 d), which counts open deals: {:.1}% vs {:.1}% ({why}). On closed deals alone: {text}",
            100.0 * x,
            100.0 * y
        ),
        _ => text,
    };
    out
}

/// The verdict and its sentence for a computed comparison.
fn verdict_text(
    c: &TierComparison,
    a: &ClusteredRate,
    b: &ClusteredRate,
    alpha: f64,
    beside: &str,
) -> (PairVerdict, String) {
    let (higher, lower) = (c.higher, c.lower);
    let rates = format!(
        "{:.1}% vs {:.1}% of closed deals won{beside}, {} and {} deals from {} and {} accounts",
        100.0 * a.rate,
        100.0 * b.rate,
        a.closed,
        b.closed,
        a.accounts,
        b.accounts
    );
    let p_holm = c.p_value_holm.unwrap_or(1.0);
    let evidence = match (c.difference_interval, c.difference_interval_confidence) {
        (Some(iv), Some(conf)) => format!(
            "difference {:+.1} points, {} CI {:+.1} to {:+.1}; two-sided, accounts as clusters, Holm-adjusted {}",
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

/// Tier 1 vs 2 and Tier 2 vs 3 with Holm's correction across them, and the
/// verdict in words (its first comparison). `window_days` is the span of
/// deal creation dates the tiers' figures cover.
pub fn comparisons(
    tiers: &[TierFigures],
    confidence: f64,
    window_days: f64,
) -> (String, Vec<TierComparison>) {
    let get = |t: u8| {
        tiers
            .iter()
            .find(|f| f.tier == Some(t))
            .map(|f| &f.outcomes)
    };
    let pairs: Vec<(u8, &OutcomeFigures, u8, &OutcomeFigures)> = [(1u8, 2u8), (2, 3)]
        .into_iter()
        .filter_map(|(a, b)| Some((a, get(a)?, b, get(b)?)))
        .collect();
    let raw: Vec<f64> = pairs
        .iter()
        .map(|(_, h, _, l)| raw_p_value(h, l).unwrap_or(f64::NAN))
        .collect();
    let adjusted = holm(&raw);
    let family = Family {
        confidence,
        size: raw.iter().filter(|p| !p.is_nan()).count().max(1),
        window_days,
        open_share: open_share(tiers),
    };
    let out: Vec<TierComparison> = pairs
        .iter()
        .zip(&adjusted)
        .map(|(&(a, h, b, l), &p)| compare(a, h, b, l, p, &family))
        .collect();
    let verdict = match out.first() {
        None => "Fewer than two of Tier 1, 2 and 3 are present: no comparison".to_string(),
        Some(c) => c.verdict_text.clone(),
    };
    (verdict, out)
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
    let tiers = tier_figures(tier, deals, &in_window, opts);
    verdict_on(tiers, deals, range, label, opts, in_icp)
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
    let mut accounts: [std::collections::BTreeSet<u32>; 4] = Default::default();
    for i in (0..deals.len()).filter(|&i| in_window(i)) {
        accounts[group(deal_tier[i])].insert(deals.account[i]);
    }
    let tiers = figures_by_group(
        &|i| group(deal_tier[i]),
        accounts.map(|a| a.len() as u64),
        deals,
        &in_window,
        opts,
    );
    verdict_on(tiers, deals, range, label, opts, in_icp)
}

/// The verdict, comparisons and ICP gap from per-tier figures.
fn verdict_on(
    tiers: Vec<TierFigures>,
    deals: &Deals,
    range: DayRange,
    label: &str,
    opts: &FigureOptions,
    in_icp: Option<&[bool]>,
) -> CurrentTiers {
    let in_window = |i: usize| (range.from..=range.to).contains(&deals.created[i]);
    let days = f64::from(range.to - range.from + 1);
    let (verdict, comparisons) = comparisons(&tiers, opts.confidence, days);
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
    (0..4)
        .filter(|&g| counts[g] > 0)
        .map(|g| TierFigures {
            tier: (g < 3).then_some(g as u8 + 1),
            outcomes: figures(deals, &idx[g], counts[g], opts),
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
mod tests {
    use super::*;
    use crate::outcomes::{TimeToWin, Velocity};
    use crate::stats::conversion::newcombe_diff_interval;
    use crate::stats::prec::{close, EXACT_EPS};

    fn fig(won: u64, lost: u64) -> OutcomeFigures {
        OutcomeFigures {
            accounts: won + lost,
            deals: won + lost,
            won,
            lost,
            open: 0,
            win_rate: Some(won as f64 / (won + lost) as f64),
            win_rate_interval: None,
            design_effect: Some(1.0),
            median_days_to_win_won_only: None,
            time_to_win: TimeToWin {
                horizons: vec![],
                curve: vec![],
                median_days_to_win: None,
                eventual_win_probability: None,
            },
            pipeline_value: 0.0,
            won_value: 0.0,
            velocity: Velocity {
                closed_deals: won + lost,
                win_rate: None,
                avg_won_amount: None,
                avg_cycle_days: None,
                deals_per_account_per_quarter: None,
                win_probability_90d: None,
                value_per_account_per_quarter: None,
            },
        }
    }

    fn tiers(figs: &[(u64, u64)]) -> Vec<TierFigures> {
        figs.iter()
            .enumerate()
            .map(|(i, &(w, l))| TierFigures {
                tier: Some(i as u8 + 1),
                outcomes: fig(w, l),
            })
            .collect()
    }

    /// Alone, a comparison is tested at 5% and its interval is the 95%
    /// Newcombe interval; the verdict follows the interval.
    #[test]
    fn a_single_comparison_is_its_own_family() {
        let (_, c) = comparisons(&tiers(&[(30, 70), (20, 80)]), 0.95, 91.0);
        assert_eq!(c.len(), 1);
        let c = &c[0];
        assert_eq!(c.p_value, c.p_value_holm);
        assert!(close(
            c.difference_interval_confidence.unwrap(),
            0.95,
            0.0,
            EXACT_EPS
        ));
        let newcombe = newcombe_diff_interval(30, 100, 20, 100, 0.95).unwrap();
        let iv = c.difference_interval.unwrap();
        assert!(close(iv.lo, newcombe.lo, 0.0, 1e-12) && close(iv.hi, newcombe.hi, 0.0, 1e-12));
        assert_eq!(
            c.verdict == PairVerdict::NoSignificantDifference,
            iv.lo <= 0.0
        );
    }

    /// Two comparisons with raw p-values p1 < p2: Holm multiplies the
    /// smaller by 2 and the larger by max(2·p1, p2)/p2, and each interval
    /// is at 1 − 0.05·p/p_holm, so it touches 0 exactly at the corrected level.
    #[test]
    fn holm_sets_the_verdict_and_the_interval_level() {
        let (_, c) = comparisons(&tiers(&[(62, 38), (45, 55), (36, 64)]), 0.95, 91.0);
        let (p1, p2) = (c[0].p_value.unwrap(), c[1].p_value.unwrap());
        let expected = holm(&[p1, p2]);
        assert_eq!(c[0].p_value_holm, Some(expected[0]));
        assert_eq!(c[1].p_value_holm, Some(expected[1]));
        for x in &c {
            let iv = x.difference_interval.unwrap();
            let significant = x.p_value_holm.unwrap() < 0.05;
            assert_eq!(significant, iv.lo > 0.0 || iv.hi < 0.0, "{x:?}");
            assert_eq!(
                significant,
                x.verdict != PairVerdict::NoSignificantDifference
            );
        }
        // 62/100 vs 45/100 is significant raw (p ≈ 0.016) but the level is
        // 2.5% for the smaller of two p-values.
        assert!(p1 < 0.05 && c[0].p_value_holm.unwrap() > p1, "{c:?}");
    }

    #[test]
    fn a_significant_inversion_is_called_one() {
        let (_, c) = comparisons(&tiers(&[(5, 95), (40, 60)]), 0.95, 91.0);
        assert_eq!(c[0].verdict, PairVerdict::Inverted);
        assert!(c[0]
            .verdict_text
            .starts_with("Tier 1 converts worse than Tier 2"));
        assert!(c[0].difference_interval.unwrap().hi < 0.0);
    }

    /// 30/100 vs 20/100 over one quarter, one deal per account, alone:
    /// detectable difference (1.959964 + 0.841621)·sqrt(0.1875·0.02) =
    /// 0.171561, so a 10-point difference needs (1.71561)² = 2.943 quarters.
    #[test]
    fn the_detectable_difference_and_quarters_needed_match_the_hand_computation() {
        let (_, c) = comparisons(&tiers(&[(30, 70), (20, 80)]), 0.95, DAYS_PER_QUARTER);
        let d = c[0].minimum_detectable_difference.unwrap();
        assert!(close(d, 0.171_561, 0.0, 1e-6), "{d}");
        let q = c[0].quarters_needed.unwrap();
        assert!(close(q, (d / 0.1).powi(2), 0.0, EXACT_EPS), "{q}");
        assert!(
            c[0].verdict_text.contains("about 3 quarters"),
            "{}",
            c[0].verdict_text
        );
    }

    /// A recent window as of day 200, every deal created on day 100, one
    /// deal per account: Tier 1 wins 10 and loses 10 on day 130; Tier 2
    /// wins 6 on day 130 and its other 14 deals are `tier2_rest`, closed
    /// on day 130 + `rest_days` or (None) still open.
    fn recent_window(rest: Option<(OutcomeLabel, i32)>) -> CurrentTiers {
        let mut outcome = vec![OutcomeLabel::Won; 10];
        outcome.extend([OutcomeLabel::Lost; 10]);
        outcome.extend([OutcomeLabel::Won; 6]);
        let mut closed = vec![130; 26];
        outcome.extend([rest.map_or(OutcomeLabel::Open, |r| r.0); 14]);
        closed.extend([rest.map_or(200, |r| r.1); 14]);
        let deals = Deals {
            account: (0..40).collect(),
            created: vec![100; 40],
            closed,
            outcome,
            amount: vec![1.0; 40],
            as_of: 200,
            file: crate::io::read::InputFile {
                path: "deals".into(),
                format: crate::io::read::Format::Parquet,
                rows: 40,
                sha256: String::new(),
                bytes: 0,
            },
        };
        let tier: Vec<Option<u8>> = (0..40).map(|i| Some(if i < 20 { 1 } else { 2 })).collect();
        let opts = FigureOptions {
            horizons: vec![30, 90, 180],
            confidence: 0.95,
        };
        current_tiers(
            &tier,
            &deals,
            DayRange { from: 100, to: 200 },
            "recent",
            &opts,
            None,
        )
    }

    /// Tier 2's 14 open deals leave it 6 won of 6 closed (100%) against
    /// Tier 1's 10 of 20 (50%), while P(win ≤ 90 d) is 6/20 = 30% against
    /// 50%: the measures disagree, 35% of the deals are open, and the
    /// sentence leads with P(win ≤ 90 d). The test itself is unchanged.
    #[test]
    fn open_deals_that_reorder_the_tiers_put_win_within_90_days_first() {
        let ct = recent_window(None);
        let c = &ct.comparisons[0];
        assert!(
            c.verdict_text.starts_with(
                "Tier 1 vs Tier 2 by P(win ≤ 90 d), which counts open deals: 50.0% vs 30.0% (35% of this window's deals are still open and the two measures order the tiers differently). On closed deals alone: "
            ),
            "{}",
            c.verdict_text
        );
        assert!(c
            .verdict_text
            .contains("50.0% vs 100.0% of closed deals won, 20 and 6 deals"));
        assert_eq!(ct.verdict, c.verdict_text);
        let p = raw_p_value(&ct.tiers[0].outcomes, &ct.tiers[1].outcomes);
        assert_eq!(c.p_value, p);
    }

    /// The same window with Tier 2's other deals lost on day 190 (90 days
    /// after creation): 50% vs 30% of closed deals won and P(win ≤ 90 d)
    /// 50% vs 30%, nothing open, so won / closed leads as before with
    /// P(win ≤ 90 d) beside it.
    #[test]
    fn agreeing_measures_keep_won_over_closed_first() {
        let ct = recent_window(Some((OutcomeLabel::Lost, 190)));
        let c = &ct.comparisons[0];
        assert!(
            c.verdict_text.starts_with(
                "No significant difference between Tier 1 and Tier 2 (50.0% vs 30.0% of closed deals won, P(win ≤ 90 d) 50.0% vs 30.0%, 20 and 20 deals from 20 and 20 accounts;"
            ),
            "{}",
            c.verdict_text
        );
    }

    /// Open deals alone make the measures disagree above 20% of the window.
    #[test]
    fn more_than_a_fifth_of_deals_open_is_a_disagreement() {
        assert_eq!(lead_reason(Some(0.2), false), None);
        assert_eq!(lead_reason(None, false), None);
        assert_eq!(
            lead_reason(Some(0.21), false).as_deref(),
            Some("21% of this window's deals are still open")
        );
        assert!(lead_reason(Some(0.0), true).is_some());
    }

    #[test]
    fn quarters_parse_to_their_first_and_last_day() {
        let q = parse_quarter("2026Q3").unwrap();
        assert_eq!(
            (format_date(q.from), format_date(q.to)),
            ("2026-07-01".into(), "2026-09-30".into())
        );
        let q = parse_quarter("2026-q4").unwrap();
        assert_eq!(format_date(q.to), "2026-12-31");
        assert_eq!(parse_quarter("2026Q5"), None);
        assert_eq!(quarter_of(q.to), "2026Q4");
        assert_eq!(quarter_of(q.to + 1), "2027Q1");
        let t = trailing_quarters(parse_quarter("2026Q1").unwrap().from, 3);
        let labels: Vec<&str> = t.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(labels, ["2025Q3", "2025Q4", "2026Q1"]);
    }
}
