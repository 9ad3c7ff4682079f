//! Where training ends and validation begins: the held-out quarter, the
//! deals as they stood at its start, and the won and lost deals each side
//! counts.

use serde::Serialize;

use crate::domain::OutcomeLabel;
use crate::features::evidence::Evidence;
use crate::io::contract::Deals;
use crate::outcomes::FigureOptions;
use crate::verdict::{parse_quarter, quarter_of, DayRange, Window};

/// How the held-out window was chosen, and so how its figures read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpBasis {
    /// The window ends at least the 90th percentile of won cycle length
    /// before the as-of date: its deals have had time to close.
    Full,
    /// Too few deals in such a window: the last full quarter is held out,
    /// its open deals censored, and P(win ≤ 90 d) leads.
    Censored,
}

/// How long the held-out deals have had to close.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowUp {
    pub basis: FollowUpBasis,
    /// 90th percentile of days from creation to win, over won deals.
    pub won_cycle_p90_days: Option<u32>,
    /// Days from the window's last day to the as-of date: the least
    /// follow-up any held-out deal has had.
    pub min_follow_up_days: i32,
}

/// The held-out quarter: the last full quarter on or before the as-of date.
pub fn holdout_quarter(as_of: i32) -> (String, DayRange) {
    let q = quarter_of(as_of);
    let r = parse_quarter(&q).expect("quarter labels parse");
    if r.to == as_of {
        (q, r)
    } else {
        let prev = quarter_of(r.from - 1);
        let pr = parse_quarter(&prev).expect("quarter labels parse");
        (prev, pr)
    }
}

/// Per evidence row (account, or account version), its won and lost deals
/// among those `keep` accepts; `row_of_deal` gives each deal's row.
pub fn counts(
    deals: &Deals,
    row_of_deal: &[u32],
    n: usize,
    keep: &dyn Fn(usize) -> bool,
) -> (Vec<f64>, Vec<f64>) {
    let (mut won, mut lost) = (vec![0.0; n], vec![0.0; n]);
    for (i, &row) in row_of_deal.iter().enumerate().take(deals.len()) {
        if !keep(i) {
            continue;
        }
        let a = row as usize;
        match deals.outcome[i] {
            OutcomeLabel::Won => won[a] += 1.0,
            OutcomeLabel::Lost => lost[a] += 1.0,
            OutcomeLabel::Open => {}
        }
    }
    (won, lost)
}

/// Where training ends and validation begins: deals created at least the
/// 90th percentile of won cycle length before the held-out quarter, labelled
/// as they stood at its start, train the model when there are enough closed
/// deals on both sides; otherwise it is fitted on all deals and not validated.
pub(super) struct Split {
    /// The held-out quarter's label, e.g. `2024Q4`.
    pub(super) label: String,
    pub(super) holdout: DayRange,
    pub(super) follow_up: FollowUp,
    pub(super) validated: bool,
    pub(super) train_range: DayRange,
    /// Why the model was not validated.
    pub(super) note: Option<String>,
}

impl Split {
    /// `None` when there are no deals. The held-out window is the last
    /// full quarter that ends at least the 90th percentile of won cycle
    /// length before the as-of date, when it has enough closed deals on
    /// both sides; else the last full quarter, its open deals censored.
    pub(super) fn new(deals: &Deals) -> Option<Split> {
        let first = deals.created.iter().copied().min()?;
        let closed = |i: usize| deals.outcome[i] != OutcomeLabel::Open;
        let p90 = won_cycle_p90(deals);
        // Training deals are created at least the 90th percentile of won
        // cycle length before the window, and labelled as they stood at its
        // start: younger deals would be there only if they closed fast,
        // and fast deals are mostly wins.
        let train_to = |w: DayRange| w.from - 1 - p90.map_or(0, |h| h as i32);
        // Quarter `q` with its closed deals before and in it, in one pass.
        let counted = |(q, w): (String, DayRange)| {
            let (mut train, mut hold) = (0, 0);
            for i in (0..deals.len()).filter(|&i| closed(i)) {
                let created = deals.created[i];
                train += usize::from(created <= train_to(w) && deals.closed[i] < w.from);
                hold += usize::from((w.from..=w.to).contains(&created));
            }
            (q, w, train, hold)
        };
        let enough = |w: DayRange, train: usize, hold: usize| {
            train >= 100 && hold >= 20 && first <= train_to(w)
        };
        let followed = p90.map(|h| counted(holdout_quarter(deals.as_of - h as i32)));
        let ((hq, holdout, train_closed, hold_closed), basis) = match followed {
            Some(c) if enough(c.1, c.2, c.3) => (c, FollowUpBasis::Full),
            _ => (
                counted(holdout_quarter(deals.as_of)),
                FollowUpBasis::Censored,
            ),
        };
        let follow_up = FollowUp {
            basis,
            won_cycle_p90_days: p90,
            min_follow_up_days: deals.as_of - holdout.to,
        };
        let validated = enough(holdout, train_closed, hold_closed);
        let (train_range, note) = if validated {
            (
                DayRange {
                    from: first,
                    to: train_to(holdout),
                },
                None,
            )
        } else {
            (
                DayRange { from: first, to: deals.as_of },
                Some(format!(
                    "not validated: {train_closed} closed deals before {hq} and {hold_closed} in it (need 100 and 20); fitted on all deals"
                )),
            )
        };
        Some(Split {
            label: hq,
            holdout,
            follow_up,
            validated,
            train_range,
            note,
        })
    }

    pub(super) fn in_train(&self, deals: &Deals, i: usize) -> bool {
        deals.created[i] >= self.train_range.from && deals.created[i] <= self.train_range.to
    }

    pub(super) fn in_holdout(&self, deals: &Deals, i: usize) -> bool {
        deals.created[i] >= self.holdout.from && deals.created[i] <= self.holdout.to
    }

    /// The deals training sees: labelled as they stood the day before the
    /// held-out window when the model is validated, else as they are.
    pub(super) fn training_deals<'d>(&self, deals: &'d Deals) -> std::borrow::Cow<'d, Deals> {
        if self.validated {
            std::borrow::Cow::Owned(at_cutoff(deals, self.holdout.from - 1))
        } else {
            std::borrow::Cow::Borrowed(deals)
        }
    }

    /// The training window, as `model.json` records it.
    pub(super) fn trained_on(&self) -> Window {
        self.train_range.window(if self.validated {
            format!(
                "deals created at least {} days before {}, labelled as they stood at its start",
                self.follow_up.won_cycle_p90_days.unwrap_or(0),
                self.label
            )
        } else {
            "all deals".into()
        })
    }
}

/// The deals as they stood at the end of day `cutoff`: a deal created by
/// then and closed (or still open) after it is open, censored at the
/// cutoff. Deals created after the cutoff are left as they are (training
/// never reads them); indices are unchanged.
pub fn at_cutoff(deals: &Deals, cutoff: i32) -> Deals {
    let mut d = deals.clone();
    for i in 0..d.len() {
        if d.created[i] <= cutoff && d.closed[i] > cutoff {
            d.outcome[i] = OutcomeLabel::Open;
            d.closed[i] = cutoff;
        }
    }
    d.as_of = cutoff;
    d
}

/// The 90th percentile of days from creation to win over won deals (the
/// smallest cycle at least 90% of wins close within); `None` without wins.
pub fn won_cycle_p90(deals: &Deals) -> Option<u32> {
    let mut days: Vec<u32> = (0..deals.len())
        .filter(|&i| deals.outcome[i] == OutcomeLabel::Won)
        .map(|i| deals.days(i))
        .collect();
    if days.is_empty() {
        return None;
    }
    let k = ((0.9 * days.len() as f64).ceil() as usize).clamp(1, days.len()) - 1;
    Some(*days.select_nth_unstable(k).1)
}

/// The training deals and what the sections read from them.
pub(super) struct Training<'a> {
    /// The deals as training sees them ([`Split::training_deals`]).
    pub(super) deals: &'a Deals,
    /// The deals as of the as-of date, which the held-out figures read.
    pub(super) all: &'a Deals,
    pub(super) split: &'a Split,
    /// Won over closed training deals.
    pub(super) overall: f64,
    pub(super) opts: &'a FigureOptions,
    /// The features each deal is explained by.
    pub(super) ev: &'a Evidence<'a>,
}

impl Training<'_> {
    /// Whether deal `i` is a training deal.
    pub(super) fn in_train(&self, i: usize) -> bool {
        self.split.in_train(self.deals, i)
    }

    /// Whether deal `i` was created in the held-out window.
    pub(super) fn in_holdout(&self, i: usize) -> bool {
        self.split.in_holdout(self.deals, i)
    }
}

/// Deals of one account each, for unit tests.
#[cfg(test)]
pub(super) fn test_deals(
    created: &[i32],
    closed: &[i32],
    outcome: &[OutcomeLabel],
    as_of: i32,
) -> Deals {
    Deals::in_memory(
        (0..created.len() as u32).collect(),
        created.to_vec(),
        closed.to_vec(),
        outcome.to_vec(),
        as_of,
    )
}

#[cfg(test)]
mod tests {
    use super::test_deals as deals;
    use super::*;

    /// At a cutoff of day 100: a deal created before it and won after it
    /// trains as open, censored at the cutoff (and so do a loss after it and
    /// a deal still open); one closed by the cutoff keeps its label; one
    /// created after it is left alone.
    #[test]
    fn a_deal_created_before_the_cutoff_and_closed_after_it_trains_as_open() {
        use OutcomeLabel::*;
        let d = deals(
            &[10, 20, 30, 40, 150],
            &[120, 100, 130, 200, 160],
            &[Won, Lost, Lost, Open, Won],
            200,
        );
        let t = at_cutoff(&d, 100);
        assert_eq!(t.outcome, vec![Open, Lost, Open, Open, Won]);
        assert_eq!(t.closed, vec![100, 100, 100, 100, 160]);
        assert_eq!(t.as_of, 100);
        // Durations of the censored deals run to the cutoff.
        assert_eq!((t.days(0), t.days(2), t.days(3)), (90, 70, 60));
        // The per-row counts training reads: the win after the cutoff is
        // not a win, the loss by the cutoff is a loss.
        let rows: Vec<u32> = (0..5).collect();
        let (won, lost) = counts(&t, &rows, 5, &|i| t.created[i] <= 100);
        assert_eq!(won, vec![0.0; 5]);
        assert_eq!(lost, vec![0.0, 1.0, 0.0, 0.0, 0.0]);
    }

    /// Held-out window choice on deals with every win taking 200 days, as
    /// of 2026-09-30: the last full quarter ending at least 200 days before
    /// is 2025Q4 (ends 2025-12-31, 273 days of follow-up). With 30 closed
    /// deals in it and 150 before, it is held out; with 10 in it, the last
    /// full quarter (2026Q3) is, censored.
    #[test]
    fn the_held_out_window_has_full_follow_up_or_is_censored() {
        let day = |s: &str| crate::dates::parse_date(s).unwrap();
        let as_of = day("2026-09-30");
        let build = |in_window: usize| {
            let (mut created, mut closed, mut outcome) = (vec![], vec![], vec![]);
            let mut add = |c: i32, won: bool| {
                created.push(c);
                closed.push(c + 200);
                outcome.push(if won {
                    OutcomeLabel::Won
                } else {
                    OutcomeLabel::Lost
                });
            };
            for k in 0..150 {
                add(day("2024-01-01") + k, k % 2 == 0);
            }
            for k in 0..in_window {
                add(day("2025-10-01") + k as i32, k % 2 == 0);
            }
            // Recent deals, in 2026Q3, won or lost fast.
            for k in 0..40 {
                created.push(day("2026-07-01") + k);
                closed.push(day("2026-07-01") + k + 5);
                outcome.push(OutcomeLabel::Lost);
            }
            deals(&created, &closed, &outcome, as_of)
        };
        let s = Split::new(&build(30)).unwrap();
        assert_eq!(s.label, "2025Q4");
        assert!(s.validated);
        assert_eq!(s.follow_up.basis, FollowUpBasis::Full);
        assert_eq!(s.follow_up.won_cycle_p90_days, Some(200));
        assert_eq!(s.follow_up.min_follow_up_days, as_of - day("2025-12-31"));
        // Training: deals created at least 200 days before the window.
        assert_eq!(s.train_range.to, day("2025-09-30") - 200);

        let s = Split::new(&build(10)).unwrap();
        assert_eq!(s.label, "2026Q3");
        assert_eq!(s.follow_up.basis, FollowUpBasis::Censored);
        assert_eq!(s.follow_up.min_follow_up_days, 0);
    }

    /// Ten wins of 1..=10 days: 90% close within 9 days.
    #[test]
    fn won_cycle_p90_is_the_smallest_cycle_nine_in_ten_wins_close_within() {
        let n = 12;
        let created = vec![0; n];
        let mut closed: Vec<i32> = (1..=10).collect();
        closed.extend([500, 600]);
        let mut outcome = vec![OutcomeLabel::Won; 10];
        outcome.extend([OutcomeLabel::Lost, OutcomeLabel::Open]);
        let d = deals(&created, &closed, &outcome, 700);
        assert_eq!(won_cycle_p90(&d), Some(9));
        let none = deals(&[0], &[5], &[OutcomeLabel::Lost], 10);
        assert_eq!(won_cycle_p90(&none), None);
    }
}
