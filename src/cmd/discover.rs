//! `abm-segments discover`: the whole review, one line per stage.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::cluster::{cluster_with_progress, Step};
use crate::cmd::InputArgs;
use crate::cmd::Log;
use crate::config::{Config, Overrides};
use crate::error::{exit, Error, Location, Result};
use crate::features::{encode, infer::InferOptions};
use crate::io::contract::{format_date, Accounts, Deals, Drops};
use crate::io::run_dir::{self, Files};
use crate::outcomes::{figures, group_deals, FigureOptions};
use crate::report::parquet::ScoredAccounts;
use crate::report::{
    self, ClusteringReport, DataQuality, FeatureUsed, Parameters, RankedSegment, Report, RunInfo,
    Section, SegmentReport, SpeedReport,
};
use crate::stats::association::chi2_contingency;
use crate::stats::survival::logrank_test;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    /// Run directory to create [default: runs/discover-<timestamp>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace an existing run directory, only once the new run has succeeded.
    #[arg(long)]
    pub force: bool,
    /// Seed for sampling and k-means; the same seed and inputs give the same report.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Smallest k to try.
    #[arg(long)]
    pub k_min: Option<usize>,
    /// Largest k to try. Each k costs one k-means fit (n_runs restarts) and one silhouette on the sample.
    #[arg(long)]
    pub k_max: Option<usize>,
    /// Exit with status 3 when Tier 1 converts significantly worse than Tier 2 (or Tier 2 than Tier 3).
    #[arg(long)]
    pub fail_on_inversion: bool,
    /// A previous run directory: keep its segment ids for the same segments, list tier moves, and measure drift.
    #[arg(long)]
    pub previous: Option<PathBuf>,
    /// Exit with status 3 when a feature, the fit score or a tier's win rate has drifted (PSI > 0.25) since --previous.
    #[arg(long, requires = "previous")]
    pub fail_on_drift: bool,
}

/// Everything a run produces, before it is written.
pub struct Outcome {
    /// Wall time and memory per stage, in pipeline order (not part of the
    /// report: outputs stay byte-identical between runs).
    pub timings: Vec<Lap>,
    pub report: Report,
    pub files: Files,
}

fn rfc3339_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn config(args: &Args) -> Result<Config> {
    args.input.config(Overrides {
        k_min: args.k_min,
        k_max: args.k_max,
        seed: args.seed,
        previous: args.previous.clone(),
        ..Default::default()
    })
}

pub fn run(args: Args, log: Log) -> Result<u8> {
    let started = chrono::Utc::now();
    let config = config(&args)?;
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!("runs/discover-{}", started.format("%Y%m%d-%H%M%S")))
    });
    run_dir::preflight(&out, args.force)?;
    let result = pipeline(
        &config,
        args.input.config.as_ref().map(|p| p.display().to_string()),
        log,
    )?;
    run_dir::write_atomic(&out, &result.files, args.force, run_dir::Fault::from_env())?;
    let r = &result.report;
    log.output(r.headlines.join("\n"));
    log.output(format!("wrote {}", out.display()));
    let inverted = r
        .current_tiers
        .computed()
        .is_some_and(crate::verdict::inverted);
    if args.fail_on_inversion && inverted {
        log.info("tiers are inverted and --fail-on-inversion was given: exit status 3");
        return Ok(exit::CHECK_FAILED);
    }
    if let Some(d) = r.drift.computed() {
        if !d.drifted.is_empty() {
            log.info(format!(
                "drifted since {}: {}",
                d.against,
                d.drifted.join(", ")
            ));
            if args.fail_on_drift {
                return Ok(exit::CHECK_FAILED);
            }
        }
    }
    Ok(exit::OK)
}

/// Read, validate, segment and measure; returns the report and the files to write.
pub fn pipeline(config: &Config, config_file: Option<String>, log: Log) -> Result<Outcome> {
    let started_at = rfc3339_now();
    let mut clock = Stopwatch::new(log);
    let crate::io::Inputs {
        accounts,
        deals,
        drops,
        deals_read,
    } = crate::cmd::load(config, log)?;
    clock.lap("read and validate");
    log.detail(format!(
        "{} accounts, {} deals kept, as of {}",
        accounts.len(),
        deals.len(),
        format_date(deals.as_of)
    ));

    // Before feature inference: with too few accounts every feature looks constant.
    let n = accounts.len();
    if n < 2 * config.cluster.k_min {
        return Err(Error::input(
            format!(
                "{n} account{} {} too few for {} segments: each segment needs at least two accounts",
                if n == 1 { "" } else { "s" },
                if n == 1 { "is" } else { "are" },
                config.cluster.k_min
            ),
            Location::file(&accounts.path)
                .column(&config.account_columns.id)
                .value(&accounts.ids[0]),
            format!(
                "give at least {} accounts, or lower --k-min (or [clustering] k_min; the least is 2)",
                2 * config.cluster.k_min
            ),
        ));
    }
    let (features, skipped) = crate::features::infer(
        &accounts.features,
        &InferOptions {
            kinds: &config.kinds,
            list_separator: &config.list_separator,
            file: &accounts.path,
        },
    )?;
    clock.lap("features");
    let matrix = encode(&features, accounts.len());
    let won: Vec<Option<bool>> = deals
        .outcome
        .iter()
        .map(|o| match o {
            crate::config::OutcomeLabel::Won => Some(true),
            crate::config::OutcomeLabel::Lost => Some(false),
            crate::config::OutcomeLabel::Open => None,
        })
        .collect();
    let weights = crate::features::encode::outcome_weights(&matrix.x, &deals.account, &won);
    // Clustering works on the weighted copy; the score model on the matrix
    // as encoded. Broadcast along rows: the matrix is row-major.
    let weighted = &matrix.x * &ndarray::Array1::from(weights.clone());
    clock.lap("encode");
    let mut stage = log.stage(
        format!(
            "clustering {} accounts on {} features ({} encoded columns), k = {}..={}",
            accounts.len(),
            features.len(),
            matrix.columns.len(),
            config.cluster.k_min,
            config.cluster.k_max
        ),
        (config.cluster.k_max + 1 - config.cluster.k_min) as u64,
    );
    let clustering =
        cluster_with_progress(weighted.view(), &config.cluster, &mut |step, steps| {
            stage.set_steps(steps as u64);
            stage.step(match step {
                Step::Fit(k) => format!("k = {k}: k-means and silhouette on the sample"),
                Step::Refine(k) => format!("k = {k}: refining on all accounts"),
            });
        })?;
    stage.finish();
    drop(weighted);
    clock.lap("clustering (k selection and fit)");
    log.detail(clustering.reason.clone());

    let mut stage = log.stage("measuring outcomes and speed per segment", 2);
    stage.step("outcomes per segment");
    let opts = FigureOptions {
        horizons: config.horizons.clone(),
        confidence: config.confidence,
    };
    let overall = {
        let all: Vec<usize> = (0..deals.len()).collect();
        figures(&deals, &all, accounts.len() as u64, &opts)
    };
    let k = clustering.k;
    let seg_of: Vec<Option<usize>> = clustering.labels.iter().map(|&l| Some(l)).collect();
    let seg_deals = group_deals(&deals, &seg_of, k);
    let mut seg_accounts = vec![0u64; k];
    for &l in &clustering.labels {
        seg_accounts[l] += 1;
    }
    let distinctions = crate::segments::distinctions(&features, &clustering.labels, k);
    let previous = config.previous.as_deref().map(Previous::load).transpose()?;
    let matching = previous.as_ref().map(|p| {
        crate::stability::match_segments(
            &p.dir,
            &p.rows,
            &p.names,
            &accounts.ids,
            &clustering.labels,
            k,
        )
    });
    let seg_ids: Vec<u32> = matching
        .as_ref()
        .map_or_else(|| (1..=k as u32).collect(), |m| m.ids.clone());
    let mut segments: Vec<SegmentReport> = (0..k)
        .map(|s| {
            let o = figures(&deals, &seg_deals[s], seg_accounts[s], &opts);
            let lift = match (o.win_rate, overall.win_rate) {
                (Some(w), Some(all)) if all > 0.0 => Some(w / all),
                _ => None,
            };
            SegmentReport {
                id: seg_ids[s],
                name: matching
                    .as_ref()
                    .and_then(|m| m.names[s].clone())
                    .unwrap_or_else(|| crate::segments::name(&distinctions[s], &features)),
                share: seg_accounts[s] as f64 / accounts.len() as f64,
                outcomes: o,
                lift,
                distinguishing: distinctions[s].clone(),
            }
        })
        .collect();
    crate::segments::make_segment_names_unique(&mut segments);
    drop(seg_deals);
    clock.lap("segment outcomes");
    stage.step("speed: log-rank test between segments");
    let speed = speed_section(&deals, &clustering.labels, &segments, &config.horizons);
    stage.finish();
    clock.lap("speed test");
    let mut stage = log.stage(
        "fitting ICP criteria, fit scores and tiers, validating on the last full quarter",
        1,
    );
    stage.step("fit score, criteria, tier thresholds and out-of-time validation");
    let learn_from = crate::outcomes::deals_to_learn_from(&deals, &overall);
    let fit_deals = learn_from.as_ref().map_or(&deals, |(d, _)| d);
    let rec = crate::recommend::recommend(
        &features,
        &matrix,
        fit_deals,
        &crate::recommend::Context {
            labels: &clustering.labels,
            centroids: &clustering.centroids,
            column_weights: &weights,
            opts: &opts,
            sizes: &config.tier_sizes,
            rules: &config.rules,
            account_id_column: &config.account_columns.id,
            accounts_sha256: &accounts.file.sha256,
        },
    );
    stage.finish();
    // The encoded matrix is the largest account-level table; nothing after
    // the score model reads it.
    let encoded_columns = matrix.columns.len();
    drop(matrix);
    let mut rec = rec;
    if let Some(r) = &mut rec {
        r.model.segments.ids = seg_ids.clone();
    }
    let mut stage = log.stage("judging the current tiers and finding drivers", 2);
    stage.step("current tiers");
    let in_icp = rec.as_ref().map(|r| r.scores.in_icp.as_slice());
    clock.lap("ICP, score, tiers and holdout");
    let current_tiers = current_tiers_section(&accounts, &deals, &opts, in_icp);
    stage.step("drivers of winning and of speed");
    let correlations = match crate::correlations::analyse(
        &features,
        accounts.len(),
        fit_deals,
        &config.thresholds,
    ) {
        Some(c) => Section::Computed(c),
        None => Section::not_computed("no closed deals"),
    };
    stage.finish();
    let mut deals_with_account = vec![false; accounts.len()];
    for &a in &deals.account {
        deals_with_account[a as usize] = true;
    }

    let mut report = Report {
        schema_version: report::SCHEMA_VERSION,
        run: RunInfo {
            tool: "abm-segments",
            tool_version: env!("CARGO_PKG_VERSION"),
            started_at,
            finished_at: String::new(),
            as_of: format_date(deals.as_of),
            seed: config.cluster.seed,
            parameters: Parameters {
                k_min: config.cluster.k_min,
                k_max: config.cluster.k_max,
                n_runs: config.cluster.n_runs,
                fit_sample: config.cluster.fit_sample,
                silhouette_sample: config.cluster.silhouette_sample,
                min_segment_share: config.cluster.min_segment_share,
                min_segment_accounts: config.cluster.min_segment_accounts,
                horizons_days: config.horizons.clone(),
                confidence: config.confidence,
                config_file,
            },
            inputs: BTreeMap::from([
                ("accounts", accounts.file.clone()),
                ("deals", deals.file.clone()),
            ]),
        },
        headlines: vec![],
        data_quality: DataQuality {
            accounts_read: accounts.file.rows,
            deals_read,
            deals_used: deals.len() as u64,
            deals_dropped: drops.deals_dropped.clone(),
            deals_reopened_at_as_of: drops.deals_reopened_at_as_of,
            deals_lost_as_stale: drops.deals_lost_as_stale,
            accounts_without_deals: deals_with_account.iter().filter(|&&d| !d).count() as u64,
            features_used: features
                .iter()
                .map(|f| FeatureUsed {
                    name: f.spec.name.clone(),
                    kind: f.spec.kind(),
                    nulls: f.spec.nulls,
                    null_share: f.spec.nulls as f64 / accounts.len() as f64,
                    transform: f.spec.transform.clone(),
                })
                .collect(),
            features_skipped: skipped,
            encoded_columns,
            warnings: data_warnings(&drops, &deals, &overall),
        },
        clustering: ClusteringReport {
            method: "k-means (linfa), k-means++ init; k by silhouette on a seeded sample",
            k_considered: clustering.candidates.iter().map(|c| c.k).collect(),
            candidates: clustering.candidates.clone(),
            k_chosen: k,
            reason: clustering.reason.clone(),
            seed: config.cluster.seed,
            n_runs: config.cluster.n_runs,
            fit_sample: clustering.fit_sample,
            silhouette_sample: clustering.silhouette_sample,
        },
        segments,
        speed,
        correlations,
        icp: match &rec {
            Some(r) => Section::Computed(r.icp.clone()),
            None => Section::not_computed(no_model_reason(&overall)),
        },
        tiers: match &rec {
            Some(r) => Section::Computed(r.tiers.clone()),
            None => Section::not_computed(no_model_reason(&overall)),
        },
        current_tiers,
        stability: Section::not_computed("no --previous run given"),
        drift: Section::not_computed("no --previous run given"),
    };
    // Every deal-level figure is in the report now.
    drop(deals);
    if let (Some(p), Some(m)) = (&previous, matching) {
        let (stability, drift) = p.compare(m, &report, &accounts, &features, rec.as_ref())?;
        report.stability = Section::Computed(stability);
        report.drift = drift;
    }
    clock.lap("correlations, current tiers, comparison with --previous");
    report
        .data_quality
        .warnings
        .extend(not_computed_warnings(&report));
    report.headlines = headlines(&report, &overall);
    if let Some((_, note)) = &learn_from {
        report.headlines.push(note.clone());
        report.data_quality.warnings.push(note.clone());
    }
    report.run.finished_at = rfc3339_now();

    let explain = rec
        .as_mut()
        .map(|r| report::parquet::Explain::take(&r.model, &features, &mut r.scores));
    let scored = ScoredAccounts {
        account_id: &accounts.ids,
        segment: clustering.labels.iter().map(|&l| seg_ids[l]).collect(),
        fit_score: match &rec {
            Some(r) => r
                .scores
                .probability
                .iter()
                .map(|p| Some(100.0 * p))
                .collect(),
            None => vec![None; accounts.len()],
        },
        recommended_tier: match &rec {
            Some(r) => r.scores.tier.clone(),
            None => vec![None; accounts.len()],
        },
        in_icp: rec.as_ref().map(|r| r.scores.in_icp.clone()),
        expected_value: rec.as_ref().map(|r| r.scores.expected_value.clone()),
        explain,
        current_tier: accounts
            .tier
            .clone()
            .unwrap_or_else(|| vec![None; accounts.len()]),
    };
    let files: Files = vec![
        ("report.json", report::json::render(&report)?),
        ("report.md", report::markdown::render(&report).into_bytes()),
        ("report.html", report::html::render(&report).into_bytes()),
        ("segments.parquet", report::parquet::segments(&report)?),
        (
            "accounts_scored.parquet",
            report::parquet::accounts_scored(scored, report::parquet::run_metadata(&report))?,
        ),
        (
            "correlations.parquet",
            report::parquet::correlations(&report)?,
        ),
    ];
    let mut files = files;
    if let Some(r) = &rec {
        let mut json = serde_json::to_vec_pretty(&r.model)
            .map_err(|e| crate::error::Error::Internal(format!("serialising model.json: {e}")))?;
        json.push(b'\n');
        files.push(("model.json", json));
    }
    clock.lap("render reports");
    Ok(Outcome {
        report,
        files,
        timings: clock.laps,
    })
}

/// Why the ICP and tiers could not be fitted.
fn no_model_reason(overall: &crate::outcomes::OutcomeFigures) -> String {
    if overall.lost == 0 {
        format!(
            "every closed deal is won ({}): with no lost deal there is nothing to tell winners from losers",
            overall.won
        )
    } else if overall.won == 0 {
        format!(
            "every closed deal is lost ({}): with no won deal there is nothing to tell winners from losers",
            overall.lost
        )
    } else {
        "the score model could not be fitted (too few closed deals, or data that separates winners from losers perfectly)".into()
    }
}

/// One warning per section a degenerate input left uncomputed, with the reason.
fn not_computed_warnings(r: &Report) -> Vec<String> {
    fn reason<T>(s: &Section<T>) -> Option<&str> {
        match s {
            Section::NotComputed { reason, .. } => Some(reason),
            Section::Computed(_) => None,
        }
    }
    [
        ("speed", reason(&r.speed)),
        ("correlations", reason(&r.correlations)),
        ("icp", reason(&r.icp)),
        ("tiers", reason(&r.tiers)),
        ("current_tiers", reason(&r.current_tiers)),
    ]
    .into_iter()
    .filter_map(|(name, why)| why.map(|w| format!("{name}: not computed — {w}")))
    .collect()
}

fn data_warnings(
    drops: &Drops,
    deals: &Deals,
    overall: &crate::outcomes::OutcomeFigures,
) -> Vec<String> {
    let mut w = Vec::new();
    let dropped: u64 = drops.deals_dropped.values().sum();
    if dropped > 0 {
        w.push(format!(
            "{dropped} deals were dropped ({}); see deals_dropped",
            drops
                .deals_dropped
                .iter()
                .map(|(k, v)| format!("{v} {}", k.replace('_', " ")))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if deals
        .outcome
        .iter()
        .all(|o| *o != crate::config::OutcomeLabel::Open)
    {
        w.push("no open deals: time to win is measured on closed deals only".into());
    }
    if overall.lost == 0 {
        w.push(format!(
            "every closed deal is won ({} won, no lost deal): win rates are all 100% and cannot rank segments or criteria",
            overall.won
        ));
    } else if overall.won == 0 {
        w.push(format!(
            "every closed deal is lost ({} lost, no won deal): win rates are all 0% and there is no time to win",
            overall.lost
        ));
    }
    w
}

fn speed_section(
    deals: &Deals,
    labels: &[usize],
    segments: &[SegmentReport],
    horizons: &[u32],
) -> Section<SpeedReport> {
    let durations: Vec<f64> = (0..deals.len()).map(|i| deals.duration(i)).collect();
    let won: Vec<bool> = deals
        .outcome
        .iter()
        .map(|o| *o == crate::config::OutcomeLabel::Won)
        .collect();
    let groups: Vec<u32> = deals
        .account
        .iter()
        .map(|&a| labels[a as usize] as u32)
        .collect();
    let Some(test) = logrank_test(&durations, &won, &groups) else {
        return Section::not_computed(
            "the log-rank test needs at least two segments with won deals",
        );
    };
    let horizon = if horizons.contains(&90) {
        90
    } else {
        horizons[horizons.len() / 2]
    };
    let mut points: Vec<(u32, f64, Option<crate::stats::conversion::Interval>)> = segments
        .iter()
        .filter_map(|s| {
            s.outcomes
                .time_to_win
                .horizons
                .iter()
                .find(|h| h.days == horizon)
                .map(|h| (s.id, h.probability, h.interval))
        })
        .collect();
    points.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let overlaps = |a: Option<crate::stats::conversion::Interval>,
                    b: Option<crate::stats::conversion::Interval>| match (a, b) {
        (Some(a), Some(b)) => a.lo <= b.hi && b.lo <= a.hi,
        _ => true,
    };
    let ranking = points
        .iter()
        .enumerate()
        .map(|(r, &(id, p, iv))| RankedSegment {
            segment: id,
            rank: r + 1,
            probability: p,
            interval: iv,
            not_distinguishable_from: points
                .iter()
                .filter(|o| o.0 != id && overlaps(iv, o.2))
                .map(|o| o.0)
                .collect(),
        })
        .collect();
    Section::Computed(SpeedReport {
        test:
            "log-rank test on the cause-specific hazard of winning (losses and open deals censored)"
                .into(),
        statistic: test.statistic,
        df: test.df as f64,
        p_value: test.p_value,
        ranking_horizon_days: horizon,
        ranking,
    })
}

fn current_tiers_section(
    accounts: &Accounts,
    deals: &Deals,
    opts: &FigureOptions,
    in_icp: Option<&[bool]>,
) -> Section<report::CurrentTiers> {
    let Some(tier) = &accounts.tier else {
        return Section::not_computed("the accounts have no tier column");
    };
    let range = crate::verdict::DayRange {
        from: deals.first_created(),
        to: deals.as_of,
    };
    Section::Computed(crate::verdict::current_tiers(
        tier,
        deals,
        range,
        "all deals",
        opts,
        in_icp,
    ))
}

fn headlines(r: &Report, overall: &crate::outcomes::OutcomeFigures) -> Vec<String> {
    use crate::report::markdown::{interval, pct};
    let mut h = Vec::new();
    let table: Vec<Vec<u64>> = r
        .segments
        .iter()
        .map(|s| vec![s.outcomes.won, s.outcomes.lost])
        .collect();
    let differ = chi2_contingency(&table).map(|c| c.p_value);
    let closed = |s: &SegmentReport| s.outcomes.won + s.outcomes.lost;
    let ranked: Vec<&SegmentReport> = {
        let mut v: Vec<&SegmentReport> = r
            .segments
            .iter()
            .filter(|s| s.outcomes.win_rate.is_some())
            .collect();
        v.sort_by(|a, b| {
            b.outcomes
                .win_rate
                .partial_cmp(&a.outcomes.win_rate)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        v
    };
    match (differ, ranked.first(), ranked.last()) {
        (Some(p), Some(best), Some(_)) if p < 1.0 - r.run.parameters.confidence => {
            let p90 = best.outcomes.time_to_win.horizons.iter().find(|x| x.days == 90);
            h.push(format!(
                "Best segment: S{} ({}) wins {} of {} closed deals ({}), {:.1}× the overall {}{}.",
                best.id,
                best.name,
                pct(best.outcomes.win_rate),
                closed(best),
                interval(best.outcomes.win_rate_interval),
                best.lift.unwrap_or(f64::NAN),
                pct(overall.win_rate),
                p90.map(|x| format!(", and {} of its deals are won within 90 days", pct(Some(x.probability)))).unwrap_or_default()
            ));
        }
        (Some(p), Some(best), Some(worst)) => h.push(format!(
            "Segments convert alike: win rates range from {} to {} and do not differ significantly (chi-square {}).",
            pct(worst.outcomes.win_rate),
            pct(best.outcomes.win_rate),
            crate::report::markdown::p_text(p)
        )),
        _ => h.push("Win rates could not be compared between segments (too few closed deals).".into()),
    }
    // The tier verdict leads; a failed out-of-time validation follows it.
    if let Some(v) = r.tiers.computed().and_then(|t| t.validation.as_ref()) {
        if !v.monotone {
            h.insert(0, format!("{}.", v.text));
        }
    }
    match &r.current_tiers {
        Section::Computed(ct) => h.insert(0, format!("{}.", ct.verdict)),
        Section::NotComputed { reason, .. } => {
            h.push(format!("Current tiers were not judged: {reason}."))
        }
    }
    h.push(top_disqualifier(r));
    h
}

/// A previous run, for stable segment ids, tier moves and drift.
struct Previous {
    dir: PathBuf,
    rows: std::collections::HashMap<String, crate::stability::ScoredRow>,
    names: std::collections::HashMap<u32, String>,
    model: Option<crate::recommend::Model>,
    report: Option<serde_json::Value>,
}

impl Previous {
    fn load(dir: &std::path::Path) -> Result<Previous> {
        let model_file = dir.join("model.json");
        let report_file = dir.join("report.json");
        Ok(Previous {
            dir: dir.to_path_buf(),
            rows: crate::stability::read_run(dir, "current_tier")?,
            names: crate::stability::segment_names(dir)?,
            model: model_file
                .exists()
                .then(|| crate::cmd::score::read_model(&model_file))
                .transpose()?,
            report: std::fs::read_to_string(&report_file)
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok()),
        })
    }

    fn compare(
        &self,
        matching: crate::stability::SegmentMatching,
        report: &Report,
        accounts: &Accounts,
        features: &[crate::features::FeatureColumn],
        rec: Option<&crate::recommend::Recommendation>,
    ) -> Result<(report::Stability, Section<crate::drift::Drift>)> {
        let tiers = match rec {
            Some(r) => {
                let now_rows = accounts
                    .ids
                    .iter()
                    .enumerate()
                    .map(|(i, id)| {
                        (
                            id.clone(),
                            crate::stability::ScoredRow {
                                current_tier: None,
                                recommended_tier: r.scores.tier[i],
                                fit_score: Some(100.0 * r.scores.probability[i]),
                                in_icp: Some(r.scores.in_icp[i]),
                                segment: None,
                            },
                        )
                    })
                    .collect();
                Some(crate::stability::tier_stability(
                    &self.dir,
                    &self.rows,
                    &accounts.ids,
                    &r.scores.tier,
                    &now_rows,
                )?)
            }
            None => None,
        };
        let drift = match &self.model {
            None => Section::not_computed("the previous run has no model.json"),
            Some(m) => {
                // The previous model on today's accounts isolates drift in the data from changes of model.
                let fit =
                    crate::features::infer::apply(&accounts.features, &m.features, &accounts.path)
                        .ok()
                        .map(|f| m.apply(&f, accounts.len()).probability);
                let then_rates: Vec<(Option<u64>, f64)> = self
                    .report
                    .as_ref()
                    .and_then(|r| r["current_tiers"]["tiers"].as_array().cloned())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|t| Some((t["tier"].as_u64(), t["outcomes"]["win_rate"].as_f64()?)))
                    .collect();
                let tier_rates: Vec<(String, f64, f64)> = report
                    .current_tiers
                    .computed()
                    .map(|ct| {
                        ct.tiers
                            .iter()
                            .filter_map(|t| {
                                let then =
                                    then_rates.iter().find(|x| x.0 == t.tier.map(u64::from))?.1;
                                let now = t.outcomes.win_rate?;
                                let name = t.tier.map_or("untiered win rate".to_string(), |x| {
                                    format!("Tier {x} win rate")
                                });
                                Some((name, then, now))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                Section::Computed(crate::drift::drift(
                    format!("{} (as of {})", self.dir.display(), m.as_of),
                    &m.baseline,
                    features,
                    fit.as_deref(),
                    &tier_rates,
                ))
            }
        };
        Ok((
            report::Stability {
                segments: matching,
                tiers,
            },
            drift,
        ))
    }
}

/// One stage of a run: its wall time, and memory as it ended.
#[derive(Debug, Clone)]
pub struct Lap {
    pub stage: &'static str,
    pub seconds: f64,
    /// The process's resident memory, where the system reports it.
    pub memory: Option<crate::memory::Resident>,
}

/// Stage timings, logged with `-v`.
struct Stopwatch {
    log: Log,
    last: std::time::Instant,
    laps: Vec<Lap>,
}

impl Stopwatch {
    fn new(log: Log) -> Self {
        Stopwatch {
            log,
            last: std::time::Instant::now(),
            laps: Vec::new(),
        }
    }

    /// End a stage: time it and hand the memory it freed back to the
    /// operating system, so the next stage does not stack on top of it.
    fn lap(&mut self, stage: &'static str) {
        crate::memory::release_freed();
        let now = std::time::Instant::now();
        let seconds = (now - self.last).as_secs_f64();
        self.last = now;
        let memory = crate::memory::resident();
        self.log.detail(match memory {
            Some(m) => format!(
                "{stage}: {seconds:.2} s (peak so far {:.0} MiB, {:.0} MiB resident after it)",
                m.peak_mib, m.now_mib
            ),
            None => format!("{stage}: {seconds:.2} s"),
        });
        self.laps.push(Lap {
            stage,
            seconds,
            memory,
        });
    }
}

/// The criterion that most rules accounts out: the ICP's first disqualifying
/// rule, or, without one, the strongest material drag on winning among the
/// correlations.
fn top_disqualifier(r: &Report) -> String {
    use crate::report::markdown::pct;
    if let Some(d) = r.icp.computed().and_then(|icp| icp.disqualifying.first()) {
        return format!(
            "Top disqualifier: {} wins {} of {} closed deals ({}).",
            d.text,
            pct(d.win_rate),
            d.closed_deals,
            d.lift
                .map_or_else(|| "–".into(), |l| format!("{l:.2}× the overall rate"))
        );
    }
    match &r.correlations {
        Section::Computed(c) => match c.drivers.winning_negative.first() {
            Some(d) => format!("Top disqualifier: {d}."),
            None => "No account attribute goes materially with losing.".into(),
        },
        Section::NotComputed { reason, .. } => {
            format!("Disqualifiers were not looked for: {reason}.")
        }
    }
}
