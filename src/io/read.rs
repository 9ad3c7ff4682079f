//! Reading one input table (a Parquet or CSV file, or a directory of either,
//! hive-partitioned as Spark and warehouse exports write them) into a polars
//! `DataFrame`, with the facts `report.json` records about it.

use std::fs::File;
use std::io::Read;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::dates::parse_date;
use crate::error::{polars_input, Error, IoOp, Location, Result};

/// The on-disk format of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Parquet,
    ParquetDirectory,
    Csv,
    CsvDirectory,
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
    /// Every column of the input in file order, including any not read.
    pub columns: Vec<String>,
    pub file: InputFile,
    pub path: PathBuf,
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

/// One hive partition column (`outcome=won/`) of a directory read part by
/// part: its name, its type, and its value for each file.
struct Partition {
    key: String,
    dtype: DataType,
    values: Vec<Option<String>>,
}

impl Partition {
    /// The column for the rows of file `i`.
    fn column(&self, i: usize) -> Expr {
        let value = self.values[i].as_deref();
        let value = match (&self.dtype, value) {
            (_, None) => lit(NULL),
            (DataType::Boolean, Some(v)) => lit(v.eq_ignore_ascii_case("true")),
            (DataType::Date, Some(v)) => lit(parse_date(v).expect("typed as a date")),
            (_, Some(v)) => lit(v),
        };
        value
            .strict_cast(self.dtype.clone())
            .alias(self.key.as_str())
    }
}

/// The type of a hive partition column from its values, close to how polars
/// types the partitions of a Parquet directory it scans as one, so that a
/// key means the same however its directory is read: booleans, integers,
/// floats, ISO 8601 dates (polars also takes day-first dates, which are
/// ambiguous and stay text here), else text.
fn partition_type<'a>(values: impl Iterator<Item = &'a str> + Clone) -> DataType {
    let all = |ok: fn(&str) -> bool| values.clone().all(ok);
    if all(|v| v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")) {
        DataType::Boolean
    } else if all(|v| v.parse::<i64>().is_ok()) {
        DataType::Int64
    } else if all(|v| v.parse::<f64>().is_ok()) {
        DataType::Float64
    } else if all(|v| parse_date(v).is_some()) {
        DataType::Date
    } else {
        DataType::String
    }
}

/// The hive partition columns of the files under `root`, for a directory
/// read part by part: a CSV directory (polars reads hive partitions from
/// Parquet only), or Parquet parts that disagree on types.
/// Values are typed by `partition_type`; `__HIVE_DEFAULT_PARTITION__` is
/// null. Every file must sit under the same keys.
fn hive_partitions(root: &Path, files: &[PathBuf]) -> Result<Vec<Partition>> {
    let mut keys: Vec<String> = Vec::new();
    let mut values: Vec<Vec<Option<String>>> = Vec::new();
    for (n, f) in files.iter().enumerate() {
        let rel = f.strip_prefix(root).unwrap_or(f);
        let parts: Vec<(String, String)> = rel
            .parent()
            .into_iter()
            .flat_map(|p| p.components())
            .filter_map(|c| {
                let c = c.as_os_str().to_string_lossy();
                let (k, v) = c.split_once('=')?;
                Some((k.to_string(), v.to_string()))
            })
            .collect();
        let these: Vec<&str> = parts.iter().map(|(k, _)| k.as_str()).collect();
        if n == 0 {
            keys = these.iter().map(|k| k.to_string()).collect();
            values = vec![Vec::with_capacity(files.len()); keys.len()];
        } else if these != keys {
            return Err(Error::input(
                format!(
                    "the files are partitioned by different keys: [{}] here, [{}] in the first",
                    these.join(", "),
                    keys.join(", ")
                ),
                Location::file(f),
                "write every file of the export under the same key=value directories",
            ));
        }
        for (column, (_, v)) in values.iter_mut().zip(parts) {
            column.push(Some(v).filter(|v| v != "__HIVE_DEFAULT_PARTITION__"));
        }
    }
    Ok(keys
        .into_iter()
        .zip(values)
        .map(|(key, values)| {
            let dtype = partition_type(values.iter().flatten().map(String::as_str));
            Partition { key, dtype, values }
        })
        .collect())
}

/// The column types of a Parquet directory whose parts disagree on them,
/// or `None` when every part has the same schema (the common case, scanned
/// as one). Parts written on different days or by different jobs often do:
/// `amount` as integers in one partition and floats in another, or a column
/// that is all null in one part typed as null. Numbers widen to a common
/// type and null takes the other parts' type; any other disagreement, or a
/// column some part lacks, is an error naming both parts.
fn unify_part_types(files: &[PathBuf]) -> Result<Option<Schema>> {
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
fn stack_parts(root: &Path, files: &[PathBuf], schema: &Schema) -> Result<LazyFrame> {
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

/// Row count from a Parquet footer, read with the arrow-rs `parquet` crate
/// before the load: a zero-byte or truncated file is reported here with a
/// clear message rather than as a decoder error deep in the scan.
fn parquet_footer_rows(path: &Path) -> Result<u64> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
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

fn hash_files(files: &[PathBuf], root: &Path) -> Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut total = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    for f in files {
        if files.len() > 1 || f != root {
            let rel = f.strip_prefix(root).unwrap_or(f);
            hasher.update(rel.to_string_lossy().as_bytes());
        }
        let mut file = File::open(f).map_err(|e| Error::io(IoOp::Reading, f, e))?;
        loop {
            let n = file
                .read(&mut buf)
                .map_err(|e| Error::io(IoOp::Reading, f, e))?;
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

/// Collect a scan, reading only the columns named in `only` that the input
/// has, or every column when `only` is `None` or names none of them (the
/// contract then says which is missing). Returns every column's name too.
fn collect(lf: LazyFrame, only: Option<&[&str]>) -> PolarsResult<(DataFrame, Vec<String>)> {
    let (lf, columns) = project(lf, only)?;
    Ok((lf.collect()?, columns))
}

/// The scan of the columns `collect` reads, and every column's name.
fn project(mut lf: LazyFrame, only: Option<&[&str]>) -> PolarsResult<(LazyFrame, Vec<String>)> {
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

/// A table read in row batches, for a pass over inputs larger than memory.
/// Each batch is decoded by the same scan [`read_table`] collects at once
/// (the same files, column types and hive partitions), so the batches
/// stacked are the table `read_table` returns, in the same row order.
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
    /// [`read_table`], the columns being chosen on the first batch (the
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

/// The scan of a Parquet file or the Parquet `files` of directory `path`,
/// and the rows their footers promise.
fn plan_parquet(path: &Path, files: &[PathBuf], format: Format) -> Result<(LazyFrame, u64)> {
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
fn damaged_page(path: &Path) -> Error {
    Error::input(
        "the Parquet data could not be decoded: a data page is damaged",
        Location::file(path),
        "the file may be truncated or corrupted; export it again",
    )
}

fn rows_differ(path: &Path, footer: u64, data: u64) -> Error {
    Error::input(
        format!("the Parquet footer says {footer} rows but the data holds {data}"),
        Location::file(path),
        "the file is damaged; export it again",
    )
}

/// Read a Parquet file or the Parquet `files` of directory `path`, checking
/// the rows decoded against the rows the footers promise.
fn read_parquet(
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

/// Read the CSV `files` of directory `path`. Spark writes an empty
/// partition as a zero-byte part, without even a header: it holds no rows,
/// not a broken export.
fn read_csv_directory(
    path: &Path,
    files: &[PathBuf],
    csv_separator: u8,
    only: Option<&[&str]>,
) -> Result<(DataFrame, Vec<String>)> {
    read_csv(path, &csv_parts(path, files)?, csv_separator, only)
}

/// The CSV files of a directory that are not empty (zero bytes).
fn csv_parts(path: &Path, files: &[PathBuf]) -> Result<Vec<PathBuf>> {
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
fn read_csv(
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
fn plan_csv(root: &Path, files: &[PathBuf], csv_separator: u8) -> Result<(LazyFrame, u64)> {
    let (header, with_rows, rows) = check_csv_parts(files, csv_separator)?;
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

fn is_tsv(f: &Path) -> bool {
    f.extension().is_some_and(|e| e.eq_ignore_ascii_case("tsv"))
}

fn csv_reader(paths: Vec<PlRefPath>, sep: u8) -> LazyCsvReader {
    LazyCsvReader::new_paths(paths.into())
        .with_has_header(true)
        .with_separator(sep)
        .with_infer_schema_length(Some(100_000))
        .with_missing_is_null(true)
}

/// Check the structure of every CSV file (see `check_csv`): one separator
/// across the directory and the same header in each. Returns the header
/// and the files that hold rows, and the rows of all files.
fn check_csv_parts(
    files: &[PathBuf],
    csv_separator: u8,
) -> Result<(Vec<String>, Vec<PathBuf>, u64)> {
    let mut first: Option<(&Path, Vec<String>)> = None;
    let mut with_rows: Vec<PathBuf> = Vec::with_capacity(files.len());
    let mut total = 0u64;
    for f in files {
        if is_tsv(f) != is_tsv(&files[0]) {
            return Err(Error::input(
                "the directory holds both .csv and .tsv files",
                Location::file(f),
                "keep one export per directory, with one separator",
            ));
        }
        let sep = if is_tsv(f) { b'\t' } else { csv_separator };
        let CsvShape { header, rows } = check_csv(f, sep)?;
        total += rows;
        if rows > 0 {
            with_rows.push(f.clone());
        }
        match &first {
            None => first = Some((f, header)),
            Some((first_file, names)) if *names != header => {
                return Err(header_differs(f, &header, first_file, names));
            }
            Some(_) => {}
        }
    }
    Ok((first.map(|(_, h)| h).unwrap_or_default(), with_rows, total))
}

/// `f`'s header is not `first_file`'s: name the first column that differs.
fn header_differs(f: &Path, header: &[String], first_file: &Path, names: &[String]) -> Error {
    let at = (0..names.len().max(header.len()))
        .find(|&i| names.get(i) != header.get(i))
        .unwrap_or(0);
    let name = |h: &[String]| h.get(at).map_or("(none)".to_string(), |n| n.clone());
    Error::input(
        format!(
            "its header differs from {}'s: column {} is '{}' here and '{}' there",
            first_file.display(),
            at + 1,
            name(header),
            name(names)
        ),
        Location::file(f).column(name(header)),
        "export every part of the table with the same columns in the same order",
    )
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
fn iso_dates_among(
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

/// Separators a CSV export commonly uses, to recognise a wrong `csv_separator`.
const COMMON_SEPARATORS: [u8; 4] = [b',', b';', b'\t', b'|'];

fn separator_name(sep: u8) -> String {
    match sep {
        b'\t' => "\\t".to_string(),
        s => (s as char).to_string(),
    }
}

/// The fields of one CSV record, unquoted, as bytes.
fn split_record(record: &[u8], sep: u8) -> Vec<Vec<u8>> {
    let mut fields = vec![Vec::new()];
    let mut in_quotes = false;
    let mut prev_quote = false;
    for &b in record {
        if b == b'"' {
            if in_quotes {
                in_quotes = false;
                prev_quote = true;
                continue;
            }
            if prev_quote {
                // A doubled quote inside a quoted field is a literal quote.
                fields.last_mut().expect("one field").push(b'"');
            }
            in_quotes = true;
            prev_quote = false;
            continue;
        }
        prev_quote = false;
        if b == sep && !in_quotes {
            fields.push(Vec::new());
        } else {
            fields.last_mut().expect("one field").push(b);
        }
    }
    fields
}

/// The number of fields `split_record` would return, without allocating.
fn field_count(record: &[u8], sep: u8) -> usize {
    let mut in_quotes = false;
    let mut n = 1;
    for &b in record {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if b == sep && !in_quotes {
            n += 1;
        }
    }
    n
}

/// What the structure check learns of a CSV file: its column names and how
/// many records follow the header (blank lines not counted).
struct CsvShape {
    header: Vec<String>,
    rows: u64,
}

/// Check a CSV file's structure before polars parses it, so that a problem is
/// reported with its line, column and an example instead of as a parser
/// error: the text is UTF-8, the header's names are unique, the separator
/// splits the header, every row has as many fields as the header, and no
/// quoted field is left open. One streaming pass over the file.
///
/// The `csv` crate's `ByteRecord` reader is not used for this pass: with
/// the same checks (field count, UTF-8) it took 2.2–2.6 s against 1.2–1.8 s
/// here on a generated 1M-account file, and 4.4–6.1 s against 2.8–3.5 s
/// on its 3M deals; it also accepts a quoted field left open at the end of
/// the file, which this pass reports with its line.
fn check_csv(path: &Path, sep: u8) -> Result<CsvShape> {
    use std::io::BufRead;
    let file = File::open(path).map_err(|e| Error::io(IoOp::Reading, path, e))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut header: Option<Vec<String>> = None;
    let mut record: Vec<u8> = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    let mut line_no = 0u64;
    let mut record_line = 1u64;
    let mut in_quotes = false;
    let mut rows = 0u64;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io(IoOp::Reading, path, e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if !in_quotes {
            record.clear();
            record_line = line_no;
        }
        in_quotes ^= line.iter().filter(|&&b| b == b'"').count() % 2 == 1;
        record.extend_from_slice(&line);
        if in_quotes {
            continue; // a quoted field spans lines
        }
        while matches!(record.last(), Some(b'\n' | b'\r')) {
            record.pop();
        }
        if record.is_empty() {
            continue;
        }
        if header.is_some() {
            rows += 1;
        }
        check_record(path, &record, record_line, sep, &mut header)?;
    }
    if in_quotes {
        return Err(Error::input(
            format!("a quoted field opened on line {record_line} is never closed"),
            Location::file(path).value(String::from_utf8_lossy(&record)),
            "the file may be truncated, or a value holds an unescaped '\"'; export it again",
        ));
    }
    let header = header.ok_or_else(|| {
        Error::input(
            "the file has no header row",
            Location::file(path),
            "export the table again with a header row naming the columns",
        )
    })?;
    Ok(CsvShape { header, rows })
}

fn check_record(
    path: &Path,
    record: &[u8],
    line_no: u64,
    sep: u8,
    header: &mut Option<Vec<String>>,
) -> Result<()> {
    if let Some(names) = header.as_ref() {
        // A well-formed row, the common case, passes without being split:
        // separators are ASCII, so the row is UTF-8 exactly when each field is.
        if field_count(record, sep) == names.len() && std::str::from_utf8(record).is_ok() {
            return Ok(());
        }
    }
    let fields = split_record(record, sep);
    match header.as_ref() {
        None => {
            *header = Some(check_header(path, &fields, sep)?);
            Ok(())
        }
        Some(names) => check_fields(path, record, &fields, names, (line_no, sep)),
    }
}

/// The header row's names: UTF-8, trimmed, unique, and more than one
/// unless no other common separator appears in it.
fn check_header(path: &Path, fields: &[Vec<u8>], sep: u8) -> Result<Vec<String>> {
    let mut names = Vec::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        match std::str::from_utf8(f) {
            Ok(s) => names.push(s.trim().to_string()),
            Err(_) => {
                return Err(Error::input(
                    "the header row is not UTF-8 text",
                    Location::file(path)
                        .column(format!("#{}", i + 1))
                        .value(String::from_utf8_lossy(f)),
                    "export the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)",
                ))
            }
        }
    }
    if names.len() == 1 {
        if let Some(&other) = COMMON_SEPARATORS
            .iter()
            .find(|&&c| c != sep && names[0].as_bytes().contains(&c))
        {
            return Err(Error::input(
                format!(
                    "the header has a single column: the file looks separated by '{}', not '{}'",
                    separator_name(other),
                    separator_name(sep)
                ),
                Location::file(path).column(&names[0]).value(&names[0]),
                format!(
                    "set csv_separator = \"{}\" in the [accounts] or [deals] section of the config file",
                    separator_name(other)
                ),
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for n in &names {
        if !seen.insert(n.as_str()) {
            return Err(Error::input(
                "two columns have the same name",
                Location::file(path).column(n).value(n),
                "rename one of them in the export, so that each column has a unique name",
            ));
        }
    }
    Ok(names)
}

/// A data row that failed the fast check: which field is not UTF-8, or how
/// its field count differs from the header's.
fn check_fields(
    path: &Path,
    record: &[u8],
    fields: &[Vec<u8>],
    names: &[String],
    (line_no, sep): (u64, u8),
) -> Result<()> {
    for (i, f) in fields.iter().enumerate() {
        if std::str::from_utf8(f).is_err() {
            let column = names.get(i).map_or("(extra field)", String::as_str);
            return Err(Error::input(
                format!("line {line_no} is not UTF-8 text"),
                Location::file(path)
                    .column(column)
                    .value(String::from_utf8_lossy(f)),
                "export the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)",
            ));
        }
    }
    if fields.len() != names.len() {
        let (column, why) = if fields.len() < names.len() {
            (
                names[fields.len()].as_str(),
                "a value is missing or the row was cut short",
            )
        } else {
            (
                names[names.len() - 1].as_str(),
                "a value holds an unquoted separator, or a header name is missing",
            )
        };
        return Err(Error::input(
            format!(
                "line {line_no} has {} fields but the header has {}: {why}",
                fields.len(),
                names.len()
            ),
            Location::file(path)
                .column(column)
                .value(String::from_utf8_lossy(record)),
            format!(
                "quote values that contain '{}', and give every row all {} fields",
                separator_name(sep),
                names.len()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("abm-read-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(df: &DataFrame) -> Vec<String> {
        df.get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect()
    }

    #[test]
    fn only_the_named_columns_are_read_and_every_name_is_kept() {
        let dir = scratch("only");
        let csv = dir.join("deals.csv");
        std::fs::write(
            &csv,
            "deal_id,notes,amount,owner\nd1,call back,10,ann\nd2,,20,bo\n",
        )
        .unwrap();
        let mut df =
            df!("deal_id" => ["d1", "d2"], "notes" => ["x", "y"], "amount" => [1.0, 2.0]).unwrap();
        let pq = dir.join("deals.parquet");
        ParquetWriter::new(File::create(&pq).unwrap())
            .finish(&mut df)
            .unwrap();

        let t = read_table(&csv, b',', Some(&["amount", "deal_id", "stage"])).unwrap();
        // File order, not the order asked for; a name the file lacks is skipped.
        assert_eq!(names(&t.df), ["deal_id", "amount"]);
        assert_eq!(t.columns, ["deal_id", "notes", "amount", "owner"]);
        assert_eq!(t.df.height(), 2);
        assert_eq!(t.file.rows, 2);

        let t = read_table(&pq, b',', Some(&["amount"])).unwrap();
        assert_eq!(names(&t.df), ["amount"]);
        assert_eq!(t.columns, ["deal_id", "notes", "amount"]);
        assert_eq!(t.df.height(), 2);

        // Nothing asked for is there: every column is read, and the
        // contract reports the missing one with the file's names.
        let t = read_table(&csv, b',', Some(&["stage"])).unwrap();
        assert_eq!(names(&t.df), t.columns);
        let t = read_table(&pq, b',', None).unwrap();
        assert_eq!(names(&t.df), ["deal_id", "notes", "amount"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn csv_columns_of_iso_dates_are_dates_and_anything_else_stays_text() {
        let dir = scratch("dates");
        let csv = dir.join("t.csv");
        std::fs::write(
            &csv,
            "day,stamp,mixed,code,blank\n\
             2026-03-31,2026-03-31T23:59:59.5Z,2026-03-31,2026-Q1,\n\
             ,2026-04-01 00:00:00,03/15/2025,2026-Q2,\n\
             1969-12-31,2026-04-02T08:00:00+02:00,2026-04-02,2026-Q3,\n",
        )
        .unwrap();
        let t = read_table(&csv, b',', None).unwrap();
        let dtype = |c: &str| t.df.column(c).unwrap().dtype().clone();
        assert_eq!(dtype("day"), DataType::Date);
        assert_eq!(dtype("stamp"), DataType::Date);
        assert_eq!(dtype("mixed"), DataType::String);
        assert_eq!(dtype("code"), DataType::String);
        let days = |c: &str| -> Vec<Option<i32>> {
            let s = t.df.column(c).unwrap().cast(&DataType::Int32).unwrap();
            s.i32().unwrap().iter().collect()
        };
        // 2026-03-31 is day 20,543 since 1970-01-01; the time of day and the
        // offset do not move the date as written.
        assert_eq!(days("day"), [Some(20_543), None, Some(-1)]);
        assert_eq!(days("stamp"), [Some(20_543), Some(20_544), Some(20_545)]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn field_count_agrees_with_split_record() {
        for record in [
            "a,b,c",
            "",
            ",",
            "\"a,b\",c",
            "\"say \"\"hi, there\"\"\",x,",
            "\"\",\"\"\"\"",
            "a;b,c",
            "\"open,quote",
        ] {
            for sep in [b',', b';'] {
                let r = record.as_bytes();
                assert_eq!(field_count(r, sep), split_record(r, sep).len(), "{record}");
            }
        }
    }

    #[test]
    fn an_empty_parquet_partition_reads_as_no_rows() {
        // pyarrow's empty part: a 0-row row group with a dictionary page and
        // no data page, which the footer check once took for damage.
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/parquet/empty_partition.parquet");
        let dir = scratch("empty-parquet");
        let root = dir.join("deals");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::copy(&fixture, root.join("part-1.parquet")).unwrap();
        let mut part = df!(
            "deal_id" => ["d1"],
            "account_id" => ["a1"],
            "created_at" => [NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()],
            "closed_at" => [NaiveDate::from_ymd_opt(2026, 2, 5).unwrap()],
            "outcome" => ["won"],
            "amount" => [10.0],
        )
        .unwrap();
        let f = File::create(root.join("part-0.parquet")).unwrap();
        ParquetWriter::new(f).finish(&mut part).unwrap();

        assert_eq!(read_table(&fixture, b',', None).unwrap().df.height(), 0);
        let t = read_table(&root, b',', None).unwrap();
        assert_eq!(t.file.rows, 1);
        assert_eq!(t.df.height(), 1);
        assert_eq!(t.df.column("created_at").unwrap().dtype(), &DataType::Date);
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn write_parquet(path: &Path, mut df: DataFrame) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let f = File::create(path).unwrap();
        ParquetWriter::new(f).finish(&mut df).unwrap();
    }

    #[test]
    fn parquet_parts_that_disagree_on_number_types_are_widened() {
        let dir = scratch("parquet-types");
        let root = dir.join("deals");
        write_parquet(
            &root.join("outcome=won/part-0.parquet"),
            df!("deal_id" => ["d1"], "amount" => [2.5f64], "seats" => [3i32]).unwrap(),
        );
        write_parquet(
            &root.join("outcome=lost/part-0.parquet"),
            df!("deal_id" => ["d2"], "amount" => [7i64], "seats" => [Option::<i32>::None])
                .unwrap()
                .lazy()
                .with_column(lit(NULL).alias("seats"))
                .collect()
                .unwrap(),
        );
        let t = read_table(&root, b',', None).unwrap();
        assert_eq!(t.file.format, Format::ParquetDirectory);
        assert_eq!(t.columns, ["deal_id", "amount", "seats", "outcome"]);
        let dtype = |c: &str| t.df.column(c).unwrap().dtype().clone();
        assert_eq!(dtype("amount"), DataType::Float64);
        assert_eq!(dtype("seats"), DataType::Int32);
        // Parts in path order: lost before won.
        let amount: Vec<_> =
            t.df.column("amount")
                .unwrap()
                .f64()
                .unwrap()
                .iter()
                .collect();
        assert_eq!(amount, [Some(7.0), Some(2.5)]);
        let outcome = t.df.column("outcome").unwrap().str().unwrap().clone();
        assert_eq!(
            outcome.iter().collect::<Vec<_>>(),
            [Some("lost"), Some("won")]
        );

        // Text against numbers, or a missing column, is not guessed at.
        let text = dir.join("text");
        write_parquet(
            &text.join("a.parquet"),
            df!("deal_id" => ["d1"], "amount" => [1.0]).unwrap(),
        );
        write_parquet(
            &text.join("b.parquet"),
            df!("deal_id" => ["d2"], "amount" => ["n/a"]).unwrap(),
        );
        let m = rejected(&text);
        assert!(
            m.contains("disagree on the column's type: str here, f64 in"),
            "{m}"
        );
        assert!(m.contains("b.parquet") && m.contains("amount"), "{m}");
        let missing = dir.join("missing");
        write_parquet(
            &missing.join("a.parquet"),
            df!("deal_id" => ["d1"], "amount" => [1.0]).unwrap(),
        );
        write_parquet(
            &missing.join("b.parquet"),
            df!("deal_id" => ["d2"]).unwrap(),
        );
        let m = rejected(&missing);
        assert!(m.contains("this part has no column 'amount'"), "{m}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Write `text` to `path`, creating its directories.
    fn put(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// The message a directory that cannot be read is rejected with.
    fn rejected(path: &Path) -> String {
        read_table(path, b',', None).err().unwrap().to_string()
    }

    #[test]
    fn a_csv_directory_is_one_table_with_typed_partition_values() {
        let dir = scratch("csvdir");
        let root = dir.join("deals");
        for (part, rows) in [
            ("region=emea/year=2025", "deal_id,amount\nd1,10\nd2,\n"),
            ("region=us/year=2026", "deal_id,amount\nd3,2.5\n"),
            (
                "region=__HIVE_DEFAULT_PARTITION__/year=2026",
                "deal_id,amount\nd4,1\n",
            ),
        ] {
            put(&root.join(part).join("part-0.csv"), rows);
        }
        put(&root.join("_SUCCESS"), "");
        put(&root.join("notes.txt"), "not a table");
        // An empty partition, as Spark writes it: no rows, not even a
        // header; or a header alone, which must not make every column text.
        put(&root.join("region=us/year=2026/part-1.csv"), "");
        put(
            &root.join("region=us/year=2026/part-2.csv"),
            "deal_id,amount\n",
        );

        let t = read_table(&root, b',', None).unwrap();
        assert_eq!(t.file.format, Format::CsvDirectory);
        assert_eq!(t.columns, ["deal_id", "amount", "region", "year"]);
        // Files in path order, rows in file order.
        let text = |name: &str| -> Vec<Option<String>> {
            let c = t.df.column(name).unwrap().str().unwrap().clone();
            c.iter().map(|v| v.map(str::to_string)).collect()
        };
        let some = |v: &str| Some(v.to_string());
        assert_eq!(
            text("deal_id"),
            [some("d4"), some("d1"), some("d2"), some("d3")]
        );
        assert_eq!(
            text("region"),
            [None, some("emea"), some("emea"), some("us")]
        );
        let year = t.df.column("year").unwrap();
        assert_eq!(year.dtype(), &DataType::Int64);
        assert_eq!(year.i64().unwrap().get(1), Some(2025));
        // "10" alone would be an integer; "2.5" in another file makes it float.
        assert_eq!(t.df.column("amount").unwrap().dtype(), &DataType::Float64);

        // Only the named columns, partition columns among them.
        let t = read_table(&root, b',', Some(&["year", "deal_id"])).unwrap();
        assert_eq!(names(&t.df), ["deal_id", "year"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn partition_columns_are_typed_as_polars_types_a_parquet_directory() {
        // polars' own hive reading of a Parquet directory is the reference;
        // the same directories holding CSV parts are typed by our code.
        let dir = scratch("partition-types");
        let parts = [
            "flag=true/dt=2026-07-01/n=3/x=2.5/s=emea",
            "flag=False/dt=2026-07-02/n=-4/x=3/s=1a",
        ];
        for (i, part) in parts.iter().enumerate() {
            let id = format!("d{i}");
            write_parquet(
                &dir.join("pq").join(part).join("p.parquet"),
                df!("deal_id" => [id.as_str()]).unwrap(),
            );
            put(
                &dir.join("csv").join(part).join("p.csv"),
                &format!("deal_id\n{id}\n"),
            );
        }
        let pq = read_table(&dir.join("pq"), b',', None).unwrap();
        let csv = read_table(&dir.join("csv"), b',', None).unwrap();
        assert_eq!(pq.file.format, Format::ParquetDirectory);
        assert_eq!(csv.file.format, Format::CsvDirectory);
        for key in ["flag", "dt", "n", "x", "s"] {
            let (a, b) = (pq.df.column(key).unwrap(), csv.df.column(key).unwrap());
            assert_eq!(a.dtype(), b.dtype(), "{key}");
            assert!(
                a.as_materialized_series()
                    .equals(b.as_materialized_series()),
                "{key}"
            );
        }
        assert_eq!(csv.df.column("dt").unwrap().dtype(), &DataType::Date);
        assert_eq!(csv.df.column("flag").unwrap().dtype(), &DataType::Boolean);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_partition_key_the_files_also_hold_keeps_the_files_values() {
        let dir = scratch("csvdir-dup");
        let part = dir.join("t/outcome=won");
        put(&part.join("a.csv"), "deal_id,outcome\nd1,lost\n");
        let t = read_table(&dir.join("t"), b',', None).unwrap();
        assert_eq!(t.columns, ["deal_id", "outcome"]);
        let outcome = t.df.column("outcome").unwrap().str().unwrap().get(0);
        assert_eq!(outcome, Some("lost"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_directory_that_cannot_be_one_table_is_rejected_with_the_file() {
        let dir = scratch("csvdir-bad");
        let headers = dir.join("headers");
        put(&headers.join("a.csv"), "deal_id,amount\nd1,1\n");
        put(&headers.join("b.csv"), "deal_id,value\nd2,2\n");
        let m = rejected(&headers);
        assert!(
            m.contains("column 2 is 'value' here and 'amount' there"),
            "{m}"
        );
        assert!(m.contains("b.csv"), "{m}");

        let mixed = dir.join("mixed");
        put(&mixed.join("a.csv"), "deal_id\nd1\n");
        put(&mixed.join("b.parquet"), "PAR1");
        let m = rejected(&mixed);
        assert!(m.contains("both Parquet (1) and CSV (1) files"), "{m}");

        let keys = dir.join("keys");
        for part in ["outcome=won", "stage=lost"] {
            put(&keys.join(part).join("p.csv"), "deal_id\nd1\n");
        }
        let m = rejected(&keys);
        assert!(
            m.contains("partitioned by different keys: [stage] here, [outcome]"),
            "{m}"
        );

        let empty = dir.join("empty");
        put(&empty.join("README.md"), "nothing");
        let m = rejected(&empty);
        assert!(m.contains("no .parquet or .csv files"), "{m}");
        put(&empty.join("part-0.csv"), "");
        put(&empty.join("part-1.csv"), "");
        let m = rejected(&empty);
        assert!(
            m.contains("all 2 CSV files in the directory are empty"),
            "{m}"
        );

        // Each part is checked like a single file, with its own line numbers.
        let ragged = dir.join("ragged");
        put(&ragged.join("a.csv"), "deal_id,amount\nd1,1\n");
        put(&ragged.join("b.csv"), "deal_id,amount\nd2,2\nd3,3,x\n");
        let m = rejected(&ragged);
        assert!(
            m.contains("line 3 has 3 fields") && m.contains("b.csv"),
            "{m}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
