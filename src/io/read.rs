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
    /// Every column of the input in file order, including any not read.
    pub columns: Vec<String>,
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
            .map_err(|e| Error::io("reading", path, e))?
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
            if start < 0
                || size < 0
                || col.data_page_offset() < start
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

/// Collect a scan, reading only the columns named in `only` that the input
/// has, or every column when `only` is `None` or names none of them (the
/// contract then says which is missing). Returns every column's name too.
fn collect(mut lf: LazyFrame, only: Option<&[&str]>) -> PolarsResult<(DataFrame, Vec<String>)> {
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
    Ok((lf.collect()?, columns))
}

/// Read a table. `csv_separator` applies to CSV input only. With `only`,
/// just those columns are decoded: a deals export may carry dozens of
/// columns (descriptions, notes) that would otherwise all sit in memory.
pub fn read_table(path: &Path, csv_separator: u8, only: Option<&[&str]>) -> Result<Table> {
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

    let (df, columns) = match format {
        Format::Parquet | Format::ParquetDirectory => {
            let mut rows = 0;
            for f in &files {
                rows += parquet_footer_rows(f)?;
            }
            // Scan exactly the files counted above, so markers and stray
            // files in a directory are skipped rather than decoded. Hive
            // partition columns (`outcome=won/`) come from the directory
            // names, as Spark and warehouse exports write them.
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
            let lf = LazyFrame::scan_parquet_files(paths.into(), args)
                .map_err(|e| polars_input(path, e))?;
            // The decoder asserts on some damaged pages (a dictionary index
            // out of range, a page shorter than its header says) instead of
            // returning an error; that is bad input, not a bug of ours.
            let (df, columns) =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| collect(lf, only)))
                    .map_err(|_| {
                        Error::input(
                            "the Parquet data could not be decoded: a data page is damaged",
                            Location::file(path),
                            "the file may be truncated or corrupted; export it again",
                        )
                    })?
                    .map_err(|e| polars_input(path, e))?;
            if df.height() as u64 != rows {
                return Err(Error::input(
                    format!(
                        "the Parquet footer says {rows} rows but the data holds {}",
                        df.height()
                    ),
                    Location::file(path),
                    "the file is damaged; export it again",
                ));
            }
            (df, columns)
        }
        Format::Csv => {
            let sep = if path.extension().is_some_and(|e| e == "tsv") {
                b'\t'
            } else {
                csv_separator
            };
            check_csv(path, sep)?;
            LazyCsvReader::new(pl_path(path)?)
                .with_has_header(true)
                .with_separator(sep)
                .with_try_parse_dates(true)
                .with_infer_schema_length(Some(100_000))
                .with_missing_is_null(true)
                .finish()
                .and_then(|lf| collect(lf, only))
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
        columns,
        file,
        path: path.to_path_buf(),
    })
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

/// Check a CSV file's structure before polars parses it, so that a problem is
/// reported with its line, column and an example instead of as a parser
/// error: the text is UTF-8, the header's names are unique, the separator
/// splits the header, every row has as many fields as the header, and no
/// quoted field is left open. One streaming pass over the file.
fn check_csv(path: &Path, sep: u8) -> Result<()> {
    use std::io::BufRead;
    let file = File::open(path).map_err(|e| Error::io("reading", path, e))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut header: Option<Vec<String>> = None;
    let mut record: Vec<u8> = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    let mut line_no = 0u64;
    let mut record_line = 1u64;
    let mut in_quotes = false;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io("reading", path, e))?;
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
        check_record(path, &record, record_line, sep, &mut header)?;
    }
    if in_quotes {
        return Err(Error::input(
            format!("a quoted field opened on line {record_line} is never closed"),
            Location::file(path).value(String::from_utf8_lossy(&record)),
            "the file may be truncated, or a value holds an unescaped '\"'; export it again",
        ));
    }
    if header.is_none() {
        return Err(Error::input(
            "the file has no header row",
            Location::file(path),
            "export the table again with a header row naming the columns",
        ));
    }
    Ok(())
}

fn check_record(
    path: &Path,
    record: &[u8],
    line_no: u64,
    sep: u8,
    header: &mut Option<Vec<String>>,
) -> Result<()> {
    let fields = split_record(record, sep);
    let Some(names) = header.as_ref() else {
        // The header row.
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
        *header = Some(names);
        return Ok(());
    };
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
}
