//! The headlines: the verdict on the current tiers, the best segment and
//! the top disqualifier, in one sentence each.

use crate::outcomes::OutcomeFigures;
use crate::report::format::interval;
use crate::report::{Report, Section, SegmentReport};
use crate::stats::association::chi2_contingency;
use crate::text::{p_text, pct};

pub(super) fn headlines(r: &Report, overall: &OutcomeFigures) -> Vec<String> {
    let mut h = Vec::new();
    let table: Vec<Vec<u64>> = r
        .segments
        .iter()
        .map(|s| vec![s.outcomes.won, s.outcomes.lost])
        .collect();
    let differ = chi2_contingency(&table).map(|c| c.p_value);
    let closed = |s: &SegmentReport| s.outcomes.won + s.outcomes.lost;
    let ranked: Vec<&SegmentReport> = {
        let mut v: Vec<&SegmentReport> = r
            .segments
            .iter()
            .filter(|s| s.outcomes.win_rate.is_some())
            .collect();
        v.sort_by(|a, b| {
            b.outcomes
                .win_rate
                .partial_cmp(&a.outcomes.win_rate)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        v
    };
    match (differ, ranked.first(), ranked.last()) {
        (Some(p), Some(best), Some(_)) if p < 1.0 - r.run.parameters.confidence => {
            let p90 = best.outcomes.time_to_win.horizons.iter().find(|x| x.days == 90);
            h.push(format!(
                "Best segment: S{} ({}) wins {} of {} closed deals ({}), {:.1}× the overall {}{}.",
                best.id,
                best.name,
                pct(best.outcomes.win_rate),
                closed(best),
                interval(best.outcomes.win_rate_interval),
                best.lift.unwrap_or(f64::NAN),
                pct(overall.win_rate),
                p90.map(|x| format!(", and {} of its deals are won within 90 days", pct(Some(x.probability)))).unwrap_or_default()
            ));
        }
        (Some(p), Some(best), Some(worst)) => h.push(format!(
            "Segments convert alike: win rates range from {} to {} and do not differ significantly (chi-square {}).",
            pct(worst.outcomes.win_rate),
            pct(best.outcomes.win_rate),
            p_text(p)
        )),
        _ => h.push("Win rates could not be compared between segments (too few closed deals).".into()),
    }
    // The tier verdict leads; a failed out-of-time validation follows it.
    if let Some(v) = r.tiers.computed().and_then(|t| t.validation.as_ref()) {
        if !v.monotone {
            h.insert(0, format!("{}.", v.text));
        }
    }
    match &r.current_tiers {
        Section::Computed(ct) => h.insert(0, format!("{}.", ct.verdict)),
        Section::NotComputed { reason, .. } => {
            h.push(format!("Current tiers were not judged: {reason}."))
        }
    }
    h.push(top_disqualifier(r));
    h
}

/// The criterion that most rules accounts out: the ICP's first disqualifying
/// rule, or, without one, the strongest material drag on winning among the
/// correlations.
fn top_disqualifier(r: &Report) -> String {
    use crate::text::pct;
    if let Some(d) = r.icp.computed().and_then(|icp| icp.disqualifying.first()) {
        return format!(
            "Top disqualifier: {} wins {} of {} closed deals ({}).",
            d.text,
            pct(d.win_rate),
            d.closed_deals,
            d.lift
                .map_or_else(|| "–".into(), |l| format!("{l:.2}× the overall rate"))
        );
    }
    match &r.correlations {
        Section::Computed(c) => match c.drivers.winning_negative.first() {
            Some(d) => format!("Top disqualifier: {d}."),
            None => "No account attribute goes materially with losing.".into(),
        },
        Section::NotComputed { reason, .. } => {
            format!("Disqualifiers were not looked for: {reason}.")
        }
    }
}
