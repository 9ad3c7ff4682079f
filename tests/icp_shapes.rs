//! Issue #36: the ICP on shapes a single AND rule with open-ended ranges
//! cannot express, generated in process (`generate --structure
//! pockets|band|null`), with roles declared: nothing found where there is
//! nothing, and then no account in the ICP, no recommended tier and
//! nothing carved out.

use abm_segments::domain::OutcomeLabel;
use abm_segments::features::{FeatureColumn, Gate, Role};
use abm_segments::generate::{generate, GenerateParams, Structure};
use abm_segments::recommend::rules::{learn, Criteria, RuleOptions};
use abm_segments::recommend::{Recommendation, TierSizes};

use crate::util::{inputs, recommend_in_one_segment, Inputs};

/// Generated accounts of `structure` run through the contract and
/// inference, with the roles declared (intent and visits signals,
/// executive relationship and known contacts relationships), and the
/// planted pocket per account.
fn declared(structure: Structure, accounts: usize, seed: u64) -> (Inputs, Vec<Option<usize>>) {
    let g = generate(&GenerateParams {
        accounts,
        seed,
        structure,
        ..GenerateParams::default()
    })
    .unwrap();
    let mut i = inputs(g.accounts, g.deals);
    for f in &mut i.features {
        f.spec.role = match f.spec.name.as_str() {
            "intent_score" | "web_visits_90d" => Role::Signal,
            "exec_relationship" | "known_contacts" => Role::Relationship,
            _ => Role::Fit,
        };
        f.spec.role_declared = true;
    }
    (i, g.pocket)
}

/// `csm_assigned` is set at an account's first win (a post-outcome leak):
/// finding leaks is not under test here, so it is shut.
fn gate(features: &[FeatureColumn]) -> Gate {
    Gate::new(features, ["csm_assigned".to_string()])
}

/// Won and lost deals per account.
fn counts(i: &Inputs) -> (Vec<f64>, Vec<f64>) {
    let n = i.accounts.ids.len();
    let (mut won, mut lost) = (vec![0.0; n], vec![0.0; n]);
    for (&a, o) in i.deals.account.iter().zip(&i.deals.outcome) {
        match o {
            OutcomeLabel::Won => won[a as usize] += 1.0,
            OutcomeLabel::Lost => lost[a as usize] += 1.0,
            OutcomeLabel::Open => {}
        }
    }
    (won, lost)
}

fn learned(i: &Inputs) -> Criteria {
    let (won, lost) = counts(i);
    learn(
        &i.features,
        &won,
        &lost,
        None,
        &RuleOptions::default(),
        &gate(&i.features),
    )
}

/// `recommend` in process, with one k-means segment.
fn recommended(i: &Inputs) -> Recommendation {
    recommend_in_one_segment(
        &i.features,
        i.accounts.ids.len(),
        &i.deals,
        &TierSizes::default(),
        &RuleOptions::default(),
        &gate(&i.features),
    )
}

/// Null data (nothing of the accounts bears on winning, account effects):
/// no criterion at all — qualifying, broad or disqualifying — in at least
/// 95 of 100 seeds. 1,000 accounts with about 3 deals each per seed.
#[test]
fn on_null_data_no_criterion_is_found_in_at_least_95_of_100_seeds() {
    let mut found = Vec::new();
    for seed in 0..100u64 {
        let (i, pocket) = declared(Structure::Null, 1_000, 3_600 + seed);
        assert!(pocket.iter().all(Option::is_none));
        let c = learned(&i);
        if !(c.qualifying.is_empty() && c.broad.is_empty() && c.disqualifying.is_empty()) {
            found.push((seed, c));
        }
    }
    eprintln!(
        "null data: criteria in {} of 100 seeds: {found:?}",
        found.len()
    );
    assert!(found.len() <= 5, "{found:?}");
}

/// With no ICP found, no account is in the ICP or has a recommended tier,
/// nothing is carved out, and the report says so with the sample needed.
#[test]
fn with_no_icp_found_no_account_is_in_it_tiered_or_carved() {
    let (i, _) = declared(Structure::Null, 3_000, 36);
    let rec = recommended(&i);
    assert!(
        rec.model.criteria.qualifying.is_empty(),
        "{:?}",
        rec.model.criteria
    );
    assert!(!rec.icp.found);
    assert_eq!(rec.icp.in_icp_accounts, 0);
    assert!(rec.scores.in_icp.iter().all(|&x| !x));
    assert!(rec.scores.tier.iter().all(Option::is_none));
    assert!(rec.carve.as_ref().is_none_or(|c| !c.carves()));
    assert!(rec.carved(&vec![0; i.accounts.ids.len()], 1).is_none());
    let sentence = rec.icp.not_found.as_deref().unwrap();
    assert!(sentence.starts_with("No ICP found"), "{sentence}");
    assert!(
        sentence.contains("accounts with closed deals"),
        "{sentence}"
    );
    assert!(rec.tiers.tiers_note.is_some());
}

/// Precision and recall of `inside` against the accounts of `truth`.
fn precision_recall(inside: &[bool], truth: &[bool]) -> (f64, f64) {
    let both = (inside.iter().zip(truth))
        .filter(|(a, b)| **a && **b)
        .count() as f64;
    let chosen = inside.iter().filter(|&&x| x).count() as f64;
    let planted = truth.iter().filter(|&&x| x).count() as f64;
    (both / chosen.max(1.0), both / planted.max(1.0))
}

/// A band of employees closed on both sides (300–1,200, about a fifth of
/// accounts): the ICP finds both bounds, in ICP with precision at least
/// 0.95 and recall at least 0.9, on three seeds of 6,000 accounts.
#[test]
fn a_band_closed_on_both_sides_is_found_with_both_bounds() {
    for seed in [41, 42, 43] {
        let (i, pocket) = declared(Structure::Band, 6_000, seed);
        let c = learned(&i);
        let n = pocket.len();
        let truth: Vec<bool> = pocket.iter().map(Option::is_some).collect();
        let (p, r) = precision_recall(&c.in_icp(&i.features, n), &truth);
        let text: Vec<String> = c.qualifying.iter().map(|q| q.text(&i.features)).collect();
        eprintln!("band, seed {seed}: precision {p:.3}, recall {r:.3}: {text:?}");
        assert!(p >= 0.95 && r >= 0.9, "seed {seed}: {p:.3} {r:.3} {text:?}");
    }
}
