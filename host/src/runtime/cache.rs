//! The on-disk cache of compiled components and of records (passed config checks, plugin
//! descriptions), and why it can be trusted.
//!
//! wasmtime runs deserialized machine code unchecked: whoever can write an entry the host
//! loads runs native code in the host (in the Argo CD sidecar, with its service account). So
//! the cache is authenticated, and every rule below is checked on opened descriptors, never on
//! path names that could be swapped between the check and the use:
//! - **The directory is this user's own.** The cache directory is opened component by
//!   component from `/` (or the working directory), never following a symlink owned by another
//!   user, and the opened directory must be owned by the effective user with no group or other
//!   write (`fstat` on the descriptor). When it is not (an Argo CD `emptyDir` is world-writable,
//!   a shared `/tmp` path may belong to someone else), the host uses a subdirectory
//!   `flinkwasm-<uid>` it creates there, checked the same way; failing that it runs uncached. It
//!   never loads code it did not verify.
//! - **Everything below it is reached through that descriptor** (`openat`, `renameat`), without
//!   following symlinks, and is checked again (owned by the user, not writable by others): a
//!   directory swapped in by someone else's rename is not the one the host holds.
//! - **An entry is bound to its component and engine.** A compiled entry is
//!   `MAGIC | component sha256 | engine key | payload sha256 | payload`; the first three must
//!   be this component's digest, this engine's key (wasmtime's compatibility hash and the
//!   flinkwasm version) and the payload's digest before wasmtime sees a byte. Another
//!   component's valid entry under this key, a truncated or flipped entry, and an entry of
//!   another engine are all refused and recompiled.
//! - Writes go to a new temporary file in the same directory (`O_EXCL`, mode `0600`), then
//!   `renameat`: readers see the old entry or the whole new one, so concurrent renders are safe.
//!
//! What it does not defend against is someone who can already write as the user (and so could
//! replace the flinkwasm binary itself). See SECURITY.md.
//!
//! **Built-ins** carry their machine code in the binary (`build.rs` precompiles them). Copying it
//! out of the binary costs a fresh page for every page of code, on every run; so the first run
//! writes each built-in's code to `<engine-key>/builtin-<sha256>.cwasm` and later runs map that
//! file, which shares the page cache and touches only the code that runs. Such an entry is a
//! byte copy of part of the binary, written once and never rewritten in place (so a mapped
//! entry never changes under a reader), opened through the private directory's descriptor and
//! used only when it is a regular file of the user's with the right length; wasmtime maps it
//! through `/proc/self/fd`, the very file checked. It is not hashed on load: that is the point.
//!
//! **Records** (`checks/`) are files named by the sha256 of what they answer for (see
//! [`record_key`]), read and written the same way.

use rustix::fd::OwnedFd;
use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::hash::{Hash, Hasher};
use std::io::{Read as _, Write as _};
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Component as PathPart, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use wasmtime::Engine;
use wasmtime::component::Component;

const MAGIC: &[u8; 16] = b"FLINKWASM-CWASM2";
const HEADER: usize = MAGIC.len() + 3 * 32;
/// The largest compiled entry read back.
const MAX_ENTRY_BYTES: u64 = 1 << 30;

/// The compile cache. With no usable directory it is a no-op and every load compiles.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: Option<PathBuf>,
    state: Arc<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The cache directory, opened and authenticated once per process (`None`: unusable).
    root: OnceLock<Option<Dir>>,
    /// Its subdirectories, opened and authenticated once each.
    subdirs: Mutex<HashMap<String, Option<Arc<Dir>>>>,
    /// Directories the cache may not be in or under (`(device, inode)`): the repository
    /// being rendered ([`Cache::keep_out_of`]).
    outside: Mutex<Vec<(u64, u64)>>,
    /// Set when the opened directory turned out to be inside one of them.
    refused: std::sync::atomic::AtomicBool,
}

/// A directory verified private to this user, held open.
#[derive(Debug)]
struct Dir {
    fd: OwnedFd,
    shown: PathBuf,
}

/// What a cache lookup found, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A valid entry was loaded.
    Hit,
    /// No entry: compiled and stored.
    Miss,
    /// An entry failed its checks or did not load: compiled and replaced.
    Corrupt,
    /// No usable cache directory: compiled in memory.
    Disabled,
    /// A built-in's machine code, embedded in the binary at build time: the cache was not used.
    Precompiled,
}

impl Cache {
    /// The cache in `$FLINKWASM_CACHE_DIR`, else `$XDG_CACHE_HOME/flinkwasm`, else
    /// `$HOME/.cache/flinkwasm`; disabled when none is set.
    ///
    /// Only absolute paths count. A relative one would put the cache under the current
    /// directory, which for Argo CD and a CI job is the repository being rendered: its files
    /// are the user's own, so a planted entry would pass the privacy check and its machine
    /// code would run. A relative `$XDG_CACHE_HOME` is ignored, as the XDG specification says;
    /// a relative `$FLINKWASM_CACHE_DIR` or `$HOME` disables the cache, with a warning.
    pub fn from_env() -> Cache {
        Cache::new(Cache::dir_from(&|k| std::env::var_os(k)))
    }

    /// The directory [`Cache::from_env`] uses, with `var` for the environment.
    fn dir_from(var: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
        let set = |k: &str| var(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        let absolute = |k: &str, p: PathBuf| {
            if p.is_absolute() {
                return Some(p);
            }
            tracing::warn!(
                "compile cache not used: ${k} ({}) is not an absolute path",
                crate::text::safe(&p.to_string_lossy())
            );
            None
        };
        if let Some(dir) = set("FLINKWASM_CACHE_DIR") {
            return absolute("FLINKWASM_CACHE_DIR", dir);
        }
        if let Some(xdg) = set("XDG_CACHE_HOME").filter(|p| p.is_absolute()) {
            return Some(xdg.join("flinkwasm"));
        }
        let home = set("HOME")?;
        absolute("HOME", home).map(|h| h.join(".cache").join("flinkwasm"))
    }

    /// A cache in `dir`, or none.
    pub fn new(dir: Option<PathBuf>) -> Cache {
        Cache {
            dir,
            state: Arc::default(),
        }
    }

    /// The cache directory as configured, if any (the one used may be a private subdirectory
    /// of it, see the module documentation).
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Keeps the cache out of `dir` and everything under it (the repository being rendered),
    /// whose files are the user's own and would pass every check on the cache (a path such as
    /// `/proc/self/cwd/.cache` names it without being relative). Compared by device and inode
    /// while walking up from the opened cache directory, so no spelling of a path evades it.
    pub fn keep_out_of(&self, dir: &Path) {
        let Ok(st) = rustix::fs::stat(dir) else {
            return;
        };
        let id = (st.st_dev, st.st_ino);
        lock(&self.state.outside).push(id);
        if let Some(Some(root)) = self.state.root.get()
            && within(&root.fd, &[id])
        {
            self.refuse_inside(root);
        }
    }

    /// Keeps the cache out of the repository a pipeline in `pipeline_dir` comes from: the
    /// pipeline directory and, when it is inside a Git work tree (as Argo CD and CI check it
    /// out), the whole work tree ([`Cache::keep_out_of`]). Every command that reads a
    /// pipeline directory calls this before it loads a plugin.
    pub fn keep_out_of_repository(&self, pipeline_dir: &Path) {
        self.keep_out_of(pipeline_dir);
        let Ok(start) = std::fs::canonicalize(pipeline_dir) else {
            return;
        };
        if let Some(top) = start.ancestors().find(|d| d.join(".git").exists()) {
            self.keep_out_of(top);
        }
    }

    /// Whether the cache can keep anything: configured, private to this user, outside the
    /// repository being rendered. When it cannot, the reason has been logged.
    pub fn usable(&self) -> bool {
        self.root().is_some()
    }

    fn refuse_inside(&self, root: &Dir) {
        self.state.refused.store(true, Ordering::Relaxed);
        tracing::warn!(
            "compile cache not used: {} is inside the repository being rendered (the \
             pipeline directory or its Git work tree), whose files the repository controls; \
             set FLINKWASM_CACHE_DIR outside it",
            root.shown.display()
        );
    }

    /// The authenticated cache directory, opened once per process.
    fn root(&self) -> Option<&Dir> {
        if self.state.refused.load(Ordering::Relaxed) {
            return None;
        }
        self.state
            .root
            .get_or_init(|| {
                let dir = self.dir.as_deref()?;
                match open_private_root(dir) {
                    Ok(d) if within(&d.fd, &lock(&self.state.outside)) => {
                        self.refuse_inside(&d);
                        None
                    }
                    Ok(d) => Some(d),
                    Err(why) => {
                        tracing::warn!(
                            "compile cache not used: {}; rendering goes on without it",
                            why
                        );
                        None
                    }
                }
            })
            .as_ref()
    }

    /// The authenticated subdirectory `name` of the cache, created if missing.
    fn subdir(&self, name: &str) -> Option<Arc<Dir>> {
        if self.state.refused.load(Ordering::Relaxed) {
            return None;
        }
        let mut known = self
            .state
            .subdirs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(d) = known.get(name) {
            return d.clone();
        }
        let root = self.root()?;
        let opened = match open_private_child(root, name) {
            Ok(d) => Some(Arc::new(d)),
            Err(why) => {
                tracing::warn!("compile cache not written: {why}; rendering goes on without it");
                None
            }
        };
        known.insert(name.to_string(), opened.clone());
        opened
    }

    fn checks(&self) -> Option<Arc<Dir>> {
        self.subdir("checks")
    }

    /// Whether the check named `key` passed before: a record in the private cache. For checks
    /// whose result depends only on what the key was hashed from (a plugin config validated
    /// against its schema); an unusable cache answers no, which only costs the check.
    pub fn passed(&self, key: &str) -> bool {
        self.checks()
            .is_some_and(|dir| open_entry(&dir, key).is_some())
    }

    /// Records that the check named `key` passed. Trouble is logged, never an error: a
    /// missing record only means the check runs again.
    pub fn record_pass(&self, key: &str) {
        // An empty file: its name is the record, so a torn write cannot make one up.
        self.record(key, b"");
    }

    /// What was recorded under `key` (see [`Cache::record`]), from the private cache only.
    pub fn recorded(&self, key: &str) -> Option<Vec<u8>> {
        let dir = self.checks()?;
        let (file, len) = open_entry(&dir, key)?;
        read_at_most(file, len, 4 << 20)
    }

    /// Records `bytes` under `key`, for an answer that depends only on what the key was hashed
    /// from (a plugin's description, by its component's sha256). Written whole (temporary file,
    /// then `renameat`), so a reader sees all of it or nothing. Trouble is logged, never an
    /// error: a missing record only means the work is done again.
    pub fn record(&self, key: &str, bytes: &[u8]) {
        let Some(dir) = self.checks() else {
            return;
        };
        if let Err(e) = write_atomically(&dir, key, &[bytes]) {
            tracing::debug!("{key} not recorded in the cache ({e})");
        }
    }

    /// The authenticated `oci/` store: pulled components, their manifests and signatures.
    fn oci(&self) -> Option<Arc<Dir>> {
        self.subdir("oci")
    }

    /// The file `name` of the `oci/` store ([`crate::oci`]), at most `max` bytes; none when it
    /// is missing, larger, not a regular file of this user's, or the cache is unusable. The
    /// caller checks the bytes against their digest before use: the store is authenticated
    /// like every entry here, and its content is held to its pin all the same.
    pub fn read_oci(&self, name: &str, max: u64) -> Option<Vec<u8>> {
        if !oci_name(name) {
            return None;
        }
        let dir = self.oci()?;
        let (file, len) = open_entry(&dir, name)?;
        read_at_most(file, len, max)
    }

    /// Keeps `bytes` as the file `name` of the `oci/` store, written whole (temporary file,
    /// then `renameat`: concurrent pulls of one digest each write a whole file). False when
    /// it was not kept (logged): the artifact is then pulled again next time.
    pub fn keep_oci(&self, name: &str, bytes: &[u8]) -> bool {
        if !oci_name(name) {
            return false;
        }
        let Some(dir) = self.oci() else {
            return false;
        };
        match write_atomically(&dir, name, &[bytes]) {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(dir = %dir.shown.display(), "pulled plugin not kept in the cache ({e})");
                false
            }
        }
    }

    /// Looks up the compiled entry of the component with sha256 `digest` for `engine`: the
    /// component, or why there is none.
    pub fn lookup(
        &self,
        engine: &Engine,
        digest: &str,
        plugin: &str,
    ) -> Result<Component, Outcome> {
        let name = format!("{digest}.cwasm");
        let dir = self
            .subdir(&engine_dir_name(engine))
            .ok_or(Outcome::Disabled)?;
        let (file, len) = open_entry(&dir, &name).ok_or(Outcome::Miss)?;
        let Some(entry) = read_at_most(file, len, MAX_ENTRY_BYTES) else {
            return Err(Outcome::Corrupt);
        };
        let Some(payload) = verified_payload(&entry, digest, &engine_key(engine)) else {
            tracing::warn!(plugin, entry = %dir.shown.join(&name).display(), "compile cache entry failed its checks (another component, engine or a damaged payload); recompiling");
            return Err(Outcome::Corrupt);
        };
        // SAFETY: the payload is what `Engine::precompile_component` wrote for this component
        // (its digest is in the header) and this engine (its key is in the header), checked
        // against the payload's own digest, in a directory only this user can write; see the
        // module documentation.
        match unsafe { Component::deserialize(engine, payload) } {
            Ok(component) => Ok(component),
            Err(e) => {
                tracing::warn!(
                    plugin,
                    "compile cache entry did not load ({e}); recompiling"
                );
                Err(Outcome::Corrupt)
            }
        }
    }

    /// Stores `artifact`, what `Engine::precompile_component` made of the component with
    /// sha256 `digest`. False when there is no usable cache (logged).
    pub fn store(&self, engine: &Engine, digest: &str, artifact: &[u8]) -> bool {
        let Some(dir) = self.subdir(&engine_dir_name(engine)) else {
            return false;
        };
        let Some(component) = unhex32(digest) else {
            return false;
        };
        let payload_digest = Sha256::digest(artifact);
        let parts: [&[u8]; 5] = [
            MAGIC,
            &component,
            &engine_key(engine),
            payload_digest.as_slice(),
            artifact,
        ];
        match write_atomically(&dir, &format!("{digest}.cwasm"), &parts) {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(dir = %dir.shown.display(), "compile cache not written ({e}); rendering goes on without it");
                false
            }
        }
    }

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
        if let Some(dir) = self.subdir(&engine_dir_name(engine)) {
            let name = format!("builtin-{digest}.cwasm");
            let mut entry = open_entry(&dir, &name).filter(|(_, len)| *len == code.len() as u64);
            if entry.is_none() {
                match write_atomically(&dir, &name, &[code]) {
                    Ok(()) => {
                        entry = open_entry(&dir, &name).filter(|(_, len)| *len == code.len() as u64)
                    }
                    Err(e) => tracing::debug!(plugin, "built-in not cached for mapping ({e})"),
                }
            }
            if let Some((file, _)) = entry {
                // wasmtime maps by path; `/proc/self/fd/N` names the very file checked above.
                let path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&file));
                // SAFETY: the file is a byte copy of `code` (see `write_atomically`), which
                // `build.rs` produced with `Engine::precompile_component` for this wasmtime and
                // these settings; it is a regular file of this user's with the right length in
                // a directory only this user can write, replaced only by rename, never changed
                // in place, so it stays valid while mapped. wasmtime checks version, settings
                // and CPU features and refuses a mismatch.
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

/// This engine's key: wasmtime's precompile compatibility hash (its version and every codegen
/// setting) and the flinkwasm version.
fn engine_key(engine: &Engine) -> [u8; 32] {
    let mut h = ShaHasher(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut h);
    env!("CARGO_PKG_VERSION").hash(&mut h);
    h.0.finalize().into()
}

/// The directory for this engine's entries.
fn engine_dir_name(engine: &Engine) -> String {
    hex(&engine_key(engine)[..12])
}

/// Whether `name` may name a file of the `oci/` store: 64 lower-case hex digits (a digest the
/// host checked) and one of the store's suffixes. Nothing a registry or a pipeline writes
/// reaches a path.
fn oci_name(name: &str) -> bool {
    name.split_once('.').is_some_and(|(hex, suffix)| {
        hex.len() == 64
            && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            && matches!(suffix, "manifest" | "wasm" | "sigs")
    })
}

/// The payload of an entry whose header names `digest` and `engine` and whose payload hashes
/// to the digest it carries.
fn verified_payload<'a>(entry: &'a [u8], digest: &str, engine: &[u8; 32]) -> Option<&'a [u8]> {
    if entry.len() < HEADER || &entry[..MAGIC.len()] != MAGIC {
        return None;
    }
    let rest = &entry[MAGIC.len()..];
    let (component, rest) = rest.split_at(32);
    let (engine_in, rest) = rest.split_at(32);
    let (payload_digest, payload) = rest.split_at(32);
    let ok = unhex32(digest).is_some_and(|d| d.as_slice() == component)
        && engine_in == engine.as_slice()
        && Sha256::digest(payload).as_slice() == payload_digest;
    ok.then_some(payload)
}

fn unhex32(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

/// Why a directory is not trusted.
fn untrusted(fd: &OwnedFd) -> Option<String> {
    let stat = match rustix::fs::fstat(fd) {
        Ok(s) => s,
        Err(e) => return Some(format!("cannot inspect it ({e})")),
    };
    let euid = rustix::process::geteuid().as_raw();
    if FileType::from_raw_mode(stat.st_mode) != FileType::Directory {
        return Some("it is not a directory".into());
    }
    if stat.st_uid != euid {
        return Some(format!(
            "it belongs to uid {}, not to uid {euid}",
            stat.st_uid
        ));
    }
    if stat.st_mode & 0o022 != 0 {
        return Some(format!(
            "group or others can write it (mode {:o})",
            stat.st_mode & 0o777
        ));
    }
    None
}

/// Opens the cache directory `dir` (creating it private if missing) and authenticates it, or
/// a private `flinkwasm-<uid>` subdirectory of it when it cannot be trusted itself.
fn open_private_root(dir: &Path) -> Result<Dir, String> {
    let shown = dir.display();
    if !dir.is_absolute() {
        // Relative to the working directory, which may be the repository being rendered.
        return Err(format!("{shown} is not an absolute path"));
    }
    let fd = open_path(dir).map_err(|why| format!("cannot open {shown}: {why}"))?;
    let Some(why) = untrusted(&fd) else {
        return Ok(Dir {
            fd,
            shown: dir.to_path_buf(),
        });
    };
    let name = format!("flinkwasm-{}", rustix::process::geteuid().as_raw());
    let parent = Dir {
        fd,
        shown: dir.to_path_buf(),
    };
    let private = open_private_child(&parent, &name).map_err(|inner| {
        format!("{shown} cannot be trusted ({why}), and neither can a subdirectory of it ({inner})")
    })?;
    tracing::debug!(
        "cache directory {shown} cannot be trusted ({why}); using {}",
        private.shown.display()
    );
    Ok(private)
}

/// Opens (creating it `0700` if missing) the subdirectory `name` of `parent`, without following
/// a symlink, and authenticates it.
fn open_private_child(parent: &Dir, name: &str) -> Result<Dir, String> {
    let shown = parent.shown.join(name);
    let flags = OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::RDONLY;
    let fd = match rustix::fs::openat(&parent.fd, name, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) => {
            match rustix::fs::mkdirat(&parent.fd, name, Mode::RWXU) {
                Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                Err(e) => return Err(format!("cannot create {}: {e}", shown.display())),
            }
            rustix::fs::openat(&parent.fd, name, flags, Mode::empty())
                .map_err(|e| format!("cannot open {}: {e}", shown.display()))?
        }
        Err(e) => {
            return Err(format!(
                "cannot open {} as a directory: {e}",
                shown.display()
            ));
        }
    };
    if let Some(why) = untrusted(&fd) {
        return Err(format!("{}: {why}", shown.display()));
    }
    Ok(Dir { fd, shown })
}

/// Opens the directory at `path` one component at a time, creating missing ones (`0700`).
/// Symlinks are followed only when they belong to this user or to root: one that belongs to
/// someone else could be turned to point anywhere.
fn open_path(path: &Path) -> Result<OwnedFd, String> {
    let flags = OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::RDONLY;
    let start = if path.is_absolute() { "/" } else { "." };
    let mut fd = rustix::fs::open(start, OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| format!("cannot open {start}: {e}"))?;
    let mut todo: std::collections::VecDeque<Vec<u8>> = parts(path);
    let mut hops = 0;
    while let Some(part) = todo.pop_front() {
        let name = OsStr::from_bytes(&part);
        match rustix::fs::openat(&fd, name, flags, Mode::empty()) {
            Ok(next) => fd = next,
            Err(rustix::io::Errno::NOENT) => {
                match rustix::fs::mkdirat(&fd, name, Mode::RWXU) {
                    Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                    Err(e) => return Err(format!("cannot create {}: {e}", name.to_string_lossy())),
                }
                fd = rustix::fs::openat(&fd, name, flags, Mode::empty())
                    .map_err(|e| format!("cannot open {}: {e}", name.to_string_lossy()))?;
            }
            Err(rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR) => {
                let target = symlink_target(&fd, name)?;
                hops += 1;
                if hops > 40 {
                    return Err("too many symlinks".into());
                }
                if target.first() == Some(&b'/') {
                    fd = rustix::fs::open("/", OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
                        .map_err(|e| format!("cannot open /: {e}"))?;
                }
                for p in parts(Path::new(OsStr::from_bytes(&target)))
                    .into_iter()
                    .rev()
                {
                    todo.push_front(p);
                }
            }
            Err(e) => return Err(format!("cannot open {}: {e}", name.to_string_lossy())),
        }
    }
    Ok(fd)
}

/// The target of the symlink `name` in `dir`, if it belongs to this user or root.
fn symlink_target(dir: &OwnedFd, name: &OsStr) -> Result<Vec<u8>, String> {
    let shown = name.to_string_lossy();
    let stat = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
        .map_err(|e| format!("cannot inspect {shown}: {e}"))?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::Symlink {
        return Err(format!("{shown} is not a directory"));
    }
    let euid = rustix::process::geteuid().as_raw();
    if stat.st_uid != euid && stat.st_uid != 0 {
        return Err(format!(
            "{shown} is a symlink that belongs to uid {}; it could be pointed anywhere",
            stat.st_uid
        ));
    }
    let target = rustix::fs::readlinkat(dir, name, Vec::new())
        .map_err(|e| format!("cannot read the symlink {shown}: {e}"))?;
    Ok(target.into_bytes())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether the directory `fd` is one of `dirs` (`(device, inode)`) or below one, walking up
/// through `..` to the root.
fn within(fd: &OwnedFd, dirs: &[(u64, u64)]) -> bool {
    if dirs.is_empty() {
        return false;
    }
    let flags = OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::RDONLY;
    let Ok(mut cur) = rustix::io::dup(fd) else {
        return true; // cannot tell: do not trust it
    };
    for _ in 0..4096 {
        let Ok(st) = rustix::fs::fstat(&cur) else {
            return true;
        };
        if dirs.contains(&(st.st_dev, st.st_ino)) {
            return true;
        }
        let Ok(parent) = rustix::fs::openat(&cur, "..", flags, Mode::empty()) else {
            return true;
        };
        match rustix::fs::fstat(&parent) {
            Ok(p) if (p.st_dev, p.st_ino) == (st.st_dev, st.st_ino) => return false,
            Ok(_) => cur = parent,
            Err(_) => return true,
        }
    }
    true
}

/// The parts of `path` to open in turn (`..` kept, `.` and the root dropped).
fn parts(path: &Path) -> std::collections::VecDeque<Vec<u8>> {
    path.components()
        .filter_map(|c| match c {
            PathPart::Normal(p) => Some(p.as_bytes().to_vec()),
            PathPart::ParentDir => Some(b"..".to_vec()),
            _ => None,
        })
        .collect()
}

/// Opens the entry `name` of `dir` if it is a regular file of this user's that others cannot
/// write, without following a symlink; with its length.
fn open_entry(dir: &Dir, name: &str) -> Option<(std::fs::File, u64)> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    let fd = rustix::fs::openat(&dir.fd, name, flags, Mode::empty()).ok()?;
    let stat = rustix::fs::fstat(&fd).ok()?;
    let own = stat.st_uid == rustix::process::geteuid().as_raw();
    let regular = FileType::from_raw_mode(stat.st_mode) == FileType::RegularFile;
    (own && regular && stat.st_mode & 0o022 == 0)
        .then(|| (std::fs::File::from(fd), stat.st_size as u64))
}

/// The contents of an opened entry of `len` bytes, if it is at most `max` and reads whole.
fn read_at_most(file: std::fs::File, len: u64, max: u64) -> Option<Vec<u8>> {
    if len > max {
        return None;
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(max + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 == len).then_some(bytes)
}

/// Writes `parts` to `name` in `dir` through a new temporary file (`O_EXCL`, `0600`) and a
/// `renameat`, so readers see the old file or the whole new one.
fn write_atomically(dir: &Dir, name: &str, parts: &[&[u8]]) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let tmp = format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(&dir.fd, tmp.as_str(), flags, Mode::RUSR | Mode::WUSR)?;
    let mut file = std::fs::File::from(fd);
    let result = (|| {
        for part in parts {
            file.write_all(part)?;
        }
        file.sync_all()?;
        rustix::fs::renameat(&dir.fd, tmp.as_str(), &dir.fd, name)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = rustix::fs::unlinkat(&dir.fd, tmp.as_str(), AtFlags::empty());
    }
    result
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
    fn an_entry_is_bound_to_its_component_engine_and_payload() {
        let payload = b"compiled code";
        let digest = sha256_hex(b"component");
        let engine = [7u8; 32];
        let mut entry = MAGIC.to_vec();
        entry.extend_from_slice(&unhex32(&digest).unwrap());
        entry.extend_from_slice(&engine);
        entry.extend_from_slice(&Sha256::digest(payload));
        entry.extend_from_slice(payload);
        assert_eq!(
            verified_payload(&entry, &digest, &engine),
            Some(&payload[..])
        );
        // Another component's valid entry, or another engine's, is refused.
        assert_eq!(
            verified_payload(&entry, &sha256_hex(b"other"), &engine),
            None
        );
        assert_eq!(verified_payload(&entry, &digest, &[8u8; 32]), None);
        let last = entry.len() - 1;
        entry[last] ^= 1;
        assert_eq!(verified_payload(&entry, &digest, &engine), None);
        assert_eq!(verified_payload(&entry[..10], &digest, &engine), None);
    }

    #[test]
    fn the_oci_store_takes_only_digest_names() {
        let hex = "ab".repeat(32);
        assert!(oci_name(&format!("{hex}.wasm")));
        assert!(oci_name(&format!("{hex}.sigs")));
        for bad in [
            format!("../{hex}.wasm"),
            format!("{hex}.wasm/x"),
            format!("{hex}.cwasm"),
            format!("{}.wasm", hex.to_uppercase()),
            "x.wasm".to_string(),
        ] {
            assert!(!oci_name(&bad), "{bad}");
        }
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::new(Some(tmp.path().join("c")));
        assert!(cache.keep_oci(&format!("{hex}.wasm"), b"bytes"));
        assert_eq!(
            cache.read_oci(&format!("{hex}.wasm"), 5).as_deref(),
            Some(&b"bytes"[..])
        );
        assert_eq!(cache.read_oci(&format!("{hex}.wasm"), 4), None);
        assert!(!cache.keep_oci("../../escape.wasm", b"x"));
    }

    #[test]
    fn a_world_writable_directory_is_replaced_by_a_private_subdirectory() {
        use std::os::unix::fs::PermissionsExt as _;
        let tmp = tempfile::tempdir().unwrap();
        let shared = tmp.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
        let dir = open_private_root(&shared).unwrap();
        let euid = rustix::process::geteuid().as_raw();
        assert_eq!(dir.shown, shared.join(format!("flinkwasm-{euid}")));
        assert!(untrusted(&dir.fd).is_none());
        // A missing directory is created private, through a symlink of the user's own.
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(tmp.path().join("real"), &link).unwrap();
        let dir = open_private_root(&link.join("cache")).unwrap();
        assert_eq!(dir.shown, link.join("cache"));
        assert!(tmp.path().join("real/cache").is_dir());
    }
}

#[cfg(test)]
mod env_tests {
    use super::*;

    fn dir(vars: &[(&str, &str)]) -> Option<PathBuf> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Cache::dir_from(&|k| vars.get(k).map(Into::into))
    }

    #[test]
    fn only_absolute_paths_name_the_cache() {
        let p = |s: &str| Some(PathBuf::from(s));
        assert_eq!(
            dir(&[("FLINKWASM_CACHE_DIR", "/c"), ("HOME", "/h")]),
            p("/c")
        );
        assert_eq!(dir(&[("FLINKWASM_CACHE_DIR", "c"), ("HOME", "/h")]), None);
        assert_eq!(
            dir(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/h")]),
            p("/x/flinkwasm")
        );
        assert_eq!(
            dir(&[("XDG_CACHE_HOME", ".xdg"), ("HOME", "/h")]),
            p("/h/.cache/flinkwasm")
        );
        assert_eq!(dir(&[("XDG_CACHE_HOME", ".xdg"), ("HOME", ".")]), None);
        assert_eq!(dir(&[("FLINKWASM_CACHE_DIR", ""), ("HOME", "")]), None);
    }
}
