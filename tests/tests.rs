//! The integration tests: one binary, so polars is linked once.

mod small_inputs;
mod util;

mod accepted_input;
mod architecture;
mod atomicity;
mod bad_input;
mod clustered;
mod correlations;
mod crm_dynamics;
mod degenerate_data;
mod determinism;
mod discover;
mod doc_links;
mod drift;
mod estimate;
mod finding_names;
mod fuzz_inputs;
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
mod roles;
mod score_stream;
mod speed;
mod sql;
mod validate;
mod verdict_sim;
