//! The data contract: turns raw tables into typed [`Accounts`] and [`Deals`],
//! rejecting what breaks the contract and counting what it may drop.
//!
//! See `docs/data-contract.md` ("Bad input"). Hard errors name the
//! file, the column and an example value; droppable rows are counted by
//! reason in [`Drops`] and reported.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;
use serde::Serialize;

use crate::dates::{format_date, parse_date};
use crate::domain::OutcomeLabel;
use crate::error::{Error, Location, Result};
use crate::io::read::{InputFile, Table};
use crate::io::spec::{DealColumns, DropPolicy, DropReason, InputSpec};

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

/// Deals after validation, one entry per kept deal. Dates are days since 1970-01-01.
#[derive(Clone)]
pub struct Deals {
    /// Index into [`Accounts::ids`].
    pub account: Vec<u32>,
    pub created: Vec<i32>,
    /// Close date for won and lost deals; for open deals, the as-of date.
    pub closed: Vec<i32>,
    pub outcome: Vec<OutcomeLabel>,
    /// Deal value, NaN when unknown.
    pub amount: Vec<f64>,
    pub as_of: i32,
    pub file: InputFile,
}

impl Deals {
    pub fn len(&self) -> usize {
        self.account.len()
    }

    pub fn is_empty(&self) -> bool {
        self.account.is_empty()
    }

    /// Days from creation to close (or to the as-of date for open deals).
    pub fn duration(&self, i: usize) -> f64 {
        f64::from(self.days(i))
    }

    /// The day the first deal was created; the as-of date when there is no
    /// deal. Where a window without a start begins.
    pub fn first_created(&self) -> i32 {
        self.created.iter().copied().min().unwrap_or(self.as_of)
    }

    /// [`Deals::duration`] as a whole number of days, for histograms. Never
    /// negative: the contract drops deals closed before they were created.
    pub fn days(&self, i: usize) -> u32 {
        (self.closed[i] - self.created[i]).max(0) as u32
    }
}

/// Rows dropped or reinterpreted, by reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Drops {
    /// Reason → rows dropped.
    pub deals_dropped: BTreeMap<DropReason, u64>,
    /// Won or lost deals closed after the as-of date, counted as open at the as-of date.
    pub deals_reopened_at_as_of: u64,
    /// Open deals older than `[deals] stale_after_days`, counted as lost.
    pub deals_lost_as_stale: u64,
}

impl Drops {
    fn count(&mut self, reason: DropReason) {
        *self.deals_dropped.entry(reason).or_default() += 1;
    }
}

fn missing_column(file: &Path, columns: &[String], wanted: &str, role: &str, key: &str) -> Error {
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    let hint = match crate::text::nearest(wanted, names.iter().copied()) {
        Some(near) => {
            format!("did you mean '{near}'? map it in the config file with {key} = \"{near}\"")
        }
        None => format!(
            "the file has columns {}; map the right one in the config file with {key} = \"...\"",
            preview(&names)
        ),
    };
    Error::input(
        format!("required column '{wanted}' ({role}) is missing"),
        Location::file(file).column(wanted),
        hint,
    )
}

fn preview(names: &[&str]) -> String {
    let shown: Vec<String> = names.iter().take(12).map(|n| format!("'{n}'")).collect();
    let more = if names.len() > 12 { ", ..." } else { "" };
    format!("{}{more}", shown.join(", "))
}

/// Numbers larger in magnitude than this (in a feature or an amount) are
/// placeholders or unit errors, and would overflow sums of squares.
pub const MAX_ABS_NUMBER: f64 = 1e15;

/// A required column whose every value is null cannot be used; say so rather
/// than failing on its first row or dropping every row.
fn entirely_null(file: &Path, name: &str, col: &Column, role: &str) -> Result<()> {
    if !col.is_empty() && col.null_count() == col.len() {
        return Err(Error::input(
            format!("the column ({role}) is entirely null"),
            Location::file(file).column(name).value("null"),
            format!(
                "check that the export filled '{name}', or map the right column in the config file"
            ),
        ));
    }
    Ok(())
}

pub(crate) fn polars_err(file: &Path, column: &str, e: PolarsError) -> Error {
    Error::input(
        format!("could not interpret the column: {e}"),
        Location::file(file).column(column),
        "check the column's type in the export",
    )
}

/// A key column as strings. Integers are written in decimal; floats are
/// accepted only when every value is a whole number.
pub(crate) fn key_strings(file: &Path, name: &str, col: &Column) -> Result<StringChunked> {
    let s = col.as_materialized_series();
    let as_str = match s.dtype() {
        DataType::String => s.clone(),
        dt if dt.is_integer() => s
            .cast(&DataType::String)
            .map_err(|e| polars_err(file, name, e))?,
        dt if dt.is_float() => {
            let f = s
                .cast(&DataType::Float64)
                .map_err(|e| polars_err(file, name, e))?;
            let f = f.f64().map_err(|e| polars_err(file, name, e))?;
            if let Some(bad) = f
                .iter()
                .flatten()
                .find(|v| v.fract() != 0.0 || !v.is_finite())
            {
                return Err(Error::input(
                    "a key column holds a number that is not a whole number",
                    Location::file(file).column(name).value(bad),
                    "keys must be strings or integers",
                ));
            }
            s.cast(&DataType::Int64)
                .and_then(|s| s.cast(&DataType::String))
                .map_err(|e| polars_err(file, name, e))?
        }
        dt => {
            return Err(Error::input(
                format!("a key column has type {dt}, expected string or integer"),
                Location::file(file).column(name),
                "keys must be strings or integers",
            ))
        }
    };
    Ok(as_str.str().map_err(|e| polars_err(file, name, e))?.clone())
}

/// Rows in key order, and the first key (in key order) that appears twice,
/// if any. A null key is an error naming its row. `what` is "account" or
/// "deal".
///
/// Rows are sorted by eight bytes of each key after the prefix every key
/// shares (`A00…`, `0065g000…`), as integers held in one array, and only
/// rows whose eight bytes tie are compared as strings. Sorting the strings
/// themselves followed a pointer per comparison: at thirty million deals,
/// whose keys are out of string order from `D10000000` on, that was most of
/// reading them.
fn sorted_keys<'a>(
    keys: &'a StringChunked,
    file: &Path,
    column: &str,
    what: &str,
) -> Result<(Vec<u32>, Option<&'a str>)> {
    if let Some(row) = keys.iter().position(|v| v.is_none()) {
        return Err(Error::input(
            format!("{what} key is null in row {}", row + 1),
            Location::file(file).column(column).value("null"),
            format!("every {what} needs a unique, non-null key"),
        ));
    }
    let key = |row: u32| keys.get(row as usize).expect("no key is null");
    let shared = shared_prefix(keys.iter().flatten());
    let mut order: Vec<(u64, u32)> = (keys.iter().flatten().enumerate())
        .map(|(row, k)| (key_bytes(k, shared), row as u32))
        .collect();
    // Exports are usually in key or creation order, which this sort finds
    // nearly done; it also makes duplicates neighbours, with no hash set.
    order.sort_unstable();
    // Runs of equal eight bytes, found by walking the array once: almost
    // every run is one row long. A binary search for each run's end, over
    // the rest of the array, cost a cache miss per step once the array
    // outgrew the cache, and took most of reading the keys at 5M rows.
    let mut duplicate = None;
    for tie in order.chunk_by_mut(|a, b| a.0 == b.0) {
        if tie.len() > 1 {
            tie.sort_unstable_by(|a, b| key(a.1).cmp(key(b.1)).then(a.1.cmp(&b.1)));
            if duplicate.is_none() {
                duplicate =
                    (tie.windows(2).find(|w| key(w[0].1) == key(w[1].1))).map(|w| key(w[0].1));
            }
        }
    }
    Ok((order.into_iter().map(|(_, row)| row).collect(), duplicate))
}

/// The length of the prefix all `keys` share, in bytes (0 for no key).
fn shared_prefix<'a>(mut keys: impl Iterator<Item = &'a str>) -> usize {
    let Some(first) = keys.next().map(str::as_bytes) else {
        return 0;
    };
    keys.fold(first.len(), |n, k| {
        (first[..n].iter().zip(k.as_bytes()))
            .take_while(|(a, b)| a == b)
            .count()
    })
}

/// Bytes `from..from + 8` of `key` (zeros past its end) as a big-endian
/// integer: keys in string order have these in integer order, or equal.
fn key_bytes(key: &str, from: usize) -> u64 {
    let mut b = [0u8; 8];
    let rest = key.as_bytes().get(from..).unwrap_or_default();
    let n = rest.len().min(8);
    b[..n].copy_from_slice(&rest[..n]);
    u64::from_be_bytes(b)
}

fn parse_tier(raw: &str, labels: &BTreeMap<String, u8>) -> Option<u8> {
    let t = raw.trim().to_lowercase();
    if let Some(v) = labels.get(&t) {
        return Some(*v);
    }
    let digits = t
        .strip_prefix("tier")
        .or_else(|| t.strip_prefix('t'))
        .unwrap_or(&t)
        .trim_start_matches([' ', '_', '-']);
    match digits {
        "1" => Some(1),
        "2" => Some(2),
        "3" => Some(3),
        _ => integral_float_tier(digits),
    }
}

/// A tier written as an integral float (`3.0`), as pandas writes an integer
/// column with nulls. Only 1.0, 2.0 and 3.0 are tiers; `2.5` is not.
fn integral_float_tier(text: &str) -> Option<u8> {
    if !text.contains('.') {
        return None;
    }
    let v = text.parse::<f64>().ok()?;
    [1u8, 2, 3].into_iter().find(|&t| v == f64::from(t))
}

/// With `[deals] stale_after_days = N`, an open deal created on day
/// `created` and more than N days old at `as_of` is lost at `created + N`.
pub fn stale_loss(created: i32, as_of: i32, stale_after_days: Option<u32>) -> Option<i32> {
    let n = i32::try_from(stale_after_days?).ok()?;
    (as_of - created > n).then_some(created + n)
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

/// The checks of [`accounts`] that hold row by row, on a batch of rows
/// starting at row `first_row` (0-based) of the table: the key is present,
/// a string or integer, and non-null; tiers are known labels. Rows keep
/// their input order, and that every key is unique across batches is left
/// to the caller. `whole` says the batch is the whole table (then an
/// entirely null key column is reported as such).
pub fn account_batch(
    df: DataFrame,
    table: (&Path, &[String]),
    spec: &InputSpec,
    first_row: u64,
    whole: bool,
) -> Result<AccountBatch> {
    let (path, columns) = table;
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

pub(crate) fn tiers(
    path: &Path,
    name: &str,
    col: &Column,
    labels: &BTreeMap<String, u8>,
) -> Result<Vec<Option<u8>>> {
    let s = col
        .as_materialized_series()
        .cast(&DataType::String)
        .map_err(|e| polars_err(path, name, e))?;
    let ca = s.str().map_err(|e| polars_err(path, name, e))?;
    let mut out = Vec::with_capacity(ca.len());
    for v in ca.iter() {
        match v.map(str::trim) {
            None | Some("") => out.push(None),
            Some(raw) => match parse_tier(raw, labels) {
                Some(t) if (1..=3).contains(&t) => out.push(Some(t)),
                _ => {
                    return Err(Error::input(
                        "unrecognised tier label",
                        Location::file(path).column(name).value(raw),
                        format!(
                            "tiers are 1, 2, 3 or 'Tier 1'..'Tier 3'; map other labels in the config file, \
                             e.g. [accounts.tier_labels] \"{raw}\" = 1"
                        ),
                    ))
                }
            },
        }
    }
    Ok(out)
}

/// Deal dates are accepted from 1970-01-01 up to (not including) 2100-01-01,
/// as days since 1970-01-01. Dates outside are placeholders (`1900-01-01`,
/// `9999-12-31`) or mistyped years, and would silently stretch the as-of date
/// or every duration.
const MIN_DATE: i32 = 0;
const MAX_DATE: i32 = 47_482;

/// A date or datetime column as days since 1970-01-01. Strings are parsed as
/// ISO 8601 (`2026-03-31`, `2026-03-31 14:00:00`, `2026-03-31T14:00:00Z`).
pub fn date_days(path: &Path, name: &str, col: &Column) -> Result<Vec<Option<i32>>> {
    let s = col.as_materialized_series();
    let days: Vec<Option<i32>> = match s.dtype() {
        DataType::Date | DataType::Datetime(_, _) => {
            let d = if matches!(s.dtype(), DataType::Date) {
                s.clone()
            } else {
                s.cast(&DataType::Date)
                    .map_err(|e| polars_err(path, name, e))?
            };
            let i = d
                .cast(&DataType::Int32)
                .map_err(|e| polars_err(path, name, e))?;
            i.i32()
                .map_err(|e| polars_err(path, name, e))?
                .iter()
                .collect()
        }
        DataType::String => {
            let ca = s.str().map_err(|e| polars_err(path, name, e))?;
            let mut out = Vec::with_capacity(ca.len());
            for v in ca.iter() {
                match v.map(str::trim) {
                    None | Some("") => out.push(None),
                    Some(raw) => match parse_date(raw) {
                        Some(d) => out.push(Some(d)),
                        None => {
                            return Err(Error::input(
                                "a date could not be read",
                                Location::file(path).column(name).value(raw),
                                "write dates as ISO 8601 (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS), in one format per column",
                            ))
                        }
                    },
                }
            }
            out
        }
        DataType::Null => vec![None; s.len()],
        dt => {
            return Err(Error::input(
                format!("the column has type {dt}, expected a date or datetime"),
                Location::file(path).column(name),
                "export the column as a date, or as ISO 8601 text",
            ))
        }
    };
    if let Some(bad) = days
        .iter()
        .flatten()
        .find(|d| !(MIN_DATE..MAX_DATE).contains(*d))
    {
        let when = if *bad < MIN_DATE {
            "before 1970-01-01"
        } else {
            "after 2099-12-31"
        };
        return Err(Error::input(
            format!("a deal date is {when}"),
            Location::file(path).column(name).value(format_date(*bad)),
            "check for placeholder dates such as 1900-01-01 or 9999-12-31, or a mistyped year, in the export",
        ));
    }
    Ok(days)
}

fn outcome_of(raw: &str, map: &BTreeMap<String, OutcomeLabel>) -> Option<OutcomeLabel> {
    let t = raw.trim().to_lowercase();
    if let Some(o) = map.get(&t) {
        return Some(*o);
    }
    match t.as_str() {
        "won" => Some(OutcomeLabel::Won),
        "lost" => Some(OutcomeLabel::Lost),
        "open" => Some(OutcomeLabel::Open),
        _ => None,
    }
}

/// Validate the deals table against the accounts, fix the as-of date and
/// count every dropped row.
pub fn deals(
    table: Table,
    accounts: &Accounts,
    spec: &InputSpec,
    drops: &mut Drops,
) -> Result<Deals> {
    let Table {
        df,
        columns,
        file,
        path,
    } = table;
    let c = &spec.deal_columns;
    let cols = DealCols::find(&df, &columns, &path, c)?;
    // A second thread sorts the keys and reads the outcomes, dates and
    // amounts while this one finds each deal's account; errors come in the
    // order of one after the other.
    let (columns, accounts_of) = std::thread::scope(|s| {
        let columns = s.spawn(|| {
            let order = deal_key_order(&path, &c.id, cols.id)?;
            Ok((order, deal_columns(&path, &cols, spec)?))
        });
        let accounts_of = key_strings(&path, &c.account_id, cols.account)
            .map(|acc_ids| (account_rows(&accounts.ids, &acc_ids), acc_ids));
        (crate::parallel::joined(columns), accounts_of)
    });
    let (order, (outcome, created, closed, amount)) = columns?;
    let (account, acc_ids) = accounts_of?;
    let rows = DealRows {
        account,
        created,
        closed,
        outcome,
        amount,
    };
    let keep = rows.valid(&order, &acc_ids, spec, &path, drops)?;
    // Only our own columns are read from here on: free the table (at ten
    // million deals, about a gigabyte of text and dates) before building
    // the deals.
    drop(order);
    drop(acc_ids);
    drop(df);
    let as_of = match spec.as_of {
        Some(d) => d,
        None => rows.latest_date(&keep).ok_or_else(|| {
            Error::input(
                "no deal remains after validation",
                Location::file(&path),
                "see the counts above: check the account keys and dates",
            )
        })?,
    };
    let out = rows.as_of(&keep, as_of, spec.stale_after_days, file, drops);
    if !out.outcome.iter().any(|o| *o != OutcomeLabel::Open) {
        return Err(Error::input(
            format!("no closed (won or lost) deal remains as of {}", format_date(as_of)),
            Location::file(&path).column(&c.outcome),
            "segments are judged on closed deals; check the outcome mapping, --as-of, and the drop counts",
        ));
    }
    Ok(out)
}

/// Deal keys: non-null and unique. The rows in key order: they are taken
/// in that order, so that the order of the input file changes no figure.
fn deal_key_order(path: &Path, name: &str, col: &Column) -> Result<Vec<u32>> {
    let ids = key_strings(path, name, col)?;
    let (order, duplicate) = sorted_keys(&ids, path, name, "deal")?;
    match duplicate {
        Some(dup) => Err(Error::input(
            "deal key is duplicated",
            Location::file(path).column(name).value(dup),
            "keep one row per opportunity; deduplicate the export",
        )),
        None => Ok(order),
    }
}

/// The deals' outcomes, creation and close dates and amounts, checked.
type DealValues = (
    Vec<OutcomeLabel>,
    Vec<Option<i32>>,
    Vec<Option<i32>>,
    Vec<f64>,
);

/// The deals' outcomes, dates and amounts, checked and converted.
fn deal_columns(path: &Path, cols: &DealCols, spec: &InputSpec) -> Result<DealValues> {
    let c = &spec.deal_columns;
    let outcome = outcome_labels(path, &c.outcome, cols.outcome, &spec.outcomes)?;
    let created = date_days(path, &c.created_at, cols.created)?;
    close_dates_exist(path, &c.closed_at, cols.closed, &outcome)?;
    let closed = date_days(path, &c.closed_at, cols.closed)?;
    let amount = amounts(path, &c.amount, cols.amount, cols.id.len())?;
    Ok((outcome, created, closed, amount))
}

/// The deals table's columns the contract reads.
struct DealCols<'a> {
    id: &'a Column,
    account: &'a Column,
    created: &'a Column,
    closed: &'a Column,
    outcome: &'a Column,
    amount: Option<&'a Column>,
}

impl<'a> DealCols<'a> {
    /// Every required column, present and not entirely null, in a table with rows.
    fn find(
        df: &'a DataFrame,
        columns: &[String],
        path: &Path,
        c: &DealColumns,
    ) -> Result<DealCols<'a>> {
        let col = |name: &str, role: &str, key: &str| {
            df.column(name)
                .map_err(|_| missing_column(path, columns, name, role, key))
        };
        let cols = DealCols {
            id: col(&c.id, "the deal key", "deals.id")?,
            account: col(&c.account_id, "the deal's account", "deals.account_id")?,
            created: col(
                &c.created_at,
                "when the deal was opened",
                "deals.created_at",
            )?,
            closed: col(
                &c.closed_at,
                "when the deal was won or lost",
                "deals.closed_at",
            )?,
            outcome: col(&c.outcome, "won, lost or open", "deals.outcome")?,
            amount: df.column(&c.amount).ok(),
        };
        if df.height() == 0 {
            return Err(Error::input(
                "the deals table has no rows",
                Location::file(path).column(&c.id),
                "export the deals again; a file with only a header usually means the export failed",
            ));
        }
        entirely_null(path, &c.id, cols.id, "the deal key")?;
        entirely_null(path, &c.account_id, cols.account, "the deal's account")?;
        entirely_null(
            path,
            &c.created_at,
            cols.created,
            "when the deal was opened",
        )?;
        entirely_null(path, &c.outcome, cols.outcome, "won, lost or open")?;
        Ok(cols)
    }
}

/// Each row's outcome; every label must map.
fn outcome_labels(
    path: &Path,
    name: &str,
    col: &Column,
    map: &BTreeMap<String, OutcomeLabel>,
) -> Result<Vec<OutcomeLabel>> {
    let outcome_s = col
        .as_materialized_series()
        .cast(&DataType::String)
        .map_err(|e| polars_err(path, name, e))?;
    let outcome_ca = outcome_s.str().map_err(|e| polars_err(path, name, e))?;
    let mut outcomes = Vec::with_capacity(outcome_ca.len());
    // Exports use a handful of labels: a short list beats hashing every row.
    let mut label_cache: Vec<(&str, OutcomeLabel)> = Vec::new();
    for (row, v) in outcome_ca.iter().enumerate() {
        let Some(v) = v else {
            return Err(Error::input(
                format!("outcome is null in row {}", row + 1),
                Location::file(path).column(name).value("null"),
                "every deal needs an outcome: won, lost or open",
            ));
        };
        let o = match label_cache.iter().find(|(l, _)| *l == v) {
            Some((_, o)) => *o,
            None => {
                let o = outcome_of(v, map).ok_or_else(|| {
                    Error::input(
                        "outcome value is not mapped to won, lost or open",
                        Location::file(path).column(name).value(v),
                        format!("map it in the config file: [deals.outcomes] \"{v}\" = \"open\" (or \"won\" / \"lost\")"),
                    )
                })?;
                label_cache.push((v, o));
                o
            }
        };
        outcomes.push(o);
    }
    Ok(outcomes)
}

/// A close-date column left entirely empty while deals are won or lost
/// is a mapping or export fault, not a table of missing dates.
fn close_dates_exist(
    path: &Path,
    name: &str,
    col: &Column,
    outcomes: &[OutcomeLabel],
) -> Result<()> {
    if col.null_count() != col.len() {
        return Ok(());
    }
    match outcomes.iter().find(|o| **o != OutcomeLabel::Open) {
        None => Ok(()),
        Some(o) => Err(Error::input(
            format!(
                "the column (when the deal was won or lost) is entirely null, yet deals are {}",
                if *o == OutcomeLabel::Won { "won" } else { "lost" }
            ),
            Location::file(path).column(name).value("null"),
            format!(
                "check that the export filled '{name}', or map the close-date column in the config file"
            ),
        )),
    }
}

/// Deal amounts; NaN where unknown (no column, an empty one, or a null).
fn amounts(path: &Path, name: &str, col: Option<&Column>, height: usize) -> Result<Vec<f64>> {
    let a = match col {
        // No amount column, or one left empty (which a CSV reader types as text).
        None => return Ok(vec![f64::NAN; height]),
        Some(a) if a.null_count() == a.len() => return Ok(vec![f64::NAN; height]),
        Some(a) => a,
    };
    let s = a.as_materialized_series();
    if !s.dtype().is_primitive_numeric() && !matches!(s.dtype(), DataType::Null) {
        let mut at = Location::file(path).column(name);
        if let Ok(text) = s.cast(&DataType::String) {
            if let Some(v) = text.str().ok().and_then(|ca| {
                ca.iter()
                    .flatten()
                    .find(|v| v.trim().parse::<f64>().is_err())
                    .map(str::to_string)
            }) {
                at = at.value(v);
            }
        }
        return Err(Error::input(
            format!(
                "the amount column has type {}, expected a number",
                s.dtype()
            ),
            at,
            "export amounts as numbers without currency symbols",
        ));
    }
    let f = s
        .cast(&DataType::Float64)
        .map_err(|e| polars_err(path, name, e))?;
    let ca = f.f64().map_err(|e| polars_err(path, name, e))?;
    let v: Vec<f64> = ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
    if let Some(bad) = ca.iter().flatten().find(|v| !v.is_finite()) {
        return Err(Error::input(
            "an amount is not a finite number",
            Location::file(path).column(name).value(bad),
            "write unknown amounts as empty / null, not NaN or infinity",
        ));
    }
    if let Some(bad) = ca.iter().flatten().find(|v| v.abs() > MAX_ABS_NUMBER) {
        return Err(Error::input(
            "an amount is larger than 10^15",
            Location::file(path).column(name).value(bad),
            "check for placeholder values or a unit error in the export",
        ));
    }
    Ok(v)
}

/// Each row's account: its index in `ids` (the account keys, in key order
/// and unique), `u32::MAX` for a null or unknown account.
///
/// The rows are sorted by eight bytes of their key after the prefix every
/// account key shares, as [`sorted_keys`] sorts keys, and walked alongside
/// the accounts, whose eight bytes are in the same order; a row's key is
/// compared only with the accounts whose eight bytes are its own (usually
/// one). A key no longer than the prefix and eight bytes is known whole
/// from them and its length, so it is not read again; a longer one is
/// compared as a string. A hash map of the accounts, looked up row by row,
/// cost a cache miss or more per deal once it outgrew the cache: in a file
/// in creation order at 5M accounts, nearly half of reading the deals.
/// A file grouped by account in key order is sorted already, which the
/// sort finds in one pass.
fn account_rows(ids: &[String], acc_ids: &StringChunked) -> Vec<u32> {
    let from = shared_prefix(ids.iter().map(String::as_str));
    let prefix = ids.first().map_or(&b""[..], |id| &id.as_bytes()[..from]);
    const LONG: u8 = u8::MAX;
    // Per row whose key has the accounts' prefix (no other is an
    // account's): its eight bytes, its row, and its length past the prefix
    // when that is at most eight bytes, else LONG.
    let mut order: Vec<(u64, u32, u8)> = (acc_ids.iter().enumerate())
        .filter_map(|(row, k)| {
            let k = k?.trim();
            let past = k.as_bytes().strip_prefix(prefix)?.len();
            let len = if past <= 8 { past as u8 } else { LONG };
            Some((key_bytes(k, from), row as u32, len))
        })
        .collect();
    order.sort_unstable();
    let mut account = vec![u32::MAX; acc_ids.len()];
    // The first account whose eight bytes are not below the current run's.
    let mut first = 0;
    for run in order.chunk_by(|a, b| a.0 == b.0) {
        let bytes = run[0].0;
        while first < ids.len() && key_bytes(&ids[first], from) < bytes {
            first += 1;
        }
        let same = (ids[first..].iter())
            .take_while(|id| key_bytes(id, from) == bytes)
            .count();
        let candidates = &ids[first..first + same];
        for &(_, row, len) in run {
            let found = if len == LONG {
                let key = acc_ids.get(row as usize).expect("null rows are skipped");
                (candidates.binary_search_by(|id| id.as_str().cmp(key.trim()))).ok()
            } else {
                // The key is the prefix and these bytes cut at `len`.
                // Accounts that short come first among the candidates (each
                // a prefix of the next), nine at most.
                (candidates.iter().take(9)).position(|id| id.len() == from + usize::from(len))
            };
            if let Some(i) = found {
                account[row as usize] = (first + i) as u32;
            }
        }
    }
    account
}

/// The deals' columns as read, per row in file order.
struct DealRows {
    account: Vec<u32>,
    created: Vec<Option<i32>>,
    closed: Vec<Option<i32>>,
    outcome: Vec<OutcomeLabel>,
    amount: Vec<f64>,
}

impl DealRows {
    /// Rows, in key order, that survive validation before the as-of date is
    /// known; the others are counted as dropped, or fail the run where the
    /// config's drop policy says so.
    fn valid(
        &self,
        order: &[u32],
        acc_ids: &StringChunked,
        spec: &InputSpec,
        path: &Path,
        drops: &mut Drops,
    ) -> Result<Vec<u32>> {
        let c = &spec.deal_columns;
        let policy_fail =
            |policy: DropPolicy, reason: &str, column: &str, value: String| -> Result<()> {
                if policy == DropPolicy::Error {
                    Err(Error::input(
                        format!("a deal is {reason}, and the config makes this an error"),
                        Location::file(path).column(column).value(value),
                        "fix the export, or set the [drops] policy to \"drop\"",
                    ))
                } else {
                    Ok(())
                }
            };
        let mut keep = Vec::with_capacity(self.account.len());
        for &i in order {
            let i = i as usize;
            let fault = if self.account[i] == u32::MAX {
                let v = acc_ids.get(i).unwrap_or("null").to_string();
                let why = "for an account not in the accounts table";
                Some((
                    spec.drops.unknown_account,
                    why,
                    &c.account_id,
                    v,
                    DropReason::UnknownAccount,
                ))
            } else if let Some(cr) = self.created[i] {
                let closed = self.outcome[i] != OutcomeLabel::Open;
                match self.closed[i] {
                    None if closed => Some((
                        spec.drops.missing_date,
                        "closed but has no close date",
                        &c.closed_at,
                        "null".into(),
                        DropReason::MissingClosedAt,
                    )),
                    Some(cl) if closed && cl < cr => Some((
                        spec.drops.closed_before_created,
                        "closed before it was created",
                        &c.closed_at,
                        format_date(cl),
                        DropReason::ClosedBeforeCreated,
                    )),
                    _ if self.amount[i] < 0.0 => Some((
                        spec.drops.negative_amount,
                        "of negative amount",
                        &c.amount,
                        self.amount[i].to_string(),
                        DropReason::NegativeAmount,
                    )),
                    _ => None,
                }
            } else {
                let why = "missing its creation date";
                Some((
                    spec.drops.missing_date,
                    why,
                    &c.created_at,
                    "null".into(),
                    DropReason::MissingCreatedAt,
                ))
            };
            match fault {
                Some((policy, why, column, value, reason)) => {
                    policy_fail(policy, why, column, value)?;
                    drops.count(reason);
                }
                None => keep.push(i as u32),
            }
        }
        Ok(keep)
    }

    /// The latest date among the kept rows: a creation date, or a close
    /// date of a closed deal (`None` when no row is kept).
    fn latest_date(&self, keep: &[u32]) -> Option<i32> {
        keep.iter()
            .map(|&i| {
                let i = i as usize;
                let cr = self.created[i].unwrap_or_default();
                if self.outcome[i] == OutcomeLabel::Open {
                    cr
                } else {
                    self.closed[i].unwrap_or(cr).max(cr)
                }
            })
            .max()
    }

    /// The kept deals as of `as_of`: later deals are dropped, deals closed
    /// after it are open at it, and open deals older than
    /// `stale_after_days` are lost (see [`stale_loss`]).
    fn as_of(
        &self,
        keep: &[u32],
        as_of: i32,
        stale_after_days: Option<u32>,
        file: InputFile,
        drops: &mut Drops,
    ) -> Deals {
        let mut out = Deals {
            account: Vec::with_capacity(keep.len()),
            created: Vec::with_capacity(keep.len()),
            closed: Vec::with_capacity(keep.len()),
            outcome: Vec::with_capacity(keep.len()),
            amount: Vec::with_capacity(keep.len()),
            as_of,
            file,
        };
        for &i in keep {
            let i = i as usize;
            // A kept row has its account and creation date.
            let cr = self.created[i].unwrap_or_default();
            if cr > as_of {
                drops.count(DropReason::CreatedAfterAsOf);
                continue;
            }
            let mut o = self.outcome[i];
            let mut close = self.closed[i].unwrap_or(as_of);
            if o != OutcomeLabel::Open && close > as_of {
                drops.deals_reopened_at_as_of += 1;
                o = OutcomeLabel::Open;
            }
            if o == OutcomeLabel::Open {
                close = as_of;
                if let Some(lost_at) = stale_loss(cr, as_of, stale_after_days) {
                    drops.deals_lost_as_stale += 1;
                    o = OutcomeLabel::Lost;
                    close = lost_at;
                }
            }
            out.account.push(self.account[i]);
            out.created.push(cr);
            out.closed.push(close);
            out.outcome.push(o);
            out.amount.push(self.amount[i]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_labels_accept_numbers_and_tier_words() {
        let mut labels = BTreeMap::new();
        labels.insert("strategic account".to_string(), 1);
        assert_eq!(parse_tier("Tier 1", &labels), Some(1));
        assert_eq!(parse_tier("tier_2", &labels), Some(2));
        assert_eq!(parse_tier("3", &labels), Some(3));
        assert_eq!(parse_tier("T2", &labels), Some(2));
        assert_eq!(parse_tier("Strategic account", &labels), Some(1));
        assert_eq!(parse_tier("Gold", &labels), None);
    }

    /// Key order by integer prefixes equals sorting the strings: keys that
    /// share a long prefix, tie in their eight bytes, end early, hold
    /// multi-byte characters, or repeat; shuffled and nearly sorted.
    #[test]
    fn key_order_equals_a_string_sort_and_finds_the_first_duplicate() {
        use rand::{seq::SliceRandom, Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(11);
        let forms: [&dyn Fn(u64) -> String; 6] = [
            &|i| format!("D{i:07}"),
            &|i| format!("0065g00000{i:08}AAA"),
            &|i| format!("acct-{}", i % 997),
            &|i| format!("x{i}"),
            &|i| format!("Zé{}", i % 13),
            &|i| "k".repeat((i % 12) as usize),
        ];
        for (f, form) in forms.iter().enumerate() {
            for shuffled in [false, true] {
                let mut keys: Vec<String> = (0..3000)
                    .map(|_| form(rng.gen_range(0..40_000_000)))
                    .collect();
                keys.extend((1..2000).map(form));
                if shuffled {
                    keys.shuffle(&mut rng);
                }
                let ca = StringChunked::from_iter_values(PlSmallStr::EMPTY, keys.iter());
                let (order, duplicate) = sorted_keys(&ca, Path::new("t"), "id", "deal").unwrap();
                let mut expected: Vec<(&str, u32)> = (keys.iter().enumerate())
                    .map(|(i, k)| (k.as_str(), i as u32))
                    .collect();
                expected.sort_unstable();
                let rows: Vec<u32> = expected.iter().map(|e| e.1).collect();
                assert_eq!(order, rows, "form {f}");
                let first = expected
                    .windows(2)
                    .find(|w| w[0].0 == w[1].0)
                    .map(|w| w[0].0);
                assert_eq!(duplicate, first, "form {f}");
            }
        }
        // Unique keys: no duplicate. A null key names its row.
        let ca = StringChunked::from_iter_values(PlSmallStr::EMPTY, ["b", "a", "ab"].iter());
        assert_eq!(
            sorted_keys(&ca, Path::new("t"), "id", "deal").unwrap(),
            (vec![1, 2, 0], None)
        );
        // Ties in the eight bytes after the shared prefix "key-" as the
        // first and the last run, and one key alone between them; the
        // duplicate reported is the first in key order, not in the file.
        let keys = [
            "key-zzzzzzzz2",
            "key-aaaaaaaa2",
            "key-m",
            "key-aaaaaaaa1",
            "key-zzzzzzzz2",
            "key-zzzzzzzz1",
            "key-aaaaaaaa1",
        ];
        let ca = StringChunked::from_iter_values(PlSmallStr::EMPTY, keys.iter());
        assert_eq!(
            sorted_keys(&ca, Path::new("t"), "id", "deal").unwrap(),
            (vec![3, 6, 1, 2, 5, 0, 4], Some("key-aaaaaaaa1"))
        );
        // One key, and one key many times over (a single run).
        let ca = StringChunked::from_iter_values(PlSmallStr::EMPTY, ["only"].iter());
        assert_eq!(
            sorted_keys(&ca, Path::new("t"), "id", "deal").unwrap(),
            (vec![0], None)
        );
        let ca = StringChunked::from_iter_values(PlSmallStr::EMPTY, ["same"; 5].iter());
        assert_eq!(
            sorted_keys(&ca, Path::new("t"), "id", "deal").unwrap(),
            (vec![0, 1, 2, 3, 4], Some("same"))
        );
        let ca = StringChunked::from_iter_options(
            PlSmallStr::EMPTY,
            [Some("b"), None, Some("a")].into_iter(),
        );
        let err = sorted_keys(&ca, Path::new("t"), "id", "deal")
            .err()
            .unwrap();
        assert!(err.to_string().contains("row 2"), "{err}");
    }

    /// `account_rows` against a plain map of the accounts.
    fn rows_as_a_map_finds_them(ids: &[String], keys: &[Option<String>]) -> Vec<u32> {
        let map: std::collections::HashMap<&str, u32> = (ids.iter().enumerate())
            .map(|(i, id)| (id.as_str(), i as u32))
            .collect();
        let found = account_rows(
            ids,
            &StringChunked::from_iter_options(PlSmallStr::EMPTY, keys.iter().cloned()),
        );
        let expected: Vec<u32> = (keys.iter())
            .map(|k| k.as_deref().and_then(|k| map.get(k.trim()).copied()))
            .map(|r| r.unwrap_or(u32::MAX))
            .collect();
        assert_eq!(found, expected);
        found
    }

    /// Each deal's account, found as a plain map finds it: in a file in
    /// key order, grouped by account, in reverse, shuffled and grouped at
    /// random; accounts without deals between, keys between two accounts,
    /// past the last or before the first, keys padded with spaces, nulls;
    /// account keys that share a long prefix and tie in the eight bytes
    /// after it, or are prefixes of others.
    #[test]
    fn account_rows_finds_what_a_map_finds_in_any_order() {
        use rand::{seq::SliceRandom, Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(23);
        let mut ids: Vec<String> = (0..6_000u32)
            .map(|i| match i % 5 {
                0 => format!("A{:06}", 2 * i),
                1 => format!("0065g00000{i:08}AAA"),
                2 => format!("0065g00000{i:08}"),
                3 => format!("0065g00000{:08}x{i}", i % 7),
                _ => format!("Zé{i}"),
            })
            .collect();
        ids.push("A".to_string());
        ids.sort();
        let mut in_order: Vec<Option<String>> = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let deals = [0, 0, 1, 2, 3, 5][rng.gen_range(0..6)];
            for _ in 0..deals {
                in_order.push(Some(id.clone()));
            }
            match i % 50 {
                0 => in_order.push(Some(format!("{id}!"))), // after it, before the next
                1 => in_order.push(Some(format!(" {id}\t"))),
                2 => in_order.push(None),
                _ => {}
            }
        }
        in_order.extend(["zzz", "", " ", "0", "0065g0000000000003x"].map(|k| Some(k.to_string())));
        let reversed: Vec<Option<String>> = in_order.iter().rev().cloned().collect();
        let mut shuffled = in_order.clone();
        shuffled.shuffle(&mut rng);
        let mut groups: Vec<Vec<Option<String>>> = (in_order.chunk_by(|a, b| a == b))
            .map(<[Option<String>]>::to_vec)
            .collect();
        groups.shuffle(&mut rng);
        for keys in [&in_order, &reversed, &shuffled, &groups.concat()] {
            let found = rows_as_a_map_finds_them(&ids, keys);
            assert!(found.iter().filter(|&&r| r == u32::MAX).count() > 100);
        }
        // Hand-worked: the accounts share "0065g00000", and two of them
        // tie in the eight bytes after it ("12345678"), where a deal's key
        // that is a prefix of both finds neither.
        let ids: Vec<String> = [
            "0065g00000123456",
            "0065g0000012345678AAA",
            "0065g0000012345678AAB",
            "0065g00000999",
        ]
        .map(String::from)
        .into();
        let keys = [
            "0065g0000012345678AAB",
            "0065g00000123456",
            "0065g0000012345678",
            "0065g00000999",
            "0065g0000012345678AAA",
            "0065g00000",
        ];
        let keys: Vec<Option<String>> = keys.map(|k| Some(k.to_string())).into();
        assert_eq!(
            rows_as_a_map_finds_them(&ids, &keys),
            [2, 0, u32::MAX, 3, 1, u32::MAX]
        );
        // Keys known whole from their eight bytes and length: the same
        // bytes (zeros past the end) but different lengths.
        let ids: Vec<String> = ["k", "k\0", "k\0\0", "k\0\0x"].map(String::from).into();
        let keys = ["k\0", "k\0\0\0", "k\0\0", "k", "k\0\0y", "k\0\0x"];
        let keys: Vec<Option<String>> = keys.map(|k| Some(k.to_string())).into();
        assert_eq!(
            rows_as_a_map_finds_them(&ids, &keys),
            [1, u32::MAX, 2, 0, u32::MAX, 3]
        );
        let one = ["A1".to_string()];
        let keys = [Some("A1"), None, Some("A0"), Some("A1 ")].map(|k| k.map(String::from));
        assert_eq!(
            rows_as_a_map_finds_them(&one, &keys),
            [0, u32::MAX, u32::MAX, 0]
        );
    }

    #[test]
    fn an_open_deal_older_than_stale_after_days_is_lost_at_created_plus_n() {
        assert_eq!(stale_loss(100, 200, Some(60)), Some(160));
        // Exactly N days old is not yet stale.
        assert_eq!(stale_loss(100, 160, Some(60)), None);
        assert_eq!(stale_loss(100, 161, Some(60)), Some(160));
        assert_eq!(stale_loss(100, 200, None), None);
    }

    #[test]
    fn integral_floats_are_tiers_and_other_floats_are_not() {
        let labels = BTreeMap::new();
        assert_eq!(parse_tier("1.0", &labels), Some(1));
        assert_eq!(parse_tier("2.0", &labels), Some(2));
        assert_eq!(parse_tier("3.0", &labels), Some(3));
        assert_eq!(parse_tier("3.00", &labels), Some(3));
        assert_eq!(parse_tier("2.5", &labels), None);
        assert_eq!(parse_tier("4.0", &labels), None);
        assert_eq!(parse_tier("0.0", &labels), None);
        assert_eq!(parse_tier("NaN", &labels), None);
    }
}
