//! Waves for the Helm-native option: a `whole` render under Argo CD that installs the operator
//! and CMF charts through Helm-native Applications (sync waves 116 and 118) holds the CFK
//! objects in the same sync. Without a wave of their own they would be applied in wave 0,
//! before the Applications that bring the operator and CMF, which reconcile them. (Their CRDs
//! are CFK's, installed before this stack, so their dry run needs no skipping.)

use flinkwasm_sdk::prelude::*;
use flinkwasm_stack::SYNC_WAVE;

/// The CFK objects' waves: after the CMF Application (118), the applications after their
/// environment.
const ENVIRONMENT_WAVE: &str = "120";
const APPLICATION_WAVE: &str = "121";

/// Whether `manifests` hold a Helm-native Application (a chart Argo CD installs itself) in a
/// wave before the CFK objects': the case that needs [`gate`].
pub fn helm_native(manifests: &[Manifest]) -> bool {
    manifests.iter().any(|m| {
        m.is("argoproj.io", "Application")
            && m.get(&["spec", "source", "chart"]).is_some()
            && m.annotation(SYNC_WAVE)
                .and_then(|w| w.parse::<i64>().ok())
                .is_some_and(|w| w < 120)
    })
}

/// Gives every CFK object without a wave its wave after the operators. A wave the user set is
/// kept.
pub fn gate(manifests: &mut [Manifest]) {
    for m in manifests
        .iter_mut()
        .filter(|m| m.group() == "platform.confluent.io")
    {
        if m.annotation(SYNC_WAVE).is_none() {
            let wave = if m.kind() == "FlinkApplication" {
                APPLICATION_WAVE
            } else {
                ENVIRONMENT_WAVE
            };
            m.set_annotation(SYNC_WAVE, wave);
        }
    }
}
