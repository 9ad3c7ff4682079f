//! Parquet parts that disagree on column types: a common type for each
//! column, and the parts stacked under it.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{polars_input, Error, Location, Result};

use super::hive::{hive_partitions, Partition};
use super::scan::pl_path;

/// The column types of a Parquet directory whose parts disagree on them,
/// or `None` when every part has the same schema (the common case, scanned
/// as one). Parts written on different days or by different jobs often do:
/// `amount` as integers in one partition and floats in another, or a column
/// that is all null in one part typed as null. Numbers widen to a common
/// type and null takes the other parts' type; any other disagreement, or a
/// column some part lacks, is an error naming both parts.
pub(super) fn unify_part_types(files: &[PathBuf]) -> Result<Option<Schema>> {
    let mut schemas = Vec::with_capacity(files.len());
    for f in files {
        let schema = LazyFrame::scan_parquet(pl_path(f)?, ScanArgsParquet::default())
            .and_then(|mut lf| lf.collect_schema())
            .map_err(|e| polars_input(f, e))?;
        schemas.push(schema);
    }
    if schemas.windows(2).all(|w| w[0] == w[1]) {
        return Ok(None);
    }
    let first = &schemas[0];
    let mut unified = Schema::with_capacity(first.len());
    for (name, dtype) in first.iter() {
        let mut to = dtype.clone();
        let mut from = &files[0];
        for (f, schema) in files.iter().zip(&schemas).skip(1) {
            let Some(other) = schema.get(name) else {
                return Err(Error::input(
                    format!(
                        "this part has no column '{name}', which {} has",
                        files[0].display()
                    ),
                    Location::file(f).column(name.as_str()),
                    "export every part of the table with the same columns",
                ));
            };
            let widened = match (&to, other) {
                (a, b) if a == b => Some(a.clone()),
                (DataType::Null, b) => Some(b.clone()),
                (a, DataType::Null) => Some(a.clone()),
                (a, b) if a.is_primitive_numeric() && b.is_primitive_numeric() => {
                    Some(wider_number(a, b))
                }
                _ => None,
            };
            match widened {
                Some(t) => {
                    if t != to {
                        from = f;
                    }
                    to = t;
                }
                None => {
                    return Err(Error::input(
                        format!(
                            "the parts disagree on the column's type: {other} here, {to} in {}",
                            from.display()
                        ),
                        Location::file(f).column(name.as_str()),
                        "export every part of the table with the same column types",
                    ))
                }
            }
        }
        unified.insert(name.clone(), to);
    }
    for (f, schema) in files.iter().zip(&schemas).skip(1) {
        if let Some(extra) = schema
            .iter_names()
            .find(|n| first.get(n.as_str()).is_none())
        {
            return Err(Error::input(
                format!(
                    "this part has a column '{extra}' that {} lacks",
                    files[0].display()
                ),
                Location::file(f).column(extra.as_str()),
                "export every part of the table with the same columns",
            ));
        }
    }
    Ok(Some(unified))
}

/// A type that holds the numbers of both `a` and `b`: 64-bit integers for
/// integers (unsigned 64-bit ones aside), else 64-bit floats.
fn wider_number(a: &DataType, b: &DataType) -> DataType {
    let int = |t: &DataType| t.is_integer() && *t != DataType::UInt64;
    if int(a) && int(b) {
        DataType::Int64
    } else {
        DataType::Float64
    }
}

/// Scan each part of a Parquet directory on its own, cast to `schema`, with
/// its hive partition values as constant columns, and stack them in file
/// order: the reading of a directory whose parts disagree on types.
pub(super) fn stack_parts(root: &Path, files: &[PathBuf], schema: &Schema) -> Result<LazyFrame> {
    let partitions: Vec<Partition> = hive_partitions(root, files)?
        .into_iter()
        .filter(|p| schema.get(p.key.as_str()).is_none())
        .collect();
    let mut parts = Vec::with_capacity(files.len());
    for (i, f) in files.iter().enumerate() {
        let mut columns: Vec<Expr> = schema
            .iter()
            .map(|(name, dtype)| col(name.clone()).strict_cast(dtype.clone()))
            .collect();
        columns.extend(partitions.iter().map(|p| p.column(i)));
        let lf = LazyFrame::scan_parquet(pl_path(f)?, ScanArgsParquet::default())
            .map_err(|e| polars_input(f, e))?;
        parts.push(lf.select(columns));
    }
    concat(parts, UnionArgs::default()).map_err(|e| polars_input(root, e))
}
