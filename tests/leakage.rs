//! Likely post-outcome features (#19): without account history, a value
//! written when an account first wins is named, kept out of the ICP criteria
//! and the fit score, and no genuine feature is taken for one — on three
//! generated structures, over seeds, and at scale.

use std::collections::HashSet;

use abm_segments::features::{FeatureColumn, FeatureData};
use abm_segments::generate::{normal, Structure};
use abm_segments::leakage::{analyse, excess_z, PostOutcome};
use abm_segments::outcomes::FigureOptions;
use abm_segments::recommend::rules::RuleOptions;
use abm_segments::recommend::{counts, recommend, Context, Recommendation, TierSizes};
use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;

use crate::util::{inputs, Inputs, Workdir};

/// The crate's generator (its own `csm_assigned` is replaced below by the
/// same values).
fn generator(accounts: usize, seed: u64, structure: Structure) -> (DataFrame, DataFrame) {
    let g = abm_segments::generate::generate(&abm_segments::generate::GenerateParams {
        accounts,
        deals_per_account: 3.0,
        seed,
        as_of: "2026-09-30".into(),
        structure,
    })
    .unwrap();
    (g.accounts, g.deals)
}

/// Generator structure A: the Fintech/SaaS × mid-size × Salesforce fit
/// group, intent, Government disqualifies.
fn structure_a(accounts: usize, seed: u64) -> (DataFrame, DataFrame) {
    generator(accounts, seed, Structure::A)
}

/// Generator structure B: the EMEA × Manufacturing/Logistics × SAP fit
/// group, web visits, Education disqualifies.
fn structure_b(accounts: usize, seed: u64) -> (DataFrame, DataFrame) {
    generator(accounts, seed, Structure::B)
}

/// Structure C, built here: a fit category (`segment`: Core wins 55%, Adjacent 25%,
/// Other 20%, Public 0.8% — a real disqualifier), a buying signal
/// (`surge_score`, +0.04 log-odds per point), a relationship
/// (`partner_referred`, +0.8) and a size with no effect (`headcount`).
/// 2.5 deals per account (Poisson), created over two years, closing after
/// an exponential 50 days; a deal whose close falls after the as-of date is
/// open.
fn structure_c(accounts: usize, seed: u64) -> (DataFrame, DataFrame) {
    let mut rng = Xoshiro256Plus::seed_from_u64(seed ^ 0xB);
    let as_of = abm_segments::dates::parse_date("2026-09-30").unwrap();
    let (mut ids, mut segment, mut surge, mut partner, mut headcount) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut deal_id, mut deal_account, mut created, mut closed, mut outcome) =
        (vec![], vec![], vec![], vec![], vec![]);
    for i in 0..accounts {
        let u: f64 = rng.gen();
        let (seg, base): (&str, f64) = match u {
            u if u < 0.25 => ("Core", 0.55),
            u if u < 0.70 => ("Adjacent", 0.25),
            u if u < 0.73 => ("Public", 0.008),
            _ => ("Other", 0.20),
        };
        let s: f64 = (50.0 + 15.0 * normal(&mut rng)).clamp(0.0, 100.0).round();
        let p: bool = rng.gen_bool(0.3);
        let logit = (base / (1.0 - base)).ln() + 0.04 * (s - 50.0) + 0.8 * f64::from(u8::from(p));
        let p_win = 1.0 / (1.0 + (-logit).exp());
        let id = format!("B{:06}", i + 1);
        ids.push(id.clone());
        segment.push(seg);
        surge.push(s);
        partner.push(p);
        headcount.push((20.0 * (1.5 * normal(&mut rng)).exp()).round() as i64);
        for _ in 0..poisson(&mut rng, 2.5) {
            let c = as_of - rng.gen_range(1..=730);
            let days = (-50.0 * rng.gen::<f64>().max(1e-12).ln()).round() as i32;
            deal_id.push(format!("D{}", deal_id.len() + 1));
            deal_account.push(id.clone());
            created.push(c);
            if c + days > as_of {
                closed.push(None);
                outcome.push("open");
            } else {
                closed.push(Some(c + days));
                outcome.push(if rng.gen_bool(p_win) { "won" } else { "lost" });
            }
        }
    }
    let date = |name: &str, v: Vec<Option<i32>>| {
        Column::new(name.into(), v).cast(&DataType::Date).unwrap()
    };
    let accounts = DataFrame::new(
        accounts,
        vec![
            Column::new("account_id".into(), ids),
            Column::new("segment".into(), segment),
            Column::new("surge_score".into(), surge),
            Column::new("partner_referred".into(), partner),
            Column::new("headcount".into(), headcount),
        ],
    )
    .unwrap();
    let m = deal_id.len();
    let deals = DataFrame::new(
        m,
        vec![
            Column::new("deal_id".into(), deal_id),
            Column::new("account_id".into(), deal_account),
            date("created_at", created.into_iter().map(Some).collect()),
            date("closed_at", closed),
            Column::new("outcome".into(), outcome),
        ],
    )
    .unwrap();
    (accounts, deals)
}

fn poisson(rng: &mut Xoshiro256Plus, mean: f64) -> usize {
    let (l, mut k, mut p) = ((-mean).exp(), 0, 1.0);
    loop {
        p *= rng.gen::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

/// Add boolean columns `names`, each true exactly for the accounts with a
/// won deal: a value a CRM writes at the first win, with no effect of its own.
fn with_leaks(mut accounts: DataFrame, deals: &DataFrame, names: &[&str]) -> DataFrame {
    let set = winners(&accounts, deals);
    for name in names {
        accounts
            .with_column(Column::new((*name).into(), set.clone()))
            .unwrap();
    }
    accounts
}

/// Per account (in table order), whether it has a won deal.
fn winners(accounts: &DataFrame, deals: &DataFrame) -> Vec<bool> {
    let outcome = deals.column("outcome").unwrap().str().unwrap().clone();
    let account = deals.column("account_id").unwrap().str().unwrap().clone();
    let winners: HashSet<&str> = (outcome.iter().zip(account.iter()))
        .filter(|(o, _)| *o == Some("won"))
        .filter_map(|(_, a)| a)
        .collect();
    let ids = accounts
        .column("account_id")
        .unwrap()
        .str()
        .unwrap()
        .clone();
    ids.iter()
        .map(|a| a.is_some_and(|a| winners.contains(a)))
        .collect()
}

/// The post-outcome features planted below.
const LEAKS: [&str; 2] = ["csm_assigned", "success_plan"];

type Make = fn(usize, u64) -> (DataFrame, DataFrame);
const STRUCTURES: [(&str, Make); 3] = [("A", structure_a), ("B", structure_b), ("C", structure_c)];

fn leaky(structure: Make, accounts: usize, seed: u64) -> Inputs {
    let (a, d) = structure(accounts, seed);
    inputs(with_leaks(a, &d, &LEAKS), d)
}

fn check(inp: &Inputs) -> PostOutcome {
    analyse(&inp.features, inp.accounts.len(), &inp.deals)
}

fn listed(p: &PostOutcome) -> Vec<&str> {
    p.features.iter().map(|f| f.feature.as_str()).collect()
}

#[test]
fn a_value_set_at_the_first_win_is_caught_and_no_genuine_feature_is_on_three_structures() {
    const SEEDS: u64 = 20;
    for (name, structure) in STRUCTURES {
        let (mut leak_excluded, mut genuine_listed, mut genuine_excluded) = (0, 0, 0);
        let mut genuine_checked = 0;
        let mut worst: Option<(f64, String)> = None;
        let mut max_genuine: Option<(f64, String)> = None;
        let mut min_leak = f64::INFINITY;
        for seed in 1..=SEEDS {
            let inp = leaky(structure, 1_500, seed);
            let p = check(&inp);
            for leak in LEAKS {
                let f = p.features.iter().find(|f| f.feature == leak);
                if f.is_some_and(|f| f.excluded) {
                    leak_excluded += 1;
                }
            }
            for f in &p.features {
                if !LEAKS.contains(&f.feature.as_str()) {
                    genuine_listed += 1;
                    genuine_excluded += usize::from(f.excluded);
                    if worst.as_ref().is_none_or(|w| f.z > w.0) {
                        worst = Some((f.z, f.text.clone()));
                    }
                }
            }
            genuine_checked += inp.features.len() - LEAKS.len();
            for f in &inp.features {
                if !LEAKS.contains(&f.spec.name.as_str()) {
                    let z = excess_z(f, inp.accounts.len(), &inp.deals);
                    if max_genuine.as_ref().is_none_or(|m| z > m.0) {
                        max_genuine = Some((z, f.spec.name.clone()));
                    }
                } else {
                    let z = excess_z(f, inp.accounts.len(), &inp.deals);
                    min_leak = min_leak.min(z);
                }
            }
        }
        println!(
            "structure {name}, 1,500 accounts, {SEEDS} seeds: post-outcome fields excluded {leak_excluded}/{}; genuine features listed {genuine_listed}/{genuine_checked}, excluded {genuine_excluded}/{genuine_checked}; largest genuine z {max_genuine:?}, smallest post-outcome z {min_leak:.1}",
            LEAKS.len() as u64 * SEEDS
        );
        assert_eq!(
            leak_excluded,
            LEAKS.len() as u64 * SEEDS,
            "structure {name}"
        );
        assert_eq!(
            (genuine_listed, genuine_excluded),
            (0, 0),
            "structure {name}: {worst:?}"
        );
    }
}

#[test]
fn the_two_values_are_shares_of_accounts_with_and_without_a_win() {
    let inp = leaky(structure_a, 2_000, 3);
    let p = check(&inp);
    let f = p
        .features
        .iter()
        .find(|f| f.feature == "csm_assigned")
        .unwrap();
    // Set exactly at the win: every account with a win has it, none without.
    assert_eq!((f.measure, f.with_win, f.without_win), ("share", 1.0, 0.0));
    assert_eq!(f.value, "csm_assigned = yes");
    assert_eq!(f.other_won_deals, 0);
    assert!(
        f.separated && f.excluded && f.other_closed_deals >= 30,
        "{f:?}"
    );
    assert_eq!(f.accounts, f.accounts_won);
    assert!(f.accounts_won_expected < 0.9 * f.accounts as f64, "{f:?}");
    assert!(
        f.text
            .starts_with("csm_assigned: 100.0% vs 0.0% of accounts with and without a win"),
        "{}",
        f.text
    );
    assert_eq!(p.excluded(), vec!["csm_assigned", "success_plan"]);
}

fn run_recommend(inp: &Inputs, exclude: &[String]) -> Recommendation {
    let n = inp.accounts.len();
    let matrix = abm_segments::features::encode(&inp.features, n);
    let d = matrix.columns.len();
    recommend(
        &inp.features,
        &matrix,
        &inp.deals,
        &Context {
            labels: &vec![0; n],
            centroids: &ndarray::Array2::zeros((1, d)),
            column_weights: &vec![1.0; d],
            opts: &FigureOptions {
                horizons: vec![30, 90, 180],
                confidence: 0.95,
            },
            sizes: &TierSizes::default(),
            rules: &RuleOptions::default(),
            account_id_column: "account_id",
            accounts_sha256: "",
            gate: &abm_segments::features::Gate::new(&inp.features, exclude.iter().cloned()),
        },
    )
    .unwrap()
}

fn criteria_features(r: &Recommendation) -> Vec<String> {
    let c = &r.model.criteria;
    (c.qualifying.iter().chain(&c.disqualifying))
        .map(|c| c.feature().to_string())
        .collect()
}

#[test]
fn no_criterion_and_no_fit_score_weight_rests_on_a_likely_leak() {
    for (name, structure) in STRUCTURES {
        let inp = leaky(structure, 3_000, 11);
        let exclude = check(&inp).excluded();
        assert_eq!(exclude, vec!["csm_assigned", "success_plan"], "{name}");
        // Without the check the leak is what the criteria rest on.
        let naive = criteria_features(&run_recommend(&inp, &[]));
        assert!(
            naive.iter().any(|f| LEAKS.contains(&f.as_str())),
            "structure {name}: {naive:?}"
        );
        let r = run_recommend(&inp, &exclude);
        let used = criteria_features(&r);
        assert!(
            used.iter().all(|f| !LEAKS.contains(&f.as_str())),
            "structure {name}: {used:?}"
        );
        for (j, col) in r.model.encoded_columns.iter().enumerate() {
            if LEAKS.iter().any(|l| col.starts_with(l)) {
                assert_eq!(r.model.score.coef[j], 0.0, "structure {name}: {col}");
            }
        }
        // The genuine fit still makes the criteria.
        let fit: &[&str] = match name {
            "C" => &["segment"],
            _ => &["industry", "region", "technologies", "employees"],
        };
        assert!(
            used.iter().any(|f| fit.contains(&f.as_str())),
            "structure {name}: {used:?}"
        );
    }
}

/// The win rate of deals of accounts whose categorical `feature` is `level`.
fn level_win_rate(inp: &Inputs, feature: &str, level: &str) -> (f64, f64) {
    let f: &FeatureColumn = inp
        .features
        .iter()
        .find(|f| f.spec.name == feature)
        .unwrap();
    let code = f.levels().iter().position(|l| l == level).unwrap() as u32;
    let FeatureData::Categorical(codes) = &f.data else {
        panic!("{feature} is not categorical")
    };
    let (won, lost) = counts(&inp.deals, &inp.deals.account, inp.accounts.len(), &|i| {
        codes[inp.deals.account[i] as usize] == code
    });
    let (w, l): (f64, f64) = (won.iter().sum(), lost.iter().sum());
    (w, w + l)
}

#[test]
fn at_30000_accounts_a_real_disqualifier_under_one_percent_is_not_flagged() {
    let inp = leaky(structure_a, 30_000, 5);
    let (won, closed) = level_win_rate(&inp, "industry", "Government");
    // A real disqualifier that separates almost as well as a leak.
    assert!(
        closed >= 1_000.0 && won / closed < 0.01,
        "{won} of {closed}"
    );
    let p = check(&inp);
    println!(
        "structure A, 30,000 accounts: Government wins {won} of {closed} closed deals; listed {:?}",
        listed(&p)
    );
    assert_eq!(listed(&p), vec!["csm_assigned", "success_plan"]);
}

/// Run `discover` on structure A with `csm_assigned` and `success_plan` set
/// at the first win, with an optional config.
fn discover_leaky(wd: &Workdir, config: Option<&str>) -> serde_json::Value {
    let (a, d) = structure_a(3_000, 21);
    let mut a = with_leaks(a, &d, &LEAKS);
    let mut d = d;
    crate::util::discover_tables(wd, &mut a, &mut d, "run", config)
}

#[test]
fn the_report_names_the_leak_and_a_declared_role_keeps_it() {
    let wd = Workdir::new("leakage-report");
    let r = discover_leaky(&wd, None);
    let po = &r["data_quality"]["post_outcome"];
    let names: Vec<(&str, bool)> = (po["features"].as_array().unwrap().iter())
        .map(|f| {
            (
                f["feature"].as_str().unwrap(),
                f["excluded"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(names, vec![("csm_assigned", true), ("success_plan", true)]);
    assert!(po["note"]
        .as_str()
        .unwrap()
        .starts_with("features are one snapshot"));
    let icp = r["icp"].to_string();
    assert!(
        !icp.contains("csm_assigned") && !icp.contains("success_plan"),
        "{icp}"
    );
    let md = std::fs::read_to_string(wd.path("run/report.md")).unwrap();
    // The snapshot is said once, then what looks set by a win.
    assert_eq!(
        md.matches("one snapshot of the accounts").count(),
        1,
        "{md}"
    );
    assert!(md.contains("2 features look set by a win"), "{md}");
    let line = md
        .lines()
        .find(|l| l.contains("likely post-outcome: csm_assigned: 100.0% vs 0.0%"))
        .expect("report.md names csm_assigned");
    assert!(
        line.contains("left out of the ICP criteria and the fit score"),
        "{line}"
    );

    // Declared: "I know when this was known" — listed, kept.
    let r = discover_leaky(
        &wd,
        Some("[accounts.roles]\nrelationship = [\"csm_assigned\"]\n"),
    );
    let f = &r["data_quality"]["post_outcome"]["features"];
    let csm = (f.as_array().unwrap().iter())
        .find(|f| f["feature"] == "csm_assigned")
        .unwrap();
    assert_eq!(csm["excluded"], false);
    assert_eq!(csm["role_declared"], true);
    assert!(csm["text"]
        .as_str()
        .unwrap()
        .contains("its role is declared"));
}

/// A count that grows at the win is a leak whether or not its values
/// overlap: the accounts above the cut that only winners reach are all
/// winners, so both are excluded; only the one whose other side wins
/// nothing separates.
#[test]
fn a_count_that_grows_after_the_win_is_excluded_whether_or_not_it_separates() {
    let (mut a, d) = structure_c(3_000, 8);
    let won = winners(&a, &d);
    // 0–4 before the win; a win adds 3 (overlapping) or 8 (separating).
    let count = |add: i64| -> Vec<i64> {
        (won.iter().enumerate())
            .map(|(i, &w)| (i % 5) as i64 + if w { add } else { 0 })
            .collect()
    };
    a.with_column(Column::new("product_users".into(), count(3)))
        .unwrap();
    a.with_column(Column::new("seats".into(), count(8)))
        .unwrap();
    let inp = inputs(a, d);
    let p = check(&inp);
    assert_eq!(listed(&p), vec!["seats", "product_users"], "{p:#?}");
    let seats = &p.features[0];
    assert!(seats.separated && seats.excluded, "{seats:?}");
    assert_eq!(seats.other_won_deals, 0);
    let users = &p.features[1];
    assert!(!users.separated && users.excluded, "{users:?}");
    assert_eq!(users.measure, "mean");
    assert!(users.with_win > users.without_win + 2.5, "{users:?}");
    // Of the accounts above the cut that lost their first deal and closed
    // another, none never won; on the other side many did.
    assert_eq!(users.first_lost_never_won, 0, "{users:?}");
    assert!(users.first_lost_followed >= 100, "{users:?}");
    assert!(users.other_never_won_share >= 0.2, "{users:?}");
    assert!(users.text.contains("Likely a leak"), "{}", users.text);
    assert_eq!(p.excluded(), vec!["seats", "product_users"]);
}
