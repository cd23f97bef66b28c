//! The flinkwasm plugin SDK: everything a guest plugin needs, with the wit-bindgen plumbing hidden.
//!
//! A plugin implements [`Plugin`] and calls [`export_plugin!`] once:
//!
//! ```no_run
//! use flinkwasm_sdk::prelude::*;
//! use serde::Deserialize;
//!
//! struct TeamLabels;
//!
//! /// The plugin's config: its JSON Schema is derived from this type.
//! #[derive(Deserialize, JsonSchema)]
//! #[serde(rename_all = "camelCase", deny_unknown_fields)]
//! struct Config {
//!     /// The team's name, a DNS label.
//!     #[schemars(length(min = 1, max = 63))]
//!     team: String,
//! }
//!
//! impl Plugin for TeamLabels {
//!     fn info() -> Info {
//!         Info::new("team-labels", env!("CARGO_PKG_VERSION"), "Adds a team label.", Role::Transformer)
//!             .schema_for::<Config>()
//!     }
//!     fn run(ctx: &Context, mut manifests: Vec<Manifest>) -> Result<Output, Error> {
//!         let cfg: Config = ctx.config()?;
//!         for m in &mut manifests {
//!             m.set_label("example.com/team", &cfg.team);
//!         }
//!         Ok(Output::new(manifests))
//!     }
//! }
//!
//! flinkwasm_sdk::export_plugin!(TeamLabels);
//! ```
//!
//! With the `testing` feature (a dev-dependency), [`testing`] runs a plugin natively in its
//! crate's own tests: YAML in, the stream and diagnostics out, as the host would give them.
//!
//! The contract itself is `wit/plugin.wit` (`flinkwasm:plugin@0.3.0`); this crate is the only
//! code that touches its generated bindings.

#![warn(missing_docs)]

mod context;
mod diagnostic;
mod manifest;
mod patch;
mod plugin;
mod schema;
// Natively only: it checks configs with the `jsonschema` crate, as the host does.
#[cfg(all(feature = "testing", not(target_arch = "wasm32")))]
pub mod testing;

#[doc(hidden)]
pub mod bindings {
    //! Raw bindings generated from `wit/plugin.wit`. Plugins should not need them.
    // The SDK's own copy of the contract (`wit/plugin.wit` beside its Cargo.toml), so the crate
    // builds when copied out of this workspace; a test keeps it identical to the host's.
    wit_bindgen::generate!({
        path: "wit",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_plugin_world",
        default_bindings_module: "flinkwasm_sdk::bindings",
    });
}

pub use context::Context;
pub use diagnostic::{Diagnostic, Error, Severity};
pub use manifest::{Manifest, ResourceRef, Selector};
pub use patch::merge_patch;
pub use plugin::{Info, Output, Plugin, Role};
/// The schemars this SDK derives config schemas with ([`Info::schema_for`]).
pub use schemars::{self, JsonSchema};
pub use serde_json::{Map, Value, json};

/// Writes to the host's log, attributed to this plugin.
pub mod log {
    use crate::bindings::flinkwasm::plugin::host::Level;

    /// Logs at debug level.
    pub fn debug(message: &str) {
        emit(Level::Debug, message);
    }
    /// Logs at info level.
    pub fn info(message: &str) {
        emit(Level::Info, message);
    }
    /// Logs at warn level.
    pub fn warn(message: &str) {
        emit(Level::Warn, message);
    }

    #[cfg(target_arch = "wasm32")]
    fn emit(level: Level, message: &str) {
        crate::bindings::flinkwasm::plugin::host::log(level, message);
    }

    // Natively (a plugin's own tests) there is no host to import from: the lines are kept for
    // `testing::run` to hand back.
    #[cfg(not(target_arch = "wasm32"))]
    fn emit(level: Level, message: &str) {
        // wit-bindgen's `Debug` for `Level` reads `Level::Info`; the lines say `Info: ...`.
        let level = match level {
            Level::Debug => "Debug",
            Level::Info => "Info",
            Level::Warn => "Warn",
            Level::Trace => "Trace",
            Level::Error => "Error",
        };
        NATIVE.with(|lines| lines.borrow_mut().push(format!("{level}: {message}")));
    }

    #[cfg(not(target_arch = "wasm32"))]
    std::thread_local! {
        static NATIVE: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    /// The lines logged natively on this thread since the last call.
    #[cfg(all(feature = "testing", not(target_arch = "wasm32")))]
    pub(crate) fn take_native() -> Vec<String> {
        NATIVE.with(|lines| std::mem::take(&mut *lines.borrow_mut()))
    }
}

/// Everything a plugin usually needs, in one import.
pub mod prelude {
    pub use crate::{
        Context, Diagnostic, Error, Info, JsonSchema, Manifest, Map, Output, Plugin, ResourceRef,
        Role, Selector, Severity, Value, json, merge_patch,
    };
}

/// Exports a type implementing [`Plugin`] as the component's `plugin` world.
///
/// Call it once, at the crate root of a `cdylib` built for `wasm32-wasip2`.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        struct __FlinkwasmExport;

        impl $crate::bindings::Guest for __FlinkwasmExport {
            fn describe() -> $crate::bindings::flinkwasm::plugin::types::PluginInfo {
                $crate::__private::describe::<$plugin>()
            }

            fn run(
                ctx: $crate::bindings::flinkwasm::plugin::types::Context,
                manifests: ::std::vec::Vec<::std::string::String>,
            ) -> $crate::bindings::flinkwasm::plugin::types::RunOutput {
                $crate::__private::run::<$plugin>(ctx, manifests)
            }
        }

        $crate::bindings::__export_plugin_world!(__FlinkwasmExport with_types_in $crate::bindings);
    };
}

#[doc(hidden)]
pub mod __private {
    pub use crate::plugin::{describe, run};
}

#[cfg(test)]
mod contract_tests {
    /// The SDK's copy of the contract is the host's (`../../wit/plugin.wit`), byte for byte.
    /// Outside this workspace (the SDK copied elsewhere) there is nothing to compare with.
    #[test]
    fn the_wit_copy_is_the_hosts() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let ours = std::fs::read_to_string(dir.join("wit/plugin.wit")).unwrap();
        match std::fs::read_to_string(dir.join("../../wit/plugin.wit")) {
            Ok(hosts) => assert!(
                ours == hosts,
                "plugins/sdk/wit/plugin.wit differs from wit/plugin.wit: copy it over"
            ),
            Err(_) => eprintln!("no ../../wit/plugin.wit: the SDK is outside its workspace"),
        }
    }
}
