//! The numeric matrix k-means runs on.
//!
//! Numeric features are (log-transformed and) standardised; a binary feature
//! and each list value is one 0/1 column; a categorical feature is one-hot
//! with each column scaled by 1/sqrt(2), so two accounts in different levels
//! are at squared distance 1, the same as one standard deviation of a numeric
//! feature. Null numerics are imputed with the median and flagged in an extra
//! 0/1 column.

use ndarray::{Array2, ArrayViewMut2};

use super::{FeatureColumn, FeatureData, Transform};

/// The encoded matrix and a name per column.
pub struct FeatureMatrix {
    pub x: Array2<f64>,
    pub columns: Vec<String>,
    /// Index (into the features) of the feature each column encodes.
    pub feature_of: Vec<usize>,
}

/// The value of a one-hot column's level (`1/√2`, see the module docs).
pub const ONE_HOT: f64 = std::f64::consts::FRAC_1_SQRT_2;

/// Encode features for clustering. Rows are accounts, in input order.
pub fn encode(features: &[FeatureColumn], n_accounts: usize) -> FeatureMatrix {
    let (columns, feature_of) = encoded_columns(features);
    let mut x = Array2::<f64>::zeros((n_accounts, columns.len()));
    crate::parallel::fill_rows_on_two_threads(&mut x, |from, rows| {
        encode_rows(features, from, rows)
    });
    FeatureMatrix {
        x,
        columns,
        feature_of,
    }
}

/// Accounts `from..` into `rows` (zeros), row by row: the matrix is
/// row-major, and filling it a feature at a time would stride across every
/// row once per feature.
fn encode_rows(features: &[FeatureColumn], from: usize, mut rows: ArrayViewMut2<'_, f64>) {
    let width = rows.ncols();
    for (i, mut row) in rows.rows_mut().into_iter().enumerate() {
        let j = encode_row(features, from + i, &mut row);
        debug_assert!(j == width);
    }
}

/// The encoded columns' names, and the feature each encodes.
fn encoded_columns(features: &[FeatureColumn]) -> (Vec<String>, Vec<usize>) {
    let mut columns = Vec::new();
    let mut feature_of = Vec::new();
    for (fi, f) in features.iter().enumerate() {
        let before = columns.len();
        let name = &f.spec.name;
        match &f.spec.transform {
            Transform::Numeric { missing_flag, .. } | Transform::Binary { missing_flag, .. } => {
                columns.push(name.clone());
                if *missing_flag {
                    columns.push(format!("{name} (missing)"));
                }
            }
            Transform::Categorical { levels, .. } => {
                columns.extend(levels.iter().map(|l| format!("{name} = {l}")));
            }
            Transform::List { values, .. } => {
                columns.extend(values.iter().map(|v| format!("{name} has {v}")));
            }
        }
        feature_of.extend(std::iter::repeat_n(fi, columns.len() - before));
    }
    (columns, feature_of)
}

/// Account `i`'s encoded values into `row` (zeros); returns the columns filled.
fn encode_row(
    features: &[FeatureColumn],
    i: usize,
    row: &mut ndarray::ArrayViewMut1<f64>,
) -> usize {
    let mut j = 0;
    for f in features {
        match (&f.spec.transform, &f.data) {
            (
                Transform::Numeric {
                    log,
                    impute,
                    center,
                    scale,
                    missing_flag,
                },
                FeatureData::Numeric(v),
            ) => {
                let raw = v[i];
                let value = if raw.is_nan() { *impute } else { raw };
                let t = if *log { value.max(0.0).ln_1p() } else { value };
                row[j] = (t - center) / scale;
                if *missing_flag && raw.is_nan() {
                    row[j + 1] = 1.0;
                }
                j += 1 + usize::from(*missing_flag);
            }
            (
                Transform::Binary {
                    impute,
                    missing_flag,
                },
                FeatureData::Binary(v),
            ) => {
                let raw = v[i];
                row[j] = if raw.is_nan() { *impute } else { raw };
                if *missing_flag && raw.is_nan() {
                    row[j + 1] = 1.0;
                }
                j += 1 + usize::from(*missing_flag);
            }
            (Transform::Categorical { levels, .. }, FeatureData::Categorical(codes)) => {
                let c = codes[i];
                if (c as usize) < levels.len() {
                    row[j + c as usize] = ONE_HOT;
                }
                j += levels.len();
            }
            (Transform::List { values, .. }, FeatureData::List { .. }) => {
                for &c in f.list_values(i) {
                    row[j + c as usize] = 1.0;
                }
                j += values.len();
            }
            _ => unreachable!("feature data always matches its transform"),
        }
    }
    j
}

/// Outcome weights: each encoded column's absolute Pearson correlation with
/// winning, over closed deals (a deal carries its account's row). Multiplying
/// the columns by these weights makes k-means separate accounts along the
/// attributes that go with winning, and lets noise columns fade, which is
/// what "segment on outcomes" means here. Columns with no variance get 0.
pub fn outcome_weights(
    x: &Array2<f64>,
    deal_account: &[u32],
    deal_won: &[Option<bool>],
) -> Vec<f64> {
    let d = x.ncols();
    // Won and closed deals per account: the deal-level sums below are
    // per-account sums weighted by these counts, with no row per deal.
    let (mut won, mut closed) = (vec![0.0; x.nrows()], vec![0.0; x.nrows()]);
    for (&a, &o) in deal_account.iter().zip(deal_won) {
        if let Some(w) = o {
            closed[a as usize] += 1.0;
            won[a as usize] += f64::from(u8::from(w));
        }
    }
    let n: f64 = closed.iter().sum();
    if n < 2.0 {
        return vec![1.0; d];
    }
    let my = won.iter().sum::<f64>() / n;
    // Σ (y − ȳ)² over deals: won deals at 1, lost at 0.
    let vy = n * my * (1.0 - my);
    if vy <= 0.0 {
        return vec![1.0; d];
    }
    // Rows as slices (the matrix is row-major): the sums below are the same
    // sums in the same order as indexing would give, without a bounds
    // check per element.
    let x = x.as_standard_layout();
    let rows = x.as_slice().expect("a standard-layout matrix is one slice");
    let row = |a: usize| &rows[a * d..(a + 1) * d];
    let active: Vec<usize> = (0..x.nrows()).filter(|&a| closed[a] > 0.0).collect();
    let mut mx = vec![0.0; d];
    for &a in &active {
        for (m, &v) in mx.iter_mut().zip(row(a)) {
            *m += closed[a] * v;
        }
    }
    mx.iter_mut().for_each(|m| *m /= n);
    let (mut sxy, mut sxx) = (vec![0.0; d], vec![0.0; d]);
    for &a in &active {
        // Σ over the account's deals of (x − x̄)(y − ȳ) is (x − x̄)(won − t·ȳ).
        let dy = won[a] - closed[a] * my;
        let t = closed[a];
        for (((&v, &m), sxy), sxx) in row(a).iter().zip(&mx).zip(&mut sxy).zip(&mut sxx) {
            let dx = v - m;
            *sxy += dx * dy;
            *sxx += t * dx * dx;
        }
    }
    (0..d)
        .map(|j| {
            if sxx[j] > 0.0 {
                (sxy[j] / (sxx[j] * vy).sqrt()).abs()
            } else {
                0.0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::FeatureSpec;

    #[test]
    fn outcome_weights_are_the_point_biserial_r_over_one_row_per_deal() {
        let x = ndarray::array![
            [1.0, 0.0, 5.0],
            [2.0, 1.0, 5.0],
            [4.0, 0.0, 5.0],
            [0.5, 1.0, 5.0]
        ];
        // Account 3 has no closed deal; account 1 has three.
        let account = [0, 1, 1, 1, 2, 2, 0, 3];
        let won = [
            Some(true),
            Some(false),
            Some(true),
            Some(true),
            Some(false),
            Some(false),
            Some(false),
            None,
        ];
        let w = outcome_weights(&x, &account, &won);
        let rows: Vec<usize> = (0..account.len()).filter(|&i| won[i].is_some()).collect();
        let y: Vec<bool> = rows.iter().map(|&i| won[i] == Some(true)).collect();
        for j in 0..2 {
            let col: Vec<f64> = rows.iter().map(|&i| x[[account[i] as usize, j]]).collect();
            let r = crate::stats::association::pointbiserialr(&col, &y)
                .unwrap()
                .r;
            assert!(
                (w[j] - r.abs()).abs() < 1e-12,
                "column {j}: {} vs {r}",
                w[j]
            );
        }
        // A constant column carries no weight.
        assert_eq!(w[2], 0.0);
        // A column-major copy of the matrix weighs the same, to the bit.
        let fortran = x.t().as_standard_layout().into_owned().reversed_axes();
        assert!(!fortran.is_standard_layout());
        assert_eq!(outcome_weights(&fortran, &account, &won), w);
    }

    #[test]
    fn numeric_nulls_are_imputed_and_flagged_and_levels_one_hot() {
        let num = FeatureColumn {
            spec: FeatureSpec {
                name: "employees".into(),
                transform: Transform::Numeric {
                    log: false,
                    impute: 20.0,
                    center: 20.0,
                    scale: 10.0,
                    missing_flag: true,
                },
                nulls: 1,
                role: Default::default(),
                role_declared: false,
            },
            data: FeatureData::Numeric(vec![10.0, f64::NAN, 30.0]),
        };
        let cat = FeatureColumn {
            spec: FeatureSpec {
                name: "industry".into(),
                transform: Transform::Categorical {
                    levels: vec!["SaaS".into(), "Retail".into()],
                    folded: vec![],
                },
                nulls: 0,
                role: Default::default(),
                role_declared: false,
            },
            data: FeatureData::Categorical(vec![0, 1, crate::features::UNSEEN]),
        };
        let m = encode(&[num, cat], 3);
        assert_eq!(
            m.columns,
            [
                "employees",
                "employees (missing)",
                "industry = SaaS",
                "industry = Retail"
            ]
        );
        let h = ONE_HOT;
        let expected = ndarray::array![
            [-1.0, 0.0, h, 0.0],
            [0.0, 1.0, 0.0, h],
            [1.0, 0.0, 0.0, 0.0]
        ];
        assert_eq!(m.x, expected);
    }
}
