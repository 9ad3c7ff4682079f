//! [`table_batches`]: a table decoded batch by batch, in file order, with
//! at most two batches in memory.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{polars_input, Result};

use super::csv::{csv_parts, iso_dates_among, plan_csv};
use super::format::{input_files, Format};
use super::hash::hash_files;
use super::parquet::{damaged_page, plan_parquet, rows_differ};
use super::scan::project;
use super::table::InputFile;

/// A table read in row batches, for a pass over inputs larger than memory.
/// Each batch is decoded by the same scan [`read_table`] collects at once
/// (the same files, column types and hive partitions), so the batches
/// stacked are the table `read_table` returns, in the same row order.
///
/// [`read_table`]: super::table::read_table
pub struct TableBatches {
    /// Every column of the input in file order, including any not read.
    pub columns: Vec<String>,
    /// `rows` is what the Parquet footers promise or the CSV structure
    /// check counted, before any row is decoded.
    pub file: InputFile,
    pub path: PathBuf,
    lf: LazyFrame,
    csv: bool,
}

/// A batch, the end of the scan, or its failure, from the scanning thread.
enum Batch {
    Rows(DataFrame),
    Done(PolarsResult<()>),
    Panicked,
}

/// Open a table for reading in batches; see [`TableBatches`]. The checks
/// that come before decoding (footers, CSV structure) run here.
pub fn table_batches(
    path: &Path,
    csv_separator: u8,
    only: Option<&[&str]>,
) -> Result<TableBatches> {
    let (format, files) = input_files(path)?;
    let (sha256, bytes) = hash_files(&files, path)?;
    let (lf, rows) = match format {
        Format::Parquet | Format::ParquetDirectory => plan_parquet(path, &files, format)?,
        Format::Csv => plan_csv(path, &files, csv_separator)?,
        Format::CsvDirectory => plan_csv(path, &csv_parts(path, &files)?, csv_separator)?,
    };
    let (lf, columns) = project(lf, only).map_err(|e| polars_input(path, e))?;
    Ok(TableBatches {
        columns,
        file: InputFile {
            path: path.display().to_string(),
            format,
            rows,
            sha256,
            bytes,
        },
        path: path.to_path_buf(),
        lf,
        csv: matches!(format, Format::Csv | Format::CsvDirectory),
    })
}

impl TableBatches {
    /// Decode the table in batches of about `rows` rows, in file order, and
    /// hand each to `f`; returns the rows decoded. polars' streaming engine
    /// decodes on its own threads while `f` works on the previous batch;
    /// at most two batches are held at once. An error from `f` stops the
    /// scan. CSV text columns of ISO dates become dates as in
    /// `read_table`, the columns being chosen on the first batch (the
    /// whole table cannot be seen first).
    pub fn for_each(self, rows: usize, mut f: impl FnMut(DataFrame) -> Result<()>) -> Result<u64> {
        use std::sync::mpsc::sync_channel;
        let TableBatches {
            lf,
            csv,
            path,
            file,
            ..
        } = self;
        let (send, recv) = sync_channel::<Batch>(1);
        let rows_sent = send.clone();
        let callback = PlanCallback::Rust(SpecialEq::new(Arc::new(move |df: DataFrame| {
            // A closed receiver stops the scan.
            Ok(rows_sent.send(Batch::Rows(df)).is_err())
        })));
        let lf = lf
            .sink_batches(callback, true, NonZeroUsize::new(rows.max(1)))
            .map_err(|e| polars_input(&path, e))?;
        let scan = std::thread::spawn(move || {
            let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                lf.collect_with_engine(Engine::Streaming).map(|_| ())
            }));
            let _ = send.send(match done {
                Ok(r) => Batch::Done(r),
                Err(_) => Batch::Panicked,
            });
        });
        let mut decoded = 0u64;
        let mut dates: Option<Vec<PlSmallStr>> = None;
        let mut outcome = Ok(());
        for batch in &recv {
            match batch {
                Batch::Rows(mut df) => {
                    decoded += df.height() as u64;
                    if csv {
                        let converted = iso_dates_among(&mut df, dates.as_deref())
                            .map_err(|e| polars_input(&path, e));
                        match converted {
                            Ok(names) => {
                                dates.get_or_insert(names);
                            }
                            Err(e) => {
                                outcome = Err(e);
                                break;
                            }
                        }
                    }
                    if let Err(e) = f(df) {
                        outcome = Err(e);
                        break;
                    }
                }
                Batch::Done(r) => {
                    outcome = r.map_err(|e| polars_input(&path, e));
                    break;
                }
                Batch::Panicked => {
                    outcome = Err(damaged_page(&path));
                    break;
                }
            }
        }
        drop(recv);
        let _ = scan.join();
        outcome?;
        if !csv && decoded != file.rows {
            return Err(rows_differ(&path, file.rows, decoded));
        }
        Ok(decoded)
    }
}
