//! A chosen numeric range with its bounds moved to where the data puts
//! them: between the coarse cut points next to each bound, the fine cut
//! point (two significant digits) with the most value to the search.
//!
//! The permutation guard judges the coarse candidates only: whether a
//! criterion is kept is decided before its bounds move, so moving them
//! cannot raise the error rate. A moved range must still pass the step's
//! z threshold.

use super::condition::Condition;

/// A numeric feature criteria may rest on: its values per row of the
/// table (NaN unknown), its coarse and its fine cut points.
pub(super) struct Numeric {
    pub(super) feature: String,
    pub(super) values: Vec<f64>,
    pub(super) coarse: Vec<f64>,
    pub(super) fine: Vec<f64>,
}

/// What a range is judged by: from its won and lost deals, accounts and
/// expected wins, its z and its value to the search (`None` when it is
/// not a valid refinement at all).
pub(super) type Judge<'a> = &'a dyn Fn(f64, f64, f64, f64) -> Option<(f64, f64)>;

/// The rows a step searches and their deals.
pub(super) struct Rows<'a> {
    pub(super) inside: &'a [usize],
    pub(super) won: &'a [f64],
    pub(super) lost: &'a [f64],
    pub(super) expected: &'a [f64],
}

/// The inside rows with a known value, ascending by it, as prefix sums:
/// `sums[k]` is the (won, lost, accounts, expected) of the first `k`.
struct Sorted {
    values: Vec<f64>,
    sums: Vec<[f64; 4]>,
}

impl Sorted {
    fn new(values: &[f64], rows: &Rows) -> Sorted {
        let mut order: Vec<usize> = (rows.inside.iter().copied())
            .filter(|&i| !values[i].is_nan())
            .collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
        let mut sums = vec![[0.0; 4]; order.len() + 1];
        for (k, &i) in order.iter().enumerate() {
            let s = sums[k];
            sums[k + 1] = [
                s[0] + rows.won[i],
                s[1] + rows.lost[i],
                s[2] + 1.0,
                s[3] + rows.expected[i],
            ];
        }
        Sorted {
            values: order.iter().map(|&i| values[i]).collect(),
            sums,
        }
    }

    /// The sums of the rows with `lo <= value <= hi` (either open).
    fn between(&self, lo: Option<f64>, hi: Option<f64>) -> [f64; 4] {
        let a = lo.map_or(0, |lo| self.values.partition_point(|&x| x < lo));
        let b = hi.map_or(self.values.len(), |hi| {
            self.values.partition_point(|&x| x <= hi)
        });
        let (s, t) = (self.sums[a.min(b)], self.sums[b]);
        [t[0] - s[0], t[1] - s[1], t[2] - s[2], t[3] - s[3]]
    }
}

/// The fine cut points strictly between the coarse cut points on either
/// side of `at`, and `at` itself.
fn window(n: &Numeric, at: f64) -> Vec<f64> {
    let below = (n.coarse.iter().copied())
        .filter(|&c| c < at)
        .fold(f64::NEG_INFINITY, f64::max);
    let above = (n.coarse.iter().copied())
        .filter(|&c| c > at)
        .fold(f64::INFINITY, f64::min);
    let mut w: Vec<f64> = (n.fine.iter().copied())
        .filter(|&f| f > below && f < above)
        .collect();
    if !w.contains(&at) {
        w.push(at);
    }
    w
}

/// `c` with its bounds moved ([`window`]) to the pair with the most value
/// to the search whose z passes `min_z`, and its mask over all rows; `None`
/// when `c` is not a range of a feature in `numeric`.
pub(super) fn refined(
    c: &Condition,
    numeric: &[Numeric],
    rows: &Rows,
    judge: Judge,
    min_z: f64,
) -> Option<(Condition, Vec<bool>)> {
    let Condition::Range { feature, min, max } = c else {
        return None;
    };
    let n = numeric.iter().find(|n| n.feature == *feature)?;
    let sorted = Sorted::new(&n.values, rows);
    let los: Vec<Option<f64>> = match min {
        Some(a) => window(n, *a).into_iter().map(Some).collect(),
        None => vec![None],
    };
    let his: Vec<Option<f64>> = match max {
        Some(b) => window(n, *b).into_iter().map(Some).collect(),
        None => vec![None],
    };
    let value_of = |lo: Option<f64>, hi: Option<f64>| -> Option<f64> {
        let [w, l, a, e] = sorted.between(lo, hi);
        judge(w, l, a, e)
            .filter(|(z, _)| *z > min_z)
            .map(|(_, v)| v)
    };
    let mut best = (value_of(*min, *max)?, *min, *max);
    for &lo in &los {
        for &hi in &his {
            if lo.zip(hi).is_some_and(|(lo, hi)| lo > hi) {
                continue;
            }
            if let Some(v) = value_of(lo, hi) {
                if v > best.0 {
                    best = (v, lo, hi);
                }
            }
        }
    }
    let (_, lo, hi) = best;
    let mask = (n.values.iter())
        .map(|&x| !x.is_nan() && lo.is_none_or(|m| x >= m) && hi.is_none_or(|m| x <= m))
        .collect();
    let moved = Condition::Range {
        feature: feature.clone(),
        min: lo,
        max: hi,
    };
    Some((moved, mask))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1,000 rows valued 1..=1,000, one deal each; rows 312..=1,187 of a
    /// band would be cut at 300 and 1,200, here 312..=887 win. Coarse cuts
    /// at 250 and 1,000 (readable) move to the fine cuts nearest the
    /// band's edges that the judge prefers: the z of the band.
    #[test]
    fn a_range_moves_to_the_fine_cut_points_that_bound_the_winners() {
        let values: Vec<f64> = (1..=1000).map(f64::from).collect();
        let won: Vec<f64> = (1..=1000)
            .map(|v| f64::from(u8::from((312..=887).contains(&v))))
            .collect();
        let lost: Vec<f64> = won.iter().map(|w| 1.0 - w).collect();
        let present = values.clone();
        let n = Numeric {
            feature: "x".into(),
            coarse: super::super::cuts::coarse(&present),
            fine: super::super::cuts::fine(&present),
            values,
        };
        let inside: Vec<usize> = (0..1000).collect();
        let rows = Rows {
            inside: &inside,
            won: &won,
            lost: &lost,
            expected: &won,
        };
        // The judge: wins minus losses kept (a stand-in for a z).
        let judge = |w: f64, l: f64, _a: f64, _e: f64| Some((w - l, w - l));
        let c = Condition::Range {
            feature: "x".into(),
            min: Some(250.0),
            max: Some(1000.0),
        };
        let (moved, mask) = refined(&c, &[n], &rows, &judge, 0.0).unwrap();
        assert_eq!(
            moved,
            Condition::Range {
                feature: "x".into(),
                min: Some(310.0),
                max: Some(890.0),
            }
        );
        assert_eq!(mask.iter().filter(|&&m| m).count(), 581);
    }
}
