//! The recommended ICP: how its accounts win, the core and broad rule sets,
//! and each criterion with the evidence for it.

use super::blocks::{
    interval_label, not_computed_reason, overall_reference, overall_win_rate, win_rate_axis, Block,
    Table,
};
use crate::report::chart::{Bar, Bars, Chart, Frame};
use crate::report::format::{days, interval, lift, pct, rate_interval};
use crate::report::{Report, Section as Computed};

pub(super) fn icp(r: &Report) -> Vec<Block> {
    let Computed::Computed(icp) = &r.icp else {
        return vec![Block::NotComputed(not_computed_reason(&r.icp))];
    };
    if let Some(sentence) = &icp.not_found {
        return vec![Block::Para(sentence.clone())];
    }
    let mut blocks = vec![Block::Para(format!(
        "Fitted on {} ({} to {}), on fit features only. {} accounts are in the ICP (the core ICP: every qualifying and no disqualifying criterion); their deals win {}, the rest {}.{}",
        icp.trained_on.label,
        icp.trained_on.from,
        icp.trained_on.to,
        icp.in_icp_accounts,
        rate_interval(icp.in_icp.win_rate, icp.in_icp.win_rate_interval),
        pct(icp.outside_icp.win_rate),
        held_out_sentence(icp),
    ))];
    blocks.push(Block::Subheading("Core and broad ICP".into()));
    blocks.push(Block::Table(frontier_table(icp)));
    let iv = interval_label(r);
    for (title, chart_title, rules) in [
        (
            "Qualifying (core ICP: all must hold)",
            "Win rate of accounts meeting each qualifying criterion",
            &icp.qualifying,
        ),
        (
            "Disqualifying (any one rules an account out)",
            "Win rate of accounts meeting each disqualifying criterion",
            &icp.disqualifying,
        ),
        (
            "Broad ICP (all must hold)",
            "Win rate of accounts meeting each broad ICP criterion",
            &icp.broad_qualifying,
        ),
    ] {
        blocks.push(Block::Subheading(title.into()));
        if rules.is_empty() {
            blocks.push(Block::List(vec!["none".into()]));
            continue;
        }
        let mut t = Table::new(&[
            "criterion",
            "accounts",
            "closed deals",
            "win rate",
            &iv,
            "lift",
            "P(win ≤ 90 d)",
            "median days to win",
            "held-out win rate",
        ]);
        let mut bars = Vec::new();
        for e in rules {
            t.rows.push(vec![
                e.text.clone(),
                e.accounts.to_string(),
                e.closed_deals.to_string(),
                pct(e.win_rate),
                interval(e.win_rate_interval),
                lift(e.lift),
                pct(e.p_win_90d),
                days(e.median_days_to_win),
                held_out_rate(e.held_out.as_ref()),
            ]);
            bars.extend(e.win_rate.map(|w| Bar {
                label: e.text.clone(),
                value: w,
                interval: e.win_rate_interval,
            }));
        }
        let overall = overall_win_rate(r);
        blocks.push(Block::Figure {
            chart: Chart::Bars(Bars {
                frame: Frame::new(chart_title, win_rate_axis(&iv), "Criterion"),
                bars,
                reference: overall.map(overall_reference),
                max: 0.0,
            }),
            table: t,
        });
    }
    blocks
}

/// How the ICP did on the held-out deals, as a sentence after the training figures.
fn held_out_sentence(icp: &crate::recommend::IcpSection) -> String {
    let (Some(w), Some(inside), Some(outside)) = (
        &icp.held_out_on,
        &icp.core.held_out,
        &icp.core.outside_held_out,
    ) else {
        return String::new();
    };
    format!(
        " On deals created in {} ({} to {}), which the rules were not learned on, ICP accounts win {} of {} closed deals, the rest {} of {}.",
        w.label,
        w.from,
        w.to,
        pct(inside.win_rate),
        inside.closed_deals,
        pct(outside.win_rate),
        outside.closed_deals
    )
}

/// A held-out win rate with its closed deals: `41.0% of 83`, or `—`.
fn held_out_rate(g: Option<&crate::recommend::GroupFigures>) -> String {
    g.map_or_else(
        || crate::report::format::NONE.into(),
        |g| format!("{} of {}", pct(g.win_rate), g.closed_deals),
    )
}

/// The frontier's two points side by side: the core ICP (in ICP) and the broad ICP.
fn frontier_table(icp: &crate::recommend::IcpSection) -> Table {
    let mut t = Table::new(&[
        "",
        "rule",
        "accounts",
        "share of wins",
        "win rate (training)",
        "rest (training)",
        "win rate (held out)",
        "rest (held out)",
    ]);
    for (name, e) in [("core (in ICP)", &icp.core), ("broad", &icp.broad)] {
        t.rows.push(vec![
            name.into(),
            e.text.clone(),
            e.accounts.to_string(),
            pct(e.share_of_wins),
            format!(
                "{} of {}",
                pct(e.training.win_rate),
                e.training.closed_deals
            ),
            format!(
                "{} of {}",
                pct(e.outside_training.win_rate),
                e.outside_training.closed_deals
            ),
            held_out_rate(e.held_out.as_ref()),
            held_out_rate(e.outside_held_out.as_ref()),
        ]);
    }
    t
}
