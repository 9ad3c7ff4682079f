//! The core ICP as a segment of its own.
//!
//! k-means draws segments of at least 5% of accounts, so a small group
//! defined by an AND of fit conditions (a 3% group that wins three times as
//! often) is split among larger segments and diluted in each. The core ICP
//! (see [`super::rules`]) finds such a group; when it wins significantly
//! more than the other accounts of the k-means segments it sits in, on
//! deals its rules were not learned on, its accounts become a segment of
//! their own and every other account keeps its nearest-centroid segment.
//!
//! # The rule
//!
//! On the deals created in the held-out window (which the criteria were not
//! learned on), the core ICP's closed deals are compared with the closed
//! deals of the accounts outside it in the k-means segments that hold at
//! least one of its accounts, leaving out the accounts a disqualifier rules
//! out (the ICP leaves them out too, chosen as losers on the training
//! deals: against them any group would look better). Each deal is in or outside the ICP by the
//! features it is explained by (as the core ICP's held-out figures count
//! it). The test is one-sided at [`CARVE_ALPHA`] with the account as the
//! unit of evidence: the core ICP's win rate is higher and the
//! cluster-robust Newcombe interval of the difference
//! ([`crate::stats::clustered_diff_interval`]) at confidence `1 − 2α`
//! lies above 0 (one-sided p = half the two-sided
//! [`crate::stats::clustered_diff_p_value`]). The segment is carved only
//! when
//!
//! - the model was validated on a held-out window,
//! - the core ICP has at least one qualifying criterion,
//! - both sides have at least [`MIN_HELD_OUT_CLOSED`] closed held-out deals
//!   of at least [`MIN_HELD_OUT_ACCOUNTS`] accounts (deals of one account
//!   win alike, so a few accounts are little evidence however many deals
//!   they have),
//! - every k-means segment keeps at least [`MIN_LEFT_ACCOUNTS`] accounts.
//!
//! The carved segment may hold fewer than 5% of accounts: its evidence is
//! this held-out test, not the silhouette.

use serde::Serialize;

use super::rules::Criteria;
use super::split::Training;
use crate::domain::OutcomeLabel;
use crate::stats::clustered::{clustered_diff_p_value, AccountCounts, ClusteredRate};

/// The one-sided level of the carve-out test.
pub const CARVE_ALPHA: f64 = 0.05;

/// Closed held-out deals each side needs before the test is run.
pub const MIN_HELD_OUT_CLOSED: u64 = 20;

/// Accounts with closed held-out deals each side needs before the test
/// is run.
pub const MIN_HELD_OUT_ACCOUNTS: u64 = 10;

/// Accounts every k-means segment keeps after the carve-out.
pub const MIN_LEFT_ACCOUNTS: usize = 2;

/// Won and closed held-out deals of one side of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldOutSide {
    /// Accounts with at least one closed held-out deal.
    pub accounts: u64,
    pub closed_deals: u64,
    pub won: u64,
    pub win_rate: f64,
    /// Closed deals over effective closed deals (1 with one deal per account).
    pub design_effect: f64,
}

impl HeldOutSide {
    fn of(r: &ClusteredRate) -> Self {
        HeldOutSide {
            accounts: r.accounts,
            closed_deals: r.closed,
            won: r.won,
            win_rate: r.rate,
            design_effect: r.design_effect,
        }
    }
}

/// The held-out test that carved the core ICP out as a segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoreIcpSegment {
    /// The carved segment's id (as in `segments`).
    pub id: u32,
    /// The core ICP in words.
    pub criteria: String,
    /// Accounts in the core ICP (today), now the segment's accounts.
    pub accounts: u64,
    /// Ids of the k-means segments its accounts would otherwise be in.
    pub carved_from: Vec<u32>,
    /// The core ICP's closed deals in the held-out window.
    pub held_out: HeldOutSide,
    /// The other accounts of `carved_from`, on the same deals.
    pub rest_held_out: HeldOutSide,
    /// One-sided p-value of "the core ICP wins more", account-clustered.
    pub p_value: f64,
    pub alpha: f64,
}

/// The outcome of the held-out test, before ids are known (see [`Carved::report`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CarveTest {
    pub inside: ClusteredRate,
    pub rest: ClusteredRate,
    /// One-sided p-value of `inside.rate > rest.rate`.
    pub p_value: f64,
}

impl CarveTest {
    /// Whether the core ICP is carved out: both sides large enough, in
    /// closed deals and in accounts, and the one-sided test significant at
    /// [`CARVE_ALPHA`].
    pub fn carves(&self) -> bool {
        let enough = |r: &ClusteredRate| {
            r.closed >= MIN_HELD_OUT_CLOSED && r.accounts >= MIN_HELD_OUT_ACCOUNTS
        };
        enough(&self.inside) && enough(&self.rest) && self.p_value < CARVE_ALPHA
    }
}

/// The one-sided account-clustered test of the core ICP's held-out win rate
/// against the rest's, from per-account won and closed deal counts (an
/// account may appear on both sides when its deals are explained by
/// different feature versions). `None` when a side has no closed deal.
pub fn carve_test(inside: &[AccountCounts], rest: &[AccountCounts]) -> Option<CarveTest> {
    let (a, b) = (ClusteredRate::new(inside)?, ClusteredRate::new(rest)?);
    // The two-sided p-value agrees with the interval at confidence 1 − p;
    // its lower end is above 0 at 1 − 2α exactly when a > b and p < 2α.
    let two_sided = clustered_diff_p_value(&a, &b);
    let p_value = if a.rate > b.rate {
        two_sided / 2.0
    } else {
        1.0 - two_sided / 2.0
    };
    Some(CarveTest {
        inside: a,
        rest: b,
        p_value,
    })
}

/// The core ICP carved out of the `k` k-means segments as a segment of its
/// own, the last: what the run's segments become when [`CarveTest::carves`].
pub struct Carved<'a> {
    pub test: &'a CarveTest,
    /// The core ICP in words.
    pub criteria: &'a str,
    /// Per account, whether it is in the core ICP.
    pub in_icp: &'a [bool],
    /// Per account, its k-means segment (0-based), of `k`.
    pub kmeans_labels: &'a [usize],
    pub k: usize,
}

impl Carved<'_> {
    /// Each account's segment: the carved one for an account in the core
    /// ICP, else its k-means segment.
    pub fn labels(&self) -> Vec<usize> {
        carved_labels(self.kmeans_labels, self.in_icp, self.k)
    }

    /// How many segments there are with the core ICP carved out.
    pub fn segments(&self) -> usize {
        self.k + 1
    }

    /// The carved segment's name: the core ICP's criteria.
    pub fn name(&self) -> String {
        format!("core ICP: {}", self.criteria)
    }

    /// The report's account of the carve-out, given every segment's id
    /// (the carved segment's last).
    pub fn report(&self, ids: &[u32]) -> CoreIcpSegment {
        let holding = segments_holding(self.kmeans_labels, self.in_icp, self.k);
        let from: Vec<u32> = (0..self.k)
            .filter(|&s| holding[s])
            .map(|s| ids[s])
            .collect();
        CoreIcpSegment {
            id: ids[self.k],
            criteria: self.criteria.to_string(),
            accounts: self.in_icp.iter().filter(|&&x| x).count() as u64,
            carved_from: from,
            held_out: HeldOutSide::of(&self.test.inside),
            rest_held_out: HeldOutSide::of(&self.test.rest),
            p_value: self.test.p_value,
            alpha: CARVE_ALPHA,
        }
    }
}

/// Per account, its segment with the core ICP carved out: `k` (the carved
/// segment, after the k-means ones) for an account in the core ICP, else
/// its nearest-centroid segment `labels[i]`.
pub fn carved_labels(labels: &[usize], in_icp: &[bool], k: usize) -> Vec<usize> {
    labels
        .iter()
        .zip(in_icp)
        .map(|(&l, &inside)| if inside { k } else { l })
        .collect()
}

/// Whether carving `in_icp` out of the `k` segments of `labels` leaves every
/// one of them at least [`MIN_LEFT_ACCOUNTS`] accounts, and takes at least one.
pub fn leaves_every_segment(labels: &[usize], in_icp: &[bool], k: usize) -> bool {
    let mut left = vec![0usize; k];
    for (&l, &inside) in labels.iter().zip(in_icp) {
        left[l] += usize::from(!inside);
    }
    in_icp.iter().any(|&x| x) && left.iter().all(|&n| n >= MIN_LEFT_ACCOUNTS)
}

/// The k-means segments (0-based) holding at least one account of `in_icp`.
pub fn segments_holding(labels: &[usize], in_icp: &[bool], k: usize) -> Vec<bool> {
    let mut holds = vec![false; k];
    for (&l, &inside) in labels.iter().zip(in_icp) {
        holds[l] |= inside;
    }
    holds
}

/// The deals of the carve-out test and where each stands: its outcome and
/// evidence row, each row's account and whether it is in the ICP, and each
/// account's k-means segment.
pub struct HeldOutDeals<'a> {
    /// Per deal, its outcome.
    pub outcome: &'a [OutcomeLabel],
    /// Per deal, the evidence row it is explained by.
    pub row_of_deal: &'a [u32],
    /// Per evidence row, whether it is in the core ICP.
    pub row_in_icp: &'a [bool],
    /// Per evidence row, whether a disqualifier rules it out: its deals
    /// are on neither side.
    pub row_disqualified: &'a [bool],
    /// Per evidence row, its account.
    pub account_of_row: &'a [u32],
    /// Per account, its k-means segment (0-based).
    pub labels: &'a [usize],
    /// Per k-means segment, whether it holds an account of the core ICP
    /// ([`segments_holding`]).
    pub holding: &'a [bool],
}

/// Per-account won and closed counts of the deals `keep` accepts, on the
/// two sides of the comparison: deals whose evidence row is in the ICP,
/// and deals of the other rows whose account's k-means segment holds an
/// account of the ICP.
pub fn held_out_counts(
    d: &HeldOutDeals,
    keep: &dyn Fn(usize) -> bool,
) -> (Vec<AccountCounts>, Vec<AccountCounts>) {
    let n = d.labels.len();
    let (mut inside, mut rest) = (
        vec![AccountCounts::default(); n],
        vec![AccountCounts::default(); n],
    );
    for (i, o) in d.outcome.iter().enumerate().filter(|&(i, _)| keep(i)) {
        let won = match o {
            OutcomeLabel::Won => 1,
            OutcomeLabel::Lost => 0,
            OutcomeLabel::Open => continue,
        };
        let row = d.row_of_deal[i] as usize;
        let a = d.account_of_row[row] as usize;
        let side = if d.row_in_icp[row] {
            &mut inside[a]
        } else if d.row_disqualified[row] {
            continue;
        } else if d.holding[d.labels[a]] {
            &mut rest[a]
        } else {
            continue;
        };
        side.won += won;
        side.closed += 1;
    }
    (inside, rest)
}

/// The held-out test of the core ICP against the other accounts of the
/// `k` k-means segments (`labels`) it sits in; `None` when the model was
/// not validated, the core ICP has no qualifying criterion, carving it out
/// would leave a segment too few accounts, or a side has no closed deal.
pub(super) fn core_icp_test(
    criteria: &Criteria,
    in_icp: &[bool],
    labels: &[usize],
    k: usize,
    t: &Training,
) -> Option<CarveTest> {
    if !t.split.validated
        || criteria.qualifying.is_empty()
        || !leaves_every_segment(labels, in_icp, k)
    {
        return None;
    }
    let holding = segments_holding(labels, in_icp, k);
    // Each deal is in the ICP or not by its evidence row, as the core
    // ICP's held-out figures count it.
    let ev = t.ev;
    let row_in_icp = criteria.in_icp(&ev.features, ev.rows());
    let mut row_disqualified = vec![false; ev.rows()];
    for d in &criteria.disqualifying {
        for (x, m) in row_disqualified
            .iter_mut()
            .zip(d.matches(&ev.features, ev.rows()))
        {
            *x |= m;
        }
    }
    let deals = HeldOutDeals {
        outcome: &t.all.outcome,
        row_of_deal: &ev.row_of_deal,
        row_in_icp: &row_in_icp,
        row_disqualified: &row_disqualified,
        account_of_row: &ev.account_of_row,
        labels,
        holding: &holding,
    };
    let (inside, rest) = held_out_counts(&deals, &|i| t.split.in_holdout(t.all, i));
    carve_test(&inside, &rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked by hand: accounts 0..6 in segments 0, 0, 1, 1, 2, 2; accounts
    /// 1 and 3 in the core ICP, with k = 3. The carved segment is index 3;
    /// the others keep theirs. Segments 0 and 1 hold the ICP, 2 does not;
    /// each keeps one account, so a floor of 2 forbids the carve-out.
    #[test]
    fn an_icp_account_goes_to_the_carved_segment_and_the_rest_keep_theirs() {
        let labels = [0, 0, 1, 1, 2, 2];
        let in_icp = [false, true, false, true, false, false];
        assert_eq!(carved_labels(&labels, &in_icp, 3), vec![0, 3, 1, 3, 2, 2]);
        assert_eq!(
            segments_holding(&labels, &in_icp, 3),
            vec![true, true, false]
        );
        assert!(!leaves_every_segment(&labels, &in_icp, 3));
        let wide = [0, 0, 0, 1, 1, 1, 2, 2];
        let icp = [true, false, false, false, false, false, false, false];
        assert!(leaves_every_segment(&wide, &icp, 3));
        assert!(!leaves_every_segment(&wide, &[false; 8], 3));
    }

    /// Deals 0..6 of accounts 0, 1, 1, 2, 3, 0 (one row per account),
    /// outcomes W, L, W, W, L, open; accounts 0 and 1 in the ICP, segments
    /// 0, 0, 0, 1: account 2 is the rest (segment 0 holds the ICP) and
    /// account 3's segment holds none. Deal 3 is not kept.
    #[test]
    fn held_out_counts_split_deals_by_icp_and_segment() {
        use OutcomeLabel::{Lost, Open, Won};
        let outcome = [Won, Lost, Won, Won, Lost, Open];
        let rows = [0, 1, 1, 2, 3, 0];
        let deals = HeldOutDeals {
            outcome: &outcome,
            row_of_deal: &rows,
            row_in_icp: &[true, true, false, false],
            row_disqualified: &[false; 4],
            account_of_row: &[0, 1, 2, 3],
            labels: &[0, 0, 0, 1],
            holding: &[true, false],
        };
        let (inside, rest) = held_out_counts(&deals, &|i| i != 3);
        let c = |won, closed| AccountCounts { won, closed };
        assert_eq!(inside, vec![c(1, 1), c(1, 2), c(0, 0), c(0, 0)]);
        assert_eq!(rest, vec![c(0, 0); 4]);
        let (_, rest) = held_out_counts(&deals, &|_| true);
        assert_eq!(rest, vec![c(0, 0), c(0, 0), c(1, 1), c(0, 0)]);
        // Account 2 disqualified: the rest has none of its deals.
        let deals = HeldOutDeals {
            row_disqualified: &[false, false, true, false],
            ..deals
        };
        let (_, rest) = held_out_counts(&deals, &|_| true);
        assert_eq!(rest, vec![c(0, 0); 4]);
    }

    /// One deal per account, 30 of 40 won inside against 15 of 50 outside:
    /// design effects 1, so the two-sided p-value is that of the plain
    /// Newcombe interval and the one-sided one half of it; the reverse
    /// comparison is its complement.
    #[test]
    fn the_carve_test_is_one_sided_and_needs_enough_deals() {
        let one = |won: u64, n: u64| -> Vec<AccountCounts> {
            (0..n)
                .map(|i| AccountCounts {
                    won: u64::from(i < won),
                    closed: 1,
                })
                .collect()
        };
        let t = carve_test(&one(30, 40), &one(15, 50)).unwrap();
        let two = clustered_diff_p_value(&t.inside, &t.rest);
        assert_eq!(t.p_value, two / 2.0);
        assert!(t.p_value < 1e-4 && t.carves(), "{}", t.p_value);
        let back = carve_test(&one(15, 50), &one(30, 40)).unwrap();
        assert_eq!(back.p_value, 1.0 - two / 2.0);
        assert!(!back.carves());
        // 10 of 10 against 0 of 30: significant, but too few deals inside.
        let small = carve_test(&one(10, 10), &one(0, 30)).unwrap();
        assert!(small.p_value < CARVE_ALPHA && !small.carves());
        // 25 of 25 deals of 5 accounts against 0 of 30: enough deals, too
        // few accounts.
        let five: Vec<AccountCounts> = (0..5)
            .map(|_| AccountCounts { won: 5, closed: 5 })
            .collect();
        let few = carve_test(&five, &one(0, 30)).unwrap();
        assert!(few.inside.closed >= MIN_HELD_OUT_CLOSED && !few.carves());
        assert!(carve_test(&one(1, 1), &[]).is_none());
    }
}
