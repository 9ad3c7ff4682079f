//! The Cox score test of time to win at β = 0 from whole-day histograms,
//! losses and open deals censored, with each deal's score residual for a
//! variance with deals clustered in accounts.
//!
//! With `Y(t)` the deals still at risk on day `t` (ending on day `t` or
//! later), `w(t)` the wins on day `t`, and `x̄(t)`, `v(t)` the mean and
//! variance of the covariate `x` over the deals at risk, the score is
//! `U = Σ_t (Σ_{wins on t} x − w(t)·x̄(t))` and its variance with deals
//! independent `I = Σ_t w(t)·(Y − w)/(Y − 1)·v(t)`. For `x` the indicator
//! of a group this is the log-rank test of the group against the rest,
//! with its hypergeometric variance for tied days (lifelines
//! `logrank_test`); for any `x`, the Cox partial-likelihood score test with
//! Breslow's ties and the same factor for ties.
//!
//! Each deal's score residual (Lin & Wei 1989; statsmodels
//! `PHReg(..., ties="breslow").score_residuals(0)`) is
//! `δ_i·(x_i − x̄(d_i)) − x_i·A(d_i) + B(d_i)`, with `d_i` its days, `δ_i`
//! whether it was won, `A(d) = Σ_{t≤d} w(t)/Y(t)` and
//! `B(d) = Σ_{t≤d} x̄(t)·w(t)/Y(t)`; the residuals sum to `U`. Summed by
//! account they give the cluster-robust variance of `U`
//! ([`super::rao_scott::ClusteredScore`]). Everything is `O(days)` after one
//! pass over the deals to fill the histograms.

/// Per day: deals ending that day (won, lost or still open), wins, and the
/// sums of `x` and `x²` over the deals ending and of `x` over the wins.
#[derive(Debug, Clone, Default)]
pub struct CovariateDays {
    ended: Vec<f64>,
    won: Vec<f64>,
    x_ended: Vec<f64>,
    x2_ended: Vec<f64>,
    x_won: Vec<f64>,
}

impl CovariateDays {
    /// Empty histograms for days `0..days_len`.
    pub fn new(days_len: usize) -> Self {
        let z = vec![0.0; days_len];
        CovariateDays {
            ended: z.clone(),
            won: z.clone(),
            x_ended: z.clone(),
            x2_ended: z.clone(),
            x_won: z,
        }
    }

    /// The histograms of a 0/1 covariate, the indicator of a group: every
    /// deal's (`ended`, `won`) and the group's (`group_ended`, `group_won`),
    /// per day.
    pub fn indicator(ended: &[f64], won: &[f64], group_ended: &[f64], group_won: &[f64]) -> Self {
        CovariateDays {
            ended: ended.to_vec(),
            won: won.to_vec(),
            x_ended: group_ended.to_vec(),
            x2_ended: group_ended.to_vec(),
            x_won: group_won.to_vec(),
        }
    }

    /// One deal of `day` days, won or not, with covariate `x`.
    pub fn add(&mut self, day: usize, won: bool, x: f64) {
        self.ended[day] += 1.0;
        self.x_ended[day] += x;
        self.x2_ended[day] += x * x;
        if won {
            self.won[day] += 1.0;
            self.x_won[day] += x;
        }
    }

    /// Days held.
    pub fn len(&self) -> usize {
        self.ended.len()
    }

    /// Whether no day is held.
    pub fn is_empty(&self) -> bool {
        self.ended.is_empty()
    }
}

/// The score test of one covariate, from [`CoxScore::new`].
#[derive(Debug, Clone)]
pub struct CoxScore {
    /// `U`.
    pub score: f64,
    /// `I`, the variance of `U` with deals independent.
    pub variance: f64,
    /// Per day: `x̄(t)` over the deals at risk (0 where none are).
    pub mean: Vec<f64>,
    /// Per day: `w(t)·(Y − w)/(Y − 1)`, each day's weight in the variance.
    pub weight: Vec<f64>,
    /// Per day: `A(d)` and `B(d)` of the residuals.
    cum_hazard: Vec<f64>,
    cum_mean_hazard: Vec<f64>,
}

impl CoxScore {
    /// The score, variance and residual terms of the deals in `days`.
    pub fn new(days: &CovariateDays) -> Self {
        let n = days.len();
        let mut out = CoxScore {
            score: 0.0,
            variance: 0.0,
            mean: vec![0.0; n],
            weight: vec![0.0; n],
            cum_hazard: vec![0.0; n],
            cum_mean_hazard: vec![0.0; n],
        };
        // At risk on day t: deals ending on day t or later.
        let (mut y, mut sx, mut sx2) = (0.0, 0.0, 0.0);
        for t in (0..n).rev() {
            y += days.ended[t];
            sx += days.x_ended[t];
            sx2 += days.x2_ended[t];
            if y > 0.0 {
                let mean = sx / y;
                out.mean[t] = mean;
                let w = days.won[t];
                if w > 0.0 {
                    out.score += days.x_won[t] - w * mean;
                    let spread = (sx2 / y - mean * mean).max(0.0);
                    if y > 1.0 {
                        out.weight[t] = w * (y - w) / (y - 1.0);
                        out.variance += out.weight[t] * spread;
                    }
                    out.cum_hazard[t] = w / y;
                    out.cum_mean_hazard[t] = mean * w / y;
                }
            }
        }
        let (mut a, mut b) = (0.0, 0.0);
        for t in 0..n {
            a += out.cum_hazard[t];
            b += out.cum_mean_hazard[t];
            out.cum_hazard[t] = a;
            out.cum_mean_hazard[t] = b;
        }
        out
    }

    /// `U² / I`, the chi-square statistic on one degree of freedom; `None`
    /// without variance.
    pub fn statistic(&self) -> Option<f64> {
        (self.variance > 0.0).then(|| self.score * self.score / self.variance)
    }

    /// `exp(U / I)`: the one-step (Peto) estimate of the hazard ratio per
    /// unit of `x`; `None` without variance.
    pub fn hazard_ratio(&self) -> Option<f64> {
        (self.variance > 0.0).then(|| (self.score / self.variance).exp())
    }

    /// The score residual of a deal of `day` days, won or not, with
    /// covariate `x`.
    pub fn residual(&self, day: usize, won: bool, x: f64) -> f64 {
        let event = if won { x - self.mean[day] } else { 0.0 };
        event - x * self.cum_hazard[day] + self.cum_mean_hazard[day]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::prec::{rel_close, EXACT_EPS};

    /// Two groups of three deals: the group (x = 1) wins on days 1 and 3
    /// and has one open on day 2; the rest wins on day 2 and loses on days
    /// 1 and 3. Day 1: Y = 6, 3 of them in the group, its win: U += 1 − 0.5,
    /// I += 1·5/5·0.25. Day 2: Y = 4, 2 in the group, the rest's win:
    /// U −= 0.5, I += 1·3/3·0.25. Day 3: Y = 2, 1 in the group, its win:
    /// U += 0.5, I += 1·1/1·0.25. U = 0.5, I = 0.75.
    #[test]
    fn the_log_rank_pieces_match_the_hand_computation() {
        let mut d = CovariateDays::new(4);
        for (day, won, x) in [
            (1, true, 1.0),
            (3, true, 1.0),
            (2, false, 1.0),
            (2, true, 0.0),
            (1, false, 0.0),
            (3, false, 0.0),
        ] {
            d.add(day, won, x);
        }
        let c = CoxScore::new(&d);
        assert!(rel_close(c.score, 0.5, EXACT_EPS), "{c:?}");
        assert!(rel_close(c.variance, 0.75, EXACT_EPS), "{c:?}");
        // The residuals sum to the score.
        let sum: f64 = [
            (1, true, 1.0),
            (3, true, 1.0),
            (2, false, 1.0),
            (2, true, 0.0),
            (1, false, 0.0),
            (3, false, 0.0),
        ]
        .iter()
        .map(|&(day, won, x)| c.residual(day, won, x))
        .sum();
        assert!(rel_close(sum, 0.5, EXACT_EPS), "{sum}");
    }

    /// statsmodels `PHReg(ties="breslow")` score and information at β = 0
    /// for a covariate on untied durations (where the log-rank factor for
    /// ties is 1).
    #[test]
    fn the_score_and_information_match_statsmodels() {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/drivers/drivers.json"))
                .unwrap();
        let c = &v["cox"];
        let col = |k: &str| -> Vec<f64> {
            c[k].as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        };
        let (t, w, x) = (col("days"), col("won"), col("x"));
        let mut d = CovariateDays::new(t.iter().map(|&d| d as usize + 1).max().unwrap());
        for i in 0..t.len() {
            d.add(t[i] as usize, w[i] == 1.0, x[i]);
        }
        let s = CoxScore::new(&d);
        assert!(
            rel_close(s.score, c["score"].as_f64().unwrap(), 1e-9),
            "{s:?}"
        );
        assert!(
            rel_close(s.variance, c["information"].as_f64().unwrap(), 1e-9),
            "{s:?}"
        );
    }
}
