//! Dots with interval whiskers, a few measures per row on one percentage
//! axis: each measure in its own colour and shape, offset a little within
//! the row so whiskers never overlap, with a legend above the plot.

use std::fmt::Write;

use super::axes::{open, rate_axis, reference, whisker, Plot};
use super::kinds::{esc, Dot, Dots, PALETTE};
use crate::report::format::cut;

/// Height of one row, in pixels.
const ROW: f64 = 34.0;
/// Vertical distance between the marks of one row.
const OFFSET: f64 = 10.0;
/// Room left of the plot for the row labels.
const LABELS: f64 = 184.0;
/// Longest row label drawn in full; longer ones are cut with "…" (the full
/// text stays in the row's tooltip).
const LABEL_CHARS: usize = 22;

pub(super) fn svg(c: &Dots) -> String {
    // The legend sits under the title, the reference line's label under it.
    let top = 70.0;
    let bottom = top + ROW * c.rows.len().max(1) as f64;
    let plot = Plot {
        width: c.width,
        height: bottom + 48.0,
        left: LABELS,
        top,
        right: c.width - 24.0,
        bottom,
    };
    let max = c
        .rows
        .iter()
        .flat_map(|r| r.dots.iter().flatten())
        .map(|d| d.interval.map_or(d.value, |i| i.hi.max(d.value)))
        .fold(0.0, f64::max);
    let mut s = String::new();
    open(&mut s, &c.frame, &plot);
    let x = rate_axis(&mut s, &plot, max);
    legend(&mut s, &c.measures, 42.0);
    for (i, row) in c.rows.iter().enumerate() {
        let mid = top + ROW * (i as f64 + 0.5);
        let figures: Vec<String> = (c.measures.iter().zip(&row.dots))
            .filter_map(|(name, d)| d.map(|d| format!("{name} {}", figure(&d))))
            .collect();
        let _ = write!(
            s,
            r#"<g class="dots"><title>{}: {}</title><text class="category" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            esc(&row.label),
            esc(&figures.join("; ")),
            LABELS - 8.0,
            mid + 4.0,
            esc(&cut(&row.label, LABEL_CHARS)),
        );
        let n = row.dots.len() as f64;
        for (j, d) in row.dots.iter().enumerate() {
            let Some(d) = d else { continue };
            let y = mid + OFFSET * (j as f64 - (n - 1.0) / 2.0);
            let colour = PALETTE[j % PALETTE.len()];
            if let Some(iv) = d.interval {
                let _ = write!(
                    s,
                    r#"<path class="dot-whisker" d="{}" stroke="{colour}"/>"#,
                    whisker(x.at(iv.lo), x.at(iv.hi), y, 4.0)
                );
            }
            marker(&mut s, j, x.at(d.value), y, colour);
        }
        s.push_str("</g>");
    }
    if let Some(r) = &c.reference {
        reference(&mut s, x, r, &plot);
    }
    s.push_str("</svg>");
    s
}

/// "50.5% (45.2–55.8%)".
fn figure(d: &Dot) -> String {
    match d.interval {
        Some(i) => format!(
            "{:.1}% ({:.1}–{:.1}%)",
            100.0 * d.value,
            100.0 * i.lo,
            100.0 * i.hi
        ),
        None => format!("{:.1}%", 100.0 * d.value),
    }
}

/// The mark of measure `j`: a circle, then a diamond, then a square.
fn marker(s: &mut String, j: usize, x: f64, y: f64, colour: &str) {
    let _ = match j % 3 {
        0 => write!(
            s,
            r#"<circle class="dot" cx="{x:.1}" cy="{y:.1}" r="5" fill="{colour}"/>"#
        ),
        1 => write!(
            s,
            r#"<path class="dot" d="M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z" fill="{colour}"/>"#,
            y - 6.0,
            x + 6.0,
            y + 6.0,
            x - 6.0
        ),
        _ => write!(
            s,
            r#"<rect class="dot" x="{:.1}" y="{:.1}" width="9" height="9" fill="{colour}"/>"#,
            x - 4.5,
            y - 4.5
        ),
    };
}

/// The measures' marks and names in a row at height `y`, from the plot's left.
fn legend(s: &mut String, measures: &[String], y: f64) {
    let mut x = LABELS;
    for (j, name) in measures.iter().enumerate() {
        let colour = PALETTE[j % PALETTE.len()];
        s.push_str(r#"<g class="legend">"#);
        marker(s, j, x + 6.0, y - 4.0, colour);
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{y:.1}">{}</text></g>"#,
            x + 16.0,
            esc(name)
        );
        // About 6.5 px a character at the legend's 12 px, and a gap.
        x += 16.0 + 6.5 * name.chars().count() as f64 + 28.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::chart::{DotRow, Frame, Interval, Reference};

    fn chart(rows: Vec<DotRow>) -> Dots {
        Dots {
            frame: Frame::new("Win rate and P(win ≤ 90 d)", "%", "Segment"),
            measures: vec!["win rate".into(), "P(win ≤ 90 d)".into()],
            rows,
            reference: Some(Reference {
                value: 0.25,
                label: "overall 25.0%".into(),
            }),
            width: 600.0,
        }
    }

    fn dot(value: f64, lo: f64, hi: f64) -> Option<Dot> {
        Some(Dot {
            value,
            interval: Some(Interval { lo, hi }),
        })
    }

    #[test]
    fn each_row_has_a_mark_and_a_whisker_per_measure_in_the_measures_colours() {
        let svg = svg(&chart(vec![
            DotRow {
                label: "S1 with HubSpot".into(),
                dots: vec![dot(0.2, 0.15, 0.25), dot(0.1, 0.05, 0.15)],
            },
            DotRow {
                label: "S2".into(),
                dots: vec![dot(0.5, 0.45, 0.55), None],
            },
        ]));
        assert_eq!(svg.matches(r#"<g class="dots">"#).count(), 2, "{svg}");
        // Two marks in S1, one in S2, and one of each in the legend.
        assert_eq!(svg.matches(r#"class="dot""#).count(), 5, "{svg}");
        assert_eq!(svg.matches(r#"class="dot-whisker""#).count(), 3, "{svg}");
        assert_eq!(
            svg.matches(&format!(r#"stroke="{}""#, PALETTE[1])).count(),
            1,
            "{svg}"
        );
        assert!(
            svg.contains("<title>S1 with HubSpot: win rate 20.0% (15.0–25.0%); P(win ≤ 90 d) 10.0% (5.0–15.0%)</title>"),
            "{svg}"
        );
        assert!(
            svg.contains("<title>S2: win rate 50.0% (45.0–55.0%)</title>"),
            "{svg}"
        );
        assert!(svg.contains(r#"width="600" height="186""#), "{svg}");
    }

    #[test]
    fn the_axis_reaches_past_the_highest_interval_and_the_reference_is_drawn_on_it() {
        let svg = svg(&chart(vec![DotRow {
            label: "S1".into(),
            dots: vec![dot(0.5, 0.4, 0.62), dot(0.3, 0.2, 0.4)],
        }]));
        // Ticks 0..80% over 184..576 px: 25% sits at 306.5.
        assert!(svg.contains(">80%</text>"), "{svg}");
        assert!(!svg.contains(">100%</text>"), "{svg}");
        assert!(
            svg.contains(r#"<line class="reference" x1="306.5""#),
            "{svg}"
        );
    }
}
