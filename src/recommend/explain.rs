//! A reason beside every score: the features that pushed an account's fit
//! score up and down, and the ICP criteria it meets or fails, as short text a
//! CRM field can hold.

use std::fmt::Write;

use polars::prelude::{StringChunked, StringChunkedBuilder};

use super::{Model, Scores};
use crate::features::{FeatureColumn, FeatureData, Transform, UNSEEN};

/// Longest reason text, in characters (a common CRM text field limit).
pub const MAX_REASON_CHARS: usize = 255;
/// Contributions smaller than this (in log-odds) are not named as reasons.
pub const MIN_REASON_LOG_ODDS: f64 = 0.05;
/// Features named per direction.
pub const TOP_REASONS: usize = 2;

/// Per-account reason texts, one string column each: built straight into
/// the columns the Parquet writer takes, so a million reasons are copied once.
#[derive(Debug, Clone)]
pub struct Explanations {
    pub top_positive: StringChunked,
    pub top_negative: StringChunked,
    pub rules_met: StringChunked,
    pub rules_failed: StringChunked,
    pub reasons: StringChunked,
}

/// Append how account `i`'s value of `f` reads, e.g. `industry = Fintech`.
fn value_text(out: &mut String, f: &FeatureColumn, i: usize) {
    let name = &f.spec.name;
    // Writing to a String cannot fail.
    let _ = match (&f.data, &f.spec.transform) {
        (FeatureData::Numeric(v), _) if v[i].is_nan() => write!(out, "{name} unknown"),
        (FeatureData::Numeric(v), _) => {
            let x = v[i];
            if x.fract() == 0.0 && x.abs() < 1e15 {
                write!(out, "{name} {}", x as i64)
            } else {
                write!(out, "{name} {x:.2}")
            }
        }
        (FeatureData::Binary(v), _) if v[i].is_nan() => write!(out, "{name} unknown"),
        (FeatureData::Binary(v), _) => {
            write!(out, "{name} {}", if v[i] == 1.0 { "yes" } else { "no" })
        }
        (FeatureData::Categorical(c), Transform::Categorical { levels }) => {
            let l = if c[i] == UNSEEN {
                "other"
            } else {
                levels[c[i] as usize].as_str()
            };
            write!(out, "{name} = {l}")
        }
        (FeatureData::List { .. }, Transform::List { values, .. }) => {
            let vals = f.list_values(i);
            if vals.is_empty() {
                write!(out, "{name}: none")
            } else {
                let _ = write!(out, "{name}: ");
                for (k, &c) in vals.iter().take(3).enumerate() {
                    if k > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&values[c as usize]);
                }
                Ok(())
            }
        }
        _ => write!(out, "{name}"),
    };
}

/// Cut `s` to at most [`MAX_REASON_CHARS`] characters, ending in `…` when cut.
fn truncate(s: &mut String) {
    // A text of at most that many bytes has at most that many characters.
    if s.len() <= MAX_REASON_CHARS {
        return;
    }
    if let Some((cut, _)) = s.char_indices().nth(MAX_REASON_CHARS - 1) {
        if s[cut..].chars().nth(1).is_some() {
            s.truncate(cut);
            s.push('…');
        }
    }
}

/// The first [`TOP_REASONS`] of `candidates` in the order `cmp`, without
/// sorting them all.
fn top(
    candidates: impl Iterator<Item = usize>,
    cmp: impl Fn(usize, usize) -> std::cmp::Ordering,
    out: &mut Vec<usize>,
) {
    out.clear();
    for x in candidates {
        let at = out
            .iter()
            .position(|&o| cmp(x, o).is_lt())
            .unwrap_or(out.len());
        if at < TOP_REASONS {
            out.insert(at, x);
            out.truncate(TOP_REASONS);
        }
    }
}

/// Reasons for every account, from a model's scores.
pub fn explain(model: &Model, features: &[FeatureColumn], scores: &Scores) -> Explanations {
    let n = scores.probability.len();
    let c = &model.criteria;
    let qualifying: Vec<Vec<bool>> = c
        .qualifying
        .iter()
        .map(|c| c.matches(features, n))
        .collect();
    let disqualifying: Vec<Vec<bool>> = c
        .disqualifying
        .iter()
        .map(|c| c.matches(features, n))
        .collect();
    let qualifying_text: Vec<String> = c.qualifying.iter().map(|c| c.text()).collect();
    let disqualifying_text: Vec<String> = c
        .disqualifying
        .iter()
        .map(|c| format!("{} (disqualifying)", c.text()))
        .collect();
    let column = |name: &str| StringChunkedBuilder::new(name.into(), n);
    let mut top_positive = column("top_positive");
    let mut top_negative = column("top_negative");
    let mut rules_met = column("rules_met");
    let mut rules_failed = column("rules_failed");
    let mut reasons = column("reasons");
    let (mut up_idx, mut down_idx) = (Vec::new(), Vec::new());
    let (mut pos, mut neg, mut met, mut failed, mut text) = (
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    );
    for i in 0..n {
        let c = |fi: usize| scores.contributions[fi][i];
        // Strongest first; ties by feature order (up) or reverse order (down).
        top(
            (0..features.len()).filter(|&fi| c(fi) >= MIN_REASON_LOG_ODDS),
            |a, b| c(b).total_cmp(&c(a)).then(a.cmp(&b)),
            &mut up_idx,
        );
        top(
            (0..features.len()).filter(|&fi| c(fi) <= -MIN_REASON_LOG_ODDS),
            |a, b| c(a).total_cmp(&c(b)).then(b.cmp(&a)),
            &mut down_idx,
        );
        let reason = |out: &mut String, fi: usize| {
            value_text(out, &features[fi], i);
            let _ = write!(out, " ({:+.2})", c(fi));
        };
        let join = |out: &mut String, list: &[usize], sep: &str| {
            out.clear();
            for (k, &fi) in list.iter().enumerate() {
                if k > 0 {
                    out.push_str(sep);
                }
                reason(out, fi);
            }
        };
        met.clear();
        failed.clear();
        let add = |to: &mut String, t: &str| {
            if !to.is_empty() {
                to.push_str("; ");
            }
            to.push_str(t);
        };
        for (k, m) in qualifying.iter().enumerate() {
            add(
                if m[i] { &mut met } else { &mut failed },
                &qualifying_text[k],
            );
        }
        for (k, m) in disqualifying.iter().enumerate() {
            if m[i] {
                add(&mut failed, &disqualifying_text[k]);
            }
        }
        text.clear();
        let _ = write!(text, "fit {:.0}", 100.0 * scores.probability[i]);
        join(&mut pos, &up_idx, ", ");
        if !pos.is_empty() {
            text.push_str(": + ");
            text.push_str(&pos);
        }
        join(&mut neg, &down_idx, ", ");
        if !neg.is_empty() {
            text.push_str("; − ");
            text.push_str(&neg);
        }
        if scores.in_icp[i] {
            text.push_str(" | in ICP");
        } else {
            text.push_str(" | outside ICP, fails: ");
            text.push_str(&failed);
        }
        truncate(&mut text);
        reasons.append_value(&text);
        // The per-direction columns separate reasons with "; ".
        join(&mut pos, &up_idx, "; ");
        top_positive.append_value(&pos);
        join(&mut neg, &down_idx, "; ");
        top_negative.append_value(&neg);
        rules_met.append_value(&met);
        rules_failed.append_value(&failed);
    }
    Explanations {
        top_positive: top_positive.finish(),
        top_negative: top_negative.finish(),
        rules_met: rules_met.finish(),
        rules_failed: rules_failed.finish(),
        reasons: reasons.finish(),
    }
}
