//! Reading Parquet: the footers checked before the load, one scan of a
//! file or a directory, and the rows decoded held to the footers' count.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{polars_input, Error, IoOp, Location, Result};

use super::format::Format;
use super::scan::{collect, pl_path};
use super::widen::{stack_parts, unify_part_types};

/// Row count from a Parquet footer, read with the arrow-rs `parquet` crate
/// before the load: a zero-byte or truncated file is reported here with a
/// clear message rather than as a decoder error deep in the scan.
fn parquet_footer_rows(path: &Path) -> Result<u64> {
    use ::parquet::file::reader::{FileReader, SerializedFileReader};
    let file = File::open(path).map_err(|e| Error::io(IoOp::Reading, path, e))?;
    let reader = SerializedFileReader::new(file).map_err(|e| {
        Error::input(
            format!("not a readable Parquet file: {e}"),
            Location::file(path),
            "the file may be truncated or still being written; export it again",
        )
    })?;
    let bad = |what: String| {
        Error::input(
            format!("not a readable Parquet file: {what}"),
            Location::file(path),
            "the file is damaged or was written incompletely; export it again",
        )
    };
    // The decoder trusts the footer's byte ranges; check them against the
    // file first, so that a damaged footer is an input error, not a crash.
    let len = i128::from(
        std::fs::metadata(path)
            .map_err(|e| Error::io(IoOp::Reading, path, e))?
            .len(),
    );
    let meta = reader.metadata();
    let mut rows: i128 = 0;
    for (g, rg) in meta.row_groups().iter().enumerate() {
        if rg.num_rows() < 0 {
            return Err(bad(format!("row group {g} has a negative row count")));
        }
        rows += i128::from(rg.num_rows());
        for col in rg.columns() {
            let start = col
                .dictionary_page_offset()
                .unwrap_or(col.data_page_offset());
            let size = col.compressed_size();
            // A row group of no rows may have no data page: pyarrow writes
            // an empty partition with data_page_offset 0 after a dictionary.
            let pages_in_order = rg.num_rows() == 0 || col.data_page_offset() >= start;
            if start < 0
                || size < 0
                || !pages_in_order
                || i128::from(start) + i128::from(size) > len
            {
                return Err(bad(format!(
                    "column '{}' in row group {g} points outside the file",
                    col.column_path()
                )));
            }
        }
    }
    let declared = meta.file_metadata().num_rows();
    if i128::from(declared) != rows {
        return Err(bad(format!(
            "the footer declares {declared} rows but its row groups hold {rows}"
        )));
    }
    Ok(rows as u64)
}

/// The scan of a Parquet file or the Parquet `files` of directory `path`,
/// and the rows their footers promise.
pub(super) fn plan_parquet(
    path: &Path,
    files: &[PathBuf],
    format: Format,
) -> Result<(LazyFrame, u64)> {
    let mut rows = 0;
    for f in files {
        rows += parquet_footer_rows(f)?;
    }
    // Scan exactly the files counted above, so markers and stray
    // files in a directory are skipped rather than decoded. Hive
    // partition columns (`outcome=won/`) come from the directory
    // names, as Spark and warehouse exports write them.
    let unified = match format {
        Format::ParquetDirectory => unify_part_types(files)?,
        _ => None,
    };
    let lf = match unified {
        Some(schema) => stack_parts(path, files, &schema)?,
        None => {
            let args = ScanArgsParquet {
                hive_options: if format == Format::ParquetDirectory {
                    HiveOptions::new_enabled()
                } else {
                    HiveOptions::default()
                },
                ..ScanArgsParquet::default()
            };
            let paths = files
                .iter()
                .map(|f| pl_path(f))
                .collect::<Result<Vec<_>>>()?;
            LazyFrame::scan_parquet_files(paths.into(), args).map_err(|e| polars_input(path, e))?
        }
    };
    Ok((lf, rows))
}

/// The decoder asserts on some damaged pages (a dictionary index out of
/// range, a page shorter than its header says) instead of returning an
/// error; that is bad input, not a bug of ours.
pub(super) fn damaged_page(path: &Path) -> Error {
    Error::input(
        "the Parquet data could not be decoded: a data page is damaged",
        Location::file(path),
        "the file may be truncated or corrupted; export it again",
    )
}

pub(super) fn rows_differ(path: &Path, footer: u64, data: u64) -> Error {
    Error::input(
        format!("the Parquet footer says {footer} rows but the data holds {data}"),
        Location::file(path),
        "the file is damaged; export it again",
    )
}

/// Read a Parquet file or the Parquet `files` of directory `path`, checking
/// the rows decoded against the rows the footers promise.
pub(super) fn read_parquet(
    path: &Path,
    files: &[PathBuf],
    format: Format,
    only: Option<&[&str]>,
) -> Result<(DataFrame, Vec<String>)> {
    let (lf, rows) = plan_parquet(path, files, format)?;
    let (df, columns) =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| collect(lf, only)))
            .map_err(|_| damaged_page(path))?
            .map_err(|e| polars_input(path, e))?;
    if df.height() as u64 != rows {
        return Err(rows_differ(path, rows, df.height() as u64));
    }
    Ok((df, columns))
}
