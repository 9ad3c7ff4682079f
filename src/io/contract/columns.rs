//! One column of an input read against the contract: a key as strings, a
//! date as days; and the errors for a column that is missing, entirely
//! null or cannot be interpreted, naming the file and the column.

use std::path::Path;

use polars::prelude::*;

use crate::dates::{format_date, parse_date};
use crate::error::{Error, Location, Result};

/// A required column the table lacks, with the nearest name, or the
/// names the table has, in the hint.
pub(super) fn missing_column(
    file: &Path,
    columns: &[String],
    wanted: &str,
    role: &str,
    key: &str,
) -> Error {
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
pub(super) fn entirely_null(file: &Path, name: &str, col: &Column, role: &str) -> Result<()> {
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
