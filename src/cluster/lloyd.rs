//! linfa's k-means, to the bit, without the distance evaluations that
//! cannot change an account's segment.
//!
//! linfa's `KMeans` starts each run from k-means++ centroids, then repeats
//! Lloyd's step: every row gets its nearest centroid (all k distances, the
//! first of equal ones kept), and each centroid moves to the mean of its rows
//! with the old centroid counted as one more row; a run stops when the
//! centroids moved (in all, Euclidean) less than the tolerance or after the
//! iteration limit, and the run with the least inertia is kept. [`fit`] and
//! [`refine`] take the same steps with the same floating-point operations in
//! the same order and draw the same random numbers, so their centroids are
//! linfa's own (the tests hold them to linfa's bit for bit). What they skip
//! are distances that cannot matter:
//!
//! - k-means++ keeps each row's distance to its nearest centroid so far and
//!   compares it with the newest centroid only (linfa measures every
//!   centroid again for each new one);
//! - Lloyd's step keeps for each row an upper bound on the distance to its
//!   own centroid and a lower bound on the distance to every other one
//!   (Hamerly, "Making k-means even faster", SDM 2010): once the centroids
//!   settle, most rows pass that test and cost no distance at all.
//!
//! A row is kept in its segment only when the bounds separate the distances
//! by more than [`MARGIN`] of the distances in play, far above the rounding
//! of the bounds; a near-tie is always settled by computing every distance,
//! as linfa does.

use ndarray::parallel::prelude::*;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::distributions::{Distribution, WeightedIndex};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;

use super::distance::{rows_of, sq_dist};

/// Rows per parallel task.
const CHUNK: usize = 8_192;

/// From this many rows a Lloyd step gives the later half of the rows their
/// segments on a second thread (a thread per step costs more than it saves
/// on a sample).
const SPLIT_STEP_ROWS: usize = 1 << 16;

/// A bound decides only when it clears the other side by this share of the
/// distances involved. The bounds' own rounding is about an ulp per
/// iteration (1e-16 each, at most a few hundred iterations); this is a
/// million times that.
pub const MARGIN: f64 = 1e-10;

/// k segments fitted on every row.
#[derive(Debug, Clone)]
pub struct Refined {
    /// linfa's centroids after the last step.
    pub centroids: Array2<f64>,
    /// Each row's nearest of those centroids (the first of equal ones).
    pub labels: Vec<usize>,
    /// Lloyd steps taken.
    pub iterations: u64,
    /// Row-to-centroid distances computed, the final labelling included
    /// (linfa computes `k + 1` per row and step).
    pub distances: u64,
}

/// The best of several runs from k-means++ centroids.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// The centroids of the run with the least inertia.
    pub centroids: Array2<f64>,
    /// That run's inertia per row, as linfa's `inertia()`.
    pub inertia: f64,
}

/// One row's segment and its bounds (Euclidean, not squared).
#[derive(Debug, Clone, Copy)]
struct Bounds {
    /// At least the distance to the row's centroid.
    upper: f64,
    /// At most the distance to any other centroid.
    lower: f64,
    label: u32,
}

/// What every row's test needs to know about the centroids of a step.
struct Geometry<'a> {
    centroids: Vec<&'a [f64]>,
    /// Half the distance from each centroid to its nearest other centroid.
    half_gap: Vec<f64>,
    /// How far each centroid moved in the step before (zeros at first).
    drift: &'a [f64],
    /// The largest drift, and the largest but that centroid's own.
    drift_max: (usize, f64, f64),
    /// Distances in play beyond the row's own bounds: the widest span
    /// between centroids plus every step's largest drift so far.
    scale: f64,
}

impl<'a> Geometry<'a> {
    fn new(centroids: &'a Array2<f64>, drift: &'a [f64], drifted: f64) -> Self {
        let rows = rows_of(centroids);
        let k = rows.len();
        let mut half_gap = vec![f64::INFINITY; k];
        let mut span: f64 = 0.0;
        for a in 0..k {
            for b in a + 1..k {
                let d = sq_dist(rows[a], rows[b]).sqrt();
                half_gap[a] = half_gap[a].min(d / 2.0);
                half_gap[b] = half_gap[b].min(d / 2.0);
                span = span.max(d);
            }
        }
        let mut drift_max = (0, 0.0, 0.0);
        for (j, &d) in drift.iter().enumerate() {
            if d > drift_max.1 {
                drift_max = (j, d, drift_max.1);
            } else if d > drift_max.2 {
                drift_max.2 = d;
            }
        }
        Geometry {
            centroids: rows,
            half_gap,
            drift,
            drift_max,
            scale: span + drifted,
        }
    }

    /// Moves `b`'s bounds by the last step's drift, then gives the row its
    /// nearest centroid, computing distances only where the bounds cannot
    /// tell. Returns the distances computed.
    fn assign(&self, row: &[f64], b: &mut Bounds) -> u64 {
        let a = b.label as usize;
        let (far, d1, d2) = self.drift_max;
        b.upper += self.drift[a];
        b.lower -= if a == far { d2 } else { d1 };
        let beyond = b.lower.max(self.half_gap[a]);
        let margin = MARGIN * (b.upper + b.lower.abs() + self.scale);
        if b.upper + margin < beyond {
            return 0;
        }
        b.upper = sq_dist(row, self.centroids[a]).sqrt();
        if b.upper + margin < beyond {
            return 1;
        }
        // linfa's `closest_centroid`: every distance, the first of the
        // smallest kept.
        let (mut best, mut best_d, mut second_d) = (0, f64::INFINITY, f64::INFINITY);
        for (j, c) in self.centroids.iter().enumerate() {
            let d = sq_dist(row, c);
            if j == 0 || d < best_d {
                second_d = second_d.min(best_d);
                best = j;
                best_d = d;
            } else {
                second_d = second_d.min(d);
            }
        }
        *b = Bounds {
            upper: best_d.sqrt(),
            lower: second_d.sqrt(),
            label: best as u32,
        };
        1 + self.centroids.len() as u64
    }
}

/// Every row of `x` given its nearest centroid, in parallel over blocks of
/// rows; the distances computed.
fn assign_all(x: ArrayView2<'_, f64>, geometry: &Geometry<'_>, state: &mut Array1<Bounds>) -> u64 {
    x.axis_chunks_iter(Axis(0), CHUNK)
        .into_par_iter()
        .zip(state.axis_chunks_iter_mut(Axis(0), CHUNK))
        .map(|(rows, mut bounds)| {
            let mut computed = 0;
            for (row, b) in rows.outer_iter().zip(bounds.iter_mut()) {
                let row = row.to_slice().expect("rows are contiguous");
                computed += geometry.assign(row, b);
            }
            computed
        })
        .sum()
}

/// One Lloyd step in one pass over the rows: each row given its nearest
/// centroid (see [`Geometry::assign`]) and summed into its segment in row
/// order, then, as linfa's `compute_centroids`, the old centroid added as one
/// more row and each sum divided by the count plus one. The distances
/// computed are added to `distances`.
fn step(
    x: ArrayView2<'_, f64>,
    geometry: &Geometry<'_>,
    old: &Array2<f64>,
    state: &mut Array1<Bounds>,
    distances: &mut u64,
) -> Array2<f64> {
    let (k, d) = old.dim();
    let mut sums = Array2::<f64>::zeros((k, d));
    let mut counts = vec![1usize; k];
    let flat = sums.as_slice_mut().expect("a new array is row-major");
    let mut add = |row: &[f64], l: usize| {
        for (s, v) in flat[l * d..(l + 1) * d].iter_mut().zip(row) {
            *s += v;
        }
        counts[l] += 1;
    };
    // The sums must run in row order. On many rows a second thread gives
    // the later rows their segments while this one does the earlier rows
    // (segments and sums), then sums the later rows in turn.
    let split = if x.nrows() >= SPLIT_STEP_ROWS {
        x.nrows() / 2
    } else {
        x.nrows()
    };
    let (early, late) = x.split_at(Axis(0), split);
    let (mut early_state, mut late_state) = state.view_mut().split_at(Axis(0), split);
    let mut early_step = || {
        for (row, b) in early.outer_iter().zip(early_state.iter_mut()) {
            let row = row.to_slice().expect("rows are contiguous");
            *distances += geometry.assign(row, b);
            add(row, b.label as usize);
        }
    };
    if late.nrows() == 0 {
        early_step();
    } else {
        let late_computed = std::thread::scope(|s| {
            let late_assigned = s.spawn(|| {
                let mut computed = 0;
                for (row, b) in late.outer_iter().zip(late_state.iter_mut()) {
                    let row = row.to_slice().expect("rows are contiguous");
                    computed += geometry.assign(row, b);
                }
                computed
            });
            early_step();
            crate::parallel::joined(late_assigned)
        });
        *distances += late_computed;
    }
    for (row, b) in late
        .outer_iter()
        .zip(&state.as_slice().expect("one slice")[split..])
    {
        add(
            row.to_slice().expect("rows are contiguous"),
            b.label as usize,
        );
    }
    sums += old;
    for (mut s, &c) in sums.rows_mut().into_iter().zip(&counts) {
        s /= c as f64;
    }
    sums
}

/// Where one run of Lloyd's steps ended.
struct Run {
    /// The centroids after the last step.
    centroids: Array2<f64>,
    /// The centroids the last step assigned the rows to.
    assigned_to: Array2<f64>,
    state: Array1<Bounds>,
    /// The drifts of the last step, and their running sum of maxima.
    drift: Vec<f64>,
    drifted: f64,
    iterations: u64,
    distances: u64,
}

impl Run {
    /// Lloyd's steps on `x` (rows contiguous) from `init` until the
    /// centroids move less than `tolerance` or `max_iterations` steps.
    fn from(x: ArrayView2<'_, f64>, init: Array2<f64>, tolerance: f64, max_iterations: u64) -> Run {
        assert!(init.nrows() > 0 && max_iterations > 0);
        assert_eq!(init.ncols(), x.ncols(), "centroids of another width");
        let unset = Bounds {
            upper: f64::INFINITY,
            lower: f64::NEG_INFINITY,
            label: 0,
        };
        let mut state = Array1::from_elem(x.nrows(), unset);
        let mut centroids = init.as_standard_layout().into_owned();
        let mut drift = vec![0.0; centroids.nrows()];
        let (mut drifted, mut iterations, mut distances) = (0.0, 0, 0);
        loop {
            let geometry = Geometry::new(&centroids, &drift, drifted);
            let next = step(x, &geometry, &centroids, &mut state, &mut distances);
            let moved = sq_dist(flat(&centroids), flat(&next)).sqrt();
            for ((d, old), new) in drift
                .iter_mut()
                .zip(rows_of(&centroids))
                .zip(rows_of(&next))
            {
                *d = sq_dist(old, new).sqrt();
            }
            drifted += drift.iter().copied().fold(0.0, f64::max);
            iterations += 1;
            if moved < tolerance || iterations == max_iterations {
                return Run {
                    centroids: next,
                    assigned_to: centroids,
                    state,
                    drift,
                    drifted,
                    iterations,
                    distances,
                };
            }
            centroids = next;
        }
    }

    /// linfa's inertia of the run: the sum (by ndarray's `sum`, as linfa
    /// takes it) of each row's squared distance to the centroid the last
    /// step assigned it to.
    fn inertia(&self, x: ArrayView2<'_, f64>) -> f64 {
        let centroids = rows_of(&self.assigned_to);
        let dists: Array1<f64> = x
            .outer_iter()
            .zip(&self.state)
            .map(|(row, b)| sq_dist(row.to_slice().unwrap(), centroids[b.label as usize]))
            .collect();
        dists.sum()
    }
}

/// Rows of `x` as a contiguous view (a copy only when they are not): the
/// distance sums a contiguous row in four lanes, as linfa's does on the rows
/// it is given contiguous.
fn contiguous<'a>(x: ArrayView2<'a, f64>) -> ndarray::CowArray<'a, f64, ndarray::Ix2> {
    if x.is_standard_layout() {
        x.into()
    } else {
        x.as_standard_layout().into_owned().into()
    }
}

/// k-means on every row of `x` from the centroids `init`, as linfa's
/// `KMeans` with `KMeansInit::Precomputed(init)`, one run, the same
/// `tolerance` and `max_iterations` fits it (the same centroids to the
/// bit), and each row's nearest of the final centroids.
///
/// # Panics
/// When `init` has no rows, its width differs from `x`'s, or
/// `max_iterations` is 0.
pub fn refine(
    x: ArrayView2<'_, f64>,
    init: &Array2<f64>,
    tolerance: f64,
    max_iterations: u64,
) -> Refined {
    let rows = contiguous(x);
    let x = rows.view();
    let mut run = Run::from(x, init.clone(), tolerance, max_iterations);
    let geometry = Geometry::new(&run.centroids, &run.drift, run.drifted);
    let distances = run.distances + assign_all(x, &geometry, &mut run.state);
    Refined {
        labels: run.state.iter().map(|b| b.label as usize).collect(),
        centroids: run.centroids,
        iterations: run.iterations,
        distances,
    }
}

/// linfa's `KMeans` with `KMeansInit::KMeansPlusPlus`: `n_runs` runs, each
/// from k-means++ centroids drawn from one `Xoshiro256Plus` seeded with
/// `seed`, and the centroids of the run with the least inertia (the first of
/// equal ones). `None` when no run's inertia is a number (linfa's
/// `InertiaError`).
///
/// # Panics
/// When `k` is 0 or above the number of rows, or `n_runs` or
/// `max_iterations` is 0.
pub fn fit(
    x: ArrayView2<'_, f64>,
    k: usize,
    n_runs: usize,
    seed: u64,
    tolerance: f64,
    max_iterations: u64,
) -> Option<Fitted> {
    assert!(k > 0 && k <= x.nrows() && n_runs > 0);
    let rows = contiguous(x);
    let x = rows.view();
    // The runs draw their starts from one generator in turn; Lloyd's steps
    // draw nothing, so the runs themselves go two at a time.
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let starts: Vec<Array2<f64>> = (0..n_runs).map(|_| plus_plus(x, k, &mut rng)).collect();
    let runs = crate::parallel::map_on_two_threads(&starts, |init| {
        let run = Run::from(x, init.clone(), tolerance, max_iterations);
        (run.inertia(x), run.centroids)
    });
    let (mut best, mut least) = (None, f64::INFINITY);
    for (inertia, centroids) in runs {
        if inertia < least {
            least = inertia;
            best = Some(centroids);
        }
    }
    best.map(|centroids| Fitted {
        centroids,
        inertia: least / x.nrows() as f64,
    })
}

/// linfa's k-means++ (its `weighted_k_means_plusplus` with unit weights):
/// the first centroid a row drawn uniformly through `WeightedIndex`, each
/// next one a row drawn with weight its squared distance to the nearest
/// centroid so far (row 0 when every weight is zero). The nearest distance
/// so far is kept, and only the newest centroid measured: the same minimum
/// linfa finds measuring them all.
fn plus_plus(x: ArrayView2<'_, f64>, k: usize, rng: &mut Xoshiro256Plus) -> Array2<f64> {
    let n = x.nrows();
    let mut centroids = Array2::zeros((k, x.ncols()));
    let ones = Array1::<f64>::ones(n);
    let first = WeightedIndex::new(ones.iter())
        .expect("unit weights")
        .sample(rng);
    centroids.row_mut(0).assign(&x.row(first));
    let mut nearest = Array1::<f64>::zeros(n);
    for c in 1..k {
        let newest = centroids.row(c - 1);
        let newest = newest.to_slice().expect("a new array is row-major");
        for (d, row) in nearest.iter_mut().zip(x.outer_iter()) {
            let to_newest = sq_dist(row.to_slice().unwrap(), newest);
            // linfa's `closest_centroid`: the first centroid's distance,
            // then any strictly smaller one.
            if c == 1 || to_newest < *d {
                *d = to_newest;
            }
        }
        let next = WeightedIndex::new(nearest.iter())
            .map(|w| w.sample(rng))
            .unwrap_or(0);
        centroids.row_mut(c).assign(&x.row(next));
    }
    centroids
}

fn flat(a: &Array2<f64>) -> &[f64] {
    a.as_slice().expect("centroids are row-major")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::distance::{fit_kmeans, nearest_labels};
    use linfa_clustering::KMeansInit;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256Plus;

    fn bits(a: &Array2<f64>) -> Vec<u64> {
        a.iter().map(|v| v.to_bits()).collect()
    }

    /// `refine` against linfa's own fit from the same centroids: the same
    /// centroids to the bit, and labels equal to every row's nearest.
    fn same_as_linfa(x: ArrayView2<'_, f64>, init: &Array2<f64>, tol: f64, max: u64) -> Refined {
        let ours = refine(x, init, tol, max);
        let init_as = KMeansInit::Precomputed(init.clone());
        let theirs = fit_kmeans(x, init.nrows(), init_as, 1, 0, tol, max).unwrap();
        assert_eq!(
            bits(&ours.centroids),
            bits(theirs.centroids()),
            "centroids differ"
        );
        let cs = rows_of(&ours.centroids);
        assert_eq!(ours.labels, nearest_labels(x, None, &cs), "labels differ");
        ours
    }

    fn init_from(x: &Array2<f64>, rows: &[usize]) -> Array2<f64> {
        x.select(Axis(0), rows)
    }

    /// Seven loose blobs in seven dimensions (an odd width, so the distance's
    /// tail runs), over several tasks' worth of rows, from poor starting
    /// centroids: linfa's centroids, and most distances skipped.
    #[test]
    fn blobs_converge_to_linfas_centroids_with_fewer_distances() {
        let mut rng = Xoshiro256Plus::seed_from_u64(11);
        let (n, d, k) = (3 * CHUNK + 5, 7, 7);
        let centers: Vec<Vec<f64>> = (0..k)
            .map(|_| (0..d).map(|_| rng.gen_range(-6.0..6.0)).collect())
            .collect();
        let x = Array2::from_shape_fn((n, d), |(i, j)| {
            centers[i % k][j] + rng.gen_range(-2.5..2.5)
        });
        let init = init_from(&x, &[0, 1, 2, 3, 4, 5, 7]);
        let r = same_as_linfa(x.view(), &init, 1e-9, 300);
        assert!(r.iterations > 3 && r.iterations < 300, "{}", r.iterations);
        let linfa_distances = (k as u64 + 1) * n as u64 * r.iterations;
        assert!(
            r.distances * 3 < linfa_distances,
            "{} of {linfa_distances}",
            r.distances
        );
    }

    /// Uniform noise has no clusters: rows sit near boundaries for many
    /// steps, and the iteration limit stops it.
    #[test]
    fn noise_stopped_by_the_iteration_limit_matches_linfa() {
        let mut rng = Xoshiro256Plus::seed_from_u64(12);
        let x = Array2::from_shape_fn((20_000, 3), |_| rng.gen_range(0.0..1.0));
        let init = init_from(&x, &[10, 20, 30, 40, 50, 60, 70, 80]);
        let r = same_as_linfa(x.view(), &init, 1e-300, 40);
        assert_eq!(r.iterations, 40);
    }

    /// Enough rows for each step to give the later half of the rows their
    /// segments on a second thread (an odd number, so the halves differ):
    /// still linfa's centroids to the bit, as if the rows were summed on
    /// one thread.
    #[test]
    fn a_step_split_over_two_threads_matches_linfa() {
        let mut rng = Xoshiro256Plus::seed_from_u64(15);
        let n = SPLIT_STEP_ROWS + 1_001;
        let x = Array2::from_shape_fn((n, 3), |_| rng.gen_range(0.0..1.0));
        let init = init_from(&x, &[5, 50, 500, 5_000, 50_000]);
        let r = same_as_linfa(x.view(), &init, 1e-300, 25);
        assert_eq!(r.iterations, 25);
    }

    /// Rows on an integer grid, a centroid given twice and centroids at
    /// equal distances from many rows: exact ties everywhere, which only
    /// the full comparison settles (the first of equal distances).
    #[test]
    fn exact_ties_and_a_repeated_centroid_match_linfa() {
        let x = Array2::from_shape_fn((25 * 40, 2), |(i, j)| {
            let cell = i % 25;
            (if j == 0 { cell % 5 } else { cell / 5 }) as f64
        });
        let init = ndarray::array![[0.0, 0.0], [4.0, 0.0], [0.0, 0.0], [2.0, 2.0], [2.0, 2.0]];
        for max in [1, 2, 5, 300] {
            same_as_linfa(x.view(), &init, 1e-12, max);
        }
        let one = ndarray::array![[1.0, 3.0]];
        let r = same_as_linfa(x.view(), &one, 1e-12, 300);
        assert!(r.labels.iter().all(|&l| l == 0));
    }

    /// `fit` against linfa's `KMeans` with k-means++ starts: the same
    /// centroids and inertia to the bit, over seeds, k, restarts, and the
    /// screening's looser tolerance and iteration cap.
    #[test]
    fn plus_plus_runs_match_linfa() {
        let mut rng = Xoshiro256Plus::seed_from_u64(14);
        let x = Array2::from_shape_fn((2_500, 6), |(i, j)| {
            ((i % 4) * (j % 2)) as f64 * 2.0 + rng.gen_range(-1.0..1.0)
        });
        let grid = Array2::from_shape_fn((25 * 40, 2), |(i, j)| {
            let cell = i % 25;
            (if j == 0 { cell % 5 } else { cell / 5 }) as f64
        });
        let flat = Array2::from_elem((50, 3), 1.5);
        let cases = [
            (&x, 1, 1, 1, 1e-6, 300),
            (&x, 2, 3, 2, 1e-3, 20),
            (&x, 4, 10, 42, 1e-6, 300),
            (&x, 7, 3, 5, 1e-2, 20),
            (&x, 8, 2, 9, 1e-9, 300),
            // Many rows at distance zero from a chosen centroid.
            (&grid, 5, 4, 3, 1e-9, 300),
            // Every weight zero after the first centroid: linfa takes row 0.
            (&flat, 3, 2, 4, 1e-9, 300),
        ];
        for (x, k, runs, seed, tol, max) in cases {
            let ours = fit(x.view(), k, runs, seed, tol, max).unwrap();
            let plus_plus = KMeansInit::KMeansPlusPlus;
            let theirs = fit_kmeans(x.view(), k, plus_plus, runs, seed, tol, max).unwrap();
            assert_eq!(bits(&ours.centroids), bits(theirs.centroids()), "k = {k}");
            assert_eq!(
                ours.inertia.to_bits(),
                theirs.inertia().to_bits(),
                "k = {k}"
            );
        }
    }

    /// Rows that are not contiguous (a column-major matrix) give the same
    /// result as their row-major copy.
    #[test]
    fn column_major_rows_match_the_row_major_copy() {
        let mut rng = Xoshiro256Plus::seed_from_u64(13);
        let x = Array2::from_shape_fn((3_000, 5), |_| rng.gen_range(-1.0..1.0));
        let fortran = x.t().as_standard_layout().into_owned().reversed_axes();
        assert!(fortran.row(0).as_slice().is_none());
        let init = init_from(&x, &[1, 2, 3]);
        let a = refine(x.view(), &init, 1e-8, 300);
        let b = refine(fortran.view(), &init, 1e-8, 300);
        assert_eq!(bits(&a.centroids), bits(&b.centroids));
        assert_eq!(a.labels, b.labels);
    }
}
