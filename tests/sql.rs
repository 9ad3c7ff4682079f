//! `abm-segments sql`: the model as one SELECT. These tests check the text
//! the command writes; `tests/sql/check_engines.py` runs it in DuckDB and
//! Spark and compares every row with `score`.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::util::{sample_dir, Workdir};

const DIALECTS: [&str; 5] = ["duckdb", "spark", "bigquery", "snowflake", "postgres"];

/// A discover run on the sample data, made once for these tests.
fn sample_run() -> &'static PathBuf {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| {
        let wd = Workdir::new("sql-sample");
        wd.discover(&sample_dir(), "run").ok();
        wd.path("run")
    })
}

fn sql(wd: &Workdir, model: &str, extra: &[&str]) -> String {
    let mut args = vec!["sql", "--model", model];
    args.extend_from_slice(extra);
    String::from_utf8(wd.ok(&args).stdout).unwrap()
}

/// A small model written by hand over the sample run's: a logged number
/// with a missing flag, a categorical with a folded `other`, a native list,
/// a binary, criteria on each, two segments.
fn hand_model(wd: &Workdir) -> String {
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sample_run().join("model.json")).unwrap())
            .unwrap();
    let hand = serde_json::json!({
        "features": [
            {"name": "employees", "nulls": 3, "role": "fit", "transform": {"kind": "numeric",
                "log": true, "impute": 120.0, "center": 4.5, "scale": 1.25, "missing_flag": true}},
            {"name": "industry", "nulls": 0, "role": "fit", "transform": {"kind": "categorical",
                "levels": ["SaaS", "O'Brien & Co", "other"], "folded": ["Mining", "Fishing"]}},
            {"name": "technologies", "nulls": 0, "role": "fit", "transform": {"kind": "list",
                "values": ["Salesforce", "SAP"], "separator": null}},
            {"name": "exec_relationship", "nulls": 0, "role": "relationship",
                "transform": {"kind": "binary", "impute": 0.25, "missing_flag": false}}
        ],
        "encoded_columns": ["employees", "employees (missing)", "industry = SaaS",
            "industry = O'Brien & Co", "industry = other", "technologies has Salesforce",
            "technologies has SAP", "exec_relationship"],
        "score": {"intercept": -1.2345678901234567, "lambda": 1.0, "iterations": 4,
            "coef": [0.30000000000000004, 0.5, 0.0, -0.125, 1e-7, 2.5, 0.0, 0.75]},
        "readiness": null,
        "score_baseline": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        "criteria": {
            "qualifying": [
                {"op": "in", "feature": "industry", "levels": ["SaaS", "other"]},
                {"op": "has", "feature": "technologies", "value": "Salesforce"},
                {"op": "range", "feature": "employees", "min": 200.0, "max": 2000.0}
            ],
            "disqualifying": [{"op": "has", "feature": "exec_relationship", "value": "false"}],
            "broad": []
        },
        "thresholds": {"tier1_min_probability": 0.6, "tier2_min_probability": 0.3},
        "segments": {"ids": [3, 1],
            "centroids": [[0.1, 0.0, 0.7, 0.0, 0.0, 1.0, 0.0, 0.5], [-0.2, 0.0, 0.0, 0.7, 0.0, 0.0, 1.0, 0.25]],
            "column_weights": [1.5, 0.0, 1.0, 1.0, 1.0, 0.5, 0.5, 2.0],
            "expected_won_amount": [null, null], "overall_expected_won_amount": null}
    });
    for (k, v) in hand.as_object().unwrap() {
        m[k] = v.clone();
    }
    wd.write("hand.json", &m.to_string());
    "hand.json".into()
}

/// With the core ICP carved out (a third id after the two centroids'),
/// every dialect puts an account in the ICP in that segment before the
/// nearest-centroid CASE; the hand model without the field has no such branch.
#[test]
fn a_carved_core_icp_segment_comes_before_the_nearest_centroid_in_every_dialect() {
    let wd = Workdir::new("sql-carved");
    let plain = hand_model(&wd);
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(wd.path(&plain)).unwrap()).unwrap();
    m["segments"]["ids"] = serde_json::json!([3, 1, 7]);
    m["segments"]["expected_won_amount"] = serde_json::json!([null, null, null]);
    m["segments"]["core_icp_carved"] = serde_json::json!(true);
    wd.write("carved.json", &m.to_string());
    let nearest = "CASE WHEN dist0 <= dist1 THEN 3 ELSE 1 END";
    for d in DIALECTS {
        let carved = sql(&wd, "carved.json", &["--dialect", d]);
        let want = format!("CASE WHEN in_icp THEN 7 ELSE {nearest} END AS segment");
        assert_eq!(lines_with(&carved, &want).len(), 1, "{d}:\n{carved}");
        let old = sql(&wd, &plain, &["--dialect", d]);
        assert!(old.contains(&format!("{nearest} AS segment")), "{d}");
        assert!(!old.contains("WHEN in_icp THEN"), "{d}");
    }
}

fn lines_with<'a>(sql: &'a str, needle: &str) -> Vec<&'a str> {
    sql.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn the_sql_of_a_hand_made_model_holds_each_encoding() {
    let wd = Workdir::new("sql-hand");
    let model = hand_model(&wd);
    let duck = sql(&wd, &model, &["--dialect", "duckdb"]);
    let expected = [
        // The log transform of a number, its median for a null, standardised.
        "(LN(1e0 + GREATEST(COALESCE(f0, 1.2e2), 0e0)) - 4.5e0) / 1.25e0 AS x0",
        "CASE WHEN f0 IS NULL THEN 1e0 ELSE 0e0 END AS x1",
        // A one-hot level, at 1/sqrt(2).
        "CASE WHEN f1 = 'SaaS' THEN 7.071067811865476e-1 ELSE 0e0 END AS x2",
        "CASE WHEN f1 = 'O''Brien & Co' THEN 7.071067811865476e-1 ELSE 0e0 END AS x3",
        // A level not kept (folded, unseen or null) reads as `other`.
        "CASE WHEN COALESCE(TRIM(CAST(\"industry\" AS VARCHAR)), '(missing)') IN ('SaaS', 'O''Brien & Co', 'other') THEN COALESCE(TRIM(CAST(\"industry\" AS VARCHAR)), '(missing)') ELSE 'other' END AS f1",
        "CASE WHEN f1 = 'other' THEN 7.071067811865476e-1 ELSE 0e0 END AS x4",
        // A list value, trimmed, false for a null list.
        "COALESCE(list_contains(list_transform(\"technologies\", lambda x: trim(x)), 'Salesforce'), FALSE) AS f2_0",
        "CASE WHEN f2_0 THEN 1e0 ELSE 0e0 END AS x5",
        // A binary, its share of true for a null.
        "COALESCE(f3, 2.5e-1) AS x7",
        // Log-odds in column order, zero coefficients left out.
        "(-1.2345678901234567e0) + (3.0000000000000004e-1 * x0 + 5e-1 * x1 + (-1.25e-1) * x3 + 1e-7 * x4 + 2.5e0 * x5 + 7.5e-1 * x7) AS z",
        // Criteria: nulls match nothing; the disqualifier negated.
        "(COALESCE(f1 IN ('SaaS', 'other'), FALSE) AND f2_0 AND COALESCE(f0 IS NOT NULL AND f0 >= 2e2 AND f0 <= 2e3, FALSE) AND NOT COALESCE(f3 = 0e0, FALSE)) AS in_icp",
        // The stable logistic, and tiers on the probability with >=.
        "CASE WHEN z >= 0e0 THEN 1e0 / (1e0 + EXP(-z)) ELSE EXP(z) / (1e0 + EXP(z)) END AS p",
        "CASE WHEN NOT in_icp THEN NULL WHEN p >= 6e-1 THEN 1 WHEN p >= 3e-1 THEN 2 ELSE 3 END AS \"recommended_tier\"",
        // The first nearest centroid, with the model's segment ids.
        "CASE WHEN dist0 <= dist1 THEN 3 ELSE 1 END AS segment",
    ];
    for e in expected {
        assert!(duck.contains(e), "missing {e}\nin:\n{duck}");
    }
    // Squared distance in sq_dist's order: lanes over columns 0-3 and 4-7,
    // pairwise, then no remainder; a zero weight gives a constant.
    let dist0 = lines_with(&duck, " AS dist0");
    assert_eq!(dist0.len(), 1);
    assert!(
        dist0[0].starts_with(
            "  ((((x0 * 1.5e0 - 1e-1) * (x0 * 1.5e0 - 1e-1) + (x4 * 1e0 - 0e0) * (x4 * 1e0 - 0e0)) + (0e0 + (x5 * 5e-1 - 1e0) * (x5 * 5e-1 - 1e0))) + "
        ),
        "{}",
        dist0[0]
    );
}

#[test]
fn each_dialect_writes_its_own_list_membership_quoting_and_literals() {
    let wd = Workdir::new("sql-dialects");
    let model = hand_model(&wd);
    let cases = [
        ("spark", "COALESCE(exists(`technologies`, x -> trim(x) = 'Salesforce'), FALSE) AS f2_0"),
        ("spark", "CASE WHEN f1 = 'O\\'Brien & Co' THEN"),
        ("bigquery", "COALESCE('SAP' IN (SELECT TRIM(x) FROM UNNEST(`technologies`) AS x), FALSE) AS f2_1"),
        ("bigquery", "CAST(`employees` AS FLOAT64) AS f0"),
        ("snowflake", "COALESCE(ARRAY_CONTAINS('SAP'::variant, TRANSFORM(\"technologies\", x -> TRIM(x::string)::variant)), FALSE) AS f2_1"),
        ("postgres", "COALESCE('SAP' = ANY(ARRAY(SELECT trim(x) FROM unnest(\"technologies\") AS t(x))), FALSE) AS f2_1"),
        ("postgres", "CAST(\"employees\" AS DOUBLE PRECISION) AS f0"),
        ("postgres", "(-1.2345678901234567e0::float8) + (3.0000000000000004e-1::float8 * x0"),
        ("postgres", "EXP(GREATEST(z, (-7.08e2::float8)))"),
    ];
    for (dialect, e) in cases {
        let s = sql(&wd, &model, &["--dialect", dialect]);
        assert!(s.contains(e), "{dialect}: missing {e}\nin:\n{s}");
    }
}

#[test]
fn a_delimited_list_is_split_on_the_models_separator() {
    let wd = Workdir::new("sql-split");
    let model = hand_model(&wd);
    let mut m = wd.read_json(&model);
    m["features"][2]["transform"]["separator"] = "|".into();
    wd.write("split.json", &m.to_string());
    let cases = [
        (
            "duckdb",
            "list_transform(string_split(\"technologies\", '|'), lambda x: trim(x))",
        ),
        // Spark's split takes a regular expression: the separator is quoted.
        (
            "spark",
            "exists(split(`technologies`, '\\\\Q|\\\\E'), x -> trim(x) = 'SAP')",
        ),
        ("bigquery", "UNNEST(SPLIT(`technologies`, '|'))"),
        ("postgres", "unnest(string_to_array(\"technologies\", '|'))"),
    ];
    for (dialect, e) in cases {
        let s = sql(&wd, "split.json", &["--dialect", dialect]);
        assert!(s.contains(e), "{dialect}: missing {e}\nin:\n{s}");
    }
}

/// Every coefficient, the intercept and the thresholds of a real model
/// appear as literals that read back as the same double.
#[test]
fn the_models_numbers_are_written_with_round_trip_precision() {
    let wd = Workdir::new("sql-roundtrip");
    let run = sample_run().to_string_lossy().into_owned();
    let m = wd.read_json(&format!("{run}/model.json"));
    let coef: Vec<f64> = m["score"]["coef"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for dialect in DIALECTS {
        let s = sql(&wd, &run, &["--dialect", dialect]);
        let z = lines_with(&s, " AS z");
        assert_eq!(z.len(), 1, "{dialect}");
        let z = z[0].trim().trim_end_matches(',').trim_end_matches(" AS z");
        let (intercept, sum) = z.split_once(" + (").unwrap();
        let read = |lit: &str| -> f64 {
            let lit = lit.trim_start_matches('(').trim_end_matches(')');
            lit.trim_end_matches("::float8").parse().unwrap()
        };
        assert_eq!(
            read(intercept).to_bits(),
            m["score"]["intercept"].as_f64().unwrap().to_bits(),
            "{dialect}"
        );
        let mut seen = 0;
        for term in sum.trim_end_matches(')').split(" + ") {
            let (lit, col) = term.split_once(" * x").unwrap();
            let j: usize = col.parse().unwrap();
            assert_eq!(read(lit).to_bits(), coef[j].to_bits(), "{dialect}: x{j}");
            seen += 1;
        }
        assert_eq!(
            seen,
            coef.iter().filter(|c| **c != 0.0).count(),
            "{dialect}"
        );
        let cuts = [
            ("p", &m["thresholds"]["tier1_min_probability"]),
            ("p", &m["thresholds"]["tier2_min_probability"]),
            ("rp", &m["readiness"]["bands"]["high_min"]),
            ("rp", &m["readiness"]["bands"]["medium_min"]),
        ];
        for (var, v) in cuts {
            let v = v.as_f64().unwrap();
            let lit = format!("{v:e}");
            assert!(
                s.contains(&format!(" {var} >= {lit}")),
                "{dialect}: {var} {lit}"
            );
            assert_eq!(lit.parse::<f64>().unwrap().to_bits(), v.to_bits());
        }
        // The readiness score with its reference log-odds, and its bands.
        let r = m["readiness"]["reference_log_odds"].as_f64().unwrap();
        let lead = match r < 0.0 {
            true => format!("(-{:e}", -r),
            false => format!("{r:e}"),
        };
        let rz = lines_with(&s, " AS rz");
        assert!(rz[0].trim().starts_with(&lead), "{dialect}: {}", rz[0]);
        assert!(s.contains(" THEN 'high' WHEN rp >= "), "{dialect}");
    }
}

#[test]
fn sql_is_the_same_on_every_run_and_differs_by_dialect() {
    let wd = Workdir::new("sql-determinism");
    let run = sample_run().to_string_lossy().into_owned();
    let mut seen = Vec::new();
    for dialect in DIALECTS {
        let a = sql(&wd, &run, &["--dialect", dialect]);
        let b = sql(&wd, &format!("{run}/model.json"), &["--dialect", dialect]);
        assert_eq!(a, b, "{dialect}");
        assert!(a.starts_with("-- abm-segments "), "{dialect}");
        assert!(!seen.contains(&a), "{dialect} repeats another dialect");
        seen.push(a);
    }
}

#[test]
fn the_table_is_written_as_given_and_odd_names_are_quoted() {
    let wd = Workdir::new("sql-table");
    let run = sample_run().to_string_lossy().into_owned();
    let from = |dialect: &str, table: &str| -> String {
        let s = sql(&wd, &run, &["--dialect", dialect, "--table", table]);
        // The first FROM is the features CTE's, the only one reading the table.
        s.lines()
            .find(|l| l.starts_with("FROM "))
            .unwrap()
            .to_string()
    };
    assert_eq!(from("duckdb", "crm.accounts"), "FROM crm.accounts");
    assert_eq!(
        from("bigquery", "my-project.crm.accounts"),
        "FROM `my-project`.crm.accounts"
    );
    assert_eq!(
        from("snowflake", "crm.account list"),
        "FROM crm.\"account list\""
    );
    assert_eq!(
        from("spark", "{{ ref('accounts') }}"),
        "FROM {{ ref('accounts') }}"
    );
    let default = sql(&wd, &run, &["--dialect", "duckdb"]);
    assert!(default.contains("\nFROM accounts\n"), "{default}");
    // Feature columns are always quoted.
    assert!(
        default.contains("CAST(\"employees\" AS DOUBLE) AS"),
        "{default}"
    );
}

#[test]
fn an_unknown_dialect_is_an_argument_error() {
    let wd = Workdir::new("sql-unknown");
    let run = sample_run().to_string_lossy().into_owned();
    let out = wd.run(&["sql", "--model", &run, "--dialect", "oracle"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid value 'oracle'"), "{err}");
    assert!(
        err.contains("duckdb, spark, bigquery, snowflake, postgres"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_model_whose_parts_disagree_is_bad_input() {
    let wd = Workdir::new("sql-inconsistent");
    let model = hand_model(&wd);
    let mut m = wd.read_json(&model);
    m["score"]["coef"].as_array_mut().unwrap().pop();
    wd.write("short.json", &m.to_string());
    let out = wd.run(&["sql", "--model", "short.json", "--dialect", "duckdb"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "encode 8 columns, but its fit score has 7 coefficients, its segments 8 weights and 2 centroids"
        ),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

/// The tier and readiness cuts sit between two training accounts' scores,
/// never on one: an engine whose `EXP` rounds an ulp differently from Rust
/// then still puts every training account in the same tier and band.
#[test]
fn no_training_account_sits_on_a_cut() {
    let run = sample_run();
    let m = crate::util::Workdir::new("sql-cuts")
        .read_json(&format!("{}/model.json", run.to_string_lossy()));
    let scored = crate::util::read_parquet(&run.join("accounts_scored.parquet"));
    let column = |name: &str| -> Vec<Option<f64>> {
        scored.column(name).unwrap().f64().unwrap().iter().collect()
    };
    let in_icp = crate::util::bools(&scored, "in_icp");
    let checks = [
        ("fit_score", &m["thresholds"]["tier1_min_probability"]),
        ("fit_score", &m["thresholds"]["tier2_min_probability"]),
        ("readiness_score", &m["readiness"]["bands"]["high_min"]),
        ("readiness_score", &m["readiness"]["bands"]["medium_min"]),
    ];
    for (name, cut) in checks {
        let cut = 100.0 * cut.as_f64().expect("the sample's model has the cut");
        let scores = column(name);
        let (mut above, mut below) = (0, 0);
        let gap = scores
            .iter()
            .zip(&in_icp)
            .filter_map(|(s, &icp)| s.filter(|_| icp))
            .inspect(|&s| if s >= cut { above += 1 } else { below += 1 })
            .map(|s| (s - cut).abs())
            .fold(f64::INFINITY, f64::min);
        assert!(above > 0 && below > 0, "{name} {cut}: {above} / {below}");
        assert!(gap > 1e-9, "{name}: an in-ICP account {gap:e} from {cut}");
    }
}
