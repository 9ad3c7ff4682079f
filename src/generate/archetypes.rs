//! The six kinds of account each structure draws from (see the module
//! docs of [`super`] for the table).

use super::structure::Structure;

/// Where an archetype's accounts are.
#[derive(Debug, Clone, Copy)]
pub(super) enum Regions {
    /// Any of the four regions, 0.5% null.
    Any,
    Emea,
    NotEmea,
}

/// One kind of account: its share, industries, size band, regions,
/// technology adoption, executive-relationship rate and mean cycle.
#[derive(Debug, Clone, Copy)]
pub(super) struct Archetype {
    pub(super) share: f64,
    pub(super) industries: &'static [&'static str],
    pub(super) employees: (f64, f64),
    pub(super) regions: Regions,
    /// Adoption probability of Salesforce, HubSpot, Snowflake, AWS, SAP, Marketo.
    pub(super) adoption: [f64; 6],
    pub(super) exec: f64,
    pub(super) cycle_mean_days: f64,
}

pub(super) const FINTECH_SAAS: &[&str] = &["Fintech", "SaaS"];
pub(super) const MANUFACTURING_LOGISTICS: &[&str] = &["Manufacturing", "Logistics"];
pub(super) const MID_MARKET: &[&str] = &[
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Logistics",
    "Education",
];
pub(super) const NOT_GOVERNMENT: &[&str] = &[
    "Fintech",
    "SaaS",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Logistics",
    "Education",
];

/// Archetypes 2–5 (mid-market, SMB, enterprise, government), shared by both structures.
pub(super) const COMMON: [Archetype; 4] = [
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
    pub(super) fn archetypes(self) -> [Archetype; 6] {
        let [mid, smb, ent, gov] = COMMON;
        let (core, near) = match self {
            Structure::A | Structure::Pockets | Structure::Band | Structure::Null => (
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
