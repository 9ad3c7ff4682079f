//! Outcome figures for a group of deals: a segment, a current tier, a
//! recommended tier. One function serves all three, so their figures are
//! defined once (see the README's "Definitions").

use serde::Serialize;

use crate::config::OutcomeLabel;
use crate::io::contract::Deals;
use crate::stats::conversion::{wilson_interval, Interval};
use crate::stats::descriptive::median;
use crate::stats::survival::{aalen_johansen, Outcome};

/// Probability of a win within a horizon (Aalen–Johansen cumulative incidence).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HorizonPoint {
    /// Days since the deal was created.
    pub days: u32,
    /// Cumulative probability (0–1) that a deal is won within `days`,
    /// with losses as a competing event and open deals censored.
    pub probability: f64,
    pub interval: Option<Interval>,
    /// Deals still open (neither won, lost nor censored) at `days`.
    pub at_risk: u64,
}

/// How fast deals are won, with open deals treated as censored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeToWin {
    pub horizons: Vec<HorizonPoint>,
    /// Days until the cumulative incidence of a win reaches half of its
    /// final value (censoring-aware).
    pub median_days_to_win: Option<f64>,
    /// Final value of the cumulative incidence of a win (0–1): the share of
    /// deals that are eventually won, estimated with open deals censored.
    pub eventual_win_probability: Option<f64>,
}

/// Sales velocity: value won per day of sales cycle, with its factors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Velocity {
    /// Closed deals (won + lost).
    pub closed_deals: u64,
    pub win_rate: Option<f64>,
    /// Mean amount of won deals, in currency units.
    pub avg_won_amount: Option<f64>,
    /// Mean days from creation to win, over won deals.
    pub avg_cycle_days: Option<f64>,
    /// closed_deals × win_rate × avg_won_amount / avg_cycle_days, currency units per day.
    pub value_per_day: Option<f64>,
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
    /// Wilson score interval for the win rate.
    pub win_rate_interval: Option<Interval>,
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
    let mut won_days = Vec::new();
    let (mut won_value, mut pipeline_value) = (0.0, 0.0);
    let mut won_amounts = 0u64;
    let mut durations = Vec::with_capacity(idx.len());
    let mut outcomes = Vec::with_capacity(idx.len());
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
                won_days.push(d);
                if !a.is_nan() {
                    won_value += a;
                    won_amounts += 1;
                }
            }
            OutcomeLabel::Lost => lost += 1,
            OutcomeLabel::Open => open += 1,
        }
        durations.push(d);
        outcomes.push(outcome(o));
    }
    let closed = won + lost;
    let win_rate = (closed > 0).then(|| won as f64 / closed as f64);
    let avg_won_amount = (won_amounts > 0).then(|| won_value / won_amounts as f64);
    let avg_cycle_days =
        (!won_days.is_empty()).then(|| won_days.iter().sum::<f64>() / won_days.len() as f64);
    let value_per_day = match (win_rate, avg_won_amount, avg_cycle_days) {
        (Some(w), Some(a), Some(c)) => Some(closed as f64 * w * a / c.max(1.0)),
        _ => None,
    };
    let time_to_win = match aalen_johansen(&durations, &outcomes) {
        Ok(cif) => TimeToWin {
            horizons: opts
                .horizons
                .iter()
                .map(|&h| {
                    let p = cif.at_with(f64::from(h), opts.confidence);
                    HorizonPoint {
                        days: h,
                        probability: p.estimate,
                        interval: Some(p.interval),
                        at_risk: p.at_risk,
                    }
                })
                .collect(),
            median_days_to_win: cif.median_time(),
            eventual_win_probability: Some(cif.at(f64::MAX).estimate),
        },
        Err(_) => TimeToWin {
            horizons: vec![],
            median_days_to_win: None,
            eventual_win_probability: None,
        },
    };
    OutcomeFigures {
        accounts,
        deals: idx.len() as u64,
        won,
        lost,
        open,
        win_rate,
        win_rate_interval: wilson_interval(won, closed, opts.confidence),
        median_days_to_win_won_only: median(&mut won_days),
        time_to_win,
        pipeline_value,
        won_value,
        velocity: Velocity {
            closed_deals: closed,
            win_rate,
            avg_won_amount,
            avg_cycle_days,
            value_per_day,
        },
    }
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
