//! A reason beside every score: the features that pushed an account's fit
//! score up and down, and the ICP criteria it meets or fails, as short text a
//! CRM field can hold.

use super::{Model, Scores};
use crate::features::{FeatureColumn, FeatureData, Transform, UNSEEN};

/// Longest reason text, in characters (a common CRM text field limit).
pub const MAX_REASON_CHARS: usize = 255;
/// Contributions smaller than this (in log-odds) are not named as reasons.
pub const MIN_REASON_LOG_ODDS: f64 = 0.05;
/// Features named per direction.
pub const TOP_REASONS: usize = 2;

/// Per-account reason texts.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanations {
    pub top_positive: Vec<String>,
    pub top_negative: Vec<String>,
    pub rules_met: Vec<String>,
    pub rules_failed: Vec<String>,
    pub reasons: Vec<String>,
}

fn value_text(f: &FeatureColumn, i: usize) -> String {
    let name = &f.spec.name;
    match (&f.data, &f.spec.transform) {
        (FeatureData::Numeric(v), _) if v[i].is_nan() => format!("{name} unknown"),
        (FeatureData::Numeric(v), _) => {
            let x = v[i];
            if x.fract() == 0.0 && x.abs() < 1e15 {
                format!("{name} {}", x as i64)
            } else {
                format!("{name} {x:.2}")
            }
        }
        (FeatureData::Binary(v), _) if v[i].is_nan() => format!("{name} unknown"),
        (FeatureData::Binary(v), _) => format!("{name} {}", if v[i] == 1.0 { "yes" } else { "no" }),
        (FeatureData::Categorical(c), Transform::Categorical { levels }) => {
            let l = if c[i] == UNSEEN {
                "other"
            } else {
                levels[c[i] as usize].as_str()
            };
            format!("{name} = {l}")
        }
        (FeatureData::List { .. }, Transform::List { values, .. }) => {
            let vals: Vec<&str> = f
                .list_values(i)
                .iter()
                .take(3)
                .map(|&c| values[c as usize].as_str())
                .collect();
            if vals.is_empty() {
                format!("{name}: none")
            } else {
                format!("{name}: {}", vals.join(", "))
            }
        }
        _ => name.clone(),
    }
}

fn truncate(s: String) -> String {
    if s.chars().count() <= MAX_REASON_CHARS {
        return s;
    }
    let mut t: String = s.chars().take(MAX_REASON_CHARS - 1).collect();
    t.push('…');
    t
}

/// Reasons for every account, from a model's scores.
pub fn explain(model: &Model, features: &[FeatureColumn], scores: &Scores) -> Explanations {
    let n = scores.probability.len();
    let qualifying: Vec<Vec<bool>> = model
        .criteria
        .qualifying
        .iter()
        .map(|c| c.matches(features, n))
        .collect();
    let disqualifying: Vec<Vec<bool>> = model
        .criteria
        .disqualifying
        .iter()
        .map(|c| c.matches(features, n))
        .collect();
    let mut out = Explanations {
        top_positive: Vec::with_capacity(n),
        top_negative: Vec::with_capacity(n),
        rules_met: Vec::with_capacity(n),
        rules_failed: Vec::with_capacity(n),
        reasons: Vec::with_capacity(n),
    };
    let mut order: Vec<usize> = Vec::with_capacity(features.len());
    for i in 0..n {
        order.clear();
        order.extend(0..features.len());
        order.sort_by(|&a, &b| {
            scores.contributions[b][i]
                .total_cmp(&scores.contributions[a][i])
                .then(a.cmp(&b))
        });
        let name = |fi: usize| {
            format!(
                "{} ({:+.2})",
                value_text(&features[fi], i),
                scores.contributions[fi][i]
            )
        };
        let pos: Vec<String> = order
            .iter()
            .filter(|&&fi| scores.contributions[fi][i] >= MIN_REASON_LOG_ODDS)
            .take(TOP_REASONS)
            .map(|&fi| name(fi))
            .collect();
        let neg: Vec<String> = order
            .iter()
            .rev()
            .filter(|&&fi| scores.contributions[fi][i] <= -MIN_REASON_LOG_ODDS)
            .take(TOP_REASONS)
            .map(|&fi| name(fi))
            .collect();
        let mut met = Vec::new();
        let mut failed = Vec::new();
        for (c, m) in model.criteria.qualifying.iter().zip(&qualifying) {
            if m[i] {
                met.push(c.text());
            } else {
                failed.push(c.text());
            }
        }
        for (c, m) in model.criteria.disqualifying.iter().zip(&disqualifying) {
            if m[i] {
                failed.push(format!("{} (disqualifying)", c.text()));
            }
        }
        let icp = if scores.in_icp[i] {
            "in ICP".to_string()
        } else {
            format!("outside ICP, fails: {}", failed.join("; "))
        };
        let mut text = format!("fit {:.0}", 100.0 * scores.probability[i]);
        if !pos.is_empty() {
            text.push_str(&format!(": + {}", pos.join(", ")));
        }
        if !neg.is_empty() {
            text.push_str(&format!("; − {}", neg.join(", ")));
        }
        text.push_str(&format!(" | {icp}"));
        out.top_positive.push(pos.join("; "));
        out.top_negative.push(neg.join("; "));
        out.rules_met.push(met.join("; "));
        out.rules_failed.push(failed.join("; "));
        out.reasons.push(truncate(text));
    }
    out
}
