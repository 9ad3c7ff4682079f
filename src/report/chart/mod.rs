//! The charts of `report.html`, drawn as hand-written SVG.
//!
//! Four kinds cover the review: horizontal bars with interval whiskers (win
//! rates), dots with whiskers, several measures per row (each segment's win
//! rate and P(win ≤ 90 d) on the first screen), step curves (cumulative
//! probability of a win over time) and a line with markers (silhouette by k). Every chart is a self-contained `<svg>`
//! whose first child is a `<title>`, with axis titles (`class="x-label"`,
//! `class="y-label"`) that name their unit, tick labels and gridlines. Colours
//! are the Okabe–Ito palette, which stays distinguishable with the common
//! colour-vision deficiencies. Nothing is fetched: no fonts, no scripts.
//!
//! `kinds` holds what a chart is; `axes` what every chart draws around its
//! marks, one file per kind how its marks are drawn, and this file which
//! kind draws which chart.

mod axes;
mod bars;
mod dots;
mod kinds;
mod line;
mod steps;

pub use kinds::{
    esc, Bar, Bars, Chart, Dot, DotRow, Dots, Frame, Interval, Line, LinePoint, Reference, Series,
    Steps,
};

impl Chart {
    pub fn title(&self) -> &str {
        match self {
            Chart::Bars(c) => &c.frame.title,
            Chart::Dots(c) => &c.frame.title,
            Chart::Steps(c) => &c.frame.title,
            Chart::Line(c) => &c.frame.title,
        }
    }

    /// The chart as an `<svg>` element.
    pub fn svg(&self) -> String {
        match self {
            Chart::Bars(c) => bars::svg(c),
            Chart::Dots(c) => dots::svg(c),
            Chart::Steps(c) => steps::svg(c),
            Chart::Line(c) => line::svg(c),
        }
    }
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
    fn every_chart_has_a_title_and_two_axis_labels() {
        let charts = [
            Chart::Bars(Bars {
                frame: frame(),
                bars: vec![Bar {
                    label: "S1".into(),
                    value: 0.4,
                    interval: Some(Interval { lo: 0.35, hi: 0.45 }),
                }],
                reference: Some(Reference {
                    value: 0.3,
                    label: "overall".into(),
                }),
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
                highlight: Some(Reference {
                    value: 2.0,
                    label: "chosen".into(),
                }),
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
}
