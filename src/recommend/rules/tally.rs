//! Candidates grouped so that a pass over the rows tallies them all: the
//! candidates of a numeric or list feature by the atoms their masks cut the
//! rows into, a categorical's by its levels, whose sets are rebuilt from
//! the tallies (under a shuffle of outcomes too, as the search builds them
//! on the data).

use super::condition::Condition;
use crate::features::OTHER;
use crate::features::{FeatureColumn, FeatureData, Transform};

/// Some candidates of one non-categorical feature, and each row's atom: the
/// rows alike in every one of these candidates' masks share an atom (a
/// numeric feature's nine cut points make at most twenty), so a
/// candidate's won and lost deals are the sums over the atoms it holds.
/// Deal counts are whole numbers, whose sums are exact in any order: summed
/// by atom they are the very totals a pass over the rows gives.
pub(super) struct Atoms {
    pub(super) feature: String,
    /// The candidates (indices into [`Table::cands`]).
    pub(super) cands: Vec<usize>,
    /// Per row of the table, its atom.
    pub(super) atom: Vec<u32>,
    pub(super) n_atoms: usize,
    /// Per candidate of `cands`, the atoms it holds.
    pub(super) holds: Vec<Vec<u32>>,
}

/// Most atoms of one [`Atoms`]: past it a feature's further candidates (a
/// list feature's values, whose combinations can double with each) start
/// another, so a shuffle costs one pass over the rows per [`Atoms`] and a
/// few dozen additions per candidate.
pub(super) const MAX_ATOMS: usize = 64;

/// The [`Atoms`] of each non-categorical feature with candidates, in the
/// order of their first candidate.
pub(super) fn atoms_of(
    cands: &[Condition],
    masks: &[Vec<bool>],
    cats: &[Levels],
    rows: usize,
) -> Vec<Atoms> {
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for k in (0..cands.len()).filter(|k| !cats.iter().any(|c| c.cands.contains(k))) {
        let feature = cands[k].feature();
        match groups.iter_mut().find(|(f, _)| *f == feature) {
            Some((_, ks)) => ks.push(k),
            None => groups.push((feature, vec![k])),
        }
    }
    let mut out = Vec::new();
    for (feature, ks) in groups {
        let mut rest = &ks[..];
        while !rest.is_empty() {
            let atoms = Atoms::new(feature, rest, masks, rows);
            rest = &rest[atoms.cands.len()..];
            out.push(atoms);
        }
    }
    out
}

impl Atoms {
    /// The atoms of the first of candidates `cands` (indices into `masks`)
    /// over `rows` rows: as many as keep them within [`MAX_ATOMS`], and at
    /// least one.
    fn new(feature: &str, cands: &[usize], masks: &[Vec<bool>], rows: usize) -> Atoms {
        let (mut atom, mut n_atoms) = (vec![0u32; rows], 1);
        let mut split_atom = vec![0u32; rows];
        let mut taken = 0;
        // Each mask splits every atom in two (or leaves it whole).
        for &k in cands {
            let mut split = vec![u32::MAX; 2 * n_atoms];
            let mut next = 0;
            for ((s, &a), &m) in split_atom.iter_mut().zip(&atom).zip(&masks[k]) {
                let key = 2 * a as usize + usize::from(m);
                if split[key] == u32::MAX {
                    split[key] = next;
                    next += 1;
                }
                *s = split[key];
            }
            if taken > 0 && next as usize > MAX_ATOMS {
                break;
            }
            std::mem::swap(&mut atom, &mut split_atom);
            n_atoms = next as usize;
            taken += 1;
        }
        let cands = &cands[..taken];
        // One row of each atom says which candidates hold it.
        let mut first = vec![usize::MAX; n_atoms];
        for (r, &a) in atom.iter().enumerate().rev() {
            first[a as usize] = r;
        }
        let holds = (cands.iter())
            .map(|&k| {
                (0..n_atoms as u32)
                    .filter(|&a| masks[k][first[a as usize]])
                    .collect()
            })
            .collect();
        Atoms {
            feature: feature.to_string(),
            cands: cands.to_vec(),
            atom,
            n_atoms,
            holds,
        }
    }

    /// The best statistic of this feature's candidates from each atom's won
    /// and lost deals `ins`.
    pub(super) fn best(&self, ins: &[(f64, f64)], stat: &dyn Fn(f64, f64) -> Option<f64>) -> f64 {
        (self.holds.iter())
            .filter_map(|h| {
                let (mut w, mut l) = (0.0, 0.0);
                for &a in h {
                    w += ins[a as usize].0;
                    l += ins[a as usize].1;
                }
                stat(w, l)
            })
            .fold(f64::NEG_INFINITY, f64::max)
    }
}

/// A categorical feature's level per row and its candidates' indices: its
/// level sets are ordered by observed win rate, so under a shuffle of
/// outcomes they are ordered afresh, as [`level_set_candidates`] would.
pub(super) struct Levels {
    pub(super) feature: String,
    pub(super) names: Vec<String>,
    pub(super) code: Vec<u32>,
    pub(super) n_levels: usize,
    pub(super) cands: Vec<usize>,
    /// The folded `other` level when its levels are not named: never in a set.
    pub(super) unnamed_other: Option<usize>,
}

/// The categorical features' [`Levels`] over the rows `active`.
pub(super) fn levels_of<'f>(
    features: impl Iterator<Item = &'f FeatureColumn>,
    active: &[usize],
    cands: &[Condition],
) -> Vec<Levels> {
    let mut out = Vec::new();
    for f in features {
        let (FeatureData::Categorical(codes), Transform::Categorical { levels, .. }) =
            (&f.data, &f.spec.transform)
        else {
            continue;
        };
        let cands = (0..cands.len())
            .filter(
                |&k| matches!(&cands[k], Condition::In { feature, .. } if *feature == f.spec.name),
            )
            .collect();
        out.push(Levels {
            feature: f.spec.name.clone(),
            names: levels.clone(),
            code: active.iter().map(|&a| codes[a]).collect(),
            n_levels: levels.len(),
            cands,
            unnamed_other: (f.folded().is_empty())
                .then(|| levels.iter().position(|l| l == OTHER))
                .flatten(),
        });
    }
    out
}

impl Levels {
    /// Won and lost deals per level from rows of (level code, won, lost).
    pub(super) fn tally(&self, rows: impl Iterator<Item = (u32, f64, f64)>) -> Vec<(f64, f64)> {
        let mut ins = vec![(0.0, 0.0); self.n_levels];
        for (code, won, lost) in rows {
            if let Some(s) = ins.get_mut(code as usize) {
                s.0 += won;
                s.1 += lost;
            }
        }
        ins
    }

    /// The levels with `min_support` closed deals in `ins`, best win rate
    /// first (the folded `other` left out when its levels are unnamed).
    fn ranked(&self, ins: &[(f64, f64)], min_support: f64) -> Vec<usize> {
        let rate = |l: usize| ins[l].0 / (ins[l].0 + ins[l].1);
        let mut order: Vec<usize> = (0..self.n_levels)
            .filter(|&l| ins[l].0 + ins[l].1 >= min_support && self.unnamed_other != Some(l))
            .collect();
        order.sort_by(|&a, &b| rate(b).total_cmp(&rate(a)).then(a.cmp(&b)));
        order
    }

    /// The level sets a step tries among the rows in `inside`, whose won
    /// and lost deals are `won` and `lost`: the levels with `min_support`
    /// closed deals there ordered by win rate ([`Levels::ranked`]), their
    /// best-first prefixes, then each level alone.
    pub(super) fn sets(
        &self,
        inside: &[usize],
        won: &[f64],
        lost: &[f64],
        min_support: f64,
    ) -> Vec<Vec<usize>> {
        let ins = self.tally(inside.iter().map(|&j| (self.code[j], won[j], lost[j])));
        let order = self.ranked(&ins, min_support);
        let mut sets: Vec<Vec<usize>> = (1..order.len()).map(|k| order[..k].to_vec()).collect();
        // The first level alone is already the first prefix.
        let singles = order.iter().skip(usize::from(order.len() > 1));
        sets.extend(singles.map(|&l| vec![l]));
        sets
    }

    /// The best statistic of this feature's level sets ([`Levels::sets`])
    /// from its levels' won and lost deals `ins` ([`Levels::tally`]).
    pub(super) fn best(
        &self,
        ins: &[(f64, f64)],
        min_support: f64,
        stat: &dyn Fn(f64, f64) -> Option<f64>,
    ) -> f64 {
        let order = self.ranked(ins, min_support);
        let (mut best, mut w, mut l) = (f64::NEG_INFINITY, 0.0, 0.0);
        for (k, &lv) in order.iter().enumerate() {
            best = stat(ins[lv].0, ins[lv].1).map_or(best, |z| best.max(z));
            if k + 1 < order.len() {
                (w, l) = (w + ins[lv].0, l + ins[lv].1);
                best = stat(w, l).map_or(best, |z| best.max(z));
            }
        }
        best
    }
}
