//! The labels every object of the stack carries.

use crate::PART_OF;
use flinkwasm_sdk::Manifest;

/// `app.kubernetes.io/part-of`.
pub const PART_OF_LABEL: &str = "app.kubernetes.io/part-of";
/// `app.kubernetes.io/component`.
pub const COMPONENT_LABEL: &str = "app.kubernetes.io/component";
/// `app.kubernetes.io/managed-by` value set on generated objects.
pub const MANAGED_BY: &str = "flinkwasm";

/// Labels `m` as part of the stack's `component`.
pub fn stack(m: &mut Manifest, component: &str) {
    m.set_label(COMPONENT_LABEL, component);
    m.set_label(PART_OF_LABEL, PART_OF);
}

/// Labels a generated object: [`stack`] plus `app.kubernetes.io/managed-by: flinkwasm`.
pub fn generated(m: &mut Manifest, component: &str) {
    stack(m, component);
    m.set_label("app.kubernetes.io/managed-by", MANAGED_BY);
}
