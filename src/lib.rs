//! # abm-segments
//!
//! Outcome-based account segmentation for account-based marketing. The
//! pipeline reads accounts and won/lost/open deals ([`io`]), turns account
//! columns into features ([`features`]), finds segments with k-means
//! ([`cluster`]), measures how well and how fast each segment converts with
//! open deals censored ([`outcomes`], [`stats`]), ranks segments by how soon
//! they win ([`speed`]), says what sets each segment
//! apart ([`segments`]), which attributes go with winning and with speed
//! ([`correlations`]), recommends ICP criteria, fit scores and tiers validated
//! out of time ([`recommend`]), judges the company's current tiers ([`verdict`]),
//! and renders one [`report::Report`] to JSON, Markdown and Parquet.
//!
//! [`pipeline`] runs the reviews as library calls ([`pipeline::discover`],
//! [`pipeline::validate`], [`pipeline::score`]), reporting through a
//! [`progress::Progress`]; the binary is a thin wrapper over [`cmd::run`],
//! which only parses arguments into those calls, prints and picks the exit
//! status.
//!
//! The modules form layers, each importing only from the layers below it;
//! `ARCHITECTURE.md` at the top of the repository lists them, one line per
//! module, and `tests/architecture.rs` checks the source against it.

pub mod cluster;
pub mod cmd;
pub mod config;
pub mod correlations;
pub mod dates;
pub mod domain;
pub mod drift;
pub mod error;
pub mod estimate;
pub mod features;
pub mod generate;
pub mod io;
pub mod leakage;
pub mod memory;
pub mod outcomes;
pub mod parallel;
pub mod pipeline;
pub mod progress;
pub mod recommend;
pub mod report;
pub mod segments;
pub mod speed;
pub mod sql;
pub mod stability;
pub mod stats;
pub mod text;
pub mod verdict;
