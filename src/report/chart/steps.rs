//! Step curves of a probability over days, with dashed marks at given days
//! and a legend under the axis title.

use std::fmt::Write;

use super::axes::{open, tick_text, ticks, x_axis, y_axis, Plot, Scale};
use super::kinds::{esc, Steps, PALETTE, WIDTH};

pub(super) fn svg(c: &Steps) -> String {
    let (left, top, right, bottom) = (64.0, 44.0, WIDTH - 24.0, 324.0);
    // The legend sits under the axis title, one line per series.
    let legend_top = bottom + 56.0;
    let plot = Plot {
        width: WIDTH,
        height: legend_top + 20.0 * c.series.len() as f64,
        left,
        top,
        right,
        bottom,
    };
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
    open(&mut s, &c.frame, &plot);
    x_axis(&mut s, x, &xt, &plot, |t| tick_text(t, xs, 1.0, ""));
    y_axis(&mut s, y, &yt, &plot, |t| tick_text(t, ys, 100.0, "%"));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::chart::{Frame, Series};

    #[test]
    fn a_step_curve_moves_across_then_up() {
        let svg = svg(&Steps {
            frame: Frame::new("t", "x", "y"),
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
}
