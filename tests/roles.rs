//! Feature roles (#18): fit, signal or relationship, declared in
//! `[accounts.roles]` or inferred from the column's name, and shown in the
//! report so a wrong guess is visible.

use serde_json::Value;

use crate::util::{sample_dir, Workdir};

/// Feature name → (role, declared) from a report's `data_quality`.
fn roles(r: &Value) -> Vec<(String, String, bool)> {
    r["data_quality"]["features_used"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["role"].as_str().unwrap().to_string(),
                f["role_declared"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn role_of<'a>(roles: &'a [(String, String, bool)], name: &str) -> (&'a str, bool) {
    let (_, role, declared) = roles
        .iter()
        .find(|(n, _, _)| n == name)
        .unwrap_or_else(|| panic!("{name} is not a feature: {roles:?}"));
    (role, *declared)
}

#[test]
fn on_the_sample_intent_and_visits_are_signals_and_contacts_relationships() {
    let wd = Workdir::new("roles-inferred");
    let r = wd.discover(&sample_dir(), "run").report();
    let roles = roles(&r);
    for name in ["intent_score", "web_visits_90d"] {
        assert_eq!(role_of(&roles, name), ("signal", false), "{name}");
    }
    for name in ["exec_relationship", "known_contacts"] {
        assert_eq!(role_of(&roles, name), ("relationship", false), "{name}");
    }
    for name in [
        "industry",
        "employees",
        "annual_revenue",
        "region",
        "technologies",
    ] {
        assert_eq!(role_of(&roles, name), ("fit", false), "{name}");
    }
    let md = std::fs::read_to_string(wd.path("run/report.md")).unwrap();
    let line = md
        .lines()
        .find(|l| l.contains("feature roles:"))
        .expect("report.md lists the feature roles");
    assert!(
        line.contains("signal: intent_score, web_visits_90d")
            && line.contains("all inferred from column names"),
        "{line}"
    );
}

#[test]
fn declared_roles_win_over_names_and_ignore_drops_the_column() {
    let wd = Workdir::new("roles-declared");
    wd.write(
        "roles.toml",
        "[accounts.roles]\nsignal = [\"noise_score\"]\nfit = [\"known_contacts\"]\nignore = [\"region\"]\n",
    );
    let r = wd
        .discover(&sample_dir(), "run")
        .args(&["--config", "roles.toml"])
        .report();
    let roles = roles(&r);
    assert_eq!(role_of(&roles, "noise_score"), ("signal", true));
    assert_eq!(role_of(&roles, "known_contacts"), ("fit", true));
    assert_eq!(role_of(&roles, "intent_score"), ("signal", false));
    assert!(roles.iter().all(|(n, _, _)| n != "region"), "{roles:?}");
    let skipped = r["data_quality"]["features_skipped"].to_string();
    assert!(
        skipped.contains("region") && skipped.contains("role = ignore"),
        "{skipped}"
    );
    let md = std::fs::read_to_string(wd.path("run/report.md")).unwrap();
    assert!(
        md.contains("declared in [accounts.roles]: known_contacts, noise_score; the rest inferred"),
        "{md}"
    );
}

#[test]
fn a_column_under_two_roles_or_missing_is_a_config_error() {
    let wd = Workdir::new("roles-bad");
    let run = |config: &str| {
        wd.write("roles.toml", config);
        let out = wd
            .discover(&sample_dir(), "run")
            .loud()
            .args(&["--config", "roles.toml"])
            .run();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, err) =
        run("[accounts.roles]\nsignal = [\"intent_score\"]\nfit = [\"intent_score\"]\n");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("'intent_score' two roles"), "{err}");
    let (code, err) = run("[accounts.roles]\nsignal = [\"intent_scor\"]\n");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("[accounts.roles] names a column")
            && err.contains("did you mean 'intent_score'"),
        "{err}"
    );
    assert!(!wd.path("run").exists());
}

/// Structure A with two undeclared CRM statuses: `lifecycle_stage`
/// (customer for most accounts with a won deal, else prospect or churned)
/// and `account_type`, whose name says nothing but whose values are
/// customer / prospect / partner.
fn discover_with_statuses(wd: &Workdir, config: Option<&str>) -> Value {
    use polars::prelude::*;
    use rand::{Rng, SeedableRng};
    let g = abm_segments::generate::generate(&abm_segments::generate::GenerateParams {
        accounts: 3_000,
        deals_per_account: 3.0,
        seed: 5,
        as_of: "2026-09-30".into(),
        structure: abm_segments::generate::Structure::A,
    })
    .unwrap();
    let (mut a, mut d) = (g.accounts, g.deals);
    let won: std::collections::HashSet<String> = {
        let o = d.column("outcome").unwrap().str().unwrap();
        let acc = d.column("account_id").unwrap().str().unwrap();
        (o.iter().zip(acc.iter()))
            .filter(|(o, _)| *o == Some("won"))
            .filter_map(|(_, a)| a.map(str::to_string))
            .collect()
    };
    let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(9);
    let ids: Vec<String> = (a.column("account_id").unwrap().str().unwrap().iter())
        .map(|s| s.unwrap().to_string())
        .collect();
    let stage: Vec<&str> = (ids.iter())
        .map(|id| match (won.contains(id), rng.gen::<f64>()) {
            (true, u) if u < 0.8 => "customer",
            (_, u) if u < 0.85 => "prospect",
            _ => "churned",
        })
        .collect();
    let types = ["Customer", "Prospect", "Partner"];
    let kind: Vec<&str> = (0..ids.len()).map(|_| types[rng.gen_range(0..3)]).collect();
    a.with_column(Column::new("lifecycle_stage".into(), stage))
        .unwrap();
    a.with_column(Column::new("account_type".into(), kind))
        .unwrap();
    crate::util::discover_tables(wd, &mut a, &mut d, "run", config)
}

/// Undeclared CRM statuses, by name or by values, are read as relationship:
/// no ICP criterion and no segment rests on them, and the report asks for a
/// declaration, which then stands.
#[test]
fn crm_statuses_are_relationship_and_the_report_asks_for_a_declaration() {
    let wd = Workdir::new("roles-status");
    let r = discover_with_statuses(&wd, None);
    let got = roles(&r);
    assert_eq!(role_of(&got, "lifecycle_stage"), ("relationship", false));
    assert_eq!(role_of(&got, "account_type"), ("relationship", false));
    assert_eq!(role_of(&got, "industry"), ("fit", false));
    let asked: Vec<(&str, &str)> = (r["data_quality"]["status_fields"].as_array().unwrap())
        .iter()
        .map(|s| {
            (
                s["feature"].as_str().unwrap(),
                s["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert_eq!(asked[0], ("lifecycle_stage", "its name ends in `stage`"));
    assert_eq!(asked[1].0, "account_type");
    let values = asked[1].1;
    assert!(
        values.starts_with("its values are CRM statuses (")
            && ["Customer", "Prospect", "Partner"]
                .iter()
                .all(|v| values.contains(v)),
        "{values}"
    );
    let icp = r["icp"].to_string();
    assert!(
        !icp.contains("lifecycle_stage") && !icp.contains("account_type"),
        "{icp}"
    );
    let md = std::fs::read_to_string(wd.path("run/report.md")).unwrap();
    let line = (md.lines())
        .find(|l| l.contains("status: lifecycle_stage looks like a CRM status"))
        .unwrap_or_else(|| panic!("{md}"));
    assert!(
        line.contains("Declare its role in [accounts.roles]"),
        "{line}"
    );

    let r = discover_with_statuses(&wd, Some("[accounts.roles]\nfit = [\"account_type\"]\n"));
    assert_eq!(role_of(&roles(&r), "account_type"), ("fit", true));
    let asked = r["data_quality"]["status_fields"].to_string();
    assert!(
        asked.contains("lifecycle_stage") && !asked.contains("account_type"),
        "{asked}"
    );
}
