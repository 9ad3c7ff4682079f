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
//! and `quality` (data quality and the run). This file holds the types they
//! share and the order they are read in.

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

use super::chart::{Bar, Chart, Reference};
use super::format::{pct, tier};
use super::{Report, Section as Computed};
use crate::outcomes::OutcomeFigures;
use drivers::drivers;
use findings::findings;
pub use first_screen::{first_screen, Finding, FirstScreen};
use icp::icp;
use previous::since_previous;
use quality::{data_quality, run};
use segments::{choosing_k, segments, time_to_win, win_rate};
use tiers::{readiness, tiers};

/// A table of formatted cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: vec![],
        }
    }
}

/// One piece of a section.
#[derive(Debug, Clone)]
pub enum Block {
    Para(String),
    List(Vec<String>),
    /// Items with a lead in bold: "**S1 …**: what sets it apart".
    Labelled(Vec<(String, String)>),
    Table(Table),
    /// A chart and the figures it draws.
    Figure {
        chart: Chart,
        table: Table,
    },
    /// A part the run did not compute, and why.
    NotComputed(String),
    Subheading(String),
    /// Parts meant to be read side by side.
    Columns(Vec<Vec<Block>>),
    /// Parts HTML folds under a summary line; Markdown shows them as they are.
    Folded {
        summary: String,
        blocks: Vec<Block>,
    },
}

/// A section of the review. The first has no title: it sits under the
/// document's title.
#[derive(Debug, Clone)]
pub struct Section {
    /// Anchor for HTML.
    pub id: &'static str,
    pub title: Option<&'static str>,
    pub blocks: Vec<Block>,
}

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

fn interval_label(r: &Report) -> String {
    format!("{:.0}% interval", 100.0 * r.run.parameters.confidence)
}

fn closed(o: &OutcomeFigures) -> u64 {
    o.won + o.lost
}

fn bar(label: String, o: &OutcomeFigures) -> Option<Bar> {
    Some(Bar {
        label,
        value: o.win_rate?,
        interval: o.win_rate_interval,
    })
}

/// The dashed line at the overall win rate.
fn overall_reference(w: f64) -> Reference {
    Reference {
        value: w,
        label: format!("overall {}", pct(Some(w))),
    }
}

/// The value axis of a win-rate chart, `iv` naming the interval its whiskers show.
fn win_rate_axis(iv: &str) -> String {
    format!("Win rate, % of closed deals won (bars: {iv})")
}

/// Won over closed deals across all segments: every deal belongs to one.
fn overall_win_rate(r: &Report) -> Option<f64> {
    let won: u64 = r.segments.iter().map(|s| s.outcomes.won).sum();
    let closed: u64 = r.segments.iter().map(|s| closed(&s.outcomes)).sum();
    (closed > 0).then(|| won as f64 / closed as f64)
}

/// "Tier 1", or `none` for the group without a tier.
fn tier_or(t: Option<u8>, none: &str) -> String {
    t.map_or_else(|| none.to_string(), |t| tier(Some(t)))
}

fn not_computed_reason<T>(s: &Computed<T>) -> String {
    match s {
        Computed::NotComputed { reason, .. } => reason.clone(),
        Computed::Computed(_) => "no figures".into(),
    }
}
