//! Getting a plugin's component bytes: from the binary, or from a file checked against its pin
//! before anything is compiled.

use crate::builtin;
use crate::error;
use crate::pipeline::Source;
use crate::runtime::sha256_hex;
use anyhow::Result;
use std::borrow::Cow;

/// A component's bytes that may be compiled: built in, or matching their pin.
pub struct Trusted {
    /// The component.
    pub bytes: Cow<'static, [u8]>,
    /// Its sha256, lower-case hex.
    pub digest: String,
    /// A built-in's machine code, precompiled at build time.
    pub precompiled: Option<&'static [u8]>,
}

/// The component for `source`, trusted: built in, or matching its `sha256` pin.
pub fn fetch(plugin: &str, source: &Source) -> Result<Trusted> {
    match source {
        Source::Builtin(name) => builtin::get(name)
            .map(|b| Trusted {
                bytes: Cow::Borrowed(b.component),
                digest: b.digest.to_string(),
                precompiled: b.precompiled,
            })
            .ok_or_else(|| {
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
            Ok(Trusted {
                bytes: Cow::Owned(bytes),
                digest: actual,
                precompiled: None,
            })
        }
    }
}
