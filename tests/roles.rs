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
