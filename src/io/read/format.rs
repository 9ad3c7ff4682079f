//! What an input is: one Parquet or CSV file, or a directory of them
//! (markers and stray files skipped), and its format.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, IoOp, Location, Result};

/// The on-disk format of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Parquet,
    ParquetDirectory,
    Csv,
    CsvDirectory,
}

/// The data files of `path` (a file, or a directory of them) and their format.
pub(crate) fn input_files(path: &Path) -> Result<(Format, Vec<PathBuf>)> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(IoOp::Reading, path, e))?;
    if meta.is_dir() {
        data_files(path)
    } else {
        Ok((file_format(path, meta.len())?, vec![path.to_path_buf()]))
    }
}

/// The format of a single file of `len` bytes, from its extension; an empty
/// file is an error.
fn file_format(path: &Path, len: u64) -> Result<Format> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let format = match ext.as_str() {
        "parquet" | "pq" => Format::Parquet,
        "csv" | "tsv" | "txt" => Format::Csv,
        _ => {
            return Err(Error::input(
                format!("unrecognised file extension '.{ext}'"),
                Location::file(path),
                "name Parquet files *.parquet and CSV files *.csv",
            ))
        }
    };
    if len == 0 {
        return Err(Error::input(
            "the file is empty (0 bytes)",
            Location::file(path),
            "export the table again; an empty file usually means the export failed",
        ));
    }
    Ok(format)
}

/// The data files under a directory, in path order, and their format.
/// Names starting with `.` or `_` (`_SUCCESS`, `.crc` checksums) and files of
/// other kinds (a README) are skipped; Parquet and CSV files together are an
/// error, since they cannot be one table.
fn data_files(dir: &Path) -> Result<(Format, Vec<PathBuf>)> {
    let mut parquet = Vec::new();
    let mut csv = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).map_err(|e| Error::io(IoOp::ReadingDirectory, &d, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(IoOp::ReadingDirectory, &d, e))?;
            let p = entry.path();
            let name = entry.file_name().to_string_lossy().to_lowercase();
            if name.starts_with('.') || name.starts_with('_') {
                continue; // _SUCCESS, .crc and similar warehouse markers
            }
            if p.is_dir() {
                stack.push(p);
            } else if name.ends_with(".parquet") || name.ends_with(".pq") {
                parquet.push(p);
            } else if name.ends_with(".csv") || name.ends_with(".tsv") {
                csv.push(p);
            }
        }
    }
    let (format, mut files) = match (parquet.is_empty(), csv.is_empty()) {
        (false, true) => (Format::ParquetDirectory, parquet),
        (true, false) => (Format::CsvDirectory, csv),
        (true, true) => {
            return Err(Error::input(
                "the directory holds no .parquet or .csv files",
                Location::file(dir),
                "point at a Parquet or CSV file, or a directory of them",
            ))
        }
        (false, false) => {
            return Err(Error::input(
                format!(
                    "the directory holds both Parquet ({}) and CSV ({}) files",
                    parquet.len(),
                    csv.len()
                ),
                Location::file(dir).value(csv[0].display().to_string()),
                "keep one export per directory, in one format",
            ))
        }
    };
    files.sort();
    Ok((format, files))
}
