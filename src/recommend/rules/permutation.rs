//! The permutation guard of each step: the best candidate's statistic when
//! the accounts' outcomes are shuffled among the rows in play, whose
//! 99th percentile a criterion must pass.

use super::tally::{Atoms, Levels};
use crate::stats::conversion::{proportions_ztest, Alternative};

/// Permutations of account outcomes behind each step's threshold.
pub const PERMUTATIONS: usize = 200;
/// Seed of the permutations; step `s` (0-based) uses `PERMUTATION_SEED + s`.
pub const PERMUTATION_SEED: u64 = 42;
/// Percentile (per mille) of the permuted best statistic a criterion must
/// pass. The qualifying search and the disqualifying one are each held at
/// 1%, so on outcomes unrelated to the features the chance that either
/// keeps a criterion is at most 2% (later qualifying steps only follow a
/// first one that held): "no ICP found" on null data must hold in 95 runs
/// of 100 reliably, which a 5% rate would not.
const PERMILLE: usize = 990;
/// The permutation threshold is measured on at most this many rows (a
/// seeded sample of the rows in play beyond it, with the support minimum
/// scaled to the sample's share of deals). Under shuffled outcomes a z is
/// standard normal at any size, and the candidates' overlap, which sets the
/// best one's spread, does not depend on the size either, so the threshold
/// is the same; shuffling 100,000 accounts 200 times per step is not.
pub const NULL_ROWS: usize = 5_000;

/// One-sided z that the rows a condition leaves out (of `tw` won and `tl`
/// lost) win more than the `w` won and `l` lost it holds.
pub(super) fn worse_z(tw: f64, tl: f64, w: f64, l: f64, min_support: f64) -> Option<f64> {
    if w + l < min_support {
        return None;
    }
    let z = proportions_ztest(
        (tw - w) as u64,
        (tw + tl - w - l) as u64,
        w as u64,
        (w + l) as u64,
        Alternative::Greater,
    )?;
    Some(z.statistic)
}

/// The rows a permutation threshold is measured on: `rows` itself up to
/// [`NULL_ROWS`], else a seeded sample of that many, in ascending order.
pub(super) fn null_rows(rows: &[usize], rng: &mut rand_xoshiro::Xoshiro256Plus) -> Vec<usize> {
    if rows.len() <= NULL_ROWS {
        return rows.to_vec();
    }
    let mut picked = rand::seq::index::sample(rng, rows.len(), NULL_ROWS).into_vec();
    picked.sort_unstable();
    picked.into_iter().map(|i| rows[i]).collect()
}

/// The sum of `v` over `rows`.
pub(super) fn sums_over(rows: &[usize], v: &[f64]) -> f64 {
    rows.iter().map(|&i| v[i]).sum()
}

/// What a permutation threshold is measured over: the open candidates, as
/// [`Atoms`] and [`Levels`], and the rows' won and lost deals that are
/// shuffled.
pub(super) struct Null<'a> {
    pub(super) atoms: &'a [&'a Atoms],
    pub(super) cats: &'a [&'a Levels],
    pub(super) won: &'a [f64],
    pub(super) lost: &'a [f64],
    /// Closed deals a candidate must cover.
    pub(super) min_support: f64,
}

impl Null<'_> {
    /// The [`PERMILLE`] percentile of the best open candidate's statistic
    /// when the accounts' (won, lost) deals are shuffled among the rows in
    /// `inside`: what the best of these candidates reaches by chance one
    /// time in a hundred. Categorical level sets are rebuilt under each shuffle.
    pub(super) fn permuted_best(
        &self,
        inside: &[usize],
        rng: &mut rand_xoshiro::Xoshiro256Plus,
        stat: &dyn Fn(f64, f64) -> Option<f64>,
    ) -> f64 {
        use rand::seq::SliceRandom;
        // Everything a shuffle reads, gathered once into arrays over the
        // rows `inside`: a few thousand rows stay in cache where the full
        // columns do not. A shuffle then tallies each feature's atoms or
        // levels in one pass, and its candidates add up those tallies.
        let at = |v: &[f64]| -> Vec<f64> { inside.iter().map(|&i| v[i]).collect() };
        let (won, lost) = (at(self.won), at(self.lost));
        let atoms: Vec<Vec<u32>> = (self.atoms.iter())
            .map(|g| inside.iter().map(|&i| g.atom[i]).collect())
            .collect();
        let codes: Vec<Vec<u32>> = (self.cats.iter())
            .map(|c| inside.iter().map(|&i| c.code[i]).collect())
            .collect();
        let (mut pw, mut pl) = (won.clone(), lost.clone());
        let mut order: Vec<usize> = (0..inside.len()).collect();
        let mut ins: Vec<(f64, f64)> = Vec::new();
        let mut best: Vec<f64> = (0..PERMUTATIONS)
            .map(|_| {
                order.shuffle(rng);
                for (j, &b) in order.iter().enumerate() {
                    pw[j] = won[b];
                    pl[j] = lost[b];
                }
                let mut best = f64::NEG_INFINITY;
                for (g, atom) in self.atoms.iter().zip(&atoms) {
                    ins.clear();
                    ins.resize(g.n_atoms, (0.0, 0.0));
                    for ((&a, &w), &l) in atom.iter().zip(&pw).zip(&pl) {
                        let t = &mut ins[a as usize];
                        t.0 += w;
                        t.1 += l;
                    }
                    best = best.max(g.best(&ins, stat));
                }
                (self.cats.iter().zip(&codes))
                    .map(|(c, code)| {
                        let ins = c.tally(
                            code.iter()
                                .zip(&pw)
                                .zip(&pl)
                                .map(|((&k, &w), &l)| (k, w, l)),
                        );
                        c.best(&ins, self.min_support, stat)
                    })
                    .fold(best, f64::max)
            })
            .collect();
        best.sort_by(f64::total_cmp);
        best[(PERMUTATIONS * PERMILLE).div_ceil(1000) - 1]
    }
}
