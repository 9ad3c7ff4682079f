//! The optional account history: one row per version of an account's
//! features, valid from `valid_from` up to (not including) `valid_to`, with
//! a null `valid_to` for the version still current. The shape of a slowly
//! changing dimension, a dbt snapshot (`dbt_valid_from` / `dbt_valid_to`) or
//! a CRM field-history export.
//!
//! [`read`] checks it against the accounts table and fails, naming the file,
//! the column and the rows, on: a null account or `valid_from`, a range that
//! ends before it starts, two ranges of one account that overlap, an account
//! the accounts table does not have, and a feature column the accounts table
//! does not have. [`History::version_at`] is the as-of lookup a deal uses.

use std::path::PathBuf;

use polars::prelude::*;

use crate::dates::format_date;
use crate::error::{Error, Location, Result};
use crate::io::contract::{date_days, key_strings, polars_err, tiers, Accounts};
use crate::io::read::{read_table, InputFile};
use crate::io::spec::InputSpec;

/// Columns dbt adds to a snapshot besides its validity range: bookkeeping,
/// never features.
const DBT_COLUMNS: [&str; 4] = [
    "dbt_scd_id",
    "dbt_updated_at",
    "dbt_valid_from",
    "dbt_valid_to",
];

/// Checked feature versions, sorted by account (in accounts-table order)
/// and then by `valid_from`.
pub struct History {
    pub path: PathBuf,
    pub file: InputFile,
    /// Per version, its account (index into [`Accounts::ids`]).
    pub account: Vec<u32>,
    /// Per version, the first day it holds (days since 1970-01-01).
    pub valid_from: Vec<i32>,
    /// Per version, the first day it no longer holds; `None` while current.
    pub valid_to: Vec<Option<i32>>,
    /// Account `a`'s versions are `offsets[a]..offsets[a + 1]`.
    pub offsets: Vec<u32>,
    /// The feature columns, one row per version in the order above (no
    /// key, validity or tier columns).
    pub features: DataFrame,
    /// Per version, the account's tier then, when the history has the tier column.
    pub tier: Option<Vec<Option<u8>>>,
}

impl History {
    pub fn versions(&self) -> usize {
        self.account.len()
    }

    /// The version of account `a` valid on `day` (valid_from ≤ day <
    /// valid_to): a binary search among the account's versions, which do
    /// not overlap.
    pub fn version_at(&self, a: u32, day: i32) -> Option<usize> {
        let (lo, hi) = (
            self.offsets[a as usize] as usize,
            self.offsets[a as usize + 1] as usize,
        );
        let after = self.valid_from[lo..hi].partition_point(|&f| f <= day);
        let v = lo + after.checked_sub(1)?;
        self.valid_to[v].is_none_or(|to| day < to).then_some(v)
    }

    /// Per deal, its account's tier when the deal was created (`None`
    /// without a version then, or untiered); `None` when the history has
    /// no tier column.
    pub fn tier_at_creation(&self, deals: &crate::io::contract::Deals) -> Option<Vec<Option<u8>>> {
        let tier = self.tier.as_ref()?;
        Some(
            (0..deals.len())
                .map(|i| {
                    self.version_at(deals.account[i], deals.created[i])
                        .and_then(|v| tier[v])
                })
                .collect(),
        )
    }

    /// Accounts with at least one version.
    pub fn accounts_with_versions(&self) -> usize {
        self.offsets.windows(2).filter(|w| w[1] > w[0]).count()
    }
}

/// The validity column: the configured name, else `default`, else dbt's.
fn validity_column(
    df: &DataFrame,
    configured: Option<&String>,
    default: &str,
    dbt: &str,
) -> Option<String> {
    match configured {
        Some(c) => Some(c.clone()),
        None => [default, dbt]
            .into_iter()
            .find(|c| df.column(c).is_ok())
            .map(str::to_string),
    }
}

/// Up to five row numbers (1 = the first data row) for an error message.
fn row_list(rows: &[usize]) -> String {
    let shown: Vec<String> = rows.iter().take(5).map(|r| (r + 1).to_string()).collect();
    let more = if rows.len() > 5 { ", ..." } else { "" };
    format!("{}{more}", shown.join(", "))
}

/// Read `[account_history]` when given, checked against `accounts`.
pub fn read(spec: &InputSpec, accounts: &Accounts) -> Result<Option<History>> {
    let Some(h) = &spec.account_history else {
        return Ok(None);
    };
    let table = read_table(&h.path, h.csv_separator, None)?;
    let (df, path, file) = (table.df, table.path, table.file);
    let id = &spec.account_columns.id;
    let tier_col = &spec.account_columns.tier;
    let missing = |what: &str, name: &str, hint: &str| {
        Error::input(
            format!("the account history has no {what} column"),
            Location::file(&path).column(name),
            hint.to_string(),
        )
    };
    let ids = key_strings(
        &path,
        id,
        df.column(id).map_err(|_| {
            missing(
                "account key",
                id,
                "name it as in the accounts table ([accounts] id)",
            )
        })?,
    )?;
    let from_name = validity_column(&df, h.valid_from.as_ref(), "valid_from", "dbt_valid_from")
        .ok_or_else(|| {
            missing(
                "valid_from",
                "valid_from",
                "name the column where a version starts in [account_history] valid_from",
            )
        })?;
    let to_name = validity_column(&df, h.valid_to.as_ref(), "valid_to", "dbt_valid_to")
        .ok_or_else(|| {
            missing(
                "valid_to",
                "valid_to",
                "name the column where a version ends (null while current) in [account_history] valid_to",
            )
        })?;
    let column = |name: &str| {
        df.column(name)
            .map_err(|_| missing(name, name, "check the column names in [account_history]"))
    };
    let from = date_days(&path, &from_name, column(&from_name)?)?;
    let to = date_days(&path, &to_name, column(&to_name)?)?;
    let account = version_accounts(&ids, accounts, &path, id)?;
    let valid_from = known_starts(&from, &path, &from_name)?;
    let features = feature_columns(&df, accounts, [id, tier_col, &from_name, &to_name], &path)?;
    let tier = match df.column(tier_col) {
        Ok(c) => Some(tiers(&path, tier_col, c, &spec.tier_labels)?),
        Err(_) => None,
    };
    let ranges = Ranges {
        account,
        valid_from,
        valid_to: to,
    };
    ranges.check(&path, &from_name, &to_name, accounts)?;
    Ok(Some(ranges.into_history(
        path,
        file,
        features,
        tier,
        accounts.len(),
    )?))
}

/// Per row, the account index; an unknown or null account is an error.
fn version_accounts(
    ids: &StringChunked,
    accounts: &Accounts,
    path: &std::path::Path,
    column: &str,
) -> Result<Vec<u32>> {
    let mut out = Vec::with_capacity(ids.len());
    let mut unknown: Vec<(usize, String)> = Vec::new();
    for (row, v) in ids.iter().enumerate() {
        let Some(v) = v.map(str::trim) else {
            return Err(Error::input(
                format!(
                    "account key is null in row {} of the account history",
                    row + 1
                ),
                Location::file(path).column(column).value("null"),
                "every version needs the account it belongs to",
            ));
        };
        match accounts.ids.binary_search_by(|a| a.as_str().cmp(v)) {
            Ok(a) => out.push(a as u32),
            Err(_) => {
                unknown.push((row, v.to_string()));
                out.push(u32::MAX);
            }
        }
    }
    if let Some((_, example)) = unknown.first() {
        let rows: Vec<usize> = unknown.iter().map(|(r, _)| *r).collect();
        return Err(Error::input(
            format!(
                "{} account history row{} name{} an account the accounts table does not have (rows {})",
                unknown.len(),
                if unknown.len() == 1 { "" } else { "s" },
                if unknown.len() == 1 { "s" } else { "" },
                row_list(&rows)
            ),
            Location::file(path).column(column).value(example),
            "export the history and the accounts from the same snapshot, or remove the versions of deleted accounts",
        ));
    }
    Ok(out)
}

/// Every `valid_from`; a null one is an error naming its rows.
fn known_starts(from: &[Option<i32>], path: &std::path::Path, column: &str) -> Result<Vec<i32>> {
    let nulls: Vec<usize> = (0..from.len()).filter(|&r| from[r].is_none()).collect();
    if !nulls.is_empty() {
        return Err(Error::input(
            format!(
                "valid_from is null in {} row{} of the account history (rows {})",
                nulls.len(),
                if nulls.len() == 1 { "" } else { "s" },
                row_list(&nulls)
            ),
            Location::file(path).column(column).value("null"),
            "every version needs the date it starts; only valid_to may be null (the current version)",
        ));
    }
    Ok(from.iter().map(|d| d.unwrap_or_default()).collect())
}

/// The history's feature columns; each must be a column of the accounts table.
fn feature_columns(
    df: &DataFrame,
    accounts: &Accounts,
    not_features: [&String; 4],
    path: &std::path::Path,
) -> Result<DataFrame> {
    let known: Vec<&str> = accounts
        .features
        .get_column_names()
        .into_iter()
        .map(|s| s.as_str())
        .collect();
    let mut keep = Vec::new();
    for name in df.get_column_names() {
        let name = name.as_str();
        if not_features.iter().any(|n| n.as_str() == name) || DBT_COLUMNS.contains(&name) {
            continue;
        }
        if !known.contains(&name) {
            return Err(Error::input(
                "the account history has a feature column the accounts table does not have",
                Location::file(path).column(name),
                match crate::text::nearest(name, known.iter().copied()) {
                    Some(near) => format!("did you mean '{near}'? history columns take the accounts table's names"),
                    None => "history columns take the accounts table's names; drop the column or add it to the accounts".to_string(),
                },
            ));
        }
        keep.push(name.to_string());
    }
    df.select(keep)
        .map_err(|e| polars_err(path, "account history", e))
}

/// The validity ranges as read, row by row.
struct Ranges {
    account: Vec<u32>,
    valid_from: Vec<i32>,
    valid_to: Vec<Option<i32>>,
}

impl Ranges {
    /// Rows in (account, valid_from) order.
    fn order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.account.len()).collect();
        order.sort_by_key(|&r| (self.account[r], self.valid_from[r], r));
        order
    }

    /// No range ends before it starts, and no two ranges of an account overlap.
    fn check(
        &self,
        path: &std::path::Path,
        from_name: &str,
        to_name: &str,
        accounts: &Accounts,
    ) -> Result<()> {
        let inverted: Vec<usize> = (0..self.account.len())
            .filter(|&r| self.valid_to[r].is_some_and(|t| t < self.valid_from[r]))
            .collect();
        if let Some(&r) = inverted.first() {
            return Err(Error::input(
                format!(
                    "valid_to is before valid_from in {} row{} of the account history (rows {}); row {}: account {}, {} to {}",
                    inverted.len(),
                    if inverted.len() == 1 { "" } else { "s" },
                    row_list(&inverted),
                    r + 1,
                    accounts.ids[self.account[r] as usize],
                    format_date(self.valid_from[r]),
                    self.valid_to[r].map_or_else(String::new, format_date),
                ),
                Location::file(path).column(to_name).value(self.valid_to[r].map_or_else(String::new, format_date)),
                format!("each version holds from {from_name} up to {to_name}; check that the two columns are not swapped"),
            ));
        }
        let order = self.order();
        let overlaps: Vec<(usize, usize)> = order
            .windows(2)
            .map(|w| (w[0], w[1]))
            .filter(|&(p, n)| {
                self.account[p] == self.account[n]
                    && self.valid_to[p].is_none_or(|t| t > self.valid_from[n])
            })
            .collect();
        if let Some(&(p, n)) = overlaps.first() {
            let mut accs: Vec<&str> = overlaps
                .iter()
                .map(|&(p, _)| accounts.ids[self.account[p] as usize].as_str())
                .collect();
            accs.dedup();
            let shown: Vec<&str> = accs.iter().take(5).copied().collect();
            let to =
                |r: usize| self.valid_to[r].map_or_else(|| "(current)".to_string(), format_date);
            return Err(Error::input(
                format!(
                    "validity ranges overlap for {} account{} ({}{}); rows {} ({} to {}) and {} ({} to {}) of account {}",
                    accs.len(),
                    if accs.len() == 1 { "" } else { "s" },
                    shown.join(", "),
                    if accs.len() > 5 { ", ..." } else { "" },
                    p + 1,
                    format_date(self.valid_from[p]),
                    to(p),
                    n + 1,
                    format_date(self.valid_from[n]),
                    to(n),
                    accs[0],
                ),
                Location::file(path).column(from_name).value(accs[0]),
                format!("a version must end ({to_name}) on or before the day the next one starts; only the last may have a null {to_name}"),
            ));
        }
        Ok(())
    }

    fn into_history(
        self,
        path: PathBuf,
        file: InputFile,
        features: DataFrame,
        tier: Option<Vec<Option<u8>>>,
        n_accounts: usize,
    ) -> Result<History> {
        let order = self.order();
        let idx = IdxCa::from_vec(
            PlSmallStr::EMPTY,
            order.iter().map(|&r| r as IdxSize).collect(),
        );
        let features = features
            .take(&idx)
            .map_err(|e| polars_err(&path, "account history", e))?;
        let mut offsets = vec![0u32; n_accounts + 1];
        for &a in &self.account {
            offsets[a as usize + 1] += 1;
        }
        for a in 0..n_accounts {
            offsets[a + 1] += offsets[a];
        }
        Ok(History {
            path,
            file,
            account: order.iter().map(|&r| self.account[r]).collect(),
            valid_from: order.iter().map(|&r| self.valid_from[r]).collect(),
            valid_to: order.iter().map(|&r| self.valid_to[r]).collect(),
            offsets,
            features,
            tier: tier.map(|t| order.iter().map(|&r| t[r]).collect()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(from: &[i32], to: &[Option<i32>]) -> History {
        History {
            path: PathBuf::from("h.csv"),
            file: InputFile {
                path: "h.csv".into(),
                format: crate::io::read::Format::Csv,
                rows: from.len() as u64,
                sha256: String::new(),
                bytes: 0,
            },
            account: vec![0; from.len()],
            valid_from: from.to_vec(),
            valid_to: to.to_vec(),
            offsets: vec![0, from.len() as u32, from.len() as u32],
            features: DataFrame::empty(),
            tier: None,
        }
    }

    /// Versions [10, 20), [20, 25), a gap, then [30, current): each day
    /// finds the version whose range holds it, none before the first, in
    /// the gap or for an account without versions.
    #[test]
    fn version_at_finds_the_range_that_holds_the_day() {
        let h = history(&[10, 20, 30], &[Some(20), Some(25), None]);
        let at = |d| h.version_at(0, d);
        assert_eq!(at(9), None);
        assert_eq!(at(10), Some(0));
        assert_eq!(at(19), Some(0));
        assert_eq!(at(20), Some(1));
        assert_eq!(at(24), Some(1));
        assert_eq!(at(25), None);
        assert_eq!(at(29), None);
        assert_eq!(at(30), Some(2));
        assert_eq!(at(10_000), Some(2));
        assert_eq!(h.version_at(1, 15), None);
    }
}
