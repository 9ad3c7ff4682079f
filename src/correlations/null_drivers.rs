//! Attributes that do nothing, deals clustered in accounts: a driver is
//! significant (q below `q_max`) in at most 5% of simulated books, over
//! several structures of account effects and deals per account; tested
//! deal by deal, the same books give one far more often. Issue 37, item 6.

use super::*;
use crate::features::testing::spec;
use crate::features::{Gate, Transform};
use crate::io::read::InputFile;
use crate::stats::association::benjamini_hochberg;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Books per structure: a rate of 5% against 10% is 1.6 standard errors
/// from the midpoint either way.
const DRAWS: usize = 200;

/// Accounts, deals per account, and how much accounts differ.
struct Structure {
    name: &'static str,
    accounts: usize,
    /// Deals of one account from a uniform draw in [0, 1).
    deals: fn(f64) -> usize,
    /// Spread of the accounts' log-odds of winning.
    sigma: f64,
    /// Spread of the accounts' log cycle length.
    pace: f64,
}

const STRUCTURES: [Structure; 4] = [
    Structure {
        name: "200 accounts, 1-8 deals, sd 1.0",
        accounts: 200,
        deals: |u| 1 + (u * 8.0) as usize,
        sigma: 1.0,
        pace: 0.5,
    },
    Structure {
        name: "120 accounts, log-uniform 1-30 deals, sd 1.5",
        accounts: 120,
        deals: |u| 30f64.powf(u) as usize,
        sigma: 1.5,
        pace: 0.8,
    },
    Structure {
        name: "60 accounts, 5-40 deals, sd 2.0",
        accounts: 60,
        deals: |u| 5 + (u * 36.0) as usize,
        sigma: 2.0,
        pace: 1.0,
    },
    Structure {
        name: "400 accounts, 1-3 deals, sd 0.5",
        accounts: 400,
        deals: |u| 1 + (u * 3.0) as usize,
        sigma: 0.5,
        pace: 0.3,
    },
];

fn normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    let (u, v): (f64, f64) = (rng.gen::<f64>().max(1e-300), rng.gen());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// Features drawn independently of everything: a sector of six unequal
/// levels, a flag, a skewed size.
fn features(rng: &mut Xoshiro256PlusPlus, n: usize) -> Vec<FeatureColumn> {
    let shares = [0.3, 0.2, 0.2, 0.15, 0.1, 0.05];
    let sector: Vec<u32> = (0..n)
        .map(|_| {
            let u: f64 = rng.gen();
            let mut acc = 0.0;
            shares
                .iter()
                .position(|s| {
                    acc += s;
                    u < acc
                })
                .unwrap_or(5) as u32
        })
        .collect();
    let levels = ["Energy", "Retail", "Health", "Finance", "Public", "Media"];
    let flag: Vec<f64> = (0..n)
        .map(|_| f64::from(u8::from(rng.gen_bool(0.3))))
        .collect();
    let size: Vec<f64> = (0..n).map(|_| (4.0 + 1.5 * normal(rng)).exp()).collect();
    vec![
        FeatureColumn {
            spec: spec(
                "sector",
                Transform::Categorical {
                    levels: levels.iter().map(|s| s.to_string()).collect(),
                    folded: vec![],
                },
            ),
            data: FeatureData::Categorical(sector),
        },
        FeatureColumn {
            spec: spec(
                "flag",
                Transform::Binary {
                    impute: 0.5,
                    missing_flag: false,
                },
            ),
            data: FeatureData::Binary(flag),
        },
        FeatureColumn {
            spec: spec(
                "size",
                Transform::Numeric {
                    log: true,
                    impute: 0.0,
                    center: 0.0,
                    scale: 1.0,
                    missing_flag: false,
                },
            ),
            data: FeatureData::Numeric(size),
        },
    ]
}

/// Deals created over two years; each account wins at its own rate and
/// closes at its own pace, losses faster than wins; deals still running
/// at the as-of date are open.
fn deals(s: &Structure, rng: &mut Xoshiro256PlusPlus) -> Deals {
    let as_of = 730;
    let mut d = Deals {
        account: vec![],
        created: vec![],
        closed: vec![],
        outcome: vec![],
        amount: vec![],
        as_of,
        file: InputFile::in_memory("simulated", 0),
    };
    for a in 0..s.accounts {
        let p = 1.0 / (1.0 + (-(-1.0 + s.sigma * normal(rng))).exp());
        let pace = (s.pace * normal(rng)).exp();
        for _ in 0..(s.deals)(rng.gen()).max(1) {
            let created = rng.gen_range(0..as_of);
            let won = rng.gen_bool(p);
            let mean = if won { 90.0 } else { 45.0 } * pace;
            let days = (-mean * rng.gen::<f64>().max(1e-300).ln()).round() as i32 + 1;
            let end = created + days;
            d.account.push(a as u32);
            d.created.push(created);
            d.closed.push(end.min(as_of));
            d.outcome.push(match (end > as_of, won) {
                (true, _) => OutcomeLabel::Open,
                (false, true) => OutcomeLabel::Won,
                (false, false) => OutcomeLabel::Lost,
            });
            d.amount.push(f64::NAN);
        }
    }
    d.file.rows = d.len() as u64;
    d
}

/// Every finding of a run, with whether it has the support a level's
/// finding needs (`min_support` closed deals).
fn findings(c: &Correlations) -> Vec<(&Finding, bool)> {
    let f =
        (c.features.iter()).flat_map(|f| [&f.win, &f.win_accounts, &f.speed].map(|x| (x, true)));
    let l = c.levels.iter().flat_map(|l| {
        let supported = l.closed_deals >= c.thresholds.min_support;
        [&l.win, &l.win_accounts, &l.speed].map(|x| (x, supported))
    });
    f.chain(l)
        .filter_map(|(x, s)| x.as_ref().map(|x| (x, s)))
        .collect()
}

/// Whether Benjamini–Hochberg q-values over the run's deal-by-deal
/// p-values (each finding's plain test) put a supported one below `q_max`.
fn significant_deal_by_deal(c: &Correlations) -> bool {
    let all = findings(c);
    let p: Vec<f64> = (all.iter())
        .map(|(x, _)| x.p_value_unclustered.unwrap_or(x.p_value))
        .collect();
    (benjamini_hochberg(&p).iter().zip(&all)).any(|(q, (_, s))| *q < c.thresholds.q_max && *s)
}

/// Over `DRAWS` books of `s`: the share with a significant driver, and the
/// share with one deal by deal.
fn rates(s: &Structure, seed: u64) -> (f64, f64) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let (mut clustered, mut plain) = (0usize, 0usize);
    for _ in 0..DRAWS {
        let f = features(&mut rng, s.accounts);
        let d = deals(s, &mut rng);
        let c = analyse(
            &f,
            &Gate::new(&f, []),
            s.accounts,
            &d,
            &Thresholds::default(),
        )
        .unwrap();
        clustered += usize::from(findings(&c).iter().any(|(x, _)| x.significant));
        plain += usize::from(significant_deal_by_deal(&c));
    }
    let share = |k: usize| k as f64 / DRAWS as f64;
    (share(clustered), share(plain))
}

#[test]
fn attributes_that_do_nothing_are_rarely_drivers_when_deals_cluster() {
    let mut plain_max: f64 = 0.0;
    for (k, s) in STRUCTURES.iter().enumerate() {
        let (clustered, plain) = rates(s, 670 + k as u64);
        println!(
            "{}: a significant driver in {:.1}% of books (deal by deal {:.1}%)",
            s.name,
            100.0 * clustered,
            100.0 * plain
        );
        assert!(clustered <= 0.075, "{}: {clustered}", s.name);
        plain_max = plain_max.max(plain);
    }
    // The books are ones where testing deal by deal goes wrong.
    assert!(plain_max > 0.2, "{plain_max}");
}
