//! The readiness score: whether an account is in market now, from its buying
//! signals, beside the fit score (who it is); the readiness band it puts
//! each account in; and the fit × readiness matrix that says which accounts
//! of a tier to work now.
//!
//! # The model
//!
//! One ridge logistic regression of won vs lost closed training deals on
//! the encoded columns of the fit-score features and the **signal**
//! features together (the fit score's penalty; see `fit::JointTerms`):
//!
//! `logit P(win) = b₀ + β_f · fit + β_s · signals`.
//!
//! Buying signals run higher in accounts that fit (they research what they
//! are suited to buy). Fitted together, `β_s` is the signals' effect among
//! accounts of the same fit and `β_f` fit's among accounts with the same
//! signals (a signal that only rides along with fit gets `β_s ≈ 0`; see the
//! simulation test below). Fitting the fit score first and the signals on
//! its log-odds as an offset would let fit take the share of a signal that
//! runs with it, and give the signal too little.
//!
//! The model is split for the report. The **fit score** is its fit part
//! with the signals at the reference account's values `s̄` (the mean
//! encoded row of the accounts): `b₀ + β_s · s̄ + β_f · fit`. The readiness
//! part is `α + β_s · signals` with `α = −β_s · s̄`, so the two add up to
//! the joint log-odds. The **readiness score** (0–100) is
//! `100 × logistic(η̄ + α + β · signals)`, where `η̄` is the fit log-odds
//! of the reference account: the win probability a typical-fit account
//! with these signals would have. It depends on the signals alone, so two
//! accounts with the same signals have the same readiness whatever their
//! fit. `logistic(fit_log_odds + α + β · signals)` is the joint model's win
//! probability, whose calibration the validation reports.
//!
//! # Bands
//!
//! High, medium and low are the tertiles of the readiness score among the
//! accounts in the ICP at training (all accounts when the ICP is empty;
//! accounts tied at a cut share the upper band), fixed in `model.json` so
//! `score` bands new accounts by the same cuts. Tertiles rather than
//! probability cuts: a band is a share of the target list a team can work,
//! a third of it whatever the base rate; and the ICP's own tertiles, because
//! accounts that fit also show more intent, so cuts over all accounts would
//! put nearly the whole ICP in the high band and tell its accounts apart no
//! more. Accounts outside the ICP are banded by the same cuts.

use serde::{Deserialize, Serialize};

#[cfg(test)]
use super::logistic::Terms;
use super::logistic::{self, Logistic};
use super::readiness_evidence::{work_now_test, AccountDeals, WorkNowTest};
use crate::domain::OutcomeLabel;
use crate::io::contract::Deals;
use crate::outcomes::FigureOptions;
use crate::stats::conversion::Interval;
use crate::stats::descriptive::cut_between;

/// A readiness band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    Low,
    Medium,
    High,
}

impl Band {
    /// High first, as the report lists them.
    pub const ALL: [Band; 3] = [Band::High, Band::Medium, Band::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Band::High => "high",
            Band::Medium => "medium",
            Band::Low => "low",
        }
    }
}

/// Readiness scores (0–1) where the medium and high bands start.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BandThresholds {
    pub medium_min: f64,
    pub high_min: f64,
}

impl BandThresholds {
    /// The tertiles of `p`: cuts just below the values a third and two
    /// thirds of the way up the sorted scores, halfway to the next lower
    /// score ([`cut_between`]), so ties at a cut stay in the upper band.
    /// `None` without scores.
    pub fn tertiles(p: &[f64]) -> Option<BandThresholds> {
        let mut s: Vec<f64> = p.iter().copied().filter(|x| !x.is_nan()).collect();
        if s.is_empty() {
            return None;
        }
        s.sort_by(f64::total_cmp);
        let n = s.len();
        let cut = |i: usize| cut_between(s[i], s[..i].iter().rev().copied().find(|&x| x < s[i]));
        Some(BandThresholds {
            medium_min: cut(n / 3),
            high_min: cut(2 * n / 3),
        })
    }

    pub fn band(&self, p: f64) -> Band {
        if p >= self.high_min {
            Band::High
        } else if p >= self.medium_min {
            Band::Medium
        } else {
            Band::Low
        }
    }
}

/// The readiness model `score` applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadinessModel {
    /// `α` and `β` (coefficients on every encoded column, zero but on the
    /// signal features' columns): the signals' part of the joint model.
    pub score: Logistic,
    /// `η̄`: the fit log-odds of the reference account.
    pub reference_log_odds: f64,
    /// The signal features it reads.
    pub features: Vec<String>,
    pub bands: BandThresholds,
}

impl ReadinessModel {
    /// The readiness score (0–1) of one encoded row.
    pub fn probability(&self, row: &[f64]) -> f64 {
        logistic::probability(self.reference_log_odds + self.score.log_odds(row))
    }

    /// The win probability of fit and readiness together, for a row whose
    /// fit log-odds is `fit_log_odds`.
    pub fn combined(&self, fit_log_odds: f64, row: &[f64]) -> f64 {
        logistic::probability(fit_log_odds + self.score.log_odds(row))
    }
}

/// One cell of the matrix, or one band: accounts and deals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellFigures {
    pub closed_deals: u64,
    pub won: u64,
    /// won / closed, 0–1; null without closed deals.
    pub win_rate: Option<f64>,
    /// Wilson interval on the effective number of closed deals (deals of one
    /// account are not independent).
    pub win_rate_interval: Option<Interval>,
}

/// A fit group (recommended tier, or outside the ICP) × a readiness band.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatrixCell {
    /// 1, 2, 3, or null for accounts outside the ICP.
    pub tier: Option<u8>,
    pub band: Band,
    pub accounts: u64,
    /// Training deals (created before the held-out window).
    pub training: CellFigures,
    /// Held-out deals; null without a held-out window.
    pub held_out: Option<CellFigures>,
}

/// The fit × readiness matrix and what it says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadinessSection {
    pub method: String,
    /// The signal features the readiness score reads.
    pub features: Vec<String>,
    /// Readiness scores (0–100) where the medium and high bands start.
    pub medium_min_score: f64,
    pub high_min_score: f64,
    /// Tiers 1, 2, 3 then outside the ICP, each with high, medium, low.
    pub matrix: Vec<MatrixCell>,
    /// Every account in the ICP, per band (high, medium, low).
    pub in_icp_by_band: Vec<MatrixCell>,
    /// The test behind "work now": high vs low readiness in the ICP on
    /// held-out deals, each band against what its fit expects; null
    /// without a held-out window or with too few accounts.
    pub work_now: Option<WorkNowTest>,
    /// Which accounts to work now.
    pub text: String,
}

fn cell(deals: &Deals, idx: &[usize], opts: &FigureOptions) -> CellFigures {
    let r = crate::outcomes::rate_figures(deals, idx, opts.confidence);
    CellFigures {
        closed_deals: r.won + r.lost,
        won: r.won,
        win_rate: r.win_rate,
        win_rate_interval: r.interval,
    }
}

/// What the fit × readiness matrix counts: each account's recommended
/// tier, ICP membership and band, and the deals of each window.
pub struct MatrixInputs<'a> {
    /// Per account: its recommended tier (null outside the ICP), whether it
    /// is in the ICP, and its readiness band.
    pub tier: &'a [Option<u8>],
    pub in_icp: &'a [bool],
    pub band: &'a [Band],
    /// The deals as training sees them, and which of them train.
    pub training: &'a Deals,
    pub in_train: &'a dyn Fn(usize) -> bool,
    /// The deals as of the as-of date, and which of them are held out
    /// (`None` without a held-out window). Deals share their indices and
    /// accounts with `training`; their labels differ.
    pub all: &'a Deals,
    pub in_hold: Option<&'a dyn Fn(usize) -> bool>,
    /// Per account, its fit score's win probability (0–1).
    pub fit: &'a [f64],
    pub opts: &'a FigureOptions,
}

/// The work-now test on held-out deals: each ICP account of the high and
/// of the low band with its closed held-out deals, won, and its fit score.
/// `None` without a held-out window.
fn held_out_test(m: &MatrixInputs) -> Option<WorkNowTest> {
    let in_hold = m.in_hold?;
    let all = m.all;
    let mut per: Vec<AccountDeals> = (m.fit.iter())
        .map(|&fit| AccountDeals {
            fit,
            ..AccountDeals::default()
        })
        .collect();
    for i in (0..all.len()).filter(|&i| in_hold(i)) {
        let a = all.account[i] as usize;
        let won = match all.outcome[i] {
            OutcomeLabel::Won => 1.0,
            OutcomeLabel::Lost => 0.0,
            OutcomeLabel::Open => continue,
        };
        per[a].won += won;
        per[a].closed += 1.0;
    }
    let of = |b: Band| -> Vec<AccountDeals> {
        (0..per.len())
            .filter(|&a| m.in_icp[a] && m.band[a] == b && per[a].closed > 0.0)
            .map(|a| per[a])
            .collect()
    };
    work_now_test(&of(Band::High), &of(Band::Low), "held-out")
}

/// The matrix over tier × band, on training deals and, when there is a
/// held-out window, held-out deals.
pub fn section(model: &ReadinessModel, m: &MatrixInputs) -> ReadinessSection {
    let (tier, in_icp, band) = (m.tier, m.in_icp, m.band);
    let (deals, all, opts) = (m.training, m.all, m.opts);
    // The cells, and each account's: one pass over the accounts and one over
    // the deals per window fill them all.
    let keys: Vec<(Option<u8>, Band)> = [Some(1), Some(2), Some(3), None]
        .into_iter()
        .flat_map(|t| Band::ALL.map(|b| (t, b)))
        .collect();
    let cell_of: Vec<Option<usize>> = (0..tier.len())
        .map(|a| keys.iter().position(|&k| k == (tier[a], band[a])))
        .collect();
    let band_of: Vec<Option<usize>> = (0..tier.len())
        .map(|a| (in_icp[a]).then(|| Band::ALL.iter().position(|&b| b == band[a]))?)
        .collect();
    let cells = |keys: &[(Option<u8>, Band)], group_of: &[Option<usize>]| -> Vec<MatrixCell> {
        let mut accounts = vec![0u64; keys.len()];
        for &g in group_of.iter().flatten() {
            accounts[g] += 1;
        }
        // Training and held-out deals share indices and accounts; their
        // labels differ (training's as they stood at the cutoff).
        let idx = |keep: &dyn Fn(usize) -> bool| -> Vec<Vec<usize>> {
            let mut idx = vec![Vec::new(); keys.len()];
            for i in (0..deals.len()).filter(|&i| keep(i)) {
                if let Some(g) = group_of[deals.account[i] as usize] {
                    idx[g].push(i);
                }
            }
            idx
        };
        let (train, hold) = (idx(m.in_train), m.in_hold.map(idx));
        (keys.iter().enumerate())
            .map(|(g, &(tier, band))| MatrixCell {
                tier,
                band,
                accounts: accounts[g],
                training: cell(deals, &train[g], opts),
                held_out: hold.as_ref().map(|h| cell(all, &h[g], opts)),
            })
            .collect()
    };
    let matrix = cells(&keys, &cell_of);
    let in_icp_by_band = cells(&Band::ALL.map(|b| (None, b)), &band_of);
    let work_now = held_out_test(m);
    let text = work_now_text(&matrix, &in_icp_by_band, work_now.as_ref());
    ReadinessSection {
        method: format!(
            "ridge logistic regression (lambda = {}) of won vs lost training deals on the fit-score and signal features together, split into the fit score (signals held at the average account's) and the signals' part; readiness score = 100 × the win probability of a typical-fit account with these signals; bands are its tertiles among the accounts in the ICP",
            model.score.lambda
        ),
        features: model.features.clone(),
        medium_min_score: 100.0 * model.bands.medium_min,
        high_min_score: 100.0 * model.bands.high_min,
        matrix,
        in_icp_by_band,
        work_now,
        text,
    }
}

/// One sentence: which accounts to work now, with the evidence for it
/// (held-out where there is a held-out window, else training deals). "Work
/// now the high-readiness accounts" only when the high band wins
/// significantly more than the low band beyond what their fit expects
/// (`test`, held-out deals).
fn work_now_text(
    matrix: &[MatrixCell],
    by_band: &[MatrixCell],
    test: Option<&WorkNowTest>,
) -> String {
    let accounts = |t: u8| {
        matrix
            .iter()
            .find(|c| c.tier == Some(t) && c.band == Band::High)
            .map_or(0, |c| c.accounts)
    };
    let figures = |c: &MatrixCell| c.held_out.clone().unwrap_or_else(|| c.training.clone());
    let which = if by_band.iter().any(|c| c.held_out.is_some()) {
        "held-out"
    } else {
        "training"
    };
    let (high, low) = (figures(&by_band[0]), figures(&by_band[2]));
    let rates = format!(
        "in the ICP, high-readiness accounts won {} of {} closed {which} deals, low-readiness ones {} of {}",
        crate::text::pct(high.win_rate),
        high.closed_deals,
        crate::text::pct(low.win_rate),
        low.closed_deals
    );
    match test {
        Some(t) if t.significant => format!(
            "Work now the {} high-readiness accounts of Tiers 1 and 2 ({} in Tier 1, {} in Tier 2), then high-readiness Tier 3: {rates}; beyond what their fit expects, high won {:.1} more per 100 closed deals than low (one-sided {}).",
            accounts(1) + accounts(2),
            accounts(1),
            accounts(2),
            100.0 * t.difference,
            crate::text::p_text(t.p_value),
        ),
        Some(t) => format!(
            "Readiness does not yet tell which ICP accounts to work first ({rates}; beyond what their fit expects, high won {:.1} more per 100 closed deals than low, one-sided {}): work the tiers in order of fit.",
            100.0 * t.difference,
            crate::text::p_text(t.p_value),
        ),
        None => format!(
            "Readiness does not yet tell which ICP accounts to work first ({rates}; it is tested on held-out deals, with at least two accounts with closed deals in the high and the low band): work the tiers in order of fit."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked by hand: six scores, tertiles just below the third (0.3) and
    /// fifth (0.5) sorted values, halfway to the value under each, two
    /// accounts per band; a tie at a cut stays in the upper band.
    #[test]
    fn bands_are_the_tertiles_of_the_training_scores() {
        let t = BandThresholds::tertiles(&[0.6, 0.1, 0.5, 0.2, 0.4, 0.3]).unwrap();
        assert_eq!(
            t,
            BandThresholds {
                medium_min: 0.25,
                high_min: 0.45
            }
        );
        let bands: Vec<Band> = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
            .iter()
            .map(|&p| t.band(p))
            .collect();
        use Band::*;
        assert_eq!(bands, vec![Low, Low, Medium, Medium, High, High]);
        // Four accounts without a signal tie at the lower cut: all medium.
        let tied = BandThresholds::tertiles(&[0.0, 0.0, 0.0, 0.0, 0.2, 0.9]).unwrap();
        assert_eq!(
            tied,
            BandThresholds {
                medium_min: 0.0,
                high_min: 0.1
            }
        );
        assert_eq!(tied.band(0.0), Medium);
        assert_eq!(BandThresholds::tertiles(&[]), None);
    }

    /// A signal that only rides along with fit (it is higher in accounts
    /// that fit, and has no effect of its own) gets no weight in the joint
    /// model of fit and signals, and a large one fitted on its own; a
    /// signal with an effect of its own keeps it. 20 seeded data sets of
    /// 1,000 accounts with three deals each.
    #[test]
    fn in_the_joint_model_a_signal_that_rides_with_fit_gets_no_weight() {
        use rand::{Rng, SeedableRng};
        let (mut joint_beta, mut own_beta) = (Vec::new(), Vec::new());
        for seed in 0..20 {
            let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(seed);
            let n = 1000;
            let mut x = ndarray::Array2::<f64>::zeros((n, 3));
            let (mut won, mut lost) = (vec![0.0; n], vec![0.0; n]);
            let (mut won2, mut lost2) = (vec![0.0; n], vec![0.0; n]);
            for i in 0..n {
                let fit = f64::from(u8::from(rng.gen::<f64>() < 0.3));
                let normal = |rng: &mut rand_xoshiro::Xoshiro256Plus| {
                    // Box–Muller.
                    let (u, v): (f64, f64) = (rng.gen_range(1e-12..1.0), rng.gen());
                    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
                };
                let rides = 1.5 * fit + normal(&mut rng);
                let own = normal(&mut rng);
                x[[i, 0]] = fit;
                x[[i, 1]] = rides;
                x[[i, 2]] = own;
                let p = logistic::probability(-1.0 + 1.5 * fit);
                let p2 = logistic::probability(-1.0 + 1.5 * fit + 0.8 * own);
                for _ in 0..3 {
                    if rng.gen::<f64>() < p {
                        won[i] += 1.0;
                    } else {
                        lost[i] += 1.0;
                    }
                    if rng.gen::<f64>() < p2 {
                        won2[i] += 1.0;
                    } else {
                        lost2[i] += 1.0;
                    }
                }
            }
            let terms = |c: &'static [usize]| Terms {
                columns: Some(c),
                offset: None,
                zeroed: None,
            };
            let joint = Logistic::fit_with(x.view(), &won, &lost, 1.0, &terms(&[0, 1])).unwrap();
            let alone = Logistic::fit_with(x.view(), &won, &lost, 1.0, &terms(&[1])).unwrap();
            joint_beta.push(joint.coef[1]);
            // Fitted alone it takes about 1.5 × 0.21 = 0.32 of fit's effect
            // (the slope of fit on the signal times fit's log-odds ratio).
            assert!(alone.coef[1] > 0.15, "seed {seed}: {alone:?}");
            let own = Logistic::fit_with(x.view(), &won2, &lost2, 1.0, &terms(&[0, 2])).unwrap();
            own_beta.push(own.coef[2]);
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        // Each estimate has a standard error of about 0.05.
        assert!(mean(&joint_beta).abs() < 0.03, "{joint_beta:?}");
        assert!((mean(&own_beta) - 0.8).abs() < 0.08, "{own_beta:?}");
    }
}
