//! `validate`: the verdict on current tiers, windows, movement and exit codes.

use serde_json::Value;

use crate::util::Workdir;

#[test]
fn the_planted_inversion_is_significant_and_fail_on_inversion_exits_3() {
    let wd = Workdir::new("validate-sample");
    wd.generate("in", 7, 3000, "parquet");
    let args = [
        "validate",
        "--accounts",
        "in/accounts.parquet",
        "--deals",
        "in/deals.parquet",
    ];
    let out = wd.ok(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("Tier 1 converts worse than Tier 2"),
        "{stdout}"
    );
    let mut fail = args.to_vec();
    fail.push("--fail-on-inversion");
    assert_eq!(wd.run(&fail).status.code(), Some(3));

    // --json prints the current_tiers section with the same fields as report.json.
    let mut json = args.to_vec();
    json.push("--json");
    let v: Value = serde_json::from_slice(&wd.ok(&json).stdout).unwrap();
    assert_eq!(v["comparisons"][0]["verdict"], "inverted");
    assert!(v["comparisons"][0]["p_value_holm"].as_f64().unwrap() < 0.05);
    let report = wd.discover("in", "run").report();
    let keys = |x: &Value| x.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&v), keys(&report["current_tiers"]));
    assert_eq!(v["tiers"], report["current_tiers"]["tiers"]);
    // Without a window both cover every deal, from the first one created.
    assert_eq!(v["window"], report["current_tiers"]["window"]);
    let deals = crate::util::read_parquet(&wd.path("in/deals.parquet"));
    let created = deals
        .column("created_at")
        .unwrap()
        .cast(&polars::prelude::DataType::String)
        .unwrap();
    let first = created.str().unwrap().iter().flatten().min();
    assert_eq!(v["window"]["from"].as_str(), first);
}

const ACCOUNTS: &str = "account_id,industry,employees,tier
a1,Fintech,120,Tier 1
a2,Fintech,300,Tier 2
a3,Retail,80,Tier 3
a4,Retail,60,
";

/// Deals on both sides of the 2026Q2/Q3 boundary.
const DEALS: &str = "deal_id,account_id,created_at,closed_at,outcome,amount
d1,a1,2026-06-30,2026-07-10,won,100
d2,a2,2026-06-30,2026-07-10,lost,100
d3,a1,2026-07-01,2026-07-20,lost,100
d4,a2,2026-07-01,2026-07-20,won,100
d5,a3,2026-09-30,2026-09-30,won,100
d6,a3,2026-10-01,2026-10-02,lost,100
d7,a4,2026-08-15,,open,100
";

fn closed_by_tier(v: &Value) -> Vec<(Option<u64>, u64)> {
    v["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["tier"].as_u64(),
                t["outcomes"]["won"].as_u64().unwrap() + t["outcomes"]["lost"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_quarter_window_includes_its_first_and_last_day_and_nothing_else() {
    let wd = Workdir::new("validate-quarter");
    wd.write("a.csv", ACCOUNTS);
    wd.write("d.csv", DEALS);
    let base = [
        "validate",
        "--accounts",
        "a.csv",
        "--deals",
        "d.csv",
        "--json",
        "-q",
    ];
    let mut q3 = base.to_vec();
    q3.extend(["--quarter", "2026Q3"]);
    let v: Value = serde_json::from_slice(&wd.ok(&q3).stdout).unwrap();
    assert_eq!(v["window"]["from"], "2026-07-01");
    assert_eq!(v["window"]["to"], "2026-09-30");
    // d3, d4 (July 1) and d5 (September 30) are in; d1, d2 (June 30) and d6 (October 1) are not.
    assert_eq!(
        closed_by_tier(&v),
        vec![(Some(1), 1), (Some(2), 1), (Some(3), 1), (None, 0)]
    );
    let mut q2 = base.to_vec();
    q2.extend(["--quarter", "2026Q2"]);
    let v: Value = serde_json::from_slice(&wd.ok(&q2).stdout).unwrap();
    assert_eq!(
        closed_by_tier(&v),
        vec![(Some(1), 1), (Some(2), 1), (Some(3), 0), (None, 0)]
    );
    // --from/--to are inclusive too.
    let mut ft = base.to_vec();
    ft.extend(["--from", "2026-06-30", "--to", "2026-07-01"]);
    let v: Value = serde_json::from_slice(&wd.ok(&ft).stdout).unwrap();
    assert_eq!(
        closed_by_tier(&v),
        vec![(Some(1), 2), (Some(2), 2), (Some(3), 0), (None, 0)]
    );
}

#[test]
fn trailing_quarters_give_a_verdict_per_quarter() {
    let wd = Workdir::new("validate-trailing");
    wd.write("a.csv", ACCOUNTS);
    wd.write("d.csv", DEALS);
    let v: Value = serde_json::from_slice(
        &wd.ok(&[
            "validate",
            "--accounts",
            "a.csv",
            "--deals",
            "d.csv",
            "--json",
            "-q",
            "--quarters",
            "3",
        ])
        .stdout,
    )
    .unwrap();
    let labels: Vec<&str> = v["by_quarter"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["window"]["label"].as_str().unwrap())
        .collect();
    // The as-of date is the latest date in the deals, 2026-10-02, in 2026Q4.
    assert_eq!(labels, ["2026Q2", "2026Q3", "2026Q4"]);
}

#[test]
fn an_empty_window_is_a_clear_error_with_exit_status_2() {
    let wd = Workdir::new("validate-empty");
    wd.write("a.csv", ACCOUNTS);
    wd.write("d.csv", DEALS);
    let out = wd.run(&[
        "validate",
        "--accounts",
        "a.csv",
        "--deals",
        "d.csv",
        "--quarter",
        "2025Q1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .contains("no closed deal was created in the window 2025-01-01 to 2025-03-31 (2025Q1)"),
        "{stderr}"
    );
    assert!(stderr.contains("column 'created_at'"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_tier_column_with_unexpected_labels_is_rejected() {
    let wd = Workdir::new("validate-labels");
    wd.write("a.csv", &ACCOUNTS.replace("Tier 3", "Platinum"));
    wd.write("d.csv", DEALS);
    let out = wd.run(&["validate", "--accounts", "a.csv", "--deals", "d.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("column 'tier'")
            && stderr.contains("'Platinum'")
            && stderr.contains("tier_labels"),
        "{stderr}"
    );
    // Mapped in the config, the same label is accepted.
    wd.write("c.toml", "[accounts.tier_labels]\nPlatinum = 3\n");
    wd.ok(&[
        "validate",
        "--accounts",
        "a.csv",
        "--deals",
        "d.csv",
        "--config",
        "c.toml",
        "-q",
    ]);
}

#[test]
fn tier_moves_since_a_previous_run_are_counted_and_listed() {
    let wd = Workdir::new("validate-moves");
    wd.write("a.csv", ACCOUNTS);
    wd.write("d.csv", DEALS);
    wd.discover_files("a.csv", "d.csv", "prev").ok();
    // a2 moves up to Tier 1, a3 leaves, a4 enters at Tier 3.
    wd.write("a2.csv", "account_id,industry,employees,tier\na1,Fintech,120,Tier 1\na2,Fintech,300,Tier 1\na3,Retail,80,\na4,Retail,60,Tier 3\n");
    let v: Value = serde_json::from_slice(
        &wd.ok(&[
            "validate",
            "--accounts",
            "a2.csv",
            "--deals",
            "d.csv",
            "--previous",
            "prev",
            "--json",
            "-q",
        ])
        .stdout,
    )
    .unwrap();
    let m = &v["movement"];
    assert_eq!(
        (
            m["up"].as_u64(),
            m["down"].as_u64(),
            m["entered"].as_u64(),
            m["left"].as_u64(),
            m["unchanged"].as_u64()
        ),
        (Some(1), Some(0), Some(1), Some(1), Some(1))
    );
    let moved: Vec<&str> = m["moves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["account_id"].as_str().unwrap())
        .collect();
    assert_eq!(moved, ["a2", "a3", "a4"]);
    // Tiers can also come from an earlier run's output.
    let v: Value = serde_json::from_slice(
        &wd.ok(&[
            "validate",
            "--accounts",
            "a2.csv",
            "--deals",
            "d.csv",
            "--tiers-from",
            "prev",
            "--json",
            "-q",
        ])
        .stdout,
    )
    .unwrap();
    assert_eq!(
        v["tiers"][0]["outcomes"]["accounts"], 1,
        "prev had one Tier 1 account"
    );
}

#[test]
fn recommended_tier_moves_give_the_score_or_rule_change_and_the_icp_gap_uses_the_recommended_icp() {
    let wd = Workdir::new("validate-rec-moves");
    wd.generate("in", 7, 3000, "csv");
    let base = [
        "--accounts",
        "in/accounts.csv",
        "--deals",
        "in/deals.csv",
        "-q",
    ];
    let mut d1 = vec!["discover", "--out", "run1"];
    d1.extend(base);
    wd.ok(&d1);
    // A later quarter: the as-of date moves back, so the model is refitted on other deals.
    let mut d2 = vec!["discover", "--out", "run2", "--as-of", "2026-06-30"];
    d2.extend(base);
    wd.ok(&d2);
    let mut v = vec![
        "validate",
        "--tiers-from",
        "run2",
        "--tier-column",
        "recommended_tier",
        "--previous",
        "run1",
        "--json",
    ];
    v.extend(base);
    let out: Value = serde_json::from_slice(&wd.ok(&v).stdout).unwrap();
    let m = &out["movement"];
    let moved = m["up"].as_u64().unwrap()
        + m["down"].as_u64().unwrap()
        + m["entered"].as_u64().unwrap()
        + m["left"].as_u64().unwrap();
    assert!(moved > 0, "{m}");
    for mv in m["moves"].as_array().unwrap() {
        let r = mv["reason"].as_str().unwrap();
        assert!(
            // A threshold reason reads "the tier thresholds changed" or,
            // where the score stayed put, "Tier 2 now starts at 63.3, was 64.1".
            r.contains("fit score")
                || r.contains("ICP criteria")
                || r.contains("thresholds")
                || r.contains("now starts at"),
            "{r}"
        );
    }
    let gap = &out["icp_gap"];
    let share = gap["outside_icp_won_deal_share"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&share), "{gap}");
}

/// Issue 17: `validate --tiers-from RUN --tier-column recommended_tier`
/// judges the recommended tiers on deals created after the run's training
/// window by default, and the verdict says which window.
#[test]
fn recommended_tiers_are_validated_after_their_training_window() {
    let wd = Workdir::new("after-training");
    wd.generate("in", 5, 1500, "parquet");
    let input = [
        "--accounts",
        "in/accounts.parquet",
        "--deals",
        "in/deals.parquet",
        "-q",
    ];
    wd.discover("in", "run").ok();
    let model = wd.read_json("run/model.json");
    let end = model["trained_on"]["to"].as_str().unwrap().to_string();
    let day = chrono::NaiveDate::parse_from_str(&end, "%Y-%m-%d").unwrap();
    let next = (day + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let mut v = vec![
        "validate",
        "--tiers-from",
        "run",
        "--tier-column",
        "recommended_tier",
        "--json",
    ];
    v.extend(input);
    let ct: Value = serde_json::from_slice(&wd.ok(&v).stdout).unwrap();
    assert_eq!(ct["window"]["from"], next.as_str(), "{}", ct["window"]);
    let verdict = ct["verdict"].as_str().unwrap();
    assert!(
        verdict.contains(&format!("on deals created {next} to "))
            && verdict.contains(&format!("training window (which ended {end})")),
        "{verdict}"
    );
    // An explicit window still wins.
    let mut all = v.clone();
    all.extend(["--from", "2020-01-01"]);
    let ct: Value = serde_json::from_slice(&wd.ok(&all).stdout).unwrap();
    assert_eq!(ct["window"]["from"], "2020-01-01");
    // Current tiers from the same run are judged on every deal, as before.
    let cur: Vec<&str> = v
        .iter()
        .map(|a| {
            if *a == "recommended_tier" {
                "current_tier"
            } else {
                a
            }
        })
        .collect();
    let ct: Value = serde_json::from_slice(&wd.ok(&cur).stdout).unwrap();
    assert_eq!(ct["window"]["label"], "all deals");
}
