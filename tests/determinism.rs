//! Deterministic output: the same inputs, config and seed give the same bytes
//! (apart from the run's timestamps) whatever the thread count, and the order
//! of the input rows changes no figure.

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use serde_json::Value;

use crate::util::{read_parquet, Workdir};

fn files(wd: &Workdir, run: &str) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(wd.path(run))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn without_timestamps(mut v: Value) -> Value {
    v["run"]["started_at"] = Value::Null;
    v["run"]["finished_at"] = Value::Null;
    v
}

#[test]
fn one_thread_and_many_threads_give_identical_outputs() {
    let wd = Workdir::new("threads");
    wd.generate("in", 5, 2500, "parquet");
    wd.discover("in", "many").ok();
    let out = wd
        .discover("in", "one")
        .command()
        .env("RAYON_NUM_THREADS", "1")
        .env("POLARS_MAX_THREADS", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (many, one) = (files(&wd, "many"), files(&wd, "one"));
    assert_eq!(
        many.keys().collect::<Vec<_>>(),
        one.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &many {
        if name == "report.json" {
            let a = without_timestamps(serde_json::from_slice(bytes).unwrap());
            let b = without_timestamps(serde_json::from_slice(&one[name]).unwrap());
            assert!(a == b, "report.json differs between 1 thread and many");
        } else {
            assert!(
                *bytes == one[name],
                "{name} differs between 1 thread and many"
            );
        }
    }
}

/// Write `rel` again with its data rows in a seeded random order.
fn shuffle_csv(wd: &Workdir, from: &str, to: &str, seed: u64) {
    let text = std::fs::read_to_string(wd.path(from)).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    lines.shuffle(&mut Xoshiro256Plus::seed_from_u64(seed));
    let mut out = format!("{header}\n");
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    assert_ne!(out, text, "the shuffle changed nothing");
    wd.write(to, &out);
}

#[test]
fn shuffled_input_rows_give_the_same_figures() {
    let wd = Workdir::new("shuffle");
    wd.generate("in", 8, 2000, "csv");
    shuffle_csv(&wd, "in/accounts.csv", "shuffled/accounts.csv", 1);
    shuffle_csv(&wd, "in/deals.csv", "shuffled/deals.csv", 2);
    wd.discover("in", "a").ok();
    wd.discover("shuffled", "b").ok();

    // Everything but the run's identity (input paths and hashes, timestamps)
    // is the same, segment numbers included.
    let (mut a, mut b) = (wd.read_json("a/report.json"), wd.read_json("b/report.json"));
    for key in [
        "segments",
        "clustering",
        "speed",
        "correlations",
        "icp",
        "tiers",
        "current_tiers",
    ] {
        assert!(
            a[key] == b[key],
            "'{key}' differs when the input rows are shuffled"
        );
    }
    a["run"] = Value::Null;
    b["run"] = Value::Null;
    assert!(
        a == b,
        "report.json differs when the input rows are shuffled"
    );

    let sizes_and_rates = |r: &Value| {
        let mut v: Vec<(u64, String)> = r["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["outcomes"]["accounts"].as_u64().unwrap(),
                    s["outcomes"]["win_rate"].to_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(sizes_and_rates(&a), sizes_and_rates(&b));

    for f in [
        "segments.parquet",
        "accounts_scored.parquet",
        "correlations.parquet",
    ] {
        let x = read_parquet(&wd.path(&format!("a/{f}")));
        let y = read_parquet(&wd.path(&format!("b/{f}")));
        assert!(
            x.equals_missing(&y),
            "{f} differs when the input rows are shuffled"
        );
    }
    // report.md lists the input files with their hashes; every other line is the same.
    let md = |run: &str| -> Vec<String> {
        std::fs::read_to_string(wd.path(&format!("{run}/report.md")))
            .unwrap()
            .lines()
            .filter(|l| !l.contains("SHA-256"))
            .map(str::to_string)
            .collect()
    };
    assert!(
        md("a") == md("b"),
        "report.md differs when the input rows are shuffled"
    );
    let model = |run: &str| {
        let mut m = wd.read_json(&format!("{run}/model.json"));
        m["accounts_sha256"] = Value::Null;
        m["deals_sha256"] = Value::Null;
        m
    };
    assert!(
        model("a") == model("b"),
        "model.json differs when the input rows are shuffled"
    );
}
