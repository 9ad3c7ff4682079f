//! Synthetic accounts and deals with planted structure, for the sample data,
//! tests and benchmarks.
//!
//! # What is planted
//!
//! Accounts come from five archetypes (shares in parentheses):
//!
//! | archetype | industries | employees | technologies |
//! |---|---|---|---|
//! | ICP (18%) | Fintech, SaaS | 200–2,000 | Salesforce (95%), Marketo |
//! | mid-market (24%) | Healthcare, Manufacturing, Retail, Logistics, Education | 200–2,000 | AWS |
//! | SMB (36%) | any but Government | 10–200 | HubSpot |
//! | enterprise (20%) | any but Government | 2,500–25,000 | SAP, Snowflake |
//! | government (2%) | Government | 30,000–200,000 | SAP |
//!
//! ICP accounts also show more intent (mean 72 vs 40–50) and more executive
//! relationships.
//!
//! The **planted ICP group** is the AND rule `industry in {Fintech, SaaS}`,
//! `200 <= employees <= 2000` and `technologies has Salesforce` (see
//! [`in_planted_icp`]). A deal is won with probability
//! `logistic(-0.9 + 1.8·icp + 0.02·(intent − 50) + 0.6·exec_relationship − 4·government)`;
//! Snowflake rides along with size and has no effect of its own, and
//! `noise_score` is pure noise. Days from creation to close follow an Erlang
//! distribution of shape 2 with mean 60 days (ICP 40, enterprise and
//! government 150). Deals are created uniformly over the two years before the
//! as-of date; a deal whose close would fall after it is open. The current
//! `tier` is assigned by size (largest 1% Tier 1, next 5% Tier 2, next 24%
//! Tier 3), so Tier 1 is mostly government and converts *worse* than Tier 2.

use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;

use crate::dates::parse_date;
use crate::error::{Error, IoOp, Result};

/// Generator parameters.
#[derive(Debug, Clone)]
pub struct GenerateParams {
    pub accounts: usize,
    /// Mean deals per account.
    pub deals_per_account: f64,
    pub seed: u64,
    /// As-of date, `YYYY-MM-DD`.
    pub as_of: String,
}

impl Default for GenerateParams {
    fn default() -> Self {
        GenerateParams {
            accounts: 3_000,
            deals_per_account: 3.0,
            seed: 7,
            as_of: "2026-09-30".into(),
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

/// Mean days to close, by archetype.
pub const CYCLE_MEAN_DAYS: [f64; 5] = [40.0, 60.0, 60.0, 150.0, 150.0];

/// The planted ICP rule.
pub fn in_planted_icp(industry: &str, employees: f64, technologies: &[&str]) -> bool {
    (industry == "Fintech" || industry == "SaaS")
        && (200.0..=2000.0).contains(&employees)
        && technologies.contains(&"Salesforce")
}

/// Probability that a deal of this account is won.
pub fn win_probability(icp: bool, intent: f64, exec: bool, government: bool) -> f64 {
    let z = -0.9
        + 1.8 * f64::from(u8::from(icp))
        + 0.02 * (intent - 50.0)
        + 0.6 * f64::from(u8::from(exec))
        - 4.0 * f64::from(u8::from(government));
    1.0 / (1.0 + (-z).exp())
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

/// The generated tables.
pub struct Generated {
    pub accounts: DataFrame,
    pub deals: DataFrame,
    /// Archetype per account: 0 ICP, 1 mid-market, 2 SMB, 3 enterprise, 4 government.
    pub archetype: Vec<u8>,
}

/// Generate accounts and deals.
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
    let mut accounts = AccountRows::new(n);
    for i in 0..n {
        accounts.push_random(&mut rng, i);
    }
    let deals = DealRows::random(&mut rng, p, as_of, &accounts).into_frame()?;
    let tier = current_tiers(&accounts.employees);
    let archetype = accounts.archetype.clone();
    Ok(Generated {
        accounts: accounts.into_frame(tier)?,
        deals,
        archetype,
    })
}

fn polars_error(e: PolarsError) -> Error {
    Error::Internal(format!("building generated tables: {e}"))
}

/// The accounts' columns, filled one random account at a time.
struct AccountRows {
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
    p_win: Vec<f64>,
    /// Scratch: one account's technologies.
    techs: Vec<&'static str>,
}

impl AccountRows {
    fn new(n: usize) -> AccountRows {
        AccountRows {
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
            p_win: Vec::with_capacity(n),
            techs: Vec::with_capacity(6),
        }
    }

    /// Account `i` (0-based) drawn from its archetype, as the module docs
    /// describe. The draws' order is part of what a seed reproduces.
    fn push_random(&mut self, rng: &mut Xoshiro256Plus, i: usize) {
        let u: f64 = rng.gen();
        let a: u8 = match u {
            u if u < 0.18 => 0,
            u if u < 0.42 => 1,
            u if u < 0.78 => 2,
            u if u < 0.98 => 3,
            _ => 4,
        };
        let ind = match a {
            0 => {
                if rng.gen_bool(0.5) {
                    "Fintech"
                } else {
                    "SaaS"
                }
            }
            1 => INDUSTRIES[rng.gen_range(2..7)],
            4 => "Government",
            _ => INDUSTRIES[rng.gen_range(0..7)],
        };
        let emp = match a {
            0 | 1 => log_uniform(rng, 200.0, 2000.0),
            2 => log_uniform(rng, 10.0, 200.0),
            3 => log_uniform(rng, 2500.0, 25_000.0),
            _ => log_uniform(rng, 30_000.0, 200_000.0),
        }
        .round();
        technologies(rng, a, &mut self.techs);
        let intent_mean = match a {
            0 => 72.0,
            1 => 45.0,
            2 => 40.0,
            _ => 50.0,
        };
        let it = (intent_mean + 12.0 * normal(rng)).clamp(0.0, 100.0).round();
        let ex = rng.gen_bool(match a {
            0 => 0.5,
            3 | 4 => 0.3,
            _ => 0.1,
        });
        let icp = in_planted_icp(ind, emp, &self.techs);
        self.ids.push(format!("A{:07}", i + 1));
        self.industry.push(ind);
        self.employees.push(emp as i64);
        self.revenue.push(
            (!rng.gen_bool(0.02)).then(|| (emp * 150_000.0 * (0.5 * normal(rng)).exp()).round()),
        );
        self.region
            .push((!rng.gen_bool(0.01)).then(|| REGIONS[rng.gen_range(0..4)]));
        self.tech.append_values_iter(self.techs.iter().copied());
        self.intent.push(it);
        self.visits
            .push((2.0 * (1.2 * normal(rng)).exp() * (1.0 + it / 25.0)).round() as i64);
        self.exec.push(ex);
        self.contacts
            .push((!rng.gen_bool(0.01)).then(|| 1 + poisson(rng, 2.0 + emp.ln()) as i64));
        self.noise.push((rng.gen::<f64>() * 100.0).round());
        self.archetype.push(a);
        self.p_win.push(win_probability(icp, it, ex, a == 4));
    }

    fn into_frame(mut self, tier: Vec<Option<&str>>) -> Result<DataFrame> {
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
                Column::new("noise_score".into(), self.noise),
            ],
        )
        .map_err(polars_error)
    }
}

/// The technologies of an account of archetype `a`, into `techs`.
fn technologies(rng: &mut Xoshiro256Plus, a: u8, techs: &mut Vec<&'static str>) {
    techs.clear();
    // Adoption probability of Salesforce, HubSpot, Snowflake, AWS, SAP, Marketo.
    let adoption: [f64; 6] = match a {
        0 => [0.95, 0.05, 0.10, 0.30, 0.02, 0.70],
        1 => [0.05, 0.30, 0.10, 0.80, 0.10, 0.05],
        2 => [0.05, 0.85, 0.03, 0.30, 0.02, 0.05],
        3 => [0.10, 0.05, 0.80, 0.50, 0.80, 0.05],
        _ => [0.10, 0.02, 0.10, 0.20, 0.90, 0.05],
    };
    for (t, pr) in TECHNOLOGIES.iter().zip(adoption) {
        if rng.gen_bool(pr) {
            techs.push(t);
        }
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

/// The deals' columns.
#[derive(Default)]
struct DealRows<'a> {
    deal_id: Vec<String>,
    account: Vec<&'a str>,
    created: Vec<i32>,
    closed: Vec<Option<i32>>,
    outcome: Vec<&'static str>,
    amount: Vec<Option<f64>>,
}

impl<'a> DealRows<'a> {
    /// A Poisson number of deals per account, created uniformly over the two
    /// years before `as_of`; a deal closing after `as_of` is open.
    fn random(
        rng: &mut Xoshiro256Plus,
        p: &GenerateParams,
        as_of: i32,
        accounts: &'a AccountRows,
    ) -> DealRows<'a> {
        let window = 730;
        let mut d = DealRows::default();
        for i in 0..accounts.ids.len() {
            let k = poisson(rng, p.deals_per_account);
            for _ in 0..k {
                let c = as_of - rng.gen_range(0..window);
                let mean = CYCLE_MEAN_DAYS[accounts.archetype[i] as usize];
                let t = -mean / 2.0
                    * (rng.gen_range(f64::MIN_POSITIVE..1.0f64).ln()
                        + rng.gen_range(f64::MIN_POSITIVE..1.0f64).ln());
                let won = rng.gen_bool(accounts.p_win[i]);
                let close = c + t.round() as i32;
                let size =
                    (accounts.employees[i] as f64).powf(0.3) * 4_000.0 * (0.4 * normal(rng)).exp();
                d.deal_id.push(format!("D{:08}", d.deal_id.len() + 1));
                d.account.push(accounts.ids[i].as_str());
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

    fn into_frame(self) -> Result<DataFrame> {
        let date = |name: &str, v: Vec<Option<i32>>| -> Result<Column> {
            Column::new(name.into(), v)
                .cast(&DataType::Date)
                .map_err(polars_error)
        };
        let m = self.deal_id.len();
        DataFrame::new(
            m,
            vec![
                Column::new("deal_id".into(), self.deal_id),
                Column::new("account_id".into(), self.account),
                date("created_at", self.created.into_iter().map(Some).collect())?,
                date("closed_at", self.closed)?,
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
