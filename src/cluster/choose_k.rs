//! Choosing k and fitting the segments.
//!
//! For each k in the range, k-means (k-means++ init, at most
//! [`SCREEN_RUNS`] restarts, fixed seed, a looser tolerance) is fitted on a seeded sample of at
//! most `fit_sample` accounts, and scored by the exact silhouette on a seeded
//! sub-sample of at most `silhouette_sample` of those. The chosen k is the one
//! with the best silhouette among those whose every segment holds at least
//! `min_segment_share` of accounts and `min_segment_accounts` accounts. The
//! chosen k is fitted again on the sample with all `n_runs` restarts (so the
//! segments do not depend on the seed's luck), then refined on all accounts
//! from the sample's centroids.
//! Segments are numbered by size (largest first), never by k-means label.
//!
//! Every fit runs linfa's k-means through [`super::lloyd`], which gives
//! linfa's centroids to the bit while skipping the distances that cannot
//! change a segment (linfa's own `KMeans` is the tests' reference).

use linfa_nn::distance::Distance;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::seq::index::sample;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use serde::Serialize;

use super::distance::{nearest_labels, rows_of, SqEuclidean};
use super::lloyd;
use super::silhouette::Distances;
use super::ClusterConfig;
use crate::error::{Error, Result};

/// Restarts per k while screening the range: enough to rank k by silhouette.
/// The chosen k then gets the configured `n_runs`.
pub const SCREEN_RUNS: usize = 3;

/// What one value of k scored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KCandidate {
    pub k: usize,
    /// Mean silhouette on the silhouette sample (-1..1, higher is better).
    pub silhouette: Option<f64>,
    /// Within-segment sum of squared distances on the fit sample, per account.
    pub inertia_per_account: f64,
    /// Smallest segment's share of the fit sample.
    pub smallest_segment_share: f64,
    /// Whether every segment meets the minimum size.
    pub meets_min_size: bool,
}

/// The fitted segments.
#[derive(Debug, Clone)]
pub struct Clustering {
    pub k: usize,
    /// Segment index (0-based, by size) per account.
    pub labels: Vec<usize>,
    /// Centroids in the encoded feature space, one row per segment.
    pub centroids: Array2<f64>,
    pub candidates: Vec<KCandidate>,
    pub reason: String,
    pub fit_sample: usize,
    pub silhouette_sample: usize,
}

/// k-means stops when the centroids move (in all, Euclidean) less than this
/// share of the data's root-mean-square distance from its mean: far below
/// what could move an account between segments, and without the hundreds of
/// creeping iterations an absolute tolerance costs on a million rows.
pub const RELATIVE_TOLERANCE: f64 = 1e-4;

/// Screening ranks k by silhouette and segment sizes, which settle long
/// before the centroids stop creeping: its fits stop at this many times the
/// tolerance or after [`SCREEN_MAX_ITERATIONS`] (on generated data no
/// candidate's silhouette moved by 0.001, and screening took 40% less time).
pub const SCREEN_TOLERANCE_FACTOR: f64 = 10.0;
/// Iterations at most per screening fit.
pub const SCREEN_MAX_ITERATIONS: u64 = 20;
/// Iterations at most per fit of the chosen k.
pub const MAX_ITERATIONS: u64 = 300;

/// Root-mean-square distance of the rows from their mean.
fn rms_spread(x: ArrayView2<'_, f64>) -> f64 {
    let n = x.nrows().max(1) as f64;
    // Row by row: the callers' rows are contiguous, and walking a column of a
    // million-row matrix touches a cache line per value.
    let mut mean = Array1::<f64>::zeros(x.ncols());
    for row in x.rows() {
        mean += &row;
    }
    mean /= n;
    let mut ss = 0.0;
    for row in x.rows() {
        ss += row
            .iter()
            .zip(&mean)
            .map(|(v, m)| (v - m) * (v - m))
            .sum::<f64>();
    }
    (ss / n).sqrt()
}

/// The convergence tolerance for `x` (see [`RELATIVE_TOLERANCE`]).
fn tolerance(x: ArrayView2<'_, f64>) -> f64 {
    (RELATIVE_TOLERANCE * rms_spread(x)).max(f64::MIN_POSITIVE)
}

fn sq_dist_sum(x: ArrayView2<'_, f64>, centroids: &Array2<f64>, labels: &[usize]) -> f64 {
    x.outer_iter()
        .zip(labels)
        .map(|(row, &l)| SqEuclidean.rdistance(row, centroids.row(l)))
        .sum()
}

fn sizes(labels: &[usize], k: usize) -> Vec<usize> {
    let mut s = vec![0; k];
    for &l in labels {
        s[l] += 1;
    }
    s
}

/// Cluster the accounts. `x` rows are accounts.
pub fn cluster(x: ArrayView2<'_, f64>, params: &ClusterConfig) -> Result<Clustering> {
    cluster_with_progress(x, params, &mut |_, _| {})
}

/// A step of [`cluster_with_progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Fitting k segments on the sample and scoring their silhouette.
    Fit(usize),
    /// Fitting the chosen k on every account.
    Refine(usize),
}

/// [`cluster`], calling `on_step(step, steps)` as each step begins; `steps`
/// is the number of steps in all.
pub fn cluster_with_progress(
    x: ArrayView2<'_, f64>,
    params: &ClusterConfig,
    on_step: &mut dyn FnMut(Step, usize),
) -> Result<Clustering> {
    let n = x.nrows();
    if n < 2 * params.k_min {
        return Err(Error::input(
            format!("{n} accounts are too few for {} segments", params.k_min),
            crate::error::Location::default(),
            "segments need at least two accounts each; lower --k-min or add accounts",
        ));
    }
    let mut rng = Xoshiro256Plus::seed_from_u64(params.seed);
    let fit_idx = sorted_sample(&mut rng, n, params.fit_sample);
    let xs = x.select(Axis(0), &fit_idx);
    let m = xs.nrows();
    let sil_idx = sorted_sample(&mut rng, m, params.silhouette_sample);
    let screen = Screen {
        xs: xs.view(),
        n,
        sil_distances: Distances::new(xs.select(Axis(0), &sil_idx).view()),
        sil_idx: &sil_idx,
        tolerance: tolerance(xs.view()),
    };
    // A k above n / 2 can never meet a minimum size of 2; cap the range.
    let k_max = params.k_max.min(n / 2).max(params.k_min);
    let steps = k_max - params.k_min + 1 + usize::from(m < n);
    // Each k's screening fit draws from its own seeded generator: two k at
    // a time, their steps announced as the pair begins.
    let ks: Vec<usize> = (params.k_min..=k_max).collect();
    let mut candidates = Vec::new();
    for pair in ks.chunks(2) {
        for &k in pair {
            on_step(Step::Fit(k), steps);
        }
        for c in crate::parallel::map_on_two_threads(pair, |&k| screen.candidate(k, params)) {
            candidates.push(c?);
        }
    }
    let (chosen, reason) = choose(&candidates, params, k_max, n);
    let k = candidates[chosen].k;
    let (centroids, refined_labels) =
        screen.fit_chosen(x, k, params, &mut || on_step(Step::Refine(k), steps))?;
    let raw_labels =
        refined_labels.unwrap_or_else(|| nearest_labels(x, None, &rows_of(&centroids)));
    let (labels, centroids) = canonical(&raw_labels, &centroids, k);
    Ok(Clustering {
        k,
        labels,
        centroids,
        candidates,
        reason,
        fit_sample: m,
        silhouette_sample: sil_idx.len(),
    })
}

/// `size` of `0..n` drawn without replacement, ascending; all of them when
/// there are no more than `size`.
fn sorted_sample(rng: &mut Xoshiro256Plus, n: usize, size: usize) -> Vec<usize> {
    if n > size {
        let mut v = sample(rng, n, size).into_vec();
        v.sort_unstable();
        v
    } else {
        (0..n).collect()
    }
}

/// The fit sample and the silhouette sample within it, where each k is screened.
struct Screen<'a> {
    xs: ArrayView2<'a, f64>,
    /// Accounts in all (the sample is `xs.nrows()`).
    n: usize,
    sil_distances: Distances,
    sil_idx: &'a [usize],
    /// Full k-means tolerance on the sample.
    tolerance: f64,
}

impl Screen<'_> {
    /// A quick fit of `k` segments on the sample: its silhouette, inertia and
    /// smallest segment.
    fn candidate(&self, k: usize, params: &ClusterConfig) -> Result<KCandidate> {
        let (xs, m, n) = (self.xs, self.xs.nrows(), self.n);
        let centroids = lloyd::fit(
            xs,
            k,
            params.n_runs.min(SCREEN_RUNS),
            params.seed,
            SCREEN_TOLERANCE_FACTOR * self.tolerance,
            SCREEN_MAX_ITERATIONS,
        )
        .map(|fitted| fitted.centroids)
        .ok_or_else(|| no_inertia(k))?;
        let labels = nearest_labels(xs, None, &rows_of(&centroids));
        let sz = sizes(&labels, k);
        let smallest = *sz.iter().min().unwrap_or(&0) as f64 / m as f64;
        let min_count = params.min_segment_accounts as f64;
        let meets = smallest >= params.min_segment_share && smallest * n as f64 >= min_count;
        let sil_labels: Vec<usize> = self.sil_idx.iter().map(|&i| labels[i]).collect();
        Ok(KCandidate {
            k,
            silhouette: self.sil_distances.silhouette(&sil_labels, k),
            inertia_per_account: sq_dist_sum(xs, &centroids, &labels) / m as f64,
            smallest_segment_share: smallest,
            meets_min_size: meets,
        })
    }

    /// The chosen `k` fitted again: the screening fits stopped early, so it
    /// is fitted to the full tolerance with every restart (the same seed
    /// starts the first restarts where screening did), then, when the sample
    /// is not every account, refined on all `x` from those centroids
    /// (`on_refine` is called first): linfa's k-means from those centroids,
    /// to the bit, by [`lloyd::refine`], which also gives every account its
    /// nearest final centroid (`None` when there was no refine).
    fn fit_chosen(
        &self,
        x: ArrayView2<'_, f64>,
        k: usize,
        params: &ClusterConfig,
        on_refine: &mut dyn FnMut(),
    ) -> Result<(Array2<f64>, Option<Vec<usize>>)> {
        // The refine's tolerance reads every row once: a second thread
        // measures it while the sample's starts are drawn and its runs go.
        let (centroids, full) = std::thread::scope(|s| {
            let full = (self.xs.nrows() != self.n).then(|| s.spawn(|| tolerance(x)));
            let centroids = fit_sample(self.xs, k, params, self.tolerance);
            (centroids, full.map(crate::parallel::joined))
        });
        let centroids = centroids?;
        let Some(full) = full else {
            return Ok((centroids, None));
        };
        on_refine();
        let refined = lloyd::refine(x, &centroids, full, MAX_ITERATIONS);
        Ok((refined.centroids, Some(refined.labels)))
    }
}

/// `k` segments fitted on the sample `xs` to the full `tolerance`, with
/// every one of the `n_runs` restarts (the same seed starts the first of them
/// where screening did): linfa's k-means with k-means++ starts, to the bit,
/// by [`lloyd::fit`].
fn fit_sample(
    xs: ArrayView2<'_, f64>,
    k: usize,
    params: &ClusterConfig,
    tolerance: f64,
) -> Result<Array2<f64>> {
    lloyd::fit(xs, k, params.n_runs, params.seed, tolerance, MAX_ITERATIONS)
        .map(|fitted| fitted.centroids)
        .ok_or_else(|| no_inertia(k))
}

fn no_inertia(k: usize) -> Error {
    Error::Internal(format!(
        "k-means with k = {k} failed: no run's inertia is a number"
    ))
}

/// `k` segments of `x * weights` (column by column) fitted on the seeded fit
/// sample alone, as [`cluster`] fits its chosen k before refining, and every
/// account then given its nearest centroid: labels and centroids, numbered
/// by size. k is not screened, no k-means iteration runs over all the
/// accounts, and only the sample's rows are weighted (copied); the other
/// rows are weighted one at a time as they are labelled.
///
/// # Errors
/// Fewer than `2 k` accounts, or k-means failing on the sample.
pub fn fit_k_on_sample(
    x: ArrayView2<'_, f64>,
    weights: &[f64],
    k: usize,
    params: &ClusterConfig,
) -> Result<(Vec<usize>, Array2<f64>)> {
    let n = x.nrows();
    if n < 2 * k {
        return Err(Error::Internal(format!(
            "{n} accounts are too few for {k} segments"
        )));
    }
    // The same sample as `cluster` draws with the same seed.
    let mut rng = Xoshiro256Plus::seed_from_u64(params.seed);
    let fit_idx = sorted_sample(&mut rng, n, params.fit_sample);
    let mut xs = x.select(Axis(0), &fit_idx);
    for mut row in xs.rows_mut() {
        row.iter_mut().zip(weights).for_each(|(v, w)| *v *= w);
    }
    let centroids = fit_sample(xs.view(), k, params, tolerance(xs.view()))?;
    let labels = nearest_labels(x, Some(weights), &rows_of(&centroids));
    Ok(canonical(&labels, &centroids, k))
}

/// The candidate with the highest silhouette among those meeting the
/// minimum size (ties to the smaller k), else the smallest k; with the
/// reason in words.
fn choose(
    candidates: &[KCandidate],
    params: &ClusterConfig,
    k_max: usize,
    n: usize,
) -> (usize, String) {
    let best = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.meets_min_size && c.silhouette.is_some())
        .max_by(|a, b| {
            a.1.silhouette
                .partial_cmp(&b.1.silhouette)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(b.1.k.cmp(&a.1.k))
        });
    let (chosen, reason) = match best {
        Some((i, c)) => (
            i,
            format!(
                "k = {} has the highest silhouette ({:.3}) among k in {}..={} whose segments all hold at least {:.0}% of accounts and {} accounts",
                c.k,
                c.silhouette.unwrap_or(f64::NAN),
                params.k_min,
                k_max,
                100.0 * params.min_segment_share,
                params.min_segment_accounts
            ),
        ),
        None => (
            0,
            format!(
                "no k in {}..={} gives segments that all meet the minimum size ({:.0}% of accounts and {} accounts); using the smallest, k = {}",
                params.k_min,
                k_max,
                100.0 * params.min_segment_share,
                params.min_segment_accounts,
                params.k_min
            ),
        ),
    };
    if k_max < params.k_max {
        let reason = format!(
            "{reason} (k_max = {} was capped at {k_max}: {n} accounts allow at most {k_max} segments of two accounts)",
            params.k_max
        );
        (chosen, reason)
    } else {
        (chosen, reason)
    }
}

/// Renumber segments by size (largest first; ties by centroid coordinates),
/// so the same segments get the same numbers whatever the k-means labels.
fn canonical(labels: &[usize], centroids: &Array2<f64>, k: usize) -> (Vec<usize>, Array2<f64>) {
    let sz = sizes(labels, k);
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        sz[b].cmp(&sz[a]).then_with(|| {
            centroids
                .row(a)
                .iter()
                .zip(centroids.row(b).iter())
                .map(|(x, y)| x.total_cmp(y))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        })
    });
    let mut new_of = vec![0; k];
    for (new, &old) in order.iter().enumerate() {
        new_of[old] = new;
    }
    let labels = labels.iter().map(|&l| new_of[l]).collect();
    let centroids = centroids.select(Axis(0), &order);
    (labels, centroids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn blobs(centers: &[[f64; 2]], per: &[usize], seed: u64) -> (Array2<f64>, Vec<usize>) {
        let mut rng = Xoshiro256Plus::seed_from_u64(seed);
        let mut rows = Vec::new();
        let mut truth = Vec::new();
        for (c, (&center, &count)) in centers.iter().zip(per).enumerate() {
            for _ in 0..count {
                rows.push(center[0] + rng.gen_range(-0.5..0.5));
                rows.push(center[1] + rng.gen_range(-0.5..0.5));
                truth.push(c);
            }
        }
        (
            Array2::from_shape_vec((truth.len(), 2), rows).unwrap(),
            truth,
        )
    }

    #[test]
    fn planted_blobs_are_found_with_the_right_k_and_numbered_by_size() {
        let (x, truth) = blobs(&[[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]], &[60, 150, 100], 1);
        let c = cluster(x.view(), &ClusterConfig::default()).unwrap();
        assert_eq!(c.k, 3, "{:?}", c.candidates);
        // Largest blob (truth 1, 150 points) is segment 0, then truth 2, then truth 0.
        let expect = [2, 0, 1];
        for (l, t) in c.labels.iter().zip(&truth) {
            assert_eq!(*l, expect[*t]);
        }
    }

    #[test]
    fn sample_fit_agrees_with_full_fit_on_separated_blobs() {
        let (x, _) = blobs(
            &[[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]],
            &[400, 300, 200, 100],
            2,
        );
        let full = cluster(x.view(), &ClusterConfig::default()).unwrap();
        let sampled = cluster(
            x.view(),
            &ClusterConfig {
                fit_sample: 200,
                silhouette_sample: 100,
                ..ClusterConfig::default()
            },
        )
        .unwrap();
        assert_eq!(full.k, 4);
        assert_eq!(sampled.k, full.k);
        assert_eq!(sampled.labels, full.labels);
    }

    /// With every account in the fit sample there is no refine, so the fit
    /// on the sample is `cluster`'s with k fixed: the same labels and
    /// centroids to the bit. With a sample of a fifth of the accounts the
    /// planted blobs are still found, every account in its own.
    #[test]
    fn fit_k_on_sample_is_the_chosen_fit_without_the_refine() {
        let (x, truth) = blobs(&[[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]], &[60, 150, 100], 4);
        let w = [0.7, 1.3];
        let weighted = &x * &Array1::from(w.to_vec());
        let fixed = ClusterConfig {
            k_min: 3,
            k_max: 3,
            ..ClusterConfig::default()
        };
        let full = cluster(weighted.view(), &fixed).unwrap();
        let (labels, centroids) = fit_k_on_sample(x.view(), &w, 3, &fixed).unwrap();
        assert_eq!(labels, full.labels);
        assert_eq!(centroids, full.centroids);
        let sampled = ClusterConfig {
            fit_sample: 60,
            ..fixed
        };
        let (labels, _) = fit_k_on_sample(x.view(), &w, 3, &sampled).unwrap();
        let expect = [2, 0, 1];
        for (l, t) in labels.iter().zip(&truth) {
            assert_eq!(*l, expect[*t]);
        }
        assert!(fit_k_on_sample(x.slice(ndarray::s![..5, ..]), &w, 3, &fixed).is_err());
    }

    #[test]
    fn a_tiny_segment_is_not_chosen_under_the_minimum_size() {
        // 3 points far away: k = 3 separates them but breaks the 5% minimum.
        let (x, _) = blobs(&[[0.0, 0.0], [10.0, 0.0], [50.0, 50.0]], &[200, 200, 3], 3);
        let c = cluster(x.view(), &ClusterConfig::default()).unwrap();
        let k3 = c.candidates.iter().find(|c| c.k == 3).unwrap();
        assert!(!k3.meets_min_size);
        assert_ne!(c.k, 3);
    }
}
