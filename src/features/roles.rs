//! What kind of evidence a feature is: who the account is (fit), whether it
//! is in market now (signal), or who we know there (relationship).
//!
//! The ICP and the segments rest on fit; signals say when to act and score
//! readiness; relationships say how, and join fit in the fit score. A role
//! is declared in `[accounts.roles]` or inferred here from the column's name.

use serde::{Deserialize, Serialize};

/// The role of a feature.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Who the account is: industry, size, revenue, technologies, region.
    #[default]
    Fit,
    /// Whether it is in market now: intent, visits, engagement.
    Signal,
    /// Who we know there: contacts, executive relationships, champions.
    Relationship,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Fit, Role::Signal, Role::Relationship];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Fit => "fit",
            Role::Signal => "signal",
            Role::Relationship => "relationship",
        }
    }
}

/// A role a column can be given in `[accounts.roles]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleOverride {
    Fit,
    Signal,
    Relationship,
    /// Not a feature: the column is read but not used.
    Ignore,
}

/// Name stems of buying signals, matched anywhere in the lower-cased name.
const SIGNAL_STEMS: [&str; 13] = [
    "intent",
    "visit",
    "engag",
    "click",
    "session",
    "surge",
    "pageview",
    "page_view",
    "download",
    "webinar",
    "impression",
    "form_fill",
    "email_open",
];
/// Whole words of buying signals (`opens_30d`, `web_opens`).
const SIGNAL_WORDS: [&str; 2] = ["opens", "opened"];
/// Name stems of relationship depth.
const RELATIONSHIP_STEMS: [&str; 8] = [
    "contact",
    "relationship",
    "champion",
    "executive",
    "meeting",
    "sponsor",
    "stakeholder",
    "persona",
];
/// Whole words of relationship depth (`exec_relationship`, `csm_assigned`).
const RELATIONSHIP_WORDS: [&str; 3] = ["exec", "csm", "cxo"];

/// The role a column's name suggests: signal and relationship words as a
/// CRM export spells them, else fit.
pub fn infer_role(name: &str) -> Role {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |stems: &[&str], whole: &[&str]| {
        stems.iter().any(|s| lower.contains(s)) || words.iter().any(|w| whole.contains(w))
    };
    if has(&SIGNAL_STEMS, &SIGNAL_WORDS) {
        Role::Signal
    } else if has(&RELATIONSHIP_STEMS, &RELATIONSHIP_WORDS) {
        Role::Relationship
    } else {
        Role::Fit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crm_names_get_their_roles() {
        for name in [
            "intent_score",
            "web_visits_90d",
            "Bombora Surge",
            "content_engagement",
            "ad_clicks_30d",
            "sessions",
            "email_opens",
            "pageViews",
        ] {
            assert_eq!(infer_role(name), Role::Signal, "{name}");
        }
        for name in [
            "exec_relationship",
            "known_contacts",
            "champion_identified",
            "executive_sponsor",
            "meetings_held",
            "csm_assigned",
        ] {
            assert_eq!(infer_role(name), Role::Relationship, "{name}");
        }
        for name in [
            "industry",
            "employees",
            "annual_revenue",
            "region",
            "technologies",
            "noise_score",
            "execution_model",
            "reopened_count",
        ] {
            assert_eq!(infer_role(name), Role::Fit, "{name}");
        }
    }
}
