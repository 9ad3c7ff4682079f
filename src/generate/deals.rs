//! The deals table and the account history that goes with it.

use polars::prelude::*;
use rand::Rng;
use rand_xoshiro::Xoshiro256Plus;

use super::accounts::AccountRows;
use super::draw::{normal, poisson};
use super::frame::{date_column, polars_error};
use super::structure::{GenerateParams, DEAL_WINDOW_DAYS, HISTORY_LEAD_DAYS};
use crate::error::Result;

/// The account history: from `as_of − DEAL_WINDOW_DAYS − HISTORY_LEAD_DAYS`
/// one version with `csm_assigned = false`; for an account with a won deal
/// closed by `as_of`, it ends on that close date (`valid_to` exclusive) and a
/// second version with `csm_assigned = true` starts there. The latest version
/// has a null `valid_to`. `tier` is the current tier throughout.
pub(super) fn history_frame(
    ids: &[String],
    tier: &[Option<&'static str>],
    first_win: &[Option<i32>],
    as_of: i32,
) -> Result<DataFrame> {
    let start = as_of - DEAL_WINDOW_DAYS - HISTORY_LEAD_DAYS;
    let rows = ids.len() + first_win.iter().flatten().count();
    let mut id: Vec<&str> = Vec::with_capacity(rows);
    let mut from: Vec<Option<i32>> = Vec::with_capacity(rows);
    let mut to: Vec<Option<i32>> = Vec::with_capacity(rows);
    let mut t: Vec<Option<&str>> = Vec::with_capacity(rows);
    let mut csm: Vec<bool> = Vec::with_capacity(rows);
    for i in 0..ids.len() {
        id.push(&ids[i]);
        from.push(Some(start));
        to.push(first_win[i]);
        t.push(tier[i]);
        csm.push(false);
        if let Some(w) = first_win[i] {
            id.push(&ids[i]);
            from.push(Some(w));
            to.push(None);
            t.push(tier[i]);
            csm.push(true);
        }
    }
    DataFrame::new(
        id.len(),
        vec![
            Column::new("account_id".into(), id),
            date_column("valid_from", from)?,
            date_column("valid_to", to)?,
            Column::new("tier".into(), t),
            Column::new("csm_assigned".into(), csm),
        ],
    )
    .map_err(polars_error)
}

/// The deals' columns.
#[derive(Default)]
pub(super) struct DealRows<'a> {
    pub(super) deal_id: Vec<String>,
    pub(super) account: Vec<&'a str>,
    /// Row of the deal's account.
    pub(super) account_row: Vec<usize>,
    pub(super) created: Vec<i32>,
    pub(super) closed: Vec<Option<i32>>,
    pub(super) outcome: Vec<&'static str>,
    pub(super) amount: Vec<Option<f64>>,
}

impl<'a> DealRows<'a> {
    /// A Poisson number of deals per account, created uniformly over the
    /// `DEAL_WINDOW_DAYS` before `as_of`; a deal closing after `as_of` is open.
    pub(super) fn random(
        rng: &mut Xoshiro256Plus,
        p: &GenerateParams,
        as_of: i32,
        accounts: &'a AccountRows,
    ) -> DealRows<'a> {
        let mut d = DealRows::default();
        for i in 0..accounts.ids.len() {
            let k = poisson(rng, p.deals_per_account);
            for _ in 0..k {
                let c = as_of - rng.gen_range(0..DEAL_WINDOW_DAYS);
                let arch = accounts.archetype[i] as usize;
                let mean = accounts.archetypes[arch].cycle_mean_days;
                let t = -mean / 2.0
                    * (rng.gen_range(f64::MIN_POSITIVE..1.0f64).ln()
                        + rng.gen_range(f64::MIN_POSITIVE..1.0f64).ln());
                let won = rng.gen_bool(accounts.p_win[i]);
                let close = c + t.round() as i32;
                let size =
                    (accounts.employees[i] as f64).powf(0.3) * 4_000.0 * (0.4 * normal(rng)).exp();
                d.deal_id.push(format!("D{:08}", d.deal_id.len() + 1));
                d.account.push(accounts.ids[i].as_str());
                d.account_row.push(i);
                d.created.push(c);
                if close > as_of {
                    d.closed.push(None);
                    d.outcome.push("open");
                } else {
                    d.closed.push(Some(close));
                    d.outcome.push(if won { "won" } else { "lost" });
                }
                d.amount.push((!rng.gen_bool(0.01)).then_some(size.round()));
            }
        }
        d
    }

    /// Per account, the close date of its first won deal (closed by the as-of date).
    pub(super) fn first_win(&self, ids: &[String]) -> Vec<Option<i32>> {
        let mut first: Vec<Option<i32>> = vec![None; ids.len()];
        for (j, &i) in self.account_row.iter().enumerate() {
            if self.outcome[j] == "won" {
                let c = self.closed[j].expect("a won deal has a close date");
                first[i] = Some(first[i].map_or(c, |f: i32| f.min(c)));
            }
        }
        first
    }

    pub(super) fn into_frame(self) -> Result<DataFrame> {
        let m = self.deal_id.len();
        DataFrame::new(
            m,
            vec![
                Column::new("deal_id".into(), self.deal_id),
                Column::new("account_id".into(), self.account),
                date_column("created_at", self.created.into_iter().map(Some).collect())?,
                date_column("closed_at", self.closed)?,
                Column::new("outcome".into(), self.outcome),
                Column::new("amount".into(), self.amount),
            ],
        )
        .map_err(polars_error)
    }
}
