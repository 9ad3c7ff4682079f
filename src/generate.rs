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
    let mut ids = Vec::with_capacity(n);
    let mut industry = Vec::with_capacity(n);
    let mut employees = Vec::with_capacity(n);
    let mut revenue: Vec<Option<f64>> = Vec::with_capacity(n);
    let mut region: Vec<Option<&str>> = Vec::with_capacity(n);
    let mut tech = ListStringChunkedBuilder::new("technologies".into(), n, n * 2);
    let mut intent = Vec::with_capacity(n);
    let mut visits = Vec::with_capacity(n);
    let mut exec = Vec::with_capacity(n);
    let mut contacts: Vec<Option<i64>> = Vec::with_capacity(n);
    let mut noise = Vec::with_capacity(n);
    let mut archetype = Vec::with_capacity(n);
    let mut p_win = Vec::with_capacity(n);
    let mut techs: Vec<&str> = Vec::with_capacity(6);
    for i in 0..n {
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
            0 | 1 => log_uniform(&mut rng, 200.0, 2000.0),
            2 => log_uniform(&mut rng, 10.0, 200.0),
            3 => log_uniform(&mut rng, 2500.0, 25_000.0),
            _ => log_uniform(&mut rng, 30_000.0, 200_000.0),
        }
        .round();
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
        let intent_mean = match a {
            0 => 72.0,
            1 => 45.0,
            2 => 40.0,
            _ => 50.0,
        };
        let it = (intent_mean + 12.0 * normal(&mut rng))
            .clamp(0.0, 100.0)
            .round();
        let ex = rng.gen_bool(match a {
            0 => 0.5,
            3 | 4 => 0.3,
            _ => 0.1,
        });
        let icp = in_planted_icp(ind, emp, &techs);
        ids.push(format!("A{:07}", i + 1));
        industry.push(ind);
        employees.push(emp as i64);
        revenue.push(
            (!rng.gen_bool(0.02))
                .then(|| (emp * 150_000.0 * (0.5 * normal(&mut rng)).exp()).round()),
        );
        region.push((!rng.gen_bool(0.01)).then(|| REGIONS[rng.gen_range(0..4)]));
        tech.append_values_iter(techs.iter().copied());
        intent.push(it);
        visits.push((2.0 * (1.2 * normal(&mut rng)).exp() * (1.0 + it / 25.0)).round() as i64);
        exec.push(ex);
        contacts.push((!rng.gen_bool(0.01)).then(|| 1 + poisson(&mut rng, 2.0 + emp.ln()) as i64));
        noise.push((rng.gen::<f64>() * 100.0).round());
        archetype.push(a);
        p_win.push(win_probability(icp, it, ex, a == 4));
    }
    // Current tier by size: rank accounts by employees (ties by id order).
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

    // Deals.
    let window = 730;
    let mut deal_id = Vec::new();
    let mut deal_acc = Vec::new();
    let mut created = Vec::new();
    let mut closed: Vec<Option<i32>> = Vec::new();
    let mut outcome = Vec::new();
    let mut amount: Vec<Option<f64>> = Vec::new();
    for i in 0..n {
        let k = poisson(&mut rng, p.deals_per_account);
        for _ in 0..k {
            let c = as_of - rng.gen_range(0..window);
            let mean = CYCLE_MEAN_DAYS[archetype[i] as usize];
            let t = -mean / 2.0
                * (rng.gen_range(f64::MIN_POSITIVE..1.0f64).ln()
                    + rng.gen_range(f64::MIN_POSITIVE..1.0f64).ln());
            let won = rng.gen_bool(p_win[i]);
            let close = c + t.round() as i32;
            let size = (employees[i] as f64).powf(0.3) * 4_000.0 * (0.4 * normal(&mut rng)).exp();
            deal_id.push(format!("D{:08}", deal_id.len() + 1));
            deal_acc.push(ids[i].as_str());
            created.push(c);
            if close > as_of {
                closed.push(None);
                outcome.push("open");
            } else {
                closed.push(Some(close));
                outcome.push(if won { "won" } else { "lost" });
            }
            amount.push((!rng.gen_bool(0.01)).then_some(size.round()));
        }
    }
    let err = |e: PolarsError| Error::Internal(format!("building generated tables: {e}"));
    let date = |name: &str, v: Vec<Option<i32>>| -> Result<Column> {
        Column::new(name.into(), v)
            .cast(&DataType::Date)
            .map_err(err)
    };
    let accounts = DataFrame::new(
        n,
        vec![
            Column::new("account_id".into(), &ids),
            Column::new("tier".into(), tier),
            Column::new("industry".into(), industry),
            Column::new("employees".into(), employees),
            Column::new("annual_revenue".into(), revenue),
            Column::new("region".into(), region),
            tech.finish().into_series().into_column(),
            Column::new("intent_score".into(), intent),
            Column::new("web_visits_90d".into(), visits),
            Column::new("exec_relationship".into(), exec),
            Column::new("known_contacts".into(), contacts),
            Column::new("noise_score".into(), noise),
        ],
    )
    .map_err(err)?;
    let m = deal_id.len();
    let deals = DataFrame::new(
        m,
        vec![
            Column::new("deal_id".into(), deal_id),
            Column::new("account_id".into(), deal_acc),
            date("created_at", created.into_iter().map(Some).collect())?,
            date("closed_at", closed)?,
            Column::new("outcome".into(), outcome),
            Column::new("amount".into(), amount),
        ],
    )
    .map_err(err)?;
    Ok(Generated {
        accounts,
        deals,
        archetype,
    })
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
