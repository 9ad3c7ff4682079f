//! What two tiers are compared on, so that a tier whose deals take longer
//! to close is not judged on the deals that closed first.
//!
//! While deals are open, won / closed counts the fast decisions: a tier
//! whose wins take 150 days shows mostly its early losses, and looks worse
//! than a tier that wins within 45 days even when it wins more in the end.
//! So each comparison first asks how long the two tiers' wins take: the
//! 90th percentile of days to win of each tier's deals of every creation
//! date, open deals censored ([`won_cycle_quantile`]); the longer of the
//! two is the follow-up the comparison needs.
//!
//! - When every deal of both tiers in the window has closed, the tiers are
//!   compared on won / closed (`closed_deals`): it is then the eventual
//!   win rate.
//! - Otherwise on P(win ≤ H) (`win_within_horizon`): the Aalen–Johansen
//!   cumulative incidence of winning, losses competing and open deals
//!   censored, at the longest horizon H both tiers' deals in the window have
//!   been followed to ([`support`]), provided H covers the
//!   follow-up needed. Deals left open long after the won cycle count as
//!   not won by H, where won / closed would drop them. Reading at the longest common horizon rather than at
//!   the percentile itself keeps the wins after the percentile in: at the
//!   percentile the slower tier would lose a tenth of its wins.
//! - When the window's deals have not been followed that long, the tiers
//!   are `not_yet_comparable`, and the verdict says when they will be.
//!
//! Either way each tier's figure is a [`ClusteredRate`]: accounts as
//! clusters, with the delete-one-account jackknife carried over to the
//! cumulative incidence through its influences.

use serde::Serialize;

use crate::dates::format_date;
use crate::domain::OutcomeLabel;
use crate::io::contract::Deals;
use crate::outcomes::{clustered_rate, outcome};
use crate::stats::cif_compare::{
    influence_by_day, outcome_slot, support, won_cycle_quantile, AT_RISK_TO_READ,
};
use crate::stats::clustered::ClusteredRate;
use crate::stats::survival::{aalen_johansen_counts, CumulativeIncidence, Outcome, TimeCounts};

/// The share of a tier's wins the follow-up must cover: the won-cycle
/// percentile (0–1) that sets it.
pub const WON_CYCLE_SHARE: f64 = 0.9;

/// What a tier comparison is made on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComparisonBasis {
    /// Not compared: a tier has no deals to compare (serialised as `""`).
    #[serde(rename = "")]
    None,
    /// Won / closed: every deal of both tiers in the window has closed.
    ClosedDeals,
    /// P(win ≤ `horizon_days`), Aalen–Johansen, losses competing, open
    /// deals censored, at a horizon both tiers' deals have been followed to.
    WinWithinHorizon,
    /// The window's deals have not been followed long enough for either.
    NotYetComparable,
}

/// One tier's deals as a comparison reads them.
#[derive(Debug, Clone, Default)]
pub struct TierSample {
    /// The window's deals (indices into the deals), in deal order.
    pub window: Vec<usize>,
    /// The 90th percentile of days to win of the tier's deals of every
    /// creation date, open deals censored; `None` without a win.
    pub won_cycle_p90: Option<f64>,
}

/// The deals of each group (Tier 1, 2, 3, untiered: `group_of` gives a
/// deal's) in the window `in_window` selects, and each group's won cycle
/// over all its deals. One pass over the deals, days counted in histograms.
pub fn samples(
    deals: &Deals,
    group_of: &dyn Fn(usize) -> usize,
    in_window: &dyn Fn(usize) -> bool,
) -> [TierSample; 4] {
    let days_len = (0..deals.len())
        .map(|i| deals.days(i) as usize + 1)
        .max()
        .unwrap_or(0);
    let mut by_day: [Vec<TimeCounts>; 4] = std::array::from_fn(|_| empty_days(days_len));
    let mut out: [TierSample; 4] = Default::default();
    for i in 0..deals.len() {
        let g = group_of(i);
        by_day[g][deals.days(i) as usize].add(outcome(deals.outcome[i]));
        if in_window(i) {
            out[g].window.push(i);
        }
    }
    for (s, days) in out.iter_mut().zip(&by_day) {
        let ci = aalen_johansen_counts(days);
        s.won_cycle_p90 = won_cycle_quantile(&ci, WON_CYCLE_SHARE);
    }
    out
}

fn empty_days(days_len: usize) -> Vec<TimeCounts> {
    (0..days_len)
        .map(|d| TimeCounts {
            time: d as f64,
            ..TimeCounts::default()
        })
        .collect()
}

/// A comparison's basis, why, and each tier's figure on it.
#[derive(Debug, Clone)]
pub struct OnBasis {
    pub basis: ComparisonBasis,
    /// Why this basis, as a sentence.
    pub text: String,
    /// The horizon of `win_within_horizon`, days.
    pub horizon: Option<f64>,
    /// The follow-up needed: the longer won-cycle 90th percentile, days.
    pub needed: Option<f64>,
    /// The higher and the lower tier on the basis; `None` when not compared.
    pub rates: Option<(ClusteredRate, ClusteredRate)>,
}

/// The basis for comparing `higher` with `lower` (tier numbers and
/// samples), and their figures on it.
pub fn on_basis(deals: &Deals, higher: (u8, &TierSample), lower: (u8, &TierSample)) -> OnBasis {
    let (h, l) = (higher.1, lower.1);
    let slower = if h.won_cycle_p90.unwrap_or(0.0) >= l.won_cycle_p90.unwrap_or(0.0) {
        higher.0
    } else {
        lower.0
    };
    let needed = match (h.won_cycle_p90, l.won_cycle_p90) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let cycle = match needed {
        Some(d) => format!("{d:.0} days, the 90th percentile of Tier {slower}'s days to win"),
        None => "no win yet in either tier".to_string(),
    };
    let closed = |i: &usize| deals.outcome[*i] != OutcomeLabel::Open;
    if h.window.iter().chain(&l.window).all(closed) {
        let rates = clustered_rate(deals, &h.window).zip(clustered_rate(deals, &l.window));
        return OnBasis {
            basis: if rates.is_some() {
                ComparisonBasis::ClosedDeals
            } else {
                ComparisonBasis::None
            },
            text: "Compared on won / closed: every deal of both tiers in this window has closed"
                .to_string(),
            horizon: None,
            needed,
            rates,
        };
    }
    on_horizon(deals, (higher.0, h), (lower.0, l), needed, &cycle)
}

/// [`on_basis`] when some deals are still open:
/// P(win ≤ H) at the longest horizon both tiers' deals were followed to,
/// or not yet comparable when that is shorter than `needed`.
fn on_horizon(
    deals: &Deals,
    higher: (u8, &TierSample),
    lower: (u8, &TierSample),
    needed: Option<f64>,
    cycle: &str,
) -> OnBasis {
    let (ch, cl) = (
        curve(deals, &higher.1.window),
        curve(deals, &lower.1.window),
    );
    let mut out = OnBasis {
        basis: ComparisonBasis::None,
        text: String::new(),
        horizon: None,
        needed,
        rates: None,
    };
    let (Some(ch), Some(cl)) = (ch, cl) else {
        return out;
    };
    let (Some(sh), Some(sl)) = (support(&ch.0), support(&cl.0)) else {
        return out;
    };
    let reached = sh.horizon().min(sl.horizon());
    let need = needed.unwrap_or(0.0);
    if reached < need {
        let ready = deals.as_of + (need - reached).ceil() as i32;
        out.basis = ComparisonBasis::NotYetComparable;
        out.text = format!(
            "not yet comparable: won / closed would favour the tier that decides faster, and the follow-up they need is {cycle}, while this window's deals have been followed {reached:.0} days (at least {} deals of each tier still at risk); judge this window again from about {}",
            AT_RISK_TO_READ,
            format_date(ready)
        );
        return out;
    }
    // Both decided: read where the later of the two still has deals at risk.
    let horizon = if reached.is_finite() {
        reached
    } else {
        sh.last_read.max(sl.last_read)
    };
    let rates = rate_at(deals, &higher.1.window, &ch, horizon).zip(rate_at(
        deals,
        &lower.1.window,
        &cl,
        horizon,
    ));
    let reach = if reached.is_finite() {
        format!("the longest horizon both tiers' deals have been followed to, at least {} deals of each still at risk", AT_RISK_TO_READ)
    } else {
        "by which both tiers' deals have all but decided (at most 5% still undecided where 5 deals remain at risk)".to_string()
    };
    out.basis = ComparisonBasis::WinWithinHorizon;
    out.text = format!(
        "Compared on P(win ≤ {horizon:.0} d), open deals censored (Aalen–Johansen, losses competing): some deals in this window are still open, and won / closed would favour the tier that decides faster; the follow-up the tiers need is {cycle}, and {horizon:.0} days is {reach}"
    );
    out.horizon = Some(horizon);
    out.rates = rates;
    out
}

/// The cumulative incidence of the deals `idx`, with one past their longest
/// whole-day duration; `None` without deals.
fn curve(deals: &Deals, idx: &[usize]) -> Option<(CumulativeIncidence, usize)> {
    let days_len = idx.iter().map(|&i| deals.days(i) as usize + 1).max()?;
    let mut days = empty_days(days_len);
    for &i in idx {
        days[deals.days(i) as usize].add(outcome(deals.outcome[i]));
    }
    Some((aalen_johansen_counts(&days), days_len))
}

/// P(win ≤ `tau`) of the deals `idx` from their curve, as a
/// [`ClusteredRate`] with accounts as clusters.
fn rate_at(
    deals: &Deals,
    idx: &[usize],
    (ci, days_len): &(CumulativeIncidence, usize),
    tau: f64,
) -> Option<ClusteredRate> {
    let mut sorted = std::borrow::Cow::Borrowed(idx);
    if !idx.is_sorted_by_key(|&i| deals.account[i]) {
        sorted.to_mut().sort_by_key(|&i| deals.account[i]);
    }
    let idx = &sorted[..];
    let table = influence_by_day(ci, tau, *days_len);
    let mut by_account = Vec::new();
    let (mut ss, mut won, mut known) = (0.0, 0u64, 0u64);
    for run in idx.chunk_by(|&i, &j| deals.account[i] == deals.account[j]) {
        let mut sum = 0.0;
        for &i in run {
            let (o, d) = (outcome(deals.outcome[i]), deals.days(i));
            let x = table[d as usize][outcome_slot(o)];
            sum += x;
            ss += x * x;
            won += u64::from(o == Outcome::Won && f64::from(d) <= tau);
            known += u64::from(o != Outcome::Open || f64::from(d) >= tau);
        }
        by_account.push((sum, run.len() as f64));
    }
    ClusteredRate::from_influence(
        ci.at(tau).estimate,
        won,
        idx.len() as u64,
        &by_account,
        ss,
        known,
    )
}
