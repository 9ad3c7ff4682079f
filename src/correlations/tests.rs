use super::*;
use crate::features::testing::{binary_column, categorical_column, list_column, numeric_column};
use crate::features::UNSEEN;
use crate::io::read::{Format, InputFile};
use crate::stats::association::{kruskal, pointbiserialr, spearmanr};
use crate::stats::descriptive::median;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;

/// Seeded features of `n` accounts (categorical with unseen codes,
/// binary and numeric with nulls, a list) and 400 deals whose few
/// distinct durations make ranks tie heavily.
struct Fixture {
    n: usize,
    features: [FeatureColumn; 4],
    deals: Deals,
    result: Correlations,
}

fn fixture() -> Fixture {
    let mut rng = Xoshiro256Plus::seed_from_u64(5);
    let n = 80;
    let cat = categorical_column(&mut rng, n);
    let bin = binary_column(&mut rng, n);
    let list = list_column(&mut rng, n);
    let deals = random_deals(&mut rng, n, 400);
    let employees = numeric_column(&mut rng, n);
    let features = [cat, bin, list, employees];
    let result = analyse(
        &features,
        &Gate::new(&features, []),
        n,
        &deals,
        &Thresholds::default(),
    )
    .unwrap();
    Fixture {
        n,
        features,
        deals,
        result,
    }
}

fn random_deals(rng: &mut Xoshiro256Plus, n: usize, m: usize) -> Deals {
    let mut deals = Deals {
        account: Vec::new(),
        created: Vec::new(),
        closed: Vec::new(),
        outcome: Vec::new(),
        amount: Vec::new(),
        as_of: 1000,
        file: InputFile {
            path: "deals".into(),
            format: Format::Csv,
            rows: m as u64,
            sha256: String::new(),
            bytes: 0,
        },
    };
    for _ in 0..m {
        deals.account.push(rng.gen_range(0..n) as u32);
        let created = rng.gen_range(0..500);
        deals.created.push(created);
        // Few distinct durations, so ranks tie heavily.
        deals.closed.push(created + 10 * rng.gen_range(0..12));
        deals.outcome.push(match rng.gen_range(0..5) {
            0 => OutcomeLabel::Open,
            1 | 2 => OutcomeLabel::Won,
            _ => OutcomeLabel::Lost,
        });
        deals.amount.push(f64::NAN);
    }
    deals
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(1.0)
}

/// Level tests computed from histograms equal the same tests run the
/// plain way: days to win split into two vectors, ranked by sorting
/// (`kruskal`, matched to scipy), medians by sorting.
#[test]
fn level_tests_from_histograms_equal_the_row_per_deal_computation() {
    let Fixture {
        features,
        deals,
        result: c,
        ..
    } = fixture();
    let mut checked = 0;
    for l in &c.levels {
        let f = features.iter().find(|f| f.spec.name == l.feature).unwrap();
        let li = f.levels().iter().position(|x| *x == l.level).unwrap();
        let (mut d_in, mut d_out) = (Vec::new(), Vec::new());
        let (mut cl, mut won) = (0, 0);
        for i in 0..deals.len() {
            let o = deals.outcome[i];
            if o == OutcomeLabel::Open {
                continue;
            }
            let has = f.has_level(deals.account[i] as usize, li);
            if has == Some(true) {
                cl += 1;
                won += u64::from(o == OutcomeLabel::Won);
            }
            if o == OutcomeLabel::Won {
                match has {
                    Some(true) => d_in.push(deals.duration(i)),
                    Some(false) => d_out.push(deals.duration(i)),
                    None => {}
                }
            }
        }
        assert_eq!((l.closed_deals, l.won), (cl, won), "{}", l.label);
        let want = kruskal(&[&d_in, &d_out]).unwrap();
        let got = l.speed.as_ref().unwrap();
        assert!(close(got.statistic, want.statistic), "{}", l.label);
        assert!(close(got.p_value, want.p_value), "{}", l.label);
        assert_eq!(got.n, (d_in.len() + d_out.len()) as u64);
        assert_eq!(l.median_days_to_win, median(&mut d_in));
        assert_eq!(l.median_days_to_win_rest, median(&mut d_out));
        checked += 1;
    }
    assert_eq!(checked, 3 + 1 + 4);
}

/// The categorical's Kruskal–Wallis across its levels, from histograms,
/// equals the test on one row per won deal.
#[test]
fn categorical_test_across_levels_equals_the_row_per_deal_computation() {
    let Fixture {
        features,
        deals,
        result: c,
        ..
    } = fixture();
    let FeatureData::Categorical(codes) = &features[0].data else {
        unreachable!()
    };
    let mut by_level = vec![Vec::new(); 3];
    for i in 0..deals.len() {
        let code = codes[deals.account[i] as usize];
        if deals.outcome[i] == OutcomeLabel::Won && code != UNSEEN {
            by_level[code as usize].push(deals.duration(i));
        }
    }
    let refs: Vec<&[f64]> = by_level.iter().map(|v| v.as_slice()).collect();
    let want = kruskal(&refs).unwrap();
    let got = c.features[0].speed.as_ref().unwrap();
    assert_eq!(got.test, TestName::KruskalWallis);
    assert!(close(got.statistic, want.statistic) && close(got.p_value, want.p_value));
}

/// The numeric feature's tests from per-account counts equal scipy's
/// point-biserial and Spearman (as matched in stats) on one row per deal.
#[test]
fn numeric_tests_from_counts_equal_the_row_per_deal_computation() {
    let Fixture {
        n,
        features,
        deals,
        result: c,
    } = fixture();
    let FeatureData::Numeric(v) = &features[3].data else {
        unreachable!()
    };
    let (mut x, mut y, mut xw, mut days) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut acc_won = vec![None; n];
    for i in 0..deals.len() {
        let a = deals.account[i] as usize;
        let o = deals.outcome[i];
        if o == OutcomeLabel::Open {
            continue;
        }
        let won = o == OutcomeLabel::Won;
        *acc_won[a].get_or_insert(false) |= won;
        if v[a].is_nan() {
            continue;
        }
        x.push(v[a]);
        y.push(won);
        if won {
            xw.push(v[a]);
            days.push(deals.duration(i));
        }
    }
    let (xa, ya): (Vec<f64>, Vec<bool>) = (0..n)
        .filter_map(|a| acc_won[a].filter(|_| !v[a].is_nan()).map(|w| (v[a], w)))
        .unzip();
    let num = &c.features[3];
    let pairs = [
        (&num.win, pointbiserialr(&x, &y).unwrap(), x.len()),
        (
            &num.win_accounts,
            pointbiserialr(&xa, &ya).unwrap(),
            xa.len(),
        ),
        (&num.speed, spearmanr(&xw, &days).unwrap(), xw.len()),
    ];
    for (got, want, len) in pairs {
        let got = got.as_ref().unwrap();
        assert!(close(got.effect, want.r), "{} {got:?} {want:?}", got.test);
        assert!(
            close(got.p_value, want.p_value),
            "{} {got:?} {want:?}",
            got.test
        );
        assert_eq!(got.n, len as u64, "{}", got.test);
    }
}

/// The enums write the names `report.json` and the Parquet output have
/// always carried.
#[test]
fn test_and_effect_names_serialise_as_before() {
    let names = [
        (TestName::PointBiserial, "point_biserial"),
        (TestName::Spearman, "spearman"),
        (TestName::ChiSquare, "chi_square"),
        (TestName::KruskalWallis, "kruskal_wallis"),
    ];
    for (t, s) in names {
        assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{s}\""));
        assert_eq!(t.to_string(), s);
    }
    let measures = [
        (EffectMeasure::R, "r"),
        (EffectMeasure::Rho, "rho"),
        (EffectMeasure::CramersV, "cramers_v"),
        (EffectMeasure::EpsilonSquared, "epsilon_squared"),
    ];
    for (m, s) in measures {
        assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{s}\""));
        assert_eq!(m.to_string(), s);
    }
}
