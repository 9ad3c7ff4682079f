//! Helpers every reader shares: a path as polars takes it, and a scan cut
//! down to the columns asked for.

use std::path::Path;

use polars::prelude::*;

use crate::error::{polars_input, Result};

pub(super) fn pl_path(path: &Path) -> Result<PlRefPath> {
    PlRefPath::try_from_path(path).map_err(|e| polars_input(path, e))
}

/// Collect a scan, reading only the columns named in `only` that the input
/// has, or every column when `only` is `None` or names none of them (the
/// contract then says which is missing). Returns every column's name too.
pub(super) fn collect(
    lf: LazyFrame,
    only: Option<&[&str]>,
) -> PolarsResult<(DataFrame, Vec<String>)> {
    let (lf, columns) = project(lf, only)?;
    Ok((lf.collect()?, columns))
}

/// The scan of the columns `collect` reads, and every column's name.
pub(super) fn project(
    mut lf: LazyFrame,
    only: Option<&[&str]>,
) -> PolarsResult<(LazyFrame, Vec<String>)> {
    let columns: Vec<String> = lf
        .collect_schema()?
        .iter_names()
        .map(|n| n.to_string())
        .collect();
    let keep: Vec<Expr> = columns
        .iter()
        .filter(|c| only.is_some_and(|o| o.contains(&c.as_str())))
        .map(|c| col(c.as_str()))
        .collect();
    if !keep.is_empty() {
        lf = lf.select(keep);
    }
    Ok((lf, columns))
}
