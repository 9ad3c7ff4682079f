//! Input and output: reading tables, the data contract, run directories.

pub mod contract;
pub mod read;
pub mod run_dir;
