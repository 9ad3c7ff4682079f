//! The correlation analysis on generated data with planted drivers.

use abm_segments::correlations::{analyse, Correlations, Thresholds};
use abm_segments::features::Gate;

use crate::util::generated;

/// About 1,000,000 deals: 333,000 accounts with 3 deals each on average.
fn analysis_of_a_million_deals() -> Correlations {
    let g = generated(333_000, 21);
    assert!(g.deals.len() > 900_000, "{}", g.deals.len());
    analyse(
        &g.features,
        &Gate::new(&g.features, []),
        g.accounts.len(),
        &g.deals,
        &Thresholds::default(),
    )
    .unwrap()
}

#[test]
fn planted_drivers_are_found_and_ride_along_and_noise_features_are_not() {
    let c = analysis_of_a_million_deals();
    let level = |label: &str| {
        c.levels
            .iter()
            .find(|l| l.label == label)
            .unwrap_or_else(|| panic!("no level {label}"))
    };
    let feature = |name: &str| c.features.iter().find(|f| f.feature == name).unwrap();

    for label in [
        "industry = Fintech",
        "industry = SaaS",
        "technologies has Salesforce",
        "exec_relationship",
    ] {
        let l = level(label);
        let w = l.win.as_ref().unwrap();
        assert!(
            w.significant && w.material && l.lift.unwrap() > 1.2,
            "{label}: {l:?}"
        );
    }
    let intent = feature("intent_score").win.clone().unwrap();
    assert!(intent.material && intent.effect > 0.05, "{intent:?}");
    let gov = level("industry = Government");
    assert!(
        gov.win.as_ref().unwrap().material && gov.lift.unwrap() < 0.8,
        "{gov:?}"
    );

    // Snowflake is adopted by large accounts and has no effect of its own on
    // winning: with a million deals its p-value may be small, but it is not material.
    let snow = level("technologies has Snowflake");
    let w = snow.win.as_ref().unwrap();
    assert!(
        !w.material,
        "Snowflake reported as a material driver: {snow:?}"
    );
    assert!((0.8..1.2).contains(&snow.lift.unwrap()));

    // Pure noise is not significant.
    let noise = feature("noise_score").win.clone().unwrap();
    assert!(!noise.significant, "{noise:?}");

    // The drivers in words name the planted ones and not the rest.
    let text = c.drivers.winning_positive.join("\n");
    for needle in [
        "Salesforce",
        "Fintech",
        "SaaS",
        "intent_score",
        "exec_relationship",
    ] {
        assert!(
            text.contains(needle),
            "{needle} missing from drivers:\n{text}"
        );
    }
    assert!(c
        .drivers
        .winning_negative
        .iter()
        .any(|d| d.contains("Government")));
    let all = [
        c.drivers.winning_positive.clone(),
        c.drivers.winning_negative.clone(),
    ]
    .concat()
    .join("\n");
    assert!(
        !all.contains("Snowflake") && !all.contains("noise_score"),
        "{all}"
    );
}

#[test]
fn a_level_under_the_minimum_support_is_never_significant() {
    let g = generated(400, 2);
    let th = Thresholds {
        min_support: 10_000,
        ..Thresholds::default()
    };
    let c = analyse(
        &g.features,
        &Gate::new(&g.features, []),
        g.accounts.len(),
        &g.deals,
        &th,
    )
    .unwrap();
    assert!(c
        .levels
        .iter()
        .all(|l| l.win.as_ref().is_none_or(|w| !w.significant)));
    // And q-values are never below their p-values.
    for l in &c.levels {
        if let Some(w) = &l.win {
            assert!(w.q_value >= w.p_value - 1e-15);
        }
    }
}
