//! The bodies of the fuzz targets, shared by `cargo fuzz` (`fuzz_targets/`)
//! and by the bounded, seeded loop in `tests/fuzz_inputs.rs`, which runs on
//! stable Rust in `cargo test` and in CI.
//!
//! Each body asserts the one property the readers promise: any bytes are
//! either accepted or rejected with exit status 2 — never a panic and never
//! an internal error.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use abm_segments::config::{Config, Overrides, RawConfig};
use abm_segments::error::{exit, Error};
use abm_segments::features::infer::InferOptions;
use abm_segments::io::contract;

/// What one input did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    Rejected,
    /// Not applicable (e.g. config bytes that are not UTF-8 text).
    Skipped,
}

fn judge(result: Result<(), Error>) -> Verdict {
    match result {
        Ok(()) => Verdict::Accepted,
        Err(e) => {
            assert_eq!(
                e.exit_code(),
                exit::BAD_INPUT,
                "an input error must exit with status 2, got: {e}"
            );
            Verdict::Rejected
        }
    }
}

/// The config parser and checker on arbitrary text.
pub fn config(data: &[u8]) -> Verdict {
    let Ok(text) = std::str::from_utf8(data) else {
        return Verdict::Skipped;
    };
    judge(
        RawConfig::from_toml(text, Path::new("fuzz.toml"))
            .and_then(|raw| raw.check(Overrides::default()))
            .map(|_| ()),
    )
}

const GOOD_ACCOUNTS: &str = "account_id,industry,employees,tier
a1,Fintech,120,Tier 1
a2,Retail,300,2
a3,SaaS,80,
";
const GOOD_DEALS: &str = "deal_id,account_id,created_at,closed_at,outcome,amount
d1,a1,2026-01-01,2026-02-01,won,100
d2,a2,2026-01-05,2026-03-01,lost,50
d3,a3,2026-02-01,,open,
";

/// A scratch directory holding a valid accounts and deals table, for the
/// reader targets to pair the fuzzed table with.
pub struct Scratch {
    pub dir: PathBuf,
}

impl Scratch {
    /// With a small built-in pair of valid tables.
    pub fn new(dir: PathBuf) -> Scratch {
        Scratch::with_tables(dir, GOOD_ACCOUNTS.as_bytes(), GOOD_DEALS.as_bytes())
    }

    /// With the given valid CSV tables, e.g. the ones the corpus was made from,
    /// so that mutated inputs are paired with tables that match them.
    pub fn with_tables(dir: PathBuf, accounts: &[u8], deals: &[u8]) -> Scratch {
        std::fs::create_dir_all(&dir).expect("creating the scratch directory");
        std::fs::write(dir.join("good_accounts.csv"), accounts).expect("writing");
        std::fs::write(dir.join("good_deals.csv"), deals).expect("writing");
        Scratch { dir }
    }

    fn config(&self, accounts: PathBuf, deals: PathBuf) -> Config {
        RawConfig::default()
            .check(Overrides {
                accounts: Some(accounts),
                deals: Some(deals),
                ..Default::default()
            })
            .expect("the default config is valid")
    }
}

/// The table readers, the data contract and feature inference on arbitrary
/// bytes saved with extension `ext` (`csv` or `parquet`): read as the
/// accounts table against valid deals, then as the deals table against valid
/// accounts.
pub fn table(scratch: &Scratch, data: &[u8], ext: &str) -> Verdict {
    let input = scratch.dir.join(format!("input.{ext}"));
    std::fs::write(&input, data).expect("writing the fuzz input");
    let good_accounts = scratch.dir.join("good_accounts.csv");
    let good_deals = scratch.dir.join("good_deals.csv");

    let as_accounts = judge((|| {
        let config = scratch.config(input.clone(), good_deals.clone());
        let accounts = contract::accounts(
            abm_segments::io::read_accounts(&config.input)?,
            &config.input,
        )?;
        abm_segments::features::infer(
            &accounts.features,
            &InferOptions {
                kinds: &config.kinds,
                roles: &config.roles,
                list_separator: &config.list_separator,
                file: &input,
            },
        )?;
        let mut drops = contract::Drops::default();
        contract::deals(
            abm_segments::io::read_deals(&config.input)?,
            &accounts,
            &config.input,
            &mut drops,
        )?;
        Ok(())
    })());
    let as_deals = judge((|| {
        let config = scratch.config(good_accounts.clone(), input.clone());
        let accounts = contract::accounts(
            abm_segments::io::read_accounts(&config.input)?,
            &config.input,
        )?;
        let mut drops = contract::Drops::default();
        contract::deals(
            abm_segments::io::read_deals(&config.input)?,
            &accounts,
            &config.input,
            &mut drops,
        )?;
        Ok(())
    })());
    if as_accounts == Verdict::Accepted || as_deals == Verdict::Accepted {
        Verdict::Accepted
    } else {
        Verdict::Rejected
    }
}
