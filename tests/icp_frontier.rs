//! Issue #18: the ICP and the segments are built on who the account is.
//! On both generated structures, with roles declared, "in ICP" (the core
//! ICP) recovers the planted fit group, no criterion uses a signal or a
//! relationship, the best segment holds the fit group at least twice as
//! densely as all accounts do, and out of time (fitted before the held-out
//! quarter, judged on deals created in it) ICP accounts win more often.

use abm_segments::generate::{generate, GenerateParams, Structure};
use serde_json::Value;

use crate::util::{bools, read_parquet, Workdir};

/// The roles declared. `csm_assigned` is set after a win (post-outcome):
/// finding such leaks is not under test here, so it is left out.
const ROLES: &str = "[accounts.roles]\n\
    signal = [\"intent_score\", \"web_visits_90d\"]\n\
    relationship = [\"exec_relationship\", \"known_contacts\"]\n\
    ignore = [\"csm_assigned\"]\n";

/// Generate `accounts` accounts of `structure` with `seed`, run `discover`
/// with the roles declared, and return the report, the planted fit group
/// per account and the run's `accounts_scored.parquet`.
fn run(
    structure: Structure,
    flag: &str,
    seed: u64,
    accounts: usize,
) -> (Value, Vec<bool>, polars::prelude::DataFrame) {
    let wd = Workdir::new(&format!("icp-frontier-{flag}"));
    let truth = generate(&GenerateParams {
        accounts,
        seed,
        structure,
        ..GenerateParams::default()
    })
    .unwrap()
    .fit_group;
    wd.ok(&[
        "generate",
        "--out",
        "in",
        "--seed",
        &seed.to_string(),
        "--accounts",
        &accounts.to_string(),
        "--structure",
        flag,
        "--format",
        "parquet",
        "-q",
    ]);
    wd.write("roles.toml", ROLES);
    let report = wd
        .discover("in", "run")
        .args(&["--config", "roles.toml"])
        .report();
    let scored = read_parquet(&wd.path("run/accounts_scored.parquet"));
    (report, truth, scored)
}

/// Each feature's name and role as the report lists them.
fn roles(r: &Value) -> Vec<(String, String)> {
    (r["data_quality"]["features_used"].as_array().unwrap())
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["role"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// "In ICP" is the planted fit group, no criterion is on a signal or a
/// relationship, and out of time the ICP wins more often than the rest.
fn check_icp(flag: &str, (r, truth, scored): (&Value, &[bool], &polars::prelude::DataFrame)) {
    let in_icp = bools(scored, "in_icp");
    assert_eq!(in_icp.len(), truth.len());
    let both = (in_icp.iter().zip(truth))
        .filter(|(a, b)| **a && **b)
        .count() as f64;
    let precision = both / in_icp.iter().filter(|&&x| x).count().max(1) as f64;
    let recall = both / truth.iter().filter(|&&x| x).count().max(1) as f64;
    let icp = &r["icp"];
    eprintln!(
        "structure {flag}: core ICP {} — precision {precision:.3}, recall {recall:.3}; broad ICP {}",
        icp["core"]["text"], icp["broad"]["text"]
    );
    assert!(
        precision >= 0.8 && recall >= 0.8,
        "structure {flag}: precision {precision:.3}, recall {recall:.3}, core {}",
        icp["core"]["text"]
    );

    // No criterion, core, broad or disqualifying, is on a signal or a relationship.
    let roles = roles(r);
    for list in ["qualifying", "disqualifying", "broad_qualifying"] {
        for c in icp[list].as_array().unwrap() {
            let feature = c["rule"]["feature"].as_str().unwrap();
            let role = &roles.iter().find(|(n, _)| n == feature).unwrap().1;
            assert_eq!(
                role, "fit",
                "structure {flag}: {list} criterion {}",
                c["text"]
            );
            assert!(
                !c["text"].as_str().unwrap().contains("{other"),
                "{}",
                c["text"]
            );
        }
    }
    assert!(!icp["broad_qualifying"].as_array().unwrap().is_empty());

    // Out of time: on deals created in the held-out quarter, which the
    // rules were not learned on, ICP accounts win more often than the rest.
    let (inside, outside) = (&icp["core"]["held_out"], &icp["core"]["outside_held_out"]);
    let (wi, wo) = (
        inside["win_rate"].as_f64().unwrap(),
        outside["win_rate"].as_f64().unwrap(),
    );
    eprintln!(
        "structure {flag}: held out, ICP wins {wi:.3} of {} closed deals, the rest {wo:.3} of {}",
        inside["closed_deals"], outside["closed_deals"]
    );
    assert!(inside["closed_deals"].as_u64().unwrap() >= 20, "{inside}");
    assert!(wi > wo, "structure {flag}: held out ICP {wi} vs rest {wo}");
    for q in icp["qualifying"].as_array().unwrap() {
        assert!(q["held_out"]["closed_deals"].is_u64(), "{q}");
    }
}

/// The best segment (highest win rate) holds the fit group at least twice
/// as densely as all accounts do, and is told apart by fit features.
fn check_best_segment(
    flag: &str,
    (r, truth, scored): (&Value, &[bool], &polars::prelude::DataFrame),
) {
    let roles = roles(r);
    // The best segment (highest win rate) holds the fit group at least
    // twice as densely as all accounts do.
    let segments = r["segments"].as_array().unwrap();
    let best = (segments.iter())
        .max_by(|a, b| {
            let w = |s: &Value| s["outcomes"]["win_rate"].as_f64().unwrap_or(0.0);
            w(a).total_cmp(&w(b))
        })
        .unwrap();
    let id = best["id"].as_u64().unwrap() as u32;
    let seg: Vec<u32> = (scored
        .column("segment")
        .unwrap()
        .cast(&polars::prelude::DataType::UInt32))
    .unwrap()
    .u32()
    .unwrap()
    .iter()
    .map(|v| v.unwrap())
    .collect();
    let share = |rows: Vec<usize>| {
        rows.iter().filter(|&&i| truth[i]).count() as f64 / rows.len().max(1) as f64
    };
    let in_best = share((0..seg.len()).filter(|&i| seg[i] == id).collect());
    let overall = share((0..seg.len()).collect());
    eprintln!(
        "structure {flag}: best segment S{id} {} holds the fit group at {in_best:.3}, all accounts {overall:.3}",
        best["name"]
    );
    assert!(
        in_best >= 2.0 * overall,
        "structure {flag}: best segment {} has {in_best:.3} of the fit group vs {overall:.3} overall",
        best["name"]
    );
    // Signals and relationships are described per segment, not clustered on.
    let described: Vec<&str> = (best["signals"].as_array().unwrap().iter())
        .chain(best["relationships"].as_array().unwrap())
        .map(|d| d["feature"].as_str().unwrap())
        .collect();
    for f in [
        "intent_score",
        "web_visits_90d",
        "exec_relationship",
        "known_contacts",
    ] {
        assert!(described.contains(&f), "{f} not described: {described:?}");
    }
    for d in best["distinguishing"].as_array().unwrap() {
        let f = d["feature"].as_str().unwrap();
        assert_eq!(roles.iter().find(|(n, _)| n == f).unwrap().1, "fit", "{d}");
    }
}

#[test]
fn on_structure_a_the_icp_is_the_planted_fit_group_and_wins_more_out_of_time() {
    let (r, truth, scored) = run(Structure::A, "a", 181, 5_000);
    check_icp("a", (&r, &truth, &scored));
    check_best_segment("a", (&r, &truth, &scored));
}

/// In B the fit group is `region = EMEA AND industry in {Manufacturing,
/// Logistics} AND technologies has SAP`, and known contacts, which grow
/// with size, win more: a size band inside the group wins more too, but
/// only as its contacts predict, and the core ICP leaves it out.
#[test]
fn on_structure_b_the_icp_is_the_planted_fit_group_and_wins_more_out_of_time() {
    let (r, truth, scored) = run(Structure::B, "b", 182, 5_000);
    check_icp("b", (&r, &truth, &scored));
}

/// On B the silhouette chooses k = 2 (0.436, against 0.373 at k = 3), and
/// a segment holding half the accounts cannot hold a 4% group twice as
/// densely: B's group is an AND of three conditions none of which wins much
/// more on its own, so the outcome weights do not pull it apart. The core
/// ICP finds it, and as it wins more than the rest of its segments on
/// held-out deals, it is a segment of its own.
#[test]
fn on_structure_b_the_best_segment_holds_the_fit_group() {
    let (r, truth, scored) = run(Structure::B, "b", 182, 5_000);
    check_best_segment("b", (&r, &truth, &scored));
}
