//! What distinguishes each segment from the rest, in the features' original
//! units, on the features segments are drawn on; and how its accounts
//! stand on the features that are described, not clustered on.

use serde::Serialize;

use crate::features::{FeatureColumn, FeatureData, Gate, Role, Use};

/// One way a segment differs from all accounts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Distinction {
    pub feature: String,
    /// The level or list value, for categorical, list and binary features.
    pub level: Option<String>,
    /// `mean` (numeric features, original units) or `share` (0–1, of accounts having the level).
    pub measure: &'static str,
    pub segment_value: f64,
    pub overall_value: f64,
    /// Standardised difference: (segment − overall) / overall standard deviation.
    pub standardized_difference: f64,
    /// The difference in words, e.g. "industry = Fintech: 62% vs 9% overall".
    pub text: String,
}

/// How many distinctions are kept per segment.
pub const TOP_DISTINCTIONS: usize = 5;

fn fmt_num(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// The top distinctions of each segment, on the features the gate lets
/// segments be drawn on ([`Use::Segments`]). `labels[i]` is account i's
/// segment.
pub fn distinctions(
    gate: &Gate,
    features: &[FeatureColumn],
    labels: &[usize],
    k: usize,
) -> Vec<Vec<Distinction>> {
    let mut per: Vec<Vec<Distinction>> = vec![Vec::new(); k];
    for f in gate.features(features, Use::Segments) {
        match &f.data {
            FeatureData::Numeric(v) => mean_distinctions(f, v, labels, &mut per),
            _ => share_distinctions(f, labels, &mut per),
        }
    }
    for d in &mut per {
        d.sort_by(|a, b| {
            b.standardized_difference
                .abs()
                .total_cmp(&a.standardized_difference.abs())
                .then_with(|| a.text.cmp(&b.text))
        });
        d.truncate(TOP_DISTINCTIONS);
    }
    per
}

/// How a segment's accounts stand on one signal or relationship feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Description {
    pub feature: String,
    /// `share_above_median` (numeric: share of the segment's accounts above
    /// the all-accounts median) or `share_true` (binary).
    pub measure: &'static str,
    /// The segment's share, 0–1.
    pub share: f64,
    /// The same share over all accounts, 0–1.
    pub overall_share: f64,
    /// In words, e.g. "42% high intent_score".
    pub text: String,
}

/// Per segment, each numeric or binary feature of `role` the gate lets
/// describe segments ([`Use::Description`]) described as the share of its
/// accounts above the all-accounts median (numeric) or true (binary); nulls
/// are left out of both counts.
pub fn describe(
    gate: &Gate,
    features: &[FeatureColumn],
    labels: &[usize],
    k: usize,
    role: Role,
) -> Vec<Vec<Description>> {
    let mut per: Vec<Vec<Description>> = vec![Vec::new(); k];
    for f in gate
        .features(features, Use::Description)
        .filter(|f| f.spec.role == role)
    {
        let (measure, v, cut) = match &f.data {
            FeatureData::Numeric(v) => {
                let mut known: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
                if known.is_empty() {
                    continue;
                }
                known.sort_by(f64::total_cmp);
                let m = known.len();
                let median = if m % 2 == 1 {
                    known[m / 2]
                } else {
                    (known[m / 2 - 1] + known[m / 2]) / 2.0
                };
                ("share_above_median", v, median)
            }
            FeatureData::Binary(v) => ("share_true", v, 0.5),
            _ => continue,
        };
        let (mut seg, mut all) = (vec![(0.0, 0.0); k], (0.0f64, 0.0f64));
        for (&x, &l) in v.iter().zip(labels) {
            if x.is_nan() {
                continue;
            }
            let hit = f64::from(u8::from(x > cut));
            seg[l].0 += hit;
            seg[l].1 += 1.0;
            all.0 += hit;
            all.1 += 1.0;
        }
        let overall_share = all.0 / all.1.max(1.0);
        let word = if measure == "share_true" { "" } else { "high " };
        for (s, &(h, c)) in seg.iter().enumerate() {
            if c == 0.0 {
                continue;
            }
            let share = h / c;
            per[s].push(Description {
                feature: f.spec.name.clone(),
                measure,
                share,
                overall_share,
                text: format!("{:.0}% {word}{}", 100.0 * share, f.spec.name),
            });
        }
    }
    per
}

/// Each segment's mean of numeric feature `f` against the overall mean,
/// pushed onto `per[segment]`. Nothing for fewer than two known values or
/// none that differ.
fn mean_distinctions(f: &FeatureColumn, v: &[f64], labels: &[usize], per: &mut [Vec<Distinction>]) {
    let (mut sum, mut sq, mut cnt) = (0.0, 0.0, 0.0);
    let mut seg = vec![(0.0, 0.0); per.len()];
    for (&x, &l) in v.iter().zip(labels) {
        if x.is_nan() {
            continue;
        }
        sum += x;
        sq += x * x;
        cnt += 1.0;
        seg[l].0 += x;
        seg[l].1 += 1.0;
    }
    if cnt < 2.0 {
        return;
    }
    let mean = sum / cnt;
    let sd = (sq / cnt - mean * mean).max(0.0).sqrt();
    if sd == 0.0 {
        return;
    }
    for (s, &(ss, sc)) in seg.iter().enumerate() {
        if sc == 0.0 {
            continue;
        }
        let m = ss / sc;
        per[s].push(Distinction {
            feature: f.spec.name.clone(),
            level: None,
            measure: "mean",
            segment_value: m,
            overall_value: mean,
            standardized_difference: (m - mean) / sd,
            text: format!(
                "{}: mean {} vs {} overall",
                f.spec.name,
                fmt_num(m),
                fmt_num(mean)
            ),
        });
    }
}

/// For each level of `f`, each segment's share of accounts with it
/// against the overall share, pushed onto `per[segment]`. Nothing for a
/// level no account's value is known for, or that every account or none has.
fn share_distinctions(f: &FeatureColumn, labels: &[usize], per: &mut [Vec<Distinction>]) {
    for (li, level) in f.levels().iter().enumerate() {
        let mut seg = vec![(0.0, 0.0); per.len()];
        let (mut has, mut cnt) = (0.0, 0.0);
        for (i, &l) in labels.iter().enumerate() {
            if let Some(h) = f.has_level(i, li) {
                let h = f64::from(u8::from(h));
                has += h;
                cnt += 1.0;
                seg[l].0 += h;
                seg[l].1 += 1.0;
            }
        }
        if cnt == 0.0 {
            continue;
        }
        let p = has / cnt;
        let sd = (p * (1.0 - p)).sqrt();
        if sd == 0.0 {
            continue;
        }
        let label = f.level_label(li);
        for (s, &(sh, sc)) in seg.iter().enumerate() {
            if sc == 0.0 {
                continue;
            }
            let ps = sh / sc;
            per[s].push(Distinction {
                feature: f.spec.name.clone(),
                level: Some(level.to_string()),
                measure: "share",
                segment_value: ps,
                overall_value: p,
                standardized_difference: (ps - p) / sd,
                text: format!("{label}: {:.0}% vs {:.0}% overall", 100.0 * ps, 100.0 * p),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked by hand: intent 1, 2, 3, 4 (median 2.5) in segments 0, 0, 1,
    /// 1: none of segment 0 is high, all of segment 1; a yes/no
    /// relationship 1, 0, 1, null: half of segment 0, all of segment 1's
    /// one known value; the fit feature is not described.
    #[test]
    fn signals_and_relationships_are_described_as_shares() {
        use crate::features::{FeatureSpec, Transform};
        let spec = |name: &str, transform, role| FeatureSpec {
            name: name.into(),
            transform,
            nulls: 0,
            role,
            role_declared: true,
        };
        let numeric = Transform::Numeric {
            log: false,
            impute: 0.0,
            center: 0.0,
            scale: 1.0,
            missing_flag: false,
        };
        let features = vec![
            FeatureColumn {
                spec: spec("intent_score", numeric.clone(), Role::Signal),
                data: FeatureData::Numeric(vec![1.0, 2.0, 3.0, 4.0]),
            },
            FeatureColumn {
                spec: spec(
                    "exec_relationship",
                    Transform::Binary {
                        impute: 0.5,
                        missing_flag: false,
                    },
                    Role::Relationship,
                ),
                data: FeatureData::Binary(vec![1.0, 0.0, 1.0, f64::NAN]),
            },
            FeatureColumn {
                spec: spec("employees", numeric, Role::Fit),
                data: FeatureData::Numeric(vec![1.0, 2.0, 3.0, 4.0]),
            },
        ];
        let labels = [0, 0, 1, 1];
        let signals = describe(
            &Gate::new(&features, []),
            &features,
            &labels,
            2,
            Role::Signal,
        );
        let shares: Vec<(f64, f64)> = signals
            .iter()
            .map(|d| (d[0].share, d[0].overall_share))
            .collect();
        assert_eq!(shares, vec![(0.0, 0.5), (1.0, 0.5)]);
        assert_eq!(signals[1][0].text, "100% high intent_score");
        assert_eq!(signals[0].len(), 1);
        let rel = describe(
            &Gate::new(&features, []),
            &features,
            &labels,
            2,
            Role::Relationship,
        );
        assert_eq!(rel[0][0].share, 0.5);
        assert_eq!(rel[1][0].share, 1.0);
        assert!((rel[0][0].overall_share - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(rel[0][0].text, "50% exec_relationship");
        assert_eq!(rel[0][0].measure, "share_true");
        // Distinctions (and so names) come from the fit feature alone.
        let d = distinctions(&Gate::new(&features, []), &features, &labels, 2);
        assert!(
            d.iter().flatten().all(|x| x.feature == "employees"),
            "{d:?}"
        );
    }
}
