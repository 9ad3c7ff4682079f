//! Descriptive statistics shared by every stage.

/// The median (mean of the two middle values for an even count), sorting `v`
/// in place. `None` when `v` is empty. Mirrors `numpy.median`.
pub fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    })
}

/// A cut for `x >= cut` that admits `lowest_in` and nothing at or below
/// `highest_out`: halfway between them. A cut placed on a training score
/// itself would leave that account one ulp from the edge, and an engine
/// whose `EXP` rounds differently (the model as SQL) could move it across;
/// halfway, it takes a difference the size of the gap. Without a value
/// below (or with none representable between the two), `lowest_in`.
pub fn cut_between(lowest_in: f64, highest_out: Option<f64>) -> f64 {
    match highest_out {
        Some(out) if out < lowest_in => {
            let mid = out + (lowest_in - out) / 2.0;
            if out < mid && mid < lowest_in {
                mid
            } else {
                lowest_in
            }
        }
        _ => lowest_in,
    }
}

/// [`median`] of small non-negative integers given as a histogram:
/// `counts[v]` values equal `v`.
pub fn median_counts(counts: &[u64]) -> Option<f64> {
    let n: u64 = counts.iter().sum();
    if n == 0 {
        return None;
    }
    // The value at 0-based sorted position `p`.
    let at = |p: u64| {
        let mut seen = 0;
        for (v, &c) in counts.iter().enumerate() {
            seen += c;
            if seen > p {
                return v as f64;
            }
        }
        unreachable!("position {p} is below the total {n}")
    };
    Some(if n % 2 == 1 {
        at(n / 2)
    } else {
        0.5 * (at(n / 2 - 1) + at(n / 2))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }

    /// Halfway between the last value in and the first out; no gap to
    /// split (nothing below, a tie, or adjacent doubles) leaves the value in.
    #[test]
    fn cut_sits_halfway_between_in_and_out() {
        assert_eq!(cut_between(0.5, Some(0.25)), 0.375);
        assert_eq!(cut_between(0.5, None), 0.5);
        assert_eq!(cut_between(0.5, Some(0.5)), 0.5);
        let next_down = f64::from_bits(0.5f64.to_bits() - 1);
        assert_eq!(cut_between(0.5, Some(next_down)), 0.5);
        let two_down = f64::from_bits(0.5f64.to_bits() - 2);
        assert_eq!(cut_between(0.5, Some(two_down)), next_down);
    }

    #[test]
    fn median_of_a_histogram_is_the_median_of_its_values() {
        // Values 1, 1, 4: median 1. Values 1, 1, 4, 5: median 2.5.
        assert_eq!(median_counts(&[0, 2, 0, 0, 1]), Some(1.0));
        assert_eq!(median_counts(&[0, 2, 0, 0, 1, 1]), Some(2.5));
        assert_eq!(median_counts(&[0, 0]), None);
        let mut values = vec![3.0, 0.0, 7.0, 3.0, 2.0, 9.0];
        let mut h = vec![0u64; 10];
        for v in &values {
            h[*v as usize] += 1;
        }
        assert_eq!(median_counts(&h), median(&mut values));
    }
}
