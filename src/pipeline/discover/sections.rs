//! Sections of the discover report built from finished figures: speed
//! ranking, current tiers, warnings.

use crate::domain::OutcomeLabel;
use crate::io::contract::{Accounts, Deals, Drops};
use crate::outcomes::{FigureOptions, OutcomeFigures};
use crate::report::{Report, Section, SegmentReport, SpeedReport};

/// Why the ICP and tiers could not be fitted.
pub(super) fn no_model_reason(overall: &OutcomeFigures) -> String {
    if overall.lost == 0 {
        format!(
            "every closed deal is won ({}): with no lost deal there is nothing to tell winners from losers",
            overall.won
        )
    } else if overall.won == 0 {
        format!(
            "every closed deal is lost ({}): with no won deal there is nothing to tell winners from losers",
            overall.lost
        )
    } else {
        "the score model could not be fitted (too few closed deals, or data that separates winners from losers perfectly)".into()
    }
}

/// One warning per section a degenerate input left uncomputed, with the reason.
pub(super) fn not_computed_warnings(r: &Report) -> Vec<String> {
    fn reason<T>(s: &Section<T>) -> Option<&str> {
        match s {
            Section::NotComputed { reason, .. } => Some(reason),
            Section::Computed(_) => None,
        }
    }
    [
        ("speed", reason(&r.speed)),
        ("correlations", reason(&r.correlations)),
        ("icp", reason(&r.icp)),
        ("tiers", reason(&r.tiers)),
        ("current_tiers", reason(&r.current_tiers)),
    ]
    .into_iter()
    .filter_map(|(name, why)| why.map(|w| format!("{name}: not computed — {w}")))
    .collect()
}

/// Warnings about the input. `won_within`: the ICP, score and drivers are
/// learned on "won within H days" because no deal is marked lost; the note
/// that says so replaces the warning that nothing can be ranked.
pub(super) fn data_warnings(
    drops: &Drops,
    deals: &Deals,
    overall: &OutcomeFigures,
    won_within: bool,
) -> Vec<String> {
    let mut w = Vec::new();
    let dropped: u64 = drops.deals_dropped.values().sum();
    if dropped > 0 {
        w.push(format!(
            "{dropped} deals were dropped ({}); see deals_dropped",
            drops
                .deals_dropped
                .iter()
                .map(|(k, v)| format!("{v} {}", k.key().replace('_', " ")))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if deals.outcome.iter().all(|o| *o != OutcomeLabel::Open) {
        w.push("no open deals: time to win is measured on closed deals only".into());
    }
    if overall.lost == 0 && !won_within {
        w.push(format!(
            "every closed deal is won ({} won, no lost deal): win rates are all 100% and cannot rank segments or criteria",
            overall.won
        ));
    } else if overall.won == 0 {
        w.push(format!(
            "every closed deal is lost ({} lost, no won deal): win rates are all 0% and there is no time to win",
            overall.lost
        ));
    }
    w
}

/// The speed ranking of the segments, or why it could not be made.
pub(super) fn speed(
    deals: &Deals,
    labels: &[usize],
    segments: &[SegmentReport],
    horizons: &[u32],
    confidence: f64,
) -> Section<SpeedReport> {
    let ids: Vec<u32> = segments.iter().map(|s| s.id).collect();
    match crate::speed::rank_segments(deals, labels, &ids, horizons, confidence) {
        Ok(speed) => Section::Computed(speed),
        Err(reason) => Section::not_computed(reason),
    }
}

pub(super) fn current_tiers(
    accounts: &Accounts,
    deals: &Deals,
    opts: &FigureOptions,
    in_icp: Option<&[bool]>,
    history: Option<&crate::io::history::History>,
) -> Section<crate::verdict::CurrentTiers> {
    let range = crate::verdict::DayRange {
        from: deals.first_created(),
        to: deals.as_of,
    };
    // With tiers in the history, each deal is judged by the tier it was worked under.
    if let Some(deal_tier) = history.and_then(|h| h.tier_at_creation(deals)) {
        return Section::Computed(crate::verdict::current_tiers_by_deal(
            &deal_tier,
            deals,
            range,
            "all deals, each by its account's tier when it was created (account history)",
            opts,
            in_icp,
        ));
    }
    let Some(tier) = &accounts.tier else {
        return Section::not_computed("the accounts have no tier column");
    };
    Section::Computed(crate::verdict::current_tiers(
        tier,
        deals,
        range,
        "all deals",
        opts,
        in_icp,
    ))
}
