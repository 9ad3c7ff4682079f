//! L2-regularised logistic regression on binomial counts, fitted by Newton's
//! method (iteratively reweighted least squares).
//!
//! Each row is an account with its encoded features, its won and its lost
//! deal counts. The objective is
//! `Σ_i [won_i · −ln p_i + lost_i · −ln(1 − p_i)] + λ/2 · ||β||²`,
//! with the intercept unpenalised; this is scikit-learn's
//! `LogisticRegression(C = 1/λ)` on the rows expanded with sample weights
//! (see `tests/fixtures/logistic/make_logistic.py`).

use ndarray::{Array1, Array2, ArrayView2};
use serde::{Deserialize, Serialize};

/// Which terms enter a fit beside the intercept.
#[derive(Debug, Clone, Copy, Default)]
pub struct Terms<'a> {
    /// The columns of `x` with a coefficient (all when `None`).
    pub columns: Option<&'a [usize]>,
    /// Per row of `x`, a log-odds added with a coefficient fixed at 1 (the
    /// offset of a GLM).
    pub offset: Option<&'a [f64]>,
    /// Per column of `x`, whether it enters as zeros (a feature kept out of
    /// the fit keeps its column, and the penalty gives it a coefficient of
    /// exactly zero) without a copy of `x` to zero it in.
    pub zeroed: Option<&'a [bool]>,
}

/// A fitted model: `p = logistic(intercept + coef · x)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logistic {
    pub intercept: f64,
    pub coef: Vec<f64>,
    /// Ridge penalty λ the model was fitted with.
    pub lambda: f64,
    pub iterations: usize,
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Solve `a · x = b` for a symmetric positive definite `a` (Cholesky).
fn solve_spd(mut a: Array2<f64>, b: &Array1<f64>) -> Option<Array1<f64>> {
    let n = b.len();
    for j in 0..n {
        let mut d = a[[j, j]];
        for k in 0..j {
            d -= a[[j, k]] * a[[j, k]];
        }
        if d <= 1e-14 {
            return None;
        }
        let d = d.sqrt();
        a[[j, j]] = d;
        for i in j + 1..n {
            let mut s = a[[i, j]];
            for k in 0..j {
                s -= a[[i, k]] * a[[j, k]];
            }
            a[[i, j]] = s / d;
        }
    }
    let mut y = b.clone();
    for i in 0..n {
        let mut s = y[i];
        for k in 0..i {
            s -= a[[i, k]] * y[k];
        }
        y[i] = s / a[[i, i]];
    }
    for i in (0..n).rev() {
        let mut s = y[i];
        for k in i + 1..n {
            s -= a[[k, i]] * y[k];
        }
        y[i] = s / a[[i, i]];
    }
    Some(y)
}

/// Rows per block of the Hessian's product: a block of weighted rows stays
/// in cache, and no weighted copy of the whole design is made.
const BLOCK_ROWS: usize = 256;

/// The rows of a fit that have a closed deal, gathered row-major with a
/// leading 1 for the intercept, so a Newton step is one pass along them.
struct Design {
    /// `rows × m`, row-major.
    x: Vec<f64>,
    /// Coefficients, the intercept's included.
    m: usize,
    offset: Vec<f64>,
    wins: Vec<f64>,
    trials: Vec<f64>,
}

impl Design {
    /// The rows of `x` with a closed deal, on `cols` (a `zeroed` column
    /// read as zeros).
    fn gather(
        x: ArrayView2<'_, f64>,
        won: &[f64],
        lost: &[f64],
        cols: &[usize],
        terms: &Terms<'_>,
    ) -> Design {
        let m = cols.len() + 1;
        let active: Vec<usize> = (0..x.nrows()).filter(|&i| won[i] + lost[i] > 0.0).collect();
        // The columns read, `None` for one read as zeros.
        let read: Vec<Option<usize>> = (cols.iter())
            .map(|&c| (!terms.zeroed.is_some_and(|z| z[c])).then_some(c))
            .collect();
        let mut xa = Vec::with_capacity(active.len() * m);
        for &i in &active {
            let row = x.row(i);
            let row = row_of(&row);
            xa.push(1.0);
            xa.extend(read.iter().map(|c| c.map_or(0.0, |c| row[c])));
        }
        Design {
            x: xa,
            m,
            offset: (active.iter())
                .map(|&i| terms.offset.map_or(0.0, |o| o[i]))
                .collect(),
            wins: active.iter().map(|&i| won[i]).collect(),
            trials: active.iter().map(|&i| won[i] + lost[i]).collect(),
        }
    }

    /// The log-likelihood's gradient at `beta`, Xᵀ(wins − trials·p), and,
    /// into `hessian`, its negated Hessian XᵀWX with W = trials·p(1 − p):
    /// one pass along the rows, the Hessian's product taken a block of rows
    /// at a time.
    fn derivatives(&self, beta: &[f64], mut hessian: Option<&mut Array2<f64>>) -> Array1<f64> {
        let m = self.m;
        let mut grad = vec![0.0; m];
        let mut weighted = vec![0.0; BLOCK_ROWS.min(self.wins.len()) * m];
        for (b, block) in self.x.chunks(BLOCK_ROWS * m).enumerate() {
            for (k, row) in block.chunks_exact(m).enumerate() {
                let i = b * BLOCK_ROWS + k;
                let p = sigmoid(dot(row, beta) + self.offset[i]);
                let r = self.wins[i] - self.trials[i] * p;
                for (g, &x) in grad.iter_mut().zip(row) {
                    *g += r * x;
                }
                if hessian.is_some() {
                    let w = self.trials[i] * p * (1.0 - p);
                    for (o, &x) in weighted[k * m..(k + 1) * m].iter_mut().zip(row) {
                        *o = w * x;
                    }
                }
            }
            if let Some(h) = hessian.as_deref_mut() {
                let rows = block.len() / m;
                let shape = |v| ArrayView2::from_shape((rows, m), v).expect("whole rows");
                let (xb, wb) = (shape(block), shape(&weighted[..rows * m]));
                ndarray::linalg::general_mat_mul(1.0, &xb.t(), &wb, 1.0, h);
            }
        }
        Array1::from(grad)
    }
}

/// `a · b`, in four running sums so that it vectorises.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut s = [0.0; 4];
    let (ac, bc) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = (ac.remainder().iter())
        .zip(bc.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ac.zip(bc) {
        for k in 0..4 {
            s[k] += x[k] * y[k];
        }
    }
    (s[0] + s[1]) + (s[2] + s[3]) + tail
}

/// Newton steps smaller than this (in any coefficient) keep the Hessian for
/// the remaining steps.
const HESSIAN_KEPT_BELOW: f64 = 1e-3;

impl Logistic {
    /// Fit on rows `x` with `won` and `lost` counts. `None` when the Hessian
    /// is singular (e.g. no penalty and perfectly separated data).
    pub fn fit(x: ArrayView2<'_, f64>, won: &[f64], lost: &[f64], lambda: f64) -> Option<Logistic> {
        Logistic::fit_with(x, won, lost, lambda, &Terms::default())
    }

    /// [`Logistic::fit`] on some of `x`'s columns and with a fixed offset
    /// added to every row's log-odds (`Terms`). The coefficients are indexed
    /// by all of `x`'s columns, zero on the columns left out, so
    /// [`Logistic::log_odds`] takes a full row.
    pub fn fit_with(
        x: ArrayView2<'_, f64>,
        won: &[f64],
        lost: &[f64],
        lambda: f64,
        terms: &Terms<'_>,
    ) -> Option<Logistic> {
        let d_all = x.ncols();
        let all: Vec<usize>;
        let cols = match terms.columns {
            Some(c) => c,
            None => {
                all = (0..d_all).collect();
                &all
            }
        };
        let design = Design::gather(x, won, lost, cols, terms);
        let m = design.m;
        let mut beta = Array1::<f64>::zeros(m);
        // Start at the overall log-odds (beside the offset's, when there is one).
        let (w_sum, l_sum): (f64, f64) = (won.iter().sum(), lost.iter().sum());
        if w_sum > 0.0 && l_sum > 0.0 && terms.offset.is_none() {
            beta[0] = (w_sum / l_sum).ln();
        }
        let mut iterations = 0;
        // Newton steps; once a step is small the Hessian barely changes, so
        // the last one is kept (the gradient alone is exact, and it alone
        // decides where the iteration stops). Each Hessian is a full XᵀWX
        // product, most of the cost.
        let mut hessian: Option<Array2<f64>> = None;
        for it in 0..100 {
            iterations = it + 1;
            let mut fresh = hessian.is_none().then(|| Array2::<f64>::zeros((m, m)));
            let mut grad = design.derivatives(beta.as_slice().expect("owned"), fresh.as_mut());
            for a in 1..m {
                grad[a] -= lambda * beta[a];
            }
            let hess = match (&hessian, fresh) {
                (Some(h), _) => h.clone(),
                (None, Some(mut h)) => {
                    for a in 1..m {
                        h[[a, a]] += lambda;
                    }
                    h
                }
                (None, None) => unreachable!("a Hessian is computed until one is kept"),
            };
            let step = solve_spd(hess.clone(), &grad)?;
            beta += &step;
            let size = step.iter().map(|s| s.abs()).fold(0.0, f64::max);
            if size < 1e-12 {
                break;
            }
            if hessian.is_none() && size < HESSIAN_KEPT_BELOW {
                hessian = Some(hess);
            }
        }
        let mut coef = vec![0.0; d_all];
        for (k, &c) in cols.iter().enumerate() {
            coef[c] = beta[k + 1];
        }
        Some(Logistic {
            intercept: beta[0],
            coef,
            lambda,
            iterations,
        })
    }

    /// The log-odds for one row.
    pub fn log_odds(&self, row: &[f64]) -> f64 {
        self.intercept + self.coef.iter().zip(row).map(|(c, x)| c * x).sum::<f64>()
    }

    /// Win probability per row of `x`.
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Vec<f64> {
        x.outer_iter()
            .map(|r| {
                sigmoid(
                    self.intercept
                        + self
                            .coef
                            .iter()
                            .zip(r.iter())
                            .map(|(c, v)| c * v)
                            .sum::<f64>(),
                )
            })
            .collect()
    }
}

/// A row of a matrix as a slice, copied only when the matrix is not in
/// row-major order.
pub fn row_of<'a>(r: &'a ndarray::ArrayView1<'_, f64>) -> std::borrow::Cow<'a, [f64]> {
    match r.as_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(r.to_vec()),
    }
}

/// `logistic(z)`, stable for large |z|.
pub fn probability(log_odds: f64) -> f64 {
    sigmoid(log_odds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::prec::{rel_close, REL_EPS};

    #[derive(serde::Deserialize)]
    struct Case {
        lambda: f64,
        intercept: f64,
        coef: Vec<f64>,
    }

    #[derive(serde::Deserialize)]
    struct Fixture {
        x: Vec<Vec<f64>>,
        won: Vec<f64>,
        lost: Vec<f64>,
        cases: Vec<Case>,
    }

    /// Reference: scikit-learn `LogisticRegression(C = 1/λ, solver="newton-cg")`,
    /// see tests/fixtures/logistic/make_logistic.py.
    #[test]
    fn coefficients_match_scikit_learn_with_and_without_penalty() {
        let f: Fixture =
            serde_json::from_str(include_str!("../../tests/fixtures/logistic/logistic.json"))
                .unwrap();
        let d = f.x[0].len();
        let x =
            Array2::from_shape_vec((f.x.len(), d), f.x.into_iter().flatten().collect()).unwrap();
        for c in &f.cases {
            let m = Logistic::fit(x.view(), &f.won, &f.lost, c.lambda).unwrap();
            assert!(
                rel_close(m.intercept, c.intercept, REL_EPS),
                "λ={}: {} vs {}",
                c.lambda,
                m.intercept,
                c.intercept
            );
            for (a, b) in m.coef.iter().zip(&c.coef) {
                assert!(rel_close(*a, *b, REL_EPS), "λ={}: {a} vs {b}", c.lambda);
            }
        }
    }

    /// A constant offset `c` moves only the intercept: by hand, the groups'
    /// log-odds are ln(1/3) and ln(3) as below, so the intercept is
    /// ln(1/3) − c and the slope stays 2·ln 3.
    #[test]
    fn a_constant_offset_moves_only_the_intercept() {
        let x = ndarray::array![[0.0], [1.0]];
        let c = 0.7;
        let terms = Terms {
            columns: None,
            offset: Some(&[c, c]),
            zeroed: None,
        };
        let m = Logistic::fit_with(x.view(), &[2.0, 6.0], &[6.0, 2.0], 0.0, &terms).unwrap();
        assert!((m.intercept - ((1.0f64 / 3.0).ln() - c)).abs() < 1e-10);
        assert!((m.coef[0] - 2.0 * 3.0f64.ln()).abs() < 1e-10);
    }

    /// Without a penalty, fixing one coefficient at its maximum-likelihood
    /// value (as an offset) and fitting the rest gives back the full fit's
    /// other coefficients; the fixed column's coefficient is reported as zero.
    #[test]
    fn an_offset_at_the_full_fit_reproduces_the_other_coefficients() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(11);
        let n = 300;
        let x = Array2::from_shape_fn((n, 2), |_| rng.gen_range(-1.0..1.0));
        let (mut won, mut lost) = (vec![0.0; n], vec![0.0; n]);
        for i in 0..n {
            let p = sigmoid(-0.3 + 1.2 * x[[i, 0]] - 0.8 * x[[i, 1]]);
            for _ in 0..3 {
                if rng.gen::<f64>() < p {
                    won[i] += 1.0;
                } else {
                    lost[i] += 1.0;
                }
            }
        }
        let full = Logistic::fit(x.view(), &won, &lost, 0.0).unwrap();
        let offset: Vec<f64> = (0..n).map(|i| full.coef[1] * x[[i, 1]]).collect();
        let part = Logistic::fit_with(
            x.view(),
            &won,
            &lost,
            0.0,
            &Terms {
                columns: Some(&[0]),
                offset: Some(&offset),
                zeroed: None,
            },
        )
        .unwrap();
        assert!(
            (part.intercept - full.intercept).abs() < 1e-9,
            "{part:?} {full:?}"
        );
        assert!((part.coef[0] - full.coef[0]).abs() < 1e-9);
        assert_eq!(part.coef[1], 0.0);
    }

    /// The one-pass, blocked derivatives equal the textbook products
    /// Xᵀ(wins − trials·p) and XᵀWX computed column by column, over more
    /// rows than one block and with an offset, a zeroed column and rows
    /// without a closed deal.
    #[test]
    fn blocked_derivatives_equal_the_direct_products() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(5);
        let (n, d) = (3 * BLOCK_ROWS + 17, 5);
        let x = Array2::from_shape_fn((n, d), |_| rng.gen_range(-2.0..2.0));
        let won: Vec<f64> = (0..n).map(|_| f64::from(rng.gen_range(0..3u8))).collect();
        let lost: Vec<f64> = (0..n).map(|_| f64::from(rng.gen_range(0..3u8))).collect();
        let offset: Vec<f64> = (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let cols = [0, 2, 3, 4];
        let zeroed = [false, false, false, true, false];
        let terms = Terms {
            columns: Some(&cols),
            offset: Some(&offset),
            zeroed: Some(&zeroed),
        };
        let beta = [0.3, -0.5, 0.8, 1.1, -0.2];
        let design = Design::gather(x.view(), &won, &lost, &cols, &terms);
        let mut h = Array2::zeros((5, 5));
        let g = design.derivatives(&beta, Some(&mut h));
        let value = |i: usize, a: usize| match a {
            0 => 1.0,
            _ if zeroed[cols[a - 1]] => 0.0,
            _ => x[[i, cols[a - 1]]],
        };
        let (mut g0, mut h0) = (vec![0.0; 5], vec![vec![0.0; 5]; 5]);
        for i in (0..n).filter(|&i| won[i] + lost[i] > 0.0) {
            let z = offset[i] + (0..5).map(|a| beta[a] * value(i, a)).sum::<f64>();
            let p = 1.0 / (1.0 + (-z).exp());
            let trials = won[i] + lost[i];
            for a in 0..5 {
                g0[a] += (won[i] - trials * p) * value(i, a);
                for (b, h) in h0[a].iter_mut().enumerate() {
                    *h += trials * p * (1.0 - p) * value(i, a) * value(i, b);
                }
            }
        }
        for a in 0..5 {
            assert!(
                (g[a] - g0[a]).abs() < 1e-9 * (1.0 + g0[a].abs()),
                "{g} {g0:?}"
            );
            for b in 0..5 {
                assert!((h[[a, b]] - h0[a][b]).abs() < 1e-9 * (1.0 + h0[a][b].abs()));
            }
        }
        assert!(h.column(3).iter().all(|&v| v == 0.0), "zeroed column: {h}");
    }

    /// One binary feature, no penalty: the fit reproduces the two groups' log-odds.
    /// Group x=0: 2 won, 6 lost → ln(2/6) = −1.0986; group x=1: 6 won, 2 lost →
    /// ln(6/2) = 1.0986, so intercept −1.0986 and slope 2.1972.
    #[test]
    fn a_binary_feature_recovers_the_groups_log_odds_by_hand() {
        let x = ndarray::array![[0.0], [1.0]];
        let m = Logistic::fit(x.view(), &[2.0, 6.0], &[6.0, 2.0], 0.0).unwrap();
        assert!((m.intercept - (1.0f64 / 3.0).ln()).abs() < 1e-10);
        assert!((m.coef[0] - 2.0 * 3.0f64.ln()).abs() < 1e-10);
    }
}
