//! The pieces every group of sections is built from: tables, blocks and
//! sections, and the few phrases and chart parts several groups share.

use crate::outcomes::OutcomeFigures;
use crate::report::chart::{Bar, Chart, Reference};
use crate::report::format::{pct, tier};
use crate::report::{Report, Section as Computed};

/// A table of formatted cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub(super) fn new(header: &[&str]) -> Table {
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

pub(super) fn interval_label(r: &Report) -> String {
    format!("{:.0}% interval", 100.0 * r.run.parameters.confidence)
}

pub(super) fn closed(o: &OutcomeFigures) -> u64 {
    o.won + o.lost
}

pub(super) fn bar(label: String, o: &OutcomeFigures) -> Option<Bar> {
    Some(Bar {
        label,
        value: o.win_rate?,
        interval: o.win_rate_interval,
    })
}

/// The dashed line at the overall win rate.
pub(super) fn overall_reference(w: f64) -> Reference {
    Reference {
        value: w,
        label: format!("overall {}", pct(Some(w))),
    }
}

/// The value axis of a win-rate chart, `iv` naming the interval its whiskers show.
pub(super) fn win_rate_axis(iv: &str) -> String {
    format!("Win rate, % of closed deals won (bars: {iv})")
}

/// Won over closed deals across all segments: every deal belongs to one.
pub(super) fn overall_win_rate(r: &Report) -> Option<f64> {
    let won: u64 = r.segments.iter().map(|s| s.outcomes.won).sum();
    let closed: u64 = r.segments.iter().map(|s| closed(&s.outcomes)).sum();
    (closed > 0).then(|| won as f64 / closed as f64)
}

/// "Tier 1", or `none` for the group without a tier.
pub(super) fn tier_or(t: Option<u8>, none: &str) -> String {
    t.map_or_else(|| none.to_string(), |t| tier(Some(t)))
}

pub(super) fn not_computed_reason<T>(s: &Computed<T>) -> String {
    match s {
        Computed::NotComputed { reason, .. } => reason.clone(),
        Computed::Computed(_) => "no figures".into(),
    }
}
