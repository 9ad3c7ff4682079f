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

/// Values of a CRM status field that say the account has bought: a field
/// with one of them records the outcome itself. Compared lower-cased with
/// `_` and `-` read as spaces.
const BOUGHT_VALUES: [&str; 8] = [
    "customer",
    "customers",
    "client",
    "former customer",
    "ex customer",
    "past customer",
    "churned",
    "churned customer",
];
/// The other values a CRM status field takes: where an account is in its
/// life with us (lifecycle stage, customer status, account type).
const OTHER_STATUS_VALUES: [&str; 13] = [
    "prospect",
    "partner",
    "reseller",
    "lead",
    "subscriber",
    "opportunity",
    "evangelist",
    "marketing qualified lead",
    "sales qualified lead",
    "mql",
    "sql",
    "competitor",
    "vendor",
];
/// Last words of a status field's name (`lifecycle_stage`, `customer_status`).
const STATUS_LAST_WORDS: [&str; 2] = ["status", "stage"];
/// Words that make a flag a customer status (`is_customer`, `was_client`).
const STATUS_FLAG_WORDS: [&str; 4] = ["is", "was", "ever", "existing"];

/// The words of a column name: split at anything not a letter or digit
/// and where a lower-case letter meets an upper-case one (`lifecycleStage`).
fn name_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            prev_lower = false;
            words.push(String::new());
            continue;
        }
        if words.is_empty() || (prev_lower && c.is_ascii_uppercase()) {
            words.push(String::new());
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        words.last_mut().unwrap().push(c.to_ascii_lowercase());
    }
    words.retain(|w| !w.is_empty());
    words
}

/// Why a column looks like a CRM status (where the account is in its life
/// with us, not who it is), from its name and, for text, its values; `None`
/// when it does not. A status is set by the sales process, often by the
/// outcome itself: inferred as a relationship, never an ICP criterion.
pub fn status_reason(name: &str, values: &[String]) -> Option<String> {
    let words = name_words(name);
    if let Some(last) = words
        .last()
        .filter(|w| STATUS_LAST_WORDS.contains(&w.as_str()))
    {
        return Some(format!("its name ends in `{last}`"));
    }
    let customer = |w: &String| w == "customer" || w == "client";
    if words.iter().any(customer)
        && (words.len() == 1
            || words
                .iter()
                .any(|w| STATUS_FLAG_WORDS.contains(&w.as_str())))
    {
        return Some("its name says whether the account is a customer".into());
    }
    let norm = |v: &String| {
        let v = v.to_lowercase().replace(['_', '-'], " ");
        v.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let is_bought = |v: &String| BOUGHT_VALUES.contains(&norm(v).as_str());
    let status: Vec<&String> = (values.iter())
        .filter(|v| is_bought(v) || OTHER_STATUS_VALUES.contains(&norm(v).as_str()))
        .collect();
    let bought = status.iter().any(|v| is_bought(v));
    (status.len() >= 2 && bought).then(|| {
        let shown: Vec<&str> = status.iter().take(4).map(|v| v.as_str()).collect();
        format!("its values are CRM statuses ({})", shown.join(", "))
    })
}

/// A feature whose role was inferred and that looks like a CRM status: the
/// report asks for its role to be declared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusField {
    pub feature: String,
    /// The role inferred (relationship).
    pub role: Role,
    /// Why it looks like a status, e.g. "its name ends in `stage`".
    pub reason: String,
    pub text: String,
}

/// Of the features given as (name, role, whether the role was declared,
/// text values), those whose role was not declared and that look like a
/// CRM status, in order.
pub fn undeclared_statuses<'a>(
    features: impl IntoIterator<Item = (&'a str, Role, bool, &'a [String])>,
) -> Vec<StatusField> {
    (features.into_iter())
        .filter(|&(_, _, declared, _)| !declared)
        .filter_map(|(name, role, _, values)| {
            let reason = status_reason(name, values)?;
            let text = format!(
                "{name} looks like a CRM status ({reason}): read as {}, so never an ICP criterion or a segment. Declare its role in [accounts.roles]: relationship if it says how we stand with the account, fit if it was known before the deals and says who the account is, ignore if the outcome sets it",
                role.as_str()
            );
            Some(StatusField {
                feature: name.to_string(),
                role,
                reason,
                text,
            })
        })
        .collect()
}

/// The role a column's name and values suggest: a CRM status is a
/// relationship ([`status_reason`]); else as [`infer_role`] reads the name.
pub fn infer_role_of(name: &str, values: &[String]) -> Role {
    if status_reason(name, values).is_some() {
        Role::Relationship
    } else {
        infer_role(name)
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

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// CRM statuses are relationship, by name (`_status`, `_stage`,
    /// `is_customer`, camel case too) or by values (customer, prospect,
    /// churned…), whatever else the name says; fit names and fit values stay
    /// as [`infer_role`] reads them.
    #[test]
    fn crm_statuses_are_relationship_by_name_or_by_values() {
        for name in [
            "lifecycle_stage",
            "Customer Status",
            "onboarding_status",
            "lifecycleStage",
            "is_customer",
            "IsCustomer",
            "was_client",
            "customer",
        ] {
            assert!(status_reason(name, &[]).is_some(), "{name}");
            assert_eq!(infer_role_of(name, &[]), Role::Relationship, "{name}");
        }
        let types = strings(&["Customer", "Prospect", "Partner", "Other"]);
        let churn = strings(&["prospect", "churned"]);
        let hubspot = strings(&["lead", "marketing_qualified_lead", "customer"]);
        for values in [&types, &churn, &hubspot] {
            let why = status_reason("account_type", values).unwrap();
            assert!(why.starts_with("its values are CRM statuses"), "{why}");
            assert_eq!(infer_role_of("type", values), Role::Relationship);
        }
        // A status value alone, or statuses with none that says a sale
        // happened, are not enough.
        for values in [
            strings(&["Fintech", "SaaS", "Government"]),
            strings(&["Customer", "Fintech"]),
            strings(&["Prospect", "Partner", "Lead"]),
        ] {
            assert_eq!(status_reason("industry", &values), None, "{values:?}");
            assert_eq!(infer_role_of("industry", &values), Role::Fit);
        }
        for name in [
            "industry",
            "customer_since_days",
            "stages_count",
            "statuses",
            "percentage_stage_x",
            "discount_percentage",
            "intent_score",
            "csm_assigned",
        ] {
            assert_eq!(status_reason(name, &[]), None, "{name}");
            assert_eq!(infer_role_of(name, &[]), infer_role(name), "{name}");
        }
    }
}
