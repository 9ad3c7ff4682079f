//! The conditions the search chooses from: ranges of a numeric feature
//! between coarse cut points, a binary's yes and no, a list's values, and
//! sets of a categorical's levels, on the features criteria may rest on.

use super::condition::Condition;
use super::cuts;
use crate::features::OTHER;
use crate::features::{FeatureColumn, FeatureData, Gate, Transform, Use};

/// The rows candidates are drawn from: the accounts with closed deals
/// (`active[j]` is row `j`'s account) and each row's won and lost deals.
pub(super) struct ActiveRows<'a> {
    pub(super) active: &'a [usize],
    pub(super) won: &'a [f64],
    pub(super) lost: &'a [f64],
}

/// Candidate conditions, from every feature the gate lets criteria rest on
/// (fit features, not shut as likely post-outcome).
pub(super) fn candidates(
    features: &[FeatureColumn],
    rows: &ActiveRows,
    min_support: f64,
    gate: &Gate,
) -> Vec<Condition> {
    let mut out = Vec::new();
    for f in gate.features(features, Use::IcpCriterion) {
        let name = &f.spec.name;
        match (&f.data, &f.spec.transform) {
            (FeatureData::Numeric(v), _) => range_candidates(name, v, rows.active, &mut out),
            (FeatureData::Binary(_), _) => {
                for value in ["true", "false"] {
                    out.push(Condition::Has {
                        feature: name.clone(),
                        value: value.into(),
                    });
                }
            }
            (FeatureData::List { .. }, Transform::List { values, .. }) => {
                for v in values {
                    out.push(Condition::Has {
                        feature: name.clone(),
                        value: v.clone(),
                    });
                }
            }
            (FeatureData::Categorical(codes), Transform::Categorical { levels, .. }) => {
                let categorical = Categorical {
                    name,
                    codes,
                    levels,
                    // A folded `other` whose levels are not known cannot be
                    // named, so it is left out rather than written bare.
                    named: !f.folded().is_empty(),
                };
                level_set_candidates(&categorical, rows, min_support, &mut out);
            }
            _ => {}
        }
    }
    out
}

/// Ranges of a numeric feature between its coarse cut points
/// ([`cuts::coarse`], with at least ten known values): at least, at most,
/// and between each pair.
fn range_candidates(name: &str, v: &[f64], active: &[usize], out: &mut Vec<Condition>) {
    let cuts = cuts::coarse(&cuts::sorted_present(v, active));
    let range = |min, max| Condition::Range {
        feature: name.to_string(),
        min,
        max,
    };
    for &c in &cuts {
        out.push(range(Some(c), None));
        out.push(range(None, Some(c)));
    }
    for (i, &a) in cuts.iter().enumerate() {
        for &b in &cuts[i + 1..] {
            out.push(range(Some(a), Some(b)));
        }
    }
}

/// A categorical feature: its name, each account's level code, its levels,
/// and whether the levels of its folded `other` are known (`named`).
struct Categorical<'a> {
    name: &'a str,
    codes: &'a [u32],
    levels: &'a [String],
    named: bool,
}

/// Sets of a categorical's levels: levels with `min_support` closed deals
/// by win rate, best first; sets are the best-first prefixes, then each
/// level alone. The folded `other` level takes part only when its levels
/// are `named`.
fn level_set_candidates(
    c: &Categorical,
    rows: &ActiveRows,
    min_support: f64,
    out: &mut Vec<Condition>,
) {
    let Categorical {
        name,
        codes,
        levels,
        named,
    } = *c;
    let ActiveRows { active, won, lost } = *rows;
    let mut stats = vec![(0.0, 0.0); levels.len()];
    for j in 0..won.len() {
        if let Some(s) = stats.get_mut(codes[active[j]] as usize) {
            s.0 += won[j];
            s.1 += won[j] + lost[j];
        }
    }
    // The folded `other` level is a criterion too: its text names the levels.
    let mut order: Vec<usize> = (0..levels.len())
        .filter(|&l| stats[l].1 >= min_support && (named || levels[l] != OTHER))
        .collect();
    order.sort_by(|&a, &b| {
        (stats[b].0 / stats[b].1)
            .total_cmp(&(stats[a].0 / stats[a].1))
            .then(a.cmp(&b))
    });
    for k in 1..order.len() {
        let mut set: Vec<String> = order[..k].iter().map(|&l| levels[l].clone()).collect();
        set.sort();
        out.push(Condition::In {
            feature: name.to_string(),
            levels: set,
        });
    }
    for &l in &order {
        let single = Condition::In {
            feature: name.to_string(),
            levels: vec![levels[l].clone()],
        };
        if !out.contains(&single) {
            out.push(single);
        }
    }
}
