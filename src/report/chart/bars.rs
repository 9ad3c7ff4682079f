//! Horizontal bars of rates with interval whiskers and a dashed reference.

use std::fmt::Write;

use super::axes::{open, rate_axis, reference, whisker, Plot};
use super::kinds::{cut, esc, Bars, PALETTE, WIDTH};

pub(super) fn svg(c: &Bars) -> String {
    const ROW: f64 = 30.0;
    let (left, top, right) = (240.0, 44.0, WIDTH - 80.0);
    let bottom = top + ROW * c.bars.len().max(1) as f64;
    let plot = Plot {
        width: WIDTH,
        height: bottom + 48.0,
        left,
        top,
        right,
        bottom,
    };
    let max = c
        .bars
        .iter()
        .map(|b| b.interval.map_or(b.value, |i| i.hi.max(b.value)))
        .fold(c.max, f64::max);
    let mut s = String::new();
    open(&mut s, &c.frame, &plot);
    let x = rate_axis(&mut s, &plot, max);
    for (i, b) in c.bars.iter().enumerate() {
        let y = top + ROW * i as f64;
        let mid = y + ROW / 2.0;
        let iv = b
            .interval
            .map(|i| format!(" (95% interval {:.1}–{:.1}%)", 100.0 * i.lo, 100.0 * i.hi))
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
        if let Some(i) = b.interval {
            let (l, h) = (x.at(i.lo), x.at(i.hi));
            end = end.max(h);
            let _ = write!(
                s,
                r#"<path class="whisker" d="{}"/>"#,
                whisker(l, h, mid, 6.0)
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
    if let Some(r) = &c.reference {
        reference(&mut s, x, r, &plot);
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::chart::{Bar, Frame};

    #[test]
    fn long_labels_are_cut_but_kept_in_the_tooltip() {
        let label = "technologies has a very long product name indeed";
        let svg = svg(&Bars {
            frame: Frame::new("t", "x", "y"),
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
        assert!(svg.contains("technologies has a very long…"), "{svg}");
    }
}
