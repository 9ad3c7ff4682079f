//! The numeric matrix k-means runs on.
//!
//! Numeric features are (log-transformed and) standardised; a binary feature
//! and each list value is one 0/1 column; a categorical feature is one-hot
//! with each column scaled by 1/sqrt(2), so two accounts in different levels
//! are at squared distance 1, the same as one standard deviation of a numeric
//! feature. Null numerics are imputed with the median and flagged in an extra
//! 0/1 column.

use ndarray::Array2;

use super::{FeatureColumn, FeatureData, Transform};

/// The encoded matrix and a name per column.
pub struct FeatureMatrix {
    pub x: Array2<f64>,
    pub columns: Vec<String>,
    /// Index (into the features) of the feature each column encodes.
    pub feature_of: Vec<usize>,
}

const ONE_HOT: f64 = std::f64::consts::FRAC_1_SQRT_2;

/// Encode features for clustering. Rows are accounts, in input order.
pub fn encode(features: &[FeatureColumn], n_accounts: usize) -> FeatureMatrix {
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
            Transform::Categorical { levels } => {
                columns.extend(levels.iter().map(|l| format!("{name} = {l}")));
            }
            Transform::List { values, .. } => {
                columns.extend(values.iter().map(|v| format!("{name} has {v}")));
            }
        }
        feature_of.extend(std::iter::repeat_n(fi, columns.len() - before));
    }
    let mut x = Array2::<f64>::zeros((n_accounts, columns.len()));
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
                for (i, &raw) in v.iter().enumerate() {
                    let value = if raw.is_nan() { *impute } else { raw };
                    let t = if *log { value.max(0.0).ln_1p() } else { value };
                    x[[i, j]] = (t - center) / scale;
                    if *missing_flag && raw.is_nan() {
                        x[[i, j + 1]] = 1.0;
                    }
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
                for (i, &raw) in v.iter().enumerate() {
                    x[[i, j]] = if raw.is_nan() { *impute } else { raw };
                    if *missing_flag && raw.is_nan() {
                        x[[i, j + 1]] = 1.0;
                    }
                }
                j += 1 + usize::from(*missing_flag);
            }
            (Transform::Categorical { levels }, FeatureData::Categorical(codes)) => {
                for (i, &c) in codes.iter().enumerate() {
                    if (c as usize) < levels.len() {
                        x[[i, j + c as usize]] = ONE_HOT;
                    }
                }
                j += levels.len();
            }
            (Transform::List { values, .. }, FeatureData::List { .. }) => {
                for i in 0..n_accounts {
                    for &c in f.list_values(i) {
                        x[[i, j + c as usize]] = 1.0;
                    }
                }
                j += values.len();
            }
            _ => unreachable!("feature data always matches its transform"),
        }
    }
    debug_assert_eq!(j, columns.len());
    FeatureMatrix {
        x,
        columns,
        feature_of,
    }
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
    let mut w = vec![0.0; d];
    let closed: Vec<(usize, f64)> = deal_account
        .iter()
        .zip(deal_won)
        .filter_map(|(&a, &won)| won.map(|won| (a as usize, f64::from(u8::from(won)))))
        .collect();
    let n = closed.len() as f64;
    if n < 2.0 {
        return vec![1.0; d];
    }
    let my = closed.iter().map(|c| c.1).sum::<f64>() / n;
    let vy = closed.iter().map(|c| (c.1 - my).powi(2)).sum::<f64>();
    if vy == 0.0 {
        return vec![1.0; d];
    }
    for (j, wj) in w.iter_mut().enumerate() {
        let col = x.column(j);
        let mx = closed.iter().map(|c| col[c.0]).sum::<f64>() / n;
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for &(a, y) in &closed {
            let dx = col[a] - mx;
            sxy += dx * (y - my);
            sxx += dx * dx;
        }
        if sxx > 0.0 {
            *wj = (sxy / (sxx * vy).sqrt()).abs();
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::FeatureSpec;

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
            },
            data: FeatureData::Numeric(vec![10.0, f64::NAN, 30.0]),
        };
        let cat = FeatureColumn {
            spec: FeatureSpec {
                name: "industry".into(),
                transform: Transform::Categorical {
                    levels: vec!["SaaS".into(), "Retail".into()],
                },
                nulls: 0,
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
