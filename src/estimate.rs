//! Knowing before it runs out: `discover`'s peak memory estimated from the
//! inputs' sizes before any row is decoded, and the memory the process may
//! use, so that a run too large for the machine stops with a message
//! instead of being killed by the operating system half way.
//!
//! The estimate reads Parquet footers (row counts and column types) and,
//! for CSV, the file sizes and the first mebibyte of each file. Its model
//! has two phases, whichever is higher sets the peak:
//!
//! - **reading**: the accounts table as decoded (its bytes per row from the
//!   column types, times [`READ_PER_ACCOUNT_BYTE`]) and the deals at
//!   [`READ_PER_DEAL`] bytes each (the five contract columns decoded,
//!   validated and grouped), over [`READ_BASE_MIB`];
//! - **after reading** (features, clustering, scores, reports): per account
//!   the decoded row again ([`LATER_PER_ACCOUNT_BYTE`] times its bytes), the
//!   encoded matrix (8 bytes a column, [`MATRIX_COPIES`] copies in effect:
//!   the matrix, and a weighted copy part of the time), and [`LATER_PER_ACCOUNT`] bytes of per-account
//!   results (scores, segment, tiers); per deal
//!   [`LATER_PER_DEAL`] bytes; over [`LATER_BASE_MIB`].
//!
//! The constants were fitted to the benchmark's measured peaks on generated
//! data (see `BENCHMARKS.md`, where the estimate's ratio
//! to each measured peak is listed).

use std::io::Read;
use std::path::Path;

use crate::error::{Error, IoOp, Location, Result};
use crate::io::read::{input_files, Format};
use crate::io::spec::InputSpec;

const MIB: f64 = 1024.0 * 1024.0;

/// Memory of the process before any table is read (code, polars' pools), MiB.
pub const READ_BASE_MIB: f64 = 26.0;
/// Resident bytes while reading per byte of an account row as decoded.
pub const READ_PER_ACCOUNT_BYTE: f64 = 1.28;
/// Resident bytes while reading per deal row.
pub const READ_PER_DEAL: f64 = 120.0;
/// Memory after reading that does not grow with the data, MiB.
pub const LATER_BASE_MIB: f64 = 60.0;
/// Resident bytes after reading per byte of an account row as decoded.
pub const LATER_PER_ACCOUNT_BYTE: f64 = 1.0;
/// Copies of the encoded feature matrix the peak holds, in effect: the
/// matrix, and for part of the run a weighted copy of it (clustering, the
/// held-out segment test). Fitted to the 1M / 3M benchmark's peak alone
/// once the matrix copies of the held-out test and the fit score were gone,
/// so the 5M and 10M runs check it (see `BENCHMARKS.md`).
pub const MATRIX_COPIES: f64 = 1.5;
/// Per-account results after reading (scores, segment, tiers), bytes.
pub const LATER_PER_ACCOUNT: f64 = 46.0;
/// Resident bytes after reading per deal (typed deals, per-account sums).
pub const LATER_PER_DEAL: f64 = 40.0;

/// Bytes a value of a column takes once decoded, by the column's kind.
pub const NUMBER_BYTES: f64 = 8.0;
/// A text value: a 16-byte view and, past 12 bytes, the text itself.
pub const TEXT_BYTES: f64 = 24.0;
/// Encoded matrix columns a text column is taken to become (its levels,
/// one-hot; up to 30 are kept).
pub const TEXT_ENCODED_COLUMNS: f64 = 8.0;

/// What the estimate needs to know of a table before decoding it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TableShape {
    pub rows: u64,
    /// Columns read as numbers, booleans or dates.
    pub numbers: usize,
    /// Columns read as text.
    pub texts: usize,
}

impl TableShape {
    /// Bytes of a row once decoded.
    pub fn row_bytes(&self) -> f64 {
        self.numbers as f64 * NUMBER_BYTES + self.texts as f64 * TEXT_BYTES
    }

    /// Encoded feature-matrix columns, the key and tier aside (taken as
    /// one text column).
    pub fn encoded_columns(&self) -> f64 {
        self.numbers as f64 + (self.texts.saturating_sub(1)) as f64 * TEXT_ENCODED_COLUMNS
    }
}

/// The estimated peak of a `discover` run, MiB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// While reading and validating the inputs.
    pub reading_mib: f64,
    /// After reading: features, clustering, scores, reports.
    pub after_mib: f64,
}

impl Estimate {
    pub fn peak_mib(&self) -> f64 {
        self.reading_mib.max(self.after_mib)
    }
}

/// `discover`'s peak memory for an accounts table of `accounts` shape and
/// `deals` deal rows (see the module documentation for the model).
pub fn estimate_discover_peak(accounts: &TableShape, deals: u64) -> Estimate {
    let n = accounts.rows as f64;
    let d = deals as f64;
    let row = accounts.row_bytes();
    let reading_mib = READ_BASE_MIB + (n * row * READ_PER_ACCOUNT_BYTE + d * READ_PER_DEAL) / MIB;
    let per_account = row * LATER_PER_ACCOUNT_BYTE
        + accounts.encoded_columns() * 8.0 * MATRIX_COPIES
        + LATER_PER_ACCOUNT;
    let after_mib = LATER_BASE_MIB + (n * per_account + d * LATER_PER_DEAL) / MIB;
    Estimate {
        reading_mib,
        after_mib,
    }
}

/// The shape of the table at `path` (a Parquet or CSV file, or a directory
/// of them), from Parquet footers or CSV file sizes; no row is decoded.
pub fn table_shape(path: &Path, csv_separator: u8) -> Result<TableShape> {
    let (format, files) = input_files(path)?;
    match format {
        Format::Parquet | Format::ParquetDirectory => parquet_shape(&files),
        Format::Csv | Format::CsvDirectory => csv_shape(&files, csv_separator),
    }
}

fn parquet_shape(files: &[std::path::PathBuf]) -> Result<TableShape> {
    use parquet::basic::Type;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let mut shape = TableShape {
        rows: 0,
        numbers: 0,
        texts: 0,
    };
    for (i, f) in files.iter().enumerate() {
        let file = std::fs::File::open(f).map_err(|e| Error::io(IoOp::Reading, f, e))?;
        let reader = SerializedFileReader::new(file).map_err(|e| {
            Error::input(
                format!("not a readable Parquet file: {e}"),
                Location::file(f),
                "the file may be truncated or still being written; export it again",
            )
        })?;
        let meta = reader.metadata();
        shape.rows += meta.file_metadata().num_rows().max(0) as u64;
        if i == 0 {
            for c in meta.file_metadata().schema_descr().columns() {
                match c.physical_type() {
                    Type::BYTE_ARRAY | Type::FIXED_LEN_BYTE_ARRAY => shape.texts += 1,
                    _ => shape.numbers += 1,
                }
            }
        }
    }
    Ok(shape)
}

/// CSV: rows from each file's size and the mean length of the lines in its
/// first mebibyte; columns from the header, numbers where the first data
/// line's field parses as one.
fn csv_shape(files: &[std::path::PathBuf], sep: u8) -> Result<TableShape> {
    let mut shape = TableShape {
        rows: 0,
        numbers: 0,
        texts: 0,
    };
    for (i, f) in files.iter().enumerate() {
        let len = std::fs::metadata(f)
            .map_err(|e| Error::io(IoOp::Reading, f, e))?
            .len();
        if len == 0 {
            continue;
        }
        let mut head = Vec::with_capacity(1 << 20);
        std::fs::File::open(f)
            .and_then(|file| file.take(1 << 20).read_to_end(&mut head))
            .map_err(|e| Error::io(IoOp::Reading, f, e))?;
        let mut lines = head.split(|&b| b == b'\n').filter(|l| !l.is_empty());
        let header = lines.next().unwrap_or_default();
        let body: Vec<&[u8]> = lines.collect();
        // The last line of the sample may be cut short; leave it out.
        let whole = if head.len() as u64 == len {
            &body[..]
        } else {
            &body[..body.len().saturating_sub(1)]
        };
        let line_bytes =
            whole.iter().map(|l| l.len() + 1).sum::<usize>() as f64 / whole.len().max(1) as f64;
        shape.rows += ((len as f64 - header.len() as f64 - 1.0).max(0.0) / line_bytes.max(1.0))
            .round() as u64;
        if i == 0 || shape.numbers + shape.texts == 0 {
            let sep = if f.extension().is_some_and(|e| e.eq_ignore_ascii_case("tsv")) {
                b'\t'
            } else {
                sep
            };
            let first = whole.first().copied().unwrap_or_default();
            let fields: Vec<&[u8]> = first.split(|&b| b == sep).collect();
            let columns = header.split(|&b| b == sep).count();
            let numbers = fields
                .iter()
                .filter(|v| {
                    std::str::from_utf8(v)
                        .ok()
                        .and_then(|v| v.trim().parse::<f64>().ok())
                        .is_some()
                })
                .count()
                .min(columns);
            shape.numbers = numbers;
            shape.texts = columns - numbers;
        }
    }
    Ok(shape)
}

/// A size in bytes: `2GiB`, `512MiB`, `1.5G`, `800MB`, `1000000`.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let at = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(at);
    let number: f64 = number.parse().ok()?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "kb" => 1e3,
        "m" | "mib" => MIB,
        "mb" => 1e6,
        "g" | "gib" => MIB * 1024.0,
        "gb" => 1e9,
        "t" | "tib" => MIB * MIB,
        "tb" => 1e12,
        _ => return None,
    };
    (number.is_finite() && number >= 0.0).then_some((number * scale) as u64)
}

/// The memory this process may use, and where that figure comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Available {
    pub bytes: u64,
    pub source: &'static str,
}

/// The environment variable that sets the memory available, for tests and
/// for machines whose limit the process cannot see.
pub const LIMIT_VAR: &str = "ABM_MEMORY_LIMIT";

/// The memory available: `ABM_MEMORY_LIMIT` if set, else the cgroup v2
/// limit (`memory.max`) if there is one, else `MemAvailable` from
/// `/proc/meminfo`; `None` where none is known (not Linux).
pub fn available() -> Result<Option<Available>> {
    if let Ok(v) = std::env::var(LIMIT_VAR) {
        let bytes = parse_size(&v).ok_or_else(|| {
            Error::config(
                format!("{LIMIT_VAR}={v} is not a size"),
                format!("write it like {LIMIT_VAR}=8GiB or {LIMIT_VAR}=512MiB"),
            )
        })?;
        return Ok(Some(Available {
            bytes,
            source: "ABM_MEMORY_LIMIT",
        }));
    }
    if let Some(bytes) = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
    {
        return Ok(Some(Available {
            bytes,
            source: "the cgroup's memory.max",
        }));
    }
    Ok(std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| mem_available(&m))
        .map(|bytes| Available {
            bytes,
            source: "MemAvailable in /proc/meminfo",
        }))
}

fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line["MemAvailable:".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Estimate `discover`'s peak on the inputs of `spec`, before reading them,
/// and stop when it exceeds the memory available. Returns the estimate
/// and what is available, for the log; `None` when an input cannot be
/// sized (a missing or damaged file), which reading then reports in full.
pub fn check_discover(spec: &InputSpec) -> Result<Option<(Estimate, Option<Available>)>> {
    let shapes = table_shape(&spec.accounts_path, spec.accounts_csv_separator)
        .and_then(|a| table_shape(&spec.deals_path, spec.deals_csv_separator).map(|d| (a, d)));
    let Ok((accounts, deals)) = shapes else {
        return Ok(None);
    };
    let estimate = estimate_discover_peak(&accounts, deals.rows);
    let available = available()?;
    if let Some(a) = &available {
        if estimate.peak_mib() * MIB > a.bytes as f64 {
            return Err(Error::config(
                format!(
                    "discover on {} accounts and {} deals would need about {:.0} MiB of memory, \
                     and {:.0} MiB is available ({})",
                    accounts.rows,
                    deals.rows,
                    estimate.peak_mib(),
                    a.bytes as f64 / MIB,
                    a.source
                ),
                "run on a machine with more memory; to score accounts where they live, \
                 use `abm-segments sql` on the model of a run on a sample of them; or \
                 aggregate the deals upstream (see docs/scale.md)",
            ));
        }
    }
    Ok(Some((estimate, available)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_read_with_binary_and_decimal_units() {
        assert_eq!(parse_size("200MiB"), Some(200 << 20));
        assert_eq!(parse_size("1.5GiB"), Some(3 << 29));
        assert_eq!(parse_size("2 G"), Some(2 << 30));
        assert_eq!(parse_size("800MB"), Some(800_000_000));
        assert_eq!(parse_size("1000000"), Some(1_000_000));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("5 parsecs"), None);
    }

    #[test]
    fn mem_available_is_read_from_meminfo() {
        let m = "MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   2048 kB\n";
        assert_eq!(mem_available(m), Some(2 << 20));
        assert_eq!(mem_available("MemTotal: 1 kB\n"), None);
    }

    /// The formula worked by hand: 1M accounts of 10 numeric and 3 text
    /// columns, 3M deals.
    #[test]
    fn the_estimate_is_its_formula_worked_by_hand() {
        let shape = TableShape {
            rows: 1_000_000,
            numbers: 10,
            texts: 3,
        };
        // Row: 10 × 8 + 3 × 24 = 152 bytes. Encoded: 10 + 2 × 8 = 26 columns.
        assert_eq!(shape.row_bytes(), 152.0);
        assert_eq!(shape.encoded_columns(), 26.0);
        let e = estimate_discover_peak(&shape, 3_000_000);
        // Reading: 26 MiB + (1e6 × 152 × 1.28 + 3e6 × 120) B
        //   = 26 + (194.56e6 + 360e6) / 2^20 = 26 + 528.87 MiB.
        let reading = 26.0 + (194.56e6 + 360e6) / 1048576.0;
        assert!((e.reading_mib - reading).abs() < 1e-9, "{e:?}");
        assert!((e.reading_mib - 554.87).abs() < 0.01, "{e:?}");
        // After: 60 MiB + 1e6 × (152 + 26 × 8 × 1.5 + 46) B + 3e6 × 40 B
        //   = 60 + (510e6 + 120e6) / 2^20 = 60 + 600.81 MiB.
        let after = 60.0 + (510e6 + 120e6) / 1048576.0;
        assert!((e.after_mib - after).abs() < 1e-9, "{e:?}");
        assert!((e.after_mib - 660.81).abs() < 0.01, "{e:?}");
        assert_eq!(e.peak_mib(), e.after_mib);
    }
}
