//! What a chart is: its frame, its marks, and the palette and sizes every
//! kind draws with.

pub use crate::stats::conversion::Interval;

/// Series colours (Okabe–Ito), in order.
pub(super) const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999", "#000000",
];
pub(super) const WIDTH: f64 = 720.0;
/// Longest category label drawn in full; longer ones are cut with "…"
/// (the full text stays in the element's tooltip).
pub(super) const MAX_LABEL: usize = 30;

/// Escape text for HTML and SVG.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What every chart says about itself.
#[derive(Debug, Clone)]
pub struct Frame {
    pub title: String,
    /// Axis titles, with their unit.
    pub x_label: String,
    pub y_label: String,
}

impl Frame {
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Frame {
        Frame {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
        }
    }
}

/// One bar: a rate (0–1) with an optional interval.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub interval: Option<Interval>,
}

/// A value marked on an axis, with its label: a reference line, or a point
/// to ring.
#[derive(Debug, Clone)]
pub struct Reference {
    pub value: f64,
    pub label: String,
}

/// Horizontal bars of rates (0–1), drawn as percentages.
#[derive(Debug, Clone)]
pub struct Bars {
    pub frame: Frame,
    pub bars: Vec<Bar>,
    /// A dashed reference line and its label, e.g. the overall win rate.
    pub reference: Option<Reference>,
    /// Upper end of the value axis, at least the largest bar or interval
    /// end; charts meant to be compared share it.
    pub max: f64,
}

/// A rate (0–1) with an optional interval: one mark of a [`Dots`] row.
#[derive(Debug, Clone, Copy)]
pub struct Dot {
    pub value: f64,
    pub interval: Option<Interval>,
}

/// One row of a [`Dots`] chart: a category and, per measure, its mark.
#[derive(Debug, Clone)]
pub struct DotRow {
    pub label: String,
    /// In the order of [`Dots::measures`]; `None` where a measure is missing.
    pub dots: Vec<Option<Dot>>,
}

/// Rates (0–1) of a few measures per row, each a dot with an interval
/// whisker, on one percentage axis; each measure has its colour and shape.
#[derive(Debug, Clone)]
pub struct Dots {
    pub frame: Frame,
    /// The measures' names, for the legend.
    pub measures: Vec<String>,
    pub rows: Vec<DotRow>,
    /// A dashed reference line and its label, e.g. the overall win rate.
    pub reference: Option<Reference>,
    /// Width of the canvas in pixels: drawn where space is set aside for it,
    /// the chart keeps its text at the page's size.
    pub width: f64,
}

/// A named step function.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    /// (x, y) points, x increasing; y holds until the next point.
    pub points: Vec<(f64, f64)>,
}

/// Step curves of a probability (0–1) over days.
#[derive(Debug, Clone)]
pub struct Steps {
    pub frame: Frame,
    pub series: Vec<Series>,
    /// Days marked with a dashed line, e.g. the report's horizons.
    pub marks: Vec<f64>,
}

/// One point of a [`Line`].
#[derive(Debug, Clone)]
pub struct LinePoint {
    pub x: f64,
    pub y: Option<f64>,
    /// Drawn filled when true, hollow when false.
    pub filled: bool,
}

/// A line through points over integer x (e.g. k), one point highlighted.
#[derive(Debug, Clone)]
pub struct Line {
    pub frame: Frame,
    pub points: Vec<LinePoint>,
    /// The point to ring, by its x, with its label.
    pub highlight: Option<Reference>,
    /// What filled and hollow markers mean.
    pub legend: [String; 2],
}

/// Any chart of the report.
#[derive(Debug, Clone)]
pub enum Chart {
    Bars(Bars),
    Dots(Dots),
    Steps(Steps),
    Line(Line),
}

/// A category label as drawn: at most [`MAX_LABEL`] characters.
pub(super) fn cut(label: &str) -> String {
    crate::report::format::cut(label, MAX_LABEL)
}
