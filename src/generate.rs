//! Synthetic accounts, deals and account history with planted structure, for
//! the sample data, tests and benchmarks.
//!
//! Five structures plant different truths, so that no method is tuned to one
//! data set ([`Structure`]; `generate --structure a|b|pockets|band|null`).
//! Structure A is the default and the sample in `data/sample/` (seed 7,
//! 3,000 accounts, as of 2026-09-30). A and B are described below; the
//! other three draw A's accounts and plant their own fit group and win
//! model (`shapes`, [`planted_pocket`]):
//!
//! - `pockets`: two pockets joined by OR, `industry = Healthcare` AND
//!   `300 <= employees <= 1500` (about 3.3% of accounts), or `region = APAC`
//!   AND `technologies has Marketo` (2.7%); on 20,000 accounts they win
//!   70% and 67% of their closed deals against 15% overall;
//! - `band`: `300 <= employees <= 1200`, closed on both sides (22% of
//!   accounts, winning 63% against 23% overall);
//! - `null`: no fit group, and nothing of the accounts bears on winning
//!   (`z = −1.2 + u`, `u ~ N(0, 0.5)`).
//!
//! In `pockets`, `z = −2.1 + 2.9·fit + 0.02·(intent − 50) +
//! 0.4·exec_relationship + 0.03·(known_contacts − 8) − 2.5·[industry =
//! Education] + u`, `u ~ N(0, 0.5)`; in `band` the same without Education's
//! term.
//!
//! # Accounts
//!
//! Each account comes from one of six archetypes (share of accounts):
//!
//! | archetype | A | B | industries | employees | region |
//! |---|---|---|---|---|---|
//! | 0 fit-group core | 6.5% | 3% | A: Fintech, SaaS; B: Manufacturing, Logistics | 200–2,000 | A: any; B: EMEA |
//! | 1 near miss | 8% | 11.5% | as archetype 0 | 200–2,000 | A: any; B: not EMEA |
//! | 2 mid-market | 22% | 22% | Healthcare, Manufacturing, Retail, Logistics, Education | 200–2,000 | any |
//! | 3 SMB | 40% | 40% | any but Government | 10–200 | any |
//! | 4 enterprise | 21.5% | 21.5% | any but Government | 2,500–25,000 | any |
//! | 5 government | 2% | 2% | Government | 30,000–200,000 | any |
//!
//! Employees are log-uniform in the band; "any" region is uniform over four
//! with 0.5% null (fewer than 1% of accounts, so the missing level is
//! folded into `other`). Technologies are drawn independently with these adoption
//! rates (Salesforce, HubSpot, Snowflake, AWS, SAP, Marketo): A's core
//! 0.90, 0.05, 0.10, 0.30, 0.05, 0.60 and A's near misses 0 (never
//! Salesforce), 0.40, 0.10, 0.50, 0.05, 0.30; B's core 0.10, 0.20, 0.10, 0.50,
//! 0.90, 0.05 and B's near misses the same with SAP at 0.80; mid-market 0.40,
//! 0.30, 0.10, 0.70, 0.15, 0.10; SMB 0.30, 0.70, 0.03, 0.30, 0.02, 0.05;
//! enterprise 0.30, 0.05, 0.80, 0.50, 0.80, 0.05; government 0.10, 0.02,
//! 0.10, 0.20, 0.90, 0.05. So Snowflake and SAP ride with size, and the
//! decoys of A's rule (Fintech/SaaS SMBs and enterprises with Salesforce,
//! mid-size Fintech/SaaS without it, mid-size accounts with Salesforce in
//! other industries) outnumber its group: only the AND of the three
//! conditions finds it.
//!
//! Every account, whatever its archetype: `intent_score` =
//! round(clamp(50 + 18·N(0,1), 0, 100)), independent of fit;
//! `web_visits_90d` = round(2·exp(1.2·N(0,1))·(1 + intent/25)), correlated
//! with intent; `exec_relationship` with probability 0.15 (0.10 SMB, 0.30
//! enterprise and government); `known_contacts` = 1 + Poisson(2 + ln
//! employees) (1% null); `annual_revenue` ≈ 150,000 × employees × a
//! log-normal factor (2% null); `noise_score` uniform 0–100, pure noise.
//! The current `tier` is assigned by size (largest 1% Tier 1, next 5% Tier
//! 2, next 24% Tier 3), so Tier 1 is government and converts *worse* than
//! Tier 2.
//!
//! # The planted truth
//!
//! Fit features (who the account is): `industry`, `employees`,
//! `annual_revenue`, `region`, `technologies`. Signals (in market now):
//! `intent_score`, `web_visits_90d`. Relationship: `exec_relationship`,
//! `known_contacts`. Post-outcome: `csm_assigned`. Neither `noise_score` nor
//! `annual_revenue`, `region` (in A), Snowflake or any technology outside the
//! rule has an effect of its own.
//!
//! The **planted fit group** ([`in_planted_fit_group`], per account in
//! [`Generated::fit_group`]) is an AND rule:
//!
//! - A: `industry in {Fintech, SaaS}` AND `200 <= employees <= 2000` AND
//!   `technologies has Salesforce` ([`in_planted_icp`]);
//! - B: `region = EMEA` AND `industry in {Manufacturing, Logistics}` AND
//!   `technologies has SAP` (core accounts, and enterprise and mid-market
//!   accounts that happen to meet it).
//!
//! A deal is won with probability `logistic(z)` ([`WinModel`]), with `z`
//! fixed per account:
//!
//! ```text
//! A: z = −1.55 + 2.7·fit + 0.045·(intent − 50) + 0.7·exec_relationship
//!        + 0.04·(known_contacts − 8) − 4·[industry = Government] + u,  u ~ N(0, 0.5)
//! B: z = −1.15 + 2.0·fit + 0.35·(ln(1 + web_visits_90d) − 2)
//!        + 0.12·(known_contacts − 8) − 3·[industry = Education] + u,  u ~ N(0, 0.8)
//! ```
//!
//! In B, intent acts only through its correlation with visits, and
//! executive relationships and Government have no effect.
//!
//! `u` is the account's random effect, shared by its deals (a null
//! `known_contacts` counts as 8). The fit effect is larger than a plain
//! +2.0 because the signal and the account effect spread the win rates:
//! +2.0 gives the fit group only 2.4× the overall rate in A. On 20,000
//! accounts (unit tests): A's fit group is 5.8% of accounts and wins 74%
//! of its closed deals against 27% overall (2.8×); B's is 4.3% and wins 72%
//! against 27% (2.6×). On the sample (8,928 deals, 7,971 closed): the fit
//! group is 6.6% of accounts and wins 71.8% of its 570 closed deals against
//! 26.1% overall (2.8×); Government wins 1.5% of 137; deals of accounts with
//! intent ≥ 65 win 40.2%, with intent ≤ 35 15.0%; `csm_assigned` is true
//! for 45% of accounts, and the snapshot shows it as a perfect separator
//! (accounts without it won none of their 3,542 closed deals), which is the
//! leak it plants.
//!
//! # Deals
//!
//! A Poisson number of deals per account (mean `deals_per_account`), created
//! uniformly over the [`DEAL_WINDOW_DAYS`] (730) days before the as-of date.
//! Days from creation to close follow an Erlang distribution of shape 2 with
//! mean 40 days for the fit-group core, 150 for enterprise and government,
//! 60 otherwise ([`cycle_cdf`]); a deal whose close would fall after the
//! as-of date is open. Amounts grow with employees^0.3 (1% null).
//!
//! # Post-outcome feature and account history
//!
//! `csm_assigned` is true in the accounts table (the snapshot at the as-of
//! date) exactly when the account has a won deal closed on or before the
//! as-of date; it has no effect on winning, so any association with winning
//! in the snapshot is a leak. [`Generated::account_history`]
//! (`generate --history` writes it as `account_history.<ext>`) holds its
//! versions in the contract's shape: `account_id`, `valid_from`, `valid_to`
//! (null while current; a version is valid on `valid_from <= day <
//! valid_to`), `tier` and `csm_assigned`. Each account's first version
//! starts [`HISTORY_LEAD_DAYS`] (730) days before the deal window with
//! `csm_assigned = false`; an account with a won deal gets a second version
//! from that deal's close date with `csm_assigned = true`. The tier does not
//! change, and every other feature (intent included) is constant over time:
//! the win probability uses the accounts table's values. Ranges of one
//! account never overlap, and its open version equals the accounts table.

mod accounts;
mod archetypes;
mod deals;
mod draw;
mod frame;
mod shapes;
mod structure;
mod truth;

#[cfg(test)]
mod tests;

use polars::prelude::DataFrame;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;

use crate::dates::parse_date;
use crate::error::{Error, Result};
use accounts::{current_tiers, AccountRows};
use deals::{history_frame, DealRows};

pub use draw::normal;
pub use frame::{write_table, OutFormat};
pub use shapes::{in_planted_fit_group, in_planted_icp, planted_pocket};
pub use structure::{GenerateParams, Structure, DEAL_WINDOW_DAYS, HISTORY_LEAD_DAYS, INDUSTRIES};
pub use truth::{cycle_cdf, AccountTruth, WinModel};

/// The generated tables and their truth.
pub struct Generated {
    pub accounts: DataFrame,
    pub deals: DataFrame,
    /// Feature versions per account (see the module docs): `account_id`,
    /// `valid_from`, `valid_to` (null while current), `tier`, `csm_assigned`.
    pub account_history: DataFrame,
    /// Archetype per account: 0 fit-group core, 1 near miss, 2 mid-market,
    /// 3 SMB, 4 enterprise, 5 government.
    pub archetype: Vec<u8>,
    /// Whether each account (in row order) is in the planted fit group.
    pub fit_group: Vec<bool>,
    /// The planted pocket (0-based) each account is in, `None` outside the
    /// fit group ([`planted_pocket`]; A, B and the band have one pocket).
    pub pocket: Vec<Option<usize>>,
    /// Each account's probability that a deal of it is won.
    pub p_win: Vec<f64>,
}

/// Generate accounts, deals and account history.
pub fn generate(p: &GenerateParams) -> Result<Generated> {
    let as_of = parse_date(&p.as_of).ok_or_else(|| {
        Error::config(
            format!("--as-of '{}' is not a date", p.as_of),
            "use YYYY-MM-DD",
        )
    })?;
    if p.accounts == 0 {
        return Err(Error::config(
            "--accounts must be at least 1",
            "e.g. --accounts 2000",
        ));
    }
    let n = p.accounts;
    let mut rng = Xoshiro256Plus::seed_from_u64(p.seed);
    let mut accounts = AccountRows::new(n, p.structure);
    for i in 0..n {
        accounts.push_random(&mut rng, i);
    }
    let deal_rows = DealRows::random(&mut rng, p, as_of, &accounts);
    let first_win = deal_rows.first_win(&accounts.ids);
    let deals = deal_rows.into_frame()?;
    let tier = current_tiers(&accounts.employees);
    let account_history = history_frame(&accounts.ids, &tier, &first_win, as_of)?;
    let archetype = accounts.archetype.clone();
    let fit_group = accounts.fit.clone();
    let pocket = accounts.pocket.clone();
    let p_win = accounts.p_win.clone();
    let csm: Vec<bool> = first_win.iter().map(Option::is_some).collect();
    Ok(Generated {
        accounts: accounts.into_frame(tier, csm)?,
        deals,
        account_history,
        archetype,
        fit_group,
        pocket,
        p_win,
    })
}
