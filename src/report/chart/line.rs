//! A line through points over integer x, hollow or filled, one point ringed,
//! with a legend to the right.

use std::fmt::Write;

use super::axes::{open, tick_text, ticks, x_axis, y_axis, Plot, Scale};
use super::kinds::{cut, esc, Line, Reference, PALETTE, WIDTH};

pub(super) fn svg(c: &Line) -> String {
    let (left, top, right, bottom) = (64.0, 44.0, WIDTH - 180.0, 264.0);
    let plot = Plot {
        width: WIDTH,
        height: bottom + 48.0,
        left,
        top,
        right,
        bottom,
    };
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
    open(&mut s, &c.frame, &plot);
    let xt: Vec<f64> = (x_lo as i64..=x_hi as i64).map(|k| k as f64).collect();
    x_axis(&mut s, x, &xt, &plot, |t| format!("{t:.0}"));
    y_axis(&mut s, y, &yt, &plot, |t| tick_text(t, ystep, 1.0, ""));
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
    if let Some(Reference { value: hx, label }) = &c.highlight {
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
