//! What distinguishes each segment from the rest, in the features' original
//! units, and a short readable name built from it.

use serde::Serialize;

use crate::features::infer::OTHER;
use crate::features::{FeatureColumn, FeatureData, Role};

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

/// Whether segments are drawn and named on fit features alone: when there
/// is at least one. Segments are groups a campaign is written for, so
/// they are who the account is; signals and relationships are described.
pub fn on_fit(features: &[FeatureColumn]) -> bool {
    features.iter().any(|f| f.spec.role == Role::Fit)
}

/// The features segments are drawn and named on: the fit ones, or every
/// feature when none is fit.
pub fn segment_features(features: &[FeatureColumn]) -> impl Iterator<Item = &FeatureColumn> {
    let fit = on_fit(features);
    features
        .iter()
        .filter(move |f| !fit || f.spec.role == Role::Fit)
}

/// The top distinctions of each segment, on [`segment_features`].
/// `labels[i]` is account i's segment.
pub fn distinctions(
    features: &[FeatureColumn],
    labels: &[usize],
    k: usize,
) -> Vec<Vec<Distinction>> {
    let mut per: Vec<Vec<Distinction>> = vec![Vec::new(); k];
    for f in segment_features(features) {
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

/// Per segment, each numeric or binary feature of `role` described as
/// the share of its accounts above the all-accounts median (numeric) or
/// true (binary); nulls are left out of both counts.
pub fn describe(
    features: &[FeatureColumn],
    labels: &[usize],
    k: usize,
    role: Role,
) -> Vec<Vec<Description>> {
    let mut per: Vec<Vec<Description>> = vec![Vec::new(); k];
    for f in features.iter().filter(|f| f.spec.role == role) {
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
/// Shuffles of account outcomes behind [`best_segment_test`].
pub const BEST_SEGMENT_PERMUTATIONS: usize = 1000;
/// Seed of those shuffles.
pub const BEST_SEGMENT_SEED: u64 = 42;

/// Whether the best-converting segment converts better than chance allows.
///
/// The segments were drawn on features weighted by their correlation with
/// winning on these same deals, and the best of k is picked after the fact,
/// so a deal-level test of it is too eager. Here the statistic is the
/// largest one-sided two-proportion z of a segment against the rest (the
/// best segment re-selected), and its null distribution comes from
/// shuffling each account's (won, lost) deals among the accounts, with the
/// segments held fixed: deals stay with their account, so clustering in
/// accounts is allowed for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BestSegmentTest {
    /// Index of the best segment as clustered (0-based, before ids).
    #[serde(skip)]
    pub segment: usize,
    /// Its z against the other segments' closed deals.
    pub z: f64,
    /// `(1 + #{shuffled best z ≥ z}) / (1 + permutations)`.
    pub p_value: f64,
    pub permutations: usize,
    pub seed: u64,
}

/// The segment with the largest z of its win rate against the rest's.
fn best_z(labels: &[usize], k: usize, won: &[f64], lost: &[f64]) -> Option<(usize, f64)> {
    let (mut w, mut c) = (vec![0.0; k], vec![0.0; k]);
    for (i, &s) in labels.iter().enumerate() {
        w[s] += won[i];
        c[s] += won[i] + lost[i];
    }
    let (tw, tc): (f64, f64) = (w.iter().sum(), c.iter().sum());
    (0..k)
        .filter_map(|s| {
            let t = crate::stats::proportions_ztest(
                w[s] as u64,
                c[s] as u64,
                (tw - w[s]) as u64,
                (tc - c[s]) as u64,
                crate::stats::Alternative::Greater,
            )?;
            Some((s, t.statistic))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// The permutation test of the best segment, from per-account won and lost
/// deal counts and the accounts' segments. `None` without two segments with
/// closed deals.
///
/// A shuffle is drawn as what it gives each segment rather than account
/// by account: segment after segment takes its number of accounts without
/// replacement from the outcomes left, one hypergeometric draw per kind of
/// (won, lost) pair. That is the law of a uniform shuffle of the outcomes
/// among fixed segments, at a cost that grows with the number of kinds,
/// not of accounts.
pub fn best_segment_test(
    labels: &[usize],
    k: usize,
    won: &[f64],
    lost: &[f64],
    seed: u64,
) -> Option<BestSegmentTest> {
    let (segment, z) = best_z(labels, k, won, lost)?;
    let (pairs, kinds) = outcome_kinds(won, lost);
    let mut sizes = vec![0u64; k];
    for &s in labels {
        sizes[s] += 1;
    }
    let at_least = count_at_least(&sizes, &pairs, &kinds, seed, z);
    Some(BestSegmentTest {
        segment,
        z,
        p_value: (1 + at_least) as f64 / (1 + BEST_SEGMENT_PERMUTATIONS) as f64,
        permutations: BEST_SEGMENT_PERMUTATIONS,
        seed,
    })
}

/// The distinct (won, lost) pairs of the accounts, in order of first
/// appearance, and how many accounts have each.
fn outcome_kinds(won: &[f64], lost: &[f64]) -> (Vec<(f64, f64)>, Vec<u64>) {
    let mut index: std::collections::HashMap<(u64, u64), usize> = Default::default();
    let (mut pairs, mut counts) = (Vec::new(), Vec::new());
    for (&w, &l) in won.iter().zip(lost) {
        let at = *index.entry((w.to_bits(), l.to_bits())).or_insert_with(|| {
            pairs.push((w, l));
            counts.push(0);
            pairs.len() - 1
        });
        counts[at] += 1;
    }
    (pairs, counts)
}

/// How many of [`BEST_SEGMENT_PERMUTATIONS`] shuffles of the accounts'
/// outcomes among segments of `sizes` reach a best z of at least `z`;
/// `kinds[t]` accounts have the outcome `pairs[t]`.
fn count_at_least(sizes: &[u64], pairs: &[(f64, f64)], kinds: &[u64], seed: u64, z: f64) -> usize {
    use rand::SeedableRng;
    let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(seed);
    let k = sizes.len();
    // `best_z` over per-segment totals: segment s is "account" s.
    let each_own: Vec<usize> = (0..k).collect();
    let (mut w, mut l) = (vec![0.0; k], vec![0.0; k]);
    let mut left = kinds.to_vec();
    let mut at_least = 0;
    for _ in 0..BEST_SEGMENT_PERMUTATIONS {
        left.copy_from_slice(kinds);
        let mut pool: u64 = kinds.iter().sum();
        for (s, &size) in sizes.iter().enumerate() {
            // Accounts still to draw for this segment, and those left in
            // the kinds not yet drawn from.
            let (mut need, mut rest) = (size, pool);
            (w[s], l[s]) = (0.0, 0.0);
            for (t, &(pw, pl)) in pairs.iter().enumerate() {
                if need == 0 {
                    break;
                }
                let x = crate::stats::hypergeometric_draw(&mut rng, left[t], rest - left[t], need);
                rest -= left[t];
                left[t] -= x;
                need -= x;
                w[s] += x as f64 * pw;
                l[s] += x as f64 * pl;
            }
            pool -= size;
        }
        if best_z(&each_own, k, &w, &l).is_some_and(|(_, x)| x >= z) {
            at_least += 1;
        }
    }
    at_least
}

/// The best-segment test out of sample. The outcome weights are fitted on
/// the deals of a seeded half of the accounts (`seed`), the run's k
/// segments are fitted again on those weights, on the clustering's seeded
/// fit sample ([`crate::cluster::fit_k_on_sample`]: the chosen k's fit
/// without the refine on every account), every account takes its nearest
/// centroid, and [`best_segment_test`] runs on the other half's accounts
/// alone: their outcomes shaped neither the weights nor the segments (the
/// sample's features are all the fit sees of them), so shuffling them among
/// fixed segments is a valid null. `None` when the refit fails or the
/// held-out half has closed deals in fewer than two segments.
///
/// Only the columns `keep` marks are clustered on (the others count as
/// zero): `x` is used as it is, with no weighted copy of it.
pub fn held_out_best_segment_test(
    x: &ndarray::Array2<f64>,
    keep: &[bool],
    deal_account: &[u32],
    deal_won: &[Option<bool>],
    k: usize,
    params: &crate::cluster::ClusterConfig,
) -> Option<BestSegmentTest> {
    use rand::{Rng, SeedableRng};
    let n = x.nrows();
    let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(params.seed ^ BEST_SEGMENT_SEED);
    let fit_half: Vec<bool> = (0..n).map(|_| rng.gen_bool(0.5)).collect();
    let fit_won: Vec<Option<bool>> = deal_account
        .iter()
        .zip(deal_won)
        .map(|(&a, &w)| w.filter(|_| fit_half[a as usize]))
        .collect();
    // A column left out weighs 0, as a column of zeros would (no variance),
    // so the weighted rows are those of `x` with those columns zeroed, to
    // the sign of each zero.
    let mut weights = crate::features::encode::outcome_weights(x, deal_account, &fit_won);
    for (w, &kept) in weights.iter_mut().zip(keep) {
        *w *= f64::from(u8::from(kept));
    }
    let (labels, _) = crate::cluster::fit_k_on_sample(x.view(), &weights, k, params).ok()?;
    // Per account, its place among the held-out ones (`u32::MAX` for the
    // fit half): a vector, not a map, as it is read once per deal.
    let mut held_at = vec![u32::MAX; n];
    let mut held_labels = Vec::with_capacity(n / 2 + 1);
    for a in (0..n).filter(|&a| !fit_half[a]) {
        held_at[a] = held_labels.len() as u32;
        held_labels.push(labels[a]);
    }
    let (mut won, mut lost) = (vec![0.0; held_labels.len()], vec![0.0; held_labels.len()]);
    for (&a, &w) in deal_account.iter().zip(deal_won) {
        let j = held_at[a as usize];
        match w {
            Some(true) if j != u32::MAX => won[j as usize] += 1.0,
            Some(false) if j != u32::MAX => lost[j as usize] += 1.0,
            _ => {}
        }
    }
    best_segment_test(&held_labels, k, &won, &lost, params.seed)
}

#[cfg(test)]
mod tests {

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
        let signals = describe(&features, &labels, 2, Role::Signal);
        let shares: Vec<(f64, f64)> = signals
            .iter()
            .map(|d| (d[0].share, d[0].overall_share))
            .collect();
        assert_eq!(shares, vec![(0.0, 0.5), (1.0, 0.5)]);
        assert_eq!(signals[1][0].text, "100% high intent_score");
        assert_eq!(signals[0].len(), 1);
        let rel = describe(&features, &labels, 2, Role::Relationship);
        assert_eq!(rel[0][0].share, 0.5);
        assert_eq!(rel[1][0].share, 1.0);
        assert!((rel[0][0].overall_share - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(rel[0][0].text, "50% exec_relationship");
        assert_eq!(rel[0][0].measure, "share_true");
        // Distinctions (and so names) come from the fit feature alone.
        let d = distinctions(&features, &labels, 2);
        assert!(
            d.iter().flatten().all(|x| x.feature == "employees"),
            "{d:?}"
        );
    }

    use super::*;

    /// The p-value of drawn shuffles against the exact permutation p-value:
    /// 9 accounts in segments of 2, 3 and 4, every one of the 1,260 ways
    /// to place them enumerated (accounts are told apart by their place,
    /// so each way stands for the same number of permutations). Then a
    /// larger table against shuffling the accounts one by one, as the test
    /// was first written. Both within four Monte Carlo standard errors.
    #[test]
    fn drawn_shuffles_give_the_permutation_p_value() {
        use rand::{seq::SliceRandom, Rng, SeedableRng};
        let mc = BEST_SEGMENT_PERMUTATIONS as f64;
        let within = |p: f64, reference: f64, sd: f64| {
            assert!(
                (p - reference).abs() <= 4.0 * sd + 1.0 / mc,
                "{p} vs {reference}"
            );
        };
        let labels = [0, 0, 1, 1, 1, 2, 2, 2, 2];
        let won = [2.0, 0.0, 1.0, 3.0, 0.0, 1.0, 0.0, 2.0, 1.0];
        let lost = [0.0, 1.0, 1.0, 0.0, 2.0, 1.0, 1.0, 0.0, 3.0];
        let (_, z) = best_z(&labels, 3, &won, &lost).unwrap();
        let (mut ways, mut at_least) = (0, 0);
        for code in 0..3usize.pow(9) {
            let placed: Vec<usize> = (0..9).map(|i| code / 3usize.pow(i) % 3).collect();
            let sizes: Vec<usize> = (0..3)
                .map(|s| placed.iter().filter(|&&p| p == s).count())
                .collect();
            if sizes != [2, 3, 4] {
                continue;
            }
            ways += 1;
            at_least += usize::from(best_z(&placed, 3, &won, &lost).unwrap().1 >= z);
        }
        assert_eq!(ways, 1260);
        let exact = at_least as f64 / ways as f64;
        assert!(exact > 0.05 && exact < 0.95, "{exact}");
        let t = best_segment_test(&labels, 3, &won, &lost, 5).unwrap();
        within(t.p_value, exact, (exact * (1.0 - exact) / mc).sqrt());

        let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(7);
        let n = 300;
        let labels: Vec<usize> = (0..n).map(|_| rng.gen_range(0..3)).collect();
        // Segment 2 wins a little more, so the p-value is neither 0 nor 1.
        let won: Vec<f64> = (labels.iter())
            .map(|&s| f64::from(rng.gen_range(0..4 + u32::from(s == 2))))
            .collect();
        let lost: Vec<f64> = (0..n).map(|_| f64::from(rng.gen_range(0..4))).collect();
        let (_, z) = best_z(&labels, 3, &won, &lost).unwrap();
        let mut order: Vec<usize> = (0..n).collect();
        let (mut pw, mut pl) = (won.clone(), lost.clone());
        let mut shuffled_at_least = 0;
        for _ in 0..BEST_SEGMENT_PERMUTATIONS {
            order.shuffle(&mut rng);
            for (a, &b) in order.iter().enumerate() {
                pw[a] = won[b];
                pl[a] = lost[b];
            }
            shuffled_at_least += usize::from(best_z(&labels, 3, &pw, &pl).unwrap().1 >= z);
        }
        let shuffled = shuffled_at_least as f64 / mc;
        assert!(shuffled > 0.05 && shuffled < 0.95, "{shuffled}");
        let t = best_segment_test(&labels, 3, &won, &lost, 11).unwrap();
        within(
            t.p_value,
            shuffled,
            (2.0 * shuffled * (1.0 - shuffled) / mc).sqrt(),
        );
    }

    /// Segment 1's 50 accounts win all of their 3 deals, segment 0's none:
    /// no shuffle of account outcomes over 100 accounts matches that split
    /// (one chance in C(100, 50)), so p is the smallest possible, 1/1001.
    /// With every account alike, every shuffle ties and p is 1. Best z by
    /// hand for 1 of 2 against 0 of 2: pooled 0.25, z = 0.5 / sqrt(0.25 ·
    /// 0.75 · (1/2 + 1/2)) = 1.1547.
    #[test]
    fn the_best_segment_test_is_smallest_for_a_clean_split_and_one_for_a_tie() {
        let labels: Vec<usize> = (0..100).map(|i| usize::from(i >= 50)).collect();
        let won: Vec<f64> = labels.iter().map(|&s| 3.0 * s as f64).collect();
        let lost: Vec<f64> = won.iter().map(|w| 3.0 - w).collect();
        let t = best_segment_test(&labels, 2, &won, &lost, 1).unwrap();
        assert_eq!(t.segment, 1);
        assert_eq!(t.p_value, 1.0 / 1001.0);
        let same = best_segment_test(&labels, 2, &[1.0; 100], &[1.0; 100], 1).unwrap();
        assert_eq!(same.p_value, 1.0);
        let (s, z) = best_z(&[0, 1], 2, &[1.0, 0.0], &[1.0, 2.0]).unwrap();
        assert_eq!(s, 0);
        assert!((z - 0.5 / (0.25f64 * 0.75).sqrt()).abs() < 1e-12, "{z}");
    }
}
