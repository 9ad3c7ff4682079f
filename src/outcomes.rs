//! Outcome figures for a group of deals: a segment, a current tier, a
//! recommended tier. One function serves all three, so their figures are
//! defined once (see `docs/methods.md`, "Definitions").

use std::borrow::Cow;

use serde::Serialize;

use crate::domain::OutcomeLabel;
use crate::io::contract::Deals;
#[cfg(doc)]
use crate::stats::cif_compare::clustered_point;
use crate::stats::cif_compare::{influence_by_day, outcome_slot, with_design_effect};
use crate::stats::clustered::{AccountCounts, ClusteredRate};
use crate::stats::conversion::Interval;
use crate::stats::descriptive::median_counts;
use crate::stats::influence::ClusterSums;
use crate::stats::survival::{aalen_johansen_counts, CumulativeIncidence, Outcome, TimeCounts};

/// Probability of a win within a horizon (Aalen–Johansen cumulative incidence).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HorizonPoint {
    /// Days since the deal was created.
    pub days: u32,
    /// Cumulative probability (0–1) that a deal is won within `days`,
    /// with losses as a competing event and open deals censored.
    pub probability: f64,
    /// Log-log interval from Aalen's variance times `design_effect`, which
    /// allows for deals clustered in accounts.
    pub interval: Option<Interval>,
    /// Deals still open (neither won, lost nor censored) at `days`.
    pub at_risk: u64,
    /// Cluster-robust over deal-by-deal variance of `probability` (1 with one
    /// deal per account).
    pub design_effect: f64,
}

/// One step of the cumulative incidence of a win.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurvePoint {
    /// Days since the deal was created.
    pub days: u32,
    /// Cumulative probability (0–1) that a deal is won within `days`; it
    /// holds until the next point.
    pub probability: f64,
}

/// Most points kept in a [`TimeToWin::curve`].
pub const MAX_CURVE_POINTS: usize = 100;

/// How fast deals are won, with open deals treated as censored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeToWin {
    pub horizons: Vec<HorizonPoint>,
    /// The cumulative incidence of a win as a step function, from day 0 to
    /// the last observed day: one point per day with a win, or, when there
    /// are more than [`MAX_CURVE_POINTS`] such days, its value on an even
    /// grid of that many days. For charts; the horizons carry intervals.
    pub curve: Vec<CurvePoint>,
    /// Days until the cumulative incidence of a win reaches half of its
    /// final value (censoring-aware).
    pub median_days_to_win: Option<f64>,
    /// Final value of the cumulative incidence of a win (0–1): the share of
    /// deals that are eventually won, estimated with open deals censored.
    pub eventual_win_probability: Option<f64>,
}

/// Sales velocity: value won per account per quarter, with its factors.
/// Unlike value per day of sales cycle, it does not grow with the size of
/// the group or with how many years of deals are read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Velocity {
    /// Closed deals (won + lost).
    pub closed_deals: u64,
    pub win_rate: Option<f64>,
    /// Mean amount of won deals, in currency units.
    pub avg_won_amount: Option<f64>,
    /// Mean days from creation to win, over won deals (for reference; not a factor).
    pub avg_cycle_days: Option<f64>,
    /// Deals created per account of the group per quarter (91.3 days) of
    /// the window from the first deal created to the as-of date.
    pub deals_per_account_per_quarter: Option<f64>,
    /// P(win ≤ 90 days), the Aalen–Johansen cumulative incidence (0–1).
    pub win_probability_90d: Option<f64>,
    /// deals_per_account_per_quarter × win_probability_90d × avg_won_amount,
    /// currency units per account per quarter.
    pub value_per_account_per_quarter: Option<f64>,
}

/// Days in a quarter, on average.
pub const QUARTER_DAYS: f64 = 365.25 / 4.0;

/// Velocity's horizon: a win counts when it comes within this many days.
pub const VELOCITY_HORIZON_DAYS: f64 = 90.0;

/// Deals per account per quarter of the window from `first` to `as_of`
/// (days, inclusive); `None` without accounts.
pub fn deals_per_account_per_quarter(
    deals: u64,
    accounts: u64,
    first: i32,
    as_of: i32,
) -> Option<f64> {
    let quarters = f64::from((as_of - first).max(0) + 1) / QUARTER_DAYS;
    (accounts > 0).then(|| deals as f64 / accounts as f64 / quarters)
}

/// Everything reported about a group of deals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeFigures {
    pub accounts: u64,
    pub deals: u64,
    pub won: u64,
    pub lost: u64,
    pub open: u64,
    /// won / (won + lost), 0–1; null without closed deals.
    pub win_rate: Option<f64>,
    /// Wilson score interval for the win rate on the effective number of
    /// closed deals (closed deals / `design_effect`): deals of one account
    /// are not independent.
    pub win_rate_interval: Option<Interval>,
    /// Delete-one-account jackknife variance of the win rate over the
    /// binomial variance, at least 1 (1 with one deal per account); null
    /// without closed deals.
    pub design_effect: Option<f64>,
    /// Median days from creation to win over won deals only (biased: ignores
    /// open and lost deals; shown for comparison).
    pub median_days_to_win_won_only: Option<f64>,
    pub time_to_win: TimeToWin,
    /// Sum of all deal amounts (pipeline created), currency units.
    pub pipeline_value: f64,
    /// Sum of won deal amounts, currency units.
    pub won_value: f64,
    pub velocity: Velocity,
}

/// Options shared by every group's figures.
#[derive(Debug, Clone)]
pub struct FigureOptions {
    pub horizons: Vec<u32>,
    pub confidence: f64,
}

pub fn outcome(o: OutcomeLabel) -> Outcome {
    match o {
        OutcomeLabel::Won => Outcome::Won,
        OutcomeLabel::Lost => Outcome::Lost,
        OutcomeLabel::Open => Outcome::Open,
    }
}

/// Figures for the deals `idx` (indices into `deals`) of a group of `accounts` accounts.
pub fn figures(
    deals: &Deals,
    idx: &[usize],
    accounts: u64,
    opts: &FigureOptions,
) -> OutcomeFigures {
    let (mut won, mut lost, mut open) = (0u64, 0u64, 0u64);
    let (mut won_value, mut pipeline_value) = (0.0, 0.0);
    let mut won_amounts = 0u64;
    let mut won_days_sum = 0.0;
    // Durations are whole days: count deals per day instead of sorting them.
    let days_len = idx
        .iter()
        .map(|&i| deals.days(i) as usize + 1)
        .max()
        .unwrap_or(0);
    let mut by_day: Vec<TimeCounts> = (0..days_len)
        .map(|d| TimeCounts {
            time: d as f64,
            ..TimeCounts::default()
        })
        .collect();
    for &i in idx {
        let o = deals.outcome[i];
        let d = deals.duration(i);
        let a = deals.amount[i];
        if !a.is_nan() {
            pipeline_value += a;
        }
        match o {
            OutcomeLabel::Won => {
                won += 1;
                won_days_sum += d;
                if !a.is_nan() {
                    won_value += a;
                    won_amounts += 1;
                }
            }
            OutcomeLabel::Lost => lost += 1,
            OutcomeLabel::Open => open += 1,
        }
        by_day[deals.days(i) as usize].add(outcome(o));
    }
    let closed = won + lost;
    let win_rate = (closed > 0).then(|| won as f64 / closed as f64);
    let ordered = in_account_order(deals, idx);
    let clustered = clustered_rate_ordered(deals, &ordered);
    let avg_won_amount = (won_amounts > 0).then(|| won_value / won_amounts as f64);
    let avg_cycle_days = (won > 0).then(|| won_days_sum / won as f64);
    let cif = (!idx.is_empty()).then(|| aalen_johansen_counts(&by_day));
    let win_probability_90d = cif.as_ref().map(|c| c.at(VELOCITY_HORIZON_DAYS).estimate);
    let per_quarter = deals_per_account_per_quarter(
        idx.len() as u64,
        accounts,
        deals.first_created(),
        deals.as_of,
    );
    let value_per_account_per_quarter = match (per_quarter, win_probability_90d, avg_won_amount) {
        (Some(d), Some(p), Some(a)) => Some(d * p * a),
        _ => None,
    };
    let time_to_win = time_to_win(cif.as_ref(), deals, &ordered, days_len, opts);
    OutcomeFigures {
        accounts,
        deals: idx.len() as u64,
        won,
        lost,
        open,
        win_rate,
        win_rate_interval: clustered.and_then(|c| c.wilson(opts.confidence)),
        design_effect: clustered.map(|c| c.design_effect),
        median_days_to_win_won_only: median_counts(
            &by_day.iter().map(|t| t.won).collect::<Vec<_>>(),
        ),
        time_to_win,
        pipeline_value,
        won_value,
        velocity: Velocity {
            closed_deals: closed,
            win_rate,
            avg_won_amount,
            avg_cycle_days,
            deals_per_account_per_quarter: per_quarter,
            win_probability_90d,
            value_per_account_per_quarter,
        },
    }
}

/// Won and lost deals among `idx` and their win rate with the deals of
/// one account counted together: the part of [`figures`] a rate needs,
/// without the time to win.
pub fn rate_figures(deals: &Deals, idx: &[usize], confidence: f64) -> RateFigures {
    let (mut won, mut lost) = (0, 0);
    for &i in idx {
        match deals.outcome[i] {
            OutcomeLabel::Won => won += 1,
            OutcomeLabel::Lost => lost += 1,
            OutcomeLabel::Open => {}
        }
    }
    RateFigures {
        won,
        lost,
        win_rate: (won + lost > 0).then(|| won as f64 / (won + lost) as f64),
        interval: clustered_rate(deals, idx).and_then(|c| c.wilson(confidence)),
    }
}

/// A win rate: [`rate_figures`], or these fields of [`OutcomeFigures`].
pub struct RateFigures {
    pub won: u64,
    pub lost: u64,
    pub win_rate: Option<f64>,
    pub interval: Option<Interval>,
}

impl From<&OutcomeFigures> for RateFigures {
    fn from(f: &OutcomeFigures) -> Self {
        RateFigures {
            won: f.won,
            lost: f.lost,
            win_rate: f.win_rate,
            interval: f.win_rate_interval,
        }
    }
}

/// The deals `idx` in account order (stably): borrowed when they already
/// are, as when the deals come in account order.
fn in_account_order<'a>(deals: &Deals, idx: &'a [usize]) -> Cow<'a, [usize]> {
    if idx.is_sorted_by_key(|&i| deals.account[i]) {
        Cow::Borrowed(idx)
    } else {
        let mut idx = idx.to_vec();
        idx.sort_by_key(|&i| deals.account[i]);
        Cow::Owned(idx)
    }
}

/// P(won within each horizon) with account-clustered intervals, the curve,
/// the median and the eventual win probability of the deals `ordered`
/// (in account order, all shorter than `days_len` days), from their
/// cumulative incidence `cif` (`None`: no deals).
fn time_to_win(
    cif: Option<&CumulativeIncidence>,
    deals: &Deals,
    ordered: &[usize],
    days_len: usize,
    opts: &FigureOptions,
) -> TimeToWin {
    let Some(cif) = cif else {
        return TimeToWin {
            horizons: vec![],
            curve: vec![],
            median_days_to_win: None,
            eventual_win_probability: None,
        };
    };
    let design_effects = horizon_design_effects(cif, deals, ordered, days_len, &opts.horizons);
    let horizons = (opts.horizons.iter().zip(design_effects))
        .map(|(&h, (deff, clusters))| {
            let p = cif.at(f64::from(h));
            let c = with_design_effect(cif, f64::from(h), deff, clusters, opts.confidence);
            HorizonPoint {
                days: h,
                probability: p.estimate,
                interval: Some(c.interval),
                at_risk: p.at_risk,
                design_effect: c.design_effect,
            }
        })
        .collect();
    TimeToWin {
        horizons,
        curve: curve(cif),
        median_days_to_win: cif.median_time(),
        eventual_win_probability: Some(cif.at(f64::MAX).estimate),
    }
}

/// The design effect of the deals `ordered` (in account order, all shorter
/// than `days_len` days) on `cif` at each horizon, with the number of
/// accounts: the figures of [`clustered_point`], in one pass over the deals
/// with each deal's influence read from a table by day and outcome.
fn horizon_design_effects(
    cif: &CumulativeIncidence,
    deals: &Deals,
    ordered: &[usize],
    days_len: usize,
    horizons: &[u32],
) -> Vec<(f64, usize)> {
    let tables: Vec<Vec<[f64; 3]>> = (horizons.iter())
        .map(|&h| influence_by_day(cif, f64::from(h), days_len))
        .collect();
    let mut sums = vec![ClusterSums::default(); horizons.len()];
    let mut values = Vec::new();
    for run in ordered.chunk_by(|&i, &j| deals.account[i] == deals.account[j]) {
        for (table, sums) in tables.iter().zip(&mut sums) {
            values.clear();
            values.extend(
                (run.iter()).map(|&i| {
                    table[deals.days(i) as usize][outcome_slot(outcome(deals.outcome[i]))]
                }),
            );
            sums.add(&mut values);
        }
    }
    sums.iter()
        .map(|s| (s.design_effect(), s.clusters))
        .collect()
}

/// The win rate of the deals `idx` (in any order) with their accounts as
/// clusters; `None` without closed deals.
pub fn clustered_rate(deals: &Deals, idx: &[usize]) -> Option<ClusteredRate> {
    clustered_rate_ordered(deals, &in_account_order(deals, idx))
}

/// [`clustered_rate`] of deals already in account order.
fn clustered_rate_ordered(deals: &Deals, ordered: &[usize]) -> Option<ClusteredRate> {
    let by_account: Vec<AccountCounts> = (ordered
        .chunk_by(|&i, &j| deals.account[i] == deals.account[j]))
    .map(|run| {
        let mut counts = AccountCounts::default();
        for &i in run {
            match deals.outcome[i] {
                OutcomeLabel::Won => {
                    (counts.won, counts.closed) = (counts.won + 1, counts.closed + 1)
                }
                OutcomeLabel::Lost => counts.closed += 1,
                OutcomeLabel::Open => {}
            }
        }
        counts
    })
    .filter(|c| c.closed > 0)
    .collect();
    ClusteredRate::new(&by_account)
}

/// The step curve of `cif`, thinned to at most [`MAX_CURVE_POINTS`] points.
pub fn curve(cif: &CumulativeIncidence) -> Vec<CurvePoint> {
    let Some(&last) = cif.times().last() else {
        return vec![];
    };
    let last_day = last.max(0.0) as u32;
    let mut steps = vec![CurvePoint {
        days: 0,
        probability: 0.0,
    }];
    for ((&t, &f), &w) in cif.times().iter().zip(cif.cif()).zip(cif.won()) {
        if w == 0 {
            continue;
        }
        let days = t.max(0.0) as u32;
        match steps.last_mut() {
            Some(p) if p.days == days => p.probability = f,
            _ => steps.push(CurvePoint {
                days,
                probability: f,
            }),
        }
    }
    if steps.len() >= MAX_CURVE_POINTS {
        let n = (MAX_CURVE_POINTS - 1) as f64;
        steps = Vec::with_capacity(MAX_CURVE_POINTS);
        for j in 0..MAX_CURVE_POINTS {
            let days = (f64::from(last_day) * j as f64 / n).round() as u32;
            if steps.last().is_some_and(|p: &CurvePoint| p.days == days) {
                continue;
            }
            steps.push(CurvePoint {
                days,
                probability: cif.at(f64::from(days)).estimate,
            });
        }
    } else if steps.last().is_some_and(|p| p.days < last_day) {
        steps.push(CurvePoint {
            days: last_day,
            probability: *cif.cif().last().unwrap_or(&0.0),
        });
    }
    steps
}

/// Days within which a deal counts as won when no deal is ever marked lost
/// (see [`won_within`]); the horizon segments are ranked on.
pub const WON_WITHIN_DAYS: u32 = 90;

/// The deals relabelled as "won within `h` days", among deals that have had
/// `h` days to close by the as-of date: a deal won within `h` days is won,
/// any other is lost at creation + `h` days. Deals younger than `h` days are
/// left out. For funnels that never mark a deal lost, where won / closed is
/// 100% everywhere but P(win ≤ h days) still tells accounts apart.
pub fn won_within(deals: &Deals, h: u32) -> Deals {
    let h = h as i32;
    let mut out = Deals {
        account: vec![],
        created: vec![],
        closed: vec![],
        outcome: vec![],
        amount: vec![],
        as_of: deals.as_of,
        file: deals.file.clone(),
    };
    for i in (0..deals.len()).filter(|&i| deals.as_of - deals.created[i] >= h) {
        let won = deals.outcome[i] == OutcomeLabel::Won && deals.days(i) as i32 <= h;
        out.account.push(deals.account[i]);
        out.created.push(deals.created[i]);
        out.closed.push(if won {
            deals.closed[i]
        } else {
            deals.created[i] + h
        });
        out.outcome.push(if won {
            OutcomeLabel::Won
        } else {
            OutcomeLabel::Lost
        });
        out.amount.push(deals.amount[i]);
    }
    out
}

/// The deals the ICP, fit score and drivers learn from: `None` (all deals
/// as they are) unless some deals are won and open but none lost; then
/// [`won_within`] [`WON_WITHIN_DAYS`] days, with a sentence that says so.
pub fn deals_to_learn_from(deals: &Deals, overall: &OutcomeFigures) -> Option<(Deals, String)> {
    if overall.lost > 0 || overall.won == 0 || overall.open == 0 {
        return None;
    }
    let relabelled = won_within(deals, WON_WITHIN_DAYS);
    let won = relabelled
        .outcome
        .iter()
        .filter(|o| **o == OutcomeLabel::Won)
        .count();
    let note = format!(
        "No deal is marked lost, so the ICP, fit score and drivers are learned on \
         \"won within {WON_WITHIN_DAYS} days\": {won} of the {} deals created at least \
         {WON_WITHIN_DAYS} days before the as-of date (the rest count as lost; \
         [deals] stale_after_days sets when an open deal counts as lost).",
        relabelled.len()
    );
    Some((relabelled, note))
}

/// Deal indices per group, given a group per account (`None`: in no group).
pub fn group_deals(
    deals: &Deals,
    group_of_account: &[Option<usize>],
    groups: usize,
) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); groups];
    for (i, &a) in deals.account.iter().enumerate() {
        if let Some(g) = group_of_account[a as usize] {
            out[g].push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cif(durations: &[f64], outcomes: &[Outcome]) -> CumulativeIncidence {
        crate::stats::survival::aalen_johansen(durations, outcomes).unwrap()
    }

    fn point(days: u32, probability: f64) -> CurvePoint {
        CurvePoint { days, probability }
    }

    fn assert_curve(expected: &[CurvePoint], got: &[CurvePoint]) {
        assert_eq!(expected.len(), got.len(), "{got:?}");
        for (e, g) in expected.iter().zip(got) {
            assert_eq!(e.days, g.days, "{got:?}");
            assert!((e.probability - g.probability).abs() < 1e-12, "{got:?}");
        }
    }

    /// Worked by hand: at day 1, 1 of 5 at risk wins (F = 0.2, S = 0.8); at
    /// day 2, of 4 at risk one wins and one loses (F = 0.2 + 0.8/4 = 0.4,
    /// S = 0.4); the open deal at day 3 is censored; at day 5 the last deal
    /// wins (F = 0.4 + 0.4 = 0.8).
    #[test]
    fn curve_steps_at_each_day_with_a_win() {
        use Outcome::*;
        let c = cif(&[1.0, 2.0, 2.0, 3.0, 5.0], &[Won, Lost, Won, Open, Won]);
        assert_curve(
            &[point(0, 0.0), point(1, 0.2), point(2, 0.4), point(5, 0.8)],
            &curve(&c),
        );
    }

    /// Worked by hand, as of day 200: deal 0 (created day 0, won day 30) is
    /// won within 90 days; deal 1 (created 10, won day 150) is lost at day
    /// 100; deal 2 (created 50, open) is lost at 140; deal 3 (created 150,
    /// open) has had only 50 days and is left out.
    #[test]
    fn won_within_relabels_late_wins_and_old_open_deals_as_lost() {
        let deals = Deals {
            account: vec![0, 1, 2, 3],
            created: vec![0, 10, 50, 150],
            closed: vec![30, 150, 200, 200],
            outcome: vec![
                OutcomeLabel::Won,
                OutcomeLabel::Won,
                OutcomeLabel::Open,
                OutcomeLabel::Open,
            ],
            amount: vec![1.0; 4],
            as_of: 200,
            file: crate::io::read::InputFile::in_memory("deals", 4),
        };
        let r = won_within(&deals, 90);
        assert_eq!(r.account, vec![0, 1, 2]);
        assert_eq!(
            r.outcome,
            vec![OutcomeLabel::Won, OutcomeLabel::Lost, OutcomeLabel::Lost]
        );
        assert_eq!(r.closed, vec![30, 100, 140]);
    }

    /// Worked by hand: 120 deals for 10 accounts over 1461 days (four
    /// years, 16 quarters of 91.3125 days) is 0.75 deals per account per
    /// quarter; a window of one day is 1/91.3125 of a quarter.
    #[test]
    fn deals_per_account_per_quarter_divides_by_accounts_and_quarters() {
        let v = deals_per_account_per_quarter(120, 10, 0, 1460).unwrap();
        assert!((v - 0.75).abs() < 1e-12, "{v}");
        let one_day = deals_per_account_per_quarter(1, 1, 5, 5).unwrap();
        assert!((one_day - QUARTER_DAYS).abs() < 1e-12);
        assert_eq!(deals_per_account_per_quarter(3, 0, 0, 10), None);
    }

    fn random_deals(rng: &mut rand_xoshiro::Xoshiro256Plus, n: usize, sorted: bool) -> Deals {
        use rand::Rng;
        let accounts = rng.gen_range(1..=n as u32);
        let mut account: Vec<u32> = (0..n).map(|_| rng.gen_range(0..accounts)).collect();
        if sorted {
            account.sort_unstable();
        }
        let created: Vec<i32> = (0..n).map(|_| rng.gen_range(0..200)).collect();
        let closed = created.iter().map(|&c| c + rng.gen_range(0..120)).collect();
        let outcome = (0..n)
            .map(|_| {
                [OutcomeLabel::Won, OutcomeLabel::Lost, OutcomeLabel::Open][rng.gen_range(0..3)]
            })
            .collect();
        Deals {
            account,
            created,
            closed,
            outcome,
            amount: vec![1.0; n],
            as_of: 400,
            file: crate::io::read::InputFile::in_memory("deals", n as u64),
        }
    }

    /// The one-pass figures (deals in account order, influences read from a
    /// day table, a win rate per account run) equal, to the bit, the
    /// straightforward ones: the deals sorted by account, each horizon's
    /// influences searched on the curve and its design effect over them,
    /// and the win rate from sorted (account, won) pairs. On random groups
    /// of deals in and out of account order, with ties, open deals and
    /// accounts with several deals.
    #[test]
    fn one_pass_time_to_win_and_win_rate_are_the_straightforward_ones() {
        use crate::stats::cif_compare::clustered_point;
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(2121);
        let opts = FigureOptions {
            horizons: vec![1, 30, 60, 90, 180],
            confidence: 0.95,
        };
        for case in 0..200 {
            let n = rng.gen_range(1..80);
            let deals = random_deals(&mut rng, n, case % 2 == 0);
            let idx: Vec<usize> = (0..n).filter(|_| rng.gen_bool(0.8)).collect();
            let got = figures(&deals, &idx, 1, &opts);
            if idx.is_empty() {
                assert!(got.time_to_win.horizons.is_empty());
                continue;
            }
            let mut sorted = idx.clone();
            sorted.sort_by_key(|&i| deals.account[i]);
            let t: Vec<f64> = sorted.iter().map(|&i| deals.duration(i)).collect();
            let o: Vec<Outcome> = sorted.iter().map(|&i| outcome(deals.outcome[i])).collect();
            let a: Vec<u32> = sorted.iter().map(|&i| deals.account[i]).collect();
            let ci = crate::stats::survival::aalen_johansen(&t, &o).unwrap();
            for (p, &h) in got.time_to_win.horizons.iter().zip(&opts.horizons) {
                let c = clustered_point(&ci, &t, &o, &a, f64::from(h), opts.confidence);
                assert_eq!(
                    p.design_effect.to_bits(),
                    c.design_effect.to_bits(),
                    "case {case} h {h}"
                );
                let i = p.interval.unwrap();
                assert_eq!(
                    (i.lo.to_bits(), i.hi.to_bits()),
                    (c.interval.lo.to_bits(), c.interval.hi.to_bits()),
                    "case {case} h {h}"
                );
            }
            let mut pairs: Vec<(u32, u64)> = (idx.iter())
                .filter(|&&i| deals.outcome[i] != OutcomeLabel::Open)
                .map(|&i| {
                    (
                        deals.account[i],
                        u64::from(deals.outcome[i] == OutcomeLabel::Won),
                    )
                })
                .collect();
            pairs.sort_unstable();
            let by_account: Vec<AccountCounts> = (pairs.chunk_by(|x, y| x.0 == y.0))
                .map(|r| AccountCounts {
                    won: r.iter().map(|d| d.1).sum(),
                    closed: r.len() as u64,
                })
                .collect();
            let expected = ClusteredRate::new(&by_account);
            assert_eq!(
                got.design_effect.map(f64::to_bits),
                expected.map(|c| c.design_effect.to_bits()),
                "case {case}"
            );
            assert_eq!(
                got.win_rate_interval
                    .map(|i| (i.lo.to_bits(), i.hi.to_bits())),
                expected
                    .and_then(|c| c.wilson(opts.confidence))
                    .map(|i| (i.lo.to_bits(), i.hi.to_bits())),
                "case {case}"
            );
        }
    }

    #[test]
    fn curve_runs_on_to_the_last_observed_day() {
        use Outcome::*;
        let c = cif(&[1.0, 4.0, 9.0], &[Won, Lost, Open]);
        assert_curve(
            &[point(0, 0.0), point(1, 1.0 / 3.0), point(9, 1.0 / 3.0)],
            &curve(&c),
        );
    }

    #[test]
    fn curve_with_many_win_days_is_thinned_to_an_even_grid() {
        let durations: Vec<f64> = (1..=400).map(f64::from).collect();
        let c = cif(&durations, &vec![Outcome::Won; 400]);
        let got = curve(&c);
        assert!(got.len() <= MAX_CURVE_POINTS, "{}", got.len());
        assert!(got.len() > MAX_CURVE_POINTS / 2, "{}", got.len());
        assert_eq!(got[0].days, 0);
        assert_eq!(got.last().unwrap().days, 400);
        assert!((got.last().unwrap().probability - 1.0).abs() < 1e-12);
        for w in got.windows(2) {
            assert!(w[0].days < w[1].days && w[0].probability <= w[1].probability);
            // Each grid point is the estimator's value on that day.
            assert!((w[1].probability - c.at(f64::from(w[1].days)).estimate).abs() < 1e-12);
        }
    }
}
