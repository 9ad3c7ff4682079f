//! Degenerate but valid data gets a report that says what could not be
//! computed and why, or what was learned instead: empty columns, a single
//! deal, every deal won or lost, a single industry, more segments asked for
//! than the accounts allow, and a funnel that never marks a deal lost.

use serde_json::Value;

use crate::small_inputs::*;
use crate::util::Workdir;

fn warnings(r: &Value) -> String {
    r["data_quality"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `discover` on the two CSV texts in a workdir called `name`, which must
/// succeed; the workdir and the report.
fn succeeds(name: &str, accounts: &str, deals: &str, extra: &[&str]) -> (Workdir, Value) {
    let wd = Workdir::new(name);
    let out = csv_run(&wd, accounts, deals).args(extra).run();
    let r = assert_succeeds(&wd, &out);
    (wd, r)
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
    let (_, r) = succeeds("null-feature", &accounts, &deals_csv(40), &[]);
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
    let (_, r) = succeeds("null-amount", &accounts_csv(40), &deals, &[]);
    assert!(r["segments"][0]["outcomes"]["velocity"]["avg_won_amount"].is_null());
}

#[test]
fn a_single_deal_gives_a_report_that_says_what_could_not_be_computed() {
    let deals = format!("{DEALS_HEADER}\nd0001,a003,2025-02-01,2025-03-01,won,5000\n");
    let (_, r) = succeeds("one-deal", &accounts_csv(40), &deals, &[]);
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
    let (wd, r) = succeeds("all-won", &accounts_csv(40), &deals, &[]);
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
    let (_, r) = succeeds("all-lost", &accounts_csv(40), &deals, &[]);
    let w = warnings(&r);
    assert!(w.contains("every closed deal is lost"), "{w}");
    assert_eq!(r["speed"]["status"], "not_computed");
    assert_eq!(r["icp"]["status"], "not_computed");
    for s in r["segments"].as_array().unwrap() {
        assert_eq!(s["outcomes"]["win_rate"], 0.0);
    }
}

#[test]
fn a_single_industry_is_skipped_as_a_feature_and_reported() {
    let mut accounts = format!("{ACCOUNTS_HEADER}\n");
    for i in 0..40 {
        accounts.push_str(&account_row(i, "Fintech"));
        accounts.push('\n');
    }
    let (_, r) = succeeds("one-industry", &accounts, &deals_csv(40), &[]);
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
fn a_k_max_above_what_the_accounts_allow_is_capped_and_explained() {
    let (_, r) = succeeds(
        "k-max-capped",
        &accounts_csv(12),
        &deals_csv(12),
        &["--k-max", "50"],
    );
    let reason = r["clustering"]["reason"].as_str().unwrap();
    assert!(reason.contains("k_max = 50 was capped at 6"), "{reason}");
}

/// A funnel that never marks a deal lost: won and open deals only. Accounts
/// in Fintech win often and fast; the rest rarely.
fn funnel(wd: &Workdir) {
    let n = 600u64;
    let industries = ["Fintech", "Retail", "SaaS", "Healthcare"];
    let mut accounts = String::from("account_id,industry,employees\n");
    let mut deals = String::from("deal_id,account_id,created_at,closed_at,outcome,amount\n");
    for i in 0..n {
        let industry = industries[(i % 4) as usize];
        accounts.push_str(&format!("a{i:04},{industry},{}\n", 20 + mix(i) % 2000));
        let p = if industry == "Fintech" { 0.5 } else { 0.08 };
        for j in 0..3 {
            let key = i * 10 + j;
            let created = mix(key) % 700;
            let cycle = 5 + mix(key + 2) % 60;
            let won = unit(key + 1) < p && created + cycle <= 730;
            let (closed, outcome) = if won {
                (day(created + cycle), "won")
            } else {
                (String::new(), "open")
            };
            deals.push_str(&format!(
                "d{key:05},a{i:04},{},{closed},{outcome},{}\n",
                day(created),
                1000 + mix(key + 3) % 9000
            ));
        }
    }
    wd.write("accounts.csv", &accounts);
    wd.write("deals.csv", &deals);
}

/// Issue 17: on a funnel with won and open deals only, the ICP, fit score
/// and drivers are learned on "won within 90 days" among deals that have
/// had 90 days, and the report says so; Fintech is found.
#[test]
fn a_funnel_that_never_marks_a_deal_lost_still_gets_an_icp() {
    let wd = Workdir::new("funnel");
    funnel(&wd);
    let as_of = ["--as-of", "2025-12-31"];
    let r = wd
        .discover_files("accounts.csv", "deals.csv", "run")
        .args(&as_of)
        .report();
    assert_eq!(r["data_quality"]["deals_lost_as_stale"], 0);
    let note = r["headlines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h.as_str())
        .find(|h| h.contains("won within 90 days"))
        .unwrap_or_else(|| panic!("no headline says what was learned on: {}", r["headlines"]));
    assert!(note.starts_with("No deal is marked lost"), "{note}");
    // The old warning that nothing can be ranked contradicts the note.
    for text in [&r["headlines"], &r["data_quality"]["warnings"]] {
        let text = text.to_string();
        assert!(!text.contains("cannot rank"), "{text}");
        assert!(!text.contains("every closed deal is won"), "{text}");
    }
    let icp = &r["icp"];
    assert!(icp["qualifying"].is_array(), "ICP not computed: {icp}");
    assert!(
        icp["qualifying"].to_string().contains("Fintech"),
        "{}",
        icp["qualifying"]
    );
    assert!(r["tiers"]["tier1_min_score"].is_number(), "{}", r["tiers"]);
    let drivers = r["correlations"]["drivers"]["winning_positive"].to_string();
    assert!(drivers.contains("industry = Fintech"), "{drivers}");

    // With [deals] stale_after_days, old open deals are lost, and counted.
    wd.write("stale.toml", "[deals]\nstale_after_days = 120\n");
    let r = wd
        .discover_files("accounts.csv", "deals.csv", "stale")
        .args(&as_of)
        .args(&["--config", "stale.toml"])
        .report();
    let stale = r["data_quality"]["deals_lost_as_stale"].as_u64().unwrap();
    assert!(stale > 1000, "{stale}");
    let lost: u64 = r["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["outcomes"]["lost"].as_u64().unwrap())
        .sum();
    assert_eq!(lost, stale);
    let headlines = r["headlines"].to_string();
    assert!(!headlines.contains("No deal is marked lost"), "{headlines}");
    assert!(r["icp"]["qualifying"].is_array(), "{}", r["icp"]);
}
