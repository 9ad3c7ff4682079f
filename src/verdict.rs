//! The quarterly question: does Tier 1 out-convert Tier 2, and Tier 2 Tier 3?
//!
//! Each comparison is one-sided in both directions: the higher tier converts
//! better (tiers in order) or worse (an inversion). The two-proportion z-test
//! is used unless an expected cell count is under 5, where Fisher's exact
//! test is used instead. Without a significant difference the verdict says
//! how many more closed deals per tier would be needed to tell, at 80% power.

use crate::outcomes::OutcomeFigures;
use serde::Serialize;

use crate::stability::Movement;
use crate::stats::conversion::{
    fisher_exact, newcombe_diff_interval, proportions_ztest, samplesize_two_proportions,
    Alternative,
};

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
    pub difference_interval: Option<crate::stats::conversion::Interval>,
    /// `two_proportion_z` or `fisher_exact`, one-sided (higher tier converts better).
    pub test: ComparisonTest,
    pub p_value: Option<f64>,
    /// One-sided p-value for the inversion (higher tier converts worse).
    pub p_value_inversion: Option<f64>,
    /// `in_order`, `inverted` or `no_significant_difference`.
    pub verdict: PairVerdict,
    pub verdict_text: String,
    /// For `no_significant_difference`: closed deals per tier needed to tell.
    pub deals_needed_per_tier: Option<f64>,
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

/// The one-sided test a tier comparison used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComparisonTest {
    /// Not run: a tier has no closed deals (serialised as `""`).
    #[serde(rename = "")]
    None,
    TwoProportionZ,
    FisherExact,
}

impl ComparisonTest {
    /// The test's name in a verdict sentence.
    pub fn words(self) -> &'static str {
        match self {
            ComparisonTest::FisherExact => "Fisher's exact test",
            _ => "one-sided z-test",
        }
    }
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

/// Power used for the "need about M more deals" estimate.
pub const POWER: f64 = 0.8;
/// Below this expected count in any cell, Fisher's exact test replaces the z-test.
pub const MIN_EXPECTED: f64 = 5.0;

fn closed(o: &OutcomeFigures) -> u64 {
    o.won + o.lost
}

/// Compare a higher tier with a lower one.
pub fn compare(
    higher: u8,
    h: &OutcomeFigures,
    lower: u8,
    l: &OutcomeFigures,
    confidence: f64,
) -> TierComparison {
    let alpha = 1.0 - confidence;
    let (c1, n1, c2, n2) = (h.won, closed(h), l.won, closed(l));
    let mut out = TierComparison {
        higher,
        lower,
        difference: None,
        difference_interval: None,
        test: ComparisonTest::None,
        p_value: None,
        p_value_inversion: None,
        verdict: PairVerdict::NotComputed,
        verdict_text: String::new(),
        deals_needed_per_tier: None,
    };
    if n1 == 0 || n2 == 0 {
        out.verdict_text = format!(
            "Tier {higher} vs Tier {lower}: cannot compare, Tier {} has no closed deals",
            if n1 == 0 { higher } else { lower }
        );
        return out;
    }
    let (p1, p2) = (c1 as f64 / n1 as f64, c2 as f64 / n2 as f64);
    out.difference = Some(p1 - p2);
    out.difference_interval = newcombe_diff_interval(c1, n1, c2, n2, confidence);
    let (test, p_better, p_worse) = one_sided_tests(c1, n1, c2, n2);
    out.test = test;
    out.p_value = Some(p_better);
    out.p_value_inversion = Some(p_worse);
    let rates = format!(
        "{:.1}% vs {:.1}% of closed deals won, {} and {} deals",
        100.0 * p1,
        100.0 * p2,
        n1,
        n2
    );
    let test = out.test.words();
    if p_better < alpha {
        out.verdict = PairVerdict::InOrder;
        out.verdict_text = format!(
            "Tier {higher} out-converts Tier {lower}: {rates} ({test}, {})",
            crate::text::p_text(p_better)
        );
    } else if p_worse < alpha {
        out.verdict = PairVerdict::Inverted;
        out.verdict_text = format!(
            "Tier {higher} converts worse than Tier {lower}: {rates} ({test}, {})",
            crate::text::p_text(p_worse)
        );
    } else {
        out.verdict = PairVerdict::NoSignificantDifference;
        let direction = if p1 >= p2 {
            Alternative::Greater
        } else {
            Alternative::Less
        };
        let need =
            samplesize_two_proportions(p1, p2, alpha, POWER, direction).filter(|v| v.is_finite());
        out.deals_needed_per_tier = need;
        let more = need.map(|m| ((m.ceil() - n1.min(n2) as f64).max(0.0)) as u64);
        out.verdict_text = match more {
            Some(m) => format!(
                "No significant difference between Tier {higher} and Tier {lower} with {} deals ({rates}): need about {m} more closed deals per tier to tell",
                n1 + n2
            ),
            None => format!(
                "No significant difference between Tier {higher} and Tier {lower} with {} deals ({rates}): the rates are equal",
                n1 + n2
            ),
        };
    }
    out
}

/// Both one-sided p-values (the higher tier converts better; worse), by
/// Fisher's exact test where an expected cell count is under
/// [`MIN_EXPECTED`] or every deal has one outcome, else the z-test.
fn one_sided_tests(c1: u64, n1: u64, c2: u64, n2: u64) -> (ComparisonTest, f64, f64) {
    let n = (n1 + n2) as f64;
    let wins = (c1 + c2) as f64;
    let min_expected = [
        n1 as f64 * wins / n,
        n1 as f64 * (n - wins) / n,
        n2 as f64 * wins / n,
        n2 as f64 * (n - wins) / n,
    ]
    .into_iter()
    .fold(f64::INFINITY, f64::min);
    if min_expected < MIN_EXPECTED || c1 + c2 == 0 || c1 + c2 == n1 + n2 {
        let table = [[c1, n1 - c1], [c2, n2 - c2]];
        (
            ComparisonTest::FisherExact,
            fisher_exact(table, Alternative::Greater).p_value,
            fisher_exact(table, Alternative::Less).p_value,
        )
    } else {
        let g = proportions_ztest(c1, n1, c2, n2, Alternative::Greater).map(|t| t.p_value);
        let l = proportions_ztest(c1, n1, c2, n2, Alternative::Less).map(|t| t.p_value);
        (
            ComparisonTest::TwoProportionZ,
            g.unwrap_or(1.0),
            l.unwrap_or(1.0),
        )
    }
}

/// Tier 1 vs 2 and Tier 2 vs 3, and the verdict in words (its first comparison).
pub fn comparisons(tiers: &[TierFigures], confidence: f64) -> (String, Vec<TierComparison>) {
    let get = |t: u8| {
        tiers
            .iter()
            .find(|f| f.tier == Some(t))
            .map(|f| &f.outcomes)
    };
    let mut out = Vec::new();
    for (a, b) in [(1u8, 2u8), (2, 3)] {
        if let (Some(h), Some(l)) = (get(a), get(b)) {
            out.push(compare(a, h, b, l, confidence));
        }
    }
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
    let (verdict, comparisons) = comparisons(&tiers, opts.confidence);
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
    let mut idx: [Vec<usize>; 4] = Default::default();
    for i in 0..deals.len() {
        if in_window(i) {
            let g = tier[deals.account[i] as usize].map_or(3, |t| t as usize - 1);
            idx[g].push(i);
        }
    }
    let mut counts = [0u64; 4];
    for t in tier {
        counts[t.map_or(3, |t| t as usize - 1)] += 1;
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

    fn fig(won: u64, lost: u64) -> OutcomeFigures {
        OutcomeFigures {
            accounts: 10,
            deals: won + lost,
            won,
            lost,
            open: 0,
            win_rate: Some(won as f64 / (won + lost) as f64),
            win_rate_interval: None,
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

    /// 30/100 vs 20/100: pooled p = 0.25, se = sqrt(0.25 · 0.75 · 2/100) =
    /// 0.0612372, z = 0.1 / 0.0612372 = 1.6329932, one-sided p = 1 − Φ(z) =
    /// 0.0512352: not significant at 5%, and the z-test is used (every
    /// expected count is at least 20).
    #[test]
    fn z_test_verdict_matches_the_hand_computation() {
        let c = compare(1, &fig(30, 70), 2, &fig(20, 80), 0.95);
        assert_eq!(c.test, ComparisonTest::TwoProportionZ);
        assert!(
            (c.p_value.unwrap() - 0.051_235_217).abs() < 1e-6,
            "{:?}",
            c.p_value
        );
        assert!((c.difference.unwrap() - 0.1).abs() < 1e-12);
        assert_eq!(c.verdict, PairVerdict::NoSignificantDifference);
    }

    /// 2/5 vs 0/5 has expected counts of 1 win per tier: Fisher's exact test.
    /// One-sided p = P(X ≥ 2) for X ~ Hypergeometric(N = 10, K = 2, n = 5) =
    /// C(5,2)·C(5,0)/C(10,2) = 10/45 = 0.2222.
    #[test]
    fn small_counts_switch_to_fishers_exact_test() {
        let c = compare(1, &fig(2, 3), 2, &fig(0, 5), 0.95);
        assert_eq!(c.test, ComparisonTest::FisherExact);
        assert!(
            (c.p_value.unwrap() - 10.0 / 45.0).abs() < 1e-12,
            "{:?}",
            c.p_value
        );
    }

    /// 120/400 vs 100/400 (30% vs 25%): z = 1.5836, p = 0.0566, not
    /// significant. Deals per tier needed at α = 5% one-sided and 80% power:
    /// p̄ = 0.275, σ0 = sqrt(2 · 0.275 · 0.725) = 0.6314665,
    /// σ1 = sqrt(0.3 · 0.7 + 0.25 · 0.75) = 0.6304760,
    /// n = ((1.6448536 · σ0 + 0.8416212 · σ1) / 0.05)² = 985.07,
    /// so about 986 − 400 = 586 more closed deals per tier.
    #[test]
    fn need_about_m_more_deals_matches_the_hand_computation() {
        let c = compare(1, &fig(120, 280), 2, &fig(100, 300), 0.95);
        assert_eq!(c.verdict, PairVerdict::NoSignificantDifference);
        assert!(
            (c.deals_needed_per_tier.unwrap() - 985.071).abs() < 1e-3,
            "{:?}",
            c.deals_needed_per_tier
        );
        assert!(
            c.verdict_text
                .contains("need about 586 more closed deals per tier"),
            "{}",
            c.verdict_text
        );
        // The same numbers the other way round are an inversion of the same size.
        let inv = compare(1, &fig(100, 300), 2, &fig(120, 280), 0.95);
        assert!(
            inv.verdict_text.contains("need about 586 more"),
            "{}",
            inv.verdict_text
        );
    }

    #[test]
    fn a_significant_inversion_is_called_one() {
        let c = compare(1, &fig(5, 95), 2, &fig(40, 60), 0.95);
        assert_eq!(c.verdict, PairVerdict::Inverted);
        assert!(c
            .verdict_text
            .starts_with("Tier 1 converts worse than Tier 2"));
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
