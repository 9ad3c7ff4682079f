use super::*;
use crate::features::testing::{
    binary_column, categorical_column, list_column, numeric_column, spec_with_role,
};
use crate::features::Role;
use crate::features::UNSEEN;
use crate::io::read::InputFile;
use crate::stats::association::pointbiserialr;
use crate::stats::descriptive::median;
use crate::stats::prec::{rel_close, REL_EPS};
use crate::stats::survival::logrank_test;
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
        file: InputFile::in_memory("deals", m as u64),
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

/// Whether account `a` has a value the speed tests read: a known value,
/// and for a categorical one of its levels.
fn timed_value(f: &FeatureColumn, a: usize) -> bool {
    let k = f.levels().len();
    match (&f.data, f.levels_of(a)) {
        (_, None) => false,
        (FeatureData::Categorical(_), Some(ls)) => ls.iter().any(|&l| (l as usize) < k),
        _ => true,
    }
}

/// Level tests computed from histograms equal the same tests run the
/// plain way: the 2×2 counts deal by deal, the log-rank test of every
/// deal (open ones censored) on one row per deal (`logrank_test`,
/// matched to lifelines), medians by sorting.
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
        let (mut t, mut w, mut g) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..deals.len() {
            let o = deals.outcome[i];
            let a = deals.account[i] as usize;
            let has = f.has_level(a, li);
            if timed_value(f, a) {
                t.push(deals.duration(i));
                w.push(o == OutcomeLabel::Won);
                g.push(u32::from(has == Some(true)));
            }
            if o == OutcomeLabel::Open {
                continue;
            }
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
        let want = logrank_test(&t, &w, &g).unwrap();
        let got = l.speed.as_ref().unwrap();
        assert_eq!(got.test, TestName::Logrank);
        assert!(
            close(got.statistic, want.statistic),
            "{} {got:?} {want:?}",
            l.label
        );
        assert!(
            close(got.p_value_unclustered.unwrap(), want.p_value),
            "{}",
            l.label
        );
        assert_eq!(got.n, g.iter().filter(|&&x| x == 1).count() as u64);
        assert_eq!(l.median_days_to_win, median(&mut d_in));
        assert_eq!(l.median_days_to_win_rest, median(&mut d_out));
        checked += 1;
    }
    assert_eq!(checked, 3 + 1 + 4);
}

/// The categorical's log-rank test across its levels, from histograms,
/// equals the multivariate test on one row per deal.
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
    let (mut t, mut w, mut g) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..deals.len() {
        let code = codes[deals.account[i] as usize];
        if code != UNSEEN {
            t.push(deals.duration(i));
            w.push(deals.outcome[i] == OutcomeLabel::Won);
            g.push(code);
        }
    }
    let want = logrank_test(&t, &w, &g).unwrap();
    let got = c.features[0].speed.as_ref().unwrap();
    assert_eq!(got.test, TestName::Logrank);
    assert!(
        close(got.statistic, want.statistic)
            && close(got.p_value_unclustered.unwrap(), want.p_value),
        "{got:?} {want:?}"
    );
}

/// The numeric feature's win tests from per-account counts equal scipy's
/// point-biserial (as matched in stats) on one row per deal.
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
    let (mut x, mut y) = (Vec::new(), Vec::new());
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
    }
    let (xa, ya): (Vec<f64>, Vec<bool>) = (0..n)
        .filter_map(|a| acc_won[a].filter(|_| !v[a].is_nan()).map(|w| (v[a], w)))
        .unzip();
    let num = &c.features[3];
    let deal = pointbiserialr(&x, &y).unwrap();
    let got = num.win.as_ref().unwrap();
    assert!(
        close(got.effect, deal.r) && close(got.p_value_unclustered.unwrap(), deal.p_value),
        "{got:?}"
    );
    assert_eq!(got.n, x.len() as u64);
    let acc = pointbiserialr(&xa, &ya).unwrap();
    let got = num.win_accounts.as_ref().unwrap();
    assert!(
        close(got.effect, acc.r) && close(got.p_value, acc.p_value),
        "{got:?}"
    );
    assert_eq!(got.n, xa.len() as u64);
    let speed = num.speed.as_ref().unwrap();
    assert_eq!(
        (speed.test, speed.effect_measure),
        (TestName::CoxScore, EffectMeasure::HazardRatio)
    );
}

const DRIVERS: &str = include_str!("../../tests/fixtures/drivers/drivers.json");

/// The fixture's accounts and deals as the analysis reads them: a
/// binary `level`, a categorical `category` and a numeric `numeric`.
fn drivers_fixture() -> (Vec<FeatureColumn>, Deals, serde_json::Value) {
    use crate::features::testing::spec;
    use crate::features::Transform;
    let v: serde_json::Value = serde_json::from_str(DRIVERS).unwrap();
    let nums = |k: &str| -> Vec<f64> {
        v["accounts"][k]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let binary = FeatureColumn {
        spec: spec(
            "level",
            Transform::Binary {
                impute: 0.5,
                missing_flag: false,
            },
        ),
        data: FeatureData::Binary(nums("level")),
    };
    let category = FeatureColumn {
        spec: spec(
            "category",
            Transform::Categorical {
                levels: vec!["a".into(), "b".into(), "c".into()],
                folded: vec![],
            },
        ),
        data: FeatureData::Categorical(nums("category").iter().map(|&c| c as u32).collect()),
    };
    let numeric = FeatureColumn {
        spec: spec_with_role("numeric", Role::default()),
        data: FeatureData::Numeric(nums("numeric")),
    };
    let d = &v["deals"];
    let account: Vec<u32> = d["account"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect();
    let days: Vec<i32> = d["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap() as i32)
        .collect();
    let outcome: Vec<OutcomeLabel> = d["outcome"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| match x.as_str().unwrap() {
            "won" => OutcomeLabel::Won,
            "lost" => OutcomeLabel::Lost,
            _ => OutcomeLabel::Open,
        })
        .collect();
    let m = account.len();
    let deals = Deals {
        account,
        created: vec![0; m],
        closed: days,
        outcome,
        amount: vec![f64::NAN; m],
        as_of: 100,
        file: InputFile::in_memory("deals", m as u64),
    };
    (vec![binary, category, numeric], deals, v)
}

/// The deal view's design effect against statsmodels: with `U` and
/// `D = Σ_i s_i²` summed deal by deal here, `U² / (d·D)` is the GEE's
/// robust score statistic `U² / C` (binary and numeric features); the
/// log-rank's design effect is the ratio of statsmodels PHReg's score
/// residuals summed by account, squared, to the same deal by deal, and
/// its statistic lifelines'.
#[test]
fn design_effects_match_statsmodels_and_lifelines() {
    let (features, deals, v) = drivers_fixture();
    let n_accounts = v["accounts"]["level"].as_array().unwrap().len();
    let c = analyse(
        &features,
        &Gate::new(&features, []),
        n_accounts,
        &deals,
        &Thresholds::default(),
    )
    .unwrap();
    let closed: Vec<usize> = (0..deals.len())
        .filter(|&i| deals.outcome[i] != OutcomeLabel::Open)
        .collect();
    let y: Vec<f64> = closed
        .iter()
        .map(|&i| f64::from(u8::from(deals.outcome[i] == OutcomeLabel::Won)))
        .collect();
    let robust_score = |x: &[f64]| -> (f64, f64) {
        let n = x.len() as f64;
        let (p, mx) = (y.iter().sum::<f64>() / n, x.iter().sum::<f64>() / n);
        let u: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - p)).sum();
        let d: f64 = x
            .iter()
            .zip(&y)
            .map(|(a, b)| ((a - mx) * (b - p)).powi(2))
            .sum();
        (u, d)
    };
    for (k, key) in [(0, "win_level"), (2, "win_numeric")] {
        let (FeatureData::Numeric(vals) | FeatureData::Binary(vals)) = &features[k].data else {
            unreachable!()
        };
        let x: Vec<f64> = closed
            .iter()
            .map(|&i| vals[deals.account[i] as usize])
            .collect();
        let (u, d) = robust_score(&x);
        let w = c.features[k].win.as_ref().unwrap();
        let de = w.design_effect.unwrap();
        assert!(de > 1.0, "{key}: {w:?}");
        let gee = v[key].as_f64().unwrap();
        assert!(
            rel_close(u * u / (de * d), gee, REL_EPS),
            "{key}: {} vs {gee}",
            u * u / (de * d)
        );
    }
    let lr = &v["logrank"];
    let speed = c.features[0].speed.as_ref().unwrap();
    assert!(
        rel_close(speed.statistic, lr["statistic"].as_f64().unwrap(), REL_EPS),
        "{speed:?}"
    );
    let want = lr["clustered"].as_f64().unwrap() / lr["independent"].as_f64().unwrap();
    assert!(
        rel_close(speed.design_effect.unwrap(), want, REL_EPS),
        "{speed:?} vs {want}"
    );
    let across = c.features[1].speed.as_ref().unwrap();
    assert!(
        rel_close(
            across.statistic,
            v["logrank_category"].as_f64().unwrap(),
            REL_EPS
        ),
        "{across:?}"
    );
    assert!(c.features[1].win.as_ref().unwrap().design_effect.unwrap() > 1.0);
}

/// One deal per account: every deal-level p-value is the plain test's,
/// with design effect 1; every deal repeated within its account
/// (the same outcome twice): the design effects are 2 and the p-values
/// near the plain test's on the original deals.
#[test]
fn one_deal_per_account_is_the_plain_test_and_copies_add_no_evidence() {
    let (features, deals, _) = drivers_fixture();
    let m = deals.len();
    let mut single = deals.clone();
    single.account = (0..m as u32).collect();
    let take = |f: &FeatureColumn| {
        f.take(
            &deals
                .account
                .iter()
                .map(|&a| a as usize)
                .collect::<Vec<_>>(),
        )
    };
    let per_deal: Vec<FeatureColumn> = features.iter().map(take).collect();
    let c = analyse(
        &per_deal,
        &Gate::new(&per_deal, []),
        m,
        &single,
        &Thresholds::default(),
    )
    .unwrap();
    let findings = |c: &Correlations| -> Vec<Finding> {
        let mut out: Vec<Finding> = c
            .features
            .iter()
            .flat_map(|f| [f.win.clone(), f.speed.clone()])
            .flatten()
            .collect();
        out.extend(
            c.levels
                .iter()
                .flat_map(|l| [l.win.clone(), l.speed.clone()])
                .flatten(),
        );
        out
    };
    for x in findings(&c) {
        assert_eq!((x.design_effect, x.accounts), (Some(1.0), None), "{x:?}");
        assert_eq!(x.p_value, x.p_value_unclustered.unwrap(), "{x:?}");
    }
    let mut twice = single.clone();
    twice.account.extend(single.account.clone());
    twice.created.extend(single.created.clone());
    twice.closed.extend(single.closed.clone());
    twice.outcome.extend(single.outcome.clone());
    twice.amount.extend(single.amount.clone());
    let d = analyse(
        &per_deal,
        &Gate::new(&per_deal, []),
        m,
        &twice,
        &Thresholds::default(),
    )
    .unwrap();
    for (a, b) in findings(&c).iter().zip(findings(&d)) {
        let de = b.design_effect.unwrap();
        assert!((de - 2.0).abs() < 0.05, "{a:?} {b:?}");
        assert!(
            (b.statistic / de / a.statistic - 1.0).abs() < 0.05
                || a.test == TestName::PointBiserial,
            "{a:?} {b:?}"
        );
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
