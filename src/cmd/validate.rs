//! `abm-segments validate`: does Tier 1 out-convert Tier 2?
//!
//! Per tier: accounts, closed deals, win rate with its interval, time to
//! win, average won amount, pipeline created and won value, over a window of
//! deal creation dates. The verdict is the first line of the output; `--json`
//! prints the same figures as `report.json`'s `current_tiers` section.

use std::path::PathBuf;

use crate::cmd::{date_flag, InputArgs, Log};
use crate::error::{exit, Error, Location, Result};
use crate::io::contract::format_date;
use crate::outcomes::FigureOptions;
use crate::report::markdown::{interval, money, pct};
use crate::report::{CurrentTiers, QuarterVerdict};
use crate::stability::{movement, read_run};
use crate::verdict::{self, parse_quarter, trailing_quarters, DayRange};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    /// Deals created in this quarter, e.g. 2026Q3.
    #[arg(long, conflicts_with_all = ["from", "to", "quarters"])]
    pub quarter: Option<String>,
    /// Deals created on or after this date (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<String>,
    /// Deals created on or before this date (YYYY-MM-DD) [default: the as-of date].
    #[arg(long)]
    pub to: Option<String>,
    /// The trailing N quarters up to the as-of date, with a verdict per quarter.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub quarters: Option<usize>,
    /// Take tiers from an earlier run's accounts_scored.parquet (file or run directory) instead of the accounts' tier column.
    #[arg(long)]
    pub tiers_from: Option<PathBuf>,
    /// The column of --tiers-from to use: current_tier or recommended_tier.
    #[arg(long, default_value = "current_tier", requires = "tiers_from")]
    pub tier_column: String,
    /// A previous run directory: list accounts whose tier moved since then.
    #[arg(long)]
    pub previous: Option<PathBuf>,
    /// Print the verdict and figures as JSON on stdout (the `current_tiers` section of report.json).
    #[arg(long)]
    pub json: bool,
    /// Exit with status 3 when a tier converts significantly worse than the tier below it.
    #[arg(long)]
    pub fail_on_inversion: bool,
}

/// The window `--tiers-from RUN --tier-column recommended_tier` judges by
/// default: the model never saw these deals.
const AFTER_TRAINING: &str = "after the model's training window";

/// Compute the verdict; the command prints it.
pub fn validate(args: &Args, log: Log) -> Result<CurrentTiers> {
    let config = args.input.config(Default::default())?;
    let inputs = crate::cmd::load(&config, log)?;
    let (accounts, deals) = (&inputs.accounts, &inputs.deals);
    let run_rows = args
        .tiers_from
        .as_deref()
        .map(|p| read_run(p, &args.tier_column))
        .transpose()?;
    let tier: Vec<Option<u8>> = match &run_rows {
        Some(map) => accounts
            .ids
            .iter()
            .map(|id| map.get(id).and_then(|r| r.tier(&args.tier_column)))
            .collect(),
        None => accounts.tier.clone().ok_or_else(|| {
            Error::input(
                format!("the accounts have no tier column '{}'", config.account_columns.tier),
                Location::file(&accounts.path).column(config.account_columns.tier.as_str()),
                "name the tier column in the config ([accounts] tier = \"...\") or pass --tiers-from RUN_DIR",
            )
        })?,
    };
    let as_of = deals.as_of;
    let (label, range, quarters) = if let Some(q) = &args.quarter {
        let r = parse_quarter(q).ok_or_else(|| {
            Error::config(
                format!("--quarter '{q}' is not a quarter"),
                "use e.g. --quarter 2026Q3",
            )
        })?;
        (q.to_uppercase(), r, vec![])
    } else if let Some(n) = args.quarters {
        if n == 0 {
            return Err(Error::config(
                "--quarters 0 selects nothing",
                "use --quarters 4 for the last four quarters",
            ));
        }
        let qs = trailing_quarters(as_of, n);
        let r = DayRange {
            from: qs[0].1.from,
            to: qs[qs.len() - 1].1.to.min(as_of),
        };
        (format!("{} to {}", qs[0].0, qs[qs.len() - 1].0), r, qs)
    } else {
        let from = args
            .from
            .as_deref()
            .map(|s| date_flag("--from", s))
            .transpose()?;
        let to = args
            .to
            .as_deref()
            .map(|s| date_flag("--to", s))
            .transpose()?;
        // Without --from the window starts at the first deal created, as
        // discover's current_tiers section does; recommended tiers are
        // judged after the window their model was fitted on.
        let after_training = match (&args.tiers_from, from) {
            (Some(run), None) if args.tier_column == "recommended_tier" => {
                crate::stability::training_window_end(run)?
            }
            _ => None,
        };
        let r = DayRange {
            from: from
                .or(after_training.map(|d| d + 1))
                .unwrap_or_else(|| deals.first_created()),
            to: to.unwrap_or(as_of),
        };
        // A window emptied by the data (--to before the first deal) is
        // reported below as a window without closed deals.
        if from.zip(to).is_some_and(|(f, t)| f > t) {
            return Err(Error::config(
                "--from is after --to",
                "give --from on or before --to",
            ));
        }
        let label = match (from, to, after_training) {
            (None, _, Some(end)) => format!("{AFTER_TRAINING} (which ended {})", format_date(end)),
            (None, None, None) => "all deals".to_string(),
            _ => format!("{} to {}", format_date(r.from), format_date(r.to)),
        };
        (label, r, vec![])
    };
    let opts = FigureOptions {
        horizons: config.horizons.clone(),
        confidence: config.confidence,
    };
    let closed_in = |r: DayRange| {
        (0..deals.len()).any(|i| {
            (r.from..=r.to).contains(&deals.created[i])
                && deals.outcome[i] != crate::config::OutcomeLabel::Open
        })
    };
    if !closed_in(range) {
        return Err(Error::input(
            format!(
                "no closed deal was created in the window {}",
                window_text(&label, &format_date(range.from), &format_date(range.to))
            ),
            Location::file(&deals.file.path).column(config.deal_columns.created_at.as_str()),
            format!(
                "the deals run from {} to {}; choose a window inside them",
                format_date(deals.first_created()),
                format_date(as_of)
            ),
        ));
    }
    // The recommended ICP, from --tiers-from or else --previous, when that run has one.
    let previous_rows = match (&run_rows, &args.previous) {
        (None, Some(p)) => Some(read_run(p, "current_tier")?),
        _ => None,
    };
    let icp_rows = run_rows.as_ref().or(previous_rows.as_ref());
    let in_icp: Option<Vec<bool>> = icp_rows
        .filter(|rows| rows.values().any(|r| r.in_icp.is_some()))
        .map(|rows| {
            accounts
                .ids
                .iter()
                .map(|id| rows.get(id).and_then(|r| r.in_icp).unwrap_or(false))
                .collect()
        });
    let mut ct = verdict::current_tiers(&tier, deals, range, &label, &opts, in_icp.as_deref());
    if label.starts_with(AFTER_TRAINING) {
        ct.verdict = format!(
            "{}, on deals created {}",
            ct.verdict,
            window_text(&label, &format_date(range.from), &format_date(range.to))
        );
    }
    for (q, r) in &quarters {
        let qt = verdict::current_tiers(&tier, deals, *r, q, &opts, None);
        ct.by_quarter.push(QuarterVerdict {
            window: qt.window,
            verdict: qt.verdict,
            comparisons: qt.comparisons,
        });
    }
    if let Some(prev) = &args.previous {
        let column = if args.tiers_from.is_some() {
            args.tier_column.as_str()
        } else {
            "current_tier"
        };
        let before = match &previous_rows {
            Some(rows) => rows.clone(),
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

/// "2026-07-01 to 2026-09-30 (2026Q3)"; the label is left out when it only
/// repeats the dates.
fn window_text(label: &str, from: &str, to: &str) -> String {
    let dates = format!("{from} to {to}");
    if label == dates {
        dates
    } else {
        format!("{dates} ({label})")
    }
}

fn render(ct: &CurrentTiers) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "{}", ct.verdict);
    let _ = writeln!(
        s,
        "\nDeals created {}:\n",
        window_text(&ct.window.label, &ct.window.from, &ct.window.to)
    );
    let _ = writeln!(
        s,
        "{:<9} {:>8} {:>7} {:>8} {:>14} {:>10} {:>10} {:>10} {:>10}",
        "tier",
        "accounts",
        "closed",
        "win rate",
        "95% interval",
        "P(≤90 d)",
        "avg won",
        "pipeline",
        "won value"
    );
    for t in &ct.tiers {
        let o = &t.outcomes;
        let p90 = o
            .time_to_win
            .horizons
            .iter()
            .find(|h| h.days == 90)
            .map(|h| h.probability);
        let _ = writeln!(
            s,
            "{:<9} {:>8} {:>7} {:>8} {:>14} {:>10} {:>10} {:>10} {:>10}",
            t.tier
                .map_or("untiered".to_string(), |t| format!("Tier {t}")),
            o.accounts,
            o.won + o.lost,
            pct(o.win_rate),
            interval(o.win_rate_interval),
            pct(p90),
            money(o.velocity.avg_won_amount),
            money(Some(o.pipeline_value)),
            money(Some(o.won_value)),
        );
    }
    let _ = writeln!(s);
    for c in &ct.comparisons {
        let _ = writeln!(s, "- {}", c.verdict_text);
    }
    if !ct.by_quarter.is_empty() {
        let _ = writeln!(s, "\nBy quarter:");
        for q in &ct.by_quarter {
            let _ = writeln!(s, "- {}: {}", q.window.label, q.verdict);
        }
    }
    let _ = writeln!(s, "\n{}", ct.icp_gap.text);
    if let Some(m) = &ct.movement {
        let _ = writeln!(
            s,
            "\nSince {}: {} up, {} down, {} entered, {} left, {} unchanged",
            m.previous_run, m.up, m.down, m.entered, m.left, m.unchanged
        );
        for mv in m.moves.iter().take(20) {
            let _ = writeln!(s, "- {} {}", mv.account_id, mv.reason);
        }
    }
    s
}

pub fn run(args: Args, log: Log) -> Result<u8> {
    let ct = validate(&args, log)?;
    let out = if args.json {
        let mut v = serde_json::to_string_pretty(&ct)
            .map_err(|e| Error::Internal(format!("serialising: {e}")))?;
        v.push('\n');
        v
    } else if log.level < 0 {
        String::new()
    } else {
        render(&ct)
    };
    use std::io::Write;
    std::io::stdout()
        .write_all(out.as_bytes())
        .map_err(|e| Error::io("writing", "stdout", e))?;
    if args.fail_on_inversion && verdict::inverted(&ct) {
        return Ok(exit::CHECK_FAILED);
    }
    Ok(exit::OK)
}
