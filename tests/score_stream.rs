//! `score` in batches: the accounts are read, scored and written a batch at
//! a time, and the result equals scoring them all in memory.

use std::path::Path;

use abm_segments::config::{Overrides, RawConfig};
use abm_segments::pipeline::score;
use abm_segments::progress::Silent;
use polars::prelude::*;

use crate::util::{read_parquet, Workdir};

/// Discover a model on generated data in `format`; returns the workdir.
fn trained(name: &str, accounts: usize, format: &str) -> Workdir {
    let wd = Workdir::new(name);
    wd.generate("in", 11, accounts, format);
    wd.discover("in", "run").ok();
    wd
}

fn config(accounts: &Path, model: &abm_segments::recommend::Model) -> abm_segments::config::Config {
    let mut raw = RawConfig::default();
    raw.accounts.id = Some(model.account_id_column.clone());
    raw.check(Overrides {
        accounts: Some(accounts.to_path_buf()),
        ..Default::default()
    })
    .unwrap()
}

/// The `abm_segments.*` key-value metadata of a Parquet file, and its row groups.
fn metadata(path: &Path) -> (Vec<(String, Option<String>)>, usize) {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let r = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let kv = r
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .unwrap()
        .iter()
        .filter(|kv| kv.key.starts_with("abm_segments."))
        .map(|kv| (kv.key.clone(), kv.value.clone()))
        .collect();
    (kv, r.metadata().num_row_groups())
}

/// Every value of `df` as text, floats by their bits, so equal means bit for bit.
fn cells(df: &DataFrame) -> Vec<(String, Vec<String>)> {
    df.columns()
        .iter()
        .map(|c| {
            let s = c.as_materialized_series();
            let values: Vec<String> = match s.dtype() {
                DataType::Float64 => s
                    .f64()
                    .unwrap()
                    .iter()
                    .map(|v| format!("{:?}", v.map(f64::to_bits)))
                    .collect(),
                _ => (0..s.len())
                    .map(|i| format!("{:?}", s.get(i).unwrap()))
                    .collect(),
            };
            (format!("{}: {}", c.name(), c.dtype()), values)
        })
        .collect()
}

fn sorted_by_id(df: DataFrame) -> DataFrame {
    df.sort(["account_id"], SortMultipleOptions::default())
        .unwrap()
}

/// Score `accounts` both ways, the batched one in batches of `rows`, and
/// require the same rows, values (bit for bit), metadata and drift.
fn assert_batched_equals_in_memory(wd: &Workdir, accounts: &Path, rows: usize) {
    let model = score::read_model(&wd.path("run")).unwrap();
    let config = config(accounts, &model);
    let whole = score::score(&config, &model, &mut Silent).unwrap();
    let drift = whole.drift.clone();
    let n = whole.scored.account_id.len();
    score::write(whole.scored, whole.metadata, &wd.path("whole.parquet")).unwrap();
    if std::env::var_os("ABM_SCORE_COMPARE").is_some() {
        let r = abm_segments::memory::resident().unwrap();
        eprintln!("in-memory score: peak {:.0} MiB", r.peak_mib);
    }
    let batched = score::score_to(
        &config,
        &model,
        &wd.path("batched.parquet"),
        rows,
        &mut Silent,
    )
    .unwrap();
    assert_eq!(batched.accounts, n as u64);
    assert_eq!(batched.drift, drift);

    let (kv_whole, _) = metadata(&wd.path("whole.parquet"));
    let (kv_batched, groups) = metadata(&wd.path("batched.parquet"));
    assert_eq!(kv_batched, kv_whole);
    assert!(kv_whole.len() == 4, "{kv_whole:?}");
    let batches = n.div_ceil(rows);
    assert!(
        groups >= batches && batches >= 3,
        "{groups} row groups for {batches} batches"
    );

    let a = read_parquet(&wd.path("whole.parquet"));
    let b = read_parquet(&wd.path("batched.parquet"));
    assert_eq!(a.height(), n);
    // The batched file keeps the input's row order; the in-memory path
    // puts accounts in key order.
    let b = sorted_by_id(b);
    assert_eq!(a.get_column_names(), b.get_column_names());
    let (ca, cb) = (cells(&a), cells(&b));
    for ((name, x), (_, y)) in ca.iter().zip(&cb) {
        if let Some(i) = (0..x.len()).find(|&i| x[i] != y[i]) {
            panic!("{name} differs at row {i}: {} vs {}", x[i], y[i]);
        }
    }
    assert_eq!(ca, cb);
}

#[test]
fn batched_score_equals_in_memory_score_on_parquet_and_csv() {
    for format in ["parquet", "csv"] {
        let wd = trained(&format!("stream-{format}"), 3000, format);
        let accounts = wd.path(&format!("in/accounts.{format}"));
        // Shuffle the rows so the input order is not key order.
        let mut df = read_input(&accounts);
        let order: Vec<IdxSize> = (0..df.height() as IdxSize).rev().collect();
        df = df
            .take(&IdxCa::from_vec("".into(), interleave(order)))
            .unwrap();
        let shuffled = wd.path(&format!("shuffled.{format}"));
        write_input(&mut df, &shuffled);
        assert_batched_equals_in_memory(&wd, &shuffled, 700);
        assert_segments_as_discovered(&wd, &wd.path(&format!("in/accounts.{format}")));
    }
}

/// The model carves the core ICP out as a segment of its own, and `score`
/// (in memory and in batches, equal above) puts every account in the
/// segment `discover` did: the carved one exactly when it is in the ICP.
fn assert_segments_as_discovered(wd: &Workdir, accounts: &Path) {
    let model = score::read_model(&wd.path("run")).unwrap();
    let s = &model.segments;
    assert!(
        s.core_icp_carved,
        "no carve-out: the test would not exercise it"
    );
    let carved = s.ids[s.centroids.len()];
    let columns = ["account_id", "in_icp", "segment"];
    let discovered =
        sorted_by_id(read_parquet(&wd.path("run/accounts_scored.parquet"))).select(columns);
    let scored = sorted_by_id(read_parquet(&wd.path("whole.parquet"))).select(columns);
    let (d, sc) = (discovered.unwrap(), scored.unwrap());
    assert!(d.equals_missing(&sc), "{d}\n{sc}");
    let segment = d.column("segment").unwrap().u32().unwrap();
    let in_icp = d.column("in_icp").unwrap().bool().unwrap();
    for (seg, icp) in segment.iter().zip(in_icp.iter()) {
        assert_eq!(seg == Some(carved), icp.unwrap(), "segment {seg:?}");
    }
    assert!(in_icp.iter().any(|x| x == Some(true)));

    // A model.json without the field (as written before the carve-out)
    // reads as no carve-out: every account in its nearest centroid's
    // segment, which for an account outside the ICP is the carved model's,
    // and for one inside one of the segments it was carved from.
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(wd.path("run/model.json")).unwrap()).unwrap();
    json["segments"]
        .as_object_mut()
        .unwrap()
        .remove("core_icp_carved");
    let old: abm_segments::recommend::Model = serde_json::from_value(json).unwrap();
    assert!(!old.segments.core_icp_carved);
    let (new, old) = (
        score::score(&config(accounts, &model), &model, &mut Silent).unwrap(),
        score::score(&config(accounts, &old), &old, &mut Silent).unwrap(),
    );
    let report = wd.read_json("run/report.json");
    let from: Vec<u32> = (report["clustering"]["core_icp_segment"]["carved_from"].as_array())
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect();
    let icp = new.scored.in_icp.unwrap();
    for (i, inside) in icp.into_iter().enumerate() {
        let (n, o) = (new.scored.segment[i], old.scored.segment[i]);
        match inside {
            true => assert!(n == carved && from.contains(&o), "{n} {o} {from:?}"),
            false => assert_eq!(n, o),
        }
    }
}

#[test]
fn batched_score_equals_in_memory_score_on_a_directory_of_parts() {
    for format in ["parquet", "csv"] {
        let wd = trained(&format!("stream-dir-{format}"), 1800, format);
        let df = read_input(&wd.path(&format!("in/accounts.{format}")));
        let dir = wd.path("parts");
        std::fs::create_dir_all(&dir).unwrap();
        let n = df.height();
        for (i, (from, len)) in [(0, 500), (500, 900), (1400, n - 1400)]
            .into_iter()
            .enumerate()
        {
            let mut part = df.slice(from as i64, len);
            write_input(&mut part, &dir.join(format!("part-{i}.{format}")));
        }
        assert_batched_equals_in_memory(&wd, &dir, 400);
    }
}

/// Odd rows first, then even ones: an order far from key order.
fn interleave(order: Vec<IdxSize>) -> Vec<IdxSize> {
    let (odd, even): (Vec<IdxSize>, Vec<IdxSize>) = order.iter().partition(|&&i| i % 2 == 1);
    odd.into_iter().chain(even).collect()
}

fn read_input(path: &Path) -> DataFrame {
    if path.extension().is_some_and(|e| e == "csv") {
        CsvReadOptions::default()
            .with_has_header(true)
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .unwrap()
            .finish()
            .unwrap()
    } else {
        read_parquet(path)
    }
}

fn write_input(df: &mut DataFrame, path: &Path) {
    let f = std::fs::File::create(path).unwrap();
    if path.extension().is_some_and(|e| e == "csv") {
        CsvWriter::new(f).finish(df).unwrap();
    } else {
        ParquetWriter::new(f).finish(df).unwrap();
    }
}

#[test]
fn a_key_repeated_in_different_batches_exits_2_and_writes_nothing() {
    let wd = trained("stream-dup", 1200, "csv");
    let text = std::fs::read_to_string(wd.path("in/accounts.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let key = lines[3].split(',').next().unwrap().to_string();
    // The fourth account again near the end: batches of 250 rows put the
    // two copies four batches apart.
    let mut dup = lines.clone();
    dup.insert(1100, lines[3]);
    wd.write("dup.csv", &(dup.join("\n") + "\n"));
    let out = wd
        .command(&[
            "score",
            "--model",
            "run",
            "--accounts",
            "dup.csv",
            "--out",
            "scored.parquet",
        ])
        .env("ABM_SCORE_BATCH_ROWS", "250")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("account key is duplicated") && stderr.contains(&key),
        "{stderr}"
    );
    assert!(!wd.path("scored.parquet").exists());
    let left: Vec<_> = std::fs::read_dir(&wd.root)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".abm-tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

/// The same comparison on a large model and accounts file, in default-sized
/// batches, for the figures in `docs/scale.md`: `ABM_SCORE_COMPARE=RUN_DIR:ACCOUNTS
/// cargo test --release --test integration -- --ignored score_stream`.
#[test]
#[ignore = "needs ABM_SCORE_COMPARE=RUN_DIR:ACCOUNTS; minutes on 1M accounts"]
fn batched_score_equals_in_memory_score_on_given_data() {
    let spec = std::env::var("ABM_SCORE_COMPARE").expect("ABM_SCORE_COMPARE=RUN_DIR:ACCOUNTS");
    let (run, accounts) = spec.split_once(':').expect("RUN_DIR:ACCOUNTS");
    let wd = Workdir::new("stream-given");
    std::os::unix::fs::symlink(std::fs::canonicalize(run).unwrap(), wd.path("run")).unwrap();
    assert_batched_equals_in_memory(&wd, Path::new(accounts), score::BATCH_ROWS);
}
