//! Whether a feature may be used, and for what: the one gate every stage
//! asks.
//!
//! Two things keep a feature out of a use. Its role ([`Role::uses`]): a
//! buying signal is not who the account is, so it never becomes an ICP
//! criterion. And the run's own finding that its values were likely
//! written after the outcome ([`crate::leakage`]): such a feature is *shut*,
//! out of every use that treats it as evidence, whatever its role (a
//! declared role keeps a feature open; the leak check leaves declared
//! features unshut). A feature the user declared out (`ignore`) never
//! becomes a feature at all.
//!
//! Segments, criteria, the fit score, the account-held-out check,
//! readiness, the drivers and the segment descriptions all ask
//! [`Gate::allows`] (or its column and feature forms), so a feature left out
//! of one is left out of all.

use std::collections::BTreeSet;

use super::{FeatureColumn, FeatureMatrix, FeatureSpec, Role};

/// What a feature would be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Segments are drawn and named on it.
    Segments,
    /// An ICP criterion (qualifying or disqualifying) may rest on it.
    IcpCriterion,
    /// Its encoded columns enter the fit score (and the account-held-out
    /// check of it).
    FitScore,
    /// Its encoded columns enter the readiness score.
    Readiness,
    /// Each segment is described by it.
    Description,
    /// Its association with winning and with speed is reported.
    Driver,
}

/// The features a run may use, and the ones it shut out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gate {
    /// Likely post-outcome features: out of every use.
    shut: BTreeSet<String>,
    /// Whether some open feature's role is clustered on; without one,
    /// segments are drawn on every open feature.
    segments_on_roles: bool,
}

impl Gate {
    /// The gate for `features` with `shut` (the likely post-outcome features
    /// the leak check excluded) kept out of every use.
    pub fn new(features: &[FeatureColumn], shut: impl IntoIterator<Item = String>) -> Gate {
        let shut: BTreeSet<String> = shut.into_iter().collect();
        let segments_on_roles = features
            .iter()
            .any(|f| f.spec.role.uses().clustered && !shut.contains(&f.spec.name));
        Gate {
            shut,
            segments_on_roles,
        }
    }

    /// Whether the feature `spec` may be used for `u`.
    pub fn allows(&self, spec: &FeatureSpec, u: Use) -> bool {
        !self.is_shut(&spec.name) && self.role_allows(spec.role, u)
    }

    /// Whether a feature of role `role` may be used for `u`, leaks aside.
    fn role_allows(&self, role: Role, u: Use) -> bool {
        let uses = role.uses();
        match u {
            Use::Segments => uses.clustered || !self.segments_on_roles,
            Use::IcpCriterion => uses.icp_criterion,
            Use::FitScore => uses.fit_score,
            Use::Readiness => uses.readiness,
            Use::Description => uses.described,
            Use::Driver => true,
        }
    }

    /// Whether the feature named `name` was shut out as likely post-outcome.
    pub fn is_shut(&self, name: &str) -> bool {
        self.shut.contains(name)
    }

    /// The likely post-outcome features shut out, by name.
    pub fn shut(&self) -> impl Iterator<Item = &str> {
        self.shut.iter().map(String::as_str)
    }

    /// Whether segments are drawn on the roles clustered on (fit) alone,
    /// rather than on every open feature because none has such a role.
    pub fn segments_on_roles(&self) -> bool {
        self.segments_on_roles
    }

    /// The features that may be used for `u`, in order.
    pub fn features<'a>(
        &'a self,
        features: &'a [FeatureColumn],
        u: Use,
    ) -> impl Iterator<Item = &'a FeatureColumn> + 'a {
        features.iter().filter(move |f| self.allows(&f.spec, u))
    }

    /// The encoded columns of `matrix` whose feature (in `specs`) may be
    /// used for `u`, ascending.
    pub fn columns(&self, specs: &[FeatureSpec], matrix: &FeatureMatrix, u: Use) -> Vec<usize> {
        (0..matrix.columns.len())
            .filter(|&j| self.allows(&specs[matrix.feature_of[j]], u))
            .collect()
    }

    /// The encoded columns of `matrix` whose feature's role allows `u`,
    /// shut or not: the layout of a model that keeps a column for each
    /// (read shut ones as zeros, [`Gate::shut_columns`], so their
    /// coefficients are exactly zero).
    pub fn role_columns(
        &self,
        specs: &[FeatureSpec],
        matrix: &FeatureMatrix,
        u: Use,
    ) -> Vec<usize> {
        (0..matrix.columns.len())
            .filter(|&j| self.role_allows(specs[matrix.feature_of[j]].role, u))
            .collect()
    }

    /// Per encoded column, whether its feature may be used for `u`.
    pub fn column_mask(&self, specs: &[FeatureSpec], matrix: &FeatureMatrix, u: Use) -> Vec<bool> {
        (matrix.feature_of.iter())
            .map(|&f| self.allows(&specs[f], u))
            .collect()
    }

    /// Per encoded column, whether its feature is shut: a model fitted with
    /// these columns read as zeros gives them a coefficient of exactly zero
    /// and keeps its column layout. `None` when nothing is shut.
    pub fn shut_columns(&self, specs: &[FeatureSpec], matrix: &FeatureMatrix) -> Option<Vec<bool>> {
        let out: Vec<bool> = (matrix.feature_of.iter())
            .map(|&f| self.is_shut(&specs[f].name))
            .collect();
        out.contains(&true).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::testing::spec_with_role;

    fn features(roles: &[(&str, Role)]) -> Vec<FeatureColumn> {
        roles
            .iter()
            .map(|&(name, role)| FeatureColumn {
                spec: spec_with_role(name, role),
                data: crate::features::FeatureData::Numeric(vec![0.0]),
            })
            .collect()
    }

    const USES: [Use; 6] = [
        Use::Segments,
        Use::IcpCriterion,
        Use::FitScore,
        Use::Readiness,
        Use::Description,
        Use::Driver,
    ];

    #[test]
    fn an_open_feature_is_used_as_its_role_says() {
        let f = features(&[
            ("industry", Role::Fit),
            ("intent", Role::Signal),
            ("contacts", Role::Relationship),
        ]);
        let gate = Gate::new(&f, []);
        let allowed = |i: usize| -> Vec<Use> {
            USES.into_iter()
                .filter(|&u| gate.allows(&f[i].spec, u))
                .collect()
        };
        assert_eq!(
            allowed(0),
            [Use::Segments, Use::IcpCriterion, Use::FitScore, Use::Driver]
        );
        assert_eq!(allowed(1), [Use::Readiness, Use::Description, Use::Driver]);
        assert_eq!(allowed(2), [Use::FitScore, Use::Description, Use::Driver]);
    }

    #[test]
    fn a_shut_feature_is_out_of_every_use_whatever_its_role() {
        for role in Role::ALL {
            let f = features(&[("industry", Role::Fit), ("leak", role)]);
            let gate = Gate::new(&f, ["leak".to_string()]);
            for u in USES {
                assert!(!gate.allows(&f[1].spec, u), "{role:?} {u:?}");
            }
            assert!(gate.is_shut("leak"));
            assert_eq!(gate.shut().collect::<Vec<_>>(), ["leak"]);
        }
    }

    #[test]
    fn without_an_open_fit_feature_segments_are_drawn_on_every_open_feature() {
        let f = features(&[("leak", Role::Fit), ("intent", Role::Signal)]);
        let gate = Gate::new(&f, ["leak".to_string()]);
        assert!(!gate.segments_on_roles());
        assert!(gate.allows(&f[1].spec, Use::Segments));
        assert!(!gate.allows(&f[0].spec, Use::Segments));
        let open = Gate::new(&f, []);
        assert!(open.segments_on_roles());
        assert!(!open.allows(&f[1].spec, Use::Segments));
    }
}
