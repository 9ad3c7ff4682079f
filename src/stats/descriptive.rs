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
