//! The accounts table, drawn one account at a time from its archetype, and
//! the current tiers by size.

use polars::prelude::*;
use rand::Rng;
use rand_xoshiro::Xoshiro256Plus;

use super::archetypes::{Archetype, Regions};
use super::draw::{log_uniform, normal, poisson};
use super::frame::polars_error;
use super::shapes::planted_pocket;
use super::structure::{Structure, REGIONS, TECHNOLOGIES};
use super::truth::{AccountTruth, WinModel};
use crate::error::Result;

/// The accounts' columns, filled one random account at a time.
pub(super) struct AccountRows {
    pub(super) structure: Structure,
    pub(super) archetypes: [Archetype; 6],
    pub(super) model: WinModel,
    pub(super) ids: Vec<String>,
    pub(super) industry: Vec<&'static str>,
    pub(super) employees: Vec<i64>,
    pub(super) revenue: Vec<Option<f64>>,
    pub(super) region: Vec<Option<&'static str>>,
    pub(super) tech: ListStringChunkedBuilder,
    pub(super) intent: Vec<f64>,
    pub(super) visits: Vec<i64>,
    pub(super) exec: Vec<bool>,
    pub(super) contacts: Vec<Option<i64>>,
    pub(super) noise: Vec<f64>,
    pub(super) archetype: Vec<u8>,
    pub(super) fit: Vec<bool>,
    /// The planted pocket each account is in (see [`planted_pocket`]).
    pub(super) pocket: Vec<Option<usize>>,
    pub(super) p_win: Vec<f64>,
    /// Scratch: one account's technologies.
    pub(super) techs: Vec<&'static str>,
}

impl AccountRows {
    pub(super) fn new(n: usize, structure: Structure) -> AccountRows {
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
            pocket: Vec::with_capacity(n),
            p_win: Vec::with_capacity(n),
            techs: Vec::with_capacity(6),
        }
    }

    /// The archetype of the next account, by its share.
    pub(super) fn draw_archetype(&self, rng: &mut Xoshiro256Plus) -> u8 {
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
    pub(super) fn push_random(&mut self, rng: &mut Xoshiro256Plus, i: usize) {
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
        let pocket = planted_pocket(self.structure, ind, emp, region, &self.techs);
        let fit = pocket.is_some();
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
        self.pocket.push(pocket);
        self.p_win.push(self.model.win_probability(&truth));
    }

    pub(super) fn into_frame(
        mut self,
        tier: Vec<Option<&str>>,
        csm: Vec<bool>,
    ) -> Result<DataFrame> {
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
pub(super) fn current_tiers(employees: &[i64]) -> Vec<Option<&'static str>> {
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
