//! What distinguishes each segment from the rest, in the features' original
//! units, and a short readable name built from it.

use serde::Serialize;

use crate::features::infer::OTHER;
use crate::features::{FeatureColumn, FeatureData};

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

/// The top distinctions of each segment. `labels[i]` is account i's segment.
pub fn distinctions(
    features: &[FeatureColumn],
    labels: &[usize],
    k: usize,
) -> Vec<Vec<Distinction>> {
    let mut per: Vec<Vec<Distinction>> = vec![Vec::new(); k];
    for f in features {
        match &f.data {
            FeatureData::Numeric(v) => mean_distinctions(f, v, labels, &mut per),
            _ => {
                for (li, level) in f.levels().iter().enumerate() {
                    share_distinctions(f, (li, level), labels, &mut per);
                }
            }
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

/// Each segment's share of accounts with level `li` (named `level`) of `f`
/// against the overall share, pushed onto `per[segment]`.
fn share_distinctions(
    f: &FeatureColumn,
    (li, level): (usize, &str),
    labels: &[usize],
    per: &mut [Vec<Distinction>],
) {
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
        return;
    }
    let p = has / cnt;
    let sd = (p * (1.0 - p)).sqrt();
    if sd == 0.0 {
        return;
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

/// Categoricals with at most this many levels are named with their field
/// (`client = Current`): their levels alone rarely say what they are.
pub const NAMED_FIELD_MAX_LEVELS: usize = 5;

/// A categorical level as a name part: the level alone when it says what it
/// is (`Fintech` among many industries), else with its field (`up_sale =
/// Yes`, `client = Current`, `origin = unknown`): yes/no-like and
/// unknown-like levels, numbers, and fields of few levels.
fn level_part(feature: &str, level: &str, features: &[FeatureColumn]) -> String {
    let yes_no = matches!(
        level.to_ascii_lowercase().as_str(),
        "yes"
            | "no"
            | "y"
            | "n"
            | "true"
            | "false"
            | "t"
            | "f"
            | "0"
            | "1"
            | "unknown"
            | "none"
            | "n/a"
            | "na"
            | "null"
            | "-"
    );
    let few = features
        .iter()
        .find(|f| f.spec.name == feature)
        .is_some_and(|f| {
            f.levels().iter().filter(|l| l.as_str() != OTHER).count() <= NAMED_FIELD_MAX_LEVELS
        });
    if yes_no || few || level.parse::<f64>().is_ok() {
        format!("{feature} = {level}")
    } else {
        level.to_string()
    }
}

/// Make segment names unique within a run: a name already taken by an
/// earlier segment gets its segment id, `low intent_score (S3)`. Names kept
/// from a previous run are earlier in the list only by position, so a
/// persisting segment keeps its name unless another one had it first.
pub fn make_names_unique(names: &mut [String], ids: &[u32]) {
    let mut seen = std::collections::BTreeSet::new();
    for (name, id) in names.iter_mut().zip(ids) {
        if !seen.insert(name.clone()) {
            *name = format!("{name} (S{id})");
            seen.insert(name.clone());
        }
    }
}

/// A short name from the strongest over-represented traits (at most three),
/// e.g. "Fintech, with Salesforce, high employees"; the folded `other`
/// level never names a segment.
pub fn name(distinctions: &[Distinction], features: &[FeatureColumn]) -> String {
    let mut parts = Vec::new();
    for d in distinctions {
        if parts.len() == 3 {
            break;
        }
        let kind = features
            .iter()
            .find(|f| f.spec.name == d.feature)
            .map(|f| f.spec.kind());
        let part = match (kind, &d.level) {
            (Some(crate::features::FeatureKind::Numeric), _) => {
                if d.standardized_difference > 0.0 {
                    format!("high {}", d.feature)
                } else {
                    format!("low {}", d.feature)
                }
            }
            (Some(crate::features::FeatureKind::List), Some(l))
                if d.standardized_difference > 0.0 =>
            {
                format!("with {l}")
            }
            (Some(crate::features::FeatureKind::List), Some(l)) => format!("without {l}"),
            (Some(crate::features::FeatureKind::Binary), _) => {
                if d.standardized_difference > 0.0 {
                    d.feature.clone()
                } else {
                    format!("no {}", d.feature)
                }
            }
            (_, Some(l)) if l == OTHER => continue,
            (_, Some(l)) if d.standardized_difference > 0.0 && d.segment_value >= 0.5 => {
                level_part(&d.feature, l, features)
            }
            _ => continue,
        };
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    if parts.is_empty() {
        "mixed".to_string()
    } else {
        parts.join(", ")
    }
}
