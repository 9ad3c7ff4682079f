//! `abm-segments sql`: the model of a discover run as one SQL `SELECT`, to
//! score accounts where they live (a dbt model, a Spark job, a scheduled
//! query) at any size.

use std::io::Write;
use std::path::PathBuf;

use crate::cmd::Log;
use crate::error::{exit, Error, IoOp, Result};
use crate::pipeline::score::read_model;
use crate::sql::{select, Dialect};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// model.json written by discover, or the run directory holding it.
    #[arg(long)]
    pub model: PathBuf,
    /// The SQL engine to write for.
    #[arg(long, value_enum)]
    pub dialect: Dialect,
    /// The accounts table, with the columns discover saw: a name (`crm.accounts`), or any table expression such as dbt's `{{ ref('accounts') }}`, written as given.
    #[arg(long, default_value = "accounts")]
    pub table: String,
}

/// Print the query on stdout (also under `-q`: it is the command's output).
pub fn run(args: Args, _log: Log) -> Result<u8> {
    let model = read_model(&args.model)?;
    let file = if args.model.is_dir() {
        args.model.join("model.json")
    } else {
        args.model.clone()
    };
    let sql = select(&model, args.dialect, &args.table, &file)?;
    std::io::stdout()
        .write_all(sql.as_bytes())
        .map_err(|e| Error::io(IoOp::Writing, "stdout", e))?;
    Ok(exit::OK)
}
