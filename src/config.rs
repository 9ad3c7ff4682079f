//! Configuration: what the user typed ([`RawConfig`], from a TOML file and
//! flags) and the checked form the pipeline runs on ([`Config`]).
//!
//! Unknown keys are rejected when the file is read, so a typo such as
//! `acount_id` fails loudly instead of being ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cluster::ClusterConfig;
use crate::domain::OutcomeLabel;
use crate::error::{Error, IoOp, Result};
pub use crate::features::{KindOverride, RoleOverride};
pub use crate::io::spec::{AccountColumns, DealColumns, DropPolicy, DropsSection, InputSpec};

/// `[accounts]` in the config file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsSection {
    /// Input path: a Parquet file, a directory of Parquet files, or a CSV file.
    pub path: Option<PathBuf>,
    /// Column holding the account key (default `account_id`).
    pub id: Option<String>,
    /// Column holding the company's current tier (default `tier`, optional).
    pub tier: Option<String>,
    /// Extra tier labels, e.g. `"Strategic account" = 1`.
    #[serde(default)]
    pub tier_labels: BTreeMap<String, u8>,
    /// Feature kind overrides by column name.
    #[serde(default)]
    pub features: BTreeMap<String, KindOverride>,
    /// Feature roles by column name (`[accounts.roles]`).
    #[serde(default)]
    pub roles: RolesSection,
    /// Separator inside a multi-valued text column (default `;`).
    pub list_separator: Option<String>,
    /// CSV field separator (default `,`).
    pub csv_separator: Option<String>,
}

/// `[accounts.roles]`: columns by role; every other feature's role is
/// inferred from its name.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RolesSection {
    #[serde(default)]
    pub fit: Vec<String>,
    #[serde(default)]
    pub signal: Vec<String>,
    #[serde(default)]
    pub relationship: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
}

impl RolesSection {
    /// Column → declared role; a column named under two roles is an error.
    fn by_column(&self) -> Result<BTreeMap<String, RoleOverride>> {
        let mut out = BTreeMap::new();
        let lists = [
            ("fit", RoleOverride::Fit, &self.fit),
            ("signal", RoleOverride::Signal, &self.signal),
            (
                "relationship",
                RoleOverride::Relationship,
                &self.relationship,
            ),
            ("ignore", RoleOverride::Ignore, &self.ignore),
        ];
        for (key, role, names) in lists {
            for name in names {
                if let Some(before) = out.insert(name.clone(), role) {
                    if before != role {
                        return Err(Error::config(
                            format!("[accounts.roles] gives '{name}' two roles"),
                            format!("name it under one role only (it is also under `{key}`)"),
                        ));
                    }
                }
            }
        }
        Ok(out)
    }
}

/// `[deals]` in the config file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DealsSection {
    pub path: Option<PathBuf>,
    pub id: Option<String>,
    pub account_id: Option<String>,
    pub created_at: Option<String>,
    pub closed_at: Option<String>,
    pub outcome: Option<String>,
    pub amount: Option<String>,
    /// CRM stage names mapped onto `won`, `lost` or `open`.
    #[serde(default)]
    pub outcomes: BTreeMap<String, OutcomeLabel>,
    /// CSV field separator (default `,`).
    pub csv_separator: Option<String>,
    /// An open deal older than this many days at the as-of date counts as
    /// lost at creation + this many days (for CRMs that leave dead deals open).
    pub stale_after_days: Option<u32>,
}

/// `[account_history]`: account feature versions, one row per version.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccountHistorySection {
    pub path: Option<PathBuf>,
    /// Column where a version starts (default `valid_from`, else `dbt_valid_from`).
    pub valid_from: Option<String>,
    /// Column where a version ends, null while current (default `valid_to`,
    /// else `dbt_valid_to`).
    pub valid_to: Option<String>,
    /// CSV field separator (default `,`).
    pub csv_separator: Option<String>,
}

/// `[clustering]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClusteringSection {
    pub k_min: Option<usize>,
    pub k_max: Option<usize>,
    pub seed: Option<u64>,
    pub n_runs: Option<usize>,
    pub silhouette_sample: Option<usize>,
    pub fit_sample: Option<usize>,
    pub min_segment_share: Option<f64>,
    pub min_segment_accounts: Option<usize>,
}

/// `[analysis]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSection {
    /// Horizons in days for the probability of a win (default 30, 90, 180).
    pub horizons: Option<Vec<u32>>,
    /// Confidence level for intervals (default 0.95).
    pub confidence: Option<f64>,
    /// A finding is significant below this Benjamini–Hochberg q (default 0.05).
    pub q_max: Option<f64>,
    /// Levels with fewer closed deals are never called significant (default 30).
    pub min_support: Option<u64>,
    /// A level is material at lift >= lift_high or <= lift_low (default 1.2, 0.8).
    pub lift_high: Option<f64>,
    pub lift_low: Option<f64>,
    /// A correlation is material at |r| >= min_abs_r (default 0.05).
    pub min_abs_r: Option<f64>,
}

/// `[tiers]`: recommended tier sizes (each tier holds at most the smaller of count and share).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TiersSection {
    pub tier1_max_accounts: Option<usize>,
    pub tier1_max_share: Option<f64>,
    pub tier2_max_accounts: Option<usize>,
    pub tier2_max_share: Option<f64>,
}

/// `[icp]`: how many criteria to recommend, and the core ICP's minimum support.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IcpSection {
    pub max_qualifying: Option<usize>,
    pub max_disqualifying: Option<usize>,
    /// Closed deals a criterion must cover (default: `[analysis] min_support`).
    pub min_support: Option<u64>,
    /// Share (0–1) of the accounts with closed deals the core ICP must hold.
    pub core_min_account_share: Option<f64>,
}

/// The config file as written, before flags are applied and values checked.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub accounts: AccountsSection,
    #[serde(default)]
    pub deals: DealsSection,
    #[serde(default)]
    pub drops: DropsSection,
    #[serde(default)]
    pub account_history: AccountHistorySection,
    #[serde(default)]
    pub clustering: ClusteringSection,
    #[serde(default)]
    pub analysis: AnalysisSection,
    #[serde(default)]
    pub tiers: TiersSection,
    #[serde(default)]
    pub icp: IcpSection,
}

impl RawConfig {
    /// Read a TOML config file. Relative input paths in it are resolved
    /// against the file's directory.
    pub fn from_file(path: &Path) -> Result<RawConfig> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::io(IoOp::ReadingConfig, path, e))?;
        let mut raw = RawConfig::from_toml(&text, path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut raw.accounts.path,
            &mut raw.deals.path,
            &mut raw.account_history.path,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(raw)
    }

    /// Parse config text; `path` is only named in errors. An unknown key is
    /// an error that names its line and suggests the nearest known key.
    pub fn from_toml(text: &str, path: &Path) -> Result<RawConfig> {
        toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| {
                let before = &text.as_bytes()[..s.start.min(text.len())];
                before.iter().filter(|&&b| b == b'\n').count() + 1
            });
            let at = match line {
                Some(l) => format!("{}, line {l}", path.display()),
                None => path.display().to_string(),
            };
            let message = e.message().trim_end().to_string();
            let hint = unknown_key_hint(&message).unwrap_or_else(|| {
                "see data/examples/ for a complete, commented config file".to_string()
            });
            Error::config(format!("config file {at} is not valid: {message}"), hint)
        })
    }
}

/// For serde's "unknown field `x`, expected one of `a`, `b`": the nearest
/// known key, or the list.
fn unknown_key_hint(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|k| !k.is_empty())
        .collect();
    Some(
        match crate::text::nearest(unknown, expected.iter().copied()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("the keys here are {}", expected.join(", ")),
        },
    )
}

/// The checked configuration of a `discover` run.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    /// The input tables and how to read them.
    pub input: InputSpec,
    pub kinds: BTreeMap<String, KindOverride>,
    /// Roles declared in `[accounts.roles]`.
    pub roles: BTreeMap<String, RoleOverride>,
    pub list_separator: String,
    pub cluster: ClusterConfig,
    pub horizons: Vec<u32>,
    pub confidence: f64,
    pub thresholds: crate::correlations::Thresholds,
    /// A previous run directory to keep segment ids stable against and measure drift from.
    pub previous: Option<PathBuf>,
    pub tier_sizes: crate::recommend::TierSizes,
    pub rules: crate::recommend::rules::RuleOptions,
    /// The config file the run was given, recorded in the report.
    pub config_file: Option<PathBuf>,
}

/// Values given on the command line, which win over the config file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub accounts: Option<PathBuf>,
    pub deals: Option<PathBuf>,
    pub account_history: Option<PathBuf>,
    pub k_min: Option<usize>,
    pub k_max: Option<usize>,
    pub seed: Option<u64>,
    pub as_of: Option<i32>,
    pub previous: Option<PathBuf>,
    pub config_file: Option<PathBuf>,
}

fn separator(value: Option<&str>, key: &str) -> Result<u8> {
    match value {
        None => Ok(b','),
        Some("\\t") | Some("\t") => Ok(b'\t'),
        Some(s) if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        Some(s) => Err(Error::config(
            format!("{key} = '{s}' is not a single ASCII character"),
            "use e.g. \",\", \";\" or \"\\t\"",
        )),
    }
}

impl RawConfig {
    /// Apply command-line overrides and defaults, and check every value.
    pub fn check(self, o: Overrides) -> Result<Config> {
        let cluster = cluster_params(&self.clustering, &o)?;
        let confidence = self.analysis.confidence.unwrap_or(0.95);
        if !(0.5..1.0).contains(&confidence) {
            return Err(Error::config(
                format!("confidence = {confidence} is outside [0.5, 1)"),
                "use e.g. confidence = 0.95",
            ));
        }
        let thresholds = thresholds(&self.analysis)?;
        let tier_sizes = tier_sizes(&self.tiers)?;
        let dr = crate::recommend::rules::RuleOptions::default();
        let rules = crate::recommend::rules::RuleOptions {
            max_qualifying: self.icp.max_qualifying.unwrap_or(dr.max_qualifying),
            max_disqualifying: self.icp.max_disqualifying.unwrap_or(dr.max_disqualifying),
            min_support: self.icp.min_support.unwrap_or(thresholds.min_support),
            core_min_account_share: self
                .icp
                .core_min_account_share
                .unwrap_or(dr.core_min_account_share),
        };
        if !(0.0..1.0).contains(&rules.core_min_account_share) {
            return Err(Error::config(
                format!(
                    "icp.core_min_account_share = {} is outside [0, 1)",
                    rules.core_min_account_share
                ),
                "use e.g. core_min_account_share = 0.01 (1% of the accounts with closed deals)",
            ));
        }
        let horizons = horizons(self.analysis.horizons)?;
        let list_separator = self
            .accounts
            .list_separator
            .clone()
            .unwrap_or_else(|| ";".to_string());
        if list_separator.is_empty() {
            return Err(Error::config(
                "accounts.list_separator cannot be empty",
                "use e.g. list_separator = \";\"",
            ));
        }
        let kinds = self.accounts.features.clone();
        let roles = self.accounts.roles.by_column()?;
        Ok(Config {
            input: input_spec(
                self.accounts,
                self.deals,
                self.drops,
                self.account_history,
                &o,
            )?,
            kinds,
            roles,
            list_separator,
            cluster,
            horizons,
            confidence,
            previous: o.previous.clone(),
            config_file: o.config_file.clone(),
            thresholds,
            tier_sizes,
            rules,
        })
    }
}

/// `[clustering]` and the k flags, checked.
fn cluster_params(c: &ClusteringSection, o: &Overrides) -> Result<ClusterConfig> {
    let d = ClusterConfig::default();
    let cluster = ClusterConfig {
        k_min: o.k_min.or(c.k_min).unwrap_or(d.k_min),
        k_max: o.k_max.or(c.k_max).unwrap_or(d.k_max),
        seed: o.seed.or(c.seed).unwrap_or(d.seed),
        n_runs: c.n_runs.unwrap_or(d.n_runs),
        silhouette_sample: c.silhouette_sample.unwrap_or(d.silhouette_sample),
        fit_sample: c.fit_sample.unwrap_or(d.fit_sample),
        min_segment_share: c.min_segment_share.unwrap_or(d.min_segment_share),
        min_segment_accounts: c.min_segment_accounts.unwrap_or(d.min_segment_accounts),
    };
    if cluster.k_min < 2 {
        return Err(Error::config(
            format!("k_min = {} is too small", cluster.k_min),
            "segments need at least 2 clusters; use --k-min 2 or more",
        ));
    }
    if cluster.k_max < cluster.k_min {
        return Err(Error::config(
            format!(
                "k_max = {} is below k_min = {}",
                cluster.k_max, cluster.k_min
            ),
            "give a range such as --k-min 2 --k-max 8",
        ));
    }
    if cluster.n_runs == 0 {
        return Err(Error::config("n_runs cannot be 0", "use n_runs = 10"));
    }
    if cluster.silhouette_sample < 10 || cluster.fit_sample < 10 {
        return Err(Error::config(
            "silhouette_sample and fit_sample must be at least 10",
            "the defaults are 2000 and 25000",
        ));
    }
    if !(0.0..0.5).contains(&cluster.min_segment_share) {
        return Err(Error::config(
            format!(
                "min_segment_share = {} is outside [0, 0.5)",
                cluster.min_segment_share
            ),
            "use a share such as 0.05",
        ));
    }
    Ok(cluster)
}

/// `[analysis]` significance and materiality thresholds, checked.
fn thresholds(an: &AnalysisSection) -> Result<crate::correlations::Thresholds> {
    let dt = crate::correlations::Thresholds::default();
    let thresholds = crate::correlations::Thresholds {
        q_max: an.q_max.unwrap_or(dt.q_max),
        min_support: an.min_support.unwrap_or(dt.min_support),
        min_accounts: dt.min_accounts,
        lift_high: an.lift_high.unwrap_or(dt.lift_high),
        lift_low: an.lift_low.unwrap_or(dt.lift_low),
        min_abs_r: an.min_abs_r.unwrap_or(dt.min_abs_r),
    };
    if !(0.0..1.0).contains(&thresholds.q_max)
        || thresholds.lift_high < 1.0
        || !(0.0..=1.0).contains(&thresholds.lift_low)
        || !(0.0..1.0).contains(&thresholds.min_abs_r)
    {
        return Err(Error::config(
            "[analysis] thresholds are out of range",
            "q_max in (0, 1), lift_high >= 1, lift_low in [0, 1], min_abs_r in [0, 1)",
        ));
    }
    Ok(thresholds)
}

/// `[tiers]` sizes, checked.
fn tier_sizes(t: &TiersSection) -> Result<crate::recommend::TierSizes> {
    let ds = crate::recommend::TierSizes::default();
    let tier_sizes = crate::recommend::TierSizes {
        tier1_max_accounts: t.tier1_max_accounts.unwrap_or(ds.tier1_max_accounts),
        tier1_max_share: t.tier1_max_share.unwrap_or(ds.tier1_max_share),
        tier2_max_accounts: t.tier2_max_accounts.unwrap_or(ds.tier2_max_accounts),
        tier2_max_share: t.tier2_max_share.unwrap_or(ds.tier2_max_share),
    };
    if !(0.0..=1.0).contains(&tier_sizes.tier1_max_share)
        || !(0.0..=1.0).contains(&tier_sizes.tier2_max_share)
        || tier_sizes.tier1_max_accounts == 0
        || tier_sizes.tier2_max_accounts == 0
    {
        return Err(Error::config(
            "[tiers] sizes are out of range",
            "counts are at least 1 and shares in (0, 1], e.g. tier1_max_share = 0.01",
        ));
    }
    Ok(tier_sizes)
}

/// Horizons in days, sorted and deduplicated.
fn horizons(given: Option<Vec<u32>>) -> Result<Vec<u32>> {
    let mut horizons = given.unwrap_or_else(|| vec![30, 90, 180]);
    horizons.sort_unstable();
    horizons.dedup();
    if horizons.is_empty() || horizons[0] == 0 {
        return Err(Error::config(
            "horizons must be a non-empty list of positive day counts",
            "use e.g. horizons = [30, 90, 180]",
        ));
    }
    Ok(horizons)
}

/// The input tables: paths (flags win over the file), columns, labels and drop policies.
fn input_spec(
    a: AccountsSection,
    de: DealsSection,
    drops: DropsSection,
    h: AccountHistorySection,
    o: &Overrides,
) -> Result<InputSpec> {
    let default_dir = Path::new("data/sample");
    let accounts_path = o
        .accounts
        .clone()
        .or(a.path)
        .unwrap_or_else(|| default_dir.join("accounts.parquet"));
    let deals_path = o
        .deals
        .clone()
        .or(de.path)
        .unwrap_or_else(|| default_dir.join("deals.parquet"));
    let mut outcomes = BTreeMap::new();
    for (label, outcome) in de.outcomes {
        outcomes.insert(label.trim().to_lowercase(), outcome);
    }
    Ok(InputSpec {
        accounts_path,
        deals_path,
        account_columns: AccountColumns {
            id: a.id.unwrap_or_else(|| "account_id".into()),
            tier: a.tier.unwrap_or_else(|| "tier".into()),
        },
        deal_columns: DealColumns {
            id: de.id.unwrap_or_else(|| "deal_id".into()),
            account_id: de.account_id.unwrap_or_else(|| "account_id".into()),
            created_at: de.created_at.unwrap_or_else(|| "created_at".into()),
            closed_at: de.closed_at.unwrap_or_else(|| "closed_at".into()),
            outcome: de.outcome.unwrap_or_else(|| "outcome".into()),
            amount: de.amount.unwrap_or_else(|| "amount".into()),
        },
        tier_labels: a
            .tier_labels
            .into_iter()
            .map(|(k, v)| (k.trim().to_lowercase(), v))
            .collect(),
        accounts_csv_separator: separator(a.csv_separator.as_deref(), "accounts.csv_separator")?,
        deals_csv_separator: separator(de.csv_separator.as_deref(), "deals.csv_separator")?,
        outcomes,
        drops,
        stale_after_days: de.stale_after_days,
        as_of: o.as_of,
        account_history: match o.account_history.clone().or(h.path) {
            None => None,
            Some(path) => Some(crate::io::spec::HistorySpec {
                path,
                valid_from: h.valid_from,
                valid_to: h.valid_to,
                csv_separator: separator(
                    h.csv_separator.as_deref(),
                    "account_history.csv_separator",
                )?,
            }),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_config_key_is_rejected() {
        let err = toml::from_str::<RawConfig>("[accounts]\nidd = \"x\"\n").unwrap_err();
        assert!(
            err.message().contains("unknown field `idd`"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn k_max_below_k_min_is_a_config_error() {
        let raw = RawConfig::default();
        let o = Overrides {
            k_min: Some(5),
            k_max: Some(3),
            ..Default::default()
        };
        let err = raw.check(o).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::BAD_INPUT);
        assert!(err.to_string().contains("k_max = 3"));
    }
}
