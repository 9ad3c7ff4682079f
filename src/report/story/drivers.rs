//! What goes with winning and with speed: the attributes that go most with
//! winning or losing, charted, and the material drivers listed.

use super::blocks::{interval_label, overall_reference, win_rate_axis, Block, Table};
use crate::correlations::Correlations;
use crate::report::chart::{Bar, Bars, Chart, Frame};
use crate::report::format::{interval, lift, pct};
use crate::report::{Report, Section as Computed};

/// Levels shown in the drivers chart on each side of the overall win rate.
const DRIVER_BARS: usize = 6;

fn driver_figure(r: &Report, c: &Correlations) -> Option<Block> {
    let material: Vec<_> = c
        .levels
        .iter()
        .filter(|l| l.win.as_ref().is_some_and(|w| w.material) && l.lift.is_some())
        .collect();
    let by_lift = |up: bool| {
        let mut v: Vec<_> = material
            .iter()
            .filter(|l| (l.lift.unwrap_or(1.0) > 1.0) == up)
            .copied()
            .collect();
        v.sort_by(|a, b| {
            let (a, b) = (a.lift.unwrap_or(1.0), b.lift.unwrap_or(1.0));
            if up {
                b.total_cmp(&a)
            } else {
                a.total_cmp(&b)
            }
        });
        v.truncate(DRIVER_BARS);
        v
    };
    let mut shown = by_lift(true);
    let mut down = by_lift(false);
    down.reverse();
    shown.extend(down);
    if shown.is_empty() {
        return None;
    }
    let iv = interval_label(r);
    let mut t = Table::new(&["attribute", "closed deals", "win rate", &iv, "lift", "q"]);
    let mut bars = Vec::new();
    for l in &shown {
        t.rows.push(vec![
            l.label.clone(),
            l.closed_deals.to_string(),
            pct(l.win_rate),
            interval(l.win_rate_interval),
            lift(l.lift),
            l.win.as_ref().map_or_else(
                || "–".into(),
                |w| crate::stats::association::format_p(w.q_value),
            ),
        ]);
        bars.extend(l.win_rate.map(|w| Bar {
            label: l.label.clone(),
            value: w,
            interval: l.win_rate_interval,
        }));
    }
    Some(Block::Figure {
        chart: Chart::Bars(Bars {
            frame: Frame::new(
                "Win rate of the attributes that go most with winning or losing",
                win_rate_axis(&iv),
                "Account attribute",
            ),
            bars,
            reference: Some(overall_reference(c.overall_win_rate)),
            max: 0.0,
        }),
        table: t,
    })
}

pub(super) fn drivers(r: &Report) -> Vec<Block> {
    let c = match &r.correlations {
        Computed::Computed(c) => c,
        Computed::NotComputed { reason, .. } => return vec![Block::NotComputed(reason.clone())],
    };
    let mut blocks = vec![Block::Para(format!(
        "Closed deals joined to their account's features ({} tests, Benjamini–Hochberg q < {}; material: lift ≥ {} or ≤ {}, |r| ≥ {}, at least {} closed deals). These are associations, not causes.",
        c.tests,
        c.thresholds.q_max,
        c.thresholds.lift_high,
        c.thresholds.lift_low,
        c.thresholds.min_abs_r,
        c.thresholds.min_support
    ))];
    blocks.extend(driver_figure(r, c));
    for (title, list) in [
        ("Drivers of winning", &c.drivers.winning_positive),
        ("Drags on winning", &c.drivers.winning_negative),
        ("Faster wins", &c.drivers.faster),
        ("Slower wins", &c.drivers.slower),
    ] {
        blocks.push(Block::Subheading(title.into()));
        blocks.push(Block::List(if list.is_empty() {
            vec!["none material".into()]
        } else {
            list.clone()
        }));
    }
    blocks
}
