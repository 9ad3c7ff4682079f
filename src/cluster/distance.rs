//! The squared Euclidean distance k-means runs on, and each row's nearest
//! centroid by it: what choosing k, Lloyd's steps and labelling the accounts
//! all measure with. For the tests, linfa's own k-means with it.

use linfa_nn::distance::Distance;
use ndarray::{Array1, Array2, ArrayView, ArrayView2, Axis, Dimension};

/// Squared Euclidean distance, as linfa's `L2Dist`, summed in four lanes over
/// contiguous rows so the compiler can vectorise it: the distance is most of
/// the cost of k-means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqEuclidean;

/// `Σ (a_i − b_i)²` over two equal-length slices.
pub fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "points of different dimension");
    let mut lanes = [0.0; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..4 {
            let d = x[l] - y[l];
            lanes[l] += d * d;
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += (x - y) * (x - y);
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + tail
}

impl Distance<f64> for SqEuclidean {
    fn distance<D: Dimension>(&self, a: ArrayView<f64, D>, b: ArrayView<f64, D>) -> f64 {
        self.rdistance(a, b).sqrt()
    }

    #[inline]
    fn rdistance<D: Dimension>(&self, a: ArrayView<f64, D>, b: ArrayView<f64, D>) -> f64 {
        match (a.as_slice(), b.as_slice()) {
            (Some(a), Some(b)) => sq_dist(a, b),
            _ => {
                assert_eq!(a.shape(), b.shape(), "points of different dimension");
                a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum()
            }
        }
    }

    fn rdist_to_dist(&self, rdist: f64) -> f64 {
        rdist.sqrt()
    }

    fn dist_to_rdist(&self, dist: f64) -> f64 {
        dist * dist
    }
}

/// The rows of a (row-major) centroid matrix as slices.
pub(crate) fn rows_of(centroids: &Array2<f64>) -> Vec<&[f64]> {
    centroids
        .rows()
        .into_iter()
        .map(|r| r.to_slice().expect("centroids are row-major"))
        .collect()
}

/// The first nearest of `centroids` to `row` by [`sq_dist`]: k-means' own
/// assignment (linfa's `closest_centroid` keeps the first of equal
/// distances too).
pub fn nearest<'c>(row: &[f64], centroids: impl IntoIterator<Item = &'c [f64]>) -> usize {
    centroids
        .into_iter()
        .map(|c| sq_dist(row, c))
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(0, |(s, _)| s)
}

/// Rows per task of [`nearest_labels`]: enough to make a task's overhead
/// nothing, few enough to share the rows among the cores.
const LABEL_CHUNK: usize = 8_192;

/// Each row's [`nearest`] centroid, the row first multiplied column by
/// column by `weights` when given (as the centroids were fitted on `x *
/// weights`: the same products, so the same labels as on the weighted
/// copy), in parallel over blocks of rows.
pub fn nearest_labels(
    x: ArrayView2<'_, f64>,
    weights: Option<&[f64]>,
    centroids: &[&[f64]],
) -> Vec<usize> {
    use ndarray::parallel::prelude::*;
    if let Some(w) = weights {
        assert_eq!(w.len(), x.ncols(), "one weight per column");
    }
    let mut labels = Array1::<usize>::zeros(x.nrows());
    x.axis_chunks_iter(Axis(0), LABEL_CHUNK)
        .into_par_iter()
        .zip(labels.axis_chunks_iter_mut(Axis(0), LABEL_CHUNK))
        .for_each(|(rows, mut out)| {
            let mut buf = vec![0.0; rows.ncols()];
            for (row, l) in rows.outer_iter().zip(out.iter_mut()) {
                let row = match (weights, row.to_slice()) {
                    (None, Some(r)) => r,
                    (None, None) => {
                        buf.iter_mut().zip(row).for_each(|(o, v)| *o = *v);
                        &buf[..]
                    }
                    (Some(w), _) => {
                        for ((o, v), w) in buf.iter_mut().zip(row).zip(w) {
                            *o = v * w;
                        }
                        &buf[..]
                    }
                };
                *l = nearest(row, centroids.iter().copied());
            }
        });
    labels.into_raw_vec_and_offset().0
}

/// linfa's own k-means with [`SqEuclidean`] on `x` as it is, stopping at
/// `tolerance`: the reference [`super::lloyd`]'s fits and
/// [`nearest_labels`] are held to, bit for bit.
#[cfg(test)]
pub(crate) fn fit_kmeans(
    x: ArrayView2<'_, f64>,
    k: usize,
    init: linfa_clustering::KMeansInit<f64>,
    n_runs: usize,
    seed: u64,
    tolerance: f64,
    max_iterations: u64,
) -> crate::error::Result<linfa_clustering::KMeans<f64, SqEuclidean>> {
    use crate::error::Error;
    use linfa::prelude::{DatasetBase, Fit};
    use rand::SeedableRng;
    let rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(seed);
    let ds = DatasetBase::from(x);
    linfa_clustering::KMeans::params_with(k, rng, SqEuclidean)
        .n_runs(n_runs)
        .max_n_iterations(max_iterations)
        .tolerance(tolerance)
        .init_method(init)
        .fit(&ds)
        .map_err(|e| Error::Internal(format!("k-means with k = {k} failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::prelude::Predict;
    use linfa_clustering::KMeansInit;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256Plus;

    /// Worked by hand: the origin is 1 from each of (1, 0) and (-1, 0) and
    /// 3 from (0, 3): the first of the two nearest, as linfa assigns.
    #[test]
    fn nearest_keeps_the_first_of_equal_distances() {
        let (a, b, c) = ([1.0, 0.0], [-1.0, 0.0], [0.0, 3.0]);
        assert_eq!(nearest(&[0.0, 0.0], [&a[..], &b, &c]), 0);
        assert_eq!(nearest(&[0.0, 0.0], [&c[..], &b, &a]), 1);
        assert_eq!(nearest(&[0.0, 2.5], [&a[..], &b, &c]), 2);
    }

    /// Our labelling, weighting each row as it goes, against linfa's
    /// `predict` on the weighted copy, over more rows than one task holds
    /// and on a column-major view (rows not contiguous).
    #[test]
    fn nearest_labels_are_linfa_predict_on_the_weighted_copy() {
        let mut rng = Xoshiro256Plus::seed_from_u64(9);
        let (n, d) = (3 * LABEL_CHUNK + 17, 5);
        let x = Array2::from_shape_fn((n, d), |_| rng.gen_range(-3.0..3.0));
        let w = [0.5, 0.0, 1.7, 0.2, 1.0];
        let weighted = &x * &Array1::from(w.to_vec());
        let model = fit_kmeans(
            weighted.view(),
            6,
            KMeansInit::KMeansPlusPlus,
            1,
            3,
            1e-3,
            20,
        )
        .unwrap();
        let expect = model.predict(&weighted).to_vec();
        let cs = rows_of(model.centroids());
        assert_eq!(nearest_labels(x.view(), Some(&w), &cs), expect);
        assert_eq!(nearest_labels(weighted.view(), None, &cs), expect);
        let fortran = weighted
            .t()
            .as_standard_layout()
            .into_owned()
            .reversed_axes();
        assert!(fortran.row(0).as_slice().is_none());
        assert_eq!(nearest_labels(fortran.view(), None, &cs), expect);
        assert!(expect.contains(&5));
    }
}
