//! Reading CSV: one file, or a directory of parts as one table, with hive
//! partition columns, and text columns of ISO dates typed as dates.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::dates::parse_date;
use crate::error::{polars_input, Error, Location, Result};

use super::csv_check::{check_csv_parts, is_tsv, CsvParts};
use super::hive::{hive_partitions, Partition};
use super::scan::{collect, pl_path};

/// Read the CSV `files` of directory `path`. Spark writes an empty
/// partition as a zero-byte part, without even a header: it holds no rows,
/// not a broken export.
pub(super) fn read_csv_directory(
    path: &Path,
    files: &[PathBuf],
    csv_separator: u8,
    only: Option<&[&str]>,
) -> Result<(DataFrame, Vec<String>)> {
    read_csv(path, &csv_parts(path, files)?, csv_separator, only)
}

/// The CSV files of a directory that are not empty (zero bytes).
pub(super) fn csv_parts(path: &Path, files: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let parts: Vec<PathBuf> = files
        .iter()
        .filter(|f| std::fs::metadata(f).map_or(true, |m| m.len() > 0))
        .cloned()
        .collect();
    if parts.is_empty() {
        return Err(Error::input(
            format!(
                "all {} CSV files in the directory are empty (0 bytes)",
                files.len()
            ),
            Location::file(path),
            "export the table again; an empty export usually means the export failed",
        ));
    }
    Ok(parts)
}

/// Read one CSV file, or every CSV file of a directory as one table. Each
/// file is checked first (see `check_csv`), and all must have the same
/// header; column types are inferred across all files, so a column that is
/// empty in one part still gets its type from the others.
pub(super) fn read_csv(
    root: &Path,
    files: &[PathBuf],
    csv_separator: u8,
    only: Option<&[&str]>,
) -> Result<(DataFrame, Vec<String>)> {
    let (lf, _) = plan_csv(root, files, csv_separator)?;
    let (mut df, columns) = collect(lf, only).map_err(|e| polars_input(root, e))?;
    iso_dates_as_dates(&mut df).map_err(|e| polars_input(root, e))?;
    Ok((df, columns))
}

/// The scan of one CSV file, or of every CSV file of a directory as one
/// table, after the structure check; and the rows the check counted.
pub(super) fn plan_csv(
    root: &Path,
    files: &[PathBuf],
    csv_separator: u8,
) -> Result<(LazyFrame, u64)> {
    let CsvParts {
        header,
        with_rows,
        rows,
    } = check_csv_parts(files, csv_separator)?;
    // A header-only part holds no rows, and would make every column text
    // when types are inferred across parts. With no rows anywhere, the first
    // file is read, for the contract to reject as an empty table.
    let files = if with_rows.is_empty() {
        &files[..1]
    } else {
        &with_rows[..]
    };
    let sep = if is_tsv(&files[0]) {
        b'\t'
    } else {
        csv_separator
    };
    let paths = files
        .iter()
        .map(|f| pl_path(f))
        .collect::<Result<Vec<_>>>()?;
    let infer_files = NonZeroUsize::new(files.len()).expect("a CSV input has a file");
    let mut lf = csv_reader(paths.clone(), sep)
        .with_infer_schema_files(infer_files)
        .finish()
        .map_err(|e| polars_input(root, e))?;
    // A partition key the files also hold as a column: the files' values stand.
    let partitions: Vec<Partition> = hive_partitions(root, files)?
        .into_iter()
        .filter(|p| !header.contains(&p.key))
        .collect();
    if !partitions.is_empty() {
        // Each file with its partition values as constant columns, read with
        // the schema inferred across all of them, then stacked in file order.
        let schema = lf.collect_schema().map_err(|e| polars_input(root, e))?;
        let parts = paths
            .into_iter()
            .enumerate()
            .map(|(i, path)| {
                let columns: Vec<Expr> = partitions.iter().map(|p| p.column(i)).collect();
                csv_reader(vec![path], sep)
                    .with_schema(Some(schema.clone()))
                    .finish()
                    .map(|lf| lf.with_columns(columns))
            })
            .collect::<PolarsResult<Vec<_>>>()
            .map_err(|e| polars_input(root, e))?;
        lf = concat(parts, UnionArgs::default()).map_err(|e| polars_input(root, e))?;
    }
    Ok((lf, rows))
}

fn csv_reader(paths: Vec<PlRefPath>, sep: u8) -> LazyCsvReader {
    LazyCsvReader::new_paths(paths.into())
        .with_has_header(true)
        .with_separator(sep)
        .with_infer_schema_length(Some(100_000))
        .with_missing_is_null(true)
}

/// Give CSV text columns in which every value is an ISO 8601 date or
/// datetime the `Date` type a Parquet export would carry, so that a date
/// column means the same in either format. polars' `try_parse_dates` did
/// this with chrono's format parser, which took most of a CSV read's time
/// (11 of 15 s for 0.9M deals); `parse_date` reads the common shapes
/// byte by byte. Text with any other value stays text, and the contract
/// names the value when the column is one of its dates.
fn iso_dates_as_dates(df: &mut DataFrame) -> PolarsResult<()> {
    iso_dates_among(df, None).map(|_| ())
}

/// [`iso_dates_as_dates`] on the text columns named in `among` (every text
/// column when `None`); returns the columns it made dates.
pub(super) fn iso_dates_among(
    df: &mut DataFrame,
    among: Option<&[PlSmallStr]>,
) -> PolarsResult<Vec<PlSmallStr>> {
    let text: Vec<PlSmallStr> = df
        .columns()
        .iter()
        .filter(|c| c.dtype() == &DataType::String)
        .filter(|c| among.is_none_or(|a| a.contains(c.name())))
        .map(|c| c.name().clone())
        .collect();
    let mut made = Vec::new();
    for name in text {
        let days = {
            let ca = df.column(&name)?.str()?;
            let value = |v: Option<&str>| match v.map(str::trim) {
                None | Some("") => Some(None),
                Some(raw) => parse_date(raw).map(Some),
            };
            // The first value settles most columns without a pass.
            let first = ca.iter().flatten().find(|v| !v.trim().is_empty());
            if first.and_then(|v| value(Some(v))).is_none() {
                continue;
            }
            match ca.iter().map(value).collect::<Option<Vec<Option<i32>>>>() {
                Some(days) => days,
                None => continue,
            }
        };
        let dates = Int32Chunked::from_iter_options(name.clone(), days.into_iter())
            .into_series()
            .cast(&DataType::Date)?;
        df.with_column(dates.into())?;
        made.push(name);
    }
    Ok(made)
}
