//! Getting a plugin's component bytes: from the binary, from a file checked against its pin
//! before anything is compiled, or from an OCI registry by digest ([`crate::oci`]). A component file is read like every other file of the pipeline
//! directory ([`crate::files`]): inside it, a regular file, at most [`MAX_COMPONENT_BYTES`].

use crate::builtin;
use crate::error;
use crate::pipeline::Source;
use crate::runtime::sha256_hex;
use anyhow::Result;
use std::borrow::Cow;
use std::path::Path;

/// The largest component file read: far above a Python or JavaScript component (tens of MiB),
/// and a bound on what a pipeline can make the host hold.
pub const MAX_COMPONENT_BYTES: u64 = 128 << 20;

/// The bytes of the component file `rel` below `base`: a missing or unreadable file cannot be
/// trusted (exit 5); one outside the pipeline directory is a pipeline error (exit 3).
fn read_component(plugin: &str, rel: &str, base: &Path) -> Result<Vec<u8>> {
    let root = crate::files::Root::new(base)?;
    let shown = crate::text::safe(rel);
    let real = root
        .path()
        .join(rel)
        .canonicalize()
        .map_err(|e| error::integrity(format!("plugin {plugin}: cannot read {shown}: {e}")))?;
    if !real.starts_with(root.path()) {
        return Err(error::input(format!(
            "plugin {plugin}: {shown} is outside the pipeline directory; a component must be \
             below it like every file the pipeline reads"
        )));
    }
    crate::files::read_regular(&real, rel, &format!("plugin {plugin}"), MAX_COMPONENT_BYTES)
        .map_err(|e| error::integrity(format!("{e:#}")))
}

/// A component's bytes that may be compiled: built in, or matching their pin.
pub struct Trusted {
    /// The component.
    pub bytes: Cow<'static, [u8]>,
    /// Its sha256, lower-case hex.
    pub digest: String,
    /// A built-in's machine code, precompiled at build time.
    pub precompiled: Option<&'static [u8]>,
    /// Whether the component is a built-in (this binary's own bytes).
    pub builtin: bool,
}

impl Trusted {
    /// How the component is compiled when its machine code is not at hand: a built-in in this
    /// process, anything else isolated under the plugin's compile limits.
    pub fn compile(&self, limits: &crate::pipeline::Limits) -> crate::runtime::Compile {
        if self.builtin {
            crate::runtime::Compile::Trusted
        } else {
            crate::runtime::Compile::Isolated {
                memory: limits.compile_memory_bytes,
                timeout: limits.compile_timeout,
            }
        }
    }
}

/// The component for `source`, trusted: built in, matching its `sha256` pin, or pulled from
/// a registry by digest (and signature) through `cache` ([`crate::oci`]).
pub fn fetch(cache: &crate::runtime::Cache, plugin: &str, source: &Source) -> Result<Trusted> {
    match source {
        Source::Oci {
            reference,
            verify,
            base,
        } => {
            let component = crate::oci::fetch(cache, plugin, reference, verify.as_ref(), base)?;
            Ok(Trusted {
                bytes: Cow::Owned(component.bytes),
                digest: component.digest,
                precompiled: None,
                builtin: false,
            })
        }
        Source::Builtin(name) => builtin::get(name)
            .map(|b| Trusted {
                bytes: Cow::Borrowed(b.component),
                digest: b.digest.to_string(),
                precompiled: b.precompiled,
                builtin: true,
            })
            .ok_or_else(|| {
                error::input(format!(
                    "plugin {plugin}: there is no built-in plugin `{name}`; built-ins: {}",
                    builtin::names().collect::<Vec<_>>().join(", ")
                ))
            }),
        Source::File { rel, base, sha256 } => {
            let bytes = read_component(plugin, rel, base)?;
            let actual = sha256_hex(&bytes);
            if &actual != sha256 {
                return Err(error::integrity(format!(
                    "plugin {plugin}: {} has sha256:{actual} but the pipeline pins sha256:{sha256}; refusing to run it",
                    crate::text::safe(rel)
                )));
            }
            Ok(Trusted {
                bytes: Cow::Owned(bytes),
                digest: actual,
                precompiled: None,
                builtin: false,
            })
        }
    }
}
