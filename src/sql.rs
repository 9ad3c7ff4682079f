//! The model as SQL: one `SELECT` that scores every row of an accounts table
//! where it lives (a warehouse, Spark, DuckDB), exactly as `score` does.
//!
//! Per account it computes `account_id`, `fit_score` (0–100), `in_icp`,
//! `recommended_tier` and `segment`, and with a readiness model
//! `readiness_score` (0–100) and `readiness_band`, from `model.json` alone:
//!
//! * features as `score` reads them ([`crate::features::infer::apply`]):
//!   numbers as doubles, binaries from booleans or the same true/false words,
//!   categories trimmed with null as `(missing)` and a value not seen in
//!   training in `other` (or in no level), list values trimmed, from an array
//!   column or text split on the model's separator;
//! * the encoding of [`crate::features::encode`]: `ln(1 + max(x, 0))` where
//!   the model logs a column, the median for a null, `(t − center) / scale`,
//!   a missing flag, one-hot columns of `1/√2`, one 0/1 column per list value;
//! * the fit score's log-odds summed in the same order as
//!   [`crate::recommend::logistic::Logistic::log_odds`] and its logistic in the
//!   same two-branch form as [`crate::recommend::logistic::probability`]
//!   (and the readiness log-odds, with its reference, the same way);
//! * the ICP criteria with nulls matching nothing, tiers with the same `>=`
//!   comparisons on the win probability, and the nearest centroid by the
//!   squared distance k-means used, summed in the same order and ties going
//!   to the first centroid; with the core ICP carved out as a segment
//!   ([`crate::recommend::carve`]), an account in the ICP is in that one.
//!
//! Numbers are written as exponent literals with every digit a double needs
//! (`-1.5498273e0`), which every dialect here reads as a double (Postgres
//! with an explicit `::float8`). The only arithmetic that can differ from the
//! Rust code is `LN(1 + x)` against Rust's `ln_1p`, an ulp or so, and the
//! engines' `EXP`: scores agree to far better than 1e-9 on the 0–100 scale,
//! and the tier and band cuts sit halfway between two training scores
//! ([`crate::stats::descriptive::cut_between`]), so that ulp cannot move a
//! training account across one.

use crate::error::{Error, Location, Result};
use crate::features::encode::ONE_HOT;
use crate::features::infer::{FALSE_WORDS, MISSING, TRUE_WORDS};
use crate::features::OTHER;
use crate::features::{FeatureSpec, Transform};
use crate::recommend::logistic::Logistic;
use crate::recommend::readiness::Band;
use crate::recommend::rules::Condition;
use crate::recommend::Model;

/// The SQL engines the model can be written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    Duckdb,
    Spark,
    Bigquery,
    Snowflake,
    Postgres,
}

impl Dialect {
    /// A column or alias name, quoted.
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            Dialect::Bigquery => format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// A table name as given with `--table`: a dotted path of plain names is
    /// written as typed (the engine resolves its case as for any name typed
    /// in a query), a part with other characters is quoted, and anything
    /// holding `{` or `(` (a dbt `{{ ref('accounts') }}`, a subquery) is
    /// written verbatim.
    pub fn table(self, name: &str) -> String {
        if name.contains('{') || name.contains('(') {
            return name.to_string();
        }
        let plain = |p: &str| {
            let mut c = p.chars();
            c.next()
                .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
                && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
        };
        name.split('.')
            .map(|p| {
                if plain(p) {
                    p.to_string()
                } else {
                    self.ident(p)
                }
            })
            .collect::<Vec<_>>()
            .join(".")
    }

    /// A string literal.
    pub fn string(self, s: &str) -> String {
        match self {
            // Backslash escapes, and no '' doubling.
            Dialect::Spark | Dialect::Bigquery => {
                format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
            }
            // Backslash escapes, and '' doubling.
            Dialect::Snowflake => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''")),
            Dialect::Duckdb | Dialect::Postgres => format!("'{}'", s.replace('\'', "''")),
        }
    }

    /// A double literal: the shortest exponent form that reads back as the
    /// same double, typed as a double in every dialect (a plain `0.5` is a
    /// decimal in DuckDB, Spark, Snowflake and Postgres). A negative one is
    /// in parentheses, so `x - (-1e0)` never reads as a comment.
    pub fn float(self, v: f64) -> String {
        let lit = match self {
            Dialect::Postgres => format!("{:e}::float8", v.abs()),
            _ => format!("{:e}", v.abs()),
        };
        if v.is_sign_negative() && v != 0.0 {
            format!("(-{lit})")
        } else {
            lit
        }
    }

    fn double(self) -> &'static str {
        match self {
            Dialect::Bigquery => "FLOAT64",
            Dialect::Postgres => "DOUBLE PRECISION",
            _ => "DOUBLE",
        }
    }

    fn text(self) -> &'static str {
        match self {
            Dialect::Spark | Dialect::Bigquery => "STRING",
            Dialect::Postgres => "TEXT",
            Dialect::Duckdb | Dialect::Snowflake => "VARCHAR",
        }
    }

    /// The array of a delimited text column's values.
    fn split(self, col: &str, sep: &str) -> String {
        match self {
            Dialect::Duckdb => format!("string_split({col}, {})", self.string(sep)),
            // Spark's split takes a regular expression: quote the separator.
            Dialect::Spark => format!("split({col}, {})", self.string(&format!("\\Q{sep}\\E"))),
            Dialect::Bigquery | Dialect::Snowflake => {
                format!("SPLIT({col}, {})", self.string(sep))
            }
            Dialect::Postgres => format!("string_to_array({col}, {})", self.string(sep)),
        }
    }

    /// Whether array `arr` holds `value` once its elements are trimmed; null
    /// (not false) for a null array in some dialects.
    fn contains(self, arr: &str, value: &str) -> String {
        let v = self.string(value);
        match self {
            Dialect::Duckdb => {
                format!("list_contains(list_transform({arr}, lambda x: trim(x)), {v})")
            }
            Dialect::Spark => format!("exists({arr}, x -> trim(x) = {v})"),
            Dialect::Bigquery => format!("{v} IN (SELECT TRIM(x) FROM UNNEST({arr}) AS x)"),
            Dialect::Snowflake => format!(
                "ARRAY_CONTAINS({v}::variant, TRANSFORM({arr}, x -> TRIM(x::string)::variant))"
            ),
            Dialect::Postgres => {
                format!("{v} = ANY(ARRAY(SELECT trim(x) FROM unnest({arr}) AS t(x)))")
            }
        }
    }

    /// `exp(z)`. Postgres raises an error where the result underflows, so
    /// there `z` is floored at −708, where the win probability is below
    /// 1e-307 either way.
    fn exp(self, z: &str) -> String {
        match self {
            Dialect::Postgres => format!("EXP(GREATEST({z}, {}))", self.float(-708.0)),
            _ => format!("EXP({z})"),
        }
    }
}

/// The number of encoded columns a feature has (see `features::encode`).
fn width(spec: &FeatureSpec) -> usize {
    match &spec.transform {
        Transform::Numeric { missing_flag, .. } | Transform::Binary { missing_flag, .. } => {
            1 + usize::from(*missing_flag)
        }
        Transform::Categorical { levels, .. } => levels.len(),
        Transform::List { values, .. } => values.len(),
    }
}

/// The model's parts agree on the number of encoded columns, and every
/// number is finite.
fn check(model: &Model, file: &std::path::Path) -> Result<()> {
    let d: usize = model.features.iter().map(width).sum();
    let s = &model.segments;
    let readiness = model.readiness.as_ref().map(|r| &r.score);
    let consistent = model.score.coef.len() == d
        && readiness.is_none_or(|r| r.coef.len() == d)
        && s.column_weights.len() == d
        && s.centroids.iter().all(|c| c.len() == d)
        && !s.centroids.is_empty();
    let finite = |l: &Logistic| l.intercept.is_finite() && l.coef.iter().all(|v| v.is_finite());
    let finite = finite(&model.score)
        && readiness.is_none_or(finite)
        && s.column_weights.iter().all(|v| v.is_finite())
        && s.centroids.iter().flatten().all(|v| v.is_finite());
    let message = if !consistent {
        format!(
            "the model's features encode {d} columns, but its fit score has {} coefficients, its segments {} weights and {} centroids",
            model.score.coef.len(),
            s.column_weights.len(),
            s.centroids.len()
        )
    } else if !finite {
        "a coefficient, weight or centroid of the model is not a finite number".to_string()
    } else {
        return Ok(());
    };
    Err(Error::input(
        message,
        Location::file(file),
        "pass the model.json of a discover run, unedited",
    ))
}

/// One `SELECT` computing `account_id`, `fit_score`, `in_icp`,
/// `recommended_tier` and `segment` (and `readiness_score` and
/// `readiness_band` with a readiness model) for every row of `table`, as
/// `score` would for the same rows. `file` names the model in errors.
///
/// # Errors
///
/// When the model's parts disagree on the number of encoded columns, or a
/// number in it is not finite.
pub fn select(
    model: &Model,
    dialect: Dialect,
    table: &str,
    file: &std::path::Path,
) -> Result<String> {
    check(model, file)?;
    let w = Writer { d: dialect, model };
    let features = w.features_cte(table);
    let encoded = w.encoded_cte();
    let scored = w.scored_cte();
    Ok(format!(
        "-- abm-segments {} model as of {}: fit score, ICP, tier and segment per account.\n\
         WITH features AS (\n{features}\n),\nencoded AS (\n{encoded}\n),\nscored AS (\n{scored}\n),\n\
         probability AS (\n{}\n)\n{}\n",
        env!("CARGO_PKG_VERSION"),
        model.as_of,
        w.probability_cte(),
        w.final_select(),
    ))
}

/// The column of feature `i` in the `features` CTE (and `_k` for list value `k`).
fn fcol(i: usize) -> String {
    format!("f{i}")
}

struct Writer<'a> {
    d: Dialect,
    model: &'a Model,
}

impl Writer<'_> {
    /// Each feature as `score` reads it: a double (null when null), a 0/1
    /// double for a binary, the level for a categorical (null when in no
    /// level), a boolean per kept list value.
    fn features_cte(&self, table: &str) -> String {
        let d = self.d;
        let mut cols = vec![format!(
            "  {} AS account_id",
            d.ident(&self.model.account_id_column)
        )];
        for (i, spec) in self.model.features.iter().enumerate() {
            let c = d.ident(&spec.name);
            match &spec.transform {
                Transform::Numeric { .. } => {
                    cols.push(format!("  CAST({c} AS {}) AS {}", d.double(), fcol(i)));
                }
                Transform::Binary { .. } => {
                    let word = format!("LOWER(TRIM(CAST({c} AS {})))", d.text());
                    let words =
                        |w: &[&str]| w.iter().map(|s| d.string(s)).collect::<Vec<_>>().join(", ");
                    cols.push(format!(
                        "  CASE WHEN {word} IN ({}) THEN {} WHEN {word} IN ({}) THEN {} END AS {}",
                        words(TRUE_WORDS),
                        d.float(1.0),
                        words(FALSE_WORDS),
                        d.float(0.0),
                        fcol(i)
                    ));
                }
                Transform::Categorical { levels, .. } => {
                    let v = format!(
                        "COALESCE(TRIM(CAST({c} AS {})), {})",
                        d.text(),
                        d.string(MISSING)
                    );
                    let unseen = if levels.iter().any(|l| l == OTHER) {
                        d.string(OTHER)
                    } else {
                        "NULL".to_string()
                    };
                    cols.push(format!(
                        "  CASE WHEN {v} IN ({}) THEN {v} ELSE {unseen} END AS {}",
                        self.strings(levels),
                        fcol(i)
                    ));
                }
                Transform::List { values, separator } => {
                    let arr = match separator {
                        Some(sep) => d.split(&c, sep),
                        None => c.clone(),
                    };
                    for (k, v) in values.iter().enumerate() {
                        cols.push(format!(
                            "  COALESCE({}, FALSE) AS {}_{k}",
                            d.contains(&arr, v),
                            fcol(i)
                        ));
                    }
                }
            }
        }
        format!("SELECT\n{}\nFROM {}", cols.join(",\n"), self.d.table(table))
    }

    fn strings(&self, values: &[String]) -> String {
        values
            .iter()
            .map(|s| self.d.string(s))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The encoded columns `x0 …`, as `features::encode` fills a row, and
    /// whether the account is in the ICP.
    fn encoded_cte(&self) -> String {
        let d = self.d;
        let f = |v: f64| d.float(v);
        let mut cols = vec!["  account_id".to_string()];
        let mut j = 0;
        let mut push = |cols: &mut Vec<String>, e: String| {
            cols.push(format!("  {e} AS x{j}"));
            j += 1;
        };
        for (i, spec) in self.model.features.iter().enumerate() {
            let fc = fcol(i);
            let flag = format!("CASE WHEN {fc} IS NULL THEN {} ELSE {} END", f(1.0), f(0.0));
            match &spec.transform {
                Transform::Numeric {
                    log,
                    impute,
                    center,
                    scale,
                    missing_flag,
                } => {
                    let value = format!("COALESCE({fc}, {})", f(*impute));
                    let t = if *log {
                        format!("LN({} + GREATEST({value}, {}))", f(1.0), f(0.0))
                    } else {
                        value
                    };
                    push(&mut cols, format!("({t} - {}) / {}", f(*center), f(*scale)));
                    if *missing_flag {
                        push(&mut cols, flag);
                    }
                }
                Transform::Binary {
                    impute,
                    missing_flag,
                } => {
                    push(&mut cols, format!("COALESCE({fc}, {})", f(*impute)));
                    if *missing_flag {
                        push(&mut cols, flag);
                    }
                }
                Transform::Categorical { levels, .. } => {
                    for l in levels {
                        push(
                            &mut cols,
                            format!(
                                "CASE WHEN {fc} = {} THEN {} ELSE {} END",
                                d.string(l),
                                f(ONE_HOT),
                                f(0.0)
                            ),
                        );
                    }
                }
                Transform::List { values, .. } => {
                    for k in 0..values.len() {
                        push(
                            &mut cols,
                            format!("CASE WHEN {fc}_{k} THEN {} ELSE {} END", f(1.0), f(0.0)),
                        );
                    }
                }
            }
        }
        cols.push(format!("  {} AS in_icp", self.in_icp()));
        format!("SELECT\n{}\nFROM features", cols.join(",\n"))
    }

    /// All qualifying criteria and no disqualifying one, as
    /// `Criteria::in_icp`; a criterion is never null. Without a qualifying
    /// criterion no ICP was found: `FALSE`.
    fn in_icp(&self) -> String {
        let c = &self.model.criteria;
        if !c.found() {
            return "FALSE".to_string();
        }
        let mut parts: Vec<String> = c.qualifying.iter().map(|q| self.condition(q)).collect();
        parts.extend(
            c.disqualifying
                .iter()
                .map(|q| format!("NOT {}", self.condition(q))),
        );
        format!("({})", parts.join(" AND "))
    }

    /// One criterion on the `features` CTE, as `Condition::matches`: false
    /// for a feature the model does not have, and for a null value.
    fn condition(&self, c: &Condition) -> String {
        let d = self.d;
        let Some((i, spec)) = self
            .model
            .features
            .iter()
            .enumerate()
            .find(|(_, s)| s.name == c.feature())
        else {
            return "FALSE".to_string();
        };
        let fc = fcol(i);
        match (c, &spec.transform) {
            (Condition::In { levels, .. }, Transform::Categorical { .. }) if !levels.is_empty() => {
                format!("COALESCE({fc} IN ({}), FALSE)", self.strings(levels))
            }
            (Condition::Has { value, .. }, Transform::Binary { .. }) => {
                let want = if value == "true" { 1.0 } else { 0.0 };
                format!("COALESCE({fc} = {}, FALSE)", d.float(want))
            }
            (Condition::Has { value, .. }, Transform::List { values, .. }) => {
                match values.iter().position(|v| v == value) {
                    Some(k) => format!("{fc}_{k}"),
                    None => "FALSE".to_string(),
                }
            }
            (Condition::Range { min, max, .. }, Transform::Numeric { .. }) => {
                let mut tests = vec![format!("{fc} IS NOT NULL")];
                tests.extend(min.map(|m| format!("{fc} >= {}", d.float(m))));
                tests.extend(max.map(|m| format!("{fc} <= {}", d.float(m))));
                format!("COALESCE({}, FALSE)", tests.join(" AND "))
            }
            _ => "FALSE".to_string(),
        }
    }

    /// `intercept + (Σ coef_j · x_j)`, summed as `Logistic::log_odds` sums
    /// it; columns with a zero coefficient add nothing and are left out.
    fn log_odds(&self, model: &Logistic) -> String {
        let d = self.d;
        let terms: Vec<String> = model
            .coef
            .iter()
            .enumerate()
            .filter(|(_, c)| **c != 0.0)
            .map(|(j, c)| format!("{} * x{j}", d.float(*c)))
            .collect();
        if terms.is_empty() {
            d.float(model.intercept)
        } else {
            format!("{} + ({})", d.float(model.intercept), terms.join(" + "))
        }
    }

    /// The fit log-odds `z`, the readiness log-odds `rz` (with a readiness
    /// model, as `ReadinessModel::probability` adds its reference), and the
    /// squared distance to each centroid `dist0 …`.
    fn scored_cte(&self) -> String {
        let mut cols = vec![
            "  account_id".to_string(),
            "  in_icp".to_string(),
            format!("  {} AS z", self.log_odds(&self.model.score)),
        ];
        if let Some(r) = &self.model.readiness {
            cols.push(format!(
                "  {} + ({}) AS rz",
                self.d.float(r.reference_log_odds),
                self.log_odds(&r.score)
            ));
        }
        for (s, c) in self.model.segments.centroids.iter().enumerate() {
            cols.push(format!("  {} AS dist{s}", self.sq_dist(c)));
        }
        format!("SELECT\n{}\nFROM encoded", cols.join(",\n"))
    }

    /// `Σ (x_j · w_j − c_j)²` in the order `cluster::distance::sq_dist` adds
    /// it: four lanes over chunks of four columns, the lanes added pairwise,
    /// then the remainder.
    fn sq_dist(&self, centroid: &[f64]) -> String {
        let d = self.d;
        let w = &self.model.segments.column_weights;
        let sq = |j: usize| {
            if w[j] == 0.0 {
                let diff = 0.0 - centroid[j];
                d.float(diff * diff)
            } else {
                let e = format!("(x{j} * {} - {})", d.float(w[j]), d.float(centroid[j]));
                format!("{e} * {e}")
            }
        };
        let n = centroid.len();
        let chunks = n / 4;
        let sum = |js: Vec<usize>| -> String {
            if js.is_empty() {
                d.float(0.0)
            } else {
                format!(
                    "({})",
                    js.into_iter().map(sq).collect::<Vec<_>>().join(" + ")
                )
            }
        };
        let lane = |l: usize| sum((0..chunks).map(|c| 4 * c + l).collect());
        format!(
            "(({} + {}) + ({} + {})) + {}",
            lane(0),
            lane(1),
            lane(2),
            lane(3),
            sum((4 * chunks..n).collect())
        )
    }

    /// `logistic(z)` in the two branches of `logistic::probability`.
    fn sigmoid(&self, z: &str) -> String {
        let d = self.d;
        let one = d.float(1.0);
        format!(
            "CASE WHEN {z} >= {} THEN {one} / ({one} + {}) ELSE {} / ({one} + {}) END",
            d.float(0.0),
            d.exp(&format!("-{z}")),
            d.exp(z),
            d.exp(z)
        )
    }

    /// The win probability `p` (and readiness `rp`), and the segment of the
    /// first nearest centroid.
    fn probability_cte(&self) -> String {
        let seg = &self.model.segments;
        let k = seg.centroids.len();
        let id = |s: usize| seg.ids.get(s).copied().unwrap_or(s as u32 + 1);
        let mut case = match k {
            1 => id(0).to_string(),
            _ => String::from("CASE"),
        };
        for s in 0..k.saturating_sub(1) {
            let tests: Vec<String> = (s + 1..k).map(|t| format!("dist{s} <= dist{t}")).collect();
            case.push_str(&format!(" WHEN {} THEN {}", tests.join(" AND "), id(s)));
        }
        if k > 1 {
            case.push_str(&format!(" ELSE {} END", id(k - 1)));
        }
        // The core ICP carved out as a segment of its own (id after the
        // centroids'): in the ICP, that segment; else the nearest centroid.
        if seg.core_icp_carved {
            case = format!("CASE WHEN in_icp THEN {} ELSE {case} END", id(k));
        }
        let readiness = match self.model.readiness {
            Some(_) => format!("  {} AS rp,\n", self.sigmoid("rz")),
            None => String::new(),
        };
        format!(
            "SELECT\n  account_id,\n  in_icp,\n  {} AS p,\n{readiness}  {case} AS segment\nFROM scored",
            self.sigmoid("z")
        )
    }

    /// The readiness score 0–100 and its band, as `score` writes them.
    fn readiness_columns(&self) -> String {
        let d = self.d;
        let Some(r) = &self.model.readiness else {
            return String::new();
        };
        let b = &r.bands;
        format!(
            ",\n  {} * rp AS {},\n  CASE WHEN rp >= {} THEN {} WHEN rp >= {} THEN {} ELSE {} END AS {}",
            d.float(100.0),
            d.ident("readiness_score"),
            d.float(b.high_min),
            d.string(Band::High.as_str()),
            d.float(b.medium_min),
            d.string(Band::Medium.as_str()),
            d.string(Band::Low.as_str()),
            d.ident("readiness_band"),
        )
    }

    fn final_select(&self) -> String {
        let d = self.d;
        let t = self.model.thresholds;
        format!(
            "SELECT\n  account_id AS {},\n  {} * p AS {},\n  in_icp AS {},\n  \
             CASE WHEN NOT in_icp THEN NULL WHEN p >= {} THEN 1 WHEN p >= {} THEN 2 ELSE 3 END AS {},\n  \
             segment AS {}{}\nFROM probability",
            d.ident("account_id"),
            d.float(100.0),
            d.ident("fit_score"),
            d.ident("in_icp"),
            d.float(t.tier1_min_probability),
            d.float(t.tier2_min_probability),
            d.ident("recommended_tier"),
            d.ident("segment"),
            self.readiness_columns(),
        )
    }
}
