//! A table read whole: [`read_table`] and what it returns.

use std::path::{Path, PathBuf};

use polars::prelude::DataFrame;
use serde::Serialize;

use crate::error::Result;

use super::csv::{read_csv, read_csv_directory};
use super::format::{input_files, Format};
use super::hash::hash_files;
use super::parquet::read_parquet;

/// What `report.json` says about one input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputFile {
    pub path: String,
    pub format: Format,
    /// Rows in the file(s), before any validation.
    pub rows: u64,
    /// SHA-256 of the bytes (for a directory: of each file's relative path and bytes, in path order).
    pub sha256: String,
    pub bytes: u64,
}

impl InputFile {
    /// A table built in memory (a simulation, a test), with no file behind
    /// it: no bytes and no hash.
    pub fn in_memory(name: &str, rows: u64) -> InputFile {
        InputFile {
            path: name.into(),
            format: Format::Parquet,
            rows,
            sha256: String::new(),
            bytes: 0,
        }
    }
}

/// A table as read, before the data contract is applied.
pub struct Table {
    pub df: DataFrame,
    /// Every column of the input in file order, including any not read.
    pub columns: Vec<String>,
    pub file: InputFile,
    pub path: PathBuf,
}

/// Read a table. `csv_separator` applies to CSV input only. With `only`,
/// just those columns are decoded: a deals export may carry dozens of
/// columns (descriptions, notes) that would otherwise all sit in memory.
pub fn read_table(path: &Path, csv_separator: u8, only: Option<&[&str]>) -> Result<Table> {
    let (format, files) = input_files(path)?;
    let (sha256, bytes) = hash_files(&files, path)?;
    let (df, columns) = match format {
        Format::Parquet | Format::ParquetDirectory => read_parquet(path, &files, format, only)?,
        Format::Csv => read_csv(path, &files, csv_separator, only)?,
        Format::CsvDirectory => read_csv_directory(path, &files, csv_separator, only)?,
    };
    let file = InputFile {
        path: path.display().to_string(),
        format,
        rows: df.height() as u64,
        sha256,
        bytes,
    };
    Ok(Table {
        df,
        columns,
        file,
        path: path.to_path_buf(),
    })
}
