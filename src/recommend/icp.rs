//! The ICP section: each criterion with the evidence for it, and the core
//! and broad ICP as wholes, on the training deals they were learned on and
//! on the held-out deals they were not.

use super::model::{Model, Scores};
use super::none_found;
use super::rules::Condition;
use super::split::Training;
use super::wire::{GroupFigures, IcpSection, RuleEvidence, RuleSetEvidence};
use crate::domain::OutcomeLabel;
use crate::features::evidence::Evidence;
use crate::io::contract::Deals;
use crate::outcomes::{figures, rate_figures, FigureOptions, OutcomeFigures, RateFigures};

/// Deals a piece of evidence is counted on: which deals, and the win rate
/// of all their closed deals (the reference of a lift).
struct DealSet<'a> {
    /// The deals as this window sees them (training: labelled at the cutoff).
    deals: &'a Deals,
    /// The deals of the window, ascending: listed once, as every group's
    /// deals are these deals of its rows.
    idx: Vec<usize>,
    overall: f64,
}

impl<'a> DealSet<'a> {
    /// The deals `keep` accepts; their win rate the reference of a lift.
    fn new(deals: &'a Deals, keep: &dyn Fn(usize) -> bool) -> DealSet<'a> {
        let idx: Vec<usize> = (0..deals.len()).filter(|&i| keep(i)).collect();
        let (mut w, mut c) = (0.0, 0.0f64);
        for &i in &idx {
            match deals.outcome[i] {
                OutcomeLabel::Won => (w, c) = (w + 1.0, c + 1.0),
                OutcomeLabel::Lost => c += 1.0,
                OutcomeLabel::Open => {}
            }
        }
        DealSet {
            deals,
            idx,
            overall: w / c.max(1.0),
        }
    }

    /// The deals whose row (`row_of_deal`) `mask` selects.
    fn of(&self, mask: &[bool], row_of_deal: &[u32]) -> Vec<usize> {
        (self.idx.iter().copied())
            .filter(|&i| mask[row_of_deal[i] as usize])
            .collect()
    }
}

impl GroupFigures {
    fn new(accounts: u64, r: RateFigures, set: &DealSet) -> GroupFigures {
        GroupFigures {
            accounts,
            closed_deals: r.won + r.lost,
            won: r.won,
            win_rate: r.win_rate,
            win_rate_interval: r.interval,
            lift: (r.win_rate)
                .map(|w| w / set.overall)
                .filter(|l| l.is_finite()),
        }
    }
}

/// Where evidence is counted: the features each deal is explained by, the
/// training deals, and the held-out deals when the model was validated.
struct Counting<'a> {
    ev: &'a Evidence<'a>,
    train: DealSet<'a>,
    held_out: Option<DealSet<'a>>,
    opts: &'a FigureOptions,
}

impl Counting<'_> {
    /// The evidence rows of `mask` (their accounts) on the training deals.
    fn figures(&self, mask: &[bool]) -> (GroupFigures, OutcomeFigures) {
        let (ev, set) = (self.ev, &self.train);
        let accounts = ev.accounts_in(mask);
        let f = figures(
            set.deals,
            &set.of(mask, &ev.row_of_deal),
            accounts,
            self.opts,
        );
        (GroupFigures::new(accounts, (&f).into(), set), f)
    }

    /// [`Counting::figures`] without the time to win, where only the win
    /// rate is read, on the deals of `set`.
    fn rate(&self, mask: &[bool], set: &DealSet) -> GroupFigures {
        let idx = set.of(mask, &self.ev.row_of_deal);
        let r = rate_figures(set.deals, &idx, self.opts.confidence);
        GroupFigures::new(self.ev.accounts_in(mask), r, set)
    }

    /// One criterion and the evidence for it.
    fn rule(&self, c: &Condition) -> RuleEvidence {
        let ev = self.ev;
        let mask = c.matches(&ev.features, ev.rows());
        let (g, f) = self.figures(&mask);
        RuleEvidence {
            rule: c.clone(),
            text: c.text(&ev.features),
            accounts: g.accounts,
            closed_deals: g.closed_deals,
            win_rate: g.win_rate,
            win_rate_interval: g.win_rate_interval,
            lift: g.lift,
            p_win_90d: f
                .time_to_win
                .horizons
                .iter()
                .find(|h| h.days == 90)
                .map(|h| h.probability),
            median_days_to_win: f.time_to_win.median_days_to_win,
            held_out: self.held_out.as_ref().map(|h| self.rate(&mask, h)),
        }
    }

    /// A rule set's evidence: the rows of `mask`, matching `qualifying`
    /// and none of `disqualifying`, against the rest.
    fn rule_set(
        &self,
        qualifying: &[Condition],
        disqualifying: &[Condition],
        mask: &[bool],
    ) -> RuleSetEvidence {
        let features = &self.ev.features[..];
        let criteria: Vec<String> = qualifying.iter().map(|c| c.text(features)).collect();
        let mut text = if criteria.is_empty() {
            "no ICP found".to_string()
        } else {
            criteria.join(" AND ")
        };
        for d in disqualifying {
            text.push_str(&format!(" AND NOT {}", d.text(features)));
        }
        let outside: Vec<bool> = mask.iter().map(|m| !m).collect();
        let training = self.rate(mask, &self.train);
        let outside_training = self.rate(&outside, &self.train);
        let all_wins = training.won + outside_training.won;
        let held_out = self.held_out.as_ref();
        RuleSetEvidence {
            criteria,
            text,
            accounts: training.accounts,
            share_of_wins: (all_wins > 0).then(|| training.won as f64 / all_wins as f64),
            held_out: held_out.map(|h| self.rate(mask, h)),
            outside_held_out: held_out.map(|h| self.rate(&outside, h)),
            training,
            outside_training,
        }
    }
}

/// The ICP section: each criterion's evidence, the core and broad ICP as
/// wholes, and outcomes in and outside the ICP, on training deals and (when
/// validated) on the held-out deals the rules were not learned on.
pub(super) fn section(
    t: &Training,
    model: &Model,
    scores: &Scores,
    first_step_z: Option<f64>,
) -> IcpSection {
    let in_train = |i: usize| t.in_train(i);
    let in_hold = |i: usize| t.in_holdout(i);
    let count = Counting {
        ev: t.ev,
        train: DealSet {
            overall: t.overall,
            ..DealSet::new(t.deals, &in_train)
        },
        held_out: (t.split.validated).then(|| DealSet::new(t.all, &in_hold)),
        opts: t.opts,
    };
    let rule = |c: &Condition| count.rule(c);
    let crit = &model.criteria;
    // Deals are in or outside the ICP by their evidence rows' features.
    let (features, rows) = (&t.ev.features[..], t.ev.rows());
    let inside = crit.in_icp(features, rows);
    let outside: Vec<bool> = inside.iter().map(|x| !x).collect();
    let broad_mask = crit.in_broad_icp(features, rows);
    IcpSection {
        method: "greedy rules on fit features, each step permutation-calibrated: the core ICP (highest win rate at the minimum support) and the broad ICP (most wins at a win rate above the overall); disqualifiers are clearly poor single fit conditions".into(),
        trained_on: model.trained_on.clone(),
        held_out_on: (t.split.validated).then(|| t.split.holdout.window(&t.split.label)),
        qualifying: crit.qualifying.iter().map(rule).collect(),
        disqualifying: crit.disqualifying.iter().map(rule).collect(),
        in_icp_accounts: scores.in_icp.iter().filter(|&&x| x).count() as u64,
        in_icp: count.figures(&inside).1,
        outside_icp: count.figures(&outside).1,
        core: count.rule_set(&crit.qualifying, &crit.disqualifying, &inside),
        broad: count.rule_set(&crit.broad, &crit.disqualifying, &broad_mask),
        broad_qualifying: crit.broad.iter().map(rule).collect(),
        found: crit.found(),
        not_found: (!crit.found()).then(|| not_found(&count, first_step_z)),
    }
}

/// The "no ICP found" sentence ([`none_found::sentence`]) on the training
/// deals' overall rate and closed deals per account with closed deals, at
/// the first step's guard (the least, z > 2.326, when unknown).
fn not_found(count: &Counting, first_step_z: Option<f64>) -> String {
    let set = &count.train;
    let mut rows = vec![false; count.ev.rows()];
    let mut closed = 0.0;
    for &i in &set.idx {
        if set.deals.outcome[i] != OutcomeLabel::Open {
            closed += 1.0;
            rows[count.ev.row_of_deal[i] as usize] = true;
        }
    }
    let accounts = count.ev.accounts_in(&rows);
    let z = first_step_z.unwrap_or(2.326_347_874_040_841);
    none_found::sentence(
        set.overall,
        z,
        closed / (accounts as f64).max(1.0),
        accounts,
    )
}

#[cfg(test)]
mod tests {
    use super::super::split::test_deals as deals;
    use super::*;

    /// The win rate and its account-clustered interval without the time to
    /// win are the very figures [`figures`] gives, on deals clustered in
    /// accounts (some open) and on a group without closed deals.
    #[test]
    fn rate_figures_are_the_rate_fields_of_the_full_figures() {
        use OutcomeLabel::*;
        let outcome = [Won, Lost, Won, Open, Lost, Lost, Won, Won, Lost, Open];
        let mut d = deals(&[10; 10], &[40; 10], &outcome, 100);
        d.account = vec![0, 0, 0, 1, 1, 2, 3, 3, 3, 4];
        let opts = FigureOptions {
            horizons: vec![30, 90],
            confidence: 0.95,
        };
        for idx in [
            (0..10).collect::<Vec<_>>(),
            vec![0, 2, 6, 9],
            vec![3, 9],
            vec![],
        ] {
            let f = figures(&d, &idx, 5, &opts);
            let r = rate_figures(&d, &idx, opts.confidence);
            assert_eq!((r.won, r.lost), (f.won, f.lost));
            assert_eq!(r.win_rate.map(f64::to_bits), f.win_rate.map(f64::to_bits));
            assert_eq!(r.interval, f.win_rate_interval);
        }
        let r = rate_figures(&d, &[0, 1, 2, 4, 5], 0.95);
        assert_eq!((r.won, r.lost, r.win_rate), (2, 3, Some(0.4)));
        assert!(r.interval.is_some());
    }
}
