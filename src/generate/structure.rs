//! Which planted truth to generate, the generator's parameters, the
//! vocabularies accounts are drawn from, and each structure's fit-group rule.

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
    /// Two fit pockets joined by OR (Healthcare × 300–1,500 employees, and
    /// APAC × Marketo), each about 3% of accounts; Education disqualifies.
    Pockets,
    /// A band of 300–1,200 employees, closed on both sides, and no
    /// disqualifier.
    Band,
    /// Nothing of the accounts bears on winning but a random account effect.
    Null,
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
pub(super) const TECHNOLOGIES: [&str; 6] = [
    "Salesforce",
    "HubSpot",
    "Snowflake",
    "AWS",
    "SAP",
    "Marketo",
];
pub(super) const REGIONS: [&str; 4] = ["North America", "EMEA", "APAC", "LATAM"];

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
/// `industry in {Manufacturing, Logistics}` AND `technologies has SAP`;
/// the others as [`super::planted_pocket`] says (any pocket).
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
        Structure::Pockets | Structure::Band | Structure::Null => {
            super::shapes::planted_pocket(structure, industry, employees, region, technologies)
                .is_some()
        }
    }
}
