//! The data contract: turns raw tables into typed [`Accounts`] and [`Deals`],
//! rejecting what breaks the contract and counting what it may drop.
//!
//! See `docs/data-contract.md` ("Bad input"). Hard errors name the file,
//! the column and an example value; droppable rows are counted by reason in
//! [`Drops`] and reported.
//!
//! - `accounts`: the accounts table, whole or in batches.
//! - `deals`: the deals table: each deal's account, rows dropped, the as-of date.
//! - `deal_columns`: the deals' columns found and checked: outcomes, dates, amounts.
//! - `drops`: what is dropped or reinterpreted, counted by reason.
//! - `tiers`: tier labels read as tiers 1 to 3.
//! - `keys`: rows in key order, duplicates, and deals matched to accounts.
//! - `columns`: one column read against the contract, and the errors naming it.

mod accounts;
mod columns;
mod deal_columns;
mod deals;
mod drops;
mod keys;
mod tiers;

pub use accounts::{
    account_batch, accounts, duplicate_account, AccountBatch, Accounts, BatchOrigin,
};
pub use columns::{date_days, MAX_ABS_NUMBER};
pub(crate) use columns::{key_strings, polars_err};
pub use deals::{deals, stale_loss, Deals};
pub use drops::Drops;
pub(crate) use tiers::tiers;
