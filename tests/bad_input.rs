//! Every "Bad input" case of the data contract: a clear message naming the
//! column, exit status 2, and no output directory. Droppable rows are counted.

use crate::util::Workdir;

pub(crate) const ACCOUNTS: &str = "account_id,industry,employees,tier
a1,Fintech,120,Tier 1
a2,Fintech,300,Tier 2
a3,Retail,80,Tier 3
a4,Retail,60,
a5,SaaS,900,Tier 2
a6,SaaS,450,Tier 3
a7,Retail,30,
a8,Fintech,700,Tier 1
";

pub(crate) fn deals_csv(extra: &str) -> String {
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

/// Run discover on the given CSV texts; return (exit code, stderr) and check
/// that no output directory was created.
fn discover(
    name: &str,
    accounts: &str,
    deals: &str,
    config: Option<&str>,
) -> (Option<i32>, String, Workdir) {
    let wd = Workdir::new(name);
    wd.write("accounts.csv", accounts);
    wd.write("deals.csv", deals);
    let mut args = vec![
        "discover",
        "--accounts",
        "accounts.csv",
        "--deals",
        "deals.csv",
        "--out",
        "run",
        "-q",
    ];
    if let Some(c) = config {
        wd.write("config.toml", c);
        args.extend(["--config", "config.toml"]);
    }
    let out = wd.run(&args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).to_string(),
        wd,
    )
}

fn assert_rejected(
    name: &str,
    accounts: &str,
    deals: &str,
    config: Option<&str>,
    column: &str,
    value: Option<&str>,
) {
    let (code, stderr, wd) = discover(name, accounts, deals, config);
    assert_eq!(code, Some(2), "expected exit 2, stderr:\n{stderr}");
    assert!(
        stderr.contains(&format!("column '{column}'")),
        "message does not name column '{column}':\n{stderr}"
    );
    if let Some(v) = value {
        assert!(
            stderr.contains(&format!("'{v}'")),
            "message does not show the value '{v}':\n{stderr}"
        );
    }
    assert!(stderr.contains("hint:"), "no hint:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!wd.path("run").exists(), "an output directory was created");
}

#[test]
fn valid_small_input_succeeds() {
    let (code, stderr, wd) = discover("valid", ACCOUNTS, &deals_csv(""), None);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(wd.path("run/report.json").exists());
}

#[test]
fn missing_required_column_is_named_with_a_suggestion() {
    let deals = deals_csv("").replace("outcome", "outcom");
    let (code, stderr, _) = discover("missing-col", ACCOUNTS, &deals, None);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("column 'outcome'") && stderr.contains("did you mean 'outcom'"),
        "{stderr}"
    );
    assert_rejected("missing-col2", ACCOUNTS, &deals, None, "outcome", None);
}

#[test]
fn null_account_key_is_rejected() {
    let accounts = format!("{ACCOUNTS},Retail,10,\n");
    assert_rejected(
        "null-key",
        &accounts,
        &deals_csv(""),
        None,
        "account_id",
        Some("null"),
    );
}

#[test]
fn duplicated_account_key_is_rejected() {
    let accounts = format!("{ACCOUNTS}a3,Retail,10,\n");
    assert_rejected(
        "dup-account",
        &accounts,
        &deals_csv(""),
        None,
        "account_id",
        Some("a3"),
    );
}

#[test]
fn duplicated_deal_key_is_rejected() {
    let deals = deals_csv("d3,a1,2026-01-05,2026-02-01,won,10\n");
    assert_rejected("dup-deal", ACCOUNTS, &deals, None, "deal_id", Some("d3"));
}

#[test]
fn a_date_column_with_a_wrong_type_is_rejected() {
    let deals = deals_csv("d99,a1,yesterday,2026-02-01,won,10\n");
    assert_rejected(
        "bad-date",
        ACCOUNTS,
        &deals,
        None,
        "created_at",
        Some("yesterday"),
    );
}

#[test]
fn an_amount_column_with_text_is_rejected() {
    let deals = deals_csv("d99,a1,2026-01-05,2026-02-01,won,$10\n");
    assert_rejected("bad-amount", ACCOUNTS, &deals, None, "amount", None);
}

#[test]
fn an_unmapped_outcome_is_rejected_with_the_config_line_to_add() {
    let deals = deals_csv("d99,a1,2026-01-05,,Negotiation,10\n");
    let (_, stderr, _) = discover("unmapped", ACCOUNTS, &deals, None);
    assert!(
        stderr.contains("[deals.outcomes] \"Negotiation\""),
        "{stderr}"
    );
    assert_rejected(
        "unmapped2",
        ACCOUNTS,
        &deals,
        None,
        "outcome",
        Some("Negotiation"),
    );
}

#[test]
fn mapped_crm_stage_names_are_accepted() {
    let deals = deals_csv("")
        .replace(",won,", ",Closed Won,")
        .replace(",lost,", ",Closed Lost,")
        .replace(",open,", ",Engaging,");
    let config = "[deals.outcomes]\n\"Closed Won\" = \"won\"\n\"Closed Lost\" = \"lost\"\nEngaging = \"open\"\n";
    let (code, stderr, wd) = discover("mapped", ACCOUNTS, &deals, Some(config));
    assert_eq!(code, Some(0), "{stderr}");
    let r = wd.read_json("run/report.json");
    assert_eq!(r["data_quality"]["deals_used"], 16);
}

#[test]
fn no_closed_deal_left_is_rejected() {
    let mut deals = String::from("deal_id,account_id,created_at,closed_at,outcome,amount\n");
    for i in 0..8 {
        deals.push_str(&format!("d{i},a{},2026-01-0{},,open,5\n", i + 1, i + 1));
    }
    assert_rejected("all-open", ACCOUNTS, &deals, None, "outcome", None);
}

#[test]
fn droppable_rows_are_dropped_counted_and_reported() {
    let extra = "x1,zz,2026-01-05,2026-02-01,won,10\nx2,a1,2026-03-05,2026-02-01,lost,10\nx3,a2,2026-01-05,2026-02-01,won,-5\n";
    let (code, stderr, wd) = discover("drops", ACCOUNTS, &deals_csv(extra), None);
    assert_eq!(code, Some(0), "{stderr}");
    let r = wd.read_json("run/report.json");
    let d = &r["data_quality"]["deals_dropped"];
    assert_eq!(d["unknown_account"], 1);
    assert_eq!(d["closed_before_created"], 1);
    assert_eq!(d["negative_amount"], 1);
    assert_eq!(r["data_quality"]["deals_read"], 19);
    assert_eq!(r["data_quality"]["deals_used"], 16);
    let md = std::fs::read_to_string(wd.path("run/report.md")).unwrap();
    assert!(md.contains("1 deals dropped: unknown account"), "{md}");
}

#[test]
fn config_can_turn_a_drop_into_an_error() {
    let extra = "x1,zz,2026-01-05,2026-02-01,won,10\n";
    assert_rejected(
        "drop-error",
        ACCOUNTS,
        &deals_csv(extra),
        Some("[drops]\nunknown_account = \"error\"\n"),
        "account_id",
        Some("zz"),
    );
}

#[test]
fn an_unknown_config_key_is_rejected() {
    let (code, stderr, wd) = discover(
        "bad-config",
        ACCOUNTS,
        &deals_csv(""),
        Some("[deals]\nacount_id = \"x\"\n"),
    );
    assert_eq!(code, Some(2));
    assert!(stderr.contains("unknown field `acount_id`"), "{stderr}");
    assert!(!wd.path("run").exists());
}

#[test]
fn an_unexpected_tier_label_is_rejected() {
    let accounts = ACCOUNTS.replace("Tier 3\na4", "Gold\na4");
    assert_rejected(
        "tier-label",
        &accounts,
        &deals_csv(""),
        None,
        "tier",
        Some("Gold"),
    );
}

#[test]
fn a_zero_byte_file_is_rejected() {
    let (code, stderr, wd) = discover("empty", "", &deals_csv(""), None);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("empty"), "{stderr}");
    assert!(!wd.path("run").exists());
}
