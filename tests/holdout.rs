//! The out-of-time validation's held-out window: chosen so its deals have
//! had time to close, and its figures read only its deals.

use abm_segments::domain::OutcomeLabel;
use abm_segments::outcomes::FigureOptions;
use abm_segments::recommend::rules::RuleOptions;
use abm_segments::recommend::{recommend, Context, FollowUpBasis, TierSizes};

use crate::util::generated;

/// The last day of the last full calendar quarter ending on or before `day`
/// (days since 1970-01-01), worked with chrono rather than the crate.
fn last_full_quarter_end(day: i32) -> (i32, i32) {
    use chrono::{Datelike, NaiveDate};
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    let d = epoch + chrono::Duration::days(i64::from(day));
    let next = d + chrono::Duration::days(1);
    // Quarter end: the day before the first day of a quarter.
    let quarter_start = |y: i32, q: u32| NaiveDate::from_ymd_opt(y, 3 * q + 1, 1).unwrap();
    let q = (d.month() - 1) / 3;
    let end = if next.day() == 1 && (next.month() - 1).is_multiple_of(3) {
        d
    } else {
        quarter_start(d.year(), q) - chrono::Duration::days(1)
    };
    let start = {
        let q = (end.month() - 1) / 3;
        quarter_start(end.year(), q)
    };
    let days = |x: NaiveDate| (x - epoch).num_days() as i32;
    (days(start), days(end))
}

#[test]
fn held_out_figures_use_only_the_chosen_window_with_full_follow_up() {
    let g = generated(3000, 5);
    let (features, deals) = (&g.features, &g.deals);
    let n = g.accounts.len();
    let matrix = abm_segments::features::encode(features, n);
    let d = matrix.columns.len();
    let (labels, centroids, weights) = (
        vec![0usize; n],
        ndarray::Array2::zeros((1, d)),
        vec![1.0; d],
    );
    let opts = FigureOptions {
        horizons: vec![30, 90, 180],
        confidence: 0.95,
    };
    let (sizes, rules) = (TierSizes::default(), RuleOptions::default());
    let rec = recommend(
        features,
        &matrix,
        deals,
        &Context {
            labels: &labels,
            centroids: &centroids,
            column_weights: &weights,
            opts: &opts,
            sizes: &sizes,
            rules: &rules,
            account_id_column: "account_id",
            accounts_sha256: "",
            gate: &abm_segments::features::Gate::new(features, []),
        },
    )
    .unwrap();
    let v = rec.tiers.validation.expect("validated");

    // The 90th percentile of won cycle length, by nearest rank.
    let mut won_days: Vec<i32> = (0..deals.len())
        .filter(|&i| deals.outcome[i] == OutcomeLabel::Won)
        .map(|i| deals.closed[i] - deals.created[i])
        .collect();
    won_days.sort_unstable();
    let p90 = won_days[(0.9 * won_days.len() as f64).ceil() as usize - 1];
    let (from, to) = last_full_quarter_end(deals.as_of - p90);
    let date = abm_segments::dates::format_date;
    assert_eq!(v.follow_up.basis, FollowUpBasis::Full);
    assert_eq!(v.follow_up.won_cycle_p90_days, Some(p90 as u32));
    assert_eq!(
        (v.holdout.from.as_str(), v.holdout.to.as_str()),
        (date(from).as_str(), date(to).as_str())
    );
    assert_eq!(v.follow_up.min_follow_up_days, deals.as_of - to);
    assert!(deals.as_of - to >= p90);
    assert!(
        v.text
            .starts_with(&format!("Held out: {}", v.holdout.label)),
        "{}",
        v.text
    );
    // Training deals were created at least p90 days before the window.
    assert_eq!(rec.model.trained_on.to, date(from - 1 - p90));

    // The held-out figures count exactly the window's deals, labelled as of
    // the as-of date.
    let in_window: Vec<usize> = (0..deals.len())
        .filter(|&i| (from..=to).contains(&deals.created[i]))
        .collect();
    let count =
        |o: OutcomeLabel| in_window.iter().filter(|&&i| deals.outcome[i] == o).count() as u64;
    let sum = |f: &dyn Fn(&abm_segments::outcomes::OutcomeFigures) -> u64| {
        v.tiers.iter().map(|t| f(&t.outcomes)).sum::<u64>()
    };
    assert_eq!(sum(&|o| o.deals), in_window.len() as u64);
    assert_eq!(sum(&|o| o.won), count(OutcomeLabel::Won));
    assert_eq!(sum(&|o| o.lost), count(OutcomeLabel::Lost));
    assert_eq!(sum(&|o| o.open), count(OutcomeLabel::Open));
}
