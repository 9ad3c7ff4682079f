//! Time to win with open deals censored (Aalen–Johansen) against the
//! generator's truth, and the `--as-of` date.

use abm_segments::generate::cycle_cdf;
use abm_segments::stats::survival::{aalen_johansen, Outcome};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;

use crate::util::Workdir;

/// Deals created uniformly over the 180 days before the as-of date, won with
/// probability 0.4, closing after an Erlang(2) cycle of mean 60 days; a deal
/// whose close would fall after the as-of date is open. The true probability
/// of a win within 90 days is 0.4 × F(90) with F the Erlang CDF.
#[test]
fn censoring_aware_probability_recovers_the_true_90_day_win_probability_and_the_naive_one_does_not()
{
    let mut rng = Xoshiro256Plus::seed_from_u64(3);
    let (p_win, mean, n) = (0.4, 60.0, 40_000);
    let mut durations = Vec::with_capacity(n);
    let mut outcomes = Vec::with_capacity(n);
    for _ in 0..n {
        let age = rng.gen_range(0..180) as f64;
        let t = -mean / 2.0
            * (rng.gen_range(f64::MIN_POSITIVE..1.0f64).ln()
                + rng.gen_range(f64::MIN_POSITIVE..1.0f64).ln());
        let t = t.round();
        let won = rng.gen_bool(p_win);
        if t > age {
            durations.push(age);
            outcomes.push(Outcome::Open);
        } else {
            durations.push(t);
            outcomes.push(if won { Outcome::Won } else { Outcome::Lost });
        }
    }
    // The generator rounds cycles to whole days: the truth is the CDF at 90.5.
    let truth = p_win * cycle_cdf(90.5, mean);
    let aj = aalen_johansen(&durations, &outcomes).unwrap().at(90.0);
    // Naive: among closed deals, the share won within 90 days.
    let closed: Vec<usize> = (0..n).filter(|&i| outcomes[i] != Outcome::Open).collect();
    let naive = closed
        .iter()
        .filter(|&&i| outcomes[i] == Outcome::Won && durations[i] <= 90.0)
        .count() as f64
        / closed.len() as f64;
    assert!(
        (aj.estimate - truth).abs() < 0.01,
        "Aalen–Johansen {:.4} vs truth {truth:.4}",
        aj.estimate
    );
    assert!(
        aj.interval.lo <= truth && truth <= aj.interval.hi,
        "truth {truth:.4} outside {:?}",
        aj.interval
    );
    assert!(
        (naive - truth).abs() > 0.03,
        "naive {naive:.4} should be biased away from truth {truth:.4}"
    );
}

#[test]
fn as_of_date_ignores_later_deals_and_reopens_later_closes() {
    let wd = Workdir::new("as-of");
    wd.generate("in", 4, 800, "parquet");
    wd.ok(&[
        "discover",
        "--accounts",
        "in/accounts.parquet",
        "--deals",
        "in/deals.parquet",
        "--out",
        "full",
        "-q",
    ]);
    wd.ok(&[
        "discover",
        "--accounts",
        "in/accounts.parquet",
        "--deals",
        "in/deals.parquet",
        "--out",
        "cut",
        "-q",
        "--as-of",
        "2026-03-31",
    ]);
    let full = wd.read_json("full/report.json");
    let cut = wd.read_json("cut/report.json");
    assert_eq!(full["run"]["as_of"], "2026-09-30");
    assert_eq!(cut["run"]["as_of"], "2026-03-31");
    let later = cut["data_quality"]["deals_dropped"]["created_after_as_of"]
        .as_u64()
        .unwrap();
    // Deals are created uniformly over two years: about a quarter fall after 2026-03-31.
    let used_full = full["data_quality"]["deals_used"].as_u64().unwrap();
    let used_cut = cut["data_quality"]["deals_used"].as_u64().unwrap();
    assert_eq!(used_full, used_cut + later);
    let share = later as f64 / used_full as f64;
    assert!((0.2..0.3).contains(&share), "{share}");
    assert!(
        cut["data_quality"]["deals_reopened_at_as_of"]
            .as_u64()
            .unwrap()
            > 0
    );
}
