//! Data quality (what was read, dropped, used and inferred) and the run
//! itself (version, seed, inputs).

use super::blocks::Block;
use crate::report::format::reason;
use crate::report::Report;

pub(super) fn data_quality(r: &Report) -> Vec<Block> {
    let dq = &r.data_quality;
    let mut items = vec![
        dq.features_as_of.clone(),
        format!("{} accounts read", dq.accounts_read),
        format!("{} deals read, {} used", dq.deals_read, dq.deals_used),
    ];
    if dq.deals_dropped.is_empty() {
        items.push("No deal was dropped".into());
    }
    for (key, n) in &dq.deals_dropped {
        items.push(format!("{n} deals dropped: {}", reason(key.key())));
    }
    if dq.deals_reopened_at_as_of > 0 {
        items.push(format!(
            "{} deals closed after the as-of date are counted as open",
            dq.deals_reopened_at_as_of
        ));
    }
    if dq.deals_lost_as_stale > 0 {
        items.push(format!(
            "{} open deals older than [deals] stale_after_days are counted as lost",
            dq.deals_lost_as_stale
        ));
    }
    items.push(format!(
        "{} accounts have no deal",
        dq.accounts_without_deals
    ));
    if let Some(h) = &dq.account_history {
        let joined: Vec<String> = h
            .join
            .features
            .iter()
            .map(|f| format!("{} {}", f.feature, f.deals_joined))
            .collect();
        items.push(format!(
            "account history: {} versions of {} accounts ({:.1} per account); {} deals found the version valid at their creation, {} did not (their features are missing); deals joined per feature: {}",
            h.rows,
            h.accounts_with_versions,
            h.versions_per_account,
            h.join.deals_with_version,
            h.join.deals_without_version,
            joined.join(", ")
        ));
    }
    let used: Vec<String> = dq
        .features_used
        .iter()
        .map(|f| {
            if f.nulls > 0 {
                format!(
                    "{} ({:?}, {:.1}% null)",
                    f.name,
                    f.kind,
                    100.0 * f.null_share
                )
            } else {
                format!("{} ({:?})", f.name, f.kind)
            }
            .to_lowercase()
        })
        .collect();
    items.push(format!(
        "features used: {} ({} encoded columns)",
        used.join(", "),
        dq.encoded_columns
    ));
    items.push(roles_text(&dq.features_used));
    items.extend(post_outcome_text(dq.post_outcome.as_ref()));
    items.extend(
        dq.status_fields
            .iter()
            .map(|s| format!("status: {}", s.text)),
    );
    for sk in &dq.features_skipped {
        items.push(format!("skipped `{}`: {}", sk.column, sk.reason));
    }
    for w in &dq.warnings {
        items.push(format!("warning: {w}"));
    }
    vec![Block::List(items)]
}

/// The snapshot sentence and one line per likely post-outcome feature.
fn post_outcome_text(p: Option<&crate::leakage::PostOutcome>) -> Vec<String> {
    // The snapshot itself is said once, by `features_as_of`.
    let Some(p) = p else { return vec![] };
    let mut items = vec![if p.features.is_empty() {
        "No feature looks set by a win (no value's accounts won a deal more often than their deals' win rate explains)".to_string()
    } else {
        let n = p.features.len();
        format!(
            "{n} feature{} look{} set by a win (likely post-outcome):",
            if n == 1 { "" } else { "s" },
            if n == 1 { "s" } else { "" }
        )
    }];
    items.extend(
        p.features
            .iter()
            .map(|f| format!("likely post-outcome: {}", f.text)),
    );
    items
}

pub(super) fn run(r: &Report) -> Vec<Block> {
    let run = &r.run;
    // No timestamps: identical runs give identical reports (they are in report.json).
    let mut items = vec![format!(
        "{} {}, seed {}, as of {}",
        run.tool, run.tool_version, run.seed, run.as_of
    )];
    for (name, f) in &run.inputs {
        items.push(format!(
            "{name}: {} ({} rows, SHA-256 {})",
            f.path,
            f.rows,
            f.sha256.get(..12).unwrap_or(&f.sha256)
        ));
    }
    vec![Block::List(items)]
}

/// Each feature's role, and which roles were declared rather than inferred,
/// so a wrong guess is visible and one line of config fixes it.
fn roles_text(used: &[crate::report::FeatureUsed]) -> String {
    use crate::features::Role;
    let groups: Vec<String> = Role::ALL
        .iter()
        .filter_map(|&role| {
            let names: Vec<&str> = used
                .iter()
                .filter(|f| f.role == role)
                .map(|f| f.name.as_str())
                .collect();
            (!names.is_empty()).then(|| format!("{}: {}", role.as_str(), names.join(", ")))
        })
        .collect();
    let declared: Vec<&str> = used
        .iter()
        .filter(|f| f.role_declared)
        .map(|f| f.name.as_str())
        .collect();
    let source = match declared.len() {
        0 => "all inferred from column names".to_string(),
        n if n == used.len() => "all declared in [accounts.roles]".to_string(),
        _ => format!(
            "declared in [accounts.roles]: {}; the rest inferred from column names",
            declared.join(", ")
        ),
    };
    format!("feature roles: {} ({source})", groups.join("; "))
}
