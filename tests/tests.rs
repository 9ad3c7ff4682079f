//! The integration tests: one binary, so polars is linked once.

mod util;

mod bad_input;
mod correlations;
mod discover;
mod drift;
mod html_report;
mod progress;
mod recommend;
mod speed;
mod validate;
