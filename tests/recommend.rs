//! ICP criteria, fit scores and tiers on generated data, and `score`.

use abm_segments::features::{FeatureColumn, FeatureData};
use abm_segments::generate::in_planted_icp;
use abm_segments::recommend::rules::RuleOptions;
use abm_segments::recommend::{Recommendation, TierSizes};

use crate::util::{bools, generated, recommend_in_one_segment, Workdir};

struct Run {
    rec: Recommendation,
    planted: Vec<bool>,
}

/// Generate, validate and recommend, with one segment (clustering is not under test here).
fn run(accounts: usize, seed: u64, sizes: TierSizes) -> Run {
    let g = generated(accounts, seed);
    let (features, deals) = (&g.features, &g.deals);
    let n = g.accounts.len();
    let planted = planted_group(features, n);
    let rec = recommend_in_one_segment(
        features,
        n,
        deals,
        &sizes,
        &RuleOptions::default(),
        &abm_segments::features::Gate::new(features, []),
    );
    Run { rec, planted }
}

/// The planted ICP rule, evaluated on the extracted features.
fn planted_group(features: &[FeatureColumn], n: usize) -> Vec<bool> {
    let get = |name: &str| features.iter().find(|f| f.spec.name == name).unwrap();
    let industry = get("industry");
    let levels = industry.levels();
    let employees = get("employees");
    let tech = get("technologies");
    let tech_levels = tech.levels();
    (0..n)
        .map(|i| {
            let ind = match &industry.data {
                FeatureData::Categorical(c) => {
                    levels.get(c[i] as usize).map(String::as_str).unwrap_or("")
                }
                _ => unreachable!(),
            };
            let emp = match &employees.data {
                FeatureData::Numeric(v) => v[i],
                _ => unreachable!(),
            };
            let t: Vec<&str> = tech
                .list_values(i)
                .iter()
                .map(|&c| tech_levels[c as usize].as_str())
                .collect();
            in_planted_icp(ind, emp, &t)
        })
        .collect()
}

#[test]
fn qualifying_rules_recover_the_planted_icp_and_disqualifiers_name_government() {
    let r = run(20_000, 31, TierSizes::default());
    let in_icp = &r.rec.scores.in_icp;
    let tp = in_icp
        .iter()
        .zip(&r.planted)
        .filter(|(a, b)| **a && **b)
        .count() as f64;
    let precision = tp / in_icp.iter().filter(|&&x| x).count() as f64;
    let recall = tp / r.planted.iter().filter(|&&x| x).count() as f64;
    let texts: Vec<&str> = r
        .rec
        .icp
        .qualifying
        .iter()
        .map(|q| q.text.as_str())
        .collect();
    assert!(
        precision >= 0.8 && recall >= 0.8,
        "precision {precision:.3}, recall {recall:.3}, rules {texts:?}"
    );
    assert!(texts.len() <= 5);
    let dis: Vec<&str> = r
        .rec
        .icp
        .disqualifying
        .iter()
        .map(|q| q.text.as_str())
        .collect();
    assert!(dis.contains(&"industry = Government"), "{dis:?}");
    // Every rule carries its evidence.
    for e in r.rec.icp.qualifying.iter().chain(&r.rec.icp.disqualifying) {
        assert!(
            e.closed_deals >= 30 && e.win_rate_interval.is_some() && e.lift.is_some(),
            "{e:?}"
        );
    }
}

/// The tiers come from fit (and relationship) alone. Within the planted ICP
/// group the generator varies the win rate only by intent (a signal, which
/// the readiness score reads) and executive relationship, so Tier 1 and Tier
/// 2 (both mostly ICP accounts with an executive relationship) need not
/// differ; no pair may be inverted, and Tier 2 beats Tier 3 significantly.
#[test]
fn held_out_recommended_tiers_are_never_inverted_and_tier_2_beats_tier_3() {
    // The (core) ICP holds about 6% of the accounts: Tiers 1 and 2 take
    // 1% and 2% of all accounts, so Tier 3 keeps about half of the ICP.
    let sizes = TierSizes {
        tier1_max_accounts: 100_000,
        tier1_max_share: 0.01,
        tier2_max_accounts: 100_000,
        tier2_max_share: 0.02,
    };
    let r = run(60_000, 32, sizes);
    let v = r.rec.tiers.validation.as_ref().expect("validated");
    // The last full quarter ending at least the 90th percentile of won
    // cycle length before the as-of date (2026-09-30): its deals had time to close.
    assert_eq!(v.holdout.from, "2026-01-01");
    assert_eq!(
        v.follow_up.basis,
        abm_segments::recommend::FollowUpBasis::Full
    );
    for c in &v.comparisons {
        assert_ne!(
            c.verdict,
            abm_segments::verdict::PairVerdict::Inverted,
            "{}",
            c.verdict_text
        );
    }
    let c23 = v.comparisons.iter().find(|c| c.higher == 2).unwrap();
    assert_eq!(
        c23.verdict,
        abm_segments::verdict::PairVerdict::InOrder,
        "{}",
        c23.verdict_text
    );
    assert!(c23.p_value.unwrap() < 0.05);
    assert_eq!(v.comparisons.len(), 2);
    assert!(v.auc.unwrap() > 0.7, "{:?}", v.auc);
    // Calibrated: in every well-filled bin the observed rate is near the
    // predicted one, for the fit score and for fit and readiness together.
    // Within 0.1: the fit score leaves the broad intent signal out, and the
    // held-out quarter's closed deals lean to quick (more often won) ones.
    // Fit and readiness together within 0.11: the joint model no longer
    // lets fit carry the intent that runs with it, and intent, read today,
    // is fitted on deals up to two years old, so its effect comes out
    // smaller than on the held-out quarter's deals (its 0.7–0.8 bin is
    // 0.10 under).
    let r = v.readiness.as_ref().expect("a readiness check");
    let within = |bins: &[abm_segments::recommend::CalibrationBin], tolerance: f64| {
        for b in bins.iter().filter(|b| b.closed_deals >= 200) {
            assert!(
                (b.observed_win_rate - b.mean_predicted).abs() < tolerance,
                "{b:?}"
            );
        }
    };
    within(&v.calibration, 0.1);
    within(&r.combined.calibration, 0.11);
    assert!(r.combined.auc.unwrap() > v.auc.unwrap(), "{r:?}");
}

fn read_scored(path: &std::path::Path) -> (Vec<String>, Vec<Option<i32>>, Vec<Option<f64>>) {
    let df = crate::util::read_parquet(path);
    let ids = df
        .column("account_id")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap().to_string())
        .collect();
    let tiers = df
        .column("recommended_tier")
        .unwrap()
        .i32()
        .unwrap()
        .iter()
        .collect();
    let scores = df
        .column("fit_score")
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect();
    (ids, tiers, scores)
}

#[test]
fn score_on_the_training_accounts_reproduces_discovers_tiers_exactly() {
    let wd = Workdir::new("score");
    wd.generate("in", 7, 3000, "csv");
    wd.discover("in", "run").ok();
    wd.ok(&[
        "score",
        "--model",
        "run/model.json",
        "--accounts",
        "in/accounts.csv",
        "--out",
        "scored.parquet",
        "-q",
    ]);
    let (ids_a, tiers_a, scores_a) = read_scored(&wd.path("run/accounts_scored.parquet"));
    let (ids_b, tiers_b, scores_b) = read_scored(&wd.path("scored.parquet"));
    assert_eq!(ids_a, ids_b);
    assert_eq!(tiers_a, tiers_b);
    assert_eq!(scores_a, scores_b);
    assert!(tiers_a.contains(&Some(1)) && tiers_a.contains(&Some(3)));
}

#[test]
fn score_names_a_missing_feature_column() {
    let wd = Workdir::new("score-missing");
    wd.generate("in", 7, 600, "csv");
    wd.discover("in", "run").ok();
    let text = std::fs::read_to_string(wd.path("in/accounts.csv"))
        .unwrap()
        .replacen("intent_score", "intent", 1);
    wd.write("changed.csv", &text);
    let out = wd.run(&[
        "score",
        "--model",
        "run",
        "--accounts",
        "changed.csv",
        "--out",
        "s.parquet",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("column 'intent_score'") && stderr.contains("does not know: 'intent'"),
        "{stderr}"
    );
    assert!(!wd.path("s.parquet").exists());
}

#[test]
fn each_accounts_reasons_agree_with_its_score() {
    let wd = Workdir::new("reasons");
    wd.generate("in", 7, 1500, "parquet");
    wd.discover("in", "run").ok();
    let df = crate::util::read_parquet(&wd.path("run/accounts_scored.parquet"));
    let f64s = |name: &str| -> Vec<f64> {
        df.column(name)
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .map(|v| v.unwrap())
            .collect()
    };
    let log_odds = f64s("log_odds");
    let baseline = f64s("baseline_log_odds");
    let contrib: Vec<Vec<f64>> = df
        .get_column_names()
        .into_iter()
        .filter(|c| c.starts_with("contrib_"))
        .map(|c| f64s(c.as_str()))
        .collect();
    assert!(contrib.len() >= 8, "one contribution column per feature");
    let fit = f64s("fit_score");
    for i in 0..df.height() {
        let sum: f64 = contrib.iter().map(|c| c[i]).sum();
        assert!(
            (sum - (log_odds[i] - baseline[i])).abs() < 1e-9,
            "account {i}: {sum} vs {}",
            log_odds[i] - baseline[i]
        );
        let p = 100.0 / (1.0 + (-log_odds[i]).exp());
        assert!((p - fit[i]).abs() < 1e-9);
    }
    let reasons: Vec<String> = df
        .column("reasons")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap().to_string())
        .collect();
    let in_icp = bools(&df, "in_icp");
    for (r, inside) in reasons.iter().zip(&in_icp) {
        assert!(r.chars().count() <= 255, "{r}");
        assert_eq!(r.contains("| in ICP"), *inside, "{r}");
    }
    // The strongest positive reason of the best-scoring account is a real contribution.
    let best = (0..fit.len())
        .max_by(|&a, &b| fit[a].total_cmp(&fit[b]))
        .unwrap();
    let top: Vec<String> = df
        .column("top_positive")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap().to_string())
        .collect();
    assert!(top[best].contains("(+"), "{}", top[best]);
}

/// Scores are worked out a half of the rows on each of two threads: every
/// row's log-odds, readiness and contributions are, to the bit, those of
/// its own row, on an odd number of rows.
#[test]
fn every_rows_scores_are_those_of_its_own_row() {
    let (accounts, seed) = (1_201, 5);
    let r = run(accounts, seed, TierSizes::default());
    let g = generated(accounts, seed);
    let m = abm_segments::features::encode(&g.features, g.accounts.len());
    let (model, scores) = (&r.rec.model, &r.rec.scores);
    let ready = model
        .readiness
        .as_ref()
        .expect("the generated data has signals");
    assert_eq!(scores.log_odds.len(), m.x.nrows());
    for (i, row) in m.x.outer_iter().enumerate() {
        let row = row.to_vec();
        let z = model.score.log_odds(&row);
        assert_eq!(scores.log_odds[i].to_bits(), z.to_bits(), "row {i}");
        let readiness = scores.readiness.as_ref().unwrap()[i];
        assert_eq!(readiness.to_bits(), ready.probability(&row).to_bits());
        let combined = scores.combined.as_ref().unwrap()[i];
        assert_eq!(combined.to_bits(), ready.combined(z, &row).to_bits());
        let mut contributions = vec![0.0; g.features.len()];
        for (j, x) in row.iter().enumerate() {
            contributions[m.feature_of[j]] += model.score.coef[j] * (x - model.score_baseline[j]);
        }
        for (f, c) in contributions.iter().enumerate() {
            assert_eq!(scores.contributions[f][i].to_bits(), c.to_bits(), "row {i}");
        }
    }
}
