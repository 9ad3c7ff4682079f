//! Two scores (#18): fit from who the account is, readiness from its buying
//! signals, the readiness band, and `score` reproducing all of them.

use polars::prelude::*;
use serde_json::Value;

use crate::util::{bools, read_parquet, Workdir};

/// Run `generate` (with `extra` arguments) and `discover` on it in `wd`.
fn discover(wd: &Workdir, seed: u64, accounts: usize, extra: &[&str]) -> Value {
    let (seed, accounts) = (seed.to_string(), accounts.to_string());
    let mut args = vec![
        "generate",
        "--out",
        "in",
        "--seed",
        &seed,
        "--accounts",
        &accounts,
        "-q",
    ];
    args.extend_from_slice(extra);
    wd.ok(&args);
    wd.discover("in", "run").report()
}

/// The columns `score` must reproduce, by name.
const REPRODUCED: [&str; 7] = [
    "account_id",
    "fit_score",
    "readiness_score",
    "readiness_band",
    "recommended_tier",
    "in_icp",
    "segment",
];

fn reproduced(path: &std::path::Path) -> DataFrame {
    read_parquet(path).select(REPRODUCED).unwrap()
}

fn f64s(df: &DataFrame, name: &str) -> Vec<f64> {
    df.column(name)
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .map(|v| v.unwrap())
        .collect()
}

fn strs(df: &DataFrame, name: &str) -> Vec<String> {
    df.column(name)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap().to_string())
        .collect()
}

/// The readiness score of each account recomputed from `model.json` by
/// hand: the numeric signal features standardised as their transform says,
/// then `100 · logistic(η̄ + α + Σ β_j x_j)`.
fn readiness_from_model(model: &Value, accounts: &DataFrame) -> Vec<f64> {
    let r = &model["readiness"];
    let coef: Vec<f64> = r["score"]["coef"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_f64().unwrap())
        .collect();
    let columns: Vec<&str> = model["encoded_columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let base =
        r["reference_log_odds"].as_f64().unwrap() + r["score"]["intercept"].as_f64().unwrap();
    let mut z = vec![base; accounts.height()];
    for f in model["features"].as_array().unwrap() {
        if f["role"] != "signal" {
            continue;
        }
        let name = f["name"].as_str().unwrap();
        let t = &f["transform"];
        assert_eq!(
            t["kind"], "numeric",
            "{name}: the hand check covers numeric signals"
        );
        let j = columns.iter().position(|c| *c == name).unwrap();
        let values = accounts
            .column(name)
            .unwrap()
            .cast(&DataType::Float64)
            .unwrap();
        for (i, v) in values.f64().unwrap().iter().enumerate() {
            let raw = v.unwrap_or(f64::NAN);
            let value = if raw.is_nan() {
                t["impute"].as_f64().unwrap()
            } else {
                raw
            };
            let x = if t["log"].as_bool().unwrap() {
                value.max(0.0).ln_1p()
            } else {
                value
            };
            z[i] += coef[j] * (x - t["center"].as_f64().unwrap()) / t["scale"].as_f64().unwrap();
            if t["missing_flag"].as_bool().unwrap() && raw.is_nan() {
                z[i] += coef[j + 1];
            }
        }
    }
    // Every other column has no weight in the readiness score.
    for (j, c) in coef.iter().enumerate() {
        let role = model["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| columns[j].starts_with(f["name"].as_str().unwrap()))
            .map(|f| f["role"].as_str().unwrap());
        if role != Some("signal") {
            assert_eq!(*c, 0.0, "{}", columns[j]);
        }
    }
    z.iter().map(|z| 100.0 / (1.0 + (-z).exp())).collect()
}

#[test]
fn score_reproduces_both_scores_the_band_and_the_tier_exactly() {
    let wd = Workdir::new("readiness-score");
    discover(&wd, 7, 3000, &[]);
    // The training accounts: every column bit for bit.
    wd.ok(&[
        "score",
        "--model",
        "run/model.json",
        "--accounts",
        "in/accounts.parquet",
        "--out",
        "scored.parquet",
        "-q",
    ]);
    let a = reproduced(&wd.path("run/accounts_scored.parquet"));
    let b = reproduced(&wd.path("scored.parquet"));
    assert!(a.equals_missing(&b), "{a}\n{b}");
    let bands = strs(&a, "readiness_band");
    for band in ["high", "medium", "low"] {
        assert!(bands.iter().any(|b| b == band), "no {band} band");
    }

    // New accounts the model never saw: the readiness score is the model's
    // formula on the signals, the band its cuts, the tier the fit score's.
    wd.ok(&[
        "generate",
        "--out",
        "new",
        "--seed",
        "8",
        "--accounts",
        "1500",
        "-q",
    ]);
    wd.ok(&[
        "score",
        "--model",
        "run/model.json",
        "--accounts",
        "new/accounts.parquet",
        "--out",
        "new_scored.parquet",
        "-q",
    ]);
    let model = wd.read_json("run/model.json");
    let accounts = read_parquet(&wd.path("new/accounts.parquet"));
    let scored = reproduced(&wd.path("new_scored.parquet"));
    assert_eq!(strs(&scored, "account_id"), strs(&accounts, "account_id"));
    let want = readiness_from_model(&model, &accounts);
    let got = f64s(&scored, "readiness_score");
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() < 1e-9, "{g} vs {w}");
    }
    let cut = |k: &str| 100.0 * model["readiness"]["bands"][k].as_f64().unwrap();
    let (t1, t2) = (
        100.0
            * model["thresholds"]["tier1_min_probability"]
                .as_f64()
                .unwrap(),
        100.0
            * model["thresholds"]["tier2_min_probability"]
                .as_f64()
                .unwrap(),
    );
    let fit = f64s(&scored, "fit_score");
    let in_icp = bools(&scored, "in_icp");
    let tier: Vec<Option<i32>> = scored
        .column("recommended_tier")
        .unwrap()
        .i32()
        .unwrap()
        .iter()
        .collect();
    for (i, band) in strs(&scored, "readiness_band").iter().enumerate() {
        // Scores are 100 × p and the cuts p: compare on p to keep it exact.
        let p = got[i] / 100.0;
        let want = if p >= cut("high_min") / 100.0 {
            "high"
        } else if p >= cut("medium_min") / 100.0 {
            "medium"
        } else {
            "low"
        };
        assert_eq!(band, want, "account {i}: readiness {}", got[i]);
        let want_tier = match (in_icp[i], fit[i] / 100.0) {
            (false, _) => None,
            (true, p) if p >= t1 / 100.0 => Some(1),
            (true, p) if p >= t2 / 100.0 => Some(2),
            _ => Some(3),
        };
        assert_eq!(tier[i], want_tier, "account {i}");
    }
    // A model written before readiness still loads and scores the same
    // fit scores and tiers, with the readiness columns null.
    let mut old = model.clone();
    old.as_object_mut().unwrap().remove("readiness");
    std::fs::write(
        wd.path("old_model.json"),
        serde_json::to_string(&old).unwrap(),
    )
    .unwrap();
    wd.ok(&[
        "score",
        "--model",
        "old_model.json",
        "--accounts",
        "new/accounts.parquet",
        "--out",
        "old_scored.parquet",
        "-q",
    ]);
    let o = reproduced(&wd.path("old_scored.parquet"));
    assert_eq!(
        o.column("readiness_score").unwrap().null_count(),
        o.height()
    );
    assert_eq!(o.column("readiness_band").unwrap().null_count(), o.height());
    for c in ["fit_score", "recommended_tier", "in_icp"] {
        assert!(
            o.column(c)
                .unwrap()
                .equals_missing(scored.column(c).unwrap()),
            "{c}"
        );
    }
}

/// Held-out closed deals of accounts in the ICP, won and closed per band,
/// computed from the input deals and `accounts_scored.parquet` (not from
/// report.json), so it keeps working whatever decides `in_icp`.
fn held_out_by_band(wd: &Workdir, report: &Value) -> [(u64, u64); 3] {
    let v = &report["tiers"]["validation"]["holdout"];
    let (from, to) = (v["from"].as_str().unwrap(), v["to"].as_str().unwrap());
    let scored = read_parquet(&wd.path("run/accounts_scored.parquet"));
    let ids = strs(&scored, "account_id");
    let bands = strs(&scored, "readiness_band");
    let icp = scored.column("in_icp").unwrap().bool().unwrap().clone();
    let band_of: std::collections::HashMap<&str, (bool, &str)> = ids
        .iter()
        .zip(&bands)
        .zip(icp.iter())
        .map(|((id, b), inside)| (id.as_str(), (inside.unwrap(), b.as_str())))
        .collect();
    let deals = read_parquet(&wd.path("in/deals.parquet"));
    let created = deals
        .column("created_at")
        .unwrap()
        .cast(&DataType::String)
        .unwrap();
    let outcome = strs(&deals, "outcome");
    let account = deals
        .column("account_id")
        .unwrap()
        .cast(&DataType::String)
        .unwrap();
    let mut by_band = [(0u64, 0u64); 3];
    for i in 0..deals.height() {
        let c = created.str().unwrap().get(i).unwrap();
        let day = &c[..10];
        if day < from || day > to || outcome[i] == "open" {
            continue;
        }
        let (inside, band) = band_of[account.str().unwrap().get(i).unwrap()];
        if !inside {
            continue;
        }
        let k = ["high", "medium", "low"]
            .iter()
            .position(|b| *b == band)
            .unwrap();
        by_band[k].1 += 1;
        by_band[k].0 += u64::from(outcome[i] == "won");
    }
    by_band
}

/// Out of time: fitted before the held-out quarter, judged on deals created
/// in it; within the ICP, high-readiness accounts win more than
/// low-readiness ones, and (with `work_now`) more than their fit explains,
/// tested. Returns the (won, closed) per band.
fn high_readiness_wins_more_in_the_icp(
    name: &str,
    (seed, accounts): (u64, usize),
    extra: &[&str],
    work_now: bool,
) -> [(u64, u64); 3] {
    let wd = Workdir::new(name);
    let r = discover(&wd, seed, accounts, extra);
    let by_band = held_out_by_band(&wd, &r);
    let rate = |(w, n): (u64, u64)| w as f64 / n as f64;
    let (high, low) = (by_band[0], by_band[2]);
    assert!(high.1 >= 40 && low.1 >= 40, "{by_band:?}");
    assert!(
        rate(high) > rate(low),
        "{name}: held-out in the ICP by band {by_band:?}"
    );
    // report.json's matrix says the same.
    let cells = r["tiers"]["readiness"]["in_icp_by_band"]
        .as_array()
        .unwrap();
    for (k, c) in cells.iter().enumerate() {
        assert_eq!(c["held_out"]["won"].as_u64().unwrap(), by_band[k].0, "{c}");
        assert_eq!(
            c["held_out"]["closed_deals"].as_u64().unwrap(),
            by_band[k].1,
            "{c}"
        );
    }
    // The sentence says "work now" exactly when the held-out test beyond
    // fit finds the high band ahead; where the book gives it enough
    // accounts (`work_now`), it does (the generator's signals have effects
    // of their own).
    let readiness = &r["tiers"]["readiness"];
    let test = &readiness["work_now"];
    assert_eq!(test["deals"], "held-out", "{test}");
    assert_eq!(
        test["high"]["closed_deals"].as_u64().unwrap(),
        high.1,
        "{test}"
    );
    let significant = test["significant"].as_bool().unwrap();
    assert_eq!(
        readiness["text"].as_str().unwrap().starts_with("Work now"),
        significant,
        "{readiness}"
    );
    if work_now {
        assert!(significant, "{name}: {test}");
    }
    by_band
}

#[test]
fn within_the_icp_high_readiness_accounts_win_more_on_held_out_deals_in_structure_a() {
    high_readiness_wins_more_in_the_icp("readiness-a", (21, 6000), &[], true);
}

#[test]
fn within_the_icp_high_readiness_accounts_win_more_on_held_out_deals_in_structure_b() {
    // B's fit group is 4% of accounts: twice the accounts of A give each
    // band of the ICP enough held-out deals to win more, but with about 50
    // accounts per band not enough for the test beyond fit (one-sided
    // p = 0.20 on a difference of 6.7 wins per 100 deals).
    high_readiness_wins_more_in_the_icp("readiness-b", (22, 12_000), &["--structure", "b"], false);
}
