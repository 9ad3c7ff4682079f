//! Hive partitions (`outcome=won/year=2026/`) of a directory read part by
//! part: their keys, and each key's type and value per file.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::dates::parse_date;
use crate::error::{Error, Location, Result};

/// One hive partition column (`outcome=won/`) of a directory read part by
/// part: its name, its type, and its value for each file.
pub(super) struct Partition {
    pub(super) key: String,
    dtype: DataType,
    values: Vec<Option<String>>,
}

impl Partition {
    /// The column for the rows of file `i`.
    pub(super) fn column(&self, i: usize) -> Expr {
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
pub(super) fn hive_partitions(root: &Path, files: &[PathBuf]) -> Result<Vec<Partition>> {
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
