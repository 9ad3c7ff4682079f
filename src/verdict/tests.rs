use super::*;
use crate::stats::conversion::newcombe_diff_interval;
use crate::stats::prec::{close, EXACT_EPS};

fn deals_of(
    account: Vec<u32>,
    created: Vec<i32>,
    closed: Vec<i32>,
    outcome: Vec<OutcomeLabel>,
    as_of: i32,
) -> Deals {
    let mut deals = Deals::in_memory(account, created, closed, outcome, as_of);
    deals.amount = vec![1.0; deals.len()];
    deals
}

/// Tier `t + 1` has `figs[t].0` won and `figs[t].1` lost deals, one per
/// account, all closed: compared as `current_tiers` would.
fn compared(figs: &[(u64, u64)], window_days: f64) -> (String, Vec<TierComparison>) {
    let (mut tier, mut outcome) = (Vec::new(), Vec::new());
    for (t, &(w, l)) in figs.iter().enumerate() {
        for k in 0..w + l {
            tier.push(Some(t as u8 + 1));
            outcome.push(if k < w {
                OutcomeLabel::Won
            } else {
                OutcomeLabel::Lost
            });
        }
    }
    let n = tier.len();
    let deals = deals_of(
        (0..n as u32).collect(),
        vec![0; n],
        vec![30; n],
        outcome,
        90,
    );
    let opts = FigureOptions {
        horizons: vec![],
        confidence: 0.95,
    };
    let all = |_: usize| true;
    let tiers = tier_figures(&tier, &deals, &all, &opts);
    tier_comparisons(&tier, &deals, &all, &tiers, 0.95, window_days)
}

/// Alone, a comparison is tested at 5% and its interval is the 95%
/// Newcombe interval; the verdict follows the interval.
#[test]
fn a_single_comparison_is_its_own_family() {
    let (_, c) = compared(&[(30, 70), (20, 80)], 91.0);
    assert_eq!(c.len(), 1);
    let c = &c[0];
    assert_eq!(c.basis, ComparisonBasis::ClosedDeals);
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
    let (_, c) = compared(&[(62, 38), (45, 55), (36, 64)], 91.0);
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
    let (_, c) = compared(&[(5, 95), (40, 60)], 91.0);
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
    let (_, c) = compared(&[(30, 70), (20, 80)], DAYS_PER_QUARTER);
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

/// Three Tier 1 accounts lose all 24 of their deals (8 each); Tier 2
/// wins 90 of 300, one deal per account. Deal by deal this is p ≈ 0.002;
/// with every account agreeing the accounts are the effective sample
/// (Kish: 24²/(3·8²) = 3 effective deals), and the Newcombe interval on
/// 0/3 vs 90/300 touches 0 at p = 0.26.
#[test]
fn three_accounts_that_lose_every_deal_are_three_not_twenty_four() {
    let mut account: Vec<u32> = (0..24).map(|i| i / 8).collect();
    account.extend(3..303);
    let mut outcome = vec![OutcomeLabel::Lost; 24];
    outcome.extend((0..300).map(|k| {
        if k < 90 {
            OutcomeLabel::Won
        } else {
            OutcomeLabel::Lost
        }
    }));
    let deals = deals_of(account, vec![0; 324], vec![30; 324], outcome, 90);
    let tier: Vec<Option<u8>> = (0..303).map(|a| Some(if a < 3 { 1 } else { 2 })).collect();
    let opts = FigureOptions {
        horizons: vec![],
        confidence: 0.95,
    };
    let ct = current_tiers(
        &tier,
        &deals,
        DayRange { from: 0, to: 90 },
        "all",
        &opts,
        None,
    );
    let c = &ct.comparisons[0];
    assert_eq!(c.verdict, PairVerdict::NoSignificantDifference, "{c:?}");
    assert!(!inverted(&ct));
    assert!(c.accounts_as_unit && c.on_basis[0].accounts_as_unit);
    assert!(
        close(c.on_basis[0].effective_deals, 3.0, 0.0, EXACT_EPS),
        "{c:?}"
    );
    assert_eq!(c.on_basis[0].accounts, 3);
    let p = c.p_value.unwrap();
    assert!((0.24..0.28).contains(&p), "{p}");
    assert!(
        c.verdict_text.contains("accounts as the unit in Tier 1"),
        "{}",
        c.verdict_text
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
    let deals = deals_of((0..40).collect(), vec![100; 40], closed, outcome, 200);
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
/// Tier 1's 10 of 20 (50%), while P(win ≤ 100 d), the longest horizon
/// Tier 2's deals have been followed to, is 6/20 = 30% against 50%: the
/// comparison is made on the latter, with open deals censored.
#[test]
fn open_deals_move_the_comparison_to_win_within_a_horizon() {
    let ct = recent_window(None);
    let c = &ct.comparisons[0];
    assert_eq!(c.basis, ComparisonBasis::WinWithinHorizon);
    assert_eq!(c.test, ComparisonTest::NewcombeClusteredCumulativeIncidence);
    assert_eq!(c.horizon_days, Some(100.0));
    assert_eq!(c.follow_up_needed_days, Some(30.0));
    let est: Vec<f64> = c.on_basis.iter().map(|t| t.estimate).collect();
    assert!(
        close(est[0], 0.5, 0.0, EXACT_EPS) && close(est[1], 0.3, 0.0, EXACT_EPS),
        "{est:?}"
    );
    assert!(
        c.verdict_text.starts_with(
            "No significant difference between Tier 1 and Tier 2 (50.0% vs 30.0% won within 100 days (open deals censored), 20 and 20 deals from 20 and 20 accounts;"
        ),
        "{}",
        c.verdict_text
    );
    assert!(
        c.verdict_text.contains("Compared on P(win ≤ 100 d)"),
        "{}",
        c.verdict_text
    );
    assert_eq!(ct.verdict, c.verdict_text);
    // Without censoring, one deal per account, the figure on the basis
    // is P(win ≤ 100 d) with the plain Newcombe interval on 20 deals each.
    let iv =
        newcombe_diff_interval(10, 20, 6, 20, c.difference_interval_confidence.unwrap()).unwrap();
    let got = c.difference_interval.unwrap();
    assert!(
        close(got.lo, iv.lo, 0.0, 1e-9) && close(got.hi, iv.hi, 0.0, 1e-9),
        "{got:?} {iv:?}"
    );
}

/// The same window with Tier 2's other deals lost on day 190: nothing
/// open, so won / closed is the eventual rate and the basis.
#[test]
fn a_window_with_every_deal_closed_is_compared_on_won_over_closed() {
    let ct = recent_window(Some((OutcomeLabel::Lost, 190)));
    let c = &ct.comparisons[0];
    assert_eq!(c.basis, ComparisonBasis::ClosedDeals);
    assert!(
        c.verdict_text.starts_with(
            "No significant difference between Tier 1 and Tier 2 (50.0% vs 30.0% of closed deals won, 20 and 20 deals from 20 and 20 accounts;"
        ),
        "{}",
        c.verdict_text
    );
}

/// Tier 1 wins on day 150 of each deal and Tier 2 on day 20; every
/// deal was created 60 days before the as-of date. Tier 2 has decided,
/// Tier 1 has not: its wins take 150 days, its deals have been followed
/// 60. Not yet comparable, no p-value, never an inversion.
#[test]
fn deals_too_young_for_the_slower_tier_are_not_yet_comparable() {
    // Accounts 0–39 Tier 1, 40–79 Tier 2. Old deals (created day 0,
    // as of 400) show each tier's cycle; the window holds the young ones.
    let (mut account, mut created, mut closed, mut outcome) = (vec![], vec![], vec![], vec![]);
    for a in 0..80u32 {
        let cycle = if a < 40 { 150 } else { 20 };
        for (c, o) in [
            (0, OutcomeLabel::Won),
            (10, OutcomeLabel::Lost),
            (340, OutcomeLabel::Won),
            (340, OutcomeLabel::Lost),
        ] {
            account.push(a);
            created.push(c);
            let end = c + cycle;
            let (end, o) = if end > 400 {
                (400, OutcomeLabel::Open)
            } else {
                (end, o)
            };
            closed.push(end);
            outcome.push(o);
        }
    }
    let deals = deals_of(account, created, closed, outcome, 400);
    let tier: Vec<Option<u8>> = (0..80).map(|a| Some(if a < 40 { 1 } else { 2 })).collect();
    let opts = FigureOptions {
        horizons: vec![90],
        confidence: 0.95,
    };
    let ct = current_tiers(
        &tier,
        &deals,
        DayRange { from: 300, to: 400 },
        "recent",
        &opts,
        None,
    );
    let c = &ct.comparisons[0];
    assert_eq!(c.verdict, PairVerdict::NotYetComparable, "{c:?}");
    assert_eq!(c.basis, ComparisonBasis::NotYetComparable);
    assert_eq!(c.follow_up_needed_days, Some(150.0));
    assert_eq!((c.p_value, c.test), (None, ComparisonTest::None));
    assert!(!inverted(&ct));
    assert!(
        c.verdict_text
            .starts_with("Tier 1 vs Tier 2: not yet comparable: "),
        "{}",
        c.verdict_text
    );
    // The whole history, old deals included, is comparable.
    let all = current_tiers(
        &tier,
        &deals,
        DayRange { from: 0, to: 400 },
        "all",
        &opts,
        None,
    );
    assert_eq!(
        all.comparisons[0].basis,
        ComparisonBasis::WinWithinHorizon,
        "{:?}",
        all.comparisons[0]
    );
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
