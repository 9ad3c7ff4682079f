//! The planted win model: the logit of a deal's win probability from what
//! an account is, and the planted cycle length.

use super::structure::Structure;

/// The coefficients of a structure's win model, on the logit scale. A deal
/// is won with probability `logistic(z)`, where for its account
///
/// ```text
/// z = intercept + fit·[in fit group] + intent·(intent_score − 50)
///     + log_visits·(ln(1 + web_visits_90d) − 2) + exec·[exec_relationship]
///     + contacts·(known_contacts − 8) + disqualifier_effect·[industry = disqualifier]
///     + u
/// ```
///
/// with `u ~ Normal(0, account_sd)` drawn once per account (a null
/// `known_contacts` counts as 8).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WinModel {
    pub intercept: f64,
    pub fit: f64,
    pub intent: f64,
    pub log_visits: f64,
    pub exec: f64,
    pub contacts: f64,
    pub disqualifier: &'static str,
    pub disqualifier_effect: f64,
    pub account_sd: f64,
}

impl Structure {
    /// The planted win model.
    pub fn win_model(self) -> WinModel {
        match self {
            Structure::A => WinModel {
                intercept: -1.55,
                fit: 2.7,
                intent: 0.045,
                log_visits: 0.0,
                exec: 0.7,
                contacts: 0.04,
                disqualifier: "Government",
                disqualifier_effect: -4.0,
                account_sd: 0.5,
            },
            Structure::B => WinModel {
                intercept: -1.15,
                fit: 2.0,
                intent: 0.0,
                log_visits: 0.35,
                exec: 0.0,
                contacts: 0.12,
                disqualifier: "Education",
                disqualifier_effect: -3.0,
                account_sd: 0.8,
            },
            Structure::Pockets => super::shapes::PLANTED,
            Structure::Band => super::shapes::BAND_MODEL,
            Structure::Null => super::shapes::NULL,
        }
    }
}

/// What the win model reads of one account.
#[derive(Debug, Clone, Copy)]
pub struct AccountTruth<'a> {
    pub fit: bool,
    pub industry: &'a str,
    pub intent: f64,
    pub visits: f64,
    pub exec: bool,
    pub contacts: Option<f64>,
    /// The account's random effect on the logit.
    pub u: f64,
}

impl WinModel {
    /// The logit of a deal's win probability for account `a`.
    pub fn logit(&self, a: &AccountTruth) -> f64 {
        let flag = |b: bool| f64::from(u8::from(b));
        self.intercept
            + self.fit * flag(a.fit)
            + self.intent * (a.intent - 50.0)
            + self.log_visits * ((1.0 + a.visits).ln() - 2.0)
            + self.exec * flag(a.exec)
            + self.contacts * (a.contacts.unwrap_or(8.0) - 8.0)
            + self.disqualifier_effect * flag(a.industry == self.disqualifier)
            + a.u
    }

    /// The probability that a deal of account `a` is won.
    pub fn win_probability(&self, a: &AccountTruth) -> f64 {
        1.0 / (1.0 + (-self.logit(a)).exp())
    }
}

/// The CDF of the planted cycle length (Erlang, shape 2) at `t` days.
pub fn cycle_cdf(t: f64, mean: f64) -> f64 {
    let rate = 2.0 / mean;
    1.0 - (-rate * t).exp() * (1.0 + rate * t)
}
