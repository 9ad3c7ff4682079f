//! The conditions the search chooses from: ranges of a numeric feature
//! between readable cut points, a binary's yes and no, a list's values, and
//! sets of a categorical's levels, on the features criteria may rest on.

use super::condition::Condition;
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

/// `v` snapped to the nearest of 1, 2, 2.5, 5 and 10 times its power of
/// ten: a cut point a person reads at a glance.
fn readable(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let sign = v.signum();
    let a = v.abs();
    let e = 10f64.powf(a.log10().floor());
    let m = a / e;
    let snapped = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .min_by(|x, y| (x - m).abs().total_cmp(&(y - m).abs()))
        .unwrap_or(1.0);
    sign * snapped * e
}

/// Ranges of a numeric feature between readable deciles of its known values
/// (at least ten of them): at least, at most, and between each pair.
fn range_candidates(name: &str, v: &[f64], active: &[usize], out: &mut Vec<Condition>) {
    let mut present: Vec<f64> = (active.iter())
        .filter(|&&a| !v[a].is_nan())
        .map(|&a| v[a])
        .collect();
    present.sort_by(f64::total_cmp);
    if present.len() < 10 {
        return;
    }
    let mut cuts: Vec<f64> = (1..10)
        .map(|q| readable(present[q * present.len() / 10]))
        .collect();
    cuts.dedup();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_points_snap_to_readable_values() {
        assert_eq!(readable(183.0), 200.0);
        assert_eq!(readable(2140.0), 2000.0);
        assert_eq!(readable(2400.0), 2500.0);
        assert!((readable(0.37) - 0.25).abs() < 1e-15);
        assert_eq!(readable(7600.0), 10_000.0);
    }
}
