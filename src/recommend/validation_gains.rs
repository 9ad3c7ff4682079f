//! Cumulative gains and top-decile lift of a score: the share of the wins
//! found in the best-scored share of the deals, as the held-out AUC's
//! deals are scored (each closed held-out deal by its account's fit score).
//!
//! Deals are taken best score first. Deals tied at a score are taken as a
//! group, each bringing the group's mean wins: the curve is the straight
//! line between the points where the score changes (what a random order
//! within ties gives on average), which is scikit-learn's `roc_curve`
//! points `((tp + fp)/N, tp/P)` joined by straight lines
//! (tests/fixtures/gains/make_gains.py). **Top-decile lift** is the share of
//! the wins in the best-scored 10% of the deals over 10%: the top decile's
//! win rate over the overall win rate.

use serde::Serialize;

/// One point of the cumulative gains curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GainsPoint {
    /// Share of the closed deals, best scored first (0–1).
    pub share_of_deals: f64,
    /// Share of their wins among them (0–1).
    pub share_of_wins: f64,
}

/// Cumulative gains of the fit score on held-out closed deals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gains {
    /// What is ranked: "held-out closed deals, each by its account's fit score".
    pub basis: String,
    pub closed_deals: u64,
    pub won: u64,
    /// Share of the wins in the best-scored 10% of the deals, over 10%.
    pub top_decile_lift: f64,
    /// At 0%, 10%, …, 100% of the deals.
    pub curve: Vec<GainsPoint>,
}

/// The share of the wins among the best-scored `shares` of the deals
/// scored `p` and won `y`; `None` without a win.
pub fn gains_at(p: &[f64], y: &[bool], shares: &[f64]) -> Option<Vec<f64>> {
    let n = p.len();
    let wins = y.iter().filter(|&&w| w).count();
    if wins == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    // The curve's corners: (deals, wins) taken once each tied group is in.
    let mut corners = vec![(0usize, 0usize)];
    let mut k = 0;
    while k < n {
        let mut end = k;
        let mut w = corners.last().expect("starts with a corner").1;
        while end < n && p[order[end]] == p[order[k]] {
            w += usize::from(y[order[end]]);
            end += 1;
        }
        corners.push((end, w));
        k = end;
    }
    let at = |share: f64| {
        let d = share * n as f64;
        let j = corners
            .partition_point(|&(deals, _)| (deals as f64) < d)
            .min(corners.len() - 1);
        if j == 0 {
            return 0.0;
        }
        let ((d0, w0), (d1, w1)) = (corners[j - 1], corners[j]);
        let t = (d - d0 as f64) / (d1 - d0) as f64;
        (w0 as f64 + t * (w1 - w0) as f64) / wins as f64
    };
    Some(shares.iter().map(|&s| at(s)).collect())
}

/// The gains of scores `p` on deals won (`y`): the curve by tenths and the
/// top-decile lift. `None` without a win.
pub fn gains(p: &[f64], y: &[bool], basis: &str) -> Option<Gains> {
    let shares: Vec<f64> = (0..=10).map(|k| f64::from(k) / 10.0).collect();
    let wins = gains_at(p, y, &shares)?;
    Some(Gains {
        basis: basis.to_string(),
        closed_deals: p.len() as u64,
        won: y.iter().filter(|&&w| w).count() as u64,
        top_decile_lift: wins[1] / 0.1,
        curve: (shares.iter().zip(wins))
            .map(|(&share_of_deals, share_of_wins)| GainsPoint {
                share_of_deals,
                share_of_wins,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked by hand: ten deals, scores 0.9 (won), 0.8 (won), 0.8 (lost),
    /// then seven at 0.1 of which one won; three wins. The best 10% is the
    /// 0.9 deal: 1/3 of the wins, lift 3.33. At 20% one of the two tied
    /// 0.8 deals: 1 + ½ = 1.5 wins, half. At 30%: 2/3. At 50%: 2 + 2/7 of
    /// the last group's one win.
    #[test]
    fn gains_by_hand_with_ties() {
        let p = [0.9, 0.8, 0.8, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
        let y = [
            true, true, false, false, false, true, false, false, false, false,
        ];
        let g = gains(&p, &y, "deals").unwrap();
        let want = [0.0, 1.0 / 3.0, 0.5, 2.0 / 3.0];
        for (pt, w) in g.curve.iter().zip(want) {
            assert!((pt.share_of_wins - w).abs() < 1e-12, "{g:?}");
        }
        assert!((g.curve[5].share_of_wins - (2.0 + 2.0 / 7.0) / 3.0).abs() < 1e-12);
        assert!((g.curve[10].share_of_wins - 1.0).abs() < 1e-12);
        assert!((g.top_decile_lift - 10.0 / 3.0).abs() < 1e-12);
        assert!(gains(&p, &[false; 10], "deals").is_none());
    }

    #[derive(serde::Deserialize)]
    struct Fixture {
        p: Vec<f64>,
        y: Vec<bool>,
        shares: Vec<f64>,
        gains: Vec<f64>,
        top_decile_lift: f64,
    }

    /// Reference: scikit-learn `roc_curve` points joined by straight lines,
    /// see tests/fixtures/gains/make_gains.py.
    #[test]
    fn gains_match_scikit_learn_roc_points() {
        use crate::stats::prec::{rel_close, REL_EPS};
        let f: Fixture =
            serde_json::from_str(include_str!("../../tests/fixtures/gains/gains.json")).unwrap();
        let g = gains_at(&f.p, &f.y, &f.shares).unwrap();
        for (a, b) in g.iter().zip(&f.gains) {
            assert!(
                rel_close(*a, *b, REL_EPS) || (a - b).abs() < 1e-12,
                "{a} vs {b}"
            );
        }
        let lift = gains(&f.p, &f.y, "deals").unwrap().top_decile_lift;
        assert!(rel_close(lift, f.top_decile_lift, REL_EPS), "{lift}");
    }
}
