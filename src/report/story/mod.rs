//! The review as one sequence of sections, which `report.md` and
//! `report.html` both render: the same findings, in the same order, with the
//! same words and figures. Markdown shows each chart's figures as a table;
//! HTML draws the chart and keeps the table beside it.
//!
//! Nothing here computes a statistic: every figure comes from the
//! [`Report`], and is only selected, ordered and formatted.
//!
//! One file per group of sections: `findings` (the headlines), `segments`
//! (segments, win rate, time to win, how k was chosen), `tiers` (current and
//! recommended tiers, their validation, fit × readiness), `icp`, `drivers`,
//! `previous` (since the previous run: segment matching, tier moves, drift)
//! and `quality` (data quality and the run). `blocks` holds the types
//! they share; this file the order they are read in.

mod blocks;
mod drivers;
mod findings;
pub mod first_screen;
mod icp;
mod previous;
mod quality;
mod segments;
mod tiers;

#[cfg(test)]
pub(crate) mod tests;

use super::Report;
pub use blocks::{Block, Section, Table};
use drivers::drivers;
use findings::findings;
pub use first_screen::{first_screen, Finding, FirstScreen};
use icp::icp;
use previous::since_previous;
use quality::{data_quality, run};
use segments::{choosing_k, segments, time_to_win, win_rate};
use tiers::{readiness, tiers};

/// The document's title.
pub fn title(r: &Report) -> String {
    format!("Segment review as of {}", r.run.as_of)
}

/// Every section, in reading order.
pub fn sections(r: &Report) -> Vec<Section> {
    vec![
        Section {
            id: "findings",
            title: None,
            blocks: findings(r),
        },
        Section {
            id: "segments",
            title: Some("Segments"),
            blocks: segments(r),
        },
        Section {
            id: "win-rate",
            title: Some("Win rate per segment"),
            blocks: win_rate(r),
        },
        Section {
            id: "time-to-win",
            title: Some("Time to win"),
            blocks: time_to_win(r),
        },
        Section {
            id: "tiers",
            title: Some("Current and recommended tiers"),
            blocks: tiers(r),
        },
        Section {
            id: "readiness",
            title: Some("Fit × readiness: whom to work now"),
            blocks: readiness(r),
        },
        Section {
            id: "drivers",
            title: Some("What goes with winning and with speed"),
            blocks: drivers(r),
        },
        Section {
            id: "icp",
            title: Some("Recommended ICP"),
            blocks: icp(r),
        },
        Section {
            id: "since-previous",
            title: Some("Since the previous run"),
            blocks: since_previous(r),
        },
        Section {
            id: "choosing-k",
            title: Some("How k was chosen"),
            blocks: choosing_k(r),
        },
        Section {
            id: "data-quality",
            title: Some("Data quality"),
            blocks: data_quality(r),
        },
        Section {
            id: "run",
            title: Some("This run"),
            blocks: run(r),
        },
    ]
}
