//! A reason beside every score: the features that pushed an account's fit
//! score up and down, and the ICP criteria it meets or fails, as short text a
//! CRM field can hold.

use std::collections::HashMap;
use std::fmt::Write;

use polars::prelude::{StringChunked, StringChunkedBuilder};

use super::model::{Model, Scores};
use super::rules::Criteria;
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

/// The reason columns of `accounts_scored.parquet`.
pub struct Explain {
    pub log_odds: Vec<f64>,
    pub baseline_log_odds: f64,
    pub feature_names: Vec<String>,
    /// Per feature, each account's contribution to its log-odds.
    pub contributions: Vec<Vec<f64>>,
    pub text: Explanations,
}

impl Explain {
    /// These accounts' reason columns followed by `next`'s, each text column
    /// in one piece, as if written in one pass.
    pub fn append(mut self, next: Explain) -> polars::prelude::PolarsResult<Explain> {
        self.log_odds.extend(next.log_odds);
        for (c, n) in self.contributions.iter_mut().zip(next.contributions) {
            c.extend(n);
        }
        let (a, b) = (&mut self.text, next.text);
        for (a, b) in [
            (&mut a.top_positive, b.top_positive),
            (&mut a.top_negative, b.top_negative),
            (&mut a.rules_met, b.rules_met),
            (&mut a.rules_failed, b.rules_failed),
            (&mut a.reasons, b.reasons),
        ] {
            a.append_owned(b)?;
            *a = a.rechunk().into_owned();
        }
        Ok(self)
    }

    /// Reasons for `scores`, moving its log-odds and contributions into the
    /// columns (a million accounts' contributions are not copied).
    pub fn take(model: &Model, features: &[FeatureColumn], scores: &mut Scores) -> Explain {
        let text = explain(model, features, scores);
        Explain {
            log_odds: std::mem::take(&mut scores.log_odds),
            baseline_log_odds: scores.baseline_log_odds,
            feature_names: features.iter().map(|f| f.spec.name.clone()).collect(),
            contributions: std::mem::take(&mut scores.contributions),
            text,
        }
    }
}

/// Per feature, the text of each of its levels (a categorical's
/// [`FeatureColumn::level_label`]; empty for other features): composed once,
/// not once per account.
fn level_labels(features: &[FeatureColumn]) -> Vec<Vec<String>> {
    (features.iter())
        .map(|f| match (&f.data, &f.spec.transform) {
            (FeatureData::Categorical(_), Transform::Categorical { levels, .. }) => {
                (0..levels.len()).map(|l| f.level_label(l)).collect()
            }
            _ => Vec::new(),
        })
        .collect()
}

/// Append how account `i`'s value of `f` reads, e.g. `industry = Fintech`;
/// `labels` are `f`'s [`level_labels`].
fn value_text(out: &mut String, f: &FeatureColumn, labels: &[String], i: usize) {
    let name = &f.spec.name;
    // Writing to a String cannot fail.
    let _ = match (&f.data, &f.spec.transform) {
        (FeatureData::Numeric(v), _) if v[i].is_nan() => write!(out, "{name} unknown"),
        (FeatureData::Numeric(v), _) => {
            let x = v[i];
            if x.fract() == 0.0 && x.abs() < 1e15 {
                write!(out, "{name} {}", x as i64)
            } else {
                let _ = write!(out, "{name} ");
                write_fixed(out, x, 2, false);
                Ok(())
            }
        }
        (FeatureData::Binary(v), _) if v[i].is_nan() => write!(out, "{name} unknown"),
        (FeatureData::Binary(v), _) => {
            write!(out, "{name} {}", if v[i] == 1.0 { "yes" } else { "no" })
        }
        (FeatureData::Categorical(c), Transform::Categorical { .. }) if c[i] == UNSEEN => {
            write!(out, "{name} not seen in training")
        }
        (FeatureData::Categorical(c), Transform::Categorical { .. }) => {
            out.push_str(&labels[c[i] as usize]);
            Ok(())
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

/// Append `x` with `decimals` (0 to 2) places, as `format!("{x:.2}")` (or
/// `{x:+.2}` with `plus`) writes it. Rounding `x · 10^decimals` to an
/// integer gives the same digits unless that product lies within rounding
/// error of a half, where the exact formatter decides.
fn write_fixed(out: &mut String, x: f64, decimals: u32, plus: bool) {
    let scale = 10f64.powi(decimals as i32);
    let y = (x * scale).abs();
    let near_half = (y - y.floor() - 0.5).abs() < 1e-6;
    if !x.is_finite() || y >= 1e12 || near_half {
        let d = decimals as usize;
        let _ = if plus {
            write!(out, "{x:+.d$}")
        } else {
            write!(out, "{x:.d$}")
        };
        return;
    }
    if x.is_sign_negative() {
        out.push('-');
    } else if plus {
        out.push('+');
    }
    let r = y.round() as u64;
    let unit = scale as u64;
    let _ = write!(out, "{}", r / unit);
    if decimals > 0 {
        let _ = write!(out, ".{:0w$}", r % unit, w = decimals as usize);
    }
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
    Explainer::new(model, features, n).rows(scores, 0..n)
}

/// Writes the reasons of a model's scores a range of accounts at a time:
/// the criteria each account meets are found once, for all of them.
pub struct Explainer<'a> {
    features: &'a [FeatureColumn],
    criteria: CriteriaTexts,
    labels: Vec<Vec<String>>,
}

impl<'a> Explainer<'a> {
    /// For the `n` accounts of `features`.
    pub fn new(model: &Model, features: &'a [FeatureColumn], n: usize) -> Self {
        Explainer {
            features,
            criteria: CriteriaTexts::new(&model.criteria, features, n),
            labels: level_labels(features),
        }
    }

    /// The reasons of the accounts `rows`, whose scores are `scores`.
    pub fn rows(&self, scores: &Scores, rows: std::ops::Range<usize>) -> Explanations {
        let column = |name: &str| StringChunkedBuilder::new(name.into(), rows.len());
        let mut top_positive = column("top_positive");
        let mut top_negative = column("top_negative");
        let mut rules_met = column("rules_met");
        let mut rules_failed = column("rules_failed");
        let mut reasons = column("reasons");
        let mut named = NamedReasons::default();
        let mut seen = MetTexts::default();
        let (mut pos, mut text) = (String::new(), String::new());
        for i in rows {
            named.fill(self, scores, i);
            let (met, failed) = self.criteria.of(&mut seen, i);
            reason_text(&mut text, &mut pos, &named, scores, i, failed);
            reasons.append_value(&text);
            // The per-direction columns separate reasons with "; ".
            named.join(&mut pos, named.ups(), "; ");
            top_positive.append_value(&pos);
            named.join(&mut pos, named.downs(), "; ");
            top_negative.append_value(&pos);
            rules_met.append_value(met);
            rules_failed.append_value(failed);
        }
        Explanations {
            top_positive: top_positive.finish(),
            top_negative: top_negative.finish(),
            rules_met: rules_met.finish(),
            rules_failed: rules_failed.finish(),
            reasons: reasons.finish(),
        }
    }

    /// The reason columns of the accounts `rows`, copied out of `scores`.
    pub fn columns(&self, scores: &Scores, rows: std::ops::Range<usize>) -> Explain {
        Explain {
            log_odds: scores.log_odds[rows.clone()].to_vec(),
            baseline_log_odds: scores.baseline_log_odds,
            feature_names: self.features.iter().map(|f| f.spec.name.clone()).collect(),
            contributions: (scores.contributions.iter())
                .map(|c| c[rows.clone()].to_vec())
                .collect(),
            text: self.rows(scores, rows),
        }
    }
}

/// `fit 72: + a, b; − c | in ICP` (or `| outside ICP, fails: …`), cut to
/// [`MAX_REASON_CHARS`]. `pos` is scratch.
fn reason_text(
    text: &mut String,
    pos: &mut String,
    named: &NamedReasons,
    scores: &Scores,
    i: usize,
    failed: &str,
) {
    text.clear();
    text.push_str("fit ");
    write_fixed(text, 100.0 * scores.probability[i], 0, false);
    named.join(pos, named.ups(), ", ");
    if !pos.is_empty() {
        text.push_str(": + ");
        text.push_str(pos);
    }
    named.join(pos, named.downs(), ", ");
    if !pos.is_empty() {
        text.push_str("; − ");
        text.push_str(pos);
    }
    if scores.in_icp[i] {
        text.push_str(" | in ICP");
    } else {
        text.push_str(" | outside ICP, fails: ");
        text.push_str(failed);
    }
    truncate(text);
}

/// One account's named reasons: the strongest features up and down, each
/// formatted once into `parts` and copied into the texts that show it.
#[derive(Default)]
struct NamedReasons {
    up: Vec<usize>,
    down: Vec<usize>,
    parts: String,
    /// Where each reason ends in `parts`: ups first, then downs.
    ends: Vec<usize>,
}

impl NamedReasons {
    /// Account `i`'s reasons, from the features `from` explains.
    fn fill(&mut self, from: &Explainer, scores: &Scores, i: usize) {
        let (features, labels) = (from.features, &from.labels);
        let c = |fi: usize| scores.contributions[fi][i];
        // Strongest first; ties by feature order (up) or reverse order (down).
        top(
            (0..features.len()).filter(|&fi| c(fi) >= MIN_REASON_LOG_ODDS),
            |a, b| c(b).total_cmp(&c(a)).then(a.cmp(&b)),
            &mut self.up,
        );
        top(
            (0..features.len()).filter(|&fi| c(fi) <= -MIN_REASON_LOG_ODDS),
            |a, b| c(a).total_cmp(&c(b)).then(b.cmp(&a)),
            &mut self.down,
        );
        self.parts.clear();
        self.ends.clear();
        for &fi in self.up.iter().chain(&self.down) {
            value_text(&mut self.parts, &features[fi], &labels[fi], i);
            self.parts.push_str(" (");
            write_fixed(&mut self.parts, c(fi), 2, true);
            self.parts.push(')');
            self.ends.push(self.parts.len());
        }
    }

    fn ups(&self) -> std::ops::Range<usize> {
        0..self.up.len()
    }

    fn downs(&self) -> std::ops::Range<usize> {
        self.up.len()..self.ends.len()
    }

    fn part(&self, k: usize) -> &str {
        &self.parts[if k == 0 { 0 } else { self.ends[k - 1] }..self.ends[k]]
    }

    /// The reasons `ks` into `out`, separated by `sep`.
    fn join(&self, out: &mut String, ks: std::ops::Range<usize>, sep: &str) {
        out.clear();
        for k in ks {
            if !out.is_empty() {
                out.push_str(sep);
            }
            out.push_str(self.part(k));
        }
    }
}

/// The met and failed criteria texts. They depend only on which criteria an
/// account meets: a handful of combinations among a million accounts, so
/// each is composed once.
struct CriteriaTexts {
    /// Per criterion (qualifying, then disqualifying), who meets it.
    matches: Vec<Vec<bool>>,
    qualifying: Vec<String>,
    disqualifying: Vec<String>,
}

/// The (met, failed) texts of the combinations of criteria seen so far, by
/// which criteria an account meets.
#[derive(Default)]
struct MetTexts {
    cache: HashMap<Vec<bool>, (String, String)>,
    meets: Vec<bool>,
}

impl CriteriaTexts {
    fn new(c: &Criteria, features: &[FeatureColumn], n: usize) -> CriteriaTexts {
        CriteriaTexts {
            matches: (c.qualifying.iter().chain(&c.disqualifying))
                .map(|c| c.matches(features, n))
                .collect(),
            qualifying: c.qualifying.iter().map(|c| c.text(features)).collect(),
            disqualifying: c
                .disqualifying
                .iter()
                .map(|c| format!("{} (disqualifying)", c.text(features)))
                .collect(),
        }
    }

    /// Account `i`'s (met, failed) texts, kept in `seen`.
    fn of<'s>(&self, seen: &'s mut MetTexts, i: usize) -> &'s (String, String) {
        let MetTexts { cache, meets } = seen;
        meets.clear();
        meets.extend(self.matches.iter().map(|m| m[i]));
        if !cache.contains_key(meets.as_slice()) {
            let (mut met, mut failed) = (String::new(), String::new());
            let add = |to: &mut String, t: &str| {
                if !to.is_empty() {
                    to.push_str("; ");
                }
                to.push_str(t);
            };
            let (q, d) = meets.split_at(self.qualifying.len());
            for (&m, t) in q.iter().zip(&self.qualifying) {
                add(if m { &mut met } else { &mut failed }, t);
            }
            for (&m, t) in d.iter().zip(&self.disqualifying) {
                if m {
                    add(&mut failed, t);
                }
            }
            cache.insert(meets.clone(), (met, failed));
        }
        &cache[meets.as_slice()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path writes what the standard formatter writes, including
    /// the exact halves (0.125, 2.5) it leaves to the formatter.
    #[test]
    fn fixed_point_matches_the_standard_formatter() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(3);
        let mut xs = vec![
            0.0, -0.0, 0.125, -0.125, 0.375, 2.5, 0.005, 0.015, 1.005, 99.995, 0.05, -0.05, 1e11,
            123456.789, -7.0, 0.994999, 0.995,
        ];
        xs.extend((0..20_000).map(|_| rng.gen_range(-3.0..3.0)));
        xs.extend((0..20_000).map(|_| rng.gen_range(0.0..100.0)));
        xs.extend((0..2_000).map(|_| f64::from(rng.gen_range(-4000..4000)) / 8.0));
        for &x in &xs {
            for (d, plus) in [(2, true), (2, false), (0, false)] {
                let mut got = String::new();
                write_fixed(&mut got, x, d, plus);
                let want = match (d, plus) {
                    (2, true) => format!("{x:+.2}"),
                    (2, false) => format!("{x:.2}"),
                    _ => format!("{x:.0}"),
                };
                assert_eq!(got, want, "x = {x:e}, {d} places, plus {plus}");
            }
        }
    }
}
