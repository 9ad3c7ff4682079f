//! Building and writing the generated tables.

use polars::prelude::*;

use crate::error::{Error, IoOp, Result};

pub(super) fn polars_error(e: PolarsError) -> Error {
    Error::Internal(format!("building generated tables: {e}"))
}

pub(super) fn date_column(name: &str, v: Vec<Option<i32>>) -> Result<Column> {
    Column::new(name.into(), v)
        .cast(&DataType::Date)
        .map_err(polars_error)
}

/// Output format for generated tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutFormat {
    Parquet,
    Csv,
}

/// Write a generated table. CSV joins list values with `;`.
pub fn write_table(df: &mut DataFrame, path: &std::path::Path, format: OutFormat) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|e| Error::io(IoOp::Writing, path, e))?;
    let err = |e: PolarsError| Error::Internal(format!("writing {}: {e}", path.display()));
    match format {
        OutFormat::Parquet => {
            ParquetWriter::new(file).finish(df).map_err(err)?;
        }
        OutFormat::Csv => {
            let mut flat = df.clone();
            let list_cols: Vec<String> = flat
                .columns()
                .iter()
                .filter(|c| matches!(c.dtype(), DataType::List(_)))
                .map(|c| c.name().to_string())
                .collect();
            for name in list_cols {
                let name: String = name;
                let ca = flat
                    .column(name.as_str())
                    .map_err(err)?
                    .as_materialized_series()
                    .list()
                    .map_err(err)?
                    .clone();
                let joined: Vec<Option<String>> = ca
                    .amortized_iter()
                    .map(|v| {
                        v.map(|s| {
                            s.as_ref()
                                .str()
                                .map(|c| c.iter().flatten().collect::<Vec<_>>().join(";"))
                                .unwrap_or_default()
                        })
                    })
                    .collect();
                flat.replace(&name, Column::new(name.clone().into(), joined))
                    .map_err(err)?;
            }
            CsvWriter::new(file)
                .include_header(true)
                .finish(&mut flat)
                .map_err(err)?;
        }
    }
    Ok(())
}
