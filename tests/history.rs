//! `--account-history`: how deals take the account's values as of their
//! creation, and what a run with history reports. The history table's
//! rejects are in `bad_input.rs`.

use crate::small_inputs::{history_inputs, HISTORY};
use crate::util::Workdir;

/// Run discover with `history` (CSV text), named by `--account-history` or
/// else in `config`; return (exit code, stderr, workdir).
fn discover(name: &str, history: &str, config: Option<&str>) -> (Option<i32>, String, Workdir) {
    let wd = Workdir::new(name);
    let run = history_inputs(&wd, history);
    let run = match config {
        Some(c) => {
            wd.write("config.toml", c);
            run.args(&["--config", "config.toml"])
        }
        None => run.args(&["--account-history", "history.csv"]),
    };
    let out = run.run();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).to_string(),
        wd,
    )
}

#[test]
fn a_valid_history_is_read_and_named_in_the_report() {
    let (code, stderr, wd) = discover("hist-valid", HISTORY, None);
    assert_eq!(code, Some(0), "{stderr}");
    let r = wd.read_json("run/report.json");
    let h = &r["data_quality"]["account_history"];
    assert_eq!(h["path"], "history.csv", "{h}");
    assert_eq!(h["rows"], 5);
    assert_eq!(h["accounts_with_versions"], 3);
    let md = std::fs::read_to_string(wd.path("run/report.md")).unwrap();
    assert!(
        md.contains("Features are joined as of each deal's creation from history.csv"),
        "{md}"
    );
}

#[test]
fn dbt_snapshot_columns_are_recognised_and_config_names_the_columns() {
    let dbt = HISTORY
        .replace("valid_from,valid_to", "dbt_valid_from,dbt_valid_to")
        .replace("employees", "employees,dbt_scd_id")
        .replace(",100\n", ",100,x1\n")
        .replace(",120\n", ",120,x2\n")
        .replace(",250\n", ",250,x3\n")
        .replace(",300\n", ",300,x4\n")
        .replace(",80\n", ",80,x5\n");
    let (code, stderr, _) = discover("hist-dbt", &dbt, None);
    assert_eq!(code, Some(0), "{stderr}");

    let renamed = HISTORY.replace("valid_from,valid_to", "start,end");
    let config = "[accounts]\npath = \"accounts.csv\"\n[deals]\npath = \"deals.csv\"\n\
                  [account_history]\npath = \"history.csv\"\nvalid_from = \"start\"\nvalid_to = \"end\"\n";
    let (code, stderr, wd) = discover("hist-config", &renamed, Some(config));
    assert_eq!(code, Some(0), "{stderr}");
    let r = wd.read_json("run/report.json");
    assert_eq!(r["data_quality"]["account_history"]["rows"], 5);
}

/// The inputs of `tests/fixtures/asof/`, read and checked as `discover`
/// reads them, with the accounts table's features inferred.
fn asof_fixture() -> (
    abm_segments::io::Inputs,
    Vec<abm_segments::features::FeatureColumn>,
) {
    load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/asof"))
}

/// The rows of a fixture CSV without its header (no quoted fields).
fn csv_rows(name: &str) -> Vec<Vec<String>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/asof")
        .join(name);
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// Each deal's joined values equal pandas' `merge_asof` (by account, on
/// created_at against valid_from, backward, nulled where created_at ≥
/// valid_to): the version valid at creation, missing before an account's
/// first version, in a gap, for an account without history, and for a
/// feature the history does not carry.
#[test]
fn each_deal_takes_the_values_pandas_merge_asof_gives() {
    use abm_segments::features::evidence::Evidence;
    use abm_segments::features::{FeatureData, Transform, UNSEEN};
    let (inputs, features) = asof_fixture();
    let history = inputs.history.as_ref().unwrap();
    let ev = Evidence::as_of(&features, &inputs.accounts.features, &inputs.deals, history).unwrap();
    let expected = csv_rows("expected_joined.csv");
    // Deals are kept in deal-key order, which the zero-padded ids share.
    assert_eq!(expected.len(), inputs.deals.len());
    let col = |name: &str| ev.features.iter().find(|f| f.spec.name == name).unwrap();
    let mut missing = [0usize; 4];
    for (i, e) in expected.iter().enumerate() {
        let r = ev.row_of_deal[i] as usize;
        let industry = match (&col("industry").data, &col("industry").spec.transform) {
            (FeatureData::Categorical(c), Transform::Categorical { levels, .. }) => {
                (c[r] != UNSEEN).then(|| levels[c[r] as usize].clone())
            }
            _ => panic!("industry is categorical"),
        };
        let number = |name: &str| match &col(name).data {
            FeatureData::Numeric(v) | FeatureData::Binary(v) => v[r],
            _ => panic!("{name} is numeric or binary"),
        };
        let employees = number("employees");
        let csm = number("csm_assigned");
        assert_eq!(
            industry.as_deref().unwrap_or(""),
            e[1],
            "deal {} industry",
            e[0]
        );
        let want_employees: f64 = if e[2].is_empty() {
            f64::NAN
        } else {
            e[2].parse().unwrap()
        };
        assert!(
            employees == want_employees || (employees.is_nan() && want_employees.is_nan()),
            "deal {} employees {employees} vs {}",
            e[0],
            e[2]
        );
        let want_csm = match e[3].as_str() {
            "true" => 1.0,
            "false" => 0.0,
            _ => f64::NAN,
        };
        assert!(
            csm == want_csm || (csm.is_nan() && want_csm.is_nan()),
            "deal {} csm_assigned {csm} vs {}",
            e[0],
            e[3]
        );
        match &col("region").data {
            FeatureData::Categorical(c) => {
                assert_eq!(c[r], UNSEEN, "region is never the snapshot's")
            }
            _ => panic!("region is categorical"),
        }
        missing[0] += usize::from(industry.is_none());
        missing[1] += usize::from(employees.is_nan());
        missing[2] += usize::from(csm.is_nan());
    }
    // The fixture exercises every case: values found and values missing.
    assert!(
        missing.iter().take(3).all(|&m| m > 50 && m < 700),
        "{missing:?}"
    );
    let joined = ev.joined.as_ref().unwrap();
    assert_eq!(
        joined.deals_with_version,
        expected.iter().filter(|e| !e[1].is_empty()).count() as u64
    );
    let region = joined
        .features
        .iter()
        .find(|f| f.feature == "region")
        .unwrap();
    assert_eq!(region.deals_joined, 0);
}

/// Per-level win rates of closed deals on the joined values equal pandas'
/// to 1e-9, through the correlations the report shows.
#[test]
fn per_level_win_rates_on_joined_values_equal_pandas() {
    use abm_segments::features::evidence::Evidence;
    let (inputs, features) = asof_fixture();
    let history = inputs.history.as_ref().unwrap();
    let ev = Evidence::as_of(&features, &inputs.accounts.features, &inputs.deals, history).unwrap();
    let c = abm_segments::correlations::analyse(
        &ev.features,
        &abm_segments::features::Gate::new(&ev.features, []),
        ev.rows(),
        &ev.by_row(&inputs.deals),
        &Default::default(),
    )
    .unwrap();
    let expected = csv_rows("expected_win_rates.csv");
    assert_eq!(expected.len(), 4);
    for e in &expected {
        let l = c
            .levels
            .iter()
            .find(|l| l.feature == e[0] && l.level == e[1])
            .unwrap_or_else(|| panic!("no level {} = {}", e[0], e[1]));
        assert_eq!(
            l.closed_deals,
            e[2].parse::<u64>().unwrap(),
            "{} {}",
            e[0],
            e[1]
        );
        assert_eq!(l.won, e[3].parse::<u64>().unwrap(), "{} {}", e[0], e[1]);
        let want: f64 = e[4].parse().unwrap();
        assert!(
            (l.win_rate.unwrap() - want).abs() < 1e-9,
            "{} {}: {:?} vs {want}",
            e[0],
            e[1],
            l.win_rate
        );
    }
}

/// With `tier` in the history, the current-tier verdict judges each deal by
/// its account's tier when the deal was created: a1 was Tier 2 for its
/// 2026-01-01 deal and Tier 1 for its 2026-01-09 one; a2 Tier 3 then Tier 2;
/// a3 Tier 3; deals of accounts without versions are untiered. By today's
/// tiers Tier 1 (a1, a8) would hold four deals.
#[test]
fn the_verdict_judges_each_deal_by_the_tier_it_was_worked_under() {
    let history = "account_id,valid_from,valid_to,employees,tier
a1,2025-01-01,2026-01-05,100,Tier 2
a1,2026-01-05,,120,Tier 1
a2,2025-06-01,2026-01-10,250,Tier 3
a2,2026-01-10,,300,Tier 2
a3,2025-01-01,,80,Tier 3
";
    let (code, stderr, wd) = discover("hist-tier", history, None);
    assert_eq!(code, Some(0), "{stderr}");
    let r = wd.read_json("run/report.json");
    let ct = &r["current_tiers"];
    assert!(
        ct["window"]["label"]
            .as_str()
            .unwrap()
            .contains("each by its account's tier when it was created"),
        "{}",
        ct["window"]
    );
    let deals: Vec<(Option<u64>, u64, u64)> = ct["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["tier"].as_u64(),
                t["outcomes"]["deals"].as_u64().unwrap(),
                t["outcomes"]["accounts"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        deals,
        vec![
            (Some(1), 1, 1),
            (Some(2), 2, 2),
            (Some(3), 3, 2),
            (None, 10, 5)
        ]
    );
    assert_eq!(r["data_quality"]["account_history"]["has_tier"], true);
}

/// Load accounts, deals and history CSVs from `dir` as `discover` does.
fn load_dir(
    dir: &std::path::Path,
) -> (
    abm_segments::io::Inputs,
    Vec<abm_segments::features::FeatureColumn>,
) {
    use abm_segments::config::{Overrides, RawConfig};
    use abm_segments::features::infer::{infer_accounts, InferOptions};
    let config = RawConfig::default()
        .check(Overrides {
            accounts: Some(dir.join("accounts.csv")),
            deals: Some(dir.join("deals.csv")),
            account_history: Some(dir.join("history.csv")),
            ..Default::default()
        })
        .unwrap();
    let inputs = abm_segments::io::load(&config.input, |_| {}).unwrap();
    let (features, _) = infer_accounts(
        &inputs.accounts,
        &InferOptions {
            kinds: &config.kinds,
            roles: &config.roles,
            list_separator: ";",
            file: &inputs.accounts.path,
        },
    )
    .unwrap();
    (inputs, features)
}

/// A flag a CRM sets at an account's first win, with no effect of its own
/// (every deal wins with probability 0.3): the snapshot makes it a strong
/// driver (accounts without it never won), the history shows it for what
/// it is. Seeded; 400 accounts, 1200 deals.
#[test]
fn a_flag_set_at_the_first_win_leaks_in_the_snapshot_and_not_with_history() {
    use abm_segments::features::evidence::Evidence;
    use rand::{Rng, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(19);
    let wd = Workdir::new("hist-leak");
    let day = |d: i32| abm_segments::dates::format_date(d);
    let start = abm_segments::dates::parse_date("2024-01-01").unwrap();
    let (mut accounts, mut deals, mut history) = (
        String::from("account_id,industry,csm_assigned\n"),
        String::from("deal_id,account_id,created_at,closed_at,outcome,amount\n"),
        String::from("account_id,valid_from,valid_to,csm_assigned\n"),
    );
    let mut k = 0;
    for a in 0..400 {
        let mut created: Vec<i32> = (0..3).map(|_| start + rng.gen_range(0..700)).collect();
        created.sort_unstable();
        let mut first_win: Option<i32> = None;
        for &c in &created {
            let won = rng.gen::<f64>() < 0.3;
            let closed = c + 30;
            if won && first_win.is_none() {
                first_win = Some(closed);
            }
            deals.push_str(&format!(
                "d{k:05},a{a:03},{},{},{},1000\n",
                day(c),
                day(closed),
                if won { "won" } else { "lost" }
            ));
            k += 1;
        }
        let industry = ["Fintech", "Retail", "SaaS"][a % 3];
        accounts.push_str(&format!("a{a:03},{industry},{}\n", first_win.is_some()));
        match first_win {
            Some(w) => history.push_str(&format!(
                "a{a:03},{},{},false\na{a:03},{},,true\n",
                day(start - 10),
                day(w),
                day(w)
            )),
            None => history.push_str(&format!("a{a:03},{},,false\n", day(start - 10))),
        }
    }
    wd.write("accounts.csv", &accounts);
    wd.write("deals.csv", &deals);
    wd.write("history.csv", &history);
    let (inputs, features) = load_dir(&wd.root);
    let level = |ev: &Evidence| {
        let c = abm_segments::correlations::analyse(
            &ev.features,
            &abm_segments::features::Gate::new(&ev.features, []),
            ev.rows(),
            &ev.by_row(&inputs.deals),
            &Default::default(),
        )
        .unwrap();
        c.levels
            .into_iter()
            .find(|l| l.feature == "csm_assigned")
            .unwrap()
    };
    let snapshot = level(&Evidence::snapshot(
        &features,
        inputs.accounts.len(),
        &inputs.deals,
    ));
    let joined = level(
        &Evidence::as_of(
            &features,
            &inputs.accounts.features,
            &inputs.deals,
            inputs.history.as_ref().unwrap(),
        )
        .unwrap(),
    );
    // The snapshot: a strong, significant driver of winning.
    let (sl, jl) = (snapshot.lift.unwrap(), joined.lift.unwrap());
    assert!(sl > 1.35, "snapshot lift {sl}");
    assert!(
        snapshot.win.as_ref().unwrap().p_value < 1e-6,
        "{snapshot:?}"
    );
    // With history: only deals opened after a first win carry the flag,
    // and they win at the base rate.
    assert!(jl < 1.2, "history lift {jl}");
    assert!(joined.closed_deals < snapshot.closed_deals, "{joined:?}");
    let p = joined.win_rate.unwrap();
    assert!((p - 0.3).abs() < 0.1, "history win rate {p}");
}
