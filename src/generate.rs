//! Synthetic accounts, deals and account history with planted structure, for
//! the sample data, tests and benchmarks.
//!
//! Two structures plant different truths, so that no method is tuned to one
//! data set ([`Structure`]; `generate --structure a|b`). Structure A is the
//! default and the sample in `data/sample/` (seed 7, 3,000 accounts, as of
//! 2026-09-30).
//!
//! # Accounts
//!
//! Each account comes from one of six archetypes (share of accounts):
//!
//! | archetype | A | B | industries | employees | region |
//! |---|---|---|---|---|---|
//! | 0 fit-group core | 6.5% | 3% | A: Fintech, SaaS; B: Manufacturing, Logistics | 200–2,000 | A: any; B: EMEA |
//! | 1 near miss | 8% | 11.5% | as archetype 0 | 200–2,000 | A: any; B: not EMEA |
//! | 2 mid-market | 22% | 22% | Healthcare, Manufacturing, Retail, Logistics, Education | 200–2,000 | any |
//! | 3 SMB | 40% | 40% | any but Government | 10–200 | any |
//! | 4 enterprise | 21.5% | 21.5% | any but Government | 2,500–25,000 | any |
//! | 5 government | 2% | 2% | Government | 30,000–200,000 | any |
//!
//! Employees are log-uniform in the band; "any" region is uniform over four
//! with 0.5% null (fewer than 1% of accounts, so the missing level is
//! folded into `other`). Technologies are drawn independently with these adoption
//! rates (Salesforce, HubSpot, Snowflake, AWS, SAP, Marketo): A's core
//! 0.90, 0.05, 0.10, 0.30, 0.05, 0.60 and A's near misses 0 (never
//! Salesforce), 0.40, 0.10, 0.50, 0.05, 0.30; B's core 0.10, 0.20, 0.10, 0.50,
//! 0.90, 0.05 and B's near misses the same with SAP at 0.80; mid-market 0.40,
//! 0.30, 0.10, 0.70, 0.15, 0.10; SMB 0.30, 0.70, 0.03, 0.30, 0.02, 0.05;
//! enterprise 0.30, 0.05, 0.80, 0.50, 0.80, 0.05; government 0.10, 0.02,
//! 0.10, 0.20, 0.90, 0.05. So Snowflake and SAP ride with size, and the
//! decoys of A's rule (Fintech/SaaS SMBs and enterprises with Salesforce,
//! mid-size Fintech/SaaS without it, mid-size accounts with Salesforce in
//! other industries) outnumber its group: only the AND of the three
//! conditions finds it.
//!
//! Every account, whatever its archetype: `intent_score` =
//! round(clamp(50 + 18·N(0,1), 0, 100)), independent of fit;
//! `web_visits_90d` = round(2·exp(1.2·N(0,1))·(1 + intent/25)), correlated
//! with intent; `exec_relationship` with probability 0.15 (0.10 SMB, 0.30
//! enterprise and government); `known_contacts` = 1 + Poisson(2 + ln
//! employees) (1% null); `annual_revenue` ≈ 150,000 × employees × a
//! log-normal factor (2% null); `noise_score` uniform 0–100, pure noise.
//! The current `tier` is assigned by size (largest 1% Tier 1, next 5% Tier
//! 2, next 24% Tier 3), so Tier 1 is government and converts *worse* than
//! Tier 2.
//!
//! # The planted truth
//!
//! Fit features (who the account is): `industry`, `employees`,
//! `annual_revenue`, `region`, `technologies`. Signals (in market now):
//! `intent_score`, `web_visits_90d`. Relationship: `exec_relationship`,
//! `known_contacts`. Post-outcome: `csm_assigned`. Neither `noise_score` nor
//! `annual_revenue`, `region` (in A), Snowflake or any technology outside the
//! rule has an effect of its own.
//!
//! The **planted fit group** ([`in_planted_fit_group`], per account in
//! [`Generated::fit_group`]) is an AND rule:
//!
//! - A: `industry in {Fintech, SaaS}` AND `200 <= employees <= 2000` AND
//!   `technologies has Salesforce` ([`in_planted_icp`]);
//! - B: `region = EMEA` AND `industry in {Manufacturing, Logistics}` AND
//!   `technologies has SAP` (core accounts, and enterprise and mid-market
//!   accounts that happen to meet it).
//!
//! A deal is won with probability `logistic(z)` ([`WinModel`]), with `z`
//! fixed per account:
//!
//! ```text
//! A: z = −1.55 + 2.7·fit + 0.045·(intent − 50) + 0.7·exec_relationship
//!        + 0.04·(known_contacts − 8) − 4·[industry = Government] + u,  u ~ N(0, 0.5)
//! B: z = −1.15 + 2.0·fit + 0.35·(ln(1 + web_visits_90d) − 2)
//!        + 0.12·(known_contacts − 8) − 3·[industry = Education] + u,  u ~ N(0, 0.8)
//! ```
//!
//! In B, intent acts only through its correlation with visits, and
//! executive relationships and Government have no effect.
//!
//! `u` is the account's random effect, shared by its deals (a null
//! `known_contacts` counts as 8). The fit effect is larger than a plain
//! +2.0 because the signal and the account effect spread the win rates:
//! +2.0 gives the fit group only 2.4× the overall rate in A. On 20,000
//! accounts (unit tests): A's fit group is 5.8% of accounts and wins 74%
//! of its closed deals against 27% overall (2.8×); B's is 4.3% and wins 72%
//! against 27% (2.6×). On the sample (8,928 deals, 7,971 closed): the fit
//! group is 6.6% of accounts and wins 71.8% of its 570 closed deals against
//! 26.1% overall (2.8×); Government wins 1.5% of 137; deals of accounts with
//! intent ≥ 65 win 40.2%, with intent ≤ 35 15.0%; `csm_assigned` is true
//! for 45% of accounts, and the snapshot shows it as a perfect separator
//! (accounts without it won none of their 3,542 closed deals), which is the
//! leak it plants.
//!
//! # Deals
//!
//! A Poisson number of deals per account (mean `deals_per_account`), created
//! uniformly over the [`DEAL_WINDOW_DAYS`] (730) days before the as-of date.
//! Days from creation to close follow an Erlang distribution of shape 2 with
//! mean 40 days for the fit-group core, 150 for enterprise and government,
//! 60 otherwise ([`cycle_cdf`]); a deal whose close would fall after the
//! as-of date is open. Amounts grow with employees^0.3 (1% null).
//!
//! # Post-outcome feature and account history
//!
//! `csm_assigned` is true in the accounts table (the snapshot at the as-of
//! date) exactly when the account has a won deal closed on or before the
//! as-of date; it has no effect on winning, so any association with winning
//! in the snapshot is a leak. [`Generated::account_history`]
//! (`generate --history` writes it as `account_history.<ext>`) holds its
//! versions in the contract's shape: `account_id`, `valid_from`, `valid_to`
//! (null while current; a version is valid on `valid_from <= day <
//! valid_to`), `tier` and `csm_assigned`. Each account's first version
//! starts [`HISTORY_LEAD_DAYS`] (730) days before the deal window with
//! `csm_assigned = false`; an account with a won deal gets a second version
//! from that deal's close date with `csm_assigned = true`. The tier does not
//! change, and every other feature (intent included) is constant over time:
//! the win probability uses the accounts table's values. Ranges of one
//! account never overlap, and its open version equals the accounts table.

use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;

use crate::dates::parse_date;
use crate::error::{Error, IoOp, Result};

/// Which planted truth to generate (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Structure {
    /// A strong broad intent signal beside a small Fintech/SaaS × mid-size ×
    /// Salesforce fit group; Government disqualifies. The sample's structure.
    #[default]
    A,
    /// A weaker web-visits signal beside a small EMEA × Manufacturing/Logistics
    /// × SAP fit group; Education disqualifies.
    B,
}

/// Generator parameters.
#[derive(Debug, Clone)]
pub struct GenerateParams {
    pub accounts: usize,
    /// Mean deals per account.
    pub deals_per_account: f64,
    pub seed: u64,
    /// As-of date, `YYYY-MM-DD`.
    pub as_of: String,
    /// The planted truth.
    pub structure: Structure,
}

impl Default for GenerateParams {
    fn default() -> Self {
        GenerateParams {
            accounts: 3_000,
            deals_per_account: 3.0,
            seed: 7,
            as_of: "2026-09-30".into(),
            structure: Structure::A,
        }
    }
}

pub const INDUSTRIES: [&str; 8] = [
    "Fintech",
    "SaaS",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Logistics",
    "Education",
    "Government",
];
const TECHNOLOGIES: [&str; 6] = [
    "Salesforce",
    "HubSpot",
    "Snowflake",
    "AWS",
    "SAP",
    "Marketo",
];
const REGIONS: [&str; 4] = ["North America", "EMEA", "APAC", "LATAM"];

/// Days from the start of the history table to the first day deals can be
/// created: versions begin two years before the two-year deal window.
pub const HISTORY_LEAD_DAYS: i32 = 730;
/// Deals are created uniformly over this many days up to the as-of date.
pub const DEAL_WINDOW_DAYS: i32 = 730;

/// The planted fit group of structure A:
/// `industry in {Fintech, SaaS}` AND `200 <= employees <= 2000` AND
/// `technologies has Salesforce`.
pub fn in_planted_icp(industry: &str, employees: f64, technologies: &[&str]) -> bool {
    in_planted_fit_group(Structure::A, industry, employees, None, technologies)
}

/// Whether an account is in the planted fit group of `structure`:
/// A: `industry in {Fintech, SaaS}` AND `200 <= employees <= 2000` AND
/// `technologies has Salesforce`; B: `region = EMEA` AND
/// `industry in {Manufacturing, Logistics}` AND `technologies has SAP`.
pub fn in_planted_fit_group(
    structure: Structure,
    industry: &str,
    employees: f64,
    region: Option<&str>,
    technologies: &[&str],
) -> bool {
    match structure {
        Structure::A => {
            (industry == "Fintech" || industry == "SaaS")
                && (200.0..=2000.0).contains(&employees)
                && technologies.contains(&"Salesforce")
        }
        Structure::B => {
            region == Some("EMEA")
                && (industry == "Manufacturing" || industry == "Logistics")
                && technologies.contains(&"SAP")
        }
    }
}

/// The coefficients of a structure's win model, on the logit scale. A deal
/// is won with probability `logistic(z)`, where for its account
///
/// ```text
/// z = intercept + fit·[in fit group] + intent·(intent_score − 50)
///     + log_visits·(ln(1 + web_visits_90d) − 2) + exec·[exec_relationship]
///     + contacts·(known_contacts − 8) + disqualifier_effect·[industry = disqualifier]
///     + u
/// ```
///
/// with `u ~ Normal(0, account_sd)` drawn once per account (a null
/// `known_contacts` counts as 8).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WinModel {
    pub intercept: f64,
    pub fit: f64,
    pub intent: f64,
    pub log_visits: f64,
    pub exec: f64,
    pub contacts: f64,
    pub disqualifier: &'static str,
    pub disqualifier_effect: f64,
    pub account_sd: f64,
}

impl Structure {
    /// The planted win model.
    pub fn win_model(self) -> WinModel {
        match self {
            Structure::A => WinModel {
                intercept: -1.55,
                fit: 2.7,
                intent: 0.045,
                log_visits: 0.0,
                exec: 0.7,
                contacts: 0.04,
                disqualifier: "Government",
                disqualifier_effect: -4.0,
                account_sd: 0.5,
            },
            Structure::B => WinModel {
                intercept: -1.15,
                fit: 2.0,
                intent: 0.0,
                log_visits: 0.35,
                exec: 0.0,
                contacts: 0.12,
                disqualifier: "Education",
                disqualifier_effect: -3.0,
                account_sd: 0.8,
            },
        }
    }
}

/// What the win model reads of one account.
#[derive(Debug, Clone, Copy)]
pub struct AccountTruth<'a> {
    pub fit: bool,
    pub industry: &'a str,
    pub intent: f64,
    pub visits: f64,
    pub exec: bool,
    pub contacts: Option<f64>,
    /// The account's random effect on the logit.
    pub u: f64,
}

impl WinModel {
    /// The logit of a deal's win probability for account `a`.
    pub fn logit(&self, a: &AccountTruth) -> f64 {
        let flag = |b: bool| f64::from(u8::from(b));
        self.intercept
            + self.fit * flag(a.fit)
            + self.intent * (a.intent - 50.0)
            + self.log_visits * ((1.0 + a.visits).ln() - 2.0)
            + self.exec * flag(a.exec)
            + self.contacts * (a.contacts.unwrap_or(8.0) - 8.0)
            + self.disqualifier_effect * flag(a.industry == self.disqualifier)
            + a.u
    }

    /// The probability that a deal of account `a` is won.
    pub fn win_probability(&self, a: &AccountTruth) -> f64 {
        1.0 / (1.0 + (-self.logit(a)).exp())
    }
}

/// The CDF of the planted cycle length (Erlang, shape 2) at `t` days.
pub fn cycle_cdf(t: f64, mean: f64) -> f64 {
    let rate = 2.0 / mean;
    1.0 - (-rate * t).exp() * (1.0 + rate * t)
}

fn normal(rng: &mut Xoshiro256Plus) -> f64 {
    let u1: f64 = rng.gen_range(f64::MIN_POSITIVE..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn log_uniform(rng: &mut Xoshiro256Plus, lo: f64, hi: f64) -> f64 {
    (rng.gen_range(lo.ln()..hi.ln())).exp()
}

fn poisson(rng: &mut Xoshiro256Plus, mean: f64) -> usize {
    let l = (-mean).exp();
    let mut k = 0;
    let mut p = 1.0;
    loop {
        p *= rng.gen::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

/// Where an archetype's accounts are.
#[derive(Debug, Clone, Copy)]
enum Regions {
    /// Any of the four regions, 0.5% null.
    Any,
    Emea,
    NotEmea,
}

/// One kind of account: its share, industries, size band, regions,
/// technology adoption, executive-relationship rate and mean cycle.
#[derive(Debug, Clone, Copy)]
struct Archetype {
    share: f64,
    industries: &'static [&'static str],
    employees: (f64, f64),
    regions: Regions,
    /// Adoption probability of Salesforce, HubSpot, Snowflake, AWS, SAP, Marketo.
    adoption: [f64; 6],
    exec: f64,
    cycle_mean_days: f64,
}

const FINTECH_SAAS: &[&str] = &["Fintech", "SaaS"];
const MANUFACTURING_LOGISTICS: &[&str] = &["Manufacturing", "Logistics"];
const MID_MARKET: &[&str] = &[
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Logistics",
    "Education",
];
const NOT_GOVERNMENT: &[&str] = &[
    "Fintech",
    "SaaS",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Logistics",
    "Education",
];

/// Archetypes 2–5 (mid-market, SMB, enterprise, government), shared by both structures.
const COMMON: [Archetype; 4] = [
    Archetype {
        share: 0.22,
        industries: MID_MARKET,
        employees: (200.0, 2000.0),
        regions: Regions::Any,
        adoption: [0.40, 0.30, 0.10, 0.70, 0.15, 0.10],
        exec: 0.15,
        cycle_mean_days: 60.0,
    },
    Archetype {
        share: 0.40,
        industries: NOT_GOVERNMENT,
        employees: (10.0, 200.0),
        regions: Regions::Any,
        adoption: [0.30, 0.70, 0.03, 0.30, 0.02, 0.05],
        exec: 0.10,
        cycle_mean_days: 60.0,
    },
    Archetype {
        share: 0.215,
        industries: NOT_GOVERNMENT,
        employees: (2500.0, 25_000.0),
        regions: Regions::Any,
        adoption: [0.30, 0.05, 0.80, 0.50, 0.80, 0.05],
        exec: 0.30,
        cycle_mean_days: 150.0,
    },
    Archetype {
        share: 0.02,
        industries: &["Government"],
        employees: (30_000.0, 200_000.0),
        regions: Regions::Any,
        adoption: [0.10, 0.02, 0.10, 0.20, 0.90, 0.05],
        exec: 0.30,
        cycle_mean_days: 150.0,
    },
];

impl Structure {
    /// Archetypes 0 (the fit group's core) and 1 (near misses: two of the
    /// three conditions), which differ by structure, then [`COMMON`].
    fn archetypes(self) -> [Archetype; 6] {
        let [mid, smb, ent, gov] = COMMON;
        let (core, near) = match self {
            Structure::A => (
                Archetype {
                    share: 0.065,
                    industries: FINTECH_SAAS,
                    employees: (200.0, 2000.0),
                    regions: Regions::Any,
                    adoption: [0.90, 0.05, 0.10, 0.30, 0.05, 0.60],
                    exec: 0.15,
                    cycle_mean_days: 40.0,
                },
                Archetype {
                    share: 0.08,
                    industries: FINTECH_SAAS,
                    employees: (200.0, 2000.0),
                    regions: Regions::Any,
                    adoption: [0.0, 0.40, 0.10, 0.50, 0.05, 0.30],
                    exec: 0.15,
                    cycle_mean_days: 60.0,
                },
            ),
            Structure::B => (
                Archetype {
                    share: 0.03,
                    industries: MANUFACTURING_LOGISTICS,
                    employees: (200.0, 2000.0),
                    regions: Regions::Emea,
                    adoption: [0.10, 0.20, 0.10, 0.50, 0.90, 0.05],
                    exec: 0.15,
                    cycle_mean_days: 40.0,
                },
                Archetype {
                    share: 0.115,
                    industries: MANUFACTURING_LOGISTICS,
                    employees: (200.0, 2000.0),
                    regions: Regions::NotEmea,
                    adoption: [0.10, 0.20, 0.10, 0.50, 0.80, 0.05],
                    exec: 0.15,
                    cycle_mean_days: 60.0,
                },
            ),
        };
        [core, near, mid, smb, ent, gov]
    }
}

/// The generated tables and their truth.
pub struct Generated {
    pub accounts: DataFrame,
    pub deals: DataFrame,
    /// Feature versions per account (see the module docs): `account_id`,
    /// `valid_from`, `valid_to` (null while current), `tier`, `csm_assigned`.
    pub account_history: DataFrame,
    /// Archetype per account: 0 fit-group core, 1 near miss, 2 mid-market,
    /// 3 SMB, 4 enterprise, 5 government.
    pub archetype: Vec<u8>,
    /// Whether each account (in row order) is in the planted fit group.
    pub fit_group: Vec<bool>,
    /// Each account's probability that a deal of it is won.
    pub p_win: Vec<f64>,
}

/// Generate accounts, deals and account history.
pub fn generate(p: &GenerateParams) -> Result<Generated> {
    let as_of = parse_date(&p.as_of).ok_or_else(|| {
        Error::config(
            format!("--as-of '{}' is not a date", p.as_of),
            "use YYYY-MM-DD",
        )
    })?;
    if p.accounts == 0 {
        return Err(Error::config(
            "--accounts must be at least 1",
            "e.g. --accounts 2000",
        ));
    }
    let n = p.accounts;
    let mut rng = Xoshiro256Plus::seed_from_u64(p.seed);
    let mut accounts = AccountRows::new(n, p.structure);
    for i in 0..n {
        accounts.push_random(&mut rng, i);
    }
    let deal_rows = DealRows::random(&mut rng, p, as_of, &accounts);
    let first_win = deal_rows.first_win(&accounts.ids);
    let deals = deal_rows.into_frame()?;
    let tier = current_tiers(&accounts.employees);
    let account_history = history_frame(&accounts.ids, &tier, &first_win, as_of)?;
    let archetype = accounts.archetype.clone();
    let fit_group = accounts.fit.clone();
    let p_win = accounts.p_win.clone();
    let csm: Vec<bool> = first_win.iter().map(Option::is_some).collect();
    Ok(Generated {
        accounts: accounts.into_frame(tier, csm)?,
        deals,
        account_history,
        archetype,
        fit_group,
        p_win,
    })
}

fn polars_error(e: PolarsError) -> Error {
    Error::Internal(format!("building generated tables: {e}"))
}

fn date_column(name: &str, v: Vec<Option<i32>>) -> Result<Column> {
    Column::new(name.into(), v)
        .cast(&DataType::Date)
        .map_err(polars_error)
}

/// The accounts' columns, filled one random account at a time.
struct AccountRows {
    structure: Structure,
    archetypes: [Archetype; 6],
    model: WinModel,
    ids: Vec<String>,
    industry: Vec<&'static str>,
    employees: Vec<i64>,
    revenue: Vec<Option<f64>>,
    region: Vec<Option<&'static str>>,
    tech: ListStringChunkedBuilder,
    intent: Vec<f64>,
    visits: Vec<i64>,
    exec: Vec<bool>,
    contacts: Vec<Option<i64>>,
    noise: Vec<f64>,
    archetype: Vec<u8>,
    fit: Vec<bool>,
    p_win: Vec<f64>,
    /// Scratch: one account's technologies.
    techs: Vec<&'static str>,
}

impl AccountRows {
    fn new(n: usize, structure: Structure) -> AccountRows {
        AccountRows {
            structure,
            archetypes: structure.archetypes(),
            model: structure.win_model(),
            ids: Vec::with_capacity(n),
            industry: Vec::with_capacity(n),
            employees: Vec::with_capacity(n),
            revenue: Vec::with_capacity(n),
            region: Vec::with_capacity(n),
            tech: ListStringChunkedBuilder::new("technologies".into(), n, n * 2),
            intent: Vec::with_capacity(n),
            visits: Vec::with_capacity(n),
            exec: Vec::with_capacity(n),
            contacts: Vec::with_capacity(n),
            noise: Vec::with_capacity(n),
            archetype: Vec::with_capacity(n),
            fit: Vec::with_capacity(n),
            p_win: Vec::with_capacity(n),
            techs: Vec::with_capacity(6),
        }
    }

    /// The archetype of the next account, by its share.
    fn draw_archetype(&self, rng: &mut Xoshiro256Plus) -> u8 {
        let u: f64 = rng.gen();
        let mut cum = 0.0;
        for (a, arch) in self.archetypes.iter().enumerate() {
            cum += arch.share;
            if u < cum {
                return a as u8;
            }
        }
        (self.archetypes.len() - 1) as u8
    }

    /// Account `i` (0-based) drawn from its archetype, as the module docs
    /// describe. The draws' order is part of what a seed reproduces.
    fn push_random(&mut self, rng: &mut Xoshiro256Plus, i: usize) {
        let a = self.draw_archetype(rng);
        let arch = self.archetypes[a as usize];
        let ind = arch.industries[rng.gen_range(0..arch.industries.len())];
        let emp = log_uniform(rng, arch.employees.0, arch.employees.1).round();
        let region = match arch.regions {
            Regions::Any => (!rng.gen_bool(0.005)).then(|| REGIONS[rng.gen_range(0..4)]),
            Regions::Emea => Some("EMEA"),
            Regions::NotEmea => Some(["North America", "APAC", "LATAM"][rng.gen_range(0..3)]),
        };
        self.techs.clear();
        for (t, pr) in TECHNOLOGIES.iter().zip(arch.adoption) {
            if rng.gen_bool(pr) {
                self.techs.push(t);
            }
        }
        let intent = (50.0 + 18.0 * normal(rng)).clamp(0.0, 100.0).round();
        let visits = (2.0 * (1.2 * normal(rng)).exp() * (1.0 + intent / 25.0)).round();
        let exec = rng.gen_bool(arch.exec);
        let contacts = (!rng.gen_bool(0.01)).then(|| 1 + poisson(rng, 2.0 + emp.ln()) as i64);
        let fit = in_planted_fit_group(self.structure, ind, emp, region, &self.techs);
        let truth = AccountTruth {
            fit,
            industry: ind,
            intent,
            visits,
            exec,
            contacts: contacts.map(|c| c as f64),
            u: self.model.account_sd * normal(rng),
        };
        self.ids.push(format!("A{:07}", i + 1));
        self.industry.push(ind);
        self.employees.push(emp as i64);
        self.revenue.push(
            (!rng.gen_bool(0.02)).then(|| (emp * 150_000.0 * (0.5 * normal(rng)).exp()).round()),
        );
        self.region.push(region);
        self.tech.append_values_iter(self.techs.iter().copied());
        self.intent.push(intent);
        self.visits.push(visits as i64);
        self.exec.push(exec);
        self.contacts.push(contacts);
        self.noise.push((rng.gen::<f64>() * 100.0).round());
        self.archetype.push(a);
        self.fit.push(fit);
        self.p_win.push(self.model.win_probability(&truth));
    }

    fn into_frame(mut self, tier: Vec<Option<&str>>, csm: Vec<bool>) -> Result<DataFrame> {
        let n = self.ids.len();
        DataFrame::new(
            n,
            vec![
                Column::new("account_id".into(), &self.ids),
                Column::new("tier".into(), tier),
                Column::new("industry".into(), self.industry),
                Column::new("employees".into(), self.employees),
                Column::new("annual_revenue".into(), self.revenue),
                Column::new("region".into(), self.region),
                self.tech.finish().into_series().into_column(),
                Column::new("intent_score".into(), self.intent),
                Column::new("web_visits_90d".into(), self.visits),
                Column::new("exec_relationship".into(), self.exec),
                Column::new("known_contacts".into(), self.contacts),
                Column::new("csm_assigned".into(), csm),
                Column::new("noise_score".into(), self.noise),
            ],
        )
        .map_err(polars_error)
    }
}

/// Current tier by size: rank accounts by employees (ties by id order);
/// the largest 1% are Tier 1, the next 5% Tier 2, the next 24% Tier 3.
fn current_tiers(employees: &[i64]) -> Vec<Option<&'static str>> {
    let n = employees.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&x, &y| employees[y].cmp(&employees[x]).then(x.cmp(&y)));
    let mut tier: Vec<Option<&str>> = vec![None; n];
    let t1 = ((0.01 * n as f64).round() as usize).max(1);
    let t2 = t1 + (0.05 * n as f64).round() as usize;
    let t3 = t2 + (0.24 * n as f64).round() as usize;
    for (rank, &i) in order.iter().enumerate() {
        tier[i] = match rank {
            r if r < t1 => Some("Tier 1"),
            r if r < t2 => Some("Tier 2"),
            r if r < t3 => Some("Tier 3"),
            _ => None,
        };
    }
    tier
}

/// The account history: from `as_of − DEAL_WINDOW_DAYS − HISTORY_LEAD_DAYS`
/// one version with `csm_assigned = false`; for an account with a won deal
/// closed by `as_of`, it ends on that close date (`valid_to` exclusive) and a
/// second version with `csm_assigned = true` starts there. The latest version
/// has a null `valid_to`. `tier` is the current tier throughout.
fn history_frame(
    ids: &[String],
    tier: &[Option<&'static str>],
    first_win: &[Option<i32>],
    as_of: i32,
) -> Result<DataFrame> {
    let start = as_of - DEAL_WINDOW_DAYS - HISTORY_LEAD_DAYS;
    let rows = ids.len() + first_win.iter().flatten().count();
    let mut id: Vec<&str> = Vec::with_capacity(rows);
    let mut from: Vec<Option<i32>> = Vec::with_capacity(rows);
    let mut to: Vec<Option<i32>> = Vec::with_capacity(rows);
    let mut t: Vec<Option<&str>> = Vec::with_capacity(rows);
    let mut csm: Vec<bool> = Vec::with_capacity(rows);
    for i in 0..ids.len() {
        id.push(&ids[i]);
        from.push(Some(start));
        to.push(first_win[i]);
        t.push(tier[i]);
        csm.push(false);
        if let Some(w) = first_win[i] {
            id.push(&ids[i]);
            from.push(Some(w));
            to.push(None);
            t.push(tier[i]);
            csm.push(true);
        }
    }
    DataFrame::new(
        id.len(),
        vec![
            Column::new("account_id".into(), id),
            date_column("valid_from", from)?,
            date_column("valid_to", to)?,
            Column::new("tier".into(), t),
            Column::new("csm_assigned".into(), csm),
        ],
    )
    .map_err(polars_error)
}

/// The deals' columns.
#[derive(Default)]
struct DealRows<'a> {
    deal_id: Vec<String>,
    account: Vec<&'a str>,
    /// Row of the deal's account.
    account_row: Vec<usize>,
    created: Vec<i32>,
    closed: Vec<Option<i32>>,
    outcome: Vec<&'static str>,
    amount: Vec<Option<f64>>,
}

impl<'a> DealRows<'a> {
    /// A Poisson number of deals per account, created uniformly over the
    /// `DEAL_WINDOW_DAYS` before `as_of`; a deal closing after `as_of` is open.
    fn random(
        rng: &mut Xoshiro256Plus,
        p: &GenerateParams,
        as_of: i32,
        accounts: &'a AccountRows,
    ) -> DealRows<'a> {
        let mut d = DealRows::default();
        for i in 0..accounts.ids.len() {
            let k = poisson(rng, p.deals_per_account);
            for _ in 0..k {
                let c = as_of - rng.gen_range(0..DEAL_WINDOW_DAYS);
                let arch = accounts.archetype[i] as usize;
                let mean = accounts.archetypes[arch].cycle_mean_days;
                let t = -mean / 2.0
                    * (rng.gen_range(f64::MIN_POSITIVE..1.0f64).ln()
                        + rng.gen_range(f64::MIN_POSITIVE..1.0f64).ln());
                let won = rng.gen_bool(accounts.p_win[i]);
                let close = c + t.round() as i32;
                let size =
                    (accounts.employees[i] as f64).powf(0.3) * 4_000.0 * (0.4 * normal(rng)).exp();
                d.deal_id.push(format!("D{:08}", d.deal_id.len() + 1));
                d.account.push(accounts.ids[i].as_str());
                d.account_row.push(i);
                d.created.push(c);
                if close > as_of {
                    d.closed.push(None);
                    d.outcome.push("open");
                } else {
                    d.closed.push(Some(close));
                    d.outcome.push(if won { "won" } else { "lost" });
                }
                d.amount.push((!rng.gen_bool(0.01)).then_some(size.round()));
            }
        }
        d
    }

    /// Per account, the close date of its first won deal (closed by the as-of date).
    fn first_win(&self, ids: &[String]) -> Vec<Option<i32>> {
        let mut first: Vec<Option<i32>> = vec![None; ids.len()];
        for (j, &i) in self.account_row.iter().enumerate() {
            if self.outcome[j] == "won" {
                let c = self.closed[j].expect("a won deal has a close date");
                first[i] = Some(first[i].map_or(c, |f: i32| f.min(c)));
            }
        }
        first
    }

    fn into_frame(self) -> Result<DataFrame> {
        let m = self.deal_id.len();
        DataFrame::new(
            m,
            vec![
                Column::new("deal_id".into(), self.deal_id),
                Column::new("account_id".into(), self.account),
                date_column("created_at", self.created.into_iter().map(Some).collect())?,
                date_column("closed_at", self.closed)?,
                Column::new("outcome".into(), self.outcome),
                Column::new("amount".into(), self.amount),
            ],
        )
        .map_err(polars_error)
    }
}

/// Output format for generated tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutFormat {
    Parquet,
    Csv,
}

/// Write a generated table. CSV joins list values with `;`.
pub fn write_table(df: &mut DataFrame, path: &std::path::Path, format: OutFormat) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|e| Error::io(IoOp::Writing, path, e))?;
    let err = |e: PolarsError| Error::Internal(format!("writing {}: {e}", path.display()));
    match format {
        OutFormat::Parquet => {
            ParquetWriter::new(file).finish(df).map_err(err)?;
        }
        OutFormat::Csv => {
            let mut flat = df.clone();
            let list_cols: Vec<String> = flat
                .columns()
                .iter()
                .filter(|c| matches!(c.dtype(), DataType::List(_)))
                .map(|c| c.name().to_string())
                .collect();
            for name in list_cols {
                let name: String = name;
                let ca = flat
                    .column(name.as_str())
                    .map_err(err)?
                    .as_materialized_series()
                    .list()
                    .map_err(err)?
                    .clone();
                let joined: Vec<Option<String>> = ca
                    .amortized_iter()
                    .map(|v| {
                        v.map(|s| {
                            s.as_ref()
                                .str()
                                .map(|c| c.iter().flatten().collect::<Vec<_>>().join(";"))
                                .unwrap_or_default()
                        })
                    })
                    .collect();
                flat.replace(&name, Column::new(name.clone().into(), joined))
                    .map_err(err)?;
            }
            CsvWriter::new(file)
                .include_header(true)
                .finish(&mut flat)
                .map_err(err)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Closed deals per account row: (won, closed), and the earliest won close date.
    struct Deals {
        won: Vec<u32>,
        closed: Vec<u32>,
        first_win: Vec<Option<i32>>,
    }

    fn row_of(id: &str) -> usize {
        id[1..].parse::<usize>().unwrap() - 1
    }

    fn deals_by_account(g: &Generated) -> Deals {
        let n = g.accounts.height();
        let mut d = Deals {
            won: vec![0; n],
            closed: vec![0; n],
            first_win: vec![None; n],
        };
        let ids = g.deals.column("account_id").unwrap().str().unwrap().clone();
        let outcome = g.deals.column("outcome").unwrap().str().unwrap().clone();
        let closed = g.deals.column("closed_at").unwrap();
        let closed = closed.date().unwrap().physical().clone();
        for j in 0..g.deals.height() {
            let i = row_of(ids.get(j).unwrap());
            match outcome.get(j).unwrap() {
                "won" => {
                    d.won[i] += 1;
                    d.closed[i] += 1;
                    let c = closed.get(j).unwrap();
                    d.first_win[i] = Some(d.first_win[i].map_or(c, |f: i32| f.min(c)));
                }
                "lost" => d.closed[i] += 1,
                _ => assert!(closed.get(j).is_none()),
            }
        }
        d
    }

    /// Closed-deal win rate over the accounts `keep` selects.
    fn rate(d: &Deals, keep: impl Fn(usize) -> bool) -> (f64, u32) {
        let (mut w, mut c) = (0, 0);
        for i in 0..d.won.len() {
            if keep(i) {
                w += d.won[i];
                c += d.closed[i];
            }
        }
        (f64::from(w) / f64::from(c), c)
    }

    fn f64s(df: &DataFrame, name: &str) -> Vec<f64> {
        let c = df.column(name).unwrap().cast(&DataType::Float64).unwrap();
        c.f64()
            .unwrap()
            .iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect()
    }

    fn strs(df: &DataFrame, name: &str) -> Vec<Option<String>> {
        let c = df.column(name).unwrap().str().unwrap().clone();
        c.iter().map(|v| v.map(str::to_string)).collect()
    }

    fn gen(structure: Structure, accounts: usize, seed: u64) -> Generated {
        generate(&GenerateParams {
            accounts,
            seed,
            structure,
            ..Default::default()
        })
        .unwrap()
    }

    /// The share of accounts in the fit group, and its closed-deal win rate
    /// over the overall one.
    fn fit_group_figures(g: &Generated, d: &Deals) -> (f64, f64, f64) {
        let n = g.fit_group.len();
        let share = g.fit_group.iter().filter(|&&f| f).count() as f64 / n as f64;
        let (overall, _) = rate(d, |_| true);
        let (fit, closed) = rate(d, |i| g.fit_group[i]);
        assert!(closed > 300, "{closed} closed fit-group deals");
        eprintln!("fit group {share:.4} of accounts, win rate {fit:.3} vs overall {overall:.3}");
        (share, overall, fit / overall)
    }

    #[test]
    fn structure_a_plants_a_small_fit_group_winning_three_times_the_overall_rate() {
        let g = gen(Structure::A, 20_000, 1);
        let d = deals_by_account(&g);
        let (share, overall, ratio) = fit_group_figures(&g, &d);
        assert!((0.05..=0.07).contains(&share), "share {share:.4}");
        assert!((0.25..=0.40).contains(&overall), "overall {overall:.3}");
        assert!((2.5..=3.5).contains(&ratio), "ratio {ratio:.2}");
    }

    #[test]
    fn structure_b_plants_another_small_fit_group_and_disqualifier() {
        let g = gen(Structure::B, 20_000, 2);
        let d = deals_by_account(&g);
        let (share, overall, ratio) = fit_group_figures(&g, &d);
        assert!((0.03..=0.05).contains(&share), "share {share:.4}");
        assert!((0.25..=0.40).contains(&overall), "overall {overall:.3}");
        assert!((2.0..=3.0).contains(&ratio), "ratio {ratio:.2}");
        let industry = strs(&g.accounts, "industry");
        let is = |i: usize, v: &str| industry[i].as_deref() == Some(v);
        let (edu, _) = rate(&d, |i| is(i, "Education"));
        let (gov, _) = rate(&d, |i| is(i, "Government"));
        assert!(edu < 0.25 * overall, "Education {edu:.3} vs {overall:.3}");
        assert!(gov > 0.5 * overall, "Government {gov:.3} vs {overall:.3}");
        // The fit rule is B's, not A's.
        let region = strs(&g.accounts, "region");
        for (i, r) in region.iter().enumerate() {
            if g.fit_group[i] {
                assert_eq!(r.as_deref(), Some("EMEA"));
                assert!(is(i, "Manufacturing") || is(i, "Logistics"));
            }
        }
    }

    /// Each of the fit rule's three conditions alone, or two of them, does
    /// not find the group: near misses are common and convert near the
    /// overall rate.
    #[test]
    fn near_misses_of_the_fit_rule_are_common_and_do_not_convert_like_the_group() {
        let g = gen(Structure::A, 20_000, 3);
        let d = deals_by_account(&g);
        let industry = strs(&g.accounts, "industry");
        let employees = f64s(&g.accounts, "employees");
        let techs = g
            .accounts
            .column("technologies")
            .unwrap()
            .list()
            .unwrap()
            .clone();
        let mut met = vec![0u8; g.fit_group.len()];
        for (i, t) in techs.amortized_iter().enumerate() {
            let t = t.unwrap();
            let sf = t
                .as_ref()
                .str()
                .unwrap()
                .iter()
                .any(|v| v == Some("Salesforce"));
            let ind = matches!(industry[i].as_deref(), Some("Fintech" | "SaaS"));
            let size = (200.0..=2000.0).contains(&employees[i]);
            met[i] = u8::from(sf) + u8::from(ind) + u8::from(size);
            assert_eq!(met[i] == 3, g.fit_group[i]);
        }
        let near = met.iter().filter(|&&m| m == 2).count();
        let fit = g.fit_group.iter().filter(|&&f| f).count();
        assert!(near > 3 * fit, "{near} near misses, {fit} in the group");
        let (overall, _) = rate(&d, |_| true);
        let (two, _) = rate(&d, |i| met[i] == 2);
        let (three, _) = rate(&d, |i| met[i] == 3);
        assert!(two < 1.3 * overall, "two of three {two:.3} vs {overall:.3}");
        assert!(three > 2.0 * two, "{three:.3} vs {two:.3}");
    }

    /// Intent is independent of fit, and moves the win rate strongly in A;
    /// in B the signal is web visits and weaker.
    #[test]
    fn intent_drives_winning_in_a_and_less_so_in_b() {
        let spread = |s: Structure, seed: u64| {
            let g = gen(s, 20_000, seed);
            let d = deals_by_account(&g);
            let intent = f64s(&g.accounts, "intent_score");
            let (hi, _) = rate(&d, |i| intent[i] >= 65.0);
            let (lo, _) = rate(&d, |i| intent[i] <= 35.0);
            let mean = |keep: &dyn Fn(usize) -> bool| {
                let v: Vec<f64> = (0..intent.len())
                    .filter(|&i| keep(i))
                    .map(|i| intent[i])
                    .collect();
                v.iter().sum::<f64>() / v.len() as f64
            };
            let by_fit = mean(&|i| g.fit_group[i]) - mean(&|i| !g.fit_group[i]);
            assert!(by_fit.abs() < 3.0, "intent by fit differs by {by_fit:.2}");
            hi / lo
        };
        let a = spread(Structure::A, 4);
        let b = spread(Structure::B, 4);
        assert!(a > 2.5, "A: high intent wins {a:.2}× low");
        assert!(b > 1.0 && b < 0.75 * a, "B: {b:.2}× vs A {a:.2}×");
    }

    #[test]
    fn csm_assigned_is_true_exactly_when_a_won_deal_closed_by_the_as_of_date() {
        for s in [Structure::A, Structure::B] {
            let g = gen(s, 3_000, 5);
            let d = deals_by_account(&g);
            let csm = g
                .accounts
                .column("csm_assigned")
                .unwrap()
                .bool()
                .unwrap()
                .clone();
            for i in 0..g.accounts.height() {
                assert_eq!(csm.get(i), Some(d.won[i] > 0), "account row {i}");
            }
        }
    }

    /// Versions of one account are contiguous and never overlap, csm turns
    /// true on the first win's close date, and the open version equals the
    /// accounts table.
    #[test]
    fn history_versions_do_not_overlap_and_the_current_one_is_the_snapshot() {
        let g = gen(Structure::A, 3_000, 6);
        let d = deals_by_account(&g);
        let h = &g.account_history;
        let ids = strs(h, "account_id");
        let from = h
            .column("valid_from")
            .unwrap()
            .date()
            .unwrap()
            .physical()
            .clone();
        let to = h
            .column("valid_to")
            .unwrap()
            .date()
            .unwrap()
            .physical()
            .clone();
        let tier = strs(h, "tier");
        let csm = h.column("csm_assigned").unwrap().bool().unwrap().clone();
        let snap_tier = strs(&g.accounts, "tier");
        let snap_csm = g
            .accounts
            .column("csm_assigned")
            .unwrap()
            .bool()
            .unwrap()
            .clone();
        let mut versions: Vec<Vec<usize>> = vec![Vec::new(); g.accounts.height()];
        for r in 0..h.height() {
            versions[row_of(ids[r].as_deref().unwrap())].push(r);
        }
        let start = parse_date("2026-09-30").unwrap() - 1460;
        for (i, v) in versions.iter().enumerate() {
            assert_eq!(from.get(v[0]), Some(start));
            for w in v.windows(2) {
                let end = to.get(w[0]).expect("only the last version is open");
                assert!(from.get(w[0]).unwrap() < end);
                assert_eq!(Some(end), from.get(w[1]), "contiguous, no overlap");
            }
            let last = *v.last().unwrap();
            assert_eq!(to.get(last), None);
            assert_eq!(tier[last], snap_tier[i]);
            assert_eq!(csm.get(last), snap_csm.get(i));
            assert_eq!(csm.get(v[0]), Some(false));
            let switched = (v.len() == 2).then(|| from.get(v[1]).unwrap());
            assert_eq!(switched, d.first_win[i], "account row {i}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_tables_and_structures_differ() {
        let a = gen(Structure::A, 500, 9);
        let again = gen(Structure::A, 500, 9);
        let b = gen(Structure::B, 500, 9);
        assert!(a.accounts.equals_missing(&again.accounts));
        assert!(a.deals.equals_missing(&again.deals));
        assert!(a.account_history.equals_missing(&again.account_history));
        assert_ne!(a.fit_group, b.fit_group);
    }
}
