//! The flinkwasm plugin SDK: everything a guest plugin needs, with the wit-bindgen plumbing hidden.
//!
//! A plugin implements [`Plugin`] and calls [`export_plugin!`] once:
//!
//! ```no_run
//! use flinkwasm_sdk::prelude::*;
//!
//! struct TeamLabels;
//!
//! impl Plugin for TeamLabels {
//!     fn info() -> Info {
//!         Info::new("team-labels", env!("CARGO_PKG_VERSION"), "Adds a team label.", Role::Transformer)
//!     }
//!     fn run(ctx: &Context, mut manifests: Vec<Manifest>) -> Result<Output, Error> {
//!         let team: String = ctx.config_value("team").unwrap_or_default();
//!         for m in &mut manifests {
//!             m.set_label("example.com/team", &team);
//!         }
//!         Ok(Output::new(manifests))
//!     }
//! }
//!
//! flinkwasm_sdk::export_plugin!(TeamLabels);
//! ```
//!
//! The contract itself is `wit/plugin.wit` (`flinkwasm:plugin@0.2.0`); this crate is the only
//! code that touches its generated bindings.

#![warn(missing_docs)]

mod context;
mod diagnostic;
mod manifest;
mod patch;
mod plugin;

#[doc(hidden)]
pub mod bindings {
    //! Raw bindings generated from `wit/plugin.wit`. Plugins should not need them.
    wit_bindgen::generate!({
        path: "../../wit",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_plugin_world",
        default_bindings_module: "flinkwasm_sdk::bindings",
    });
}

pub use context::{Context, Mode};
pub use diagnostic::{Diagnostic, Error, Severity};
pub use manifest::{Manifest, ResourceRef, Selector};
pub use patch::merge_patch;
pub use plugin::{Info, Output, Plugin, Role};
pub use serde_json::{Map, Value, json};

/// Writes to the host's log, attributed to this plugin.
pub mod log {
    use crate::bindings::flinkwasm::plugin::host::{Level, log};

    /// Logs at debug level.
    pub fn debug(message: &str) {
        log(Level::Debug, message);
    }
    /// Logs at info level.
    pub fn info(message: &str) {
        log(Level::Info, message);
    }
    /// Logs at warn level.
    pub fn warn(message: &str) {
        log(Level::Warn, message);
    }
}

/// Everything a plugin usually needs, in one import.
pub mod prelude {
    pub use crate::{
        Context, Diagnostic, Error, Info, Manifest, Map, Mode, Output, Plugin, ResourceRef, Role,
        Selector, Severity, Value, json, merge_patch,
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
