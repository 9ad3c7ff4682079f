//! `cargo bench`: the whole `discover` pipeline on generated data, each stage
//! timed, with peak memory.
//!
//! Sizes come from `ABM_BENCH_SIZES` (default `100000x3,1000000x3,1000000x10`:
//! accounts × deals per account). Data is generated once per size into
//! `target/bench-data/` and reused. Peak memory is the process's high-water
//! mark (`VmHWM`), so each size runs in a fresh child process.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use abm_segments::cmd::Log;
use abm_segments::config::{Overrides, RawConfig};
use abm_segments::generate::{generate, write_table, GenerateParams, OutFormat};

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn data_dir(accounts: usize, per: f64) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench-data/{accounts}x{per}"))
}

fn ensure_data(accounts: usize, per: f64) -> PathBuf {
    let dir = data_dir(accounts, per);
    if !dir.join("deals.parquet").exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let t = Instant::now();
        let mut g = generate(&GenerateParams {
            accounts,
            deals_per_account: per,
            seed: 7,
            as_of: "2026-09-30".into(),
        })
        .unwrap();
        write_table(
            &mut g.accounts,
            &dir.join("accounts.parquet"),
            OutFormat::Parquet,
        )
        .unwrap();
        write_table(&mut g.deals, &dir.join("deals.parquet"), OutFormat::Parquet).unwrap();
        eprintln!(
            "generated {accounts} accounts / {} deals in {:.1} s",
            g.deals.height(),
            t.elapsed().as_secs_f64()
        );
    }
    dir
}

/// Run one size in this process and print its figures.
fn run_one(accounts: usize, per: f64) {
    let dir = ensure_data(accounts, per);
    let config = RawConfig::default()
        .check(Overrides {
            accounts: Some(dir.join("accounts.parquet")),
            deals: Some(dir.join("deals.parquet")),
            ..Default::default()
        })
        .unwrap();
    let t = Instant::now();
    let out = abm_segments::cmd::discover::pipeline(&config, None, Log::new(true, 0)).unwrap();
    let total = t.elapsed().as_secs_f64();
    let deals = out.report.data_quality.deals_used;
    println!("\n## {accounts} accounts / {deals} deals\n");
    println!("| stage | seconds |\n|---|---|");
    for (stage, secs) in &out.timings {
        println!("| {stage} | {secs:.2} |");
    }
    println!("| **total** | **{total:.2}** |");
    println!(
        "\npeak memory: {:.0} MiB",
        peak_rss_mib().unwrap_or(f64::NAN)
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a child gets `--one ACCOUNTS PER`.
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--one") {
        run_one(args[i + 1].parse().unwrap(), args[i + 2].parse().unwrap());
        return;
    }
    let sizes =
        std::env::var("ABM_BENCH_SIZES").unwrap_or_else(|_| "100000x3,1000000x3,1000000x10".into());
    println!(
        "# discover benchmark ({} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    for size in sizes.split(',') {
        let (a, p) = size.split_once('x').expect("sizes look like 100000x3");
        let status = Command::new(&args[0])
            .args(["--one", a, p])
            .status()
            .unwrap();
        assert!(status.success(), "benchmark of {size} failed");
    }
}
