//! Every bad input is rejected: exit status 2, a message starting `error:`
//! that names the file, the column and an example value with a hint, never
//! a panic, and no output directory or leftover. One test per case.

use polars::prelude::*;

use crate::small_inputs::*;
use crate::util::{Discover, Workdir};

/// A test per case, `name: setup => rejection;`: `setup` writes the inputs
/// into the test's workdir and returns the `discover` to run, which must be
/// rejected as `rejection` ([`Rejection`]) says.
macro_rules! reject {
    ($($(#[$doc:meta])* $name:ident: $setup:expr => $expected:expr;)*) => {$(
        $(#[$doc])*
        #[test]
        fn $name() {
            let wd = Workdir::new(stringify!($name));
            let run = prepare(&wd, $setup);
            assert_rejected(&wd, &run.run(), &$expected);
        }
    )*};
}

fn prepare<'w>(wd: &'w Workdir, setup: impl FnOnce(&'w Workdir) -> Discover<'w>) -> Discover<'w> {
    setup(wd)
}

/// `csv_run` with `config` written to `config.toml` and passed.
fn with_config<'w>(run: Discover<'w>, wd: &Workdir, config: &str) -> Discover<'w> {
    wd.write("config.toml", config);
    run.args(&["--config", "config.toml"])
}

/// Every line of a CSV text but the header passed through `f`, its fields
/// split at commas.
fn map_rows(csv: &str, f: impl Fn(&[&str]) -> String) -> String {
    csv.lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                f(&l.split(',').collect::<Vec<_>>())
            }
        })
        .collect()
}

/// 40 accounts as Parquet with a NaN among their employees.
fn nan_parquet(wd: &Workdir) {
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
}

// ---------------------------------------------------------------- empty and unreadable files

reject! {
    a_zero_byte_accounts_csv_is_rejected_as_empty:
        |wd| csv_run(wd, "", deals_csv(40))
        => naming("accounts.csv").says(&["empty"]);

    a_zero_byte_file_is_rejected:
        |wd| csv_run(wd, "", small_deals(""))
        => naming("accounts.csv").says(&["empty"]);

    an_accounts_csv_with_only_a_header_is_rejected_as_having_no_rows:
        |wd| csv_run(wd, format!("{ACCOUNTS_HEADER}\n"), deals_csv(40))
        => naming("accounts.csv").column("account_id").says(&["no rows"]);

    a_deals_csv_with_only_a_header_is_rejected_as_having_no_rows:
        |wd| csv_run(wd, accounts_csv(40), format!("{DEALS_HEADER}\n"))
        => naming("deals.csv").column("deal_id").says(&["no rows"]);

    a_zero_byte_parquet_file_is_rejected_as_empty: |wd| {
        wd.generate("in", 3, 200, "parquet");
        std::fs::write(wd.path("in/deals.parquet"), b"").unwrap();
        wd.discover("in", "run")
    } => naming("deals.parquet").says(&["empty"]);

    a_truncated_parquet_file_is_rejected_as_unreadable: |wd| {
        wd.generate("in", 3, 200, "parquet");
        let bytes = std::fs::read(wd.path("in/accounts.parquet")).unwrap();
        std::fs::write(wd.path("in/accounts.parquet"), &bytes[..bytes.len() / 2]).unwrap();
        wd.discover("in", "run")
    } => naming("accounts.parquet").says(&["not a readable Parquet file"]);

    a_csv_file_named_parquet_is_rejected_as_unreadable: |wd| {
        wd.write("accounts.parquet", &accounts_csv(40));
        wd.write("deals.csv", &deals_csv(40));
        wd.discover_files("accounts.parquet", "deals.csv", "run")
    } => naming("accounts.parquet");
}

// ---------------------------------------------------------------- columns and keys

reject! {
    missing_required_column_is_named_with_a_suggestion:
        |wd| csv_run(wd, SMALL_ACCOUNTS, small_deals("").replace("outcome", "outcom"))
        => naming("deals.csv").column("outcome").says(&["did you mean 'outcom'"]);

    null_account_key_is_rejected:
        |wd| csv_run(wd, format!("{SMALL_ACCOUNTS},Retail,10,\n"), small_deals(""))
        => naming("accounts.csv").column("account_id").value("null");

    duplicated_account_key_is_rejected:
        |wd| csv_run(wd, format!("{SMALL_ACCOUNTS}a3,Retail,10,\n"), small_deals(""))
        => naming("accounts.csv").column("account_id").value("a3");

    duplicated_deal_key_is_rejected:
        |wd| csv_run(wd, SMALL_ACCOUNTS, small_deals("d3,a1,2026-01-05,2026-02-01,won,10\n"))
        => naming("deals.csv").column("deal_id").value("d3");

    duplicate_column_names_are_rejected:
        |wd| csv_run(wd, accounts_csv(40).replacen("intent_score", "industry", 1), deals_csv(40))
        => naming("accounts.csv").column("industry").value("industry").says(&["same name"]);

    an_unmapped_outcome_is_rejected_with_the_config_line_to_add:
        |wd| csv_run(wd, SMALL_ACCOUNTS, small_deals("d99,a1,2026-01-05,,Negotiation,10\n"))
        => naming("deals.csv")
            .column("outcome")
            .value("Negotiation")
            .says(&["[deals.outcomes] \"Negotiation\""]);

    an_unexpected_tier_label_is_rejected:
        |wd| csv_run(wd, SMALL_ACCOUNTS.replace("Tier 3\na4", "Gold\na4"), small_deals(""))
        => naming("accounts.csv").column("tier").value("Gold");

    config_can_turn_a_drop_into_an_error: |wd| {
        let run = csv_run(wd, SMALL_ACCOUNTS, small_deals("x1,zz,2026-01-05,2026-02-01,won,10\n"));
        with_config(run, wd, "[drops]\nunknown_account = \"error\"\n")
    } => naming("deals.csv").column("account_id").value("zz");
}

// ---------------------------------------------------------------- CSV structure

reject! {
    a_csv_row_with_an_extra_field_is_rejected_with_its_line: |wd| {
        let mut accounts = accounts_csv(40);
        accounts.push_str("a900,Retail,10,5,Tier 3,surplus\n");
        csv_run(wd, accounts, deals_csv(40))
    } => naming("accounts.csv")
        .column("tier")
        .value("a900,Retail,10,5,Tier 3,surplus")
        .says(&["line 42 has 6 fields but the header has 5"]);

    a_csv_row_with_a_missing_field_is_rejected_with_its_line: |wd| {
        let mut deals = deals_csv(40);
        deals.push_str("d9999,a001,2025-03-01,won,10\n");
        csv_run(wd, accounts_csv(40), deals)
    } => naming("deals.csv")
        .column("amount")
        .value("d9999,a001,2025-03-01,won,10")
        .says(&["has 5 fields but the header has 6"]);

    a_csv_with_a_wrong_delimiter_is_rejected_with_the_separator_to_set:
        |wd| csv_run(wd, accounts_csv(40).replace(',', ";"), deals_csv(40))
        => naming("accounts.csv")
            .column("account_id;industry;employees;intent_score;tier")
            .says(&["csv_separator = \";\""]);

    a_csv_with_an_unclosed_quote_is_rejected: |wd| {
        let mut accounts = accounts_csv(40);
        accounts.push_str("a900,\"Retail,10,5,\n");
        csv_run(wd, accounts, deals_csv(40))
    } => naming("accounts.csv").value("a900,\"Retail").says(&["never closed"]);

    non_utf8_text_is_rejected_with_its_column_and_line: |wd| {
        let mut accounts = accounts_csv(40).into_bytes();
        accounts.extend_from_slice(b"a900,Caf\xe9 chains,10,5,Tier 3\n");
        csv_run(wd, accounts, deals_csv(40))
    } => naming("accounts.csv")
        .column("industry")
        .value("Caf\u{fffd} chains")
        .says(&["line 42 is not UTF-8"]);
}

// ---------------------------------------------------------------- dates

reject! {
    a_date_column_with_a_wrong_type_is_rejected:
        |wd| csv_run(wd, SMALL_ACCOUNTS, small_deals("d99,a1,yesterday,2026-02-01,won,10\n"))
        => naming("deals.csv").column("created_at").value("yesterday");

    mixed_date_formats_in_a_column_are_rejected_with_the_odd_one_out: |wd| {
        let mut deals = deals_csv(40);
        deals.push_str("d9999,a001,03/15/2025,2025-04-01,won,10\n");
        csv_run(wd, accounts_csv(40), deals)
    } => naming("deals.csv").column("created_at").value("03/15/2025").says(&["ISO 8601"]);

    a_date_far_in_the_future_is_rejected: |wd| {
        let mut deals = deals_csv(40);
        deals.push_str("d9999,a001,2025-03-01,9999-12-31,won,10\n");
        csv_run(wd, accounts_csv(40), deals)
    } => naming("deals.csv").column("closed_at").value("9999-12-31").says(&["after 2099-12-31"]);

    a_date_before_1970_is_rejected: |wd| {
        let mut deals = deals_csv(40);
        deals.push_str("d9999,a001,1969-07-20,2025-04-01,won,10\n");
        csv_run(wd, accounts_csv(40), deals)
    } => naming("deals.csv").column("created_at").value("1969-07-20").says(&["before 1970-01-01"]);
}

// ---------------------------------------------------------------- null columns and outcomes

reject! {
    an_entirely_null_required_column_is_rejected: |wd| {
        let deals = map_rows(&deals_csv(40), |f| {
            format!("{},{},,{},{},{}\n", f[0], f[1], f[3], f[4], f[5])
        });
        csv_run(wd, accounts_csv(40), deals)
    } => naming("deals.csv").column("created_at").value("null").says(&["entirely null"]);

    an_entirely_null_close_date_column_is_rejected_when_deals_are_closed: |wd| {
        let deals = map_rows(&deals_csv(40), |f| {
            format!("{},{},{},,{},{}\n", f[0], f[1], f[2], f[4], f[5])
        });
        csv_run(wd, accounts_csv(40), deals)
    } => naming("deals.csv").column("closed_at").value("null").says(&["entirely null"]);

    all_deals_open_is_rejected_as_having_no_closed_deal:
        |wd| csv_run(wd, accounts_csv(40), deals_csv_with(40, |_| "open"))
        => naming("deals.csv").column("outcome").says(&["no closed (won or lost) deal"]);

    no_closed_deal_left_is_rejected: |wd| {
        let mut deals = String::from("deal_id,account_id,created_at,closed_at,outcome,amount\n");
        for i in 0..8 {
            deals.push_str(&format!("d{i},a{},2026-01-0{},,open,5\n", i + 1, i + 1));
        }
        csv_run(wd, SMALL_ACCOUNTS, deals)
    } => naming("deals.csv").column("outcome");
}

// ---------------------------------------------------------------- too little to segment

reject! {
    a_single_account_is_rejected_as_too_few_to_segment: |wd| {
        let accounts = format!("{ACCOUNTS_HEADER}\n{}\n", account_row(0, "Fintech"));
        csv_run(wd, accounts, deals_csv(1))
    } => naming("accounts.csv")
        .column("account_id")
        .value("a000")
        .says(&["1 account is too few for 2 segments"]);

    a_single_industry_as_the_only_feature_is_rejected: |wd| {
        let mut accounts = String::from("account_id,industry\n");
        for i in 0..40 {
            accounts.push_str(&format!("a{i:03},Fintech\n"));
        }
        csv_run(wd, accounts, deals_csv(40))
    } => naming("accounts.csv").says(&["'industry' (has a single value"]);

    more_requested_clusters_than_accounts_is_rejected:
        |wd| csv_run(wd, accounts_csv(12), deals_csv(12)).args(&["--k-min", "20", "--k-max", "25"])
        => naming("accounts.csv")
            .column("account_id")
            .says(&["12 accounts are too few for 20 segments", "--k-min"]);
}

// ---------------------------------------------------------------- numbers

reject! {
    nan_in_a_numeric_feature_is_rejected: |wd| {
        let accounts = accounts_csv(40).replacen("a005,Retail,235", "a005,Retail,NaN", 1);
        assert!(accounts.contains("NaN"));
        csv_run(wd, accounts, deals_csv(40))
    } => naming("accounts.csv").column("employees").value("NaN");

    an_infinite_numeric_feature_is_rejected: |wd| {
        let accounts = accounts_csv(40).replacen("a005,Retail,235", "a005,Retail,inf", 1);
        csv_run(wd, accounts, deals_csv(40))
    } => naming("accounts.csv").column("employees").value("inf");

    nan_in_a_parquet_numeric_feature_is_rejected: |wd| {
        nan_parquet(wd);
        wd.write("deals.csv", &deals_csv(40));
        wd.discover_files("accounts.parquet", "deals.csv", "run")
    } => naming("accounts.parquet").column("employees").value("NaN");

    an_amount_column_with_text_is_rejected:
        |wd| csv_run(wd, SMALL_ACCOUNTS, small_deals("d99,a1,2026-01-05,2026-02-01,won,$10\n"))
        => naming("deals.csv").column("amount");

    an_infinite_amount_is_rejected: |wd| {
        let mut deals = deals_csv(40);
        deals.push_str("d9999,a001,2025-03-01,2025-04-01,won,inf\n");
        csv_run(wd, accounts_csv(40), deals)
    } => naming("deals.csv").column("amount").value("inf");

    an_amount_with_a_currency_symbol_is_rejected_with_the_value: |wd| {
        let mut deals = deals_csv(40);
        deals.push_str("d9999,a001,2025-03-01,2025-04-01,won,$10\n");
        csv_run(wd, accounts_csv(40), deals)
    } => naming("deals.csv").column("amount").value("$10");
}

// ---------------------------------------------------------------- config

reject! {
    an_unknown_config_key_is_rejected: |wd| {
        let run = csv_run(wd, SMALL_ACCOUNTS, small_deals(""));
        with_config(run, wd, "[deals]\nacount_id = \"x\"\n")
    } => naming("config.toml").says(&["unknown field `acount_id`"]);

    a_config_with_an_unknown_key_suggests_the_nearest_key: |wd| {
        let run = csv_run(wd, accounts_csv(40), deals_csv(40));
        with_config(run, wd, "[deals]\noutcome = \"outcome\"\nacount_id = \"account_id\"\n")
    } => naming("config.toml, line 3")
        .says(&["unknown field `acount_id`", "did you mean `account_id`?"]);

    a_config_with_a_typo_in_a_column_name_suggests_the_nearest_column: |wd| {
        let deals = deals_csv(40).replacen("outcome", "deal_stage", 1);
        let run = csv_run(wd, accounts_csv(40), deals);
        with_config(run, wd, "[deals]\noutcome = \"deal_stag\"\n")
    } => naming("deals.csv").column("deal_stag").says(&["did you mean 'deal_stage'?"]);

    a_config_with_a_typo_in_a_feature_override_suggests_the_nearest_column: |wd| {
        let run = csv_run(wd, accounts_csv(40), deals_csv(40));
        with_config(run, wd, "[accounts.features]\nindustri = \"categorical\"\n")
    } => naming("accounts.csv").column("industri").says(&["did you mean 'industry'?"]);

    a_config_that_is_not_toml_is_rejected_with_its_line: |wd| {
        let run = csv_run(wd, accounts_csv(40), deals_csv(40));
        with_config(run, wd, "[deals]\noutcome = deal_stage\n")
    } => naming("config.toml, line 2");
}

// ---------------------------------------------------------------- account history

/// `history` as the account history of the small tables.
fn history_run<'w>(wd: &'w Workdir, history: &str) -> Discover<'w> {
    history_inputs(wd, history).args(&["--account-history", "history.csv"])
}

reject! {
    an_inverted_history_range_is_rejected_with_its_rows:
        |wd| history_run(wd, &format!("{HISTORY}a4,2026-02-01,2026-01-01,60\n"))
        => naming("history.csv")
            .column("valid_to")
            .says(&["valid_to is before valid_from", "rows 6", "account a4"]);

    /// a2's first version runs to 2026-01-10; this one starts before that.
    overlapping_history_ranges_of_one_account_are_rejected_naming_it:
        |wd| history_run(wd, &format!("{HISTORY}a2,2026-01-08,2026-01-09,260\n"))
        => naming("history.csv")
            .column("valid_from")
            .says(&["ranges overlap for 1 account (a2)", "rows 3"]);

    two_current_versions_of_one_account_overlap_and_are_rejected:
        |wd| history_run(wd, &format!("{HISTORY}a3,2026-01-02,,85\n"))
        => naming("history.csv").column("valid_from").says(&["(a3)"]);

    a_history_account_missing_from_the_accounts_table_is_rejected:
        |wd| history_run(wd, &format!("{HISTORY}zz9,2025-01-01,,10\n"))
        => naming("history.csv").column("account_id").says(&[
            "an account the accounts table does not have (rows 6)",
            "'zz9'",
        ]);

    a_history_feature_missing_from_the_accounts_table_is_rejected:
        |wd| history_run(wd, &HISTORY.replace("employees", "employes"))
        => naming("history.csv").column("employes").says(&["did you mean 'employees'"]);

    a_null_history_account_is_rejected_with_its_row:
        |wd| history_run(wd, &format!("{HISTORY},2025-01-01,,10\n"))
        => naming("history.csv").column("account_id").says(&["row 6", "'null'"]);

    a_null_valid_from_is_rejected_with_its_row:
        |wd| history_run(wd, &format!("{HISTORY}a4,,,10\n"))
        => naming("history.csv").column("valid_from").says(&["rows 6", "'null'"]);
}
