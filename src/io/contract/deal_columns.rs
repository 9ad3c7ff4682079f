//! The columns of the deals table the contract reads, found and checked:
//! outcomes mapped to won, lost or open, dates as days, amounts as numbers.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use crate::domain::OutcomeLabel;
use crate::error::{Error, Location, Result};
use crate::io::spec::{DealColumns, InputSpec};

use super::columns::{date_days, entirely_null, missing_column, polars_err, MAX_ABS_NUMBER};

/// The deals table's columns the contract reads.
pub(super) struct DealCols<'a> {
    pub(super) id: &'a Column,
    pub(super) account: &'a Column,
    pub(super) created: &'a Column,
    pub(super) closed: &'a Column,
    pub(super) outcome: &'a Column,
    pub(super) amount: Option<&'a Column>,
}

impl<'a> DealCols<'a> {
    /// Every required column, present and not entirely null, in a table with rows.
    pub(super) fn find(
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

/// The deals' outcomes, creation and close dates and amounts, checked,
/// per row in file order.
pub(super) struct DealValues {
    pub(super) outcome: Vec<OutcomeLabel>,
    pub(super) created: Vec<Option<i32>>,
    pub(super) closed: Vec<Option<i32>>,
    /// NaN where unknown.
    pub(super) amount: Vec<f64>,
}

/// The deals' outcomes, dates and amounts, checked and converted.
pub(super) fn deal_columns(path: &Path, cols: &DealCols, spec: &InputSpec) -> Result<DealValues> {
    let c = &spec.deal_columns;
    let outcome = outcome_labels(path, &c.outcome, cols.outcome, &spec.outcomes)?;
    let created = date_days(path, &c.created_at, cols.created)?;
    close_dates_exist(path, &c.closed_at, cols.closed, &outcome)?;
    let closed = date_days(path, &c.closed_at, cols.closed)?;
    let amount = amounts(path, &c.amount, cols.amount, cols.id.len())?;
    Ok(DealValues {
        outcome,
        created,
        closed,
        amount,
    })
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
