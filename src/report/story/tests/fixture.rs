//! A small [`Report`] built by hand, for the tests of what the review says.
//!
//! Three segments (the third the core ICP carved out as a segment of its
//! own), the current tiers judged (Tier 1 converts worse than Tier 2), a
//! recommended ICP without criteria listed, and every other section not
//! computed, each with its reason. The figures are made up but consistent:
//! win rates are won over closed deals, lifts are over the overall 29.3%.

use std::collections::BTreeMap;

use crate::cluster::KCandidate;
use crate::outcomes::{HorizonPoint, OutcomeFigures, TimeToWin, Velocity};
use crate::recommend::carve::{CoreIcpSegment, HeldOutSide};
use crate::recommend::{GroupFigures, IcpSection, RuleSetEvidence};
use crate::report::{
    ClusteringReport, CurrentTiers, DataQuality, IcpGap, Parameters, Report, RunInfo, Section,
    SegmentReport, TierComparison, TierFigures, Window,
};
use crate::segments::BestSegmentTest;
use crate::stats::conversion::Interval;
use crate::verdict::{ComparisonBasis, ComparisonTest, PairVerdict};

pub const TIERS_NOT_COMPUTED: &str = "no account is in the ICP";
pub const NO_PREVIOUS: &str = "no --previous run was given";
pub const ICP_RULE: &str = "technologies contains Marketo AND industry in {Fintech, SaaS}";

pub fn iv(lo: f64, hi: f64) -> Option<Interval> {
    Some(Interval { lo, hi })
}

/// A group's figures with `won` of `won + lost` closed deals won and no
/// interval or horizon; tests set those they read.
pub fn outcomes(accounts: u64, won: u64, lost: u64) -> OutcomeFigures {
    let closed = won + lost;
    let win_rate = (closed > 0).then(|| won as f64 / closed as f64);
    OutcomeFigures {
        accounts,
        deals: closed,
        won,
        lost,
        open: 0,
        win_rate,
        win_rate_interval: None,
        design_effect: Some(1.0),
        median_days_to_win_won_only: None,
        time_to_win: TimeToWin {
            horizons: vec![],
            curve: vec![],
            median_days_to_win: None,
            eventual_win_probability: None,
        },
        pipeline_value: 0.0,
        won_value: 0.0,
        velocity: Velocity {
            closed_deals: closed,
            win_rate,
            avg_won_amount: None,
            avg_cycle_days: None,
            deals_per_account_per_quarter: None,
            win_probability_90d: None,
            value_per_account_per_quarter: None,
        },
    }
}

/// `o` with P(win ≤ `days`) and its interval.
pub fn with_horizon(
    mut o: OutcomeFigures,
    days: u32,
    p: f64,
    i: Option<Interval>,
) -> OutcomeFigures {
    o.time_to_win.horizons.push(HorizonPoint {
        days,
        probability: p,
        interval: i,
        at_risk: 10,
        design_effect: 1.0,
    });
    o
}

/// One segment: its win rate's interval, P(win ≤ 90 d) with an interval,
/// lift and value per account per quarter.
struct Seg {
    id: u32,
    name: &'static str,
    accounts: u64,
    won: u64,
    lost: u64,
    interval: Option<Interval>,
    p90: f64,
    p90_interval: Option<Interval>,
    lift: f64,
    value: f64,
}

fn segment(s: Seg) -> SegmentReport {
    let mut o = with_horizon(
        outcomes(s.accounts, s.won, s.lost),
        90,
        s.p90,
        s.p90_interval,
    );
    o.win_rate_interval = s.interval;
    o.velocity.value_per_account_per_quarter = Some(s.value);
    SegmentReport {
        id: s.id,
        name: s.name.into(),
        share: s.accounts as f64 / 600.0,
        outcomes: o,
        lift: Some(s.lift),
        distinguishing: vec![],
        signals: vec![],
        relationships: vec![],
    }
}

fn segments() -> Vec<SegmentReport> {
    vec![
        segment(Seg {
            id: 1,
            name: "with HubSpot",
            accounts: 300,
            won: 60,
            lost: 240,
            interval: iv(0.170, 0.234),
            p90: 0.162,
            p90_interval: iv(0.130, 0.195),
            lift: 0.68,
            value: 786.0,
        }),
        segment(Seg {
            id: 2,
            name: "with Salesforce, without HubSpot, with SAP",
            accounts: 200,
            won: 66,
            lost: 134,
            interval: iv(0.281, 0.383),
            p90: 0.223,
            p90_interval: iv(0.180, 0.269),
            lift: 1.13,
            value: 3608.0,
        }),
        segment(Seg {
            id: 3,
            name: "core ICP: technologies contains Marketo AND industry in {Fintech, SaaS}",
            accounts: 100,
            won: 50,
            lost: 50,
            interval: iv(0.420, 0.580),
            p90: 0.445,
            p90_interval: iv(0.370, 0.520),
            lift: 1.70,
            value: 5118.0,
        }),
    ]
}

fn held_out_side(closed_deals: u64, won: u64) -> HeldOutSide {
    HeldOutSide {
        accounts: closed_deals,
        closed_deals,
        won,
        win_rate: won as f64 / closed_deals as f64,
        design_effect: 1.0,
    }
}

fn clustering() -> ClusteringReport {
    ClusteringReport {
        method: "k-means",
        k_considered: vec![2],
        candidates: vec![KCandidate {
            k: 2,
            silhouette: Some(0.37),
            inertia_per_account: 1.5,
            smallest_segment_share: 0.4,
            meets_min_size: true,
        }],
        k_chosen: 2,
        reason: "k = 2 has the highest silhouette".into(),
        seed: 42,
        n_runs: 4,
        fit_sample: 600,
        silhouette_sample: 600,
        best_segment: Some(BestSegmentTest {
            segment: 1,
            z: 3.1,
            p_value: 0.001,
            permutations: 999,
            seed: 42,
        }),
        core_icp_segment: Some(CoreIcpSegment {
            id: 3,
            criteria: ICP_RULE.into(),
            accounts: 100,
            carved_from: vec![2],
            held_out: held_out_side(86, 40),
            rest_held_out: held_out_side(40, 9),
            p_value: 0.0062,
            alpha: 0.05,
        }),
    }
}

fn window() -> Window {
    Window {
        label: "2026-Q3".into(),
        from: "2026-07-01".into(),
        to: "2026-09-30".into(),
    }
}

fn current_tiers() -> CurrentTiers {
    let tier = |t: u8, won: u64, lost: u64, p90: f64| TierFigures {
        tier: Some(t),
        outcomes: with_horizon(outcomes(30 * u64::from(t), won, lost), 90, p90, None),
    };
    let verdict = "Tier 1 converts worse than Tier 2: 10.0% vs 30.0% of closed deals won, \
                   70 and 200 deals from 30 and 60 accounts (difference -20.0 points)";
    CurrentTiers {
        verdict: verdict.into(),
        window: window(),
        tiers: vec![tier(1, 7, 63, 0.05), tier(2, 60, 140, 0.21)],
        comparisons: vec![TierComparison {
            higher: 1,
            lower: 2,
            difference: Some(-0.2),
            difference_interval: iv(-0.28, -0.12),
            difference_interval_confidence: Some(0.975),
            test: ComparisonTest::NewcombeClustered,
            p_value: Some(1.0e-4),
            p_value_holm: Some(2.09e-4),
            verdict: PairVerdict::Inverted,
            verdict_text: verdict.into(),
            minimum_detectable_difference: None,
            quarters_needed: None,
            basis: ComparisonBasis::ClosedDeals,
            basis_text: "Every deal of both tiers in this window has closed".into(),
            horizon_days: None,
            follow_up_needed_days: Some(120.0),
            on_basis: vec![],
            accounts_as_unit: false,
        }],
        icp_gap: IcpGap {
            untiered_won_deal_share: None,
            untiered_won_value_share: None,
            untiered_win_rate: None,
            tier3_win_rate: None,
            untiered_beats_tier3_p_value: None,
            outside_icp_won_deal_share: None,
            outside_icp_won_value_share: None,
            text: String::new(),
        },
        by_quarter: vec![],
        movement: None,
    }
}

fn group(accounts: u64, won: u64, closed: u64) -> GroupFigures {
    GroupFigures {
        accounts,
        closed_deals: closed,
        won,
        win_rate: Some(won as f64 / closed as f64),
        win_rate_interval: None,
        lift: None,
    }
}

fn icp() -> IcpSection {
    let rules = RuleSetEvidence {
        criteria: vec![
            "technologies contains Marketo".into(),
            "industry in {Fintech, SaaS}".into(),
        ],
        text: ICP_RULE.into(),
        accounts: 100,
        share_of_wins: Some(0.28),
        training: group(100, 52, 100),
        outside_training: group(500, 124, 500),
        held_out: None,
        outside_held_out: None,
    };
    IcpSection {
        method: "rules".into(),
        trained_on: window(),
        held_out_on: None,
        qualifying: vec![],
        disqualifying: vec![],
        in_icp_accounts: 100,
        in_icp: outcomes(100, 52, 48),
        outside_icp: outcomes(500, 124, 376),
        core: rules.clone(),
        broad: rules,
        broad_qualifying: vec![],
        found: true,
        not_found: None,
    }
}

fn data_quality() -> DataQuality {
    DataQuality {
        accounts_read: 600,
        deals_read: 1000,
        deals_used: 990,
        deals_dropped: BTreeMap::new(),
        deals_reopened_at_as_of: 0,
        deals_lost_as_stale: 0,
        accounts_without_deals: 10,
        features_used: vec![],
        features_skipped: vec![],
        encoded_columns: 12,
        features_as_of: "Features are as of the accounts file".into(),
        account_history: None,
        post_outcome: None,
        status_fields: vec![],
        warnings: vec![],
    }
}

fn run() -> RunInfo {
    RunInfo {
        tool: "abm-segments",
        tool_version: "0.0.0",
        started_at: String::new(),
        finished_at: String::new(),
        as_of: "2026-09-30".into(),
        seed: 42,
        parameters: Parameters {
            k_min: 2,
            k_max: 8,
            n_runs: 4,
            fit_sample: 600,
            silhouette_sample: 600,
            min_segment_share: 0.05,
            min_segment_accounts: 30,
            horizons_days: vec![30, 90, 180],
            confidence: 0.95,
            config_file: None,
        },
        inputs: BTreeMap::new(),
    }
}

/// The report described at the top of this file.
pub fn report() -> Report {
    Report {
        schema_version: crate::report::SCHEMA_VERSION,
        run: run(),
        headlines: vec![
            format!("{}.", current_tiers().verdict),
            "Best segment: S3 (core ICP) wins 50.0% of 100 closed deals.".into(),
        ],
        data_quality: data_quality(),
        clustering: clustering(),
        segments: segments(),
        speed: Section::not_computed("fewer than two segments have a won deal"),
        correlations: Section::not_computed("fewer than 30 closed deals"),
        icp: Section::Computed(icp()),
        tiers: Section::not_computed(TIERS_NOT_COMPUTED),
        current_tiers: Section::Computed(current_tiers()),
        stability: Section::not_computed(NO_PREVIOUS),
        drift: Section::not_computed(NO_PREVIOUS),
    }
}
