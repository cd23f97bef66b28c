//! The built-in plugins, compiled from `plugins/*` for `wasm32-wasip2` by `build.rs` and
//! embedded with their digests and, for the machine kind the binary was built on, their
//! precompiled machine code.

/// One built-in plugin as the binary carries it.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// The plugin's name (`builtin:` in a pipeline).
    pub name: &'static str,
    /// The WebAssembly component.
    pub component: &'static [u8],
    /// The component's sha256, lower-case hex, computed at build time.
    pub digest: &'static str,
    /// The component precompiled by wasmtime at build time with the runtime's settings, if the
    /// build was native.
    pub precompiled: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/builtins.rs"));

/// The built-in plugin `name`.
pub fn get(name: &str) -> Option<&'static Builtin> {
    BUILTIN_COMPONENTS.iter().find(|b| b.name == name)
}

/// The component bytes of the built-in plugin `name`.
pub fn find(name: &str) -> Option<&'static [u8]> {
    get(name).map(|b| b.component)
}

/// The built-in plugins' names, in the default pipeline's order.
pub fn names() -> impl Iterator<Item = &'static str> {
    BUILTIN_COMPONENTS.iter().map(|b| b.name)
}

/// What the built-in plugin `name` declares it writes (its emission policy, see
/// [`crate::policy`]). The component plugins write their Argo CD Applications (in Argo CD's
/// namespace) and their own objects wherever the stack's components run; `cluster-overlay`
/// applies the cluster's own overlay, which may touch anything the stack holds.
pub fn policy(name: &str) -> crate::policy::Policy {
    use crate::policy::Policy;
    match name {
        // The operator and flink-environment create the namespaces Flink jobs run in.
        "flink-operator" | "flink-environment" => {
            Policy::builtin(&["*", "Application.argoproj.io", "Namespace"], true, true)
        }
        "cmf" => Policy::builtin(&["*", "Application.argoproj.io"], true, false),
        "monitoring" => Policy::builtin(&["*"], true, false),
        "cluster-overlay" => Policy::unrestricted(),
        // The SQL resources, beside the FlinkEnvironment in the run's namespace.
        "flink-sql" => Policy::builtin(&["*"], false, false),
        // Not a built-in: `source::fetch` refuses it before anything runs.
        _ => Policy::external_default(),
    }
}
