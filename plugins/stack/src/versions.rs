//! The stack's version pairings, the one place plugins read versions from: which operator
//! chart, CMF and CFK go together, and what each pairing can do.
//!
//! `seed` is the seed document's pairing and the default. `current` is the pairing that brings
//! CFK's declarative Flink SQL resources (a preview of CFK 3.3.0 reconciled through CMF 2.3.0 or
//! later; `../shared/reference/schemas/README.md`).

use flinkwasm_sdk::JsonSchema;
use serde::Deserialize;

/// A pairing's name, as a plugin's `stack` config names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Stack {
    /// The seed's pairing: operator chart 1.130.0 with CMF 2.1.0 (no Flink SQL resources).
    #[default]
    Seed,
    /// CMF 2.3.0 with CFK 3.3.0 (`enableCMFDay2Ops`, `enableFlinkSQL`): Flink SQL resources.
    Current,
}

/// The versions of one pairing and what they can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pairing {
    /// Its name in config.
    pub name: &'static str,
    /// The `confluentinc/flink-kubernetes-operator` chart version.
    pub operator_chart: &'static str,
    /// Whether that chart version was confirmed against a public source for this pairing.
    pub operator_chart_verified: bool,
    /// The `confluentinc/confluent-manager-for-apache-flink` chart (CMF) version.
    pub cmf: &'static str,
    /// The Confluent for Kubernetes version the pairing needs, if any.
    pub cfk: Option<&'static str>,
    /// The `confluentinc/confluent-for-kubernetes` chart version of that CFK, if any.
    pub cfk_chart: Option<&'static str>,
    /// The CFK chart values the pairing needs set to `true`.
    pub cfk_flags: &'static [&'static str],
    /// The image CMF runs Flink SQL compute pools with, when the pairing has Flink SQL.
    pub sql_image: Option<&'static str>,
}

/// The seed's pairing.
pub const SEED: Pairing = Pairing {
    name: "seed",
    operator_chart: "1.130.0",
    operator_chart_verified: true,
    cmf: "2.1.0",
    cfk: None,
    cfk_chart: None,
    cfk_flags: &[],
    sql_image: None,
};

/// The current pairing: Flink SQL as CFK resources. The operator chart that Confluent pairs
/// with CMF 2.3 was not found in a public source; the seed's is kept and marked unverified.
pub const CURRENT: Pairing = Pairing {
    name: "current",
    operator_chart: "1.130.0",
    operator_chart_verified: false,
    cmf: "2.3.0",
    cfk: Some("3.3.0"),
    cfk_chart: Some("0.1718.10"),
    cfk_flags: &["enableCMFDay2Ops", "enableFlinkSQL"],
    sql_image: Some("confluentinc/cp-flink-sql:1.19-cp8"),
};

impl Stack {
    /// The pairing's versions.
    pub fn pairing(self) -> &'static Pairing {
        match self {
            Stack::Seed => &SEED,
            Stack::Current => &CURRENT,
        }
    }
}

impl Pairing {
    /// Whether the pairing reconciles Flink SQL resources (FlinkStatement and its kin).
    pub fn has_flink_sql(&self) -> bool {
        self.sql_image.is_some()
    }

    /// A sentence naming the pairing that can do Flink SQL, for a refusal.
    pub fn flink_sql_refusal(&self) -> String {
        format!(
            "stack `{}` (CMF {}) has no Flink SQL resources: they need stack `current` (CMF {} or \
             later with CFK {}, its chart {} with {} set to true)",
            self.name,
            self.cmf,
            CURRENT.cmf,
            CURRENT.cfk.unwrap_or_default(),
            CURRENT.cfk_chart.unwrap_or_default(),
            CURRENT.cfk_flags.join(" and "),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_current_pairing_has_flink_sql_and_the_refusal_names_it() {
        assert!(!Stack::default().pairing().has_flink_sql());
        assert!(Stack::Current.pairing().has_flink_sql());
        let refusal = SEED.flink_sql_refusal();
        assert!(refusal.contains("CMF 2.1.0"), "{refusal}");
        assert!(
            refusal.contains("CMF 2.3.0 or later with CFK 3.3.0"),
            "{refusal}"
        );
        assert!(
            refusal.contains("enableCMFDay2Ops and enableFlinkSQL"),
            "{refusal}"
        );
    }
}
