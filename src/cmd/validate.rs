//! `abm-segments validate`: does Tier 1 out-convert Tier 2?
//!
//! Per tier: accounts, closed deals, win rate with its interval, time to
//! win, average won amount, pipeline created and won value, over a window of
//! deal creation dates. The verdict is the first line of the output; `--json`
//! prints the same figures as `report.json`'s `current_tiers` section.

use std::path::PathBuf;

use crate::cmd::{date_flag, Console, InputArgs, Log};
use crate::error::{exit, Error, IoOp, Result};
use crate::pipeline::validate::{validate, window_text, ValidateParams, WindowChoice};
use crate::report::format::{interval, money, pct};
use crate::verdict::{self, CurrentTiers};

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

/// The window and tier sources of the arguments.
fn params(args: &Args) -> Result<ValidateParams> {
    let window = if let Some(q) = &args.quarter {
        WindowChoice::Quarter(q.clone())
    } else if let Some(n) = args.quarters {
        WindowChoice::Trailing(n)
    } else {
        let date =
            |flag: &str, v: &Option<String>| v.as_deref().map(|s| date_flag(flag, s)).transpose();
        WindowChoice::Dates {
            from: date("--from", &args.from)?,
            to: date("--to", &args.to)?,
        }
    };
    Ok(ValidateParams {
        window,
        tiers_from: args.tiers_from.clone(),
        tier_column: args.tier_column.clone(),
        previous: args.previous.clone(),
    })
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
    let config = args.input.config(Default::default())?;
    let params = params(&args)?;
    let ct = validate(&config, &params, &mut Console::new(log))?;
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
        .map_err(|e| Error::io(IoOp::Writing, "stdout", e))?;
    if args.fail_on_inversion && verdict::inverted(&ct) {
        return Ok(exit::CHECK_FAILED);
    }
    Ok(exit::OK)
}
