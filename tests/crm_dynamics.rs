//! The verdict and the drivers keep their error rates under how CRMs behave:
//! a tier whose deals close slowly, a tier of a few accounts that win or
//! lose everything, and attributes that do nothing while deals cluster in
//! accounts. Seeded simulations of 200 data sets each, run in-process
//! through the library, with enough draws to tell 5% from 10%. See: issue 37.

use abm_segments::domain::OutcomeLabel;
use abm_segments::io::contract::Deals;
use abm_segments::outcomes::FigureOptions;
use abm_segments::verdict::{
    current_tiers, inverted, parse_quarter, ComparisonBasis, DayRange, PairVerdict,
};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::verdict_sim::{normal, true_rate};

const DRAWS: usize = 200;

/// The account log-odds mean that gives a deal win rate of `rate` with
/// account spread `sigma` (bisection on the logit-normal mean).
fn mu_for(rate: f64, sigma: f64) -> f64 {
    let (mut lo, mut hi) = (-8.0, 8.0);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if true_rate(mid, sigma) < rate {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Days with an Erlang distribution of shape 2 and this mean.
fn erlang2(rng: &mut Xoshiro256PlusPlus, mean: f64) -> f64 {
    let e = |rng: &mut Xoshiro256PlusPlus| -(rng.gen::<f64>().max(1e-300)).ln();
    mean / 2.0 * (e(rng) + e(rng))
}

fn deals_from(
    account: Vec<u32>,
    created: Vec<i32>,
    closed: Vec<i32>,
    outcome: Vec<OutcomeLabel>,
    as_of: i32,
) -> Deals {
    Deals::in_memory(account, created, closed, outcome, as_of)
}

/// A tier's accounts, deal win rate and cycles.
#[derive(Clone, Copy)]
struct TierSpec {
    accounts: usize,
    rate: f64,
    /// Mean days from creation to a win.
    win_days: f64,
    /// Mean days from creation to a loss.
    loss_days: f64,
}

/// A book of business over two years, judged [`JUDGED_AFTER`] days after
/// the end of 2026Q2.
#[derive(Clone, Copy)]
struct Book {
    name: &'static str,
    tiers: [TierSpec; 2],
    /// Spread of the accounts' log-odds of winning.
    sigma: f64,
    /// Deals of one account, from a uniform draw in [0, 1).
    deals: fn(f64) -> u64,
}

fn uniform_1_8(u: f64) -> u64 {
    1 + (u * 8.0) as u64
}

fn skewed_1_20(u: f64) -> u64 {
    (20f64.powf(u)).floor() as u64
}

const JUDGED_AFTER: i32 = 45;
const HISTORY_DAYS: f64 = 730.0;

fn quarter() -> DayRange {
    parse_quarter("2026Q2").unwrap()
}

fn simulate(b: &Book, rng: &mut Xoshiro256PlusPlus) -> (Vec<Option<u8>>, Deals) {
    let q_end = quarter().to;
    let as_of = q_end + JUDGED_AFTER;
    let (mut tier, mut account, mut created, mut closed, mut outcome) =
        (vec![], vec![], vec![], vec![], vec![]);
    for (t, spec) in b.tiers.iter().enumerate() {
        let mu = mu_for(spec.rate, b.sigma);
        for _ in 0..spec.accounts {
            let a = tier.len() as u32;
            tier.push(Some(t as u8 + 1));
            let p = 1.0 / (1.0 + (-(mu + b.sigma * normal(rng))).exp());
            for _ in 0..(b.deals)(rng.gen()) {
                let c = q_end - (rng.gen::<f64>() * HISTORY_DAYS) as i32;
                let won = rng.gen::<f64>() < p;
                let mean = if won { spec.win_days } else { spec.loss_days };
                let end = c + erlang2(rng, mean).round().max(1.0) as i32;
                account.push(a);
                created.push(c);
                if end > as_of {
                    closed.push(as_of);
                    outcome.push(OutcomeLabel::Open);
                } else {
                    closed.push(end);
                    outcome.push(if won {
                        OutcomeLabel::Won
                    } else {
                        OutcomeLabel::Lost
                    });
                }
            }
        }
    }
    (tier, deals_from(account, created, closed, outcome, as_of))
}

/// How often, over `DRAWS` books, the verdict on the default window (every
/// deal, as `discover` and `validate` judge by default) and on the last
/// quarter (`validate --quarter 2026Q2`) is "inverted", and how often the
/// quarter is not yet comparable.
struct Rates {
    all_inverted: f64,
    quarter_inverted: f64,
    quarter_not_comparable: f64,
    /// Share of draws whose verdict on every deal was made on P(win ≤ H).
    all_on_horizon: f64,
}

fn run(b: &Book, seed: u64) -> Rates {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let opts = FigureOptions {
        horizons: vec![90],
        confidence: 0.95,
    };
    let (mut all, mut q_inv, mut q_not, mut on_h) = (0, 0, 0, 0);
    for _ in 0..DRAWS {
        let (tier, deals) = simulate(b, &mut rng);
        let everything = DayRange {
            from: deals.created.iter().copied().min().unwrap(),
            to: deals.as_of,
        };
        let ct = current_tiers(&tier, &deals, everything, "all deals", &opts, None);
        all += usize::from(inverted(&ct));
        on_h += usize::from(ct.comparisons[0].basis == ComparisonBasis::WinWithinHorizon);
        let qt = current_tiers(&tier, &deals, quarter(), "2026Q2", &opts, None);
        q_inv += usize::from(inverted(&qt));
        q_not += usize::from(qt.comparisons[0].verdict == PairVerdict::NotYetComparable);
    }
    let share = |k: usize| k as f64 / DRAWS as f64;
    Rates {
        all_inverted: share(all),
        quarter_inverted: share(q_inv),
        quarter_not_comparable: share(q_not),
        all_on_horizon: share(on_h),
    }
}

/// Tier 1 at `r1` with 150-day wins, Tier 2 at `r2` with 45-day wins;
/// losses as fast as wins (`loss` 1) or three times faster (`loss` 3).
const fn slow_tier(
    name: &'static str,
    r1: f64,
    r2: f64,
    loss: f64,
    accounts: [usize; 2],
    sigma: f64,
    deals: fn(f64) -> u64,
) -> Book {
    Book {
        name,
        tiers: [
            TierSpec {
                accounts: accounts[0],
                rate: r1,
                win_days: 150.0,
                loss_days: 150.0 / loss,
            },
            TierSpec {
                accounts: accounts[1],
                rate: r2,
                win_days: 45.0,
                loss_days: 45.0 / loss,
            },
        ],
        sigma,
        deals,
    }
}

const SLOW_TIER: [Book; 3] = [
    slow_tier(
        "losses as fast as wins, 100/300 accounts, 1-8 deals, sd 0.8",
        0.35,
        0.25,
        1.0,
        [100, 300],
        0.8,
        uniform_1_8,
    ),
    slow_tier(
        "losses 3x faster, 100/300 accounts, 1-8 deals, sd 0.8",
        0.35,
        0.25,
        3.0,
        [100, 300],
        0.8,
        uniform_1_8,
    ),
    slow_tier(
        "losses 3x faster, 150/400 accounts, log-uniform 1-20 deals, sd 1.2",
        0.35,
        0.25,
        3.0,
        [150, 400],
        1.2,
        skewed_1_20,
    ),
];

/// Issue 37, item 1: Tier 1 wins 35% in about 150 days, Tier 2 25% in
/// about 45; judged 45 days after the quarter ends. Won / closed called
/// Tier 1 worse in 135 of 200 such books.
#[test]
fn a_slow_tier_that_wins_more_is_not_called_inverted() {
    for (k, b) in SLOW_TIER.iter().enumerate() {
        let r = run(b, 370 + k as u64);
        println!(
            "{}: inverted on every deal {:.1}%, on the last quarter {:.1}% (not yet comparable {:.1}%); P(win ≤ H) basis {:.1}%",
            b.name,
            100.0 * r.all_inverted,
            100.0 * r.quarter_inverted,
            100.0 * r.quarter_not_comparable,
            100.0 * r.all_on_horizon
        );
        assert!(r.all_inverted <= 0.05, "{}: {}", b.name, r.all_inverted);
        assert!(
            r.quarter_inverted <= 0.05,
            "{}: {}",
            b.name,
            r.quarter_inverted
        );
        assert!(r.all_on_horizon == 1.0, "{}: {}", b.name, r.all_on_horizon);
    }
}

/// The same sizes inverted for real: Tier 1 wins 25% in about 150 days,
/// Tier 2 35% in about 45. The verdict on every deal catches it in at
/// least 80% of books; the last quarter alone is too young to judge, and
/// says so rather than guessing.
#[test]
fn a_real_inversion_of_the_same_sizes_is_caught() {
    for (k, b) in SLOW_TIER.iter().enumerate() {
        let mut b = *b;
        b.tiers[0].rate = 0.25;
        b.tiers[1].rate = 0.35;
        let r = run(&b, 470 + k as u64);
        println!(
            "{} (inverted): caught on every deal {:.1}%, on the last quarter {:.1}% (not yet comparable {:.1}%)",
            b.name,
            100.0 * r.all_inverted,
            100.0 * r.quarter_inverted,
            100.0 * r.quarter_not_comparable
        );
        assert!(r.all_inverted >= 0.80, "{}: {}", b.name, r.all_inverted);
        assert!(
            r.quarter_not_comparable >= 0.95,
            "{}: {}",
            b.name,
            r.quarter_not_comparable
        );
    }
}

/// Tier 1 of a few accounts with many deals each, Tier 2 of 150 accounts
/// with 1–10, the same deal win rate, every deal closed.
struct FewAccounts {
    name: &'static str,
    tier1_accounts: usize,
    /// Deals of a Tier 1 account, uniform in this range.
    tier1_deals: (u64, u64),
    rate: f64,
    sigma: f64,
}

const FEW_ACCOUNTS: [FewAccounts; 7] = [
    FewAccounts {
        name: "15 accounts, 2-40 deals, 30%, sd 1.2",
        tier1_accounts: 15,
        tier1_deals: (2, 40),
        rate: 0.3,
        sigma: 1.2,
    },
    FewAccounts {
        name: "20 accounts, 1-30 deals, 25%, sd 1.5",
        tier1_accounts: 20,
        tier1_deals: (1, 30),
        rate: 0.25,
        sigma: 1.5,
    },
    FewAccounts {
        name: "3 accounts, 4-16 deals, 30%, sd 1.5",
        tier1_accounts: 3,
        tier1_deals: (4, 16),
        rate: 0.3,
        sigma: 1.5,
    },
    FewAccounts {
        name: "5 accounts, 5-30 deals, 30%, sd 1.0",
        tier1_accounts: 5,
        tier1_deals: (5, 30),
        rate: 0.3,
        sigma: 1.0,
    },
    FewAccounts {
        name: "8 accounts, 5-30 deals, 20%, sd 1.5",
        tier1_accounts: 8,
        tier1_deals: (5, 30),
        rate: 0.2,
        sigma: 1.5,
    },
    FewAccounts {
        name: "12 accounts, 2-20 deals, 30%, sd 1.0",
        tier1_accounts: 12,
        tier1_deals: (2, 20),
        rate: 0.3,
        sigma: 1.0,
    },
    FewAccounts {
        name: "4 accounts, 8 deals, 10%, sd 2.5",
        tier1_accounts: 4,
        tier1_deals: (8, 8),
        rate: 0.1,
        sigma: 2.5,
    },
];

fn few_accounts_book(s: &FewAccounts, rng: &mut Xoshiro256PlusPlus) -> (Vec<Option<u8>>, Deals) {
    let mu = mu_for(s.rate, s.sigma);
    let (mut tier, mut account, mut outcome) = (vec![], vec![], vec![]);
    for (t, n) in [(1u8, s.tier1_accounts), (2, 150)] {
        for _ in 0..n {
            let a = tier.len() as u32;
            tier.push(Some(t));
            let p = 1.0 / (1.0 + (-(mu + s.sigma * normal(rng))).exp());
            let (lo, hi) = if t == 1 { s.tier1_deals } else { (1, 10) };
            for _ in 0..rng.gen_range(lo..=hi) {
                account.push(a);
                outcome.push(if rng.gen::<f64>() < p {
                    OutcomeLabel::Won
                } else {
                    OutcomeLabel::Lost
                });
            }
        }
    }
    let n = account.len();
    (
        tier,
        deals_from(account, vec![0; n], vec![30; n], outcome, 90),
    )
}

/// Over `DRAWS` books: the share with a significant verdict (either way)
/// and the share called inverted.
fn few_accounts_rates(s: &FewAccounts, seed: u64) -> (f64, f64) {
    let opts = FigureOptions {
        horizons: vec![],
        confidence: 0.95,
    };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let (mut significant, mut inv) = (0usize, 0usize);
    for _ in 0..DRAWS {
        let (tier, deals) = few_accounts_book(s, &mut rng);
        let ct = current_tiers(
            &tier,
            &deals,
            DayRange { from: 0, to: 90 },
            "all",
            &opts,
            None,
        );
        let v = ct.comparisons[0].verdict;
        significant += usize::from(matches!(v, PairVerdict::InOrder | PairVerdict::Inverted));
        inv += usize::from(inverted(&ct));
    }
    let share = |k: usize| k as f64 / DRAWS as f64;
    (share(significant), share(inv))
}

/// Issue 37, item 2: a handful of Tier 1 accounts, each winning or losing
/// most of its deals, are a handful of observations. Equal true rates: the
/// verdict is significant (either way) in at most 7.5% of 200 books, the
/// midpoint that tells a 5% error rate from 10%.
#[test]
fn a_few_accounts_with_many_deals_are_a_few_observations() {
    for (k, s) in FEW_ACCOUNTS.iter().enumerate() {
        let (significant, inv) = few_accounts_rates(s, 570 + k as u64);
        println!(
            "{}: significant {:.1}%, inverted {:.1}%",
            s.name,
            100.0 * significant,
            100.0 * inv
        );
        assert!(significant <= 0.075, "{}: {significant}", s.name);
    }
}
