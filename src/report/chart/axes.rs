//! What every chart draws around its marks: round ticks, the linear map from
//! values to pixels, the canvas with its titles, and the two axes.

use std::fmt::Write;

use super::kinds::{esc, Frame, Reference};

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
pub(super) fn ticks(lo: f64, hi: f64, n: f64) -> Vec<f64> {
    let step = nice_step(hi - lo, n);
    let first = (lo / step).floor();
    let last = (hi / step - 1e-9).ceil().max(first + 1.0);
    (first as i64..=last as i64)
        .map(|i| i as f64 * step)
        .collect()
}

/// A tick's text with as many decimals as its step needs; `scale` 100 for
/// percentages.
pub(super) fn tick_text(v: f64, step: f64, scale: f64, suffix: &str) -> String {
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
pub(super) struct Scale {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Scale {
    pub fn at(&self, v: f64) -> f64 {
        let span = self.d1 - self.d0;
        if span == 0.0 {
            return self.r0;
        }
        self.r0 + (v - self.d0) / span * (self.r1 - self.r0)
    }
}

/// A chart's canvas, and inside it the plot area its marks are drawn in
/// (pixels from the canvas's top left corner).
#[derive(Debug, Clone, Copy)]
pub(super) struct Plot {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

/// The opening tag, `<title>`, chart title and axis titles of a plot area.
pub(super) fn open(s: &mut String, frame: &Frame, plot: &Plot) {
    let Plot {
        width,
        height,
        left,
        top,
        right,
        bottom,
    } = *plot;
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">"#
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
pub(super) fn x_axis(
    s: &mut String,
    x: Scale,
    ticks: &[f64],
    plot: &Plot,
    text: impl Fn(f64) -> String,
) {
    let (top, bottom) = (plot.top, plot.bottom);
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
pub(super) fn y_axis(
    s: &mut String,
    y: Scale,
    ticks: &[f64],
    plot: &Plot,
    text: impl Fn(f64) -> String,
) {
    let (left, right) = (plot.left, plot.right);
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

/// A percentage axis along the bottom of the plot, from 0 to a round value
/// at or above `max` (a rate, 0–1), drawn; returns the scale it maps rates with.
pub(super) fn rate_axis(s: &mut String, plot: &Plot, max: f64) -> Scale {
    let tk = ticks(0.0, if max > 0.0 { max } else { 1.0 }, 5.0);
    let step = tk[1] - tk[0];
    let x = Scale {
        d0: 0.0,
        d1: *tk.last().unwrap_or(&1.0),
        r0: plot.left,
        r1: plot.right,
    };
    x_axis(s, x, &tk, plot, |t| tick_text(t, step, 100.0, "%"));
    x
}

/// The path (`d`) of an interval whisker from `lo` to `hi` px at height
/// `mid`, its end caps `half` px above and below.
pub(super) fn whisker(lo: f64, hi: f64, mid: f64, half: f64) -> String {
    format!(
        "M{lo:.1} {:.1}V{:.1}M{lo:.1} {mid:.1}H{hi:.1}M{hi:.1} {:.1}V{:.1}",
        mid - half,
        mid + half,
        mid - half,
        mid + half
    )
}

/// A dashed vertical line at a reference rate over the plot, labelled
/// just above it.
pub(super) fn reference(s: &mut String, x: Scale, r: &Reference, plot: &Plot) {
    let (px, top, bottom) = (x.at(r.value), plot.top, plot.bottom);
    let _ = write!(
        s,
        r#"<line class="reference" x1="{px:.1}" y1="{:.1}" x2="{px:.1}" y2="{bottom:.1}"/><text class="reference-label" x="{px:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        top - 6.0,
        top - 10.0,
        esc(&r.label)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
