//! The charts of `report.html`, drawn as hand-written SVG.
//!
//! Three kinds cover the review: horizontal bars with interval whiskers (win
//! rates), step curves (cumulative probability of a win over time) and a line
//! with markers (silhouette by k). Every chart is a self-contained `<svg>`
//! whose first child is a `<title>`, with axis titles (`class="x-label"`,
//! `class="y-label"`) that name their unit, tick labels and gridlines. Colours
//! are the Okabe–Ito palette, which stays distinguishable with the common
//! colour-vision deficiencies. Nothing is fetched: no fonts, no scripts.

use std::fmt::Write;

/// Series colours (Okabe–Ito), in order.
const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999", "#000000",
];
const WIDTH: f64 = 720.0;
/// Longest category label drawn in full; longer ones are cut with "…"
/// (the full text stays in the element's tooltip).
const MAX_LABEL: usize = 30;

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
    pub interval: Option<(f64, f64)>,
}

/// Horizontal bars of rates (0–1), drawn as percentages.
#[derive(Debug, Clone)]
pub struct Bars {
    pub frame: Frame,
    pub bars: Vec<Bar>,
    /// A dashed reference line and its label, e.g. the overall win rate.
    pub reference: Option<(f64, String)>,
    /// Upper end of the value axis, at least the largest bar or interval
    /// end; charts meant to be compared share it.
    pub max: f64,
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
    /// x of the point to ring, with its label.
    pub highlight: Option<(f64, String)>,
    /// What filled and hollow markers mean.
    pub legend: [String; 2],
}

/// Any chart of the report.
#[derive(Debug, Clone)]
pub enum Chart {
    Bars(Bars),
    Steps(Steps),
    Line(Line),
}

impl Chart {
    pub fn title(&self) -> &str {
        match self {
            Chart::Bars(c) => &c.frame.title,
            Chart::Steps(c) => &c.frame.title,
            Chart::Line(c) => &c.frame.title,
        }
    }

    /// The chart as an `<svg>` element.
    pub fn svg(&self) -> String {
        match self {
            Chart::Bars(c) => bars(c),
            Chart::Steps(c) => steps(c),
            Chart::Line(c) => line(c),
        }
    }
}

/// A step of 1, 2, 2.5 or 5 × 10^n giving about `n` intervals over `range`.
fn nice_step(range: f64, n: f64) -> f64 {
    if range.is_nan() || range <= 0.0 || !range.is_finite() {
        return 1.0;
    }
    let raw = range / n;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let m = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 2.5 {
        2.5
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// Ticks from `lo` (a multiple of the step at or below it) to `hi` (one at
/// or above it), about `n` intervals.
fn ticks(lo: f64, hi: f64, n: f64) -> Vec<f64> {
    let step = nice_step(hi - lo, n);
    let first = (lo / step).floor();
    let last = (hi / step - 1e-9).ceil().max(first + 1.0);
    (first as i64..=last as i64)
        .map(|i| i as f64 * step)
        .collect()
}

/// A tick's text with as many decimals as its step needs; `scale` 100 for
/// percentages.
fn tick_text(v: f64, step: f64, scale: f64, suffix: &str) -> String {
    let step = step * scale;
    let decimals = (0..6)
        .find(|&d| {
            let x = step * 10f64.powi(d);
            (x - x.round()).abs() < 1e-6 * x.max(1.0)
        })
        .unwrap_or(6) as usize;
    let v = if (v * scale).abs() < 1e-9 {
        0.0
    } else {
        v * scale
    };
    format!("{v:.decimals$}{suffix}")
}

/// Linear map from a domain onto pixels.
#[derive(Debug, Clone, Copy)]
struct Scale {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
}

impl Scale {
    fn at(&self, v: f64) -> f64 {
        let span = self.d1 - self.d0;
        if span == 0.0 {
            return self.r0;
        }
        self.r0 + (v - self.d0) / span * (self.r1 - self.r0)
    }
}

fn cut(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL {
        label.to_string()
    } else {
        let s: String = label.chars().take(MAX_LABEL - 1).collect();
        format!("{s}…")
    }
}

/// The opening tag, `<title>`, chart title and axis titles of a plot area.
fn open(s: &mut String, frame: &Frame, height: f64, plot: (f64, f64, f64, f64)) {
    let (left, top, right, bottom) = plot;
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img">"#
    );
    let _ = write!(s, "<title>{}</title>", esc(&frame.title));
    let _ = write!(
        s,
        r#"<text class="chart-title" x="14" y="20">{}</text>"#,
        esc(&frame.title)
    );
    let _ = write!(
        s,
        r#"<text class="x-label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        (left + right) / 2.0,
        bottom + 40.0,
        esc(&frame.x_label)
    );
    let cy = (top + bottom) / 2.0;
    let _ = write!(
        s,
        r#"<text class="y-label" x="14" y="{cy:.1}" text-anchor="middle" transform="rotate(-90 14 {cy:.1})">{}</text>"#,
        esc(&frame.y_label)
    );
}

/// Vertical gridlines and tick labels along the bottom of the plot.
fn x_axis(
    s: &mut String,
    x: Scale,
    ticks: &[f64],
    (top, bottom): (f64, f64),
    text: impl Fn(f64) -> String,
) {
    for &t in ticks {
        let px = x.at(t);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{px:.1}" y1="{top:.1}" x2="{px:.1}" y2="{bottom:.1}"/><text class="tick" x="{px:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            bottom + 16.0,
            esc(&text(t))
        );
    }
    let _ = write!(
        s,
        r#"<line class="axis" x1="{:.1}" y1="{bottom:.1}" x2="{:.1}" y2="{bottom:.1}"/>"#,
        x.r0, x.r1
    );
}

/// Horizontal gridlines and tick labels along the left of the plot.
fn y_axis(
    s: &mut String,
    y: Scale,
    ticks: &[f64],
    (left, right): (f64, f64),
    text: impl Fn(f64) -> String,
) {
    for &t in ticks {
        let py = y.at(t);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{left:.1}" y1="{py:.1}" x2="{right:.1}" y2="{py:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            left - 6.0,
            py + 4.0,
            esc(&text(t))
        );
    }
    let _ = write!(
        s,
        r#"<line class="axis" x1="{left:.1}" y1="{:.1}" x2="{left:.1}" y2="{:.1}"/>"#,
        y.r0, y.r1
    );
}

fn bars(c: &Bars) -> String {
    const ROW: f64 = 30.0;
    let (left, top, right) = (240.0, 44.0, WIDTH - 80.0);
    let bottom = top + ROW * c.bars.len().max(1) as f64;
    let height = bottom + 48.0;
    let max = c
        .bars
        .iter()
        .map(|b| b.interval.map_or(b.value, |(_, hi)| hi.max(b.value)))
        .fold(c.max, f64::max);
    let tk = ticks(0.0, if max > 0.0 { max } else { 1.0 }, 5.0);
    let step = tk[1] - tk[0];
    let x = Scale {
        d0: 0.0,
        d1: *tk.last().unwrap_or(&1.0),
        r0: left,
        r1: right,
    };
    let mut s = String::new();
    open(&mut s, &c.frame, height, (left, top, right, bottom));
    x_axis(&mut s, x, &tk, (top, bottom), |t| {
        tick_text(t, step, 100.0, "%")
    });
    for (i, b) in c.bars.iter().enumerate() {
        let y = top + ROW * i as f64;
        let mid = y + ROW / 2.0;
        let iv = b
            .interval
            .map(|(lo, hi)| format!(" (95% interval {:.1}–{:.1}%)", 100.0 * lo, 100.0 * hi))
            .unwrap_or_default();
        let _ = write!(
            s,
            r#"<g class="bar"><title>{}: {:.1}%{iv}</title><text class="category" x="{:.1}" y="{:.1}" text-anchor="end">{}</text><rect x="{left:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"/>"#,
            esc(&b.label),
            100.0 * b.value,
            left - 8.0,
            mid + 4.0,
            esc(&cut(&b.label)),
            y + 7.0,
            (x.at(b.value) - left).max(0.0),
            ROW - 14.0,
            PALETTE[0]
        );
        let mut end = x.at(b.value);
        if let Some((lo, hi)) = b.interval {
            let (l, h) = (x.at(lo), x.at(hi));
            end = end.max(h);
            let _ = write!(
                s,
                r#"<path class="whisker" d="M{l:.1} {:.1}V{:.1}M{l:.1} {mid:.1}H{h:.1}M{h:.1} {:.1}V{:.1}"/>"#,
                mid - 6.0,
                mid + 6.0,
                mid - 6.0,
                mid + 6.0
            );
        }
        let _ = write!(
            s,
            r#"<text class="value" x="{:.1}" y="{:.1}">{:.1}%</text></g>"#,
            end + 6.0,
            mid + 4.0,
            100.0 * b.value
        );
    }
    if let Some((v, label)) = &c.reference {
        let px = x.at(*v);
        let _ = write!(
            s,
            r#"<line class="reference" x1="{px:.1}" y1="{:.1}" x2="{px:.1}" y2="{bottom:.1}"/><text class="reference-label" x="{px:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            top - 6.0,
            top - 10.0,
            esc(label)
        );
    }
    s.push_str("</svg>");
    s
}

fn steps(c: &Steps) -> String {
    let (left, top, right, bottom) = (64.0, 44.0, WIDTH - 24.0, 324.0);
    // The legend sits under the axis title, one line per series.
    let legend_top = bottom + 56.0;
    let height = legend_top + 20.0 * c.series.len() as f64;
    let x_max = c
        .series
        .iter()
        .filter_map(|s| s.points.last().map(|p| p.0))
        .fold(1.0, f64::max);
    let y_max = c
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(0.0, f64::max);
    let xt = ticks(0.0, x_max, 6.0);
    let yt = ticks(0.0, if y_max > 0.0 { y_max } else { 1.0 }, 5.0);
    let (xs, ys) = (xt[1] - xt[0], yt[1] - yt[0]);
    let x = Scale {
        d0: 0.0,
        d1: *xt.last().unwrap_or(&1.0),
        r0: left,
        r1: right,
    };
    let y = Scale {
        d0: 0.0,
        d1: *yt.last().unwrap_or(&1.0),
        r0: bottom,
        r1: top,
    };
    let mut s = String::new();
    open(&mut s, &c.frame, height, (left, top, right, bottom));
    x_axis(&mut s, x, &xt, (top, bottom), |t| tick_text(t, xs, 1.0, ""));
    y_axis(&mut s, y, &yt, (left, right), |t| {
        tick_text(t, ys, 100.0, "%")
    });
    for &m in c.marks.iter().filter(|&&m| m <= x.d1) {
        let px = x.at(m);
        let _ = write!(
            s,
            r#"<line class="mark" x1="{px:.1}" y1="{top:.1}" x2="{px:.1}" y2="{bottom:.1}"/><text class="mark-label" x="{:.1}" y="{:.1}">{m:.0} d</text>"#,
            px + 3.0,
            top + 10.0
        );
    }
    for (i, series) in c.series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let mut d = String::new();
        for (j, &(px, py)) in series.points.iter().enumerate() {
            if j == 0 {
                let _ = write!(d, "M{:.1} {:.1}", x.at(px), y.at(py));
            } else {
                let _ = write!(d, "H{:.1}V{:.1}", x.at(px), y.at(py));
            }
        }
        let last = series.points.last().map_or(0.0, |p| p.1);
        let _ = write!(
            s,
            r#"<g class="series"><title>{}: {:.1}% by day {:.0}</title><path class="step" d="{d}" stroke="{colour}"/></g>"#,
            esc(&series.name),
            100.0 * last,
            series.points.last().map_or(0.0, |p| p.0)
        );
        let ly = legend_top + 20.0 * i as f64;
        let _ = write!(
            s,
            r#"<g class="legend"><line x1="{left:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{colour}" stroke-width="3"/><text x="{:.1}" y="{:.1}">{}</text></g>"#,
            left + 20.0,
            left + 26.0,
            ly + 4.0,
            esc(&series.name)
        );
    }
    s.push_str("</svg>");
    s
}

fn line(c: &Line) -> String {
    let (left, top, right, bottom) = (64.0, 44.0, WIDTH - 180.0, 264.0);
    let height = bottom + 48.0;
    let xs_: Vec<f64> = c.points.iter().map(|p| p.x).collect();
    let x_lo = xs_.iter().copied().fold(f64::INFINITY, f64::min);
    let x_hi = xs_.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (x_lo, x_hi) = if x_lo.is_finite() {
        (x_lo, x_hi)
    } else {
        (0.0, 1.0)
    };
    let ys_: Vec<f64> = c.points.iter().filter_map(|p| p.y).collect();
    let y_lo = ys_.iter().copied().fold(0.0, f64::min);
    let y_hi = ys_.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let y_hi = if y_hi > y_lo { y_hi } else { y_lo + 1.0 };
    let yt = ticks(y_lo, y_hi, 5.0);
    let ystep = yt[1] - yt[0];
    let x = Scale {
        d0: x_lo - 0.5,
        d1: x_hi + 0.5,
        r0: left,
        r1: right,
    };
    let y = Scale {
        d0: yt[0],
        d1: *yt.last().unwrap_or(&1.0),
        r0: bottom,
        r1: top,
    };
    let mut s = String::new();
    open(&mut s, &c.frame, height, (left, top, right, bottom));
    let xt: Vec<f64> = (x_lo as i64..=x_hi as i64).map(|k| k as f64).collect();
    x_axis(&mut s, x, &xt, (top, bottom), |t| format!("{t:.0}"));
    y_axis(&mut s, y, &yt, (left, right), |t| {
        tick_text(t, ystep, 1.0, "")
    });
    let mut d = String::new();
    for p in &c.points {
        if let Some(v) = p.y {
            let cmd = if d.is_empty() { 'M' } else { 'L' };
            let _ = write!(d, "{cmd}{:.1} {:.1}", x.at(p.x), y.at(v));
        }
    }
    let _ = write!(s, r#"<path class="line" d="{d}" stroke="{}"/>"#, PALETTE[0]);
    for p in &c.points {
        if let Some(v) = p.y {
            let fill = if p.filled { PALETTE[0] } else { "#ffffff" };
            let _ = write!(
                s,
                r#"<circle class="point" cx="{:.1}" cy="{:.1}" r="5" fill="{fill}" stroke="{}"><title>{:.0}: {v:.3}</title></circle>"#,
                x.at(p.x),
                y.at(v),
                PALETTE[0],
                p.x
            );
        }
    }
    if let Some((hx, label)) = &c.highlight {
        if let Some(v) = c.points.iter().find(|p| p.x == *hx).and_then(|p| p.y) {
            let (px, py) = (x.at(*hx), y.at(v));
            let _ = write!(
                s,
                r#"<circle class="highlight" cx="{px:.1}" cy="{py:.1}" r="10" stroke="{}"/><text class="highlight-label" x="{px:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                PALETTE[5],
                py - 16.0,
                esc(label)
            );
        }
    }
    for (i, (filled, text)) in [(true, &c.legend[0]), (false, &c.legend[1])]
        .into_iter()
        .enumerate()
    {
        let ly = top + 8.0 + 20.0 * i as f64;
        let fill = if filled { PALETTE[0] } else { "#ffffff" };
        let _ = write!(
            s,
            r#"<g class="legend"><circle cx="{:.1}" cy="{ly:.1}" r="5" fill="{fill}" stroke="{}"/><text x="{:.1}" y="{:.1}">{}</text></g>"#,
            right + 20.0,
            PALETTE[0],
            right + 32.0,
            ly + 4.0,
            esc(&cut(text))
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> Frame {
        Frame::new("Win rate <by> segment", "Win rate (%)", "Segment")
    }

    fn count(hay: &str, needle: &str) -> usize {
        hay.matches(needle).count()
    }

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(ticks(0.0, 0.654, 5.0).len(), 5); // 0, 0.2, ..., 0.8
        assert!((ticks(0.0, 0.654, 5.0)[4] - 0.8).abs() < 1e-12);
        assert_eq!(
            ticks(0.0, 365.0, 6.0),
            vec![0.0, 100.0, 200.0, 300.0, 400.0]
        );
        let t = ticks(-0.05, 0.42, 5.0);
        assert!(t[0] <= -0.05 && *t.last().unwrap() >= 0.42, "{t:?}");
        assert_eq!(tick_text(0.2, 0.2, 100.0, "%"), "20%");
        assert_eq!(tick_text(0.025, 0.025, 100.0, "%"), "2.5%");
        assert_eq!(tick_text(0.1, 0.05, 1.0, ""), "0.10");
    }

    #[test]
    fn every_chart_has_a_title_and_two_axis_labels() {
        let charts = [
            Chart::Bars(Bars {
                frame: frame(),
                bars: vec![Bar {
                    label: "S1".into(),
                    value: 0.4,
                    interval: Some((0.35, 0.45)),
                }],
                reference: Some((0.3, "overall".into())),
                max: 0.0,
            }),
            Chart::Steps(Steps {
                frame: frame(),
                series: vec![Series {
                    name: "S1".into(),
                    points: vec![(0.0, 0.0), (10.0, 0.2), (40.0, 0.3)],
                }],
                marks: vec![30.0],
            }),
            Chart::Line(Line {
                frame: frame(),
                points: vec![
                    LinePoint {
                        x: 2.0,
                        y: Some(0.4),
                        filled: true,
                    },
                    LinePoint {
                        x: 3.0,
                        y: None,
                        filled: false,
                    },
                ],
                highlight: Some((2.0, "chosen".into())),
                legend: ["ok".into(), "too small".into()],
            }),
        ];
        for c in &charts {
            let svg = c.svg();
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
            assert!(
                svg.contains("<title>Win rate &lt;by&gt; segment</title>"),
                "{svg}"
            );
            assert_eq!(count(&svg, r#"class="x-label""#), 1, "{svg}");
            assert_eq!(count(&svg, r#"class="y-label""#), 1, "{svg}");
            assert!(count(&svg, r#"class="tick""#) >= 2, "{svg}");
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        }
    }

    #[test]
    fn a_step_curve_moves_across_then_up() {
        let svg = steps(&Steps {
            frame: frame(),
            series: vec![Series {
                name: "S1".into(),
                points: vec![(0.0, 0.0), (50.0, 0.5), (100.0, 0.5)],
            }],
            marks: vec![],
        });
        // x: 0..100 over 64..696 px; y: 0..0.5 over 324..44 px.
        assert!(
            svg.contains(r#"d="M64.0 324.0H380.0V44.0H696.0V44.0""#),
            "{svg}"
        );
    }

    #[test]
    fn long_labels_are_cut_but_kept_in_the_tooltip() {
        let label = "technologies has a very long product name indeed";
        let svg = bars(&Bars {
            frame: frame(),
            bars: vec![Bar {
                label: label.into(),
                value: 0.5,
                interval: None,
            }],
            reference: None,
            max: 1.0,
        });
        assert!(
            svg.contains(&format!("<title>{label}: 50.0%</title>")),
            "{svg}"
        );
        assert!(svg.contains("technologies has a very long …"), "{svg}");
    }
}
