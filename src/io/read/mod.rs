//! Reading one input table (a Parquet or CSV file, or a directory of either,
//! hive-partitioned as Spark and warehouse exports write them) into a polars
//! `DataFrame`, with the facts `report.json` records about it.
//!
//! - `format`: what the input is (a file or a directory of parts) and its format.
//! - `table`: [`read_table`], the whole table at once, and what it returns.
//! - `batches`: [`table_batches`], the same table in row batches.
//! - `parquet`: Parquet footers checked before the load, and the scan.
//! - `csv_check`: the structure check of CSV files before polars parses them.
//! - `csv`: the CSV scan, and text columns of ISO dates typed as dates.
//! - `hive`: hive partition columns (`outcome=won/`) of a directory read part by part.
//! - `widen`: a common type for Parquet parts that disagree on column types.
//! - `hash`: the SHA-256 and size of the input.
//! - `scan`: helpers the readers share.

mod batches;
mod csv;
mod csv_check;
mod format;
mod hash;
mod hive;
mod parquet;
mod scan;
mod table;
#[cfg(test)]
mod tests;
mod widen;

pub use batches::{table_batches, TableBatches};
pub(crate) use format::input_files;
pub use format::Format;
pub use table::{read_table, InputFile, Table};
