//! The structures beyond A and B, which plant the shapes an ICP learner
//! most easily misses: two pockets joined by OR, a band on a numeric
//! feature closed on both sides, and nothing at all. Each draws its
//! accounts from structure A's archetypes (so archetype 0 is not the fit
//! group here) and plants its own fit group and win model.

use super::structure::Structure;
use super::truth::WinModel;

/// Pocket 1 of [`Structure::Pockets`]: Healthcare accounts of 300 to 1,500
/// employees (about 3% of accounts).
fn health_midsize(industry: &str, employees: f64) -> bool {
    industry == "Healthcare" && (300.0..=1500.0).contains(&employees)
}

/// Pocket 2 of [`Structure::Pockets`]: accounts in APAC using Marketo
/// (about 3% of accounts).
fn apac_marketo(region: Option<&str>, technologies: &[&str]) -> bool {
    region == Some("APAC") && technologies.contains(&"Marketo")
}

/// The band of [`Structure::Band`]: 300 to 1,200 employees, closed on both
/// sides (about a fifth of accounts).
pub(super) const BAND: (f64, f64) = (300.0, 1200.0);

/// Which planted pocket (0-based) an account of `structure` is in: for
/// [`Structure::Pockets`] pocket 0 (`industry = Healthcare` AND
/// `300 <= employees <= 1500`) or pocket 1 (`region = APAC` AND
/// `technologies has Marketo`), the first that holds; for the other
/// structures pocket 0 is the whole fit group. `None` outside the fit
/// group (always for [`Structure::Null`]).
pub fn planted_pocket(
    structure: Structure,
    industry: &str,
    employees: f64,
    region: Option<&str>,
    technologies: &[&str],
) -> Option<usize> {
    match structure {
        Structure::Pockets => {
            if health_midsize(industry, employees) {
                Some(0)
            } else {
                apac_marketo(region, technologies).then_some(1)
            }
        }
        Structure::Band => (BAND.0..=BAND.1).contains(&employees).then_some(0),
        Structure::Null => None,
        Structure::A | Structure::B => super::structure::in_planted_fit_group(
            structure,
            industry,
            employees,
            region,
            technologies,
        )
        .then_some(0),
    }
}

/// The win model of [`Structure::Pockets`]: a fit-group account wins about
/// 65% of its deals against about 15% overall, with intent, executive
/// relationships and known contacts acting as in A but weaker, and
/// Education disqualifying.
pub(super) const PLANTED: WinModel = WinModel {
    intercept: -2.1,
    fit: 2.9,
    intent: 0.02,
    log_visits: 0.0,
    exec: 0.4,
    contacts: 0.03,
    disqualifier: "Education",
    disqualifier_effect: -2.5,
    account_sd: 0.5,
};

/// The win model of [`Structure::Band`]: [`PLANTED`] without a
/// disqualifier, so that the band alone is the ICP.
pub(super) const BAND_MODEL: WinModel = WinModel {
    disqualifier: "",
    disqualifier_effect: 0.0,
    ..PLANTED
};

/// The win model of [`Structure::Null`]: nothing but the account effect
/// moves the win rate.
pub(super) const NULL: WinModel = WinModel {
    intercept: -1.2,
    fit: 0.0,
    intent: 0.0,
    log_visits: 0.0,
    exec: 0.0,
    contacts: 0.0,
    disqualifier: "",
    disqualifier_effect: 0.0,
    account_sd: 0.5,
};
