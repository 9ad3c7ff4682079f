//! The fuzz targets in `fuzz/` as bounded loops on stable Rust: seeded random
//! mutations of valid inputs (bit flips, interesting bytes and tokens,
//! insertions, deletions, truncation, splicing) fed to the same harness
//! `cargo fuzz` runs. Every input must be accepted or rejected with exit
//! status 2; a panic fails the test and saves the input.
//!
//! `ABM_FUZZ_SECONDS` bounds each target's time (default 4) and
//! `ABM_FUZZ_ITERATIONS` its inputs (default 100,000, whichever comes first).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use abm_segments::generate::{generate, write_table, GenerateParams, OutFormat};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;

use crate::util::Workdir;

#[path = "../fuzz/harness.rs"]
mod harness;

use harness::Verdict;

const TOKENS: [&[u8]; 16] = [
    b"NaN",
    b"inf",
    b"-inf",
    b"",
    b"null",
    b"9999-12-31",
    b"1969-12-31",
    b"-1",
    b"1e400",
    b"\"",
    b",",
    b";",
    b"\n",
    b"\xe9",
    b"[accounts]\n",
    b"= \"won\"",
];

fn budget() -> (Duration, u64) {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    (
        Duration::from_secs(env("ABM_FUZZ_SECONDS", 4)),
        env("ABM_FUZZ_ITERATIONS", 100_000),
    )
}

fn mutate(rng: &mut Xoshiro256Plus, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut v = corpus[rng.gen_range(0..corpus.len())].clone();
    for _ in 0..rng.gen_range(1..=4) {
        let len = v.len();
        let at = if len == 0 { 0 } else { rng.gen_range(0..len) };
        match rng.gen_range(0..8) {
            0 if len > 0 => v[at] ^= 1 << rng.gen_range(0..8),
            1 if len > 0 => {
                v[at] = *b"\0\xff,\"\n;\t\xe9-9"
                    .get(rng.gen_range(0..10))
                    .unwrap_or(&0)
            }
            2 => {
                let t = TOKENS[rng.gen_range(0..TOKENS.len())];
                v.splice(at..at, t.iter().copied());
            }
            3 if len > 0 => {
                let end = (at + rng.gen_range(1..=16)).min(len);
                v.drain(at..end);
            }
            4 if len > 0 => {
                let end = (at + rng.gen_range(1..=64)).min(len);
                let chunk = v[at..end].to_vec();
                let to = rng.gen_range(0..=len);
                v.splice(to..to, chunk);
            }
            5 => v.truncate(at),
            6 => {
                let other = &corpus[rng.gen_range(0..corpus.len())];
                if !other.is_empty() {
                    let from = rng.gen_range(0..other.len());
                    v.truncate(at);
                    v.extend_from_slice(&other[from..]);
                }
            }
            _ => {
                // Replace a field (up to the next separator) with a token.
                let end = v[at..]
                    .iter()
                    .position(|b| matches!(b, b',' | b'\n' | b'"'))
                    .map_or(len, |p| at + p);
                let t = TOKENS[rng.gen_range(0..TOKENS.len())];
                v.splice(at..end, t.iter().copied());
            }
        }
    }
    v
}

/// Run `target` on the corpus and on mutations of it until the budget is spent.
fn fuzz(name: &str, seed: u64, corpus: &[Vec<u8>], mut target: impl FnMut(&[u8]) -> Verdict) {
    let (time, max) = budget();
    let start = Instant::now();
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let (mut n, mut accepted, mut rejected, mut skipped) = (0u64, 0u64, 0u64, 0u64);
    let mut failures: Vec<Vec<u8>> = Vec::new();
    while n < max && (n < corpus.len() as u64 || start.elapsed() < time) {
        let input = match corpus.get(n as usize) {
            Some(seed_input) => seed_input.clone(),
            None => mutate(&mut rng, corpus),
        };
        n += 1;
        match catch_unwind(AssertUnwindSafe(|| target(&input))) {
            Ok(Verdict::Accepted) => accepted += 1,
            Ok(Verdict::Rejected) => rejected += 1,
            Ok(Verdict::Skipped) => skipped += 1,
            Err(_) => failures.push(input),
        }
    }
    println!(
        "fuzz {name}: {n} inputs in {:.1} s (seed {seed}), {accepted} accepted, {rejected} rejected with exit 2, {skipped} skipped, {} panics",
        start.elapsed().as_secs_f64(),
        failures.len()
    );
    if let Some(first) = failures.first() {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}-{seed}"));
        std::fs::write(&path, first).unwrap();
        panic!(
            "{} of {n} inputs panicked in {name}; the first is saved in {} (reproduce with `cargo fuzz run {name} {}`)",
            failures.len(),
            path.display(),
            path.display()
        );
    }
}

fn seed() -> u64 {
    std::env::var("ABM_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_260_930)
}

/// Small generated accounts and deals in `format` as the corpus, and the same
/// tables as CSV for the harness to pair each mutated input with.
fn generated_corpus(wd: &Workdir, format: OutFormat) -> (harness::Scratch, Vec<Vec<u8>>) {
    let mut g = generate(&GenerateParams {
        accounts: 24,
        deals_per_account: 1.5,
        ..Default::default()
    })
    .unwrap();
    let table = |df: &mut polars::prelude::DataFrame, name: &str, f: OutFormat| {
        let p = wd.path(name);
        write_table(df, &p, f).unwrap();
        std::fs::read(p).unwrap()
    };
    let good_accounts = table(&mut g.accounts, "a.csv", OutFormat::Csv);
    let good_deals = table(&mut g.deals, "d.csv", OutFormat::Csv);
    let corpus = match format {
        OutFormat::Csv => vec![good_accounts.clone(), good_deals.clone()],
        OutFormat::Parquet => vec![
            table(&mut g.accounts, "a.parquet", OutFormat::Parquet),
            table(&mut g.deals, "d.parquet", OutFormat::Parquet),
        ],
    };
    let scratch = harness::Scratch::with_tables(wd.path("scratch"), &good_accounts, &good_deals);
    (scratch, corpus)
}

#[test]
fn fuzz_config_parser_accepts_or_rejects_with_exit_2() {
    let example = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/examples/maven-crm.toml"),
    )
    .unwrap();
    let corpus = vec![
        example,
        b"[clustering]\nk_min = 2\nk_max = 8\nseed = 42\nmin_segment_share = 0.05\n".to_vec(),
        b"[analysis]\nhorizons = [30, 90]\nconfidence = 0.9\nq_max = 0.05\n".to_vec(),
        b"[tiers]\ntier1_max_share = 0.01\n[icp]\nmax_qualifying = 3\n[drops]\nunknown_account = \"error\"\n"
            .to_vec(),
        b"[accounts]\ncsv_separator = \";\"\nlist_separator = \"|\"\n[accounts.features]\nx = \"ignore\"\n"
            .to_vec(),
    ];
    fuzz("config", seed(), &corpus, harness::config);
}

#[test]
fn fuzz_csv_reader_accepts_or_rejects_with_exit_2() {
    let wd = Workdir::new("fuzz-csv");
    let (scratch, corpus) = generated_corpus(&wd, OutFormat::Csv);
    fuzz("read_csv", seed(), &corpus, |data| {
        harness::table(&scratch, data, "csv")
    });
}

#[test]
fn fuzz_parquet_reader_accepts_or_rejects_with_exit_2() {
    let wd = Workdir::new("fuzz-parquet");
    let (scratch, corpus) = generated_corpus(&wd, OutFormat::Parquet);
    fuzz("read_parquet", seed(), &corpus, |data| {
        harness::table(&scratch, data, "parquet")
    });
}
