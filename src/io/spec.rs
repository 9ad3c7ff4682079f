//! What to read: the input tables, their column names and how to treat
//! rows the data contract may drop. Built by `config` from the user's file
//! and flags; the readers and the contract take only this.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::domain::OutcomeLabel;

/// Column names after defaults are applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountColumns {
    pub id: String,
    pub tier: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DealColumns {
    pub id: String,
    pub account_id: String,
    pub created_at: String,
    pub closed_at: String,
    pub outcome: String,
    pub amount: String,
}

/// What to do with a row that can be dropped without changing the run's meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DropPolicy {
    /// Drop the row, count it and report it.
    #[default]
    Drop,
    /// Fail the run (exit status 2).
    Error,
}

/// `[drops]`: turn any droppable row into a hard error.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DropsSection {
    #[serde(default)]
    pub unknown_account: DropPolicy,
    #[serde(default)]
    pub closed_before_created: DropPolicy,
    #[serde(default)]
    pub negative_amount: DropPolicy,
    #[serde(default)]
    pub missing_date: DropPolicy,
}

/// Why a deal row was dropped. Declared in the alphabetical order of the
/// keys, so a map keyed by reason lists them as it did when keyed by text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    ClosedBeforeCreated,
    CreatedAfterAsOf,
    MissingClosedAt,
    MissingCreatedAt,
    NegativeAmount,
    UnknownAccount,
}

impl DropReason {
    /// The key in `report.json`'s `deals_dropped`, e.g. `unknown_account`.
    pub fn key(self) -> &'static str {
        match self {
            DropReason::ClosedBeforeCreated => "closed_before_created",
            DropReason::CreatedAfterAsOf => "created_after_as_of",
            DropReason::MissingClosedAt => "missing_closed_at",
            DropReason::MissingCreatedAt => "missing_created_at",
            DropReason::NegativeAmount => "negative_amount",
            DropReason::UnknownAccount => "unknown_account",
        }
    }
}

/// `--account-history` / `[account_history]`: feature values over time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistorySpec {
    pub path: PathBuf,
    /// Column where a version starts; `None`: `valid_from`, else `dbt_valid_from`.
    pub valid_from: Option<String>,
    /// Column where a version ends (null while current); `None`: `valid_to`,
    /// else `dbt_valid_to`.
    pub valid_to: Option<String>,
    pub csv_separator: u8,
}

/// The checked description of the input tables.
#[derive(Debug, Clone, Serialize)]
pub struct InputSpec {
    pub accounts_path: PathBuf,
    pub deals_path: PathBuf,
    pub account_columns: AccountColumns,
    pub deal_columns: DealColumns,
    /// Extra tier labels (lower-cased) mapped to tiers.
    pub tier_labels: BTreeMap<String, u8>,
    pub accounts_csv_separator: u8,
    pub deals_csv_separator: u8,
    /// CRM stage names (lower-cased) mapped onto outcomes.
    pub outcomes: BTreeMap<String, OutcomeLabel>,
    pub drops: DropsSection,
    /// `[deals] stale_after_days`: an open deal older than this many days at
    /// the as-of date counts as lost at creation + this many days.
    pub stale_after_days: Option<u32>,
    /// Fixed as-of date (days since 1970-01-01); `None` means the latest date in the deals.
    pub as_of: Option<i32>,
    /// The accounts' feature versions, when given.
    pub account_history: Option<HistorySpec>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_reasons_serialise_to_their_keys_in_key_order() {
        use DropReason::*;
        let all = [
            ClosedBeforeCreated,
            CreatedAfterAsOf,
            MissingClosedAt,
            MissingCreatedAt,
            NegativeAmount,
            UnknownAccount,
        ];
        for r in all {
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.key())
            );
        }
        let keys: Vec<&str> = all.iter().map(|r| r.key()).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted);
    }
}
