//! The built-in plugins, compiled from `plugins/*` for `wasm32-wasip2` by `build.rs` and embedded.

include!(concat!(env!("OUT_DIR"), "/builtins.rs"));

/// The component bytes of the built-in plugin `name`.
pub fn find(name: &str) -> Option<&'static [u8]> {
    BUILTIN_COMPONENTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| *b)
}

/// The built-in plugins' names, in the default pipeline's order.
pub fn names() -> impl Iterator<Item = &'static str> {
    BUILTIN_COMPONENTS.iter().map(|(n, _)| *n)
}
