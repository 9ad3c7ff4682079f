//! Each segment as the report gives it: its share of accounts, the outcomes
//! of its deals and their lift over all deals, what sets it apart, and how
//! its accounts stand on the features that are described, not clustered on.

use serde::Serialize;

use super::describe::{describe, distinctions, Description, Distinction};
use super::name::{make_names_unique, name};
use crate::features::{FeatureColumn, Gate, Role};
use crate::io::contract::Deals;
use crate::outcomes::{figures, group_deals, FigureOptions, OutcomeFigures};

#[derive(Debug, Clone, Serialize)]
pub struct SegmentReport {
    /// 1-based, by size (largest first).
    pub id: u32,
    pub name: String,
    /// Share of all accounts (0–1).
    pub share: f64,
    pub outcomes: OutcomeFigures,
    /// Win rate over the win rate of all closed deals.
    pub lift: Option<f64>,
    /// What sets it apart, on fit features (all features when none is fit).
    pub distinguishing: Vec<Distinction>,
    /// Its buying signals, described (not clustered on).
    pub signals: Vec<Description>,
    /// Its relationship features, described (not clustered on).
    pub relationships: Vec<Description>,
}

/// What the segments' reports are built from.
pub struct SegmentInputs<'a> {
    pub features: &'a [FeatureColumn],
    /// Which features segments are drawn on and described by.
    pub gate: &'a Gate,
    /// Each account's segment (0-based), of `k`.
    pub labels: &'a [usize],
    pub k: usize,
    pub deals: &'a Deals,
    /// The figures of all deals: a segment's lift is over their win rate.
    pub overall: &'a OutcomeFigures,
    pub opts: &'a FigureOptions,
    /// Each segment's id.
    pub ids: &'a [u32],
    /// Per segment, the name kept from a previous run, if any; the others
    /// are named from their distinctions.
    pub kept_names: Option<&'a [Option<String>]>,
    /// With the core ICP carved out as the last segment, its name, which
    /// that segment takes whatever its distinctions say.
    pub carved_name: Option<String>,
}

/// Every segment's report, in segment order.
pub fn reports(s: &SegmentInputs) -> Vec<SegmentReport> {
    let (k, labels, features) = (s.k, s.labels, s.features);
    let seg_of: Vec<Option<usize>> = labels.iter().map(|&l| Some(l)).collect();
    let seg_deals = group_deals(s.deals, &seg_of, k);
    let mut seg_accounts = vec![0u64; k];
    for &l in labels {
        seg_accounts[l] += 1;
    }
    let distinctions = distinctions(s.gate, features, labels, k);
    let described = |role: Role| describe(s.gate, features, labels, k, role);
    let (signals, relationships) = (described(Role::Signal), described(Role::Relationship));
    let names = names(s, &distinctions);
    // Each segment's figures read its deals alone: two at a time.
    let each: Vec<usize> = (0..k).collect();
    let outcomes = crate::parallel::map_on_two_threads(&each, |&g| {
        figures(s.deals, &seg_deals[g], seg_accounts[g], s.opts)
    });
    (0..k)
        .zip(names)
        .zip(outcomes)
        .map(|((g, name), o)| {
            let lift = match (o.win_rate, s.overall.win_rate) {
                (Some(w), Some(all)) if all > 0.0 => Some(w / all),
                _ => None,
            };
            SegmentReport {
                id: s.ids[g],
                name,
                share: seg_accounts[g] as f64 / labels.len() as f64,
                outcomes: o,
                lift,
                distinguishing: distinctions[g].clone(),
                signals: signals[g].clone(),
                relationships: relationships[g].clone(),
            }
        })
        .collect()
}

/// Each segment's name: kept from a previous run or drawn from its
/// distinctions, made unique, and the carved core ICP segment's last.
fn names(s: &SegmentInputs, distinctions: &[Vec<Distinction>]) -> Vec<String> {
    let mut names: Vec<String> = (0..s.k)
        .map(|g| {
            (s.kept_names)
                .and_then(|kept| kept[g].clone())
                .unwrap_or_else(|| name(&distinctions[g], s.features))
        })
        .collect();
    make_names_unique(&mut names, s.ids);
    if let (Some(carved), Some(last)) = (&s.carved_name, names.last_mut()) {
        carved.clone_into(last);
    }
    names
}
