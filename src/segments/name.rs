//! A short, readable name for each segment, from its strongest
//! distinctions, unique within a run.

use super::describe::Distinction;
use crate::features::FeatureColumn;
use crate::features::OTHER;

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
