//! The headlines: the verdict on the current tiers, the best segment and
//! the top disqualifier, in one sentence each.

use super::format::interval;
use super::{ClusteringReport, CurrentTiers, Section, SegmentReport, SpeedReport};
use crate::correlations::Correlations;
use crate::outcomes::OutcomeFigures;
use crate::recommend::carve::CoreIcpSegment;
use crate::recommend::{IcpSection, TiersSection};
use crate::text::{p_text, pct};

/// What a run found, before it is a [`super::Report`]: what the headlines
/// and the warnings about sections not computed are written from.
pub struct Findings<'a> {
    pub clustering: &'a ClusteringReport,
    pub segments: &'a [SegmentReport],
    /// The figures of all deals.
    pub overall: &'a OutcomeFigures,
    /// The confidence level of the run's intervals and tests.
    pub confidence: f64,
    pub speed: &'a Section<SpeedReport>,
    pub correlations: &'a Section<Correlations>,
    pub icp: &'a Section<IcpSection>,
    pub tiers: &'a Section<TiersSection>,
    pub current_tiers: &'a Section<CurrentTiers>,
}

/// The headlines, most important first.
pub fn headlines(r: &Findings) -> Vec<String> {
    let overall = r.overall;
    let mut h = Vec::new();
    let closed = |s: &SegmentReport| s.outcomes.won + s.outcomes.lost;
    let best_lead = |best: &SegmentReport| {
        format!(
            "Best segment: S{} ({}) wins {} of {} closed deals ({}), {:.1}× the overall {}",
            best.id,
            best.name,
            pct(best.outcomes.win_rate),
            closed(best),
            interval(best.outcomes.win_rate_interval),
            best.lift.unwrap_or(f64::NAN),
            pct(overall.win_rate),
        )
    };
    match best_segment(r.clustering, r.segments, r.confidence) {
        BestSegment::Carved(best, c) => {
            h.push(format!(
                "{}; on held-out deals, which its criteria were not learned on, {} of {} against {} of {} in the rest of the segments it was carved from ({}, one-sided).",
                best_lead(best),
                pct(Some(c.held_out.win_rate)),
                c.held_out.closed_deals,
                pct(Some(c.rest_held_out.win_rate)),
                c.rest_held_out.closed_deals,
                p_text(c.p_value)
            ));
        }
        BestSegment::Beats(best) => {
            let p90 = best.outcomes.time_to_win.horizons.iter().find(|x| x.days == 90);
            h.push(format!(
                "{}{}.",
                best_lead(best),
                p90.map(|x| format!(", and {} of its deals are won within 90 days", pct(Some(x.probability)))).unwrap_or_default()
            ));
        }
        BestSegment::Alike { best, worst, p } => h.push(format!(
            "Segments convert alike: win rates range from {} to {} and the best is within chance (held-out permutation test over accounts, {}).",
            pct(worst.outcomes.win_rate),
            pct(best.outcomes.win_rate),
            p_text(p)
        )),
        BestSegment::Unknown => h.push(NOT_COMPARED.into()),
    }
    // The tier verdict leads; a failed out-of-time validation follows it.
    if let Some(v) = r.tiers.computed().and_then(|t| t.validation.as_ref()) {
        if !v.monotone {
            h.insert(0, format!("{}.", v.text));
        }
    }
    match &r.current_tiers {
        Section::Computed(ct) => h.insert(0, format!("{}.", ct.verdict)),
        Section::NotComputed { reason, .. } => h.push(tiers_not_judged(reason)),
    }
    h.push(top_disqualifier(r));
    h
}

/// What the headlines say when no segment's win rate can be compared.
pub const NOT_COMPARED: &str =
    "Win rates could not be compared between segments (too few closed deals).";

/// What the headlines say when the current tiers were not judged.
pub fn tiers_not_judged(reason: &str) -> String {
    format!("Current tiers were not judged: {reason}.")
}

/// Which segment converts best, and whether that is beyond chance.
pub enum BestSegment<'a> {
    /// The core ICP carved out as a segment, with its held-out test.
    Carved(&'a SegmentReport, &'a CoreIcpSegment),
    /// A k-means segment whose lead holds out of sample.
    Beats(&'a SegmentReport),
    /// The best is within chance: the range of win rates, and the test.
    Alike {
        best: &'a SegmentReport,
        worst: &'a SegmentReport,
        p: f64,
    },
    /// Too few closed deals to compare.
    Unknown,
}

/// The segment with the highest win rate, judged as the headlines judge
/// it. A carved core ICP segment was chosen on outcomes: its evidence is its
/// held-out test, not these deals' win rate nor the k-means segments'
/// permutation test. Whether a k-means segment converts better than chance
/// is judged out of sample (see `segments::held_out_best_segment_test`), at
/// 1 − `confidence`: these segments were drawn with these deals' outcomes.
pub fn best_segment<'a>(
    clustering: &'a ClusteringReport,
    segments: &'a [SegmentReport],
    confidence: f64,
) -> BestSegment<'a> {
    let mut ranked: Vec<&SegmentReport> = segments
        .iter()
        .filter(|s| s.outcomes.win_rate.is_some())
        .collect();
    ranked.sort_by(|a, b| {
        b.outcomes
            .win_rate
            .partial_cmp(&a.outcomes.win_rate)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let (Some(&best), Some(&worst)) = (ranked.first(), ranked.last()) else {
        return BestSegment::Unknown;
    };
    let carved = clustering.core_icp_segment.as_ref();
    if let Some(c) = carved.filter(|c| c.id == best.id) {
        return BestSegment::Carved(best, c);
    }
    match clustering.best_segment.as_ref().map(|t| t.p_value) {
        Some(p) if p < 1.0 - confidence => BestSegment::Beats(best),
        Some(p) => BestSegment::Alike { best, worst, p },
        None => BestSegment::Unknown,
    }
}

/// The criterion that most rules accounts out: the ICP's first disqualifying
/// rule, or, without one, the strongest material drag on winning among the
/// correlations.
fn top_disqualifier(r: &Findings) -> String {
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
