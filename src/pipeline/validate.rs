//! `validate`: does Tier 1 out-convert Tier 2? Per-tier figures and the
//! verdict for a window of deal creation dates, with tier moves since a
//! previous run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::dates::format_date;
use crate::domain::OutcomeLabel;
use crate::error::{Error, Location, Result};
use crate::io::contract::{Accounts, Deals};
use crate::outcomes::FigureOptions;
use crate::progress::Progress;
use crate::stability::{movement, read_run, ScoredRow};
use crate::verdict::{
    self, parse_quarter, trailing_quarters, CurrentTiers, DayRange, QuarterVerdict,
};

/// Which deals the verdict is about, by creation date.
#[derive(Debug, Clone)]
pub enum WindowChoice {
    /// One quarter, e.g. `2026Q3`.
    Quarter(String),
    /// The trailing N quarters up to the as-of date, with a verdict per quarter.
    Trailing(usize),
    /// From and to dates (days since 1970-01-01); by default the first deal
    /// created and the as-of date.
    Dates { from: Option<i32>, to: Option<i32> },
}

/// What `validate` is asked, beyond the inputs.
#[derive(Debug, Clone)]
pub struct ValidateParams {
    pub window: WindowChoice,
    /// Take tiers from an earlier run's `accounts_scored.parquet` (file or run directory).
    pub tiers_from: Option<PathBuf>,
    /// The column of `tiers_from` to use: `current_tier` or `recommended_tier`.
    pub tier_column: String,
    /// A previous run directory: list accounts whose tier moved since then.
    pub previous: Option<PathBuf>,
}

/// The window `--tiers-from RUN --tier-column recommended_tier` judges by
/// default: the model never saw these deals.
const AFTER_TRAINING: &str = "after the model's training window";

/// The last day (days since 1970-01-01) of the window a run's model was
/// fitted on, from its `model.json` (beside `accounts_scored.parquet`);
/// `None` when the run has no model.
fn training_window_end(run: &Path) -> Result<Option<i32>> {
    let dir = if run.is_dir() {
        run
    } else {
        run.parent().unwrap_or(Path::new(""))
    };
    if !dir.join("model.json").exists() {
        return Ok(None);
    }
    let model = super::score::read_model(dir)?;
    Ok(crate::dates::parse_date(&model.trained_on.to))
}

/// A window: its label, its dates, and its quarters when it spans several.
struct Window {
    label: String,
    range: DayRange,
    quarters: Vec<(String, DayRange)>,
}

/// The verdict and per-tier figures for the window `params` selects.
pub fn validate(
    config: &Config,
    params: &ValidateParams,
    progress: &mut dyn Progress,
) -> Result<CurrentTiers> {
    let inputs = super::load(&config.input, progress)?;
    let (accounts, deals) = (&inputs.accounts, &inputs.deals);
    let run_rows = params
        .tiers_from
        .as_deref()
        .map(|p| read_run(p, &params.tier_column))
        .transpose()?;
    let tier = tiers(config, params, accounts, run_rows.as_ref())?;
    // Recommended tiers are judged, by default, after the window their
    // model was fitted on.
    let after_training = match (&params.tiers_from, &params.window) {
        (Some(run), WindowChoice::Dates { from: None, .. })
            if params.tier_column == "recommended_tier" =>
        {
            training_window_end(run)?
        }
        _ => None,
    };
    let w = window(&params.window, deals, after_training)?;
    check_closed_deals(config, deals, &w)?;
    let opts = FigureOptions {
        horizons: config.horizons.clone(),
        confidence: config.confidence,
    };
    // The recommended ICP, from --tiers-from or else --previous, when that run has one.
    let previous_rows = match (&run_rows, &params.previous) {
        (None, Some(p)) => Some(read_run(p, "current_tier")?),
        _ => None,
    };
    let in_icp = in_icp(accounts, run_rows.as_ref().or(previous_rows.as_ref()));
    let mut ct = verdict::current_tiers(&tier, deals, w.range, &w.label, &opts, in_icp.as_deref());
    if after_training.is_some() {
        let (from, to) = (format_date(w.range.from), format_date(w.range.to));
        ct.verdict = format!(
            "{}, on deals created {}",
            ct.verdict,
            window_text(&w.label, &from, &to)
        );
    }
    for (q, r) in &w.quarters {
        let qt = verdict::current_tiers(&tier, deals, *r, q, &opts, None);
        ct.by_quarter.push(QuarterVerdict {
            window: qt.window,
            verdict: qt.verdict,
            comparisons: qt.comparisons,
        });
    }
    if let Some(prev) = &params.previous {
        let column = if params.tiers_from.is_some() {
            params.tier_column.as_str()
        } else {
            "current_tier"
        };
        let before = match previous_rows {
            Some(rows) => rows,
            None => read_run(prev, column)?,
        };
        ct.movement = Some(movement(
            prev,
            &before,
            column,
            &accounts.ids,
            &tier,
            run_rows.as_ref(),
        )?);
    }
    Ok(ct)
}

/// Each account's tier: from the earlier run, or the accounts' tier column.
fn tiers(
    config: &Config,
    params: &ValidateParams,
    accounts: &Accounts,
    run_rows: Option<&HashMap<String, ScoredRow>>,
) -> Result<Vec<Option<u8>>> {
    match run_rows {
        Some(map) => Ok(accounts
            .ids
            .iter()
            .map(|id| map.get(id).and_then(|r| r.tier(&params.tier_column)))
            .collect()),
        None => accounts.tier.clone().ok_or_else(|| {
            let column = &config.input.account_columns.tier;
            Error::input(
                format!("the accounts have no tier column '{column}'"),
                Location::file(&accounts.path).column(column.as_str()),
                "name the tier column in the config ([accounts] tier = \"...\") or pass --tiers-from RUN_DIR",
            )
        }),
    }
}

/// The window's label and dates; `after_training`, the last day of the
/// training window of the model whose tiers are judged, moves the default
/// start to the day after it.
fn window(choice: &WindowChoice, deals: &Deals, after_training: Option<i32>) -> Result<Window> {
    let as_of = deals.as_of;
    match choice {
        WindowChoice::Quarter(q) => {
            let range = parse_quarter(q).ok_or_else(|| {
                Error::config(
                    format!("--quarter '{q}' is not a quarter"),
                    "use e.g. --quarter 2026Q3",
                )
            })?;
            Ok(Window {
                label: q.to_uppercase(),
                range,
                quarters: vec![],
            })
        }
        WindowChoice::Trailing(0) => Err(Error::config(
            "--quarters 0 selects nothing",
            "use --quarters 4 for the last four quarters",
        )),
        WindowChoice::Trailing(n) => {
            let qs = trailing_quarters(as_of, *n);
            let range = DayRange {
                from: qs[0].1.from,
                to: qs[qs.len() - 1].1.to.min(as_of),
            };
            Ok(Window {
                label: format!("{} to {}", qs[0].0, qs[qs.len() - 1].0),
                range,
                quarters: qs,
            })
        }
        WindowChoice::Dates { from, to } => {
            // Without --from the window starts at the first deal created, as
            // discover's current_tiers section does.
            let range = DayRange {
                from: from
                    .or(after_training.map(|d| d + 1))
                    .unwrap_or_else(|| deals.first_created()),
                to: to.unwrap_or(as_of),
            };
            // A window emptied by the data (--to before the first deal) is
            // reported as a window without closed deals.
            if from.zip(*to).is_some_and(|(f, t)| f > t) {
                return Err(Error::config(
                    "--from is after --to",
                    "give --from on or before --to",
                ));
            }
            let label = match (from, to, after_training) {
                (None, _, Some(end)) => {
                    format!("{AFTER_TRAINING} (which ended {})", format_date(end))
                }
                (None, None, None) => "all deals".to_string(),
                _ => format!("{} to {}", format_date(range.from), format_date(range.to)),
            };
            Ok(Window {
                label,
                range,
                quarters: vec![],
            })
        }
    }
}

/// A window without a closed deal has no verdict: say which dates have deals.
fn check_closed_deals(config: &Config, deals: &Deals, w: &Window) -> Result<()> {
    let r = w.range;
    let closed_in = (0..deals.len()).any(|i| {
        (r.from..=r.to).contains(&deals.created[i]) && deals.outcome[i] != OutcomeLabel::Open
    });
    if closed_in {
        return Ok(());
    }
    Err(Error::input(
        format!(
            "no closed deal was created in the window {}",
            window_text(&w.label, &format_date(r.from), &format_date(r.to))
        ),
        Location::file(&deals.file.path).column(config.input.deal_columns.created_at.as_str()),
        format!(
            "the deals run from {} to {}; choose a window inside them",
            format_date(deals.first_created()),
            format_date(deals.as_of)
        ),
    ))
}

/// Whether each account is in the recommended ICP of a run that has one.
fn in_icp(accounts: &Accounts, rows: Option<&HashMap<String, ScoredRow>>) -> Option<Vec<bool>> {
    rows.filter(|rows| rows.values().any(|r| r.in_icp.is_some()))
        .map(|rows| {
            accounts
                .ids
                .iter()
                .map(|id| rows.get(id).and_then(|r| r.in_icp).unwrap_or(false))
                .collect()
        })
}

/// "2026-07-01 to 2026-09-30 (2026Q3)"; the label is left out when it only
/// repeats the dates.
pub fn window_text(label: &str, from: &str, to: &str) -> String {
    let dates = format!("{from} to {to}");
    if label == dates {
        dates
    } else {
        format!("{dates} ({label})")
    }
}
