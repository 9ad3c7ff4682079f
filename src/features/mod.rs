//! Account features: which columns are features and of what kind
//! ([`infer`]), their values per account ([`FeatureColumn`]), and the numeric
//! matrix k-means runs on ([`encode`]).
//!
//! Every transform is recorded in a [`FeatureSpec`], so `score` can apply the
//! same encoding to new accounts.

pub mod encode;
pub mod evidence;
pub mod gate;
pub mod infer;
pub mod roles;
#[cfg(test)]
pub(crate) mod testing;

use serde::{Deserialize, Serialize};

pub use encode::{encode, FeatureMatrix};
pub use gate::{Gate, Use};
pub use infer::{infer, Skipped};
pub use roles::{Role, RoleOverride, StatusField};

/// The level rare categorical levels are folded into.
pub const OTHER: &str = "other";

/// A feature kind a column can be forced to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KindOverride {
    Numeric,
    Categorical,
    Binary,
    List,
    /// Not a feature: the column is read but not used.
    Ignore,
}

/// The kind of a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureKind {
    Numeric,
    Binary,
    Categorical,
    /// Multi-valued categorical, e.g. `technologies`: one binary per value.
    List,
}

/// How a feature is turned into matrix columns. Fitted once on the training
/// accounts and applied unchanged to new ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Transform {
    Numeric {
        /// `ln(1 + x)` before standardising (heavy-tailed, non-negative columns).
        log: bool,
        /// Value used for nulls, in the column's original units (the median).
        impute: f64,
        /// Mean and standard deviation of the (log-)transformed values.
        center: f64,
        scale: f64,
        /// Whether a `<name> (missing)` indicator column is added.
        missing_flag: bool,
    },
    Binary {
        /// Value used for nulls (the share of `true`).
        impute: f64,
        missing_flag: bool,
    },
    Categorical {
        /// Levels with a column each; rare levels are folded into `other`,
        /// nulls become `(missing)`. A level not seen in training encodes as
        /// all zeros.
        levels: Vec<String>,
        /// The levels folded into `other`, most accounts first, then by
        /// name; empty in models written before they were kept.
        #[serde(default)]
        folded: Vec<String>,
    },
    List {
        /// Values with a column each; rarer values are dropped.
        values: Vec<String>,
        /// Separator for text input (`None` for a native list column).
        separator: Option<String>,
    },
}

/// A feature and its fitted transform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
    pub name: String,
    pub transform: Transform,
    /// Nulls in the training accounts.
    pub nulls: u64,
    /// Fit, signal or relationship; fit in models written before roles.
    #[serde(default)]
    pub role: Role,
    /// Whether the role was declared in `[accounts.roles]` (else inferred from the name).
    #[serde(default)]
    pub role_declared: bool,
}

impl FeatureSpec {
    /// The text values of a categorical (its levels) or list feature; none
    /// for numbers and flags.
    pub fn text_values(&self) -> &[String] {
        match &self.transform {
            Transform::Categorical { levels, .. } => levels,
            Transform::List { values, .. } => values,
            Transform::Numeric { .. } | Transform::Binary { .. } => &[],
        }
    }

    pub fn kind(&self) -> FeatureKind {
        match self.transform {
            Transform::Numeric { .. } => FeatureKind::Numeric,
            Transform::Binary { .. } => FeatureKind::Binary,
            Transform::Categorical { .. } => FeatureKind::Categorical,
            Transform::List { .. } => FeatureKind::List,
        }
    }
}

/// A category code meaning "not one of the fitted levels".
pub const UNSEEN: u32 = u32::MAX;

/// A feature's values per account, in original units.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureData {
    /// NaN for null.
    Numeric(Vec<f64>),
    /// 1.0 / 0.0, NaN for null.
    Binary(Vec<f64>),
    /// Index into the transform's levels (or [`UNSEEN`]).
    Categorical(Vec<u32>),
    /// Per account, indices into the transform's values; `offsets` has one
    /// more entry than there are accounts.
    List { offsets: Vec<u32>, values: Vec<u32> },
}

/// One feature: its spec and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureColumn {
    pub spec: FeatureSpec,
    pub data: FeatureData,
}

impl FeatureColumn {
    /// The column for the given accounts, in that order.
    pub fn take(&self, rows: &[usize]) -> FeatureColumn {
        let data = match &self.data {
            FeatureData::Numeric(v) => FeatureData::Numeric(rows.iter().map(|&i| v[i]).collect()),
            FeatureData::Binary(v) => FeatureData::Binary(rows.iter().map(|&i| v[i]).collect()),
            FeatureData::Categorical(c) => {
                FeatureData::Categorical(rows.iter().map(|&i| c[i]).collect())
            }
            FeatureData::List { .. } => {
                let (mut offsets, mut values) = (vec![0u32], Vec::new());
                for &i in rows {
                    values.extend_from_slice(self.list_values(i));
                    offsets.push(values.len() as u32);
                }
                FeatureData::List { offsets, values }
            }
        };
        FeatureColumn {
            spec: self.spec.clone(),
            data,
        }
    }

    /// The list values of account `i`.
    pub fn list_values(&self, i: usize) -> &[u32] {
        match &self.data {
            FeatureData::List { offsets, values } => {
                &values[offsets[i] as usize..offsets[i + 1] as usize]
            }
            _ => &[],
        }
    }
}

/// A named level of a feature: a categorical level, a list value, or a binary
/// feature's `true`. The unit the correlation analysis and the segment
/// profiles talk about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Level {
    pub feature: String,
    pub level: String,
}

impl FeatureColumn {
    /// Indicator levels of this feature and, per level, whether account `i` has it.
    /// Numeric features have none.
    pub fn levels(&self) -> Vec<String> {
        match &self.spec.transform {
            Transform::Numeric { .. } => vec![],
            Transform::Binary { .. } => vec!["true".into()],
            Transform::Categorical { levels, .. } => levels.clone(),
            Transform::List { values, .. } => values.clone(),
        }
    }

    /// Whether account `i` has level index `l` (see [`FeatureColumn::levels`]);
    /// `None` when the account's value is null (binary features only).
    pub fn has_level(&self, i: usize, l: usize) -> Option<bool> {
        match &self.data {
            FeatureData::Numeric(_) => None,
            FeatureData::Binary(v) => (!v[i].is_nan()).then(|| v[i] == 1.0),
            FeatureData::Categorical(c) => Some(c[i] as usize == l),
            FeatureData::List { .. } => Some(self.list_values(i).contains(&(l as u32))),
        }
    }

    /// The level indices account `i` has, in one call for every level: its
    /// code for a categorical (which may be [`UNSEEN`], matching no level),
    /// its values for a list, `[0]` or `[]` for a binary; `None` when the
    /// account's value is null (binary features only) or the feature is numeric.
    pub fn levels_of(&self, i: usize) -> Option<&[u32]> {
        const TRUE: [u32; 1] = [0];
        match &self.data {
            FeatureData::Numeric(_) => None,
            FeatureData::Binary(v) if v[i].is_nan() => None,
            FeatureData::Binary(v) => Some(if v[i] == 1.0 { &TRUE } else { &[] }),
            FeatureData::Categorical(c) => Some(std::slice::from_ref(&c[i])),
            FeatureData::List { .. } => Some(self.list_values(i)),
        }
    }

    /// The levels folded into `other` (categorical features only).
    pub fn folded(&self) -> &[String] {
        match &self.spec.transform {
            Transform::Categorical { folded, .. } => folded,
            _ => &[],
        }
    }

    /// How to write level `l` in prose: `industry = Fintech`, `technologies has Salesforce`,
    /// and the folded rare levels by name, `industry in {Mining, Fishing, +3 more}`.
    pub fn level_label(&self, l: usize) -> String {
        let name = &self.spec.name;
        match &self.spec.transform {
            Transform::Numeric { .. } => name.clone(),
            Transform::Binary { .. } => name.clone(),
            Transform::Categorical { levels, folded } if levels[l] == OTHER => {
                format!("{name} in {}", folded_text(folded))
            }
            Transform::Categorical { levels, .. } => format!("{name} = {}", levels[l]),
            Transform::List { values, .. } => format!("{name} has {}", values[l]),
        }
    }
}

/// At most this many folded levels are named in prose; the rest are counted.
const FOLDED_NAMED: usize = 4;

/// The rare levels folded into `other` as a set a CRM filter can take:
/// `{Telecoverage, Reseller, Partner, Online, +3 more}`.
pub fn folded_text(folded: &[String]) -> String {
    format!("{{{}}}", folded_names(folded).join(", "))
}

/// The first few folded levels by name, then how many more: `Telecoverage,
/// Reseller, Partner, Online, +3 more`. A model fitted before folded levels
/// were kept knows no names.
pub fn folded_names(folded: &[String]) -> Vec<String> {
    if folded.is_empty() {
        return vec!["levels under 1% of accounts".into()];
    }
    let mut parts: Vec<String> = folded.iter().take(FOLDED_NAMED).cloned().collect();
    if folded.len() > FOLDED_NAMED {
        parts.push(format!("+{} more", folded.len() - FOLDED_NAMED));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_levels_are_named_four_at_most() {
        let names = |n: usize| -> Vec<String> { (1..=n).map(|i| format!("L{i}")).collect() };
        assert_eq!(folded_text(&names(2)), "{L1, L2}");
        assert_eq!(folded_text(&names(4)), "{L1, L2, L3, L4}");
        assert_eq!(folded_text(&names(7)), "{L1, L2, L3, L4, +3 more}");
        assert_eq!(folded_text(&[]), "{levels under 1% of accounts}");
    }

    #[test]
    fn a_model_without_folded_levels_still_loads() {
        let old = r#"{"kind":"categorical","levels":["SaaS","other"]}"#;
        let t: Transform = serde_json::from_str(old).unwrap();
        assert_eq!(
            t,
            Transform::Categorical {
                levels: vec!["SaaS".into(), "other".into()],
                folded: vec![],
            }
        );
        let f = FeatureColumn {
            spec: FeatureSpec {
                name: "industry".into(),
                transform: Transform::Categorical {
                    levels: vec!["SaaS".into(), "other".into()],
                    folded: vec!["Mining".into(), "Fishing".into()],
                },
                nulls: 0,
                role: Default::default(),
                role_declared: false,
            },
            data: FeatureData::Categorical(vec![0, 1]),
        };
        assert_eq!(f.level_label(0), "industry = SaaS");
        assert_eq!(f.level_label(1), "industry in {Mining, Fishing}");
    }
}
