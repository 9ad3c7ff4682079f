//! The accounts table under the contract: a unique, non-null key per row,
//! known tier labels, the other columns kept as features; whole, or in
//! batches for `score`.

use std::path::Path;

use polars::prelude::*;

use crate::error::{Error, Location, Result};
use crate::io::read::{InputFile, Table};
use crate::io::spec::InputSpec;

use super::columns::{entirely_null, key_strings, missing_column, polars_err};
use super::keys::sorted_keys;
use super::tiers::tiers;

/// Accounts after key and tier validation, in account-key order. Feature
/// columns stay in `features` (a `DataFrame` without the key and tier) for
/// `features::infer`, in the file's row order: see [`Accounts::rows`].
pub struct Accounts {
    pub ids: Vec<String>,
    /// Current tier per account (1, 2 or 3); `None` for untiered. The whole
    /// vector is `None` when the input has no tier column.
    pub tier: Option<Vec<Option<u8>>>,
    /// The feature columns in the file's row order, which is key order
    /// unless [`Accounts::rows`] says otherwise.
    pub features: DataFrame,
    /// Per account (in key order), its row of `features`; `None` when the
    /// file is in key order. Reordering every column of a ten-million-row
    /// table, text and lists included, took most of reading it; a feature's
    /// values are reordered as they are read instead.
    pub rows: Option<Vec<IdxSize>>,
    pub file: InputFile,
    pub path: std::path::PathBuf,
}

impl Accounts {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The feature columns with one row per account in key order (a copy
    /// only when the file is in another order).
    pub fn features_in_key_order(&self) -> Result<DataFrame> {
        match &self.rows {
            None => Ok(self.features.clone()),
            Some(rows) => self
                .features
                .take(&IdxCa::from_vec(PlSmallStr::EMPTY, rows.clone()))
                .map_err(|e| polars_err(&self.path, "(reordering by account key)", e)),
        }
    }
}

/// Validate the accounts table: the key is present, non-null and unique; the
/// tier column, if any, holds known labels.
///
/// Rows are put in account-key order, so that the order of the input file
/// changes no figure (k-means seeding and sampling work by row).
pub fn accounts(table: Table, spec: &InputSpec) -> Result<Accounts> {
    let Table {
        df,
        columns,
        file,
        path,
    } = table;
    let cols = &spec.account_columns;
    if df.height() == 0 {
        return Err(Error::input(
            "the accounts table has no rows",
            Location::file(&path).column(&cols.id),
            "export the accounts again; a file with only a header usually means the export failed",
        ));
    }
    let id_col = df
        .column(&cols.id)
        .map_err(|_| missing_column(&path, &columns, &cols.id, "the account key", "accounts.id"))?;
    entirely_null(&path, &cols.id, id_col, "the account key")?;
    let ids_ca = key_strings(&path, &cols.id, id_col)?;
    let (order, duplicate) = sorted_keys(&ids_ca, &path, &cols.id, "account")?;
    if let Some(dup) = duplicate {
        return Err(duplicate_account(&path, spec, dup));
    }
    let ids: Vec<String> = (order.iter())
        .map(|&r| ids_ca.get(r as usize).expect("no key is null").to_string())
        .collect();
    let rows = (!order.iter().enumerate().all(|(i, &o)| i == o as usize))
        .then(|| order.iter().map(|&i| i as IdxSize).collect::<Vec<_>>());
    drop(order);
    drop(ids_ca);
    let (mut tier, features) = tiers_and_features(df, &path, spec)?;
    if let (Some(t), Some(rows)) = (&mut tier, &rows) {
        *t = rows.iter().map(|&r| t[r as usize]).collect();
    }
    Ok(Accounts {
        ids,
        tier,
        features,
        rows,
        file,
        path,
    })
}

/// The tier column, if any, checked; and the other columns but the key: the features.
fn tiers_and_features(
    df: DataFrame,
    path: &Path,
    spec: &InputSpec,
) -> Result<(Option<Vec<Option<u8>>>, DataFrame)> {
    let cols = &spec.account_columns;
    let tier = match df.column(&cols.tier) {
        Err(_) => None,
        Ok(col) => Some(tiers(path, &cols.tier, col, &spec.tier_labels)?),
    };
    let mut features = df
        .drop(&cols.id)
        .map_err(|e| polars_err(path, &cols.id, e))?;
    if tier.is_some() {
        features = features
            .drop(&cols.tier)
            .map_err(|e| polars_err(path, &cols.tier, e))?;
    }
    Ok((tier, features))
}

/// A batch of an accounts table read in batches: its keys in input order,
/// tiers and features.
pub struct AccountBatch {
    pub ids: Vec<String>,
    /// As [`Accounts::tier`].
    pub tier: Option<Vec<Option<u8>>>,
    pub features: DataFrame,
}

/// Where a batch of an accounts table comes from.
pub struct BatchOrigin<'a> {
    /// The table's path.
    pub path: &'a Path,
    /// Every column of the table in file order, to name in a hint.
    pub columns: &'a [String],
    /// The table's row (0-based) the batch starts at.
    pub first_row: u64,
    /// The batch is the whole table: an entirely null key column is then
    /// reported as such.
    pub whole: bool,
}

/// The checks of [`accounts`] that hold row by row, on a batch of rows
/// from `origin`: the key is present, a string or integer, and non-null;
/// tiers are known labels. Rows keep their input order, and that every key
/// is unique across batches is left to the caller.
pub fn account_batch(
    df: DataFrame,
    origin: &BatchOrigin,
    spec: &InputSpec,
) -> Result<AccountBatch> {
    let BatchOrigin {
        path,
        columns,
        first_row,
        whole,
    } = *origin;
    let cols = &spec.account_columns;
    let id_col = df
        .column(&cols.id)
        .map_err(|_| missing_column(path, columns, &cols.id, "the account key", "accounts.id"))?;
    if whole {
        entirely_null(path, &cols.id, id_col, "the account key")?;
    }
    let keys = key_strings(path, &cols.id, id_col)?;
    let mut ids = Vec::with_capacity(keys.len());
    for (row, v) in keys.iter().enumerate() {
        let Some(v) = v else {
            return Err(Error::input(
                format!("account key is null in row {}", first_row + row as u64 + 1),
                Location::file(path).column(&cols.id).value("null"),
                "every account needs a unique, non-null key",
            ));
        };
        ids.push(v.to_string());
    }
    drop(keys);
    let (tier, features) = tiers_and_features(df, path, spec)?;
    Ok(AccountBatch {
        ids,
        tier,
        features,
    })
}

/// The error for an account key that appears twice, as [`accounts`] reports it.
pub fn duplicate_account(path: &Path, spec: &InputSpec, key: &str) -> Error {
    Error::input(
        "account key is duplicated",
        Location::file(path)
            .column(&spec.account_columns.id)
            .value(key),
        "keep one row per account; deduplicate the export",
    )
}
