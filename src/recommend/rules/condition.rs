//! One ICP condition on one feature, in the feature's original units, and
//! the criteria as a whole: which accounts they hold, and how they read.

use serde::{Deserialize, Serialize};

use crate::features::folded_names;
use crate::features::OTHER;
use crate::features::{FeatureColumn, FeatureData, Transform};

/// One condition on one feature, in the feature's original units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Condition {
    /// A categorical feature takes one of these levels.
    In {
        feature: String,
        levels: Vec<String>,
    },
    /// A list feature contains the value, or a binary feature is true or
    /// false (`value = "true"` / `"false"`, read `csm_assigned = yes` / `= no`).
    Has { feature: String, value: String },
    /// A numeric feature lies in `[min, max]` (either bound may be open). Nulls never match.
    Range {
        feature: String,
        min: Option<f64>,
        max: Option<f64>,
    },
}

/// `v` as written in criteria: whole numbers from 1,000 with thousands
/// separators.
pub(crate) fn fmt_num(v: f64) -> String {
    if v.abs() >= 1000.0 && v.fract() == 0.0 {
        let s = format!("{}", v.abs() as i64);
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if v < 0.0 {
            format!("-{out}")
        } else {
            out
        }
    } else {
        format!("{v}")
    }
}

impl Condition {
    pub fn feature(&self) -> &str {
        match self {
            Condition::In { feature, .. }
            | Condition::Has { feature, .. }
            | Condition::Range { feature, .. } => feature,
        }
    }

    /// The condition in words, e.g. `industry in {Fintech, SaaS}`, `200 ≤ employees ≤ 2,000`.
    /// The folded `other` level is written as the levels it holds, taken
    /// from `features`: `industry in {SaaS, Mining, Fishing, +3 more}`.
    pub fn text(&self, features: &[FeatureColumn]) -> String {
        match self {
            Condition::In { feature, levels } if levels.len() == 1 && levels[0] != OTHER => {
                format!("{feature} = {}", levels[0])
            }
            Condition::In { feature, levels } => {
                let mut parts: Vec<String> =
                    levels.iter().filter(|l| *l != OTHER).cloned().collect();
                if parts.len() < levels.len() {
                    let folded = features
                        .iter()
                        .find(|f| f.spec.name == *feature)
                        .map_or(&[][..], |f| f.folded());
                    parts.extend(folded_names(folded));
                }
                format!("{feature} in {{{}}}", parts.join(", "))
            }
            Condition::Has { feature, value } if value == "true" => format!("{feature} = yes"),
            Condition::Has { feature, value } if value == "false" => format!("{feature} = no"),
            Condition::Has { feature, value } => format!("{feature} contains {value}"),
            Condition::Range {
                feature,
                min: Some(a),
                max: Some(b),
            } => format!("{} ≤ {feature} ≤ {}", fmt_num(*a), fmt_num(*b)),
            Condition::Range {
                feature,
                min: Some(a),
                max: None,
            } => format!("{feature} ≥ {}", fmt_num(*a)),
            Condition::Range {
                feature,
                min: None,
                max: Some(b),
            } => format!("{feature} ≤ {}", fmt_num(*b)),
            Condition::Range { feature, .. } => format!("{feature} is known"),
        }
    }

    /// Whether each account matches. `features` must hold the named feature.
    pub fn matches(&self, features: &[FeatureColumn], n: usize) -> Vec<bool> {
        self.matches_rows(features, 0..n)
    }

    /// Whether each of the given accounts matches, in their order.
    pub fn matches_rows(
        &self,
        features: &[FeatureColumn],
        rows: impl Iterator<Item = usize>,
    ) -> Vec<bool> {
        let test = self.test(features);
        rows.map(test).collect()
    }

    /// The condition as a test of one account, by index.
    fn test<'a>(&'a self, features: &'a [FeatureColumn]) -> Box<dyn Fn(usize) -> bool + 'a> {
        let Some(f) = features.iter().find(|f| f.spec.name == self.feature()) else {
            return Box::new(|_| false);
        };
        match (self, &f.data, &f.spec.transform) {
            (
                Condition::In { levels, .. },
                FeatureData::Categorical(codes),
                Transform::Categorical { levels: all, .. },
            ) => {
                let wanted: Vec<bool> = all.iter().map(|l| levels.contains(l)).collect();
                Box::new(move |i| wanted.get(codes[i] as usize).copied().unwrap_or(false))
            }
            (Condition::Has { value, .. }, FeatureData::Binary(v), _) => {
                let want = value == "true";
                Box::new(move |i| !v[i].is_nan() && (v[i] == 1.0) == want)
            }
            (
                Condition::Has { value, .. },
                FeatureData::List { .. },
                Transform::List { values, .. },
            ) => match values.iter().position(|v| v == value) {
                None => Box::new(|_| false),
                Some(code) => Box::new(move |i| f.list_values(i).contains(&(code as u32))),
            },
            (Condition::Range { min, max, .. }, FeatureData::Numeric(v), _) => Box::new(move |i| {
                let x = v[i];
                !x.is_nan() && min.is_none_or(|m| x >= m) && max.is_none_or(|m| x <= m)
            }),
            _ => Box::new(|_| false),
        }
    }
}

/// The learned criteria: two points of the frontier between win rate and
/// reach, and the disqualifiers both share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Criteria {
    /// The core ICP: the conjunction with the highest win rate at the
    /// minimum support. "In ICP" means these and no disqualifier; empty,
    /// no ICP was found and no account is in it.
    pub qualifying: Vec<Condition>,
    pub disqualifying: Vec<Condition>,
    /// The broad ICP: most wins at a win rate above the overall. Empty in
    /// models written before the core ICP.
    #[serde(default)]
    pub broad: Vec<Condition>,
}

impl Criteria {
    /// Whether each account is in the (core) ICP: all qualifying, no disqualifying.
    pub fn in_icp(&self, features: &[FeatureColumn], n: usize) -> Vec<bool> {
        self.matching(&self.qualifying, features, n)
    }

    /// Whether each account is in the broad ICP: all broad criteria, no disqualifying.
    pub fn in_broad_icp(&self, features: &[FeatureColumn], n: usize) -> Vec<bool> {
        self.matching(&self.broad, features, n)
    }

    /// Whether any ICP was found: a core ICP without a qualifying criterion
    /// is "no ICP found", and holds no account.
    pub fn found(&self) -> bool {
        !self.qualifying.is_empty()
    }

    /// Accounts matching all of `qualifying` and none of the disqualifiers;
    /// none without a qualifying criterion (no rule set was found, and
    /// "every account" would put noise in the ICP).
    fn matching(
        &self,
        qualifying: &[Condition],
        features: &[FeatureColumn],
        n: usize,
    ) -> Vec<bool> {
        if qualifying.is_empty() {
            return vec![false; n];
        }
        let mut inside = vec![true; n];
        for c in qualifying {
            for (x, m) in inside.iter_mut().zip(c.matches(features, n)) {
                *x &= m;
            }
        }
        for c in &self.disqualifying {
            for (x, m) in inside.iter_mut().zip(c.matches(features, n)) {
                *x &= !m;
            }
        }
        inside
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_with_thousands_separators() {
        assert_eq!(fmt_num(2000.0), "2,000");
    }

    #[test]
    fn conditions_read_as_crm_filters() {
        let c = Condition::In {
            feature: "industry".into(),
            levels: vec!["Fintech".into(), "SaaS".into()],
        };
        assert_eq!(c.text(&[]), "industry in {Fintech, SaaS}");
        let r = Condition::Range {
            feature: "employees".into(),
            min: Some(200.0),
            max: Some(2000.0),
        };
        assert_eq!(r.text(&[]), "200 ≤ employees ≤ 2,000");
        let h = Condition::Has {
            feature: "technologies".into(),
            value: "Salesforce".into(),
        };
        assert_eq!(h.text(&[]), "technologies contains Salesforce");
        // A boolean reads as yes/no; "contains" is for list features only.
        let yes = Condition::Has {
            feature: "csm_assigned".into(),
            value: "true".into(),
        };
        assert_eq!(yes.text(&[]), "csm_assigned = yes");
        let no = Condition::Has {
            feature: "csm_assigned".into(),
            value: "false".into(),
        };
        assert_eq!(no.text(&[]), "csm_assigned = no");
    }
}
