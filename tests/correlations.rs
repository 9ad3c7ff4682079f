//! The correlation analysis on generated data with planted drivers.

use std::collections::BTreeMap;
use std::path::PathBuf;

use abm_segments::config::RawConfig;
use abm_segments::correlations::{analyse, Correlations, Thresholds};
use abm_segments::features::infer::{infer, InferOptions};
use abm_segments::generate::{generate, GenerateParams};
use abm_segments::io::contract::{self, Drops};
use abm_segments::io::read::{Format, InputFile, Table};

fn table(df: polars::prelude::DataFrame, name: &str) -> Table {
    Table {
        file: InputFile {
            path: name.into(),
            format: Format::Parquet,
            rows: df.height() as u64,
            sha256: String::new(),
            bytes: 0,
        },
        df,
        path: PathBuf::from(name),
    }
}

/// About 1,000,000 deals: 333,000 accounts with 3 deals each on average.
fn analysis_of_a_million_deals() -> Correlations {
    let g = generate(&GenerateParams {
        accounts: 333_000,
        deals_per_account: 3.0,
        seed: 21,
        as_of: "2026-09-30".into(),
    })
    .unwrap();
    assert!(g.deals.height() > 950_000, "{}", g.deals.height());
    let config = RawConfig::default().check(Default::default()).unwrap();
    let accounts = contract::accounts(table(g.accounts, "accounts"), &config).unwrap();
    let deals = contract::deals(
        table(g.deals, "deals"),
        &accounts,
        &config,
        &mut Drops::default(),
    )
    .unwrap();
    let kinds = BTreeMap::new();
    let (features, _) = infer(
        &accounts.features,
        &InferOptions {
            kinds: &kinds,
            list_separator: ";",
            file: &accounts.path,
        },
    )
    .unwrap();
    analyse(&features, accounts.len(), &deals, &Thresholds::default()).unwrap()
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
    let g = generate(&GenerateParams {
        accounts: 400,
        deals_per_account: 3.0,
        seed: 2,
        as_of: "2026-09-30".into(),
    })
    .unwrap();
    let config = RawConfig::default().check(Default::default()).unwrap();
    let accounts = contract::accounts(table(g.accounts, "accounts"), &config).unwrap();
    let deals = contract::deals(
        table(g.deals, "deals"),
        &accounts,
        &config,
        &mut Drops::default(),
    )
    .unwrap();
    let kinds = BTreeMap::new();
    let (features, _) = infer(
        &accounts.features,
        &InferOptions {
            kinds: &kinds,
            list_separator: ";",
            file: &accounts.path,
        },
    )
    .unwrap();
    let th = Thresholds {
        min_support: 10_000,
        ..Thresholds::default()
    };
    let c = analyse(&features, accounts.len(), &deals, &th).unwrap();
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
