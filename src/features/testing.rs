//! Seeded feature columns for unit tests: a categorical with unseen codes,
//! a binary and a numeric with nulls and ties, a list.

use rand::Rng;
use rand_xoshiro::Xoshiro256Plus;

use super::{FeatureColumn, FeatureData, FeatureSpec, Transform, UNSEEN};

pub(crate) fn spec(name: &str, transform: Transform) -> FeatureSpec {
    FeatureSpec {
        name: name.into(),
        transform,
        nulls: 0,
        role: Default::default(),
        role_declared: false,
    }
}

/// A numeric feature's spec with a role.
pub(crate) fn spec_with_role(name: &str, role: super::Role) -> FeatureSpec {
    FeatureSpec {
        role,
        ..spec(
            name,
            Transform::Numeric {
                log: false,
                impute: 0.0,
                center: 0.0,
                scale: 1.0,
                missing_flag: false,
            },
        )
    }
}

pub(crate) fn categorical_column(rng: &mut Xoshiro256Plus, n: usize) -> FeatureColumn {
    FeatureColumn {
        spec: spec(
            "industry",
            Transform::Categorical {
                levels: vec!["a".into(), "b".into(), "c".into()],
                folded: vec![],
            },
        ),
        data: FeatureData::Categorical(
            (0..n)
                .map(|_| match rng.gen_range(0..7) {
                    6 => UNSEEN,
                    c => c % 3,
                })
                .collect(),
        ),
    }
}

pub(crate) fn binary_column(rng: &mut Xoshiro256Plus, n: usize) -> FeatureColumn {
    FeatureColumn {
        spec: spec(
            "uses_crm",
            Transform::Binary {
                impute: 0.5,
                missing_flag: true,
            },
        ),
        data: FeatureData::Binary(
            (0..n)
                .map(|_| match rng.gen_range(0..5) {
                    0 => f64::NAN,
                    v => f64::from(v % 2),
                })
                .collect(),
        ),
    }
}

pub(crate) fn list_column(rng: &mut Xoshiro256Plus, n: usize) -> FeatureColumn {
    let mut offsets = vec![0u32];
    let mut values = Vec::new();
    for _ in 0..n {
        for v in 0..4u32 {
            if rng.gen_bool(0.4) {
                values.push(v);
            }
        }
        offsets.push(values.len() as u32);
    }
    FeatureColumn {
        spec: spec(
            "tech",
            Transform::List {
                values: vec!["w".into(), "x".into(), "y".into(), "z".into()],
                separator: None,
            },
        ),
        data: FeatureData::List { offsets, values },
    }
}

pub(crate) fn numeric_column(rng: &mut Xoshiro256Plus, n: usize) -> FeatureColumn {
    FeatureColumn {
        spec: spec(
            "employees",
            Transform::Numeric {
                log: false,
                impute: 0.0,
                center: 0.0,
                scale: 1.0,
                missing_flag: true,
            },
        ),
        // Few distinct values (ties), and some nulls.
        data: FeatureData::Numeric(
            (0..n)
                .map(|_| match rng.gen_range(0..8) {
                    0 => f64::NAN,
                    v => f64::from(v * 50),
                })
                .collect(),
        ),
    }
}
