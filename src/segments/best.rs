//! Whether the best-converting segment converts better than chance: a
//! permutation test of account outcomes among fixed segments, run out of
//! sample on accounts whose outcomes shaped neither the weights nor the
//! segments.

use serde::Serialize;

/// Shuffles of account outcomes behind [`best_segment_test`].
pub const BEST_SEGMENT_PERMUTATIONS: usize = 1000;
/// Seed of those shuffles.
pub const BEST_SEGMENT_SEED: u64 = 42;

/// Whether the best-converting segment converts better than chance allows.
///
/// The segments were drawn on features weighted by their correlation with
/// winning on these same deals, and the best of k is picked after the fact,
/// so a deal-level test of it is too eager. Here the statistic is the
/// largest one-sided two-proportion z of a segment against the rest (the
/// best segment re-selected), and its null distribution comes from
/// shuffling each account's (won, lost) deals among the accounts, with the
/// segments held fixed: deals stay with their account, so clustering in
/// accounts is allowed for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BestSegmentTest {
    /// Index of the best segment as clustered (0-based, before ids).
    #[serde(skip)]
    pub segment: usize,
    /// Its z against the other segments' closed deals.
    pub z: f64,
    /// `(1 + #{shuffled best z ≥ z}) / (1 + permutations)`.
    pub p_value: f64,
    pub permutations: usize,
    pub seed: u64,
}

/// The segment with the largest z of its win rate against the rest's.
fn best_z(labels: &[usize], k: usize, won: &[f64], lost: &[f64]) -> Option<(usize, f64)> {
    let (mut w, mut c) = (vec![0.0; k], vec![0.0; k]);
    for (i, &s) in labels.iter().enumerate() {
        w[s] += won[i];
        c[s] += won[i] + lost[i];
    }
    let (tw, tc): (f64, f64) = (w.iter().sum(), c.iter().sum());
    (0..k)
        .filter_map(|s| {
            let t = crate::stats::proportions_ztest(
                w[s] as u64,
                c[s] as u64,
                (tw - w[s]) as u64,
                (tc - c[s]) as u64,
                crate::stats::Alternative::Greater,
            )?;
            Some((s, t.statistic))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// The permutation test of the best segment, from per-account won and lost
/// deal counts and the accounts' segments. `None` without two segments with
/// closed deals.
///
/// A shuffle is drawn as what it gives each segment rather than account
/// by account: segment after segment takes its number of accounts without
/// replacement from the outcomes left, one hypergeometric draw per kind of
/// (won, lost) pair. That is the law of a uniform shuffle of the outcomes
/// among fixed segments, at a cost that grows with the number of kinds,
/// not of accounts.
pub fn best_segment_test(
    labels: &[usize],
    k: usize,
    won: &[f64],
    lost: &[f64],
    seed: u64,
) -> Option<BestSegmentTest> {
    let (segment, z) = best_z(labels, k, won, lost)?;
    let (pairs, kinds) = outcome_kinds(won, lost);
    let mut sizes = vec![0u64; k];
    for &s in labels {
        sizes[s] += 1;
    }
    let at_least = count_at_least(&sizes, &pairs, &kinds, seed, z);
    Some(BestSegmentTest {
        segment,
        z,
        p_value: (1 + at_least) as f64 / (1 + BEST_SEGMENT_PERMUTATIONS) as f64,
        permutations: BEST_SEGMENT_PERMUTATIONS,
        seed,
    })
}

/// The distinct (won, lost) pairs of the accounts, in order of first
/// appearance, and how many accounts have each.
fn outcome_kinds(won: &[f64], lost: &[f64]) -> (Vec<(f64, f64)>, Vec<u64>) {
    let mut index: std::collections::HashMap<(u64, u64), usize> = Default::default();
    let (mut pairs, mut counts) = (Vec::new(), Vec::new());
    for (&w, &l) in won.iter().zip(lost) {
        let at = *index.entry((w.to_bits(), l.to_bits())).or_insert_with(|| {
            pairs.push((w, l));
            counts.push(0);
            pairs.len() - 1
        });
        counts[at] += 1;
    }
    (pairs, counts)
}

/// How many of [`BEST_SEGMENT_PERMUTATIONS`] shuffles of the accounts'
/// outcomes among segments of `sizes` reach a best z of at least `z`;
/// `kinds[t]` accounts have the outcome `pairs[t]`.
fn count_at_least(sizes: &[u64], pairs: &[(f64, f64)], kinds: &[u64], seed: u64, z: f64) -> usize {
    use rand::SeedableRng;
    let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(seed);
    let k = sizes.len();
    // `best_z` over per-segment totals: segment s is "account" s.
    let each_own: Vec<usize> = (0..k).collect();
    let (mut w, mut l) = (vec![0.0; k], vec![0.0; k]);
    let mut left = kinds.to_vec();
    let mut at_least = 0;
    for _ in 0..BEST_SEGMENT_PERMUTATIONS {
        left.copy_from_slice(kinds);
        let mut pool: u64 = kinds.iter().sum();
        for (s, &size) in sizes.iter().enumerate() {
            // Accounts still to draw for this segment, and those left in
            // the kinds not yet drawn from.
            let (mut need, mut rest) = (size, pool);
            (w[s], l[s]) = (0.0, 0.0);
            for (t, &(pw, pl)) in pairs.iter().enumerate() {
                if need == 0 {
                    break;
                }
                let x = crate::stats::hypergeometric_draw(&mut rng, left[t], rest - left[t], need);
                rest -= left[t];
                left[t] -= x;
                need -= x;
                w[s] += x as f64 * pw;
                l[s] += x as f64 * pl;
            }
            pool -= size;
        }
        if best_z(&each_own, k, &w, &l).is_some_and(|(_, x)| x >= z) {
            at_least += 1;
        }
    }
    at_least
}

/// The best-segment test out of sample. The outcome weights are fitted on
/// the deals of a seeded half of the accounts (`seed`), the run's k
/// segments are fitted again on those weights, on the clustering's seeded
/// fit sample ([`crate::cluster::fit_k_on_sample`]: the chosen k's fit
/// without the refine on every account), every account takes its nearest
/// centroid, and [`best_segment_test`] runs on the other half's accounts
/// alone: their outcomes shaped neither the weights nor the segments (the
/// sample's features are all the fit sees of them), so shuffling them among
/// fixed segments is a valid null. `None` when the refit fails or the
/// held-out half has closed deals in fewer than two segments.
///
/// Only the columns `keep` marks are clustered on (the others count as
/// zero): `x` is used as it is, with no weighted copy of it.
pub fn held_out_best_segment_test(
    x: &ndarray::Array2<f64>,
    keep: &[bool],
    deal_account: &[u32],
    deal_won: &[Option<bool>],
    k: usize,
    params: &crate::cluster::ClusterConfig,
) -> Option<BestSegmentTest> {
    use rand::{Rng, SeedableRng};
    let n = x.nrows();
    let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(params.seed ^ BEST_SEGMENT_SEED);
    let fit_half: Vec<bool> = (0..n).map(|_| rng.gen_bool(0.5)).collect();
    let fit_won: Vec<Option<bool>> = deal_account
        .iter()
        .zip(deal_won)
        .map(|(&a, &w)| w.filter(|_| fit_half[a as usize]))
        .collect();
    // A column left out weighs 0, as a column of zeros would (no variance),
    // so the weighted rows are those of `x` with those columns zeroed, to
    // the sign of each zero.
    let mut weights = crate::features::encode::outcome_weights(x, deal_account, &fit_won);
    for (w, &kept) in weights.iter_mut().zip(keep) {
        *w *= f64::from(u8::from(kept));
    }
    let (labels, _) = crate::cluster::fit_k_on_sample(x.view(), &weights, k, params).ok()?;
    // Per account, its place among the held-out ones (`u32::MAX` for the
    // fit half): a vector, not a map, as it is read once per deal.
    let mut held_at = vec![u32::MAX; n];
    let mut held_labels = Vec::with_capacity(n / 2 + 1);
    for a in (0..n).filter(|&a| !fit_half[a]) {
        held_at[a] = held_labels.len() as u32;
        held_labels.push(labels[a]);
    }
    let (mut won, mut lost) = (vec![0.0; held_labels.len()], vec![0.0; held_labels.len()]);
    for (&a, &w) in deal_account.iter().zip(deal_won) {
        let j = held_at[a as usize];
        match w {
            Some(true) if j != u32::MAX => won[j as usize] += 1.0,
            Some(false) if j != u32::MAX => lost[j as usize] += 1.0,
            _ => {}
        }
    }
    best_segment_test(&held_labels, k, &won, &lost, params.seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The p-value of drawn shuffles against the exact permutation p-value:
    /// 9 accounts in segments of 2, 3 and 4, every one of the 1,260 ways
    /// to place them enumerated (accounts are told apart by their place,
    /// so each way stands for the same number of permutations). Then a
    /// larger table against shuffling the accounts one by one, as the test
    /// was first written. Both within four Monte Carlo standard errors.
    #[test]
    fn drawn_shuffles_give_the_permutation_p_value() {
        use rand::{seq::SliceRandom, Rng, SeedableRng};
        let mc = BEST_SEGMENT_PERMUTATIONS as f64;
        let within = |p: f64, reference: f64, sd: f64| {
            assert!(
                (p - reference).abs() <= 4.0 * sd + 1.0 / mc,
                "{p} vs {reference}"
            );
        };
        let labels = [0, 0, 1, 1, 1, 2, 2, 2, 2];
        let won = [2.0, 0.0, 1.0, 3.0, 0.0, 1.0, 0.0, 2.0, 1.0];
        let lost = [0.0, 1.0, 1.0, 0.0, 2.0, 1.0, 1.0, 0.0, 3.0];
        let (_, z) = best_z(&labels, 3, &won, &lost).unwrap();
        let (mut ways, mut at_least) = (0, 0);
        for code in 0..3usize.pow(9) {
            let placed: Vec<usize> = (0..9).map(|i| code / 3usize.pow(i) % 3).collect();
            let sizes: Vec<usize> = (0..3)
                .map(|s| placed.iter().filter(|&&p| p == s).count())
                .collect();
            if sizes != [2, 3, 4] {
                continue;
            }
            ways += 1;
            at_least += usize::from(best_z(&placed, 3, &won, &lost).unwrap().1 >= z);
        }
        assert_eq!(ways, 1260);
        let exact = at_least as f64 / ways as f64;
        assert!(exact > 0.05 && exact < 0.95, "{exact}");
        let t = best_segment_test(&labels, 3, &won, &lost, 5).unwrap();
        within(t.p_value, exact, (exact * (1.0 - exact) / mc).sqrt());

        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(7);
        let n = 300;
        let labels: Vec<usize> = (0..n).map(|_| rng.gen_range(0..3)).collect();
        // Segment 2 wins a little more, so the p-value is neither 0 nor 1.
        let won: Vec<f64> = (labels.iter())
            .map(|&s| f64::from(rng.gen_range(0..4 + u32::from(s == 2))))
            .collect();
        let lost: Vec<f64> = (0..n).map(|_| f64::from(rng.gen_range(0..4))).collect();
        let (_, z) = best_z(&labels, 3, &won, &lost).unwrap();
        let mut order: Vec<usize> = (0..n).collect();
        let (mut pw, mut pl) = (won.clone(), lost.clone());
        let mut shuffled_at_least = 0;
        for _ in 0..BEST_SEGMENT_PERMUTATIONS {
            order.shuffle(&mut rng);
            for (a, &b) in order.iter().enumerate() {
                pw[a] = won[b];
                pl[a] = lost[b];
            }
            shuffled_at_least += usize::from(best_z(&labels, 3, &pw, &pl).unwrap().1 >= z);
        }
        let shuffled = shuffled_at_least as f64 / mc;
        assert!(shuffled > 0.05 && shuffled < 0.95, "{shuffled}");
        let t = best_segment_test(&labels, 3, &won, &lost, 11).unwrap();
        within(
            t.p_value,
            shuffled,
            (2.0 * shuffled * (1.0 - shuffled) / mc).sqrt(),
        );
    }

    /// Segment 1's 50 accounts win all of their 3 deals, segment 0's none:
    /// no shuffle of account outcomes over 100 accounts matches that split
    /// (one chance in C(100, 50)), so p is the smallest possible, 1/1001.
    /// With every account alike, every shuffle ties and p is 1. Best z by
    /// hand for 1 of 2 against 0 of 2: pooled 0.25, z = 0.5 / sqrt(0.25 ·
    /// 0.75 · (1/2 + 1/2)) = 1.1547.
    #[test]
    fn the_best_segment_test_is_smallest_for_a_clean_split_and_one_for_a_tie() {
        let labels: Vec<usize> = (0..100).map(|i| usize::from(i >= 50)).collect();
        let won: Vec<f64> = labels.iter().map(|&s| 3.0 * s as f64).collect();
        let lost: Vec<f64> = won.iter().map(|w| 3.0 - w).collect();
        let t = best_segment_test(&labels, 2, &won, &lost, 1).unwrap();
        assert_eq!(t.segment, 1);
        assert_eq!(t.p_value, 1.0 / 1001.0);
        let same = best_segment_test(&labels, 2, &[1.0; 100], &[1.0; 100], 1).unwrap();
        assert_eq!(same.p_value, 1.0);
        let (s, z) = best_z(&[0, 1], 2, &[1.0, 0.0], &[1.0, 2.0]).unwrap();
        assert_eq!(s, 0);
        assert!((z - 0.5 / (0.25f64 * 0.75).sqrt()).abs() < 1e-12, "{z}");
    }
}
