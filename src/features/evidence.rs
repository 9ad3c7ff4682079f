//! The features each deal is explained by.
//!
//! Without an account history a deal carries its account's features as the
//! accounts table has them today: one row per account, and a deal's row is
//! its account ([`Evidence::snapshot`]). With a history each deal carries the
//! features valid when it was created ([`Evidence::as_of`]): one row per
//! distinct (account, version) pair the deals use, and a row per account for
//! its deals created when no version held (before the first, or in a gap).
//!
//! A deal with no version valid at its creation, and a feature the history
//! does not carry, get a missing value (null: the feature's usual missing
//! handling), never today's value: today's value of a field filled in after
//! a win (contacts, a customer success manager) is exactly what the history
//! is there to keep out. A feature that never changes should be in the
//! history too.
//!
//! The joined values are encoded with the accounts table's own
//! [`FeatureSpec`](super::FeatureSpec)s, so levels, imputation and scaling are
//! the ones the fit score applies to accounts.

use std::borrow::Cow;

use polars::prelude::*;
use serde::Serialize;

use super::{encode, FeatureColumn, FeatureMatrix};
use crate::error::Result;
use crate::io::contract::Deals;
use crate::io::history::History;

/// How many deals found a version, per feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JoinedFeature {
    pub feature: String,
    /// Deals whose value comes from the history (a version valid at their
    /// creation that carries this feature); the rest are missing.
    pub deals_joined: u64,
}

/// What the as-of join did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JoinSummary {
    /// Deals with a version valid at their creation.
    pub deals_with_version: u64,
    /// Deals created before their account's first version, or between two.
    pub deals_without_version: u64,
    pub features: Vec<JoinedFeature>,
}

/// The rows deals are explained by, and which row each deal uses.
pub struct Evidence<'a> {
    /// Feature values per row, with the accounts table's specs.
    pub features: Cow<'a, [FeatureColumn]>,
    /// Per deal, its row.
    pub row_of_deal: Cow<'a, [u32]>,
    /// Per row, its account: the cluster for account-clustered variances.
    pub account_of_row: Vec<u32>,
    /// The encoded rows, with history (without, the accounts' matrix is used).
    matrix: Option<FeatureMatrix>,
    /// With history, what the join did.
    pub joined: Option<JoinSummary>,
}

impl<'a> Evidence<'a> {
    /// One snapshot: a row per account, each deal on its account's row.
    pub fn snapshot(features: &'a [FeatureColumn], n_accounts: usize, deals: &'a Deals) -> Self {
        Evidence {
            features: Cow::Borrowed(features),
            row_of_deal: Cow::Borrowed(&deals.account),
            account_of_row: (0..n_accounts as u32).collect(),
            matrix: None,
            joined: None,
        }
    }

    /// [`Evidence::as_of`] with a history, else [`Evidence::snapshot`].
    pub fn new(
        features: &'a [FeatureColumn],
        accounts: &DataFrame,
        deals: &'a Deals,
        history: Option<&History>,
    ) -> Result<Self> {
        match history {
            None => Ok(Evidence::snapshot(features, accounts.height(), deals)),
            Some(h) => Evidence::as_of(features, accounts, deals, h),
        }
    }

    /// The as-of join: each deal takes the version of its account valid at
    /// its `created_at`. `accounts` is the accounts table's feature frame,
    /// whose column types a feature missing from the history takes.
    /// O((deals + versions) log versions) time; one copy of the rows used.
    pub fn as_of(
        features: &[FeatureColumn],
        accounts: &DataFrame,
        deals: &Deals,
        history: &History,
    ) -> Result<Self> {
        let version: Vec<Option<usize>> = (0..deals.len())
            .map(|i| history.version_at(deals.account[i], deals.created[i]))
            .collect();
        let rows = Rows::new(history, deals, &version);
        let df = rows.frame(features, accounts, history)?;
        let mut columns = super::infer::apply(
            &df,
            &features.iter().map(|f| f.spec.clone()).collect::<Vec<_>>(),
            &history.path,
        )?;
        for c in &mut columns {
            missing_is_missing(
                c,
                df.column(&c.spec.name)
                    .map_err(|e| crate::error::polars_input(&history.path, e))?,
            );
        }
        let matrix = encode(&columns, rows.account_of_row.len());
        let with_version = version.iter().filter(|v| v.is_some()).count() as u64;
        let joined = JoinSummary {
            deals_with_version: with_version,
            deals_without_version: deals.len() as u64 - with_version,
            features: features
                .iter()
                .map(|f| JoinedFeature {
                    feature: f.spec.name.clone(),
                    deals_joined: if history.features.column(&f.spec.name).is_ok() {
                        with_version
                    } else {
                        0
                    },
                })
                .collect(),
        };
        Ok(Evidence {
            features: Cow::Owned(columns),
            row_of_deal: Cow::Owned(rows.row_of_deal),
            account_of_row: rows.account_of_row,
            matrix: Some(matrix),
            joined: Some(joined),
        })
    }

    /// Rows: accounts without a history, (account, version) pairs with one.
    pub fn rows(&self) -> usize {
        self.account_of_row.len()
    }

    /// The encoded rows; `accounts` is the accounts' matrix, which is the
    /// rows' own without a history.
    pub fn matrix<'m>(&'m self, accounts: &'m FeatureMatrix) -> &'m FeatureMatrix {
        self.matrix.as_ref().unwrap_or(accounts)
    }

    /// The deals with each deal's account replaced by its row, for an
    /// analysis that reads features through `deals.account` and has no
    /// account-clustered variance. Without a history, the deals themselves.
    pub fn by_row<'d>(&self, deals: &'d Deals) -> Cow<'d, Deals> {
        if self.matrix.is_none() {
            return Cow::Borrowed(deals);
        }
        let mut d = deals.clone();
        d.account = self.row_of_deal.to_vec();
        Cow::Owned(d)
    }

    /// Distinct accounts among the rows `mask` selects.
    pub fn accounts_in(&self, mask: &[bool]) -> u64 {
        if self.matrix.is_none() {
            // One row per account: the rows are the accounts.
            return mask.iter().filter(|&&m| m).count() as u64;
        }
        let n = self
            .account_of_row
            .iter()
            .max()
            .map_or(0, |&m| m as usize + 1);
        let mut seen = vec![false; n];
        let mut count = 0;
        for (r, _) in mask.iter().enumerate().filter(|(_, &m)| m) {
            let a = self.account_of_row[r] as usize;
            count += u64::from(!seen[a]);
            seen[a] = true;
        }
        count
    }
}

/// A null category is the `(missing)` level where the accounts table had
/// one, else no level at all: not `other`, where [`super::infer::apply`]
/// puts a value the accounts never had.
fn missing_is_missing(f: &mut FeatureColumn, values: &Column) {
    let super::Transform::Categorical { levels, .. } = &f.spec.transform else {
        return;
    };
    let missing = levels
        .iter()
        .position(|l| l == super::infer::MISSING)
        .map_or(super::UNSEEN, |i| i as u32);
    if let super::FeatureData::Categorical(codes) = &mut f.data {
        let nulls = values.is_null();
        for (c, null) in codes.iter_mut().zip(nulls.iter()) {
            if null == Some(true) {
                *c = missing;
            }
        }
    }
}

/// The rows of an as-of join: which history version (or none) each stands for.
struct Rows {
    /// Per row, the history version it takes, or `None` (all missing).
    take: Vec<Option<IdxSize>>,
    account_of_row: Vec<u32>,
    row_of_deal: Vec<u32>,
}

impl Rows {
    /// Rows in account order, each account's version-less row first, then
    /// its versions in time order; only the rows some deal uses.
    fn new(history: &History, deals: &Deals, version: &[Option<usize>]) -> Rows {
        const UNUSED: u32 = u32::MAX;
        const USED: u32 = u32::MAX - 1;
        let n_accounts = history.offsets.len() - 1;
        let mut none_row = vec![UNUSED; n_accounts];
        let mut version_row = vec![UNUSED; history.versions()];
        for (i, v) in version.iter().enumerate() {
            match v {
                Some(v) => version_row[*v] = USED,
                None => none_row[deals.account[i] as usize] = USED,
            }
        }
        let (mut take, mut account_of_row) = (Vec::new(), Vec::new());
        for (a, none) in none_row.iter_mut().enumerate() {
            if *none == USED {
                *none = take.len() as u32;
                take.push(None);
                account_of_row.push(a as u32);
            }
            let versions = history.offsets[a] as usize..history.offsets[a + 1] as usize;
            for (v, row) in version_row[versions.clone()].iter_mut().zip(versions) {
                if *v == USED {
                    *v = take.len() as u32;
                    take.push(Some(row as IdxSize));
                    account_of_row.push(a as u32);
                }
            }
        }
        let row_of_deal = version
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Some(v) => version_row[*v],
                None => none_row[deals.account[i] as usize],
            })
            .collect();
        Rows {
            take,
            account_of_row,
            row_of_deal,
        }
    }

    /// The rows' feature values as a frame: the history's column where it
    /// has one (in the accounts table's type where it converts exactly),
    /// else nulls of the accounts table's type.
    fn frame(
        &self,
        features: &[FeatureColumn],
        accounts: &DataFrame,
        history: &History,
    ) -> Result<DataFrame> {
        let idx = IdxCa::from_iter_options(PlSmallStr::EMPTY, self.take.iter().copied());
        let err = |e| crate::error::polars_input(&history.path, e);
        let mut columns = Vec::with_capacity(features.len());
        for f in features {
            let name = f.spec.name.as_str();
            let dtype = accounts.column(name).map_err(err)?.dtype().clone();
            let col = match history.features.column(name) {
                Ok(c) => {
                    let s = c.as_materialized_series().take(&idx).map_err(err)?;
                    s.strict_cast(&dtype).unwrap_or(s)
                }
                Err(_) => Series::full_null(name.into(), self.take.len(), &dtype),
            };
            columns.push(col.into_column());
        }
        DataFrame::new(self.take.len(), columns).map_err(err)
    }
}
