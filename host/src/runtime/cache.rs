//! The on-disk cache of compiled components.
//!
//! Entries live at `<dir>/<engine-key>/<component-sha256>.cwasm`, where `<engine-key>` hashes
//! wasmtime's precompile compatibility hash (its version and every codegen setting) with the
//! flinkwasm version. Each file is `MAGIC`, then the sha256 of the payload, then the payload
//! that `Engine::precompile_component` produced.
//!
//! Why an entry can be trusted (wasmtime runs deserialized machine code unchecked):
//! - the directory is the user's own: it is created `0700` and a directory that others can
//!   write to is not used at all;
//! - the key binds an entry to the exact component bytes (already pin-checked) and to this
//!   engine, so a stale or foreign entry is never looked up;
//! - the embedded digest catches truncation, bit rot and partial writes: an entry whose payload
//!   does not hash to it is recompiled and replaced, never deserialized;
//! - writes go to a unique temporary file in the same directory, then `rename`: readers see the
//!   old entry or the whole new one, so concurrent renders are safe.
//!
//! What it does not defend against is someone who can already write the user's cache directory;
//! such a person can already replace the flinkwasm binary. See the invariants in ARCHITECTURE.md.
//!
//! **Built-ins** carry their machine code in the binary (`build.rs` precompiles them). Copying it
//! out of the binary costs a fresh page for every page of code, on every run; so the first run
//! writes each built-in's code to `<engine-key>/builtin-<sha256>.cwasm` and later runs map that
//! file (`Component::deserialize_file`), which shares the page cache and touches only the code
//! that runs. Such an entry is a byte copy of part of the binary, written once (temporary file +
//! `rename`, never rewritten in place, so a mapped entry never changes under a reader) and used
//! only when its length matches and its directory is private to the user. A built-in never goes
//! through the compile path and its entry is never hashed on load: that is the point.

use anyhow::{Context as _, Result};
use sha2::{Digest, Sha256};
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use wasmtime::Engine;
use wasmtime::component::Component;

const MAGIC: &[u8; 16] = b"FLINKWASM-CWASM1";
const HEADER: usize = MAGIC.len() + 32;

/// The compile cache. With no directory it is a no-op and every load compiles.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: Option<PathBuf>,
    /// Directories found private in this process: checked once, not before every entry.
    known_private: Arc<Mutex<Vec<PathBuf>>>,
}

/// What a cache lookup found, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A valid entry was loaded.
    Hit,
    /// No entry: compiled and stored.
    Miss,
    /// An entry failed its integrity check or did not load: compiled and replaced.
    Corrupt,
    /// No usable cache directory: compiled in memory.
    Disabled,
    /// A built-in's machine code, embedded in the binary at build time: the cache was not used.
    Precompiled,
}

impl Cache {
    /// The cache in `$FLINKWASM_CACHE_DIR`, else `$XDG_CACHE_HOME/flinkwasm`, else
    /// `$HOME/.cache/flinkwasm`; disabled when none is set.
    pub fn from_env() -> Cache {
        let dir = std::env::var_os("FLINKWASM_CACHE_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("XDG_CACHE_HOME")
                    .filter(|v| !v.is_empty())
                    .map(|d| PathBuf::from(d).join("flinkwasm"))
            })
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| PathBuf::from(h).join(".cache").join("flinkwasm"))
            });
        Cache::new(dir)
    }

    /// A cache in `dir`, or none.
    pub fn new(dir: Option<PathBuf>) -> Cache {
        Cache {
            dir,
            known_private: Arc::default(),
        }
    }

    /// Whether `dir` and its parent are writable by their owner only. A yes is remembered for
    /// the process (a run lasts milliseconds); a no is asked again, since the directory may be
    /// created in the meantime.
    fn private(&self, dir: &Path) -> bool {
        let mut known = self
            .known_private
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if known.iter().any(|d| d == dir) {
            return true;
        }
        let private = private(dir);
        if private {
            known.push(dir.to_path_buf());
        }
        private
    }

    /// The cache directory, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Whether the check named `key` passed before: a marker in the private cache. For checks
    /// whose result depends only on what the key was hashed from (a plugin config validated
    /// against its schema); an unusable cache answers no, which only costs the check.
    pub fn passed(&self, key: &str) -> bool {
        self.checks_dir()
            .is_some_and(|dir| self.private(&dir) && dir.join(key).is_file())
    }

    /// Records that the check named `key` passed. Trouble is logged, never an error: a
    /// missing marker only means the check runs again.
    pub fn record_pass(&self, key: &str) {
        // An empty file: its name is the record, so a torn write cannot make one up.
        self.record(key, b"");
    }

    /// What was recorded under `key` (see [`Cache::record`]), from the private cache only.
    pub fn recorded(&self, key: &str) -> Option<Vec<u8>> {
        let dir = self.checks_dir()?;
        if !self.private(&dir) {
            return None;
        }
        fs::read(dir.join(key)).ok()
    }

    /// Records `bytes` under `key`, for an answer that depends only on what the key was hashed
    /// from (a plugin's description, by its component's sha256). Written whole (temporary file,
    /// then `rename`), so a reader sees all of it or nothing. Trouble is logged, never an
    /// error: a missing record only means the work is done again.
    pub fn record(&self, key: &str, bytes: &[u8]) {
        let Some(dir) = self.checks_dir() else {
            return;
        };
        let path = dir.join(key);
        let result = create_private_dir(&dir).and_then(|()| {
            let tmp = dir.join(format!(".{key}.{}.tmp", std::process::id()));
            fs::write(&tmp, bytes).with_context(|| format!("creating {}", tmp.display()))?;
            fs::rename(&tmp, &path).with_context(|| format!("renaming into {}", path.display()))
        });
        if let Err(e) = result {
            tracing::debug!("{key} not recorded in the cache ({e:#})");
        }
    }

    fn checks_dir(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join("checks"))
    }

    /// The directory for this engine's entries.
    fn engine_dir(&self, engine: &Engine) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let mut h = ShaHasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut h);
        env!("CARGO_PKG_VERSION").hash(&mut h);
        let key = hex(&h.0.finalize()[..12]);
        Some(dir.join(key))
    }

    /// Loads the compiled component for `bytes` (whose sha256 is `digest`), compiling and storing
    /// it on a miss. Cache trouble is logged and never fails the load.
    pub fn load(
        &self,
        engine: &Engine,
        bytes: &[u8],
        digest: &str,
        plugin: &str,
    ) -> Result<(Component, Outcome)> {
        let Some(dir) = self.engine_dir(engine) else {
            return Ok((compile(engine, bytes, plugin)?, Outcome::Disabled));
        };
        let path = dir.join(format!("{digest}.cwasm"));
        let mut outcome = Outcome::Miss;
        match fs::read(&path) {
            Ok(entry) => match verified_payload(&entry) {
                // SAFETY: the payload is exactly what `Engine::precompile_component` wrote for
                // this engine configuration (checked by the digest and the engine key), in a
                // directory only this user can write; see the module documentation.
                Some(payload) => match unsafe { Component::deserialize(engine, payload) } {
                    Ok(component) => return Ok((component, Outcome::Hit)),
                    Err(e) => {
                        tracing::warn!(plugin, path = %path.display(), "compile cache entry did not load ({e}); recompiling");
                        outcome = Outcome::Corrupt;
                    }
                },
                None => {
                    tracing::warn!(plugin, path = %path.display(), "compile cache entry is corrupt (digest mismatch); recompiling");
                    outcome = Outcome::Corrupt;
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(plugin, path = %path.display(), "cannot read compile cache entry ({e}); recompiling")
            }
        }
        let serialized = engine
            .precompile_component(bytes)
            .map_err(anyhow::Error::from)
            .map_err(|e| {
                crate::error::integrity(format!(
                    "plugin {plugin}: not a valid WebAssembly component: {e:#}"
                ))
            })?;
        // SAFETY: these bytes were produced by `precompile_component` on this engine just now.
        let component = unsafe { Component::deserialize(engine, &serialized) }
            .map_err(anyhow::Error::from)
            .with_context(|| format!("plugin {plugin}: loading the freshly compiled component"))?;
        if let Err(e) = store(&dir, &path, &serialized) {
            tracing::warn!(plugin, dir = %dir.display(), "compile cache not written ({e:#}); rendering goes on without it");
            if outcome == Outcome::Miss {
                outcome = Outcome::Disabled;
            }
        }
        Ok((component, outcome))
    }
}

impl Cache {
    /// Loads a built-in from its machine code `code` (embedded at build time): mapped from its
    /// cache entry when there is one, else from `code` (written to the cache for the next run).
    /// `None` when this engine refuses the code (another CPU, say); the caller then compiles.
    pub fn load_precompiled(
        &self,
        engine: &Engine,
        code: &'static [u8],
        digest: &str,
        plugin: &str,
    ) -> Option<(Component, Outcome)> {
        if let Some(dir) = self.engine_dir(engine) {
            let path = dir.join(format!("builtin-{digest}.cwasm"));
            let mut mappable = self.mappable(&dir, &path, code.len());
            if !mappable {
                match store_raw(&dir, &path, code) {
                    Ok(()) => mappable = self.mappable(&dir, &path, code.len()),
                    Err(e) => tracing::debug!(plugin, "built-in not cached for mapping ({e:#})"),
                }
            }
            if mappable {
                // SAFETY: the file is a byte copy of `code` (see `store_raw`), which `build.rs`
                // produced with `Engine::precompile_component` for this wasmtime and these
                // settings; it sits in a directory only this user can write and is replaced only
                // by `rename`, never changed in place, so it stays valid while mapped. wasmtime
                // checks version, settings and CPU features and refuses a mismatch.
                match unsafe { Component::deserialize_file(engine, &path) } {
                    Ok(c) => return Some((c, Outcome::Precompiled)),
                    Err(e) => tracing::debug!(
                        plugin,
                        "mapping the built-in failed ({e}); loading it from the binary"
                    ),
                }
            }
        }
        // SAFETY: as above: `code` is this binary's own precompiled machine code.
        match unsafe { Component::deserialize(engine, code) } {
            Ok(c) => Some((c, Outcome::Precompiled)),
            Err(e) => {
                tracing::debug!(
                    plugin,
                    "precompiled built-in not usable here ({e}); compiling"
                );
                None
            }
        }
    }
}

impl Cache {
    /// Whether `path` is a built-in entry that may be mapped: the right length, in a directory
    /// (and parent) no other user can write.
    fn mappable(&self, dir: &Path, path: &Path, len: usize) -> bool {
        let Ok(meta) = fs::metadata(path) else {
            return false;
        };
        meta.is_file() && meta.len() == len as u64 && self.private(dir)
    }
}

/// Whether `dir` and its parent are writable by their owner only.
fn private(dir: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        [Some(dir), dir.parent()]
            .into_iter()
            .flatten()
            .all(|d| fs::metadata(d).is_ok_and(|m| m.permissions().mode() & 0o022 == 0))
    }
    #[cfg(not(unix))]
    {
        dir.is_dir()
    }
}

/// Writes `bytes` to `path` atomically (temporary file, then `rename`) in a private `dir`.
fn store_raw(dir: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically(dir, path, &[bytes])
}

fn compile(engine: &Engine, bytes: &[u8], plugin: &str) -> Result<Component> {
    Component::new(engine, bytes)
        .map_err(anyhow::Error::from)
        .map_err(|e| {
            crate::error::integrity(format!(
                "plugin {plugin}: not a valid WebAssembly component: {e:#}"
            ))
        })
}

/// The payload of an entry whose header and digest check out.
fn verified_payload(entry: &[u8]) -> Option<&[u8]> {
    if entry.len() < HEADER || &entry[..MAGIC.len()] != MAGIC {
        return None;
    }
    let (digest, payload) = entry[MAGIC.len()..].split_at(32);
    (Sha256::digest(payload).as_slice() == digest).then_some(payload)
}

fn store(dir: &Path, path: &Path, payload: &[u8]) -> Result<()> {
    let digest = Sha256::digest(payload);
    write_atomically(dir, path, &[MAGIC, digest.as_slice(), payload])
}

/// Writes `parts` to `path` through a unique temporary file in `dir` (created private) and a
/// `rename`, so readers see the old file or the whole new one.
fn write_atomically(dir: &Path, path: &Path, parts: &[&[u8]]) -> Result<()> {
    create_private_dir(dir)?;
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let tmp = dir.join(format!(
        ".{}.{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("entry"),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| -> Result<()> {
        let mut f =
            fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        for part in parts {
            f.write_all(part)?;
        }
        f.sync_all()?;
        fs::rename(&tmp, path).with_context(|| format!("renaming into {}", path.display()))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Creates `dir` (and parents) private to the user, and refuses a directory others can write.
fn create_private_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
        for d in [Some(dir), dir.parent()].into_iter().flatten() {
            let mode = fs::metadata(d)?.permissions().mode();
            anyhow::ensure!(
                mode & 0o022 == 0,
                "{} is writable by other users (mode {:o}); not caching there",
                d.display(),
                mode & 0o777
            );
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
    }
}

/// Feeds `Hash` output into sha256, so the key is stable across runs (unlike `DefaultHasher`'s
/// promise).
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// The name of a record ([`Cache::record`]) of `kind`: `<kind>-` and the sha256 of `parts`,
/// each length-prefixed so that no two lists of parts hash alike.
pub fn record_key(kind: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    format!("{kind}-{}", hex(&h.finalize()))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The sha256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_digest_is_checked() {
        let payload = b"compiled code";
        let mut entry = MAGIC.to_vec();
        entry.extend_from_slice(&Sha256::digest(payload));
        entry.extend_from_slice(payload);
        assert_eq!(verified_payload(&entry), Some(&payload[..]));
        let last = entry.len() - 1;
        entry[last] ^= 1;
        assert_eq!(verified_payload(&entry), None);
        assert_eq!(verified_payload(&entry[..10]), None);
    }
}
