//! Getting a plugin's component bytes: from the binary, or from a file checked against its pin
//! before anything is compiled.

use crate::builtin;
use crate::error;
use crate::pipeline::Source;
use crate::runtime::sha256_hex;
use anyhow::Result;
use std::borrow::Cow;

/// The component bytes for `source`, trusted: built in, or matching their `sha256` pin.
pub fn fetch(plugin: &str, source: &Source) -> Result<Cow<'static, [u8]>> {
    match source {
        Source::Builtin(name) => builtin::find(name).map(Cow::Borrowed).ok_or_else(|| {
            error::input(format!(
                "plugin {plugin}: there is no built-in plugin `{name}`; built-ins: {}",
                builtin::names().collect::<Vec<_>>().join(", ")
            ))
        }),
        Source::File { path, sha256 } => {
            let bytes = std::fs::read(path).map_err(|e| {
                error::integrity(format!(
                    "plugin {plugin}: cannot read {}: {e}",
                    path.display()
                ))
            })?;
            let actual = sha256_hex(&bytes);
            if &actual != sha256 {
                return Err(error::integrity(format!(
                    "plugin {plugin}: {} has sha256:{actual} but the pipeline pins sha256:{sha256}; refusing to run it",
                    path.display()
                )));
            }
            Ok(Cow::Owned(bytes))
        }
    }
}
