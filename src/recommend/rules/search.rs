//! The greedy searches: one condition at a time, the refinement with the
//! most value to the search among those the permutation guard lets
//! through, and the clearly poor single conditions that disqualify.

use super::condition::Condition;
use super::permutation::{null_rows, sums_over, worse_z, Null, PERMUTATION_SEED};
use super::refine::{refined, Numeric, Rows};
use super::tally::{Atoms, Levels};
use crate::stats::conversion::{proportions_ztest, wilson_interval, Alternative};

/// Share of the current wins a second or later broad criterion must keep.
pub const MIN_WIN_RETENTION: f64 = 0.9;

/// One-sided z of p = 0.01, the least a criterion must reach whatever the permutations say.
const MIN_Z: f64 = 2.326_347_874_040_841;

fn totals(mask: &[bool], won: &[f64], lost: &[f64]) -> (f64, f64) {
    let (mut w, mut l) = (0.0, 0.0);
    for i in 0..mask.len() {
        if mask[i] {
            w += won[i];
            l += lost[i];
        }
    }
    (w, l)
}

/// Won and lost deals of the accounts in `inside` that `mask` holds, and
/// how many accounts those are.
fn sums(mask: &[bool], inside: &[usize], won: &[f64], lost: &[f64]) -> (f64, f64, f64) {
    let (mut w, mut l, mut a) = (0.0, 0.0, 0.0);
    for &i in inside {
        if mask[i] {
            w += won[i];
            l += lost[i];
            a += 1.0;
        }
    }
    (w, l, a)
}

/// What a qualifying search looks for: a point of the frontier between
/// win rate and reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Search {
    /// Most wins at a win rate above the overall: FOIL gain, and each
    /// refinement after the first keeps [`MIN_WIN_RETENTION`] of the wins.
    Broad,
    /// The highest win rate at the minimum support: the refinement that
    /// best separates (largest z) among those holding at least the minimum
    /// share of accounts, with no retention of wins asked for, until no
    /// refinement leaves rows that win significantly less.
    Core,
}

/// How many times as often the rows a core refinement keeps must win as
/// those it removes: the lift the drivers call material.
pub const CORE_MIN_RATIO: f64 = 1.2;

/// One greedy step: the current rule set's won and lost deals and win rate.
struct Step {
    cw: f64,
    cl: f64,
    /// Wins the current rows' signals and relationships alone lead one to
    /// expect (see [`learn`]).
    ce: f64,
    rate: f64,
    /// Whether a refinement must keep [`MIN_WIN_RETENTION`] of the current wins.
    retain: bool,
    min_support: f64,
    /// Accounts a refinement must hold (0 for none).
    min_accounts: f64,
    search: Search,
}

impl Step {
    /// A candidate keeping `w` won and `l` lost deals of `accounts`
    /// accounts, whose signals and relationships lead one to expect `e`
    /// wins: its z (the accounts it removes win less, one-sided) and its
    /// value to the search (FOIL gain, or the z), or `None` when it lacks
    /// support, lift, materiality or win retention.
    fn score(&self, w: f64, l: f64, accounts: f64, e: &dyn Fn() -> f64) -> Option<(f64, f64)> {
        if w + l < self.min_support || w == 0.0 || accounts < self.min_accounts {
            return None;
        }
        let r = w / (w + l);
        if r < self.rate * 1.03 {
            return None;
        }
        // A broad refinement must keep most of the wins: the broad ICP says
        // who belongs on the list, not who is already hot.
        if self.retain && w < MIN_WIN_RETENTION * self.cw {
            return None;
        }
        let (rw, rl) = (self.cw - w, self.cl - l);
        // A core refinement must be material with signals and relationships
        // held fixed: the rows it keeps beat what their signals and
        // relationships predict at least CORE_MIN_RATIO times as much as
        // the rows it removes (observed over expected wins). A fit
        // condition that only stands in for a relationship (larger accounts
        // have more known contacts) wins as its relationships predict, on
        // both sides, and is not material. `e` (the kept rows' expected
        // wins) is summed only here, where it is read.
        if self.search == Search::Core && rw + rl > 0.0 {
            let e = e();
            let re = self.ce - e;
            if re > 0.0 && e > 0.0 && w / e < CORE_MIN_RATIO * (rw / re) {
                return None;
            }
        }
        let z = proportions_ztest(
            w as u64,
            (w + l) as u64,
            rw as u64,
            (rw + rl) as u64,
            Alternative::Greater,
        )?
        .statistic;
        let value = match self.search {
            Search::Broad => w * (r.log2() - self.rate.log2()),
            Search::Core => z,
        };
        Some((z, value))
    }
}

/// Candidates, which rows each matches, and the rows' won and lost counts.
pub(super) struct Table<'a> {
    pub(super) cands: &'a [Condition],
    pub(super) masks: &'a [Vec<bool>],
    pub(super) won: &'a [f64],
    pub(super) lost: &'a [f64],
    /// Each row's expected wins from its signals and relationships.
    pub(super) expected: &'a [f64],
    pub(super) min_support: f64,
    /// Categorical features, whose level sets are rebuilt under each shuffle.
    pub(super) cats: Vec<Levels>,
    /// The other candidates, by feature, as [`Atoms`].
    pub(super) atoms: Vec<Atoms>,
    /// The z the first qualifying step of the first search had to pass.
    pub(super) first_step_z: std::cell::Cell<Option<f64>>,
    /// The numeric features, whose chosen ranges' bounds are moved to fine cut points.
    pub(super) numeric: Vec<Numeric>,
}

impl Table<'_> {
    /// Qualifying criteria by a greedy `search` from the rows in `current`;
    /// a core refinement must hold `min_accounts` accounts.
    pub(super) fn qualifying(
        &self,
        mut current: Vec<bool>,
        max: usize,
        search: Search,
        min_accounts: f64,
    ) -> Vec<Condition> {
        let mut qualifying: Vec<Condition> = Vec::new();
        let mut used: Vec<String> = Vec::new();
        while qualifying.len() < max {
            let step = self.step(&current, qualifying.is_empty(), search, min_accounts);
            let Some((condition, mask)) = self.best_refinement(&current, &used, &step) else {
                break;
            };
            for (c, m) in current.iter_mut().zip(mask) {
                *c &= m;
            }
            used.push(condition.feature().to_string());
            qualifying.push(condition);
        }
        qualifying
    }

    /// The step of a `search` from the rows in `current`.
    fn step(&self, current: &[bool], first: bool, search: Search, min_accounts: f64) -> Step {
        let (cw, cl) = totals(current, self.won, self.lost);
        Step {
            cw,
            cl,
            ce: (0..current.len())
                .filter(|&i| current[i])
                .map(|i| self.expected[i])
                .sum(),
            rate: cw / (cw + cl).max(1.0),
            retain: search == Search::Broad && !first,
            min_support: self.min_support,
            min_accounts,
            search,
        }
    }

    /// The candidate on a feature not `used` with the most value to the
    /// step's search over the rows in `current`, among those that raise the
    /// win rate, cover `min_support` deals, and leave rows that win
    /// significantly less: a z past both [`MIN_Z`] and the step's
    /// permutation threshold. The threshold is of the broad step's
    /// statistic without its account minimum, which for the core search is
    /// the best over a superset of its candidates, so it errs on the safe side.
    fn best_refinement(
        &self,
        current: &[bool],
        used: &[String],
        step: &Step,
    ) -> Option<(Condition, Vec<bool>)> {
        use rand::SeedableRng;
        let (won, lost) = (self.won, self.lost);
        let is_used = |f: &str| used.iter().any(|u| u == f);
        let open: Vec<usize> = (0..self.cands.len())
            .filter(|&k| !is_used(self.cands[k].feature()))
            .filter(|k| !self.cats.iter().any(|c| c.cands.contains(k)))
            .collect();
        let open_cats: Vec<&Levels> = (self.cats.iter())
            .filter(|c| !is_used(&c.feature))
            .collect();
        let inside: Vec<usize> = (0..won.len()).filter(|&i| current[i]).collect();
        let mut rng =
            rand_xoshiro::Xoshiro256Plus::seed_from_u64(PERMUTATION_SEED + used.len() as u64);
        let rows = null_rows(&inside, &mut rng);
        let (nw, nl) = (sums_over(&rows, won), sums_over(&rows, lost));
        let null_step = Step {
            cw: nw,
            cl: nl,
            ce: 0.0,
            rate: nw / (nw + nl).max(1.0),
            retain: step.retain,
            min_support: self.min_support * (nw + nl) / (step.cw + step.cl).max(1.0),
            min_accounts: 0.0,
            search: Search::Broad,
        };
        let stat = |w: f64, l: f64| null_step.score(w, l, f64::INFINITY, &|| 0.0).map(|s| s.0);
        let open_atoms: Vec<&Atoms> = (self.atoms.iter())
            .filter(|a| !is_used(&a.feature))
            .collect();
        let threshold = self
            .null(&open_atoms, &open_cats)
            .permuted_best(&rows, &mut rng, &stat);
        if used.is_empty() && self.first_step_z.get().is_none() {
            self.first_step_z.set(Some(threshold.max(MIN_Z)));
        }
        // The step's candidates: the fixed ones, and each open categorical's
        // level sets ordered by win rate among the rows still in.
        let level_sets = (open_cats.iter()).flat_map(|c| {
            (c.sets(&inside, won, lost, self.min_support).into_iter()).map(move |set| {
                let mut names: Vec<String> = set.iter().map(|&l| c.names[l].clone()).collect();
                names.sort();
                let condition = Condition::In {
                    feature: c.feature.clone(),
                    levels: names,
                };
                let mask = c
                    .code
                    .iter()
                    .map(|x| set.contains(&(*x as usize)))
                    .collect();
                (condition, std::borrow::Cow::Owned(mask))
            })
        });
        let pre = self.atom_sums(&open_atoms, &inside);
        let fixed = (open.iter()).map(|&k| {
            (
                self.cands[k].clone(),
                std::borrow::Cow::Borrowed(&self.masks[k]),
                pre[k],
            )
        });
        let level_sets = level_sets.map(|(c, m)| (c, m, None));
        let mut best: Option<(f64, Condition, std::borrow::Cow<'_, Vec<bool>>)> = None;
        for (condition, mask, pre) in fixed.chain(level_sets) {
            let (w, l, a) = pre.unwrap_or_else(|| sums(&mask, &inside, won, lost));
            // In row order, as a sum of fractions depends on it.
            let e = || -> f64 {
                (inside.iter().filter(|&&i| mask[i]))
                    .map(|&i| self.expected[i])
                    .sum()
            };
            let Some((z, value)) = step.score(w, l, a, &e) else {
                continue;
            };
            if z <= threshold.max(MIN_Z) {
                continue;
            }
            if best.as_ref().is_none_or(|(g, ..)| value > *g) {
                best = Some((value, condition, mask));
            }
        }
        let (_, c, m) = best?;
        let rows = Rows {
            inside: &inside,
            won,
            lost,
            expected: self.expected,
        };
        let judge = |w: f64, l: f64, a: f64, e: f64| step.score(w, l, a, &|| e);
        Some(
            refined(&c, &self.numeric, &rows, &judge, threshold.max(MIN_Z))
                .unwrap_or((c, m.into_owned())),
        )
    }

    /// Per candidate of `atoms`, its won and lost deals and accounts among
    /// the rows `inside`, from one pass per feature (`None` for the rest).
    pub(super) fn atom_sums(
        &self,
        atoms: &[&Atoms],
        inside: &[usize],
    ) -> Vec<Option<(f64, f64, f64)>> {
        let mut out = vec![None; self.cands.len()];
        for g in atoms {
            let mut ins = vec![(0.0, 0.0, 0.0); g.n_atoms];
            for &i in inside {
                let t = &mut ins[g.atom[i] as usize];
                (t.0, t.1, t.2) = (t.0 + self.won[i], t.1 + self.lost[i], t.2 + 1.0);
            }
            for (&k, h) in g.cands.iter().zip(&g.holds) {
                let sum = |f: fn(&(f64, f64, f64)) -> f64| {
                    h.iter().fold(0.0, |s, &a| s + f(&ins[a as usize]))
                };
                out[k] = Some((sum(|t| t.0), sum(|t| t.1), sum(|t| t.2)));
            }
        }
        out
    }

    /// Disqualifying: clearly poor single conditions (95% Wilson upper bound
    /// below half the overall win rate) whose z against the rest is past the
    /// permutation threshold of the worst candidate's, worst first, one per
    /// feature.
    pub(super) fn disqualifying(&self, max: usize) -> Vec<Condition> {
        let (won, lost) = (self.won, self.lost);
        let (tw, tl) = totals(&vec![true; won.len()], won, lost);
        let overall = tw / (tw + tl).max(1.0);
        let worse = |w: f64, l: f64| worse_z(tw, tl, w, l, self.min_support);
        let worst_z = self.worst_null_z();
        let mut poor: Vec<(f64, usize)> = Vec::new();
        for (k, m) in self.masks.iter().enumerate() {
            let (w, l) = totals(m, won, lost);
            if w + l < self.min_support || worse(w, l).is_none_or(|z| z <= worst_z) {
                continue;
            }
            if let Some(iv) = wilson_interval(w as u64, (w + l) as u64, 0.95) {
                if iv.hi < 0.5 * overall {
                    poor.push((w / (w + l), k));
                }
            }
        }
        poor.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut disqualifying: Vec<Condition> = Vec::new();
        for (_, k) in poor {
            if disqualifying.len() == max {
                break;
            }
            let feature = self.cands[k].feature();
            if disqualifying.iter().any(|d| d.feature() == feature) {
                continue;
            }
            disqualifying.push(self.cands[k].clone());
        }
        disqualifying
    }

    /// The permutation threshold of the worst candidate's z over all rows.
    fn worst_null_z(&self) -> f64 {
        use rand::SeedableRng;
        let everyone: Vec<usize> = (0..self.won.len()).collect();
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(PERMUTATION_SEED.wrapping_sub(1));
        let rows = null_rows(&everyone, &mut rng);
        let (tw, tl) = (sums_over(&rows, self.won), sums_over(&rows, self.lost));
        let (aw, al) = (
            sums_over(&everyone, self.won),
            sums_over(&everyone, self.lost),
        );
        let min_support = self.min_support * (tw + tl) / (aw + al).max(1.0);
        let worse = |w: f64, l: f64| worse_z(tw, tl, w, l, min_support);
        let atoms: Vec<&Atoms> = self.atoms.iter().collect();
        let cats: Vec<&Levels> = self.cats.iter().collect();
        self.null(&atoms, &cats)
            .permuted_best(&rows, &mut rng, &worse)
    }

    /// The permutation guard over the candidates `atoms` and `cats`.
    fn null<'n>(&'n self, atoms: &'n [&'n Atoms], cats: &'n [&'n Levels]) -> Null<'n> {
        Null {
            atoms,
            cats,
            won: self.won,
            lost: self.lost,
            min_support: self.min_support,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tally::{atoms_of, MAX_ATOMS};
    use super::*;

    /// Summed by atom, each candidate's won and lost deals and accounts
    /// over some rows, and the best statistic of a feature's candidates,
    /// are those a pass over each candidate's mask gives: masks made of
    /// nested ranges (as a numeric feature's) and of random rows alike.
    #[test]
    fn atom_sums_are_the_sums_over_each_mask() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(3);
        let n = 600;
        let v: Vec<u32> = (0..n).map(|_| rng.gen_range(0..12)).collect();
        let mut masks: Vec<Vec<bool>> = Vec::new();
        let mut cands = Vec::new();
        for (a, b) in [(0, 3), (2, 7), (5, 11), (4, 4), (12, 20)] {
            masks.push(v.iter().map(|&x| (a..=b).contains(&x)).collect());
        }
        // Ten masks of random rows, as a list feature's values: their
        // combinations pass MAX_ATOMS, so they take more than one Atoms.
        for _ in 0..10 {
            masks.push((0..n).map(|_| rng.gen_bool(0.3)).collect());
        }
        for k in 0..masks.len() {
            let feature = if k < 5 { "ranges" } else { "random" };
            cands.push(Condition::Has {
                feature: feature.into(),
                value: k.to_string(),
            });
        }
        let won: Vec<f64> = (0..n).map(|_| f64::from(rng.gen_range(0..4u8))).collect();
        let lost: Vec<f64> = (0..n).map(|_| f64::from(rng.gen_range(0..4u8))).collect();
        let t = Table {
            cands: &cands,
            masks: &masks,
            won: &won,
            lost: &lost,
            expected: &won,
            min_support: 1.0,
            cats: Vec::new(),
            atoms: Vec::new(),
            first_step_z: std::cell::Cell::new(None),
            numeric: Vec::new(),
        };
        let atoms = atoms_of(&cands, &masks, &[], n);
        // Five nested ranges over twelve values split them into at most 11
        // atoms; each candidate is in exactly one Atoms.
        assert_eq!(atoms[0].cands, (0..5).collect::<Vec<_>>());
        assert!(atoms[0].n_atoms <= 11, "{}", atoms[0].n_atoms);
        assert!(atoms.len() > 2 && atoms.iter().all(|a| a.n_atoms <= MAX_ATOMS));
        let mut all: Vec<usize> = atoms.iter().flat_map(|a| a.cands.clone()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..masks.len()).collect::<Vec<_>>());
        let inside: Vec<usize> = (0..n).filter(|_| rng.gen_bool(0.7)).collect();
        let by_atom = t.atom_sums(&atoms.iter().collect::<Vec<_>>(), &inside);
        let stat = |w: f64, l: f64| (w > 0.0).then(|| w / (w + l) + 1e-3 * w);
        for (k, mask) in masks.iter().enumerate() {
            assert_eq!(by_atom[k], Some(sums(mask, &inside, &won, &lost)), "{k}");
        }
        for g in &atoms {
            let mut ins = vec![(0.0, 0.0); g.n_atoms];
            for &i in &inside {
                ins[g.atom[i] as usize].0 += won[i];
                ins[g.atom[i] as usize].1 += lost[i];
            }
            let direct = (g.cands.iter())
                .filter_map(|&k| {
                    let (w, l, _) = sums(&masks[k], &inside, &won, &lost);
                    stat(w, l)
                })
                .fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(g.best(&ins, &stat).to_bits(), direct.to_bits());
        }
    }
}
