//! Reading one input table (Parquet file, directory of Parquet files, or CSV)
//! into a polars `DataFrame`, with the facts `report.json` records about it.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{polars_input, Error, Location, Result};

/// The on-disk format of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Parquet,
    ParquetDirectory,
    Csv,
}

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

/// A table as read, before the data contract is applied.
pub struct Table {
    pub df: DataFrame,
    pub file: InputFile,
    pub path: PathBuf,
}

fn parquet_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| Error::io("reading directory", &d, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("reading directory", &d, e))?;
            let p = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with('.') || name.starts_with('_') {
                continue; // _SUCCESS, .crc and similar warehouse markers
            }
            if p.is_dir() {
                stack.push(p);
            } else if name.ends_with(".parquet") || name.ends_with(".pq") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Row count from a Parquet footer, read with the arrow-rs `parquet` crate
/// before the load: a zero-byte or truncated file is reported here with a
/// clear message rather than as a decoder error deep in the scan.
fn parquet_footer_rows(path: &Path) -> Result<u64> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let file = File::open(path).map_err(|e| Error::io("reading", path, e))?;
    let reader = SerializedFileReader::new(file).map_err(|e| {
        Error::input(
            format!("not a readable Parquet file: {e}"),
            Location::file(path),
            "the file may be truncated or still being written; export it again",
        )
    })?;
    Ok(reader.metadata().file_metadata().num_rows().max(0) as u64)
}

fn hash_files(files: &[PathBuf], root: &Path) -> Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut total = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    for f in files {
        if files.len() > 1 || f != root {
            let rel = f.strip_prefix(root).unwrap_or(f);
            hasher.update(rel.to_string_lossy().as_bytes());
        }
        let mut file = File::open(f).map_err(|e| Error::io("reading", f, e))?;
        loop {
            let n = file
                .read(&mut buf)
                .map_err(|e| Error::io("reading", f, e))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            hasher.update(&buf[..n]);
        }
    }
    let digest = hasher.finalize();
    Ok((digest.iter().map(|b| format!("{b:02x}")).collect(), total))
}

fn pl_path(path: &Path) -> Result<PlRefPath> {
    PlRefPath::try_from_path(path).map_err(|e| polars_input(path, e))
}

/// Read a table. `csv_separator` applies to CSV input only.
pub fn read_table(path: &Path, csv_separator: u8) -> Result<Table> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io("reading", path, e))?;
    let (format, files) = if meta.is_dir() {
        let files = parquet_files(path)?;
        if files.is_empty() {
            return Err(Error::input(
                "the directory holds no .parquet files",
                Location::file(path),
                "point at a Parquet file, a directory of Parquet files, or a CSV file",
            ));
        }
        (Format::ParquetDirectory, files)
    } else {
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
        if meta.len() == 0 {
            return Err(Error::input(
                "the file is empty (0 bytes)",
                Location::file(path),
                "export the table again; an empty file usually means the export failed",
            ));
        }
        (format, vec![path.to_path_buf()])
    };
    let (sha256, bytes) = hash_files(&files, path)?;

    let df = match format {
        Format::Parquet | Format::ParquetDirectory => {
            let mut rows = 0;
            for f in &files {
                rows += parquet_footer_rows(f)?;
            }
            let args = ScanArgsParquet::default();
            let lf =
                LazyFrame::scan_parquet(pl_path(path)?, args).map_err(|e| polars_input(path, e))?;
            let df = lf.collect().map_err(|e| polars_input(path, e))?;
            if df.height() as u64 != rows {
                return Err(Error::Internal(format!(
                    "{}: footer says {rows} rows, scan returned {}",
                    path.display(),
                    df.height()
                )));
            }
            df
        }
        Format::Csv => {
            let sep = if path.extension().is_some_and(|e| e == "tsv") {
                b'\t'
            } else {
                csv_separator
            };
            LazyCsvReader::new(pl_path(path)?)
                .with_has_header(true)
                .with_separator(sep)
                .with_try_parse_dates(true)
                .with_infer_schema_length(Some(100_000))
                .with_missing_is_null(true)
                .finish()
                .and_then(|lf| lf.collect())
                .map_err(|e| polars_input(path, e))?
        }
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
        file,
        path: path.to_path_buf(),
    })
}
