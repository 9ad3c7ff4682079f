//! The deal-level win tests with accounts as clusters.
//!
//! An attribute is constant within an account, so a level's score for the
//! chi-square of winning against the rest is `(x_g − x̄)·(won_g − p·closed_g)`
//! summed over an account's deals, and its deal-by-deal square
//! `(x_g − x̄)²·(won_g·(1 − p)² + lost_g·p²)` ([`crate::stats::rao_scott`]).
//! Kept as moments per level ([`Moments`]), these give every level's design
//! effect, and the whole categorical's, for any pooled rate `p`, from one
//! pass over the accounts.

use crate::stats::rao_scott::{design_effect, mean_design_effect, ClusteredScore};

/// Sums over a set of accounts of their closed deals' moments.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Moments {
    /// Accounts with a closed deal.
    pub(super) accounts: u64,
    /// Of which with two or more.
    pub(super) several: u64,
    won: f64,
    lost: f64,
    /// `Σ won_g²`, `Σ won_g·closed_g`, `Σ closed_g²`.
    won2: f64,
    won_closed: f64,
    closed2: f64,
}

impl Moments {
    /// One account with `won` and `lost` closed deals.
    pub(super) fn add(&mut self, won: u64, lost: u64) {
        let (w, c) = (won as f64, (won + lost) as f64);
        if won + lost == 0 {
            return;
        }
        self.accounts += 1;
        self.several += u64::from(won + lost > 1);
        self.won += w;
        self.lost += lost as f64;
        self.won2 += w * w;
        self.won_closed += w * c;
        self.closed2 += c * c;
    }

    /// The accounts of `self` that are not in `part` (a subset of them).
    pub(super) fn minus(&self, part: &Moments) -> Moments {
        Moments {
            accounts: self.accounts - part.accounts,
            several: self.several - part.several,
            won: self.won - part.won,
            lost: self.lost - part.lost,
            won2: self.won2 - part.won2,
            won_closed: self.won_closed - part.won_closed,
            closed2: self.closed2 - part.closed2,
        }
    }

    /// `Σ_g (won_g − p·closed_g)²`.
    fn residual_squares(&self, p: f64) -> f64 {
        (self.won2 - 2.0 * p * self.won_closed + p * p * self.closed2).max(0.0)
    }

    /// `Σ_i (y_i − p)²` over the deals.
    fn deal_squares(&self, p: f64) -> f64 {
        self.won * (1.0 - p) * (1.0 - p) + self.lost * p * p
    }
}

/// The design effect of a level's chi-square against the rest (`inside`
/// and `outside`, with `share` of the closed deals inside and a pooled win
/// rate `p`), and the accounts of the smaller side, which set the
/// denominator degrees of freedom; `None` for the accounts without an
/// account holding two deals.
pub(super) fn level_design(
    inside: &Moments,
    outside: &Moments,
    p: f64,
    share: f64,
) -> (f64, Option<u64>) {
    let (a, b) = ((1.0 - share).powi(2), share * share);
    let clustered = a * inside.residual_squares(p) + b * outside.residual_squares(p);
    let independent = a * inside.deal_squares(p) + b * outside.deal_squares(p);
    let clustering = inside.several + outside.several > 0;
    (
        design_effect(clustered, independent, clustering),
        clustering.then(|| inside.accounts.min(outside.accounts)),
    )
}

/// The mean design effect of a categorical's chi-square across `levels`
/// (those with closed deals), and its accounts; `None` for the accounts
/// without an account holding two deals. The last level is left out of the
/// `k − 1` scores, as the chi-square's degrees of freedom do.
pub(super) fn levels_design(levels: &[Moments]) -> Option<(f64, Option<u64>)> {
    let total = levels.iter().fold(Moments::default(), |mut t, m| {
        for (x, y) in [
            (&mut t.won, m.won),
            (&mut t.lost, m.lost),
            (&mut t.won2, m.won2),
            (&mut t.won_closed, m.won_closed),
            (&mut t.closed2, m.closed2),
        ] {
            *x += y;
        }
        t.accounts += m.accounts;
        t.several += m.several;
        t
    });
    let n = total.won + total.lost;
    if levels.len() < 2 || n <= 0.0 {
        return None;
    }
    let p = total.won / n;
    let share: Vec<f64> = levels.iter().map(|m| (m.won + m.lost) / n).collect();
    let k = levels.len() - 1;
    let matrix = |per_level: &dyn Fn(&Moments) -> f64| -> Vec<Vec<f64>> {
        let mut out = vec![vec![0.0; k]; k];
        for (j, m) in levels.iter().enumerate() {
            let v = per_level(m);
            let centred = |l: usize| f64::from(u8::from(j == l)) - share[l];
            for (l, row) in out.iter_mut().enumerate() {
                for (q, cell) in row.iter_mut().enumerate() {
                    *cell += v * centred(l) * centred(q);
                }
            }
        }
        out
    };
    let clustered = matrix(&|m| m.residual_squares(p));
    let independent = matrix(&|m| m.deal_squares(p));
    let clustering = total.several > 0;
    let d = mean_design_effect(&clustered, &independent, clustering)?;
    Some((d, clustering.then_some(total.accounts)))
}

/// The design effect of a numeric feature's point-biserial correlation with
/// winning, from each account's value and won and lost deals; and its
/// accounts, `None` without an account holding two deals.
pub(super) fn numeric_design<I>(rows: impl Fn() -> I) -> (f64, Option<u64>)
where
    I: Iterator<Item = (f64, u64, u64)>,
{
    let (mut n, mut won, mut sx) = (0.0, 0.0, 0.0);
    for (x, w, l) in rows() {
        let c = (w + l) as f64;
        n += c;
        won += w as f64;
        sx += c * x;
    }
    if n <= 0.0 {
        return (1.0, None);
    }
    let (p, mean) = (won / n, sx / n);
    let mut s = ClusteredScore::default();
    for (x, w, l) in rows() {
        let d = x - mean;
        let residual = w as f64 - p * (w + l) as f64;
        let squares = d * d * (w as f64 * (1.0 - p) * (1.0 - p) + l as f64 * p * p);
        s.add_account(d * residual, squares, w + l);
    }
    (s.design_effect(), s.clustering.then_some(s.accounts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::prec::{rel_close, EXACT_EPS};

    /// Accounts (won, lost): in the level (2, 1), (0, 1); outside (1, 0),
    /// (0, 2), (1, 1). N = 9, p = 4/9, the level's share of deals 4/9.
    /// Residuals won − p·closed: inside 2/3, −4/9; outside 5/9, −8/9, 1/9.
    /// Scores are (5/9)·residual inside and −(4/9)·residual outside, so
    /// C = 25/81·(4/9 + 16/81) + 16/81·(25 + 64 + 1)/81 = 2740/6561; deal by
    /// deal Σ (y − p)² is 2·25/81 + 2·16/81 = 82/81 inside and 2·25/81 +
    /// 3·16/81 = 98/81 outside, so D = (25·82 + 16·98)/6561 = 3618/6561, and
    /// the design effect C/D = 0.757 is floored at 1.
    #[test]
    fn a_levels_design_effect_matches_the_hand_computation() {
        let (mut inside, mut all) = (Moments::default(), Moments::default());
        for (w, l) in [(2, 1), (0, 1)] {
            inside.add(w, l);
            all.add(w, l);
        }
        for (w, l) in [(1, 0), (0, 2), (1, 1)] {
            all.add(w, l);
        }
        let outside = all.minus(&inside);
        let p = 4.0 / 9.0;
        let (a, b) = (25.0 / 81.0, 16.0 / 81.0);
        let c = a * inside.residual_squares(p) + b * outside.residual_squares(p);
        assert!(rel_close(c, 2740.0 / 6561.0, EXACT_EPS), "{c}");
        let d = a * inside.deal_squares(p) + b * outside.deal_squares(p);
        assert!(rel_close(d, 3618.0 / 6561.0, EXACT_EPS), "{d}");
        let (d, accounts) = level_design(&inside, &outside, p, 4.0 / 9.0);
        assert_eq!((d, accounts), (1.0, Some(2)));
    }
}
