//! Sections of the discover report built from finished figures: the speed
//! ranking and the current tiers.

use crate::io::contract::{Accounts, Deals};
use crate::outcomes::FigureOptions;
use crate::report::{Section, SegmentReport, SpeedReport};

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
