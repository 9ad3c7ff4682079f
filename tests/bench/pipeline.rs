//! `cargo bench`: the whole `discover` pipeline on generated data, each stage
//! timed, with peak memory; then `validate` and `score` on the same accounts.
//!
//! Sizes come from `ABM_BENCH_SIZES` (default
//! `100000x3,500000x3,1000000x3,1000000x10`: accounts × deals per account).
//! `ABM_BENCH_LARGE=1` adds the one-box sizes `5000000x3,10000000x3` (about
//! 8 GiB of memory and several minutes each, so they are opt-in).
//! Data is generated once per size into `target/bench-data/` and reused; runs
//! are written to `target/bench-runs/`. Peak memory is the process's
//! high-water mark (`VmHWM`), so every measurement runs in a fresh child
//! process. Each is repeated `ABM_BENCH_RUNS` times (default 3) and the
//! fastest kept, with the other totals listed. The last lines compare sizes
//! as ratios measured in this run.
//!
//! `ABM_BENCH_BASELINE=PATH` names an `abm-segments` binary built from an
//! earlier commit: its `discover -v` runs on the same data, as often, and its
//! stage table is printed beside this build's with the ratios, so a change
//! is judged against figures measured on the same machine at the same time.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use abm_segments::config::{Overrides, RawConfig};
use abm_segments::generate::{generate, write_table, GenerateParams, OutFormat};
use abm_segments::pipeline::{discover, Lap};
use abm_segments::progress::Silent;

fn peak_rss_mib() -> f64 {
    abm_segments::memory::resident().map_or(f64::NAN, |m| m.peak_mib)
}

fn target_dir(sub: &str, size: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("target/{sub}/{size}"))
}

fn parse_size(size: &str) -> (usize, f64) {
    let (a, p) = size.split_once('x').expect("sizes look like 100000x3");
    (
        a.parse().expect("accounts"),
        p.parse().expect("deals per account"),
    )
}

fn ensure_data(size: &str) -> PathBuf {
    let (accounts, per) = parse_size(size);
    let dir = target_dir("bench-data", size);
    if !dir.join("deals.parquet").exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let t = Instant::now();
        let mut g = generate(&GenerateParams {
            accounts,
            deals_per_account: per,
            seed: 7,
            as_of: "2026-09-30".into(),
            ..Default::default()
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

/// A line the parent collects for the summary.
fn result(what: &str, size: &str, seconds: f64) {
    println!("RESULT {what} {size} {seconds:.3} {:.0}", peak_rss_mib());
}

/// The default configuration over one generated data set.
fn config_for(data: &std::path::Path) -> abm_segments::config::Config {
    RawConfig::default()
        .check(Overrides {
            accounts: Some(data.join("accounts.parquet")),
            deals: Some(data.join("deals.parquet")),
            ..Default::default()
        })
        .unwrap()
}

/// Child: `discover` in this process, every stage timed, outputs written.
fn discover_one(size: &str) {
    let data = ensure_data(size);
    let config = config_for(&data);
    let t = Instant::now();
    let found = abm_segments::pipeline::discover(&config, &mut Silent).unwrap();
    let run = target_dir("bench-runs", size);
    std::fs::create_dir_all(run.parent().unwrap()).unwrap();
    let mut staging = discover::stage(&run, true).unwrap();
    let out = discover::render(found, &mut Silent, &mut staging).unwrap();
    let mut timings = out.timings.clone();
    let w = Instant::now();
    discover::publish(staging, &out.files).unwrap();
    timings.push(Lap {
        stage: "write run directory",
        seconds: w.elapsed().as_secs_f64(),
        memory: abm_segments::memory::resident(),
    });
    let total = t.elapsed().as_secs_f64();
    let deals = out.report.data_quality.deals_used;
    println!(
        "\n## discover: {} accounts / {deals} deals (k = {})\n",
        out.report.data_quality.accounts_read, out.report.clustering.k_chosen
    );
    // Peak so far shows the stage where the peak was reached; resident
    // after it, what the stage left held.
    println!(
        "| stage | seconds | peak so far (MiB) | resident after (MiB) |\n|---|---:|---:|---:|"
    );
    for lap in &timings {
        let (peak, now) = lap
            .memory
            .map_or((f64::NAN, f64::NAN), |m| (m.peak_mib, m.now_mib));
        println!(
            "| {} | {:.2} | {peak:.0} | {now:.0} |",
            lap.stage, lap.seconds
        );
    }
    println!("| **total** | **{total:.2}** | | |");
    println!("\npeak memory: {:.0} MiB", peak_rss_mib());
    result("discover", size, total);
}

/// Child: `validate` or `score` through the library, timed as a whole.
fn command_one(what: &str, size: &str) {
    use abm_segments::pipeline::{score, validate};
    let data = ensure_data(size);
    let run = target_dir("bench-runs", size);
    let config = config_for(&data);
    let t = Instant::now();
    match what {
        "validate" => {
            let params = validate::ValidateParams {
                window: validate::WindowChoice::Dates {
                    from: None,
                    to: None,
                },
                tiers_from: None,
                tier_column: "current_tier".into(),
                previous: None,
            };
            validate::validate(&config, &params, &mut Silent).unwrap();
        }
        "score" => {
            // The path `abm-segments score` takes: batches, written as it goes.
            let model = score::read_model(&run).unwrap();
            let out = run.with_extension("scored.parquet");
            score::score_to(&config, &model, &out, score::batch_rows(), &mut Silent).unwrap();
        }
        _ => panic!("unknown command {what}"),
    }
    let secs = t.elapsed().as_secs_f64();
    result(what, size, secs);
}

/// The sizes the bench runs when `ABM_BENCH_SIZES` is not set.
const DEFAULT_SIZES: &str = "100000x3,500000x3,1000000x3,1000000x10";
/// Added by `ABM_BENCH_LARGE=1`.
const LARGE_SIZES: &str = "5000000x3,10000000x3";

/// Child: the `ABM_BENCH_BASELINE` binary's `discover -v` on one size. Its
/// stage lines are passed on, and its peak is the largest resident set of
/// this process's children (the baseline is the only one).
fn baseline_one(size: &str) {
    let data = ensure_data(size);
    let bin = std::env::var("ABM_BENCH_BASELINE").expect("ABM_BENCH_BASELINE is set");
    let run = target_dir("bench-runs", &format!("{size}-baseline"));
    std::fs::create_dir_all(run.parent().unwrap()).unwrap();
    let t = Instant::now();
    let out = Command::new(&bin)
        .arg("discover")
        .arg("--accounts")
        .arg(data.join("accounts.parquet"))
        .arg("--deals")
        .arg(data.join("deals.parquet"))
        .arg("--out")
        .arg(&run)
        .args(["--force", "-v"])
        .output()
        .unwrap();
    let total = t.elapsed().as_secs_f64();
    // Exit 1 is a verdict (Tier 1 does not out-convert Tier 2), not a failure.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "baseline {bin} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in String::from_utf8_lossy(&out.stderr).lines() {
        if let Some((stage, secs, peak)) = stage_line(line) {
            println!("STAGE {secs:.3} {peak:.0} {stage}");
        }
    }
    println!(
        "RESULT baseline {size} {total:.3} {:.0}",
        children_peak_mib()
    );
}

/// A `-v` stage line, `  encode: 0.61 s (peak so far 676 MiB, …)`, as
/// (stage, seconds, peak MiB).
fn stage_line(line: &str) -> Option<(String, f64, f64)> {
    let (stage, rest) = line.trim().split_once(": ")?;
    let (secs, rest) = rest.split_once(" s (peak so far ")?;
    let (peak, _) = rest.split_once(" MiB")?;
    Some((stage.to_string(), secs.parse().ok()?, peak.parse().ok()?))
}

/// The largest resident set of any child this process waited for, MiB.
fn children_peak_mib() -> f64 {
    #[cfg(target_os = "linux")]
    {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: getrusage writes one rusage into the pointer it is given.
        let usage = unsafe {
            libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
            usage.assume_init()
        };
        // ru_maxrss is in KiB on Linux.
        usage.ru_maxrss as f64 / 1024.0
    }
    #[cfg(not(target_os = "linux"))]
    f64::NAN
}

/// One measurement: the RESULT fields and the child's other output.
struct Measured {
    what: String,
    size: String,
    seconds: f64,
    peak_mib: f64,
    output: String,
}

/// Run a child; keep its RESULT line and its other output.
fn child(args: &[String]) -> Vec<Measured> {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(args)
        .output()
        .unwrap();
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "benchmark {args:?} failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut output = String::new();
    let mut results = Vec::new();
    for line in text.lines() {
        match line.strip_prefix("RESULT ") {
            Some(r) => {
                let f: Vec<&str> = r.split(' ').collect();
                results.push(Measured {
                    what: f[0].to_string(),
                    size: f[1].to_string(),
                    seconds: f[2].parse().unwrap(),
                    peak_mib: f[3].parse().unwrap(),
                    output: String::new(),
                });
            }
            None => {
                output.push_str(line);
                output.push('\n');
            }
        }
    }
    for r in &mut results {
        r.output.clone_from(&output);
    }
    results
}

/// The baseline's stage table beside this build's, with the ratios (this
/// build over the baseline; below 1 is faster or smaller).
fn beside(new: &Measured, base: &Measured) -> String {
    let stages = |m: &Measured| -> Vec<(String, f64, f64)> {
        m.output
            .lines()
            .filter_map(|l| {
                if let Some(r) = l.strip_prefix("STAGE ") {
                    let mut f = r.splitn(3, ' ');
                    let (s, p) = (f.next()?.parse().ok()?, f.next()?.parse().ok()?);
                    return Some((f.next()?.to_string(), s, p));
                }
                let f: Vec<&str> = l.strip_prefix("| ")?.split(" | ").collect();
                (f.len() == 4).then_some(())?;
                Some((f[0].to_string(), f[1].parse().ok()?, f[2].parse().ok()?))
            })
            .collect()
    };
    let (b, n) = (stages(base), stages(new));
    let mut out = format!(
        "\n### against the baseline ({})\n\n| stage | baseline s | s | × | baseline peak so far (MiB) | peak so far (MiB) |\n|---|---:|---:|---:|---:|---:|\n",
        std::env::var("ABM_BENCH_BASELINE").unwrap_or_default()
    );
    for (stage, bs, bp) in &b {
        if let Some((_, s, p)) = n.iter().find(|(st, ..)| st == stage) {
            out.push_str(&format!(
                "| {stage} | {bs:.2} | {s:.2} | {:.2} | {bp:.0} | {p:.0} |\n",
                s / bs
            ));
        }
    }
    out.push_str(&format!(
        "| **total** | **{:.2}** | **{:.2}** | **{:.2}** | **{:.0}** | **{:.0}** |\n",
        base.seconds,
        new.seconds,
        new.seconds / base.seconds,
        base.peak_mib,
        new.peak_mib
    ));
    out
}

/// Run a measurement `runs` times, each in a fresh process, and keep the
/// fastest: on a shared machine the other runs measure the neighbours.
fn fastest(what: &str, size: &str, runs: usize) -> Measured {
    let mut all: Vec<Measured> = (0..runs)
        .flat_map(|_| child(&["--child".into(), what.into(), size.into()]))
        .collect();
    let totals: Vec<String> = all.iter().map(|m| format!("{:.2}", m.seconds)).collect();
    all.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let mut best = all.swap_remove(0);
    if runs > 1 {
        best.output.push_str(&format!(
            "\nfastest of {runs} runs (totals: {} s)\n",
            totals.join(", ")
        ));
    }
    best
}

fn main() {
    // `cargo bench` passes `--bench`; a child gets `--child WHAT SIZE`.
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        match args[i + 1].as_str() {
            "generate" => drop(ensure_data(&args[i + 2])),
            "discover" => discover_one(&args[i + 2]),
            "baseline" => baseline_one(&args[i + 2]),
            what => command_one(what, &args[i + 2]),
        }
        return;
    }
    let mut sizes = std::env::var("ABM_BENCH_SIZES").unwrap_or_else(|_| DEFAULT_SIZES.into());
    if std::env::var("ABM_BENCH_LARGE").is_ok_and(|v| v == "1") {
        sizes = format!("{sizes},{LARGE_SIZES}");
    }
    let baseline = std::env::var("ABM_BENCH_BASELINE").is_ok();
    println!(
        "# abm-segments benchmark ({} cores, {})",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|c| c
                .lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string()))
            .unwrap_or_else(|| "unknown CPU".into())
    );
    let runs: usize = std::env::var("ABM_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    let mut all = Vec::new();
    for size in sizes.split(',') {
        // Generate in its own process, so generation does not count in the peak.
        child(&["--child".into(), "generate".into(), size.into()]);
        let d = fastest("discover", size, runs);
        print!("{}", d.output);
        if baseline {
            let b = fastest("baseline", size, runs);
            print!("{}", beside(&d, &b));
            all.push(b);
        }
        all.push(d);
        for what in ["validate", "score"] {
            all.push(fastest(what, size, runs));
        }
    }
    println!("\n## summary (fastest of {runs} runs each)\n\n| command | size | seconds | peak MiB |\n|---|---|---:|---:|");
    for m in &all {
        println!(
            "| {} | {} | {:.2} | {:.0} |",
            m.what, m.size, m.seconds, m.peak_mib
        );
    }
    let get = |what: &str, size: &str| {
        all.iter()
            .find(|m| m.what == what && m.size == size)
            .map(|m| (m.seconds, m.peak_mib))
    };
    if let (Some(half), Some(full)) = (get("discover", "500000x3"), get("discover", "1000000x3")) {
        println!(
            "\ndoubling accounts (500k → 1M, 3 deals each): time × {:.2}, memory × {:.2}",
            full.0 / half.0,
            full.1 / half.1
        );
    }
    if let (Some(three), Some(ten)) = (get("discover", "1000000x3"), get("discover", "1000000x10"))
    {
        println!(
            "3 → 10 deals per account (1M accounts): time × {:.2}, memory × {:.2}",
            ten.0 / three.0,
            ten.1 / three.1
        );
    }
}
