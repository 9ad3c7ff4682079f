//! What kind of evidence a feature is: who the account is (fit), whether it
//! is in market now (signal), or who we know there (relationship).
//!
//! The ICP and the segments rest on fit; signals say when to act and score
//! readiness; relationships say how, and join fit in the fit score. What
//! each role takes part in is decided in one place, [`Role::uses`], which
//! every stage asks. A role is declared in `[accounts.roles]` or inferred
//! here from the column's name.

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

/// What the features of a role take part in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleUses {
    /// Segments are drawn and named on it (when some feature's role is;
    /// else on every feature).
    pub clustered: bool,
    /// ICP criteria, qualifying and disqualifying, may rest on it. The core
    /// ICP's refinements are judged with the other roles' columns varying
    /// and these held at their mean.
    pub icp_criterion: bool,
    /// Its encoded columns enter the fit score.
    pub fit_score: bool,
    /// Its encoded columns enter the readiness score, on top of the fit
    /// score's log-odds.
    pub readiness: bool,
    /// Each segment is described by it (shares of accounts), not drawn on it.
    pub described: bool,
}

impl Role {
    /// How many roles there are. The match has no wildcard, so a new role
    /// does not compile until it is counted here, and [`Role::ALL`], whose
    /// length this is, does not compile until it lists it.
    const COUNT: usize = match Role::Fit {
        Role::Fit | Role::Signal | Role::Relationship => 3,
    };

    /// Every role, in declaration order.
    pub const ALL: [Role; Role::COUNT] = [Role::Fit, Role::Signal, Role::Relationship];

    /// What the role's features take part in: the one table of role
    /// behaviour every stage asks.
    pub const fn uses(self) -> RoleUses {
        match self {
            // Who the account is: segments, the ICP and the fit score.
            Role::Fit => RoleUses {
                clustered: true,
                icp_criterion: true,
                fit_score: true,
                readiness: false,
                described: false,
            },
            // When to act: readiness, and described per segment.
            Role::Signal => RoleUses {
                clustered: false,
                icp_criterion: false,
                fit_score: false,
                readiness: true,
                described: true,
            },
            // How to act: joins fit in the fit score, described per segment.
            Role::Relationship => RoleUses {
                clustered: false,
                icp_criterion: false,
                fit_score: true,
                readiness: false,
                described: true,
            },
        }
    }

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

impl RoleOverride {
    /// The role declared; `None` for a column not used as a feature.
    pub fn role(self) -> Option<Role> {
        match self {
            RoleOverride::Fit => Some(Role::Fit),
            RoleOverride::Signal => Some(Role::Signal),
            RoleOverride::Relationship => Some(Role::Relationship),
            RoleOverride::Ignore => None,
        }
    }
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

    /// Each role's uses, stated apart from the table: fit is who the
    /// account is (segments, ICP, fit score), a signal when to act
    /// (readiness), a relationship how (fit score); signals and
    /// relationships are described per segment. Whatever a role is, its
    /// features are drawn on or described, and enter at most one score.
    #[test]
    fn every_role_says_what_it_takes_part_in() {
        let uses = |clustered, icp_criterion, fit_score, readiness, described| RoleUses {
            clustered,
            icp_criterion,
            fit_score,
            readiness,
            described,
        };
        for role in Role::ALL {
            let expected = match role {
                Role::Fit => uses(true, true, true, false, false),
                Role::Signal => uses(false, false, false, true, true),
                Role::Relationship => uses(false, false, true, false, true),
            };
            let u = role.uses();
            assert_eq!(u, expected, "{role:?}");
            assert!(u.clustered != u.described, "{role:?}");
            assert!(!(u.fit_score && u.readiness), "{role:?}");
            assert!(!u.icp_criterion || u.clustered, "{role:?}");
        }
    }

    /// [`Role::ALL`] holds every role once, in declaration order (its
    /// length is [`Role::COUNT`], which a new role must change), and each
    /// declared role is that role.
    #[test]
    fn all_lists_each_role_once_and_declarations_map_onto_roles() {
        for (i, role) in Role::ALL.into_iter().enumerate() {
            assert_eq!(role as usize, i, "{role:?}");
        }
        assert_eq!(Role::ALL.len(), Role::COUNT);
        let declared = [
            RoleOverride::Fit,
            RoleOverride::Signal,
            RoleOverride::Relationship,
        ];
        assert_eq!(declared.map(|d| d.role()), Role::ALL.map(Some));
        assert_eq!(RoleOverride::Ignore.role(), None);
        for role in Role::ALL {
            let name = serde_json::to_string(&role).unwrap();
            assert_eq!(name, format!("\"{}\"", role.as_str()));
            let back: RoleOverride = serde_json::from_str(&name).unwrap();
            assert_eq!(back.role(), Some(role));
        }
    }

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
