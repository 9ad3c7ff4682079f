//! `discover`'s memory estimate, made before reading, and the stop when it
//! exceeds the memory available.

use abm_segments::estimate::{estimate_discover_peak, table_shape, TableShape};

use crate::util::{sample, sample_dir, Workdir};

#[test]
fn a_run_estimated_above_the_limit_exits_2_and_writes_nothing() {
    let wd = Workdir::new("estimate-limit");
    let (accounts, deals) = (sample("accounts.parquet"), sample("deals.parquet"));
    // discover on the sample under a memory limit, with `-v` or not.
    let run = |limit: String, verbose: bool| {
        let mut run = wd.discover(&sample_dir(), "runs/run").loud();
        if verbose {
            run = run.args(&["-v"]);
        }
        run.command()
            .env("ABM_MEMORY_LIMIT", limit)
            .output()
            .unwrap()
    };
    let out = run("10MiB".into(), false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    // The sample: 3000 accounts of 8 number and 5 text columns, and its deals.
    let shape = table_shape(std::path::Path::new(&accounts), b',').unwrap();
    let deal_rows = table_shape(std::path::Path::new(&deals), b',')
        .unwrap()
        .rows;
    let peak = estimate_discover_peak(&shape, deal_rows).peak_mib();
    assert!(
        stderr.contains(&format!("would need about {peak:.0} MiB"))
            && stderr.contains("10 MiB is available (ABM_MEMORY_LIMIT)")
            && stderr.contains("abm-segments sql")
            && stderr.contains("aggregate the deals upstream"),
        "{stderr}"
    );
    assert!(
        !wd.path("runs").exists(),
        "nothing is written, not even --out's parent"
    );

    // Above the estimate, the run goes ahead and -v logs the estimate.
    let out = run(format!("{}MiB", peak.ceil() + 1.0), true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("memory: peak estimated at {peak:.0} MiB")),
        "{stderr}"
    );
    assert!(wd.path("runs/run/report.json").exists());
}

#[test]
fn an_unreadable_memory_limit_is_a_config_error() {
    let wd = Workdir::new("estimate-bad-limit");
    let out = wd
        .discover(&sample_dir(), "run")
        .loud()
        .command()
        .env("ABM_MEMORY_LIMIT", "plenty")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("ABM_MEMORY_LIMIT=plenty is not a size"),
        "{stderr}"
    );
    assert!(!wd.path("run").exists());
}

/// The estimate of a generated case, worked by hand from the estimator's
/// formula (see `src/estimate.rs`): the generator writes 8 number columns
/// (employees, annual_revenue, intent_score, web_visits_90d,
/// exec_relationship, known_contacts, csm_assigned, noise_score) and 5 text
/// ones (account_id, tier, industry, region, the technologies list).
#[test]
fn the_estimate_of_generated_inputs_is_the_hand_worked_formula() {
    let wd = Workdir::new("estimate-shape");
    for format in ["parquet", "csv"] {
        let dir = format!("in-{format}");
        wd.generate(&dir, 5, 4000, format);
        let shape = table_shape(&wd.path(&format!("{dir}/accounts.{format}")), b',').unwrap();
        let deals = table_shape(&wd.path(&format!("{dir}/deals.{format}")), b',').unwrap();
        let true_deals = rows_of(&wd.path(&format!("{dir}/deals.{format}")));
        if format == "parquet" {
            // Footers give rows and types exactly.
            assert_eq!(
                shape,
                TableShape {
                    rows: 4000,
                    numbers: 8,
                    texts: 5
                }
            );
            assert_eq!(deals.rows, true_deals as u64);
        } else {
            // CSV rows come from the file size and the first lines' length:
            // within 5% here. The list column reads as text, the booleans
            // as text (`true`) too.
            let ratio = shape.rows as f64 / 4000.0;
            assert!((0.95..1.05).contains(&ratio), "{shape:?}");
            let ratio = deals.rows as f64 / true_deals as f64;
            assert!((0.95..1.05).contains(&ratio), "{deals:?} vs {true_deals}");
            assert_eq!(shape.numbers + shape.texts, 13, "{shape:?}");
        }
    }
    // By hand, for 4000 accounts of 8 numbers and 5 texts and 12,000 deals:
    // row bytes 8 × 8 + 5 × 24 = 184; encoded columns 8 + 4 × 8 = 40;
    // reading 26 MiB + (4000 × 184 × 1.28 + 12000 × 120) B = 26 + 2.2717 MiB;
    // after 60 MiB + (4000 × (184 + 40 × 8 × 1.5 + 46) + 12000 × 40) B
    //     = 60 + (2.84e6 + 0.48e6) / 2^20 = 60 + 3.1662 MiB.
    let e = estimate_discover_peak(
        &TableShape {
            rows: 4000,
            numbers: 8,
            texts: 5,
        },
        12_000,
    );
    assert!((e.reading_mib - 28.2717).abs() < 1e-4, "{e:?}");
    assert!((e.after_mib - 63.1662).abs() < 1e-4, "{e:?}");
    assert_eq!(e.peak_mib(), e.after_mib);
}

/// The estimate reads footers, not data: a Parquet file whose data pages
/// are overwritten still gets its rows and columns, though reading it fails.
#[test]
fn the_estimate_reads_footers_not_data() {
    let wd = Workdir::new("estimate-footer");
    wd.generate("in", 5, 4000, "parquet");
    let path = wd.path("in/accounts.parquet");
    let mut bytes = std::fs::read(&path).unwrap();
    let len = bytes.len();
    // The footer is at the end; the first half of the file is data pages.
    for b in &mut bytes[4..len / 2] {
        *b = 0xAB;
    }
    let damaged = wd.path("damaged.parquet");
    std::fs::write(&damaged, &bytes).unwrap();
    assert!(
        abm_segments::io::read::read_table(&damaged, b',', None).is_err(),
        "the damaged file should not decode"
    );
    let shape = table_shape(&damaged, b',').unwrap();
    assert_eq!(
        shape,
        TableShape {
            rows: 4000,
            numbers: 8,
            texts: 5
        }
    );
}

/// Rows of a generated table (its CSV holds no line breaks in values).
fn rows_of(path: &std::path::Path) -> usize {
    if path.extension().is_some_and(|e| e == "csv") {
        std::fs::read_to_string(path).unwrap().lines().count() - 1
    } else {
        crate::util::read_parquet(path).height()
    }
}
