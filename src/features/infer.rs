//! Deciding which account columns are features, of which kind, and fitting
//! their transforms.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::roles::{infer_role_of, RoleOverride};
use super::KindOverride;
use super::{FeatureColumn, FeatureData, FeatureSpec, Transform, OTHER, UNSEEN};
use crate::error::{Error, Location, Result};
use crate::io::contract::Accounts;

/// A column that is not used as a feature, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub column: String,
    pub reason: String,
}

/// Options for inference.
pub struct InferOptions<'a> {
    pub kinds: &'a BTreeMap<String, KindOverride>,
    /// Roles declared in `[accounts.roles]`; other features' roles are inferred from their names.
    pub roles: &'a BTreeMap<String, RoleOverride>,
    pub list_separator: &'a str,
    pub file: &'a Path,
}

/// A level or list value is kept when it covers at least this share of accounts ...
const MIN_LEVEL_SHARE: f64 = 0.01;
/// ... and at least this many accounts.
const MIN_LEVEL_ACCOUNTS: usize = 5;
/// At most this many levels per categorical feature (plus `other` and `(missing)`).
const MAX_LEVELS: usize = 30;
/// Skewness above which a non-negative numeric column is log-transformed.
const HEAVY_TAIL_SKEW: f64 = 2.0;
/// A text column whose distinct values are at least this share of its
/// non-null values (with at least [`ID_MIN_ROWS`] rows) is an identifier.
const ID_DISTINCT_SHARE: f64 = 0.9;
const ID_MIN_ROWS: usize = 20;

/// Text a binary feature reads as true, and as false (trimmed, any case).
pub const TRUE_WORDS: &[&str] = &["true", "t", "yes", "y", "1", "1.0"];
pub const FALSE_WORDS: &[&str] = &["false", "f", "no", "n", "0", "0.0"];
pub const MISSING: &str = "(missing)";

#[derive(Clone)]
enum Plan {
    Numeric,
    Binary,
    Categorical,
    List { separator: Option<String> },
}

/// A feature column as text.
fn text(col: &Column) -> PolarsResult<StringChunked> {
    Ok(col
        .as_materialized_series()
        .cast(&DataType::String)?
        .str()?
        .clone())
}

/// A text column with each distinct value stored once: every row (or list
/// token) holds the id of its value in `values`, so a million rows cost a
/// hash lookup each and an allocation per distinct value, not per row.
#[derive(Default)]
struct Interned {
    values: Vec<String>,
    /// Row `i`'s ids are `ids[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<usize>,
    ids: Vec<u32>,
    index: PlHashMap<String, u32>,
}

impl Interned {
    fn new(rows: usize) -> Interned {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Interned {
            offsets,
            ids: Vec::with_capacity(rows),
            ..Interned::default()
        }
    }

    fn push(&mut self, v: &str) {
        let id = match self.index.get(v) {
            Some(&id) => id,
            None => {
                let id = self.values.len() as u32;
                self.values.push(v.to_string());
                self.index.insert(v.to_string(), id);
                id
            }
        };
        self.ids.push(id);
    }

    fn end_row(&mut self) {
        self.offsets.push(self.ids.len());
    }

    fn rows(&self) -> usize {
        self.offsets.len() - 1
    }

    fn row(&self, i: usize) -> &[u32] {
        &self.ids[self.offsets[i]..self.offsets[i + 1]]
    }

    /// The same rows in the order `rows` lists them (`rows[i]` is the row
    /// that becomes row `i`); the distinct values stay as they are.
    fn reordered(self, rows: &[IdxSize]) -> Interned {
        let mut offsets = Vec::with_capacity(rows.len() + 1);
        let mut ids = Vec::with_capacity(self.ids.len());
        offsets.push(0);
        for &r in rows {
            ids.extend_from_slice(self.row(r as usize));
            offsets.push(ids.len());
        }
        Interned {
            offsets,
            ids,
            ..self
        }
    }

    /// Accounts per distinct value, each account counted once per value.
    fn counts(&self) -> Vec<usize> {
        let mut counts = vec![0usize; self.values.len()];
        let mut seen: Vec<u32> = Vec::new();
        for i in 0..self.rows() {
            seen.clear();
            for &id in self.row(i) {
                if !seen.contains(&id) {
                    seen.push(id);
                    counts[id as usize] += 1;
                }
            }
        }
        counts
    }

    /// Each distinct value's position in `levels`, or `missing`.
    fn codes_in(&self, levels: &[String], missing: u32) -> Vec<u32> {
        let index = level_index(levels);
        self.values
            .iter()
            .map(|v| index.get(v.as_str()).copied().unwrap_or(missing))
            .collect()
    }
}

/// Values of a categorical column, trimmed; null reads as [`MISSING`].
fn categories(col: &Column) -> PolarsResult<Interned> {
    let ca = text(col)?;
    let mut out = Interned::new(ca.len());
    for v in ca.iter() {
        out.push(v.map_or(MISSING, str::trim));
        out.end_row();
    }
    Ok(out)
}

fn numeric_values(file: &Path, name: &str, col: &Column) -> Result<Vec<f64>> {
    let s = col
        .as_materialized_series()
        .cast(&DataType::Float64)
        .map_err(|e| col_err(file, name, e))?;
    let ca = s.f64().map_err(|e| col_err(file, name, e))?;
    if let Some(bad) = ca.iter().flatten().find(|v| !v.is_finite()) {
        return Err(Error::input(
            "a numeric feature holds a value that is not a finite number",
            Location::file(file).column(name).value(bad),
            "write missing values as empty / null, not NaN or infinity",
        ));
    }
    let max = crate::io::contract::MAX_ABS_NUMBER;
    if let Some(bad) = ca.iter().flatten().find(|v| v.abs() > max) {
        return Err(Error::input(
            "a numeric feature holds a value larger than 10^15",
            Location::file(file).column(name).value(bad),
            "check for placeholder values or a unit error, or mark the column ignore in [accounts.features]",
        ));
    }
    Ok(ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

fn col_err(file: &Path, name: &str, e: PolarsError) -> Error {
    Error::input(
        format!("could not read the feature column: {e}"),
        Location::file(file).column(name),
        "check the column's type, or mark it ignore in [accounts.features]",
    )
}

/// Text values per account for a list feature: native lists, or text split on `separator`.
fn list_tokens(col: &Column, separator: Option<&str>) -> PolarsResult<Interned> {
    let s = col.as_materialized_series();
    if let DataType::List(_) = s.dtype() {
        let s = s.cast(&DataType::List(Box::new(DataType::String)))?;
        let ca = s.list()?;
        let mut out = Interned::new(ca.len());
        // Through the arrays' offsets: a series per row (`amortized_iter`)
        // cost more than the tokens themselves at ten million accounts.
        for arr in ca.downcast_iter() {
            let inner = Series::try_from((PlSmallStr::EMPTY, arr.values().clone()))?;
            let offsets = arr.offsets().as_slice();
            let mut tokens = inner.str()?.iter().skip(offsets[0] as usize);
            for row in 0..arr.len() {
                let valid = arr.validity().is_none_or(|v| v.get_bit(row));
                let len = (offsets[row + 1] - offsets[row]) as usize;
                for t in tokens.by_ref().take(len) {
                    if let (true, Some(t)) = (valid, t) {
                        out.push(t.trim());
                    }
                }
                out.end_row();
            }
        }
        return Ok(out);
    }
    let sep = separator.unwrap_or(";");
    let ca = text(col)?;
    let mut out = Interned::new(ca.len());
    for v in ca.iter() {
        for t in v.into_iter().flat_map(|v| v.split(sep)) {
            let t = t.trim();
            if !t.is_empty() {
                out.push(t);
            }
        }
        out.end_row();
    }
    Ok(out)
}

fn plan(name: &str, col: &Column, opts: &InferOptions<'_>) -> std::result::Result<Plan, String> {
    let s = col.as_materialized_series();
    let n = s.len();
    let nulls = s.null_count();
    if let Some(k) = opts.kinds.get(name) {
        return match k {
            KindOverride::Ignore => Err("ignored by config".into()),
            KindOverride::Numeric => Ok(Plan::Numeric),
            KindOverride::Binary => Ok(Plan::Binary),
            KindOverride::Categorical => Ok(Plan::Categorical),
            KindOverride::List => Ok(Plan::List {
                separator: (!matches!(s.dtype(), DataType::List(_)))
                    .then(|| opts.list_separator.to_string()),
            }),
        };
    }
    if nulls == n {
        return Err("entirely null".into());
    }
    match s.dtype() {
        DataType::Boolean => Ok(Plan::Binary),
        dt if dt.is_primitive_numeric() => Ok(Plan::Numeric),
        DataType::Date | DataType::Datetime(_, _) | DataType::Duration(_) | DataType::Time => {
            Err("a date is not a feature unless configured in [accounts.features]".into())
        }
        DataType::List(inner)
            if matches!(**inner, DataType::String | DataType::Categorical(_, _)) =>
        {
            Ok(Plan::List { separator: None })
        }
        DataType::String | DataType::Categorical(_, _) | DataType::Enum(_, _) => {
            let ca = s.cast(&DataType::String).map_err(|e| e.to_string())?;
            let ca = ca.str().map_err(|e| e.to_string())?;
            let non_null = n - nulls;
            let distinct = ca
                .n_unique()
                .map_err(|e| e.to_string())?
                .saturating_sub(usize::from(nulls > 0));
            let sep = opts.list_separator;
            let with_sep = ca.iter().flatten().filter(|v| v.contains(sep)).count();
            if with_sep > 0 {
                let mut tokens: HashMap<&str, ()> = HashMap::new();
                for v in ca.iter().flatten() {
                    for t in v.split(sep) {
                        tokens.insert(t.trim(), ());
                    }
                }
                if tokens.len() * 2 <= distinct.max(1) || tokens.len() <= MAX_LEVELS {
                    return Ok(Plan::List {
                        separator: Some(sep.to_string()),
                    });
                }
            }
            if non_null >= ID_MIN_ROWS && distinct as f64 >= ID_DISTINCT_SHARE * non_null as f64 {
                return Err(format!(
                    "looks like an identifier ({distinct} distinct values in {non_null} rows)"
                ));
            }
            Ok(Plan::Categorical)
        }
        dt => Err(format!("type {dt} is not supported as a feature")),
    }
}

fn fit_numeric(values: &[f64]) -> Transform {
    let mut present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    // Values equal under `total_cmp` have the same bits, so an unstable
    // sort leaves the same sequence as a stable one (the sums below run in
    // its order), with no buffer and about half the time.
    present.sort_unstable_by(f64::total_cmp);
    let impute = crate::stats::descriptive::median(&mut present).unwrap_or(0.0);
    let n = present.len().max(1) as f64;
    let mean = present.iter().sum::<f64>() / n;
    let var = present.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let sd = var.sqrt();
    let skew = if sd > 0.0 {
        present
            .iter()
            .map(|v| ((v - mean) / sd).powi(3))
            .sum::<f64>()
            / n
    } else {
        0.0
    };
    let log = present.first().is_some_and(|m| *m >= 0.0) && skew > HEAVY_TAIL_SKEW;
    let t = |v: f64| if log { v.ln_1p() } else { v };
    let all: Vec<f64> = values
        .iter()
        .map(|v| if v.is_nan() { t(impute) } else { t(*v) })
        .collect();
    let m = all.len().max(1) as f64;
    let center = all.iter().sum::<f64>() / m;
    let scale = (all.iter().map(|v| (v - center).powi(2)).sum::<f64>() / m).sqrt();
    Transform::Numeric {
        log,
        impute,
        center,
        scale: if scale > 0.0 { scale } else { 1.0 },
        missing_flag: values.iter().any(|v| v.is_nan()),
    }
}

/// Levels worth a column, most frequent first; ties by name.
/// The levels kept, most accounts first, and those folded away, in the same
/// order (most accounts first, then by name).
fn frequent_levels(
    values: &[String],
    counts: &[usize],
    n_accounts: usize,
) -> (Vec<String>, Vec<String>) {
    let min = ((MIN_LEVEL_SHARE * n_accounts as f64).ceil() as usize).max(MIN_LEVEL_ACCOUNTS);
    let mut levels: Vec<(&String, usize)> = values.iter().zip(counts.iter().copied()).collect();
    levels.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let kept: Vec<String> = levels
        .iter()
        .filter(|(_, c)| *c >= min)
        .take(MAX_LEVELS)
        .map(|(k, _)| (*k).clone())
        .collect();
    let folded = levels
        .iter()
        .map(|(k, _)| (*k).clone())
        .filter(|k| !kept.contains(k))
        .collect();
    (kept, folded)
}

fn level_index(levels: &[String]) -> HashMap<&str, u32> {
    levels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i as u32))
        .collect()
}

/// Infer feature kinds from the schema and config, and fit each transform on
/// these accounts (one per row of `df`, in its order).
pub fn infer(
    df: &DataFrame,
    opts: &InferOptions<'_>,
) -> Result<(Vec<FeatureColumn>, Vec<Skipped>)> {
    infer_reordered(df, None, opts)
}

/// [`infer`] on the accounts table's features, each feature's values in
/// account-key order (see [`Accounts::rows`]).
pub fn infer_accounts(
    accounts: &Accounts,
    opts: &InferOptions<'_>,
) -> Result<(Vec<FeatureColumn>, Vec<Skipped>)> {
    infer_reordered(&accounts.features, accounts.rows.as_deref(), opts)
}

/// [`infer`] on the rows of `df` in the order `rows` lists them, or in
/// `df`'s order. Which columns are features, and of what kind, does not
/// depend on the order; the values are reordered as each column is read,
/// before any transform is fitted, so the fit is that of the reordered table.
fn infer_reordered(
    df: &DataFrame,
    rows: Option<&[IdxSize]>,
    opts: &InferOptions<'_>,
) -> Result<(Vec<FeatureColumn>, Vec<Skipped>)> {
    check_named_columns(df, opts)?;
    let mut planned = Vec::new();
    let mut skipped = Vec::new();
    for col in df.columns() {
        let name = col.name().to_string();
        let declared = opts.roles.get(&name).copied();
        if declared == Some(RoleOverride::Ignore) {
            skipped.push(Skipped {
                column: name,
                reason: "role = ignore in [accounts.roles]".into(),
            });
            continue;
        }
        match plan(&name, col, opts) {
            Ok(p) => planned.push((name, declared, col, p)),
            Err(reason) => skipped.push(Skipped {
                column: name,
                reason,
            }),
        }
    }
    let fitted = crate::parallel::map_on_two_threads(&planned, |&(_, _, col, ref plan)| {
        fit(col, plan.clone(), rows, opts.file)
    });
    let mut out = Vec::new();
    for ((name, declared, _, _), fitted) in planned.into_iter().zip(fitted) {
        let mut fitted = fitted?;
        (fitted.spec.role, fitted.spec.role_declared) = match declared.and_then(RoleOverride::role)
        {
            Some(role) => (role, true),
            None => (infer_role_of(&name, fitted.spec.text_values()), false),
        };
        if is_constant_feature(&fitted) {
            skipped.push(Skipped {
                column: name,
                reason: "has a single value (or no value frequent enough to use)".into(),
            });
            continue;
        }
        out.push(fitted);
    }
    if out.is_empty() {
        return Err(Error::input(
            "no usable feature column in the accounts table",
            Location::file(opts.file),
            format!(
                "skipped: {}",
                skipped
                    .iter()
                    .map(|s| format!("'{}' ({})", s.column, s.reason))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok((out, skipped))
}

/// Every column `[accounts.features]` or `[accounts.roles]` names is in the accounts table.
fn check_named_columns(df: &DataFrame, opts: &InferOptions<'_>) -> Result<()> {
    let named = opts
        .kinds
        .keys()
        .map(|k| (k, "[accounts.features]"))
        .chain(opts.roles.keys().map(|k| (k, "[accounts.roles]")));
    for (name, section) in named {
        if df.column(name).is_err() {
            let names: Vec<&str> = df
                .get_column_names()
                .into_iter()
                .map(|s| s.as_str())
                .collect();
            let hint = match crate::text::nearest(name, names.iter().copied()) {
                Some(near) => format!("did you mean '{near}'?"),
                None => format!("remove it from {section}"),
            };
            return Err(Error::input(
                format!("{section} names a column the accounts file does not have"),
                Location::file(opts.file).column(name.as_str()),
                hint,
            ));
        }
    }
    Ok(())
}

/// Read column `col` as its planned kind, its rows in the order `rows`
/// lists them (else as they are), and fit its transform.
fn fit(col: &Column, plan: Plan, rows: Option<&[IdxSize]>, file: &Path) -> Result<FeatureColumn> {
    let name = col.name().to_string();
    let nulls = col.null_count() as u64;
    let n = rows.map_or(col.len(), <[IdxSize]>::len);
    // Numbers and flags are reordered as a column (a gather of fixed-width
    // values); text is interned first and its ids reordered, with no copy
    // of a string.
    let fixed_width = matches!(plan, Plan::Numeric | Plan::Binary);
    let reordered;
    let col = match rows {
        Some(r) if fixed_width => {
            reordered = col.take_slice(r).map_err(|e| col_err(file, &name, e))?;
            &reordered
        }
        _ => col,
    };
    let text_order = |t: Interned| match rows {
        Some(r) if !fixed_width => t.reordered(r),
        _ => t,
    };
    let spec = |transform| FeatureSpec {
        name: name.clone(),
        transform,
        nulls,
        role: Default::default(),
        role_declared: false,
    };
    Ok(match plan {
        Plan::Numeric => {
            let values = numeric_values(file, &name, col)?;
            let transform = fit_numeric(&values);
            FeatureColumn {
                spec: spec(transform),
                data: FeatureData::Numeric(values),
            }
        }
        Plan::Binary => {
            let values = binary_values(file, &name, col)?;
            let present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
            let impute = present.iter().sum::<f64>() / present.len().max(1) as f64;
            FeatureColumn {
                spec: spec(Transform::Binary {
                    impute,
                    missing_flag: present.len() < values.len(),
                }),
                data: FeatureData::Binary(values),
            }
        }
        Plan::Categorical => {
            let values = text_order(categories(col).map_err(|e| col_err(file, &name, e))?);
            let (mut levels, folded) = frequent_levels(&values.values, &values.counts(), n);
            if !folded.is_empty() && !levels.iter().any(|l| l == OTHER) {
                levels.push(OTHER.to_string());
            }
            let spec = spec(Transform::Categorical { levels, folded });
            let data = categorical_codes(&spec, &values);
            FeatureColumn { spec, data }
        }
        Plan::List { separator } => {
            let tokens = text_order(
                list_tokens(col, separator.as_deref()).map_err(|e| col_err(file, &name, e))?,
            );
            let (values, _) = frequent_levels(&tokens.values, &tokens.counts(), n);
            let spec = spec(Transform::List { values, separator });
            let data = list_codes(&spec, &tokens);
            FeatureColumn { spec, data }
        }
    })
}

/// A fitted feature that cannot tell accounts apart.
fn is_constant_feature(fitted: &FeatureColumn) -> bool {
    match &fitted.spec.transform {
        Transform::Numeric { scale, .. } => *scale == 1.0 && is_constant(&fitted.data),
        Transform::Categorical { levels, .. } => levels.len() < 2,
        Transform::List { values, .. } => values.is_empty(),
        Transform::Binary { .. } => is_constant(&fitted.data),
    }
}

fn is_constant(data: &FeatureData) -> bool {
    match data {
        FeatureData::Numeric(v) | FeatureData::Binary(v) => {
            let mut it = v.iter().filter(|x| !x.is_nan());
            match it.next() {
                None => true,
                Some(first) => it.all(|x| x == first),
            }
        }
        _ => false,
    }
}

fn binary_values(file: &Path, name: &str, col: &Column) -> Result<Vec<f64>> {
    let s = col.as_materialized_series();
    if let Ok(b) = s.bool() {
        return Ok(b.iter().map(|v| v.map_or(f64::NAN, f64::from)).collect());
    }
    let ca = text(col).map_err(|e| col_err(file, name, e))?;
    let mut out = Vec::with_capacity(ca.len());
    let is = |v: &str, words: &[&str]| words.iter().any(|w| v.eq_ignore_ascii_case(w));
    for v in ca.iter() {
        let v = v.map(str::trim);
        out.push(match v {
            None | Some("") => f64::NAN,
            Some(v) if is(v, TRUE_WORDS) => 1.0,
            Some(v) if is(v, FALSE_WORDS) => 0.0,
            Some(other) => {
                return Err(Error::input(
                    "a binary feature holds a value that is not true/false",
                    Location::file(file)
                        .column(name)
                        .value(other.to_lowercase()),
                    "use true/false, yes/no or 1/0, or declare the column categorical",
                ))
            }
        });
    }
    Ok(out)
}

fn categorical_codes(spec: &FeatureSpec, values: &Interned) -> FeatureData {
    let Transform::Categorical { levels, .. } = &spec.transform else {
        unreachable!("categorical_codes is called on categorical specs")
    };
    let other = levels
        .iter()
        .position(|l| l == OTHER)
        .map_or(UNSEEN, |i| i as u32);
    let code = values.codes_in(levels, other);
    FeatureData::Categorical(values.ids.iter().map(|&id| code[id as usize]).collect())
}

fn list_codes(spec: &FeatureSpec, tokens: &Interned) -> FeatureData {
    let Transform::List { values, .. } = &spec.transform else {
        unreachable!("list_codes is called on list specs")
    };
    let code = tokens.codes_in(values, UNSEEN);
    let mut offsets = Vec::with_capacity(tokens.rows() + 1);
    let mut codes = Vec::new();
    offsets.push(0u32);
    for i in 0..tokens.rows() {
        let start = codes.len();
        for &id in tokens.row(i) {
            let c = code[id as usize];
            if c != UNSEEN && !codes[start..].contains(&c) {
                codes.push(c);
            }
        }
        codes[start..].sort_unstable();
        offsets.push(codes.len() as u32);
    }
    FeatureData::List {
        offsets,
        values: codes,
    }
}

/// Apply fitted specs to another accounts table (for `score`): the same
/// columns must be there, with compatible types.
pub fn apply(df: &DataFrame, specs: &[FeatureSpec], file: &Path) -> Result<Vec<FeatureColumn>> {
    let mut out = Vec::with_capacity(specs.len());
    for spec in specs {
        let col = df.column(&spec.name).map_err(|_| {
            let names: Vec<&str> = df
                .get_column_names()
                .into_iter()
                .map(|s| s.as_str())
                .collect();
            Error::input(
                "the model needs a feature column the accounts file does not have",
                Location::file(file).column(spec.name.as_str()),
                match crate::text::nearest(&spec.name, names.iter().copied()) {
                    Some(near) => format!("did you mean '{near}'? rename it to '{}'", spec.name),
                    None => {
                        let unknown: Vec<String> = names
                            .iter()
                            .filter(|n| !specs.iter().any(|s| s.name == **n))
                            .map(|n| format!("'{n}'"))
                            .collect();
                        if unknown.is_empty() {
                            "score needs the same feature columns discover was run on".into()
                        } else {
                            format!(
                                "score needs the same feature columns discover was run on; the file has columns the model does not know: {}",
                                unknown.join(", ")
                            )
                        }
                    }
                },
            )
        })?;
        let data = match &spec.transform {
            Transform::Numeric { .. } => {
                FeatureData::Numeric(numeric_values(file, &spec.name, col)?)
            }
            Transform::Binary { .. } => FeatureData::Binary(binary_values(file, &spec.name, col)?),
            Transform::Categorical { .. } => {
                let values = categories(col).map_err(|e| col_err(file, &spec.name, e))?;
                categorical_codes(spec, &values)
            }
            Transform::List { separator, .. } => {
                let tokens = list_tokens(col, separator.as_deref())
                    .map_err(|e| col_err(file, &spec.name, e))?;
                list_codes(spec, &tokens)
            }
        };
        out.push(FeatureColumn {
            spec: spec.clone(),
            data,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> InferOptions<'static> {
        static KINDS: BTreeMap<String, KindOverride> = BTreeMap::new();
        static ROLES: BTreeMap<String, RoleOverride> = BTreeMap::new();
        InferOptions {
            kinds: &KINDS,
            roles: &ROLES,
            list_separator: ";",
            file: Path::new("accounts.csv"),
        }
    }

    /// Tokens of a native list column, read through the arrays' offsets,
    /// are those a series per row gives: null rows, null and padded
    /// values, several chunks, and a slice that starts inside a chunk.
    #[test]
    fn native_list_tokens_equal_a_series_per_row() {
        let row =
            |v: Option<&[Option<&str>]>| v.map(|v| Series::new(PlSmallStr::EMPTY, v.to_vec()));
        let part = |rows: &[Option<&[Option<&str>]>]| {
            let l: ListChunked = rows.iter().map(|r| row(*r)).collect();
            l.into_series()
        };
        let mut s = part(&[
            Some(&[Some("SAP"), Some(" Oracle ")]),
            None,
            Some(&[]),
            Some(&[None, Some("SAP")]),
        ]);
        s.append(&part(&[
            Some(&[Some("HubSpot")]),
            None,
            Some(&[Some("x"), None]),
        ]))
        .unwrap();
        let s = s.slice(1, 6);
        assert!(s.n_chunks() > 1);
        let col = s.into_column();
        let got = list_tokens(&col, None).unwrap();
        let mut expected: Vec<Vec<String>> = Vec::new();
        for v in col
            .as_materialized_series()
            .list()
            .unwrap()
            .amortized_iter()
        {
            let mut tokens = Vec::new();
            if let Some(inner) = v {
                for t in inner.as_ref().str().unwrap().iter().flatten() {
                    tokens.push(t.trim().to_string());
                }
            }
            expected.push(tokens);
        }
        let rows: Vec<Vec<String>> = (0..got.rows())
            .map(|i| {
                got.row(i)
                    .iter()
                    .map(|&id| got.values[id as usize].clone())
                    .collect()
            })
            .collect();
        assert_eq!(rows, expected);
        assert_eq!(expected.iter().map(Vec::len).sum::<usize>(), 3);
    }

    /// Reordering values as they are read fits what reordering the table
    /// first fits: the same kinds, transforms (to the bit: sums run in the
    /// same order) and values per account.
    #[test]
    fn reordered_reading_equals_reading_a_reordered_table() {
        let n = 400usize;
        let industries = ["SaaS", "Fintech", "Retail", "Mining", "Health"];
        let techs = ["Salesforce", "Marketo", "HubSpot", "Snowflake"];
        let mut state = 7u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize
        };
        let (mut emp, mut flag, mut ind, mut tech) = (vec![], vec![], vec![], vec![]);
        for i in 0..n {
            let r = next();
            emp.push((i % 13 != 0).then_some((r % 5000) as f64 * 1.37 + 0.1));
            flag.push((i % 17 != 0).then_some(r % 3 == 0));
            ind.push((i % 11 != 0).then(|| industries[r % industries.len()]));
            let k = next() % 4;
            let list: Vec<&str> = (0..k).map(|j| techs[(r + j * 3) % techs.len()]).collect();
            tech.push(list.join("; "));
        }
        let df = DataFrame::new(
            n,
            vec![
                Column::new("employees".into(), emp),
                Column::new("has_csm".into(), flag),
                Column::new("industry".into(), ind),
                Column::new("technologies".into(), tech),
            ],
        )
        .unwrap();
        let mut rows: Vec<IdxSize> = (0..n as IdxSize).collect();
        for i in (1..n).rev() {
            rows.swap(i, next() % (i + 1));
        }
        let taken = df
            .take(&IdxCa::from_vec(PlSmallStr::EMPTY, rows.clone()))
            .unwrap();
        let (expected, skipped) = infer(&taken, &opts()).unwrap();
        let (got, got_skipped) = infer_reordered(&df, Some(&rows), &opts()).unwrap();
        assert_eq!(skipped, got_skipped);
        let kinds: Vec<_> = got.iter().map(|f| f.spec.kind()).collect();
        use super::super::FeatureKind as K;
        assert_eq!(kinds, [K::Numeric, K::Binary, K::Categorical, K::List]);
        // Bitwise: FeatureColumn's equality would let NaN (null) differ.
        for (e, g) in expected.iter().zip(&got) {
            assert_eq!(format!("{e:?}"), format!("{g:?}"), "{}", e.spec.name);
        }
        // And the order matters: read as it is, the table fits other values.
        let (as_is, _) = infer(&df, &opts()).unwrap();
        assert_ne!(format!("{:?}", as_is[0].data), format!("{:?}", got[0].data));
    }
}
