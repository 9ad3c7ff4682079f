//! On pure noise — outcomes unrelated to the accounts' features — the
//! stages that decide the findings find nothing: the best segment is within
//! chance and no ICP criterion holds. Two generated structures, seeded;
//! 100 draws of each run in about 35 s in the test profile. The core-ICP
//! carve-out keeps its rate where the core ICP does not truly win more,
//! also through the whole `discover` pipeline when account effects persist
//! from the training into the held-out window.

use abm_segments::cluster::ClusterConfig;
use abm_segments::domain::OutcomeLabel;
use abm_segments::features::{encode::encode, encode::outcome_weights, FeatureColumn};
use abm_segments::recommend::rules::{learn, RuleOptions};
use polars::prelude::*;
use rand::{seq::SliceRandom, Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;

/// Whether the best segment is called significant, and whether any ICP
/// criterion was kept: clustering on outcome-weighted features (for k),
/// the held-out best-segment test, and rule learning, as `discover` runs them.
fn verdicts(features: &[FeatureColumn], deal_account: &[u32], deal_won: &[bool]) -> (bool, bool) {
    let n = accounts_of(features);
    let matrix = encode(features, n);
    let won_opt: Vec<Option<bool>> = deal_won.iter().map(|&w| Some(w)).collect();
    let weights = outcome_weights(&matrix.x, deal_account, &won_opt);
    let weighted = &matrix.x * &ndarray::Array1::from(weights);
    // A fit sample of half the accounts, so that the held-out test's refit
    // on the sample and nearest-centroid labels run as on large data.
    let params = ClusterConfig {
        k_max: 5,
        n_runs: 3,
        fit_sample: n / 2,
        ..ClusterConfig::default()
    };
    let clustering = abm_segments::cluster::cluster(weighted.view(), &params).unwrap();
    let best = abm_segments::segments::held_out_best_segment_test(
        &matrix.x,
        &vec![true; matrix.columns.len()],
        deal_account,
        &won_opt,
        clustering.k,
        &params,
    );
    let (mut won, mut lost) = (vec![0.0; n], vec![0.0; n]);
    for (&a, &w) in deal_account.iter().zip(deal_won) {
        if w {
            won[a as usize] += 1.0;
        } else {
            lost[a as usize] += 1.0;
        }
    }
    let significant = best.is_some_and(|t| t.p_value < 0.05);
    let c = learn(
        features,
        &won,
        &lost,
        None,
        &RuleOptions::default(),
        &abm_segments::features::Gate::new(features, []),
    );
    (
        significant,
        !c.qualifying.is_empty() || !c.broad.is_empty() || !c.disqualifying.is_empty(),
    )
}

fn accounts_of(features: &[FeatureColumn]) -> usize {
    use abm_segments::features::FeatureData;
    match features.first().map(|f| &f.data) {
        Some(FeatureData::Numeric(v) | FeatureData::Binary(v)) => v.len(),
        Some(FeatureData::Categorical(c)) => c.len(),
        Some(FeatureData::List { offsets, .. }) => offsets.len() - 1,
        None => 0,
    }
}

/// A second structure: five industries, log-normal sizes, a flag, 1–12 deals
/// an account, and an account-level win probability (logit-normal, sd 1)
/// that has nothing to do with the features.
fn random_effects_table(seed: u64) -> (Vec<FeatureColumn>, Vec<u32>, Vec<bool>) {
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let n = 300;
    let industries = ["Fintech", "SaaS", "Retail", "Health", "Energy"];
    let normal = |rng: &mut Xoshiro256Plus| -> f64 {
        // Box–Muller.
        let (u, v): (f64, f64) = (rng.gen::<f64>().max(1e-12), rng.gen());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    };
    let ids: Vec<String> = (0..n).map(|i| format!("A{i:04}")).collect();
    let industry: Vec<&str> = (0..n).map(|_| industries[rng.gen_range(0..5)]).collect();
    let employees: Vec<f64> = (0..n)
        .map(|_| (5.0 + 1.5 * normal(&mut rng)).exp().round())
        .collect();
    let flag: Vec<bool> = (0..n).map(|_| rng.gen_bool(0.3)).collect();
    let df = df!("account_id" => ids, "industry" => industry, "employees" => employees, "partner" => flag).unwrap();
    let config = abm_segments::config::RawConfig::default()
        .check(Default::default())
        .unwrap();
    let accounts =
        abm_segments::io::contract::accounts(crate::util::table(df, "accounts"), &config.input)
            .unwrap();
    let kinds = std::collections::BTreeMap::new();
    let (features, _) = abm_segments::features::infer::infer_accounts(
        &accounts,
        &abm_segments::features::infer::InferOptions {
            kinds: &kinds,
            roles: &std::collections::BTreeMap::new(),
            list_separator: ";",
            file: &accounts.path,
        },
    )
    .unwrap();
    let (mut deal_account, mut deal_won) = (Vec::new(), Vec::new());
    for a in 0..n as u32 {
        let p = 1.0 / (1.0 + (-(-0.5 + normal(&mut rng))).exp());
        for _ in 0..rng.gen_range(1..=12) {
            deal_account.push(a);
            deal_won.push(rng.gen_bool(p));
        }
    }
    (features, deal_account, deal_won)
}

#[test]
fn on_pure_noise_no_segment_is_called_better_and_no_icp_criterion_holds() {
    let mut rng = Xoshiro256Plus::seed_from_u64(2020);
    let (mut seg_a, mut icp_a, mut seg_b, mut icp_b) = (0, 0, 0, 0);
    for draw in 0..100u64 {
        // The generator's accounts, with whole deal histories moved between
        // accounts at random: outcomes shuffled across accounts.
        let g = crate::util::generated(300, 100 + draw);
        let mut to: Vec<u32> = (0..g.accounts.len() as u32).collect();
        to.shuffle(&mut rng);
        let (mut acc, mut won) = (Vec::new(), Vec::new());
        for (&a, o) in g.deals.account.iter().zip(&g.deals.outcome) {
            match o {
                OutcomeLabel::Open => {}
                o => {
                    acc.push(to[a as usize]);
                    won.push(*o == OutcomeLabel::Won);
                }
            }
        }
        let (s, i) = verdicts(&g.features, &acc, &won);
        seg_a += usize::from(s);
        icp_a += usize::from(i);
        let (f, acc, won) = random_effects_table(500 + draw);
        let (s, i) = verdicts(&f, &acc, &won);
        seg_b += usize::from(s);
        icp_b += usize::from(i);
    }
    let max_count = binomial_critical_count(100, 0.05, 0.01) as usize;
    eprintln!(
        "of 100 draws: best segment significant {seg_a} (generated, shuffled) and {seg_b} \
         (random effects); ICP criteria kept {icp_a} and {icp_b}"
    );
    for (what, count) in [
        ("a segment called better (generated, shuffled)", seg_a),
        ("a segment called better (random effects)", seg_b),
        ("an ICP criterion kept (generated, shuffled)", icp_a),
        ("an ICP criterion kept (random effects)", icp_b),
    ] {
        assert!(
            count <= max_count,
            "{what} in {count} of 100 draws (at most {max_count} for a 5% rate)"
        );
    }
}

/// The most events of `n` draws at rate `p` that a one-sided binomial test
/// at level `alpha` still accepts: the smallest `c` with P(X > c) <= alpha.
/// A 5% test fires in about 5 of 100 null draws, so asserting "at most 5"
/// would fail a correct test on a third of seeds.
fn binomial_critical_count(n: u64, p: f64, alpha: f64) -> u64 {
    let mut pmf = (1.0 - p).powi(n as i32);
    let mut cdf = pmf;
    let mut c = 0;
    while 1.0 - cdf > alpha {
        pmf *= (n - c) as f64 / (c + 1) as f64 * p / (1.0 - p);
        cdf += pmf;
        c += 1;
    }
    c
}

#[test]
fn the_critical_count_matches_scipy() {
    // scipy.stats.binom.isf(0.01, 100, 0.05) == 11 (P(X > 11) = 0.0043,
    // P(X > 10) = 0.0115).
    assert_eq!(binomial_critical_count(100, 0.05, 0.01), 11);
    // scipy.stats.binom.isf(0.05, 200, 0.05) == 15.
    assert_eq!(binomial_critical_count(200, 0.05, 0.05), 15);
}

/// The core-ICP carve-out keeps its 5% rate where the core ICP does not
/// truly win more. Each draw: 1,500 accounts in 4 k-means segments at
/// random and 25 levels of a fit feature at random; training deals (1–4 an
/// account) and held-out deals (0–3) won with account-level probabilities
/// (logit-normal, sd 1), drawn afresh for the held-out window so the level
/// chosen on training deals carries nothing into it but deals of one
/// account still cluster. The "core ICP" is the level with the highest
/// training win rate among those with at least 30 closed deals (chosen on
/// outcomes, as the learner chooses), and the carve-out rule is applied to
/// its held-out deals against the rest of its segments.
#[test]
fn on_noise_the_core_icp_is_carved_out_at_most_at_its_stated_rate() {
    use abm_segments::recommend::carve::{
        carve_test, held_out_counts, segments_holding, HeldOutDeals,
    };
    use abm_segments::stats::clustered::AccountCounts;
    let mut rng = Xoshiro256Plus::seed_from_u64(2026);
    let normal = |rng: &mut Xoshiro256Plus| -> f64 {
        let (u, v): (f64, f64) = (rng.gen::<f64>().max(1e-12), rng.gen());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    };
    let (draws, n, k, levels) = (400u64, 1_500usize, 4usize, 25usize);
    let (mut carved, mut tested) = (0u64, 0u64);
    for _ in 0..draws {
        let labels: Vec<usize> = (0..n).map(|_| rng.gen_range(0..k)).collect();
        let level: Vec<usize> = (0..n).map(|_| rng.gen_range(0..levels)).collect();
        let mut train = vec![AccountCounts::default(); levels];
        let (mut outcome, mut account) = (Vec::new(), Vec::new());
        for a in 0..n {
            let logistic = |z: f64| 1.0 / (1.0 + (-z).exp());
            let p = logistic(-1.0 + normal(&mut rng));
            for _ in 0..rng.gen_range(1..=4) {
                train[level[a]].closed += 1;
                train[level[a]].won += u64::from(rng.gen_bool(p));
            }
            let p = logistic(-1.0 + normal(&mut rng));
            for _ in 0..rng.gen_range(0..=3) {
                account.push(a as u32);
                outcome.push(match rng.gen_bool(p) {
                    true => OutcomeLabel::Won,
                    false => OutcomeLabel::Lost,
                });
            }
        }
        let rate = |c: &AccountCounts| c.won as f64 / c.closed as f64;
        let chosen = (0..levels)
            .filter(|&l| train[l].closed >= 30)
            .max_by(|&a, &b| rate(&train[a]).total_cmp(&rate(&train[b])))
            .unwrap();
        let in_icp: Vec<bool> = level.iter().map(|&l| l == chosen).collect();
        let holding = segments_holding(&labels, &in_icp, k);
        let rows: Vec<u32> = (0..n as u32).collect();
        let deals = HeldOutDeals {
            outcome: &outcome,
            row_of_deal: &account,
            row_in_icp: &in_icp,
            row_disqualified: &vec![false; n],
            account_of_row: &rows,
            labels: &labels,
            holding: &holding,
        };
        let (inside, rest) = held_out_counts(&deals, &|_| true);
        let t = carve_test(&inside, &rest).unwrap();
        tested += u64::from(t.inside.closed >= 20);
        carved += u64::from(t.carves());
    }
    let max_count = binomial_critical_count(draws, 0.05, 0.01);
    eprintln!("of {draws} draws: carved out {carved} (tested with enough deals {tested})");
    assert!(tested >= draws * 9 / 10, "{tested}");
    assert!(
        carved <= max_count,
        "carved out in {carved} of {draws} draws (at most {max_count} for a 5% rate)"
    );
}

/// The carve-out test has power where the core ICP truly wins more: the
/// same draws with the chosen level's held-out win probability raised
/// (log-odds +1), carved out in most.
#[test]
fn the_core_icp_carve_out_fires_when_the_icp_truly_wins_more() {
    use abm_segments::recommend::carve::{
        carve_test, held_out_counts, segments_holding, HeldOutDeals,
    };
    let mut rng = Xoshiro256Plus::seed_from_u64(2027);
    let (draws, n, k) = (50u64, 1_500usize, 4usize);
    let mut carved = 0;
    for _ in 0..draws {
        let labels: Vec<usize> = (0..n).map(|_| rng.gen_range(0..k)).collect();
        let in_icp: Vec<bool> = (0..n).map(|_| rng.gen_bool(0.04)).collect();
        let (mut outcome, mut account) = (Vec::new(), Vec::new());
        for (a, &inside) in in_icp.iter().enumerate() {
            let z: f64 = -1.0 + if inside { 1.0 } else { 0.0 };
            let p = 1.0 / (1.0 + (-z).exp());
            for _ in 0..rng.gen_range(0..=3) {
                account.push(a as u32);
                outcome.push(match rng.gen_bool(p) {
                    true => OutcomeLabel::Won,
                    false => OutcomeLabel::Lost,
                });
            }
        }
        let holding = segments_holding(&labels, &in_icp, k);
        let rows: Vec<u32> = (0..n as u32).collect();
        let deals = HeldOutDeals {
            outcome: &outcome,
            row_of_deal: &account,
            row_in_icp: &in_icp,
            row_disqualified: &vec![false; n],
            account_of_row: &rows,
            labels: &labels,
            holding: &holding,
        };
        let (inside, rest) = held_out_counts(&deals, &|_| true);
        carved += u64::from(carve_test(&inside, &rest).unwrap().carves());
    }
    eprintln!("of {draws} draws with a true effect: carved out {carved}");
    assert!(carved >= draws * 7 / 10, "{carved} of {draws}");
}

/// Accounts and deals CSV text of a null table with persistent account
/// effects: `n` accounts with fit features that have no bearing on winning
/// (industry of 10, region of 6, funding stage of 5, log-normal employees
/// and revenue, a partner flag), each with 1–5 deals created uniformly over
/// 2025-01-01..2026-06-30 and closed 7–60 days later, every deal of an
/// account won with one probability (logit-normal, mean −0.5, sd 1) that
/// holds for its whole history.
fn persistent_effects_csv(rng: &mut Xoshiro256Plus, n: usize) -> (String, String) {
    use chrono::{Duration, NaiveDate};
    let normal = |rng: &mut Xoshiro256Plus| -> f64 {
        let (u, v): (f64, f64) = (rng.gen::<f64>().max(1e-12), rng.gen());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    };
    let pick = |rng: &mut Xoshiro256Plus, of: &[&'static str]| of[rng.gen_range(0..of.len())];
    let industries = [
        "Fintech",
        "SaaS",
        "Retail",
        "Health",
        "Energy",
        "Media",
        "Logistics",
        "Telecom",
        "Education",
        "Insurance",
    ];
    let regions = ["NA", "EMEA", "APAC", "LATAM", "DACH", "Nordics"];
    let stages = ["Seed", "Series A", "Series B", "Growth", "Public"];
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let span = (NaiveDate::from_ymd_opt(2026, 6, 30).unwrap() - start).num_days();
    let mut accounts =
        String::from("account_id,industry,region,funding_stage,employees,annual_revenue,partner\n");
    let mut deals = String::from("deal_id,account_id,created_at,closed_at,outcome,amount\n");
    let mut deal = 0;
    for a in 0..n {
        let employees = (5.0 + 1.5 * normal(rng)).exp().round().max(1.0);
        let revenue = (employees * (11.0 + 0.5 * normal(rng)).exp()).round();
        accounts.push_str(&format!(
            "A{a:05},{},{},{},{employees},{revenue},{}\n",
            pick(rng, &industries),
            pick(rng, &regions),
            pick(rng, &stages),
            rng.gen_bool(0.3)
        ));
        let p = 1.0 / (1.0 + (0.5 - normal(rng)).exp());
        for _ in 0..rng.gen_range(1..=5) {
            let created = start + Duration::days(rng.gen_range(0..=span));
            let closed = created + Duration::days(rng.gen_range(7..=60));
            let outcome = if rng.gen_bool(p) { "won" } else { "lost" };
            deals.push_str(&format!(
                "D{deal:06},A{a:05},{created},{closed},{outcome},{}\n",
                rng.gen_range(5_000..50_000)
            ));
            deal += 1;
        }
    }
    (accounts, deals)
}

/// The whole `discover` pipeline carves the core ICP out at most at its 5%
/// rate on null data whose account effects persist. An account that won
/// more in training keeps winning more in the held-out window, so a core
/// ICP chosen on training outcomes carries its accounts' luck into the
/// carve-out's held-out test; what keeps the rate is the learner's guard
/// (a core ICP is adopted only past a permutation threshold of
/// account-level shuffles, see `recommend::rules`).
///
/// Each draw ([`persistent_effects_csv`]): 2,000 accounts, six fit
/// features with no effect on winning, 1–5 deals an account (about 6,000),
/// one logit-normal (sd 1) win probability per account for all its deals,
/// as of 2026-09-30 so that 2026Q2 is held out; `discover` runs in process
/// with the draw's seed. Every draw is validated on a held-out window (else
/// the carve-out could not fire and the count would say nothing).
///
/// Measured with seed 1818: of 100 draws (the default, about 3 minutes in
/// the test profile on a busy 2-core machine) 2 carve the core ICP out,
/// against at most 11 for a 5% rate (`binomial_critical_count(100, 0.05,
/// 0.01)`); of 200 (`ABM_NULL_CARVE_DRAWS=200`), 2 against at most 18. In
/// both draws that adopted a core ICP it was carved out: given an adopted
/// core ICP, the held-out test adds little under persistent effects. The
/// held-out test alone does not keep 5% here: in
/// [`on_noise_the_core_icp_is_carved_out_at_most_at_its_stated_rate`]
/// with each account's training probability kept for its held-out deals,
/// it carves out the level with the best training win rate in 51 of 400
/// draws (at most 31 for a 5% rate).
#[test]
fn with_persistent_account_effects_discover_carves_the_core_icp_out_at_most_at_its_rate() {
    use abm_segments::config::{Overrides, RawConfig};
    use abm_segments::pipeline::discover::discover;
    let draws: u64 = std::env::var("ABM_NULL_CARVE_DRAWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let wd = crate::util::Workdir::new("null-carve");
    let mut rng = Xoshiro256Plus::seed_from_u64(1818);
    let as_of = (chrono::NaiveDate::from_ymd_opt(2026, 9, 30).unwrap()
        - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
    .num_days() as i32;
    let (mut carved, mut with_icp, mut validated) = (0u64, 0u64, 0u64);
    for draw in 0..draws {
        let (accounts, deals) = persistent_effects_csv(&mut rng, 2_000);
        let (a, d) = (wd.path("accounts.csv"), wd.path("deals.csv"));
        std::fs::write(&a, accounts).unwrap();
        std::fs::write(&d, deals).unwrap();
        let config = RawConfig::default()
            .check(Overrides {
                accounts: Some(a),
                deals: Some(d),
                as_of: Some(as_of),
                seed: Some(draw),
                ..Default::default()
            })
            .unwrap();
        let d = discover(&config, &mut abm_segments::progress::Silent).unwrap();
        let json = serde_json::to_value(&d.report).unwrap();
        validated += u64::from(!json["tiers"]["validation"].is_null());
        with_icp += u64::from(
            !json["icp"]["core"]["criteria"]
                .as_array()
                .is_none_or(|c| c.is_empty()),
        );
        carved += u64::from(d.report.clustering.core_icp_segment.is_some());
    }
    let max_count = binomial_critical_count(draws, 0.05, 0.01);
    eprintln!(
        "of {draws} draws: carved out {carved}, core ICP adopted {with_icp}, validated {validated}"
    );
    assert_eq!(validated, draws, "the carve-out needs a held-out window");
    assert!(
        carved <= max_count,
        "carved out in {carved} of {draws} draws (at most {max_count} for a 5% rate)"
    );
}
