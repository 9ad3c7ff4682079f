//! Planted leaks of the four kinds (#36): a flag, a category, a number and
//! a list value each written when an account first wins. The leak check
//! shuts them out through the one gate, so none reaches a criterion (core,
//! broad, pockets, disqualifiers), the fit score, the account-held-out
//! check, readiness or the drivers: every figure of the run equals that of
//! the same data without the planted columns, and each is named under data
//! quality as excluded.

use std::collections::HashSet;

use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;
use serde_json::Value;

use crate::util::Workdir;

/// The planted columns, one of each kind, with names that say nothing of
/// a role (each is read as fit).
const LEAKS: [&str; 4] = [
    "success_plan",
    "support_plan",
    "seats_in_use",
    "products_owned",
];

/// Per account, whether it has a won deal.
fn winners(accounts: &DataFrame, deals: &DataFrame) -> Vec<bool> {
    let outcome = deals.column("outcome").unwrap().str().unwrap();
    let account = deals.column("account_id").unwrap().str().unwrap();
    let won: HashSet<&str> = (outcome.iter().zip(account.iter()))
        .filter(|(o, _)| *o == Some("won"))
        .filter_map(|(_, a)| a)
        .collect();
    let ids = accounts.column("account_id").unwrap().str().unwrap();
    ids.iter()
        .map(|a| a.is_some_and(|a| won.contains(a)))
        .collect()
}

/// `accounts` with the four leaks: `success_plan` true at a win;
/// `support_plan` Premium or Standard at a win, else None; `seats_in_use`
/// 0–4 before a win and 10–19 after; `products_owned` lists Core (and
/// sometimes Analytics) at a win, else Trial or Sandbox.
fn plant(accounts: &DataFrame, deals: &DataFrame, seed: u64) -> DataFrame {
    let won = winners(accounts, deals);
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let (mut flag, mut plan, mut seats, mut products) = (vec![], vec![], vec![], vec![]);
    for &w in &won {
        let coin: bool = rng.gen();
        flag.push(w);
        plan.push(match (w, coin) {
            (true, true) => "Premium",
            (true, false) => "Standard",
            _ => "None",
        });
        seats.push(if w {
            rng.gen_range(10..20i64)
        } else {
            rng.gen_range(0..5i64)
        });
        products.push(match (w, coin) {
            (true, true) => "Core;Analytics",
            (true, false) => "Core",
            (false, true) => "Trial",
            (false, false) => "Sandbox;Trial",
        });
    }
    let mut out = accounts.clone();
    for c in [
        Column::new(LEAKS[0].into(), flag),
        Column::new(LEAKS[1].into(), plan),
        Column::new(LEAKS[2].into(), seats),
        Column::new(LEAKS[3].into(), products),
    ] {
        out.with_column(c).unwrap();
    }
    out
}

fn write(wd: &Workdir, df: &mut DataFrame, file: &str) {
    let f = std::fs::File::create(wd.path(file)).unwrap();
    ParquetWriter::new(f).finish(df).unwrap();
}

/// Every difference between two JSON values, numbers equal to 1e-9
/// relative, with its path; keys in `skip` are not compared.
fn differences(a: &Value, b: &Value, path: &str, skip: &[&str], out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys.into_iter().filter(|k| !skip.contains(&k.as_str())) {
                let (va, vb) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                differences(va, vb, &format!("{path}.{k}"), skip, out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                differences(va, vb, &format!("{path}[{i}]"), skip, out);
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            if (x - y).abs() > 1e-9 * x.abs().max(y.abs()).max(1.0) {
                out.push(format!("{path}: {x} vs {y}"));
            }
        }
        _ if a != b => out.push(format!("{path}: {a} vs {b}")),
        _ => {}
    }
}

/// The fit score's and readiness's coefficients of `model`, by encoded
/// column, leaving out the planted columns (whose coefficients must be 0).
fn coefficients(model: &Value, leaks_zero: &mut Vec<String>) -> Vec<(String, f64, Option<f64>)> {
    let cols = model["encoded_columns"].as_array().unwrap();
    let fit = model["score"]["coef"].as_array().unwrap();
    let ready = model["readiness"]["score"]["coef"].as_array();
    let mut out = vec![];
    for (j, c) in cols.iter().enumerate() {
        let c = c.as_str().unwrap().to_string();
        let f = fit[j].as_f64().unwrap();
        let r = ready.map(|r| r[j].as_f64().unwrap());
        if LEAKS.iter().any(|l| c.starts_with(l)) {
            if f != 0.0 || r.is_some_and(|r| r != 0.0) {
                leaks_zero.push(format!("{c}: fit {f}, readiness {r:?}"));
            }
        } else {
            out.push((c, f, r));
        }
    }
    out
}

#[test]
fn planted_leaks_of_four_kinds_change_no_figure_and_are_named_as_excluded() {
    for (structure, seed) in [
        (abm_segments::generate::Structure::A, 3),
        (abm_segments::generate::Structure::B, 4),
    ] {
        let g = abm_segments::generate::generate(&abm_segments::generate::GenerateParams {
            accounts: 3_000,
            deals_per_account: 3.0,
            seed,
            as_of: "2026-09-30".into(),
            structure,
        })
        .unwrap();
        let wd = Workdir::new(&format!("planted-leaks-{seed}"));
        let (mut clean, mut deals) = (g.accounts, g.deals);
        let mut leaky = plant(&clean, &deals, seed);
        write(&wd, &mut leaky, "leaky.parquet");
        write(&wd, &mut clean, "clean.parquet");
        write(&wd, &mut deals, "deals.parquet");
        let run = |accounts: &str, out: &str| {
            let r = (wd.discover_files(accounts, "deals.parquet", out))
                .args(&["--force"])
                .report();
            (r, wd.read_json(&format!("{out}/model.json")))
        };
        let (r, model) = run("leaky.parquet", "leaky");
        let (r0, model0) = run("clean.parquet", "clean");

        // Named under data quality, each excluded.
        let po = &r["data_quality"]["post_outcome"]["features"];
        for leak in LEAKS {
            let f = (po.as_array().unwrap().iter())
                .find(|f| f["feature"] == leak)
                .unwrap_or_else(|| panic!("{structure:?}: {leak} not named: {po}"));
            assert_eq!(f["excluded"], true, "{structure:?}: {f}");
        }
        let md = std::fs::read_to_string(wd.path("leaky/report.md")).unwrap();
        for leak in LEAKS {
            assert!(
                md.contains(&format!("likely post-outcome: {leak}:")),
                "{structure:?}: {leak}"
            );
        }

        // No criterion, no score weight, no readiness weight.
        let icp = format!("{}{}", r["icp"], model["criteria"]);
        for leak in LEAKS {
            assert!(!icp.contains(leak), "{structure:?}: {leak} in {icp}");
        }
        let mut nonzero = vec![];
        let coef = coefficients(&model, &mut nonzero);
        assert!(nonzero.is_empty(), "{structure:?}: {nonzero:?}");
        let mut none = vec![];
        assert_eq!(coef.len(), coefficients(&model0, &mut none).len());
        let mut diff = vec![];
        let as_json = |c: Vec<(String, f64, Option<f64>)>| serde_json::to_value(c).unwrap();
        differences(
            &as_json(coef),
            &as_json(coefficients(&model0, &mut none)),
            "coef",
            &[],
            &mut diff,
        );
        // Every figure but the data quality and the run's inputs is that
        // of the data without the planted columns: the criteria, the tiers
        // with their account-held-out check, readiness, the segments and
        // the drivers.
        differences(&r, &r0, "report", &["run", "data_quality"], &mut diff);
        differences(
            &model["criteria"],
            &model0["criteria"],
            "model.criteria",
            &[],
            &mut diff,
        );
        assert!(
            diff.is_empty(),
            "{structure:?}: {} differences: {:#?}",
            diff.len(),
            &diff[..diff.len().min(30)]
        );
        let by_account = &r["tiers"]["validation"]["by_account"];
        assert!(
            !by_account.is_null(),
            "{structure:?}: {}",
            r["tiers"]["validation"]
        );
    }
}
