//! Since the previous run (`--previous`): which segments continue, how
//! accounts moved between tiers, and what drifted.

use super::blocks::{not_computed_reason, tier_or, Block, Table};
use crate::report::format::pct;
use crate::report::Report;

/// Tier moves listed in the reports; report.json lists up to
/// [`crate::stability::MAX_MOVES_LISTED`].
const MOVES_SHOWN: usize = 20;

/// What changed since `--previous`: segment ids, recommended and current
/// tiers, and drift.
pub(super) fn since_previous(r: &Report) -> Vec<Block> {
    let (stability, drift) = (r.stability.computed(), r.drift.computed());
    if stability.is_none() && drift.is_none() {
        return vec![Block::NotComputed(not_computed_reason(&r.stability))];
    }
    let mut blocks = vec![Block::Subheading("Segments".into())];
    match stability {
        Some(s) => blocks.extend(segment_matching(r, &s.segments)),
        None => blocks.push(Block::NotComputed(not_computed_reason(&r.stability))),
    }
    if let Some(t) = stability.and_then(|s| s.tiers.as_ref()) {
        blocks.push(Block::Subheading("Recommended tiers".into()));
        blocks.push(Block::Para(format!(
            "Tier 1 kept {} of the previous run's Tier 1 accounts (Jaccard index of the two Tier 1 lists {}).",
            pct(t.tier1_retained),
            t.tier1_jaccard.map_or_else(|| crate::report::format::NONE.into(), |j| format!("{j:.2}"))
        )));
        blocks.push(transitions(&t.transitions));
        blocks.extend(moves(&t.movement, "outside the tiers"));
    }
    if let Some(m) = r.current_tiers.computed().and_then(|c| c.movement.as_ref()) {
        blocks.push(Block::Subheading("Current tiers".into()));
        blocks.extend(moves(m, "untiered"));
    }
    blocks.push(Block::Subheading("Drift".into()));
    match drift {
        Some(d) => blocks.extend(drift_blocks(d)),
        None => blocks.push(Block::NotComputed(not_computed_reason(&r.drift))),
    }
    blocks
}

fn segment_matching(r: &Report, m: &crate::stability::SegmentMatching) -> Vec<Block> {
    let mut t = Table::new(&[
        "segment",
        "since the previous run",
        "accounts shared (Jaccard)",
    ]);
    for seg in &r.segments {
        let matched = m.matched.iter().find(|x| x.id == seg.id);
        t.rows.push(vec![
            format!("S{} {}", seg.id, seg.name),
            if matched.is_some() {
                "continues"
            } else {
                "new"
            }
            .into(),
            matched.map_or_else(
                || crate::report::format::NONE.into(),
                |x| format!("{:.2}", x.jaccard),
            ),
        ]);
    }
    let mut blocks = vec![
        Block::Para(format!(
            "Compared with {}: {} of {} segments continue a previous segment and keep its id, {} new, {} vanished.",
            m.previous_run,
            m.matched.len(),
            r.segments.len(),
            m.new.len(),
            m.vanished.len()
        )),
        Block::Table(t),
    ];
    if !m.vanished.is_empty() {
        blocks.push(Block::Para("Previous segments with no successor:".into()));
        blocks.push(Block::List(
            m.vanished
                .iter()
                .map(|v| {
                    format!(
                        "S{}{}: {} accounts",
                        v.id,
                        v.name
                            .as_deref()
                            .map_or_else(String::new, |n| format!(" {n}")),
                        v.accounts
                    )
                })
                .collect(),
        ));
    }
    blocks
}

/// Accounts per previous and current recommended tier, as a cross-table.
fn transitions(ts: &[crate::stability::Transition]) -> Block {
    let tiers: Vec<Option<u8>> = {
        let mut v: Vec<Option<u8>> = ts.iter().flat_map(|t| [t.from, t.to]).collect();
        // Tier 1 first, outside the tiers last.
        v.sort_by_key(|t| t.unwrap_or(u8::MAX));
        v.dedup();
        v
    };
    let label = |t: Option<u8>| tier_or(t, "outside the tiers");
    let columns: Vec<String> = tiers.iter().map(|&t| format!("now {}", label(t))).collect();
    let mut header = vec!["previously"];
    header.extend(columns.iter().map(String::as_str));
    let mut table = Table::new(&header);
    for &from in &tiers {
        let mut row = vec![label(from)];
        row.extend(tiers.iter().map(|&to| {
            ts.iter()
                .find(|t| t.from == from && t.to == to)
                .map_or(0, |t| t.accounts)
                .to_string()
        }));
        table.rows.push(row);
    }
    Block::Table(table)
}

fn moves(m: &crate::report::Movement, none: &str) -> Vec<Block> {
    let mut blocks = vec![Block::Para(format!(
        "{} accounts moved up a tier, {} down and {} kept theirs; {} entered the tiers and {} left them.",
        m.up, m.down, m.unchanged, m.entered, m.left
    ))];
    if m.moves.is_empty() {
        return blocks;
    }
    let mut t = Table::new(&["account", "was", "now", "why"]);
    for mv in m.moves.iter().take(MOVES_SHOWN) {
        t.rows.push(vec![
            mv.account_id.clone(),
            tier_or(mv.from, none),
            tier_or(mv.to, none),
            mv.reason.clone(),
        ]);
    }
    let total = m.up + m.down + m.entered + m.left;
    if total as usize > t.rows.len() {
        blocks.push(Block::Para(format!(
            "The first {} of {total} moves by account id (report.json lists up to {}):",
            t.rows.len(),
            crate::stability::MAX_MOVES_LISTED
        )));
    }
    blocks.push(Block::Table(t));
    blocks
}

fn drift_blocks(d: &crate::drift::Drift) -> Vec<Block> {
    use crate::drift::{DRIFTED, WATCH};
    let mut t = Table::new(&["compared", "PSI", "band", "noise 95%", "p (Holm)"]);
    for item in d
        .features
        .iter()
        .chain(&d.fit_score)
        .chain(&d.tier_win_rates)
    {
        t.rows.push(vec![
            item.name.clone(),
            format!("{:.3}", item.psi),
            item.band.name().into(),
            item.noise_psi_95.map_or("–".into(), |q| format!("{q:.3}")),
            item.p_holm.map_or("–".into(), crate::stats::format_p),
        ]);
    }
    let mut blocks = vec![
        Block::Para(format!(
            "Today's accounts against {}, by population stability index (PSI): below {WATCH} stable, {WATCH}–{DRIFTED} worth watching, above {DRIFTED} drifted — each only where the change is beyond chance (Holm-adjusted p below {}; \"noise 95%\" is the PSI a sample of this size exceeds by chance one time in twenty; tiers: deals closed since against the previous run's, two-proportion test).",
            d.against,
            crate::drift::NOISE_ALPHA
        )),
        Block::Table(t),
    ];
    blocks.push(Block::Para(if d.drifted.is_empty() {
        "Nothing drifted.".into()
    } else {
        format!("Drifted: {}.", d.drifted.join(", "))
    }));
    blocks
}
