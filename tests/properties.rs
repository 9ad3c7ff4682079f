//! Property tests: random valid tables give internally consistent figures;
//! random tables with faults either do too or fail with exit status 2. Never
//! a panic. The library pipeline runs in-process, so each case costs
//! milliseconds.
//!
//! `ABM_PROPTEST_CASES` sets the number of cases per property (default 64).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use abm_segments::config::{Overrides, RawConfig};
use abm_segments::error::exit;
use abm_segments::pipeline::discover::{discover, render, stage, Rendered};
use abm_segments::progress::Silent;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::{Config, TestRunner};

use crate::util::Workdir;

fn cases() -> u32 {
    std::env::var("ABM_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

#[derive(Debug, Clone)]
struct Account {
    industry: Option<&'static str>,
    employees: Option<u32>,
    tier: &'static str,
}

#[derive(Debug, Clone)]
struct Deal {
    account: Index,
    created: u32,
    days: u32,
    outcome: &'static str,
    amount: Option<u32>,
}

fn account() -> impl Strategy<Value = Account> {
    (
        prop::option::weighted(0.9, select(vec!["Fintech", "Retail", "SaaS"])),
        prop::option::weighted(0.9, 1u32..5000),
        select(vec!["", "Tier 1", "2", "3", "tier 3"]),
    )
        .prop_map(|(industry, employees, tier)| Account {
            industry,
            employees,
            tier,
        })
}

fn deal() -> impl Strategy<Value = Deal> {
    (
        any::<Index>(),
        0u32..600,
        0u32..200,
        select(vec!["won", "lost", "open", "Won", "LOST"]),
        prop::option::weighted(0.9, 0u32..100_000),
    )
        .prop_map(|(account, created, days, outcome, amount)| Deal {
            account,
            created,
            days,
            outcome,
            amount,
        })
}

/// A valid pair of tables: every deal has a known account and consistent dates,
/// and the first deal is closed.
#[derive(Debug, Clone)]
struct Tables {
    accounts: Vec<Account>,
    deals: Vec<Deal>,
}

fn tables() -> impl Strategy<Value = Tables> {
    (
        prop::collection::vec(account(), 4..40),
        prop::collection::vec(deal(), 1..120),
        select(vec!["won", "lost"]),
    )
        .prop_map(|(accounts, mut deals, first)| {
            deals[0].outcome = first;
            Tables { accounts, deals }
        })
}

fn date(days_after_2024: u32) -> String {
    (chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
        + chrono::Duration::days(i64::from(days_after_2024)))
    .format("%Y-%m-%d")
    .to_string()
}

/// Cells of both tables, header first.
fn cells(t: &Tables) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let mut a = vec![vec![
        "account_id".to_string(),
        "industry".into(),
        "employees".into(),
        "tier".into(),
    ]];
    for (i, r) in t.accounts.iter().enumerate() {
        // Accounts 0 and 1 differ in size, so at least one feature varies.
        let employees = match i {
            0 => Some(1),
            1 => Some(100_000),
            _ => r.employees,
        };
        a.push(vec![
            format!("a{i}"),
            r.industry.unwrap_or("").into(),
            employees.map(|e| e.to_string()).unwrap_or_default(),
            r.tier.into(),
        ]);
    }
    let mut d = vec![vec![
        "deal_id".to_string(),
        "account_id".into(),
        "created_at".into(),
        "closed_at".into(),
        "outcome".into(),
        "amount".into(),
    ]];
    for (j, r) in t.deals.iter().enumerate() {
        let open = r.outcome == "open";
        d.push(vec![
            format!("d{j}"),
            format!("a{}", r.account.index(t.accounts.len())),
            date(r.created),
            if open {
                String::new()
            } else {
                date(r.created + r.days)
            },
            r.outcome.into(),
            r.amount.map(|v| v.to_string()).unwrap_or_default(),
        ]);
    }
    (a, d)
}

/// A fault planted in otherwise valid tables.
#[derive(Debug, Clone)]
enum Fault {
    NullAccountKey(Index),
    DuplicateAccountKey(Index, Index),
    DuplicateDealKey(Index, Index),
    UnreadableDate(Index, &'static str),
    CloseBeforeCreate(Index),
    NegativeAmount(Index),
    TextAmount(Index, &'static str),
    UnknownAccount(Index),
    OddOutcome(Index, &'static str),
    OddFeature(Index, &'static str),
    OddTier(Index, &'static str),
    RaggedRow(bool, Index),
    DropColumn(bool, Index),
    NullColumn(bool, Index),
    DuplicateHeader(bool, Index),
    NonUtf8(bool, Index),
    DropAllButOneAccount,
    AllOutcomes(&'static str),
}

fn fault() -> impl Strategy<Value = Fault> {
    let i = any::<Index>;
    prop_oneof![
        i().prop_map(Fault::NullAccountKey),
        (i(), i()).prop_map(|(a, b)| Fault::DuplicateAccountKey(a, b)),
        (i(), i()).prop_map(|(a, b)| Fault::DuplicateDealKey(a, b)),
        (
            i(),
            select(vec![
                "yesterday",
                "03/15/2025",
                "1969-12-31",
                "9999-12-31",
                "2025-13-01",
                ""
            ])
        )
            .prop_map(|(a, v)| Fault::UnreadableDate(a, v)),
        i().prop_map(Fault::CloseBeforeCreate),
        i().prop_map(Fault::NegativeAmount),
        (
            i(),
            select(vec!["$10", "NaN", "inf", "-inf", "1e400", "ten"])
        )
            .prop_map(|(a, v)| Fault::TextAmount(a, v)),
        i().prop_map(Fault::UnknownAccount),
        (i(), select(vec!["pending", "", "Closed Won", "0"]))
            .prop_map(|(a, v)| Fault::OddOutcome(a, v)),
        (i(), select(vec!["NaN", "inf", "-1", "many", "1e308"]))
            .prop_map(|(a, v)| Fault::OddFeature(a, v)),
        (i(), select(vec!["Gold", "4", "0", "Tier 9"])).prop_map(|(a, v)| Fault::OddTier(a, v)),
        (any::<bool>(), i()).prop_map(|(d, a)| Fault::RaggedRow(d, a)),
        (any::<bool>(), i()).prop_map(|(d, a)| Fault::DropColumn(d, a)),
        (any::<bool>(), i()).prop_map(|(d, a)| Fault::NullColumn(d, a)),
        (any::<bool>(), i()).prop_map(|(d, a)| Fault::DuplicateHeader(d, a)),
        (any::<bool>(), i()).prop_map(|(d, a)| Fault::NonUtf8(d, a)),
        Just(Fault::DropAllButOneAccount),
        select(vec!["won", "lost", "open"]).prop_map(Fault::AllOutcomes),
    ]
}

/// Marks where a Latin-1 `é` (byte 0xE9, not UTF-8) goes when the table is written.
const LATIN1: &str = "\u{1}";

fn apply(f: &Fault, a: &mut Vec<Vec<String>>, d: &mut Vec<Vec<String>>) {
    let row = |ix: &Index, t: &Vec<Vec<String>>| 1 + ix.index(t.len() - 1);
    match f {
        Fault::NullAccountKey(i) => {
            let r = row(i, a);
            a[r][0].clear();
        }
        Fault::DuplicateAccountKey(i, j) => {
            let (r, s) = (row(i, a), row(j, a));
            a[r][0] = a[s][0].clone();
        }
        Fault::DuplicateDealKey(i, j) => {
            let (r, s) = (row(i, d), row(j, d));
            d[r][0] = d[s][0].clone();
        }
        Fault::UnreadableDate(i, v) => {
            let r = row(i, d);
            d[r][2] = (*v).into();
        }
        Fault::CloseBeforeCreate(i) => {
            let r = row(i, d);
            d[r][2] = "2026-01-01".into();
            d[r][3] = "2025-01-01".into();
            d[r][4] = "won".into();
        }
        Fault::NegativeAmount(i) => {
            let r = row(i, d);
            d[r][5] = "-100".into();
        }
        Fault::TextAmount(i, v) => {
            let r = row(i, d);
            d[r][5] = (*v).into();
        }
        Fault::UnknownAccount(i) => {
            let r = row(i, d);
            d[r][1] = "zz".into();
        }
        Fault::OddOutcome(i, v) => {
            let r = row(i, d);
            d[r][4] = (*v).into();
        }
        Fault::OddFeature(i, v) => {
            let r = row(i, a);
            a[r][2] = (*v).into();
        }
        Fault::OddTier(i, v) => {
            let r = row(i, a);
            a[r][3] = (*v).into();
        }
        Fault::RaggedRow(deals, i) => {
            let t = if *deals { d } else { a };
            let r = row(i, t);
            if r % 2 == 0 {
                t[r].pop();
            } else {
                t[r].push("extra".into());
            }
        }
        Fault::DropColumn(deals, i) => {
            let t = if *deals { d } else { a };
            let c = i.index(t[0].len());
            for r in t.iter_mut().filter(|r| c < r.len()) {
                r.remove(c);
            }
        }
        Fault::NullColumn(deals, i) => {
            let t = if *deals { d } else { a };
            let c = i.index(t[0].len());
            for r in t.iter_mut().skip(1) {
                r[c].clear();
            }
        }
        Fault::DuplicateHeader(deals, i) => {
            let t = if *deals { d } else { a };
            let c = i.index(t[0].len() - 1);
            t[0][c + 1] = t[0][c].clone();
        }
        Fault::NonUtf8(deals, i) => {
            let t = if *deals { d } else { a };
            let r = row(i, t);
            let c = r % t[r].len();
            t[r][c].push_str(LATIN1);
        }
        Fault::DropAllButOneAccount => a.truncate(2),
        Fault::AllOutcomes(o) => {
            for r in d.iter_mut().skip(1) {
                r[4] = (*o).into();
                if *o == "open" {
                    r[3].clear();
                } else if r[3].is_empty() {
                    r[3] = r[2].clone();
                }
            }
        }
    }
}

/// Cell faults first, then those that change the shape of a table, so that
/// every fault finds the cells it expects.
fn rank(f: &Fault) -> u8 {
    match f {
        Fault::DropAllButOneAccount | Fault::NullColumn(..) => 1,
        Fault::DuplicateHeader(..) => 2,
        Fault::DropColumn(..) => 3,
        Fault::RaggedRow(..) => 4,
        _ => 0,
    }
}

fn csv(t: &[Vec<String>]) -> Vec<u8> {
    let mut s = String::new();
    for r in t {
        s.push_str(&r.join(","));
        s.push('\n');
    }
    s.into_bytes()
        .into_iter()
        .map(|b| if b == 1 { 0xe9 } else { b })
        .collect()
}

fn run(dir: &Path, accounts: &[u8], deals: &[u8]) -> abm_segments::error::Result<Rendered> {
    let (a, d) = (dir.join("accounts.csv"), dir.join("deals.csv"));
    std::fs::write(&a, accounts).unwrap();
    std::fs::write(&d, deals).unwrap();
    let config = RawConfig::default().check(Overrides {
        accounts: Some(a),
        deals: Some(d),
        ..Default::default()
    })?;
    let found = discover(&config, &mut Silent)?;
    // Rendered as `discover` renders it; the staged run is dropped unpublished.
    let mut staging = stage(&dir.join("run"), true)?;
    render(found, &mut Silent, &mut staging)
}

/// won + lost + open = deals, segment sizes sum to accounts, rates in [0, 1].
fn consistent(o: &Rendered, n_accounts: usize) -> Result<(), TestCaseError> {
    let r = &o.report;
    let dq = &r.data_quality;
    prop_assert_eq!(dq.accounts_read as usize, n_accounts);
    let seg_accounts: u64 = r.segments.iter().map(|s| s.outcomes.accounts).sum();
    prop_assert_eq!(seg_accounts, dq.accounts_read);
    let seg_deals: u64 = r.segments.iter().map(|s| s.outcomes.deals).sum();
    prop_assert_eq!(seg_deals, dq.deals_used);
    let dropped: u64 = dq.deals_dropped.values().sum();
    prop_assert!(dq.deals_used + dropped <= dq.deals_read);
    let rate_ok = |v: Option<f64>| v.is_none_or(|v| (0.0..=1.0).contains(&v));
    for s in &r.segments {
        let o = &s.outcomes;
        prop_assert_eq!(o.won + o.lost + o.open, o.deals);
        prop_assert!(rate_ok(o.win_rate), "win rate {:?}", o.win_rate);
        prop_assert!((0.0..=1.0).contains(&s.share));
        for h in &o.time_to_win.horizons {
            prop_assert!(rate_ok(Some(h.probability)), "P(win) {}", h.probability);
        }
    }
    let json: serde_json::Value = serde_json::from_slice(
        &o.files
            .iter()
            .find(|(n, _)| *n == "report.json")
            .expect("report.json")
            .1,
    )
    .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&json["schema_version"], &serde_json::json!(2));
    Ok(())
}

#[test]
fn property_valid_tables_give_consistent_figures() {
    let wd = Workdir::new("prop-valid");
    let n = cases();
    let mut runner = TestRunner::new(Config {
        cases: n,
        failure_persistence: None,
        ..Config::default()
    });
    let ok = AtomicUsize::new(0);
    runner
        .run(&tables(), |t| {
            let (a, d) = cells(&t);
            match run(&wd.root, &csv(&a), &csv(&d)) {
                Ok(o) => {
                    ok.fetch_add(1, Ordering::Relaxed);
                    consistent(&o, t.accounts.len())
                }
                Err(e) => Err(TestCaseError::fail(format!("valid tables rejected: {e}"))),
            }
        })
        .unwrap();
    println!(
        "property valid tables: {n} cases, {} consistent runs, 0 panics",
        ok.load(Ordering::Relaxed)
    );
}

#[test]
fn property_tables_with_faults_succeed_consistently_or_exit_2() {
    let wd = Workdir::new("prop-faults");
    let n = cases();
    let mut runner = TestRunner::new(Config {
        cases: n,
        failure_persistence: None,
        ..Config::default()
    });
    let (ok, rejected) = (AtomicUsize::new(0), AtomicUsize::new(0));
    runner
        .run(
            &(tables(), prop::collection::vec(fault(), 1..4)),
            |(t, faults)| {
                let (mut a, mut d) = cells(&t);
                let mut faults = faults.clone();
                faults.sort_by_key(rank);
                for f in &faults {
                    apply(f, &mut a, &mut d);
                }
                match run(&wd.root, &csv(&a), &csv(&d)) {
                    Ok(o) => {
                        ok.fetch_add(1, Ordering::Relaxed);
                        consistent(&o, a.len() - 1)
                    }
                    Err(e) => {
                        rejected.fetch_add(1, Ordering::Relaxed);
                        prop_assert_eq!(e.exit_code(), exit::BAD_INPUT, "{}", e);
                        let msg = e.to_string();
                        prop_assert!(msg.contains("hint:"), "{}", msg);
                        Ok(())
                    }
                }
            },
        )
        .unwrap();
    println!(
        "property tables with faults: {n} cases, {} consistent runs, {} rejected with exit 2, 0 panics",
        ok.load(Ordering::Relaxed),
        rejected.load(Ordering::Relaxed)
    );
}
