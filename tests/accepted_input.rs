//! Inputs the data contract accepts as they come: small tables, CRM stage
//! names mapped in the config, droppable rows dropped and counted, a
//! configured CSV separator, and tiers pandas wrote as floats.

use polars::prelude::*;

use crate::small_inputs::*;
use crate::util::Workdir;

#[test]
fn valid_small_input_succeeds() {
    let wd = Workdir::new("valid");
    let out = csv_run(&wd, SMALL_ACCOUNTS, small_deals("")).run();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(wd.path("run/report.json").exists());
}

#[test]
fn mapped_crm_stage_names_are_accepted() {
    let wd = Workdir::new("mapped");
    let deals = small_deals("")
        .replace(",won,", ",Closed Won,")
        .replace(",lost,", ",Closed Lost,")
        .replace(",open,", ",Engaging,");
    let config = "[deals.outcomes]\n\"Closed Won\" = \"won\"\n\"Closed Lost\" = \"lost\"\nEngaging = \"open\"\n";
    wd.write("config.toml", config);
    let out = csv_run(&wd, SMALL_ACCOUNTS, deals)
        .args(&["--config", "config.toml"])
        .run();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = wd.read_json("run/report.json");
    assert_eq!(r["data_quality"]["deals_used"], 16);
}

#[test]
fn droppable_rows_are_dropped_counted_and_reported() {
    let wd = Workdir::new("drops");
    let extra = "x1,zz,2026-01-05,2026-02-01,won,10\nx2,a1,2026-03-05,2026-02-01,lost,10\nx3,a2,2026-01-05,2026-02-01,won,-5\n";
    let out = csv_run(&wd, SMALL_ACCOUNTS, small_deals(extra)).run();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
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
fn a_semicolon_csv_is_read_with_the_configured_separator() {
    let wd = Workdir::new("semicolon-configured");
    wd.write("config.toml", "[accounts]\ncsv_separator = \";\"\n");
    let out = csv_run(&wd, accounts_csv(40).replace(',', ";"), deals_csv(40))
        .args(&["--config", "config.toml"])
        .run();
    assert_succeeds(&wd, &out);
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
    let run = wd.discover_files("accounts.parquet", "deals.csv", "run");
    let out = run.run();
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
    let rejection = naming("accounts.parquet").column("tier").value("2.5");
    assert_rejected(&wd, &run.run(), &rejection);
}
