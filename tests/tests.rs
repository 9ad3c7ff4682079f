//! The integration tests: one binary, so polars is linked once.

mod util;

mod architecture;
mod atomicity;
mod bad_input;
mod clustered;
mod correlations;
mod determinism;
mod discover;
mod doc_links;
mod drift;
mod estimate;
mod fuzz_inputs;
mod hardening;
mod history;
mod holdout;
mod html_report;
mod icp_frontier;
mod leakage;
mod noise;
mod progress;
mod properties;
mod readiness;
mod recommend;
mod regression;
mod roles;
mod score_stream;
mod speed;
mod sql;
mod validate;
mod verdict_sim;
