//! Intervals that allow for deals clustered in accounts, against seeded
//! simulations with account random effects.

use abm_segments::stats::auc::roc_auc_clustered;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;

use crate::speed::normal;

/// An account's fit score (standard normal) and win probability: logit
/// `logit(0.3) + score + 1.2·u` with `u` a standard normal account effect.
fn account(rng: &mut Xoshiro256Plus) -> (f64, f64) {
    let score = normal(rng);
    let logit = (0.3f64 / 0.7).ln() + score + 1.2 * normal(rng);
    (score, 1.0 / (1.0 + (-logit).exp()))
}

/// The AUC of the score over the population of deals: a won deal's account
/// is weighted by p, a lost one's by 1 - p (deal counts do not depend on
/// the effects). Scores are continuous, so there are no ties.
fn true_auc(rng: &mut Xoshiro256Plus, draws: usize) -> f64 {
    let mut a: Vec<(f64, f64)> = (0..draws).map(|_| account(rng)).collect();
    a.sort_by(|x, y| x.0.total_cmp(&y.0));
    let (mut lost_below, mut pairs) = (0.0, 0.0);
    for &(_, p) in &a {
        pairs += p * lost_below;
        lost_below += 1.0 - p;
    }
    let won: f64 = a.iter().map(|x| x.1).sum();
    pairs / (won * lost_below)
}

/// With a fit score shared by every deal of an account and an account
/// effect on winning (100 accounts, 1–30 closed deals each), the
/// cluster-robust 95% AUC interval covers the true AUC in at least 93% of
/// 200 seeded data sets, and DeLong's deal-by-deal interval in far fewer.
#[test]
fn clustered_auc_interval_keeps_its_coverage_where_delongs_does_not() {
    let truth = true_auc(&mut Xoshiro256Plus::seed_from_u64(30), 1_000_000);
    let mut rng = Xoshiro256Plus::seed_from_u64(31);
    let (runs, mut robust, mut plain) = (200, 0, 0);
    for _ in 0..runs {
        let (mut s, mut y, mut a) = (vec![], vec![], vec![]);
        for acc in 0..100 {
            let (score, p) = account(&mut rng);
            for _ in 0..rng.gen_range(1..=30) {
                s.push(score);
                y.push(rng.gen_bool(p));
                a.push(acc);
            }
        }
        let r = roc_auc_clustered(&s, &y, &a, 0.95).unwrap();
        let z = 1.959_963_984_540_054;
        let (lo, hi) = (
            r.auc - z * r.std_error_independent,
            r.auc + z * r.std_error_independent,
        );
        robust += usize::from(r.interval.lo <= truth && truth <= r.interval.hi);
        plain += usize::from(lo <= truth && truth <= hi);
    }
    let (robust, plain) = (robust as f64 / runs as f64, plain as f64 / runs as f64);
    eprintln!("true AUC {truth:.4}: coverage cluster-robust {robust:.3}, DeLong {plain:.3}");
    assert!(robust >= 0.93, "cluster-robust coverage {robust}");
    assert!(
        plain < 0.85,
        "DeLong coverage {plain} should fall short with clustering"
    );
}
