//! Issue 9: every bad input gets a clear message naming the file, the column
//! and an example value, exit status 2 and no output directory, never a
//! panic; degenerate but valid data gets a report that says what could not be
//! computed and why.

use std::process::Output;

use polars::prelude::*;
use serde_json::Value;

use crate::util::Workdir;

const ACCOUNTS_HEADER: &str = "account_id,industry,employees,intent_score,tier";
const DEALS_HEADER: &str = "deal_id,account_id,created_at,closed_at,outcome,amount";
const INDUSTRIES: [&str; 4] = ["Fintech", "Retail", "SaaS", "Healthcare"];

/// One accounts row; `industry` may be overridden.
fn account_row(i: usize, industry: &str) -> String {
    let tier = match i % 10 {
        0 => "Tier 1",
        1 | 2 => "Tier 2",
        3..=5 => "Tier 3",
        _ => "",
    };
    format!(
        "a{i:03},{industry},{},{},{tier}",
        50 + (i * 37) % 900,
        (i * 13) % 100
    )
}

fn accounts_csv(n: usize) -> String {
    let mut s = format!("{ACCOUNTS_HEADER}\n");
    for i in 0..n {
        s.push_str(&account_row(i, INDUSTRIES[i % 4]));
        s.push('\n');
    }
    s
}

fn date(days_after_2025: usize) -> String {
    let d = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
        + chrono::Duration::days(days_after_2025 as i64);
    d.format("%Y-%m-%d").to_string()
}

/// Three deals per account; `outcome(j)` picks each deal's outcome.
fn deals_csv_with(n_accounts: usize, outcome: impl Fn(usize) -> &'static str) -> String {
    let mut s = format!("{DEALS_HEADER}\n");
    for j in 0..3 * n_accounts {
        let o = outcome(j);
        let created = (j * 7) % 500;
        let closed = if o == "open" {
            String::new()
        } else {
            date(created + 10 + (j * 11) % 120)
        };
        s.push_str(&format!(
            "d{j:04},a{:03},{},{closed},{o},{}\n",
            j % n_accounts,
            date(created),
            1000 + (j * 97) % 5000
        ));
    }
    s
}

fn mixed(j: usize) -> &'static str {
    // Wins depend on the account (j % 40) so segments differ a little.
    match (j * 7 + (j % 40) / 10) % 5 {
        0 | 1 => "won",
        2 | 3 => "lost",
        _ => "open",
    }
}

fn deals_csv(n_accounts: usize) -> String {
    deals_csv_with(n_accounts, mixed)
}

fn discover_in(wd: &Workdir, accounts: &str, deals: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "discover",
        "--accounts",
        accounts,
        "--deals",
        deals,
        "--out",
        "run",
        "-q",
    ];
    args.extend_from_slice(extra);
    wd.run(&args)
}

/// Write the two CSV texts (as bytes, so that invalid UTF-8 can be tested)
/// and run discover on them.
fn discover_bytes(name: &str, accounts: &[u8], deals: &[u8], extra: &[&str]) -> (Workdir, Output) {
    let wd = Workdir::new(name);
    std::fs::write(wd.path("accounts.csv"), accounts).unwrap();
    std::fs::write(wd.path("deals.csv"), deals).unwrap();
    let out = discover_in(&wd, "accounts.csv", "deals.csv", extra);
    (wd, out)
}

fn discover(name: &str, accounts: &str, deals: &str, extra: &[&str]) -> (Workdir, Output) {
    discover_bytes(name, accounts.as_bytes(), deals.as_bytes(), extra)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// No panic, no backtrace, no `unwrap` message.
fn assert_no_panic(stderr: &str) {
    for bad in ["panicked", "unwrap", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(!stderr.contains(bad), "stderr mentions '{bad}':\n{stderr}");
    }
}

/// Exit status 2, a message naming `file` (and `column` and `value` when
/// given) with a hint, no panic, and no output directory or leftover.
fn assert_rejected(
    wd: &Workdir,
    out: &Output,
    file: &str,
    column: Option<&str>,
    value: Option<&str>,
) -> String {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected exit 2, stderr:\n{err}"
    );
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        err.contains(file),
        "message does not name the file {file}:\n{err}"
    );
    if let Some(c) = column {
        assert!(
            err.contains(&format!("column '{c}'")),
            "message does not name column '{c}':\n{err}"
        );
    }
    if let Some(v) = value {
        assert!(
            err.contains(&format!("example value '{v}")),
            "message does not show the example value '{v}':\n{err}"
        );
    }
    assert!(err.contains("hint:"), "no hint:\n{err}");
    assert_no_panic(&err);
    assert!(!wd.path("run").exists(), "an output directory was created");
    let leftovers: Vec<String> = std::fs::read_dir(&wd.root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".abm-"))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
    err
}

/// Exit status 0 and the report.
fn assert_succeeds(wd: &Workdir, out: &Output) -> Value {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "expected success, stderr:\n{err}"
    );
    assert_no_panic(&err);
    let r = wd.read_json("run/report.json");
    check_consistent(&r);
    r
}

/// The figures agree with each other whatever the data.
pub fn check_consistent(r: &Value) {
    let segs = r["segments"].as_array().unwrap();
    let accounts: u64 = segs
        .iter()
        .map(|s| s["outcomes"]["accounts"].as_u64().unwrap())
        .sum();
    assert_eq!(
        accounts,
        r["data_quality"]["accounts_read"].as_u64().unwrap()
    );
    let deals: u64 = segs
        .iter()
        .map(|s| s["outcomes"]["deals"].as_u64().unwrap())
        .sum();
    assert_eq!(deals, r["data_quality"]["deals_used"].as_u64().unwrap());
    for s in segs {
        let o = &s["outcomes"];
        let (w, l, op) = (
            o["won"].as_u64().unwrap(),
            o["lost"].as_u64().unwrap(),
            o["open"].as_u64().unwrap(),
        );
        assert_eq!(w + l + op, o["deals"].as_u64().unwrap());
        if let Some(rate) = o["win_rate"].as_f64() {
            assert!((0.0..=1.0).contains(&rate), "{rate}");
        }
    }
}

fn warnings(r: &Value) -> String {
    r["data_quality"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------- empty files

#[test]
fn a_zero_byte_accounts_csv_is_rejected_as_empty() {
    let (wd, out) = discover("zero-csv", "", &deals_csv(40), &[]);
    let err = assert_rejected(&wd, &out, "accounts.csv", None, None);
    assert!(err.contains("empty"), "{err}");
}

#[test]
fn an_accounts_csv_with_only_a_header_is_rejected_as_having_no_rows() {
    let (wd, out) = discover(
        "header-only-accounts",
        &format!("{ACCOUNTS_HEADER}\n"),
        &deals_csv(40),
        &[],
    );
    let err = assert_rejected(&wd, &out, "accounts.csv", Some("account_id"), None);
    assert!(err.contains("no rows"), "{err}");
}

#[test]
fn a_deals_csv_with_only_a_header_is_rejected_as_having_no_rows() {
    let (wd, out) = discover(
        "header-only-deals",
        &accounts_csv(40),
        &format!("{DEALS_HEADER}\n"),
        &[],
    );
    let err = assert_rejected(&wd, &out, "deals.csv", Some("deal_id"), None);
    assert!(err.contains("no rows"), "{err}");
}

#[test]
fn a_zero_byte_parquet_file_is_rejected_as_empty() {
    let wd = Workdir::new("zero-parquet");
    wd.generate("in", 3, 200, "parquet");
    std::fs::write(wd.path("in/deals.parquet"), b"").unwrap();
    let out = discover_in(&wd, "in/accounts.parquet", "in/deals.parquet", &[]);
    let err = assert_rejected(&wd, &out, "deals.parquet", None, None);
    assert!(err.contains("empty"), "{err}");
}

#[test]
fn a_truncated_parquet_file_is_rejected_as_unreadable() {
    let wd = Workdir::new("truncated-parquet");
    wd.generate("in", 3, 200, "parquet");
    let bytes = std::fs::read(wd.path("in/accounts.parquet")).unwrap();
    std::fs::write(wd.path("in/accounts.parquet"), &bytes[..bytes.len() / 2]).unwrap();
    let out = discover_in(&wd, "in/accounts.parquet", "in/deals.parquet", &[]);
    let err = assert_rejected(&wd, &out, "accounts.parquet", None, None);
    assert!(err.contains("not a readable Parquet file"), "{err}");
}

#[test]
fn a_csv_file_named_parquet_is_rejected_as_unreadable() {
    let wd = Workdir::new("csv-as-parquet");
    wd.write("accounts.parquet", &accounts_csv(40));
    wd.write("deals.csv", &deals_csv(40));
    let out = discover_in(&wd, "accounts.parquet", "deals.csv", &[]);
    assert_rejected(&wd, &out, "accounts.parquet", None, None);
}

// ---------------------------------------------------------------- CSV structure

#[test]
fn a_csv_row_with_an_extra_field_is_rejected_with_its_line() {
    let mut accounts = accounts_csv(40);
    accounts.push_str("a900,Retail,10,5,Tier 3,surplus\n");
    let (wd, out) = discover("ragged-extra", &accounts, &deals_csv(40), &[]);
    let err = assert_rejected(
        &wd,
        &out,
        "accounts.csv",
        Some("tier"),
        Some("a900,Retail,10,5,Tier 3,surplus"),
    );
    assert!(
        err.contains("line 42 has 6 fields but the header has 5"),
        "{err}"
    );
}

#[test]
fn a_csv_row_with_a_missing_field_is_rejected_with_its_line() {
    let mut deals = deals_csv(40);
    deals.push_str("d9999,a001,2025-03-01,won,10\n");
    let (wd, out) = discover("ragged-short", &accounts_csv(40), &deals, &[]);
    let err = assert_rejected(
        &wd,
        &out,
        "deals.csv",
        Some("amount"),
        Some("d9999,a001,2025-03-01,won,10"),
    );
    assert!(err.contains("has 5 fields but the header has 6"), "{err}");
}

#[test]
fn a_csv_with_a_wrong_delimiter_is_rejected_with_the_separator_to_set() {
    let accounts = accounts_csv(40).replace(',', ";");
    let (wd, out) = discover("semicolon", &accounts, &deals_csv(40), &[]);
    let err = assert_rejected(
        &wd,
        &out,
        "accounts.csv",
        Some("account_id;industry;employees;intent_score;tier"),
        None,
    );
    assert!(err.contains("csv_separator = \";\""), "{err}");
}

#[test]
fn a_semicolon_csv_is_read_with_the_configured_separator() {
    let wd = Workdir::new("semicolon-configured");
    wd.write("accounts.csv", &accounts_csv(40).replace(',', ";"));
    wd.write("deals.csv", &deals_csv(40));
    wd.write("config.toml", "[accounts]\ncsv_separator = \";\"\n");
    let out = discover_in(
        &wd,
        "accounts.csv",
        "deals.csv",
        &["--config", "config.toml"],
    );
    assert_succeeds(&wd, &out);
}

#[test]
fn a_csv_with_an_unclosed_quote_is_rejected() {
    let mut accounts = accounts_csv(40);
    accounts.push_str("a900,\"Retail,10,5,\n");
    let (wd, out) = discover("unclosed-quote", &accounts, &deals_csv(40), &[]);
    let err = assert_rejected(&wd, &out, "accounts.csv", None, Some("a900,\"Retail"));
    assert!(err.contains("never closed"), "{err}");
}

#[test]
fn non_utf8_text_is_rejected_with_its_column_and_line() {
    let mut accounts = accounts_csv(40).into_bytes();
    accounts.extend_from_slice(b"a900,Caf\xe9 chains,10,5,Tier 3\n");
    let (wd, out) = discover_bytes("latin1", &accounts, deals_csv(40).as_bytes(), &[]);
    let err = assert_rejected(
        &wd,
        &out,
        "accounts.csv",
        Some("industry"),
        Some("Caf\u{fffd} chains"),
    );
    assert!(err.contains("line 42 is not UTF-8"), "{err}");
}

#[test]
fn duplicate_column_names_are_rejected() {
    let accounts = accounts_csv(40).replacen("intent_score", "industry", 1);
    let (wd, out) = discover("dup-columns", &accounts, &deals_csv(40), &[]);
    let err = assert_rejected(
        &wd,
        &out,
        "accounts.csv",
        Some("industry"),
        Some("industry"),
    );
    assert!(err.contains("same name"), "{err}");
}

// ---------------------------------------------------------------- dates

#[test]
fn mixed_date_formats_in_a_column_are_rejected_with_the_odd_one_out() {
    let mut deals = deals_csv(40);
    deals.push_str("d9999,a001,03/15/2025,2025-04-01,won,10\n");
    let (wd, out) = discover("mixed-dates", &accounts_csv(40), &deals, &[]);
    let err = assert_rejected(
        &wd,
        &out,
        "deals.csv",
        Some("created_at"),
        Some("03/15/2025"),
    );
    assert!(err.contains("ISO 8601"), "{err}");
}

#[test]
fn a_date_far_in_the_future_is_rejected() {
    let mut deals = deals_csv(40);
    deals.push_str("d9999,a001,2025-03-01,9999-12-31,won,10\n");
    let (wd, out) = discover("future-date", &accounts_csv(40), &deals, &[]);
    let err = assert_rejected(
        &wd,
        &out,
        "deals.csv",
        Some("closed_at"),
        Some("9999-12-31"),
    );
    assert!(err.contains("after 2099-12-31"), "{err}");
}

#[test]
fn a_date_before_1970_is_rejected() {
    let mut deals = deals_csv(40);
    deals.push_str("d9999,a001,1969-07-20,2025-04-01,won,10\n");
    let (wd, out) = discover("old-date", &accounts_csv(40), &deals, &[]);
    let err = assert_rejected(
        &wd,
        &out,
        "deals.csv",
        Some("created_at"),
        Some("1969-07-20"),
    );
    assert!(err.contains("before 1970-01-01"), "{err}");
}

// ---------------------------------------------------------------- null columns

#[test]
fn an_entirely_null_required_column_is_rejected() {
    let deals: String = deals_csv(40)
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                let f: Vec<&str> = l.split(',').collect();
                format!("{},{},,{},{},{}\n", f[0], f[1], f[3], f[4], f[5])
            }
        })
        .collect();
    let (wd, out) = discover("null-created", &accounts_csv(40), &deals, &[]);
    let err = assert_rejected(&wd, &out, "deals.csv", Some("created_at"), Some("null"));
    assert!(err.contains("entirely null"), "{err}");
}

#[test]
fn an_entirely_null_close_date_column_is_rejected_when_deals_are_closed() {
    let deals: String = deals_csv(40)
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                let f: Vec<&str> = l.split(',').collect();
                format!("{},{},{},,{},{}\n", f[0], f[1], f[2], f[4], f[5])
            }
        })
        .collect();
    let (wd, out) = discover("null-closed", &accounts_csv(40), &deals, &[]);
    let err = assert_rejected(&wd, &out, "deals.csv", Some("closed_at"), Some("null"));
    assert!(err.contains("entirely null"), "{err}");
}

#[test]
fn an_entirely_null_feature_column_is_skipped_and_reported() {
    let accounts: String = accounts_csv(40)
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let f: Vec<&str> = l.split(',').collect();
            let v = if i == 0 { "renewal_date" } else { "" };
            format!("{},{v}\n", f.join(","))
        })
        .collect();
    let (wd, out) = discover("null-feature", &accounts, &deals_csv(40), &[]);
    let r = assert_succeeds(&wd, &out);
    let skipped = r["data_quality"]["features_skipped"].as_array().unwrap();
    assert!(
        skipped
            .iter()
            .any(|s| s["column"] == "renewal_date" && s["reason"] == "entirely null"),
        "{skipped:?}"
    );
}

#[test]
fn an_entirely_empty_amount_column_means_unknown_amounts() {
    let deals: String = deals_csv(40)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let amount = if f[0] == "deal_id" { "amount" } else { "" };
            format!("{},{amount}\n", f[..5].join(","))
        })
        .collect();
    let (wd, out) = discover("null-amount", &accounts_csv(40), &deals, &[]);
    let r = assert_succeeds(&wd, &out);
    assert!(r["segments"][0]["outcomes"]["velocity"]["avg_won_amount"].is_null());
}

// ---------------------------------------------------------------- tiny and degenerate data

#[test]
fn a_single_account_is_rejected_as_too_few_to_segment() {
    let accounts = format!("{ACCOUNTS_HEADER}\n{}\n", account_row(0, "Fintech"));
    let (wd, out) = discover("one-account", &accounts, &deals_csv(1), &[]);
    let err = assert_rejected(&wd, &out, "accounts.csv", Some("account_id"), Some("a000"));
    assert!(err.contains("1 account is too few for 2 segments"), "{err}");
}

#[test]
fn a_single_deal_gives_a_report_that_says_what_could_not_be_computed() {
    let deals = format!("{DEALS_HEADER}\nd0001,a003,2025-02-01,2025-03-01,won,5000\n");
    let (wd, out) = discover("one-deal", &accounts_csv(40), &deals, &[]);
    let r = assert_succeeds(&wd, &out);
    assert_eq!(r["data_quality"]["deals_used"], 1);
    let w = warnings(&r);
    assert!(w.contains("no lost deal"), "{w}");
    for section in ["speed", "icp", "tiers"] {
        assert_eq!(
            r[section]["status"], "not_computed",
            "{section}: {}",
            r[section]
        );
        assert!(w.contains(&format!("{section}: not computed")), "{w}");
    }
}

#[test]
fn all_deals_won_gives_a_report_that_says_what_could_not_be_computed() {
    let deals = deals_csv_with(40, |_| "won");
    let (wd, out) = discover("all-won", &accounts_csv(40), &deals, &[]);
    let r = assert_succeeds(&wd, &out);
    let w = warnings(&r);
    assert!(w.contains("every closed deal is won"), "{w}");
    assert_eq!(r["icp"]["status"], "not_computed", "{}", r["icp"]);
    assert!(
        r["icp"]["reason"]
            .as_str()
            .unwrap()
            .contains("no lost deal"),
        "{}",
        r["icp"]
    );
    let md = std::fs::read_to_string(wd.path("run/report.md")).unwrap();
    assert!(md.contains("every closed deal is won"), "{md}");
}

#[test]
fn all_deals_lost_gives_a_report_that_says_what_could_not_be_computed() {
    let deals = deals_csv_with(40, |_| "lost");
    let (wd, out) = discover("all-lost", &accounts_csv(40), &deals, &[]);
    let r = assert_succeeds(&wd, &out);
    let w = warnings(&r);
    assert!(w.contains("every closed deal is lost"), "{w}");
    assert_eq!(r["speed"]["status"], "not_computed");
    assert_eq!(r["icp"]["status"], "not_computed");
    for s in r["segments"].as_array().unwrap() {
        assert_eq!(s["outcomes"]["win_rate"], 0.0);
    }
}

#[test]
fn all_deals_open_is_rejected_as_having_no_closed_deal() {
    let deals = deals_csv_with(40, |_| "open");
    let (wd, out) = discover("all-open", &accounts_csv(40), &deals, &[]);
    let err = assert_rejected(&wd, &out, "deals.csv", Some("outcome"), None);
    assert!(err.contains("no closed (won or lost) deal"), "{err}");
}

#[test]
fn a_single_industry_is_skipped_as_a_feature_and_reported() {
    let mut accounts = format!("{ACCOUNTS_HEADER}\n");
    for i in 0..40 {
        accounts.push_str(&account_row(i, "Fintech"));
        accounts.push('\n');
    }
    let (wd, out) = discover("one-industry", &accounts, &deals_csv(40), &[]);
    let r = assert_succeeds(&wd, &out);
    let skipped = r["data_quality"]["features_skipped"].as_array().unwrap();
    assert!(
        skipped
            .iter()
            .any(|s| s["column"] == "industry"
                && s["reason"].as_str().unwrap().contains("single value")),
        "{skipped:?}"
    );
    let used: Vec<&str> = r["data_quality"]["features_used"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(!used.contains(&"industry"), "{used:?}");
}

#[test]
fn a_single_industry_as_the_only_feature_is_rejected() {
    let mut accounts = String::from("account_id,industry\n");
    for i in 0..40 {
        accounts.push_str(&format!("a{i:03},Fintech\n"));
    }
    let (wd, out) = discover("only-industry", &accounts, &deals_csv(40), &[]);
    let err = assert_rejected(&wd, &out, "accounts.csv", None, None);
    assert!(err.contains("'industry' (has a single value"), "{err}");
}

#[test]
fn more_requested_clusters_than_accounts_is_rejected() {
    let (wd, out) = discover(
        "k-too-big",
        &accounts_csv(12),
        &deals_csv(12),
        &["--k-min", "20", "--k-max", "25"],
    );
    let err = assert_rejected(&wd, &out, "accounts.csv", Some("account_id"), None);
    assert!(
        err.contains("12 accounts are too few for 20 segments") && err.contains("--k-min"),
        "{err}"
    );
}

#[test]
fn a_k_max_above_what_the_accounts_allow_is_capped_and_explained() {
    let (wd, out) = discover(
        "k-max-capped",
        &accounts_csv(12),
        &deals_csv(12),
        &["--k-max", "50"],
    );
    let r = assert_succeeds(&wd, &out);
    let reason = r["clustering"]["reason"].as_str().unwrap();
    assert!(reason.contains("k_max = 50 was capped at 6"), "{reason}");
}

// ---------------------------------------------------------------- numbers

#[test]
fn nan_in_a_numeric_feature_is_rejected() {
    let accounts = accounts_csv(40).replacen("a005,Retail,235", "a005,Retail,NaN", 1);
    assert!(accounts.contains("NaN"));
    let (wd, out) = discover("nan-feature", &accounts, &deals_csv(40), &[]);
    assert_rejected(&wd, &out, "accounts.csv", Some("employees"), Some("NaN"));
}

#[test]
fn an_infinite_numeric_feature_is_rejected() {
    let accounts = accounts_csv(40).replacen("a005,Retail,235", "a005,Retail,inf", 1);
    let (wd, out) = discover("inf-feature", &accounts, &deals_csv(40), &[]);
    assert_rejected(&wd, &out, "accounts.csv", Some("employees"), Some("inf"));
}

#[test]
fn nan_in_a_parquet_numeric_feature_is_rejected() {
    let wd = Workdir::new("nan-parquet");
    let n = 40;
    let ids: Vec<String> = (0..n).map(|i| format!("a{i:03}")).collect();
    let employees: Vec<f64> = (0..n)
        .map(|i| if i == 7 { f64::NAN } else { 10.0 * i as f64 })
        .collect();
    let industry: Vec<&str> = (0..n).map(|i| INDUSTRIES[i % 4]).collect();
    let mut df = df!(
        "account_id" => ids,
        "industry" => industry,
        "employees" => employees,
    )
    .unwrap();
    let f = std::fs::File::create(wd.path("accounts.parquet")).unwrap();
    ParquetWriter::new(f).finish(&mut df).unwrap();
    wd.write("deals.csv", &deals_csv(n));
    let out = discover_in(&wd, "accounts.parquet", "deals.csv", &[]);
    assert_rejected(
        &wd,
        &out,
        "accounts.parquet",
        Some("employees"),
        Some("NaN"),
    );
}

#[test]
fn an_infinite_amount_is_rejected() {
    let mut deals = deals_csv(40);
    deals.push_str("d9999,a001,2025-03-01,2025-04-01,won,inf\n");
    let (wd, out) = discover("inf-amount", &accounts_csv(40), &deals, &[]);
    assert_rejected(&wd, &out, "deals.csv", Some("amount"), Some("inf"));
}

#[test]
fn an_amount_with_a_currency_symbol_is_rejected_with_the_value() {
    let mut deals = deals_csv(40);
    deals.push_str("d9999,a001,2025-03-01,2025-04-01,won,$10\n");
    let (wd, out) = discover("dollar-amount", &accounts_csv(40), &deals, &[]);
    assert_rejected(&wd, &out, "deals.csv", Some("amount"), Some("$10"));
}

// ---------------------------------------------------------------- config

#[test]
fn a_config_with_an_unknown_key_suggests_the_nearest_key() {
    let wd = Workdir::new("config-unknown-key");
    wd.write("accounts.csv", &accounts_csv(40));
    wd.write("deals.csv", &deals_csv(40));
    wd.write(
        "config.toml",
        "[deals]\noutcome = \"outcome\"\nacount_id = \"account_id\"\n",
    );
    let out = discover_in(
        &wd,
        "accounts.csv",
        "deals.csv",
        &["--config", "config.toml"],
    );
    let err = assert_rejected(&wd, &out, "config.toml, line 3", None, None);
    assert!(err.contains("unknown field `acount_id`"), "{err}");
    assert!(err.contains("did you mean `account_id`?"), "{err}");
}

#[test]
fn a_config_with_a_typo_in_a_column_name_suggests_the_nearest_column() {
    let wd = Workdir::new("config-column-typo");
    wd.write("accounts.csv", &accounts_csv(40));
    wd.write(
        "deals.csv",
        &deals_csv(40).replacen("outcome", "deal_stage", 1),
    );
    wd.write("config.toml", "[deals]\noutcome = \"deal_stag\"\n");
    let out = discover_in(
        &wd,
        "accounts.csv",
        "deals.csv",
        &["--config", "config.toml"],
    );
    let err = assert_rejected(&wd, &out, "deals.csv", Some("deal_stag"), None);
    assert!(err.contains("did you mean 'deal_stage'?"), "{err}");
}

#[test]
fn a_config_with_a_typo_in_a_feature_override_suggests_the_nearest_column() {
    let wd = Workdir::new("config-feature-typo");
    wd.write("accounts.csv", &accounts_csv(40));
    wd.write("deals.csv", &deals_csv(40));
    wd.write(
        "config.toml",
        "[accounts.features]\nindustri = \"categorical\"\n",
    );
    let out = discover_in(
        &wd,
        "accounts.csv",
        "deals.csv",
        &["--config", "config.toml"],
    );
    let err = assert_rejected(&wd, &out, "accounts.csv", Some("industri"), None);
    assert!(err.contains("did you mean 'industry'?"), "{err}");
}

#[test]
fn a_config_that_is_not_toml_is_rejected_with_its_line() {
    let wd = Workdir::new("config-not-toml");
    wd.write("accounts.csv", &accounts_csv(40));
    wd.write("deals.csv", &deals_csv(40));
    wd.write("config.toml", "[deals]\noutcome = deal_stage\n");
    let out = discover_in(
        &wd,
        "accounts.csv",
        "deals.csv",
        &["--config", "config.toml"],
    );
    assert_rejected(&wd, &out, "config.toml, line 2", None, None);
}

/// Issue 17: a tier column of 1/2/3 with nulls, as pandas writes it
/// (`float64`), holds tiers 1–3; another float is still an error naming it.
#[test]
fn tiers_written_by_pandas_as_floats_are_read() {
    let wd = Workdir::new("float-tiers");
    let n = 40;
    let write = |tier_of: &dyn Fn(usize) -> Option<f64>| {
        let ids: Vec<String> = (0..n).map(|i| format!("a{i:03}")).collect();
        let industry: Vec<&str> = (0..n).map(|i| INDUSTRIES[i % 4]).collect();
        let employees: Vec<f64> = (0..n).map(|i| 50.0 + ((i * 37) % 900) as f64).collect();
        let tier: Vec<Option<f64>> = (0..n).map(tier_of).collect();
        let mut df = df!(
            "account_id" => ids,
            "industry" => industry,
            "employees" => employees,
            "tier" => tier,
        )
        .unwrap();
        let f = std::fs::File::create(wd.path("accounts.parquet")).unwrap();
        ParquetWriter::new(f).finish(&mut df).unwrap();
    };
    write(&|i| match i % 10 {
        0 => Some(1.0),
        1 | 2 => Some(2.0),
        3..=5 => Some(3.0),
        _ => None,
    });
    wd.write("deals.csv", &deals_csv(n));
    let out = discover_in(&wd, "accounts.parquet", "deals.csv", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = wd.read_json("run/report.json");
    let tiers = report["current_tiers"]["tiers"].as_array().unwrap();
    let accounts: Vec<(u64, u64)> = tiers
        .iter()
        .filter_map(|t| Some((t["tier"].as_u64()?, t["outcomes"]["accounts"].as_u64()?)))
        .collect();
    crate::eqnice!(vec![(1u64, 4u64), (2, 8), (3, 12)], accounts);

    write(&|i| if i == 3 { Some(2.5) } else { Some(1.0) });
    std::fs::remove_dir_all(wd.path("run")).unwrap();
    let out = discover_in(&wd, "accounts.parquet", "deals.csv", &[]);
    assert_rejected(&wd, &out, "accounts.parquet", Some("tier"), Some("2.5"));
}
