//! Small accounts and deals tables written by hand as CSV text, and the two
//! ways a run on them may end: rejected cleanly, or a consistent report.

use std::process::Output;

use serde_json::Value;

use crate::util::{check_consistent, Discover, Workdir};

/// Eight accounts, two of them untiered.
pub const SMALL_ACCOUNTS: &str = "account_id,industry,employees,tier
a1,Fintech,120,Tier 1
a2,Fintech,300,Tier 2
a3,Retail,80,Tier 3
a4,Retail,60,
a5,SaaS,900,Tier 2
a6,SaaS,450,Tier 3
a7,Retail,30,
a8,Fintech,700,Tier 1
";

/// Sixteen deals of [`SMALL_ACCOUNTS`] (won, lost, open, won, …), then
/// the rows in `extra`.
pub fn small_deals(extra: &str) -> String {
    let mut s = String::from("deal_id,account_id,created_at,closed_at,outcome,amount\n");
    let outcomes = ["won", "lost", "open", "won"];
    for i in 0..16 {
        let o = outcomes[i % 4];
        let closed = if o == "open" {
            String::new()
        } else {
            format!("2026-0{}-20", 2 + i % 5)
        };
        s.push_str(&format!(
            "d{i},a{},2026-01-{:02},{closed},{o},{}\n",
            1 + i % 8,
            1 + i,
            1000 + 10 * i
        ));
    }
    s.push_str(extra);
    s
}

pub const ACCOUNTS_HEADER: &str = "account_id,industry,employees,intent_score,tier";
pub const DEALS_HEADER: &str = "deal_id,account_id,created_at,closed_at,outcome,amount";
pub const INDUSTRIES: [&str; 4] = ["Fintech", "Retail", "SaaS", "Healthcare"];

/// One accounts row (`a000`, `a001`, …); `industry` may be overridden.
pub fn account_row(i: usize, industry: &str) -> String {
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

/// `n` accounts in four industries, a tier on four of each ten.
pub fn accounts_csv(n: usize) -> String {
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
pub fn deals_csv_with(n_accounts: usize, outcome: impl Fn(usize) -> &'static str) -> String {
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

/// Three deals per account, won, lost and open.
pub fn deals_csv(n_accounts: usize) -> String {
    deals_csv_with(n_accounts, mixed)
}

/// Write the accounts and deals (as bytes, so that invalid UTF-8 can be
/// tested) to `accounts.csv` and `deals.csv`, and `discover` on them into
/// `run`.
pub fn csv_run<'w>(
    wd: &'w Workdir,
    accounts: impl AsRef<[u8]>,
    deals: impl AsRef<[u8]>,
) -> Discover<'w> {
    std::fs::write(wd.path("accounts.csv"), accounts).unwrap();
    std::fs::write(wd.path("deals.csv"), deals).unwrap();
    wd.discover_files("accounts.csv", "deals.csv", "run")
}

/// A valid account history of [`SMALL_ACCOUNTS`]: two versions of a1 and
/// a2, one of a3.
pub const HISTORY: &str = "account_id,valid_from,valid_to,employees
a1,2025-01-01,2026-01-05,100
a1,2026-01-05,,120
a2,2025-06-01,2026-01-10,250
a2,2026-01-10,,300
a3,2025-01-01,,80
";

/// Write [`SMALL_ACCOUNTS`], [`small_deals`] and `history` (as
/// `history.csv`), and `discover` on them into `run`, the history not yet
/// named.
pub fn history_inputs<'w>(wd: &'w Workdir, history: &str) -> Discover<'w> {
    wd.write("history.csv", history);
    csv_run(wd, SMALL_ACCOUNTS, small_deals(""))
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// No panic, no backtrace, no `unwrap` message.
pub fn assert_no_panic(stderr: &str) {
    for bad in ["panicked", "unwrap", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(!stderr.contains(bad), "stderr mentions '{bad}':\n{stderr}");
    }
}

/// What a rejection's message must name.
#[derive(Default)]
pub struct Rejection {
    pub file: &'static str,
    pub column: Option<&'static str>,
    /// The start of the example value shown.
    pub value: Option<&'static str>,
    /// More that the message says.
    pub says: &'static [&'static str],
}

/// A rejection whose message names `file`.
pub fn naming(file: &'static str) -> Rejection {
    Rejection {
        file,
        ..Rejection::default()
    }
}

impl Rejection {
    pub fn column(self, column: &'static str) -> Self {
        Rejection {
            column: Some(column),
            ..self
        }
    }

    pub fn value(self, value: &'static str) -> Self {
        Rejection {
            value: Some(value),
            ..self
        }
    }

    pub fn says(self, says: &'static [&'static str]) -> Self {
        Rejection { says, ..self }
    }
}

/// Exit status 2, an `error:` naming what `expected` says with a hint, no
/// panic, and no output directory or leftover.
pub fn assert_rejected(wd: &Workdir, out: &Output, expected: &Rejection) {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected exit 2, stderr:\n{err}"
    );
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        err.contains(expected.file),
        "message does not name the file {}:\n{err}",
        expected.file
    );
    if let Some(c) = expected.column {
        assert!(
            err.contains(&format!("column '{c}'")),
            "message does not name column '{c}':\n{err}"
        );
    }
    if let Some(v) = expected.value {
        assert!(
            err.contains(&format!("example value '{v}")),
            "message does not show the example value '{v}':\n{err}"
        );
    }
    for s in expected.says {
        assert!(err.contains(s), "message does not say '{s}':\n{err}");
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
}

/// Exit status 0, no panic, and a report whose figures agree.
pub fn assert_succeeds(wd: &Workdir, out: &Output) -> Value {
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

/// A small hash, so generated tables need no random-number crate.
pub fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// A number in [0, 1) from `x`, by [`mix`].
pub fn unit(x: u64) -> f64 {
    (mix(x) >> 11) as f64 / (1u64 << 53) as f64
}

/// The day `d` days after 2024-01-01.
pub fn day(d: u64) -> String {
    (chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days(d as i64))
        .format("%Y-%m-%d")
        .to_string()
}
