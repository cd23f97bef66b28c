//! Reading a repository's files: confined to the pipeline directory, regular files only,
//! bounded.
//!
//! A pipeline directory is untrusted input (in the Argo CD sidecar it is whatever the
//! repository holds). Every file the host reads for it (the pipeline file, `spec.resources`,
//! granted `files`, each file found under a granted directory, and plugin components) goes
//! through [`Root`], which applies kustomize's load-restrictor rule and more:
//! - the path is resolved (symlinks included) and must stay inside the pipeline directory: a
//!   symlink to `/etc/passwd` or to the service-account token is refused, not followed;
//! - only regular files are read: a FIFO would block the render, a device could be endless;
//! - each file is bounded ([`Root::read`]'s `max`), and so is what a directory grant may hold
//!   ([`MAX_GRANTED_FILES`], [`MAX_GRANTED_BYTES`]);
//! - the file is opened without following a final symlink and checked on the opened
//!   descriptor, so a swap between the check and the read is caught.
//!
//! Every refusal is an input error (exit 3) naming the path as the pipeline wrote it.

use crate::error;
use anyhow::Result;
use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// The largest file read for `spec.resources` or `files`, and the largest pipeline file.
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// The most files one `files:` grant may expand to.
pub const MAX_GRANTED_FILES: usize = 4096;
/// The most bytes one plugin's granted files may hold together.
pub const MAX_GRANTED_BYTES: u64 = 64 << 20;

/// The pipeline directory, resolved: every path read must stay below it.
#[derive(Debug, Clone)]
pub struct Root {
    real: PathBuf,
}

impl Root {
    /// The pipeline directory `base`.
    pub fn new(base: &Path) -> Result<Root> {
        let base = if base.as_os_str().is_empty() {
            Path::new(".")
        } else {
            base
        };
        let real = base.canonicalize().map_err(|e| {
            error::input(format!(
                "cannot resolve the pipeline directory {}: {e}",
                base.display()
            ))
        })?;
        Ok(Root { real })
    }

    /// The resolved directory.
    pub fn path(&self) -> &Path {
        &self.real
    }

    /// `rel` resolved below the root, or an input error (`at` names the field).
    pub fn resolve(&self, rel: &str, at: &str) -> Result<PathBuf> {
        let real = self.real.join(rel).canonicalize().map_err(|e| {
            error::input(format!("{at}: cannot read {}: {e}", crate::text::safe(rel)))
        })?;
        self.inside(&real, rel, at)?;
        Ok(real)
    }

    fn inside(&self, real: &Path, rel: &str, at: &str) -> Result<()> {
        if real.starts_with(&self.real) {
            return Ok(());
        }
        Err(error::input(format!(
            "{at}: {} is outside the pipeline directory (it resolves to a path outside it, \
             through `..`, an absolute path or a symlink); only files below it may be used",
            crate::text::safe(rel)
        )))
    }

    /// The bytes of the regular file `rel` (below the root), at most `max` of them.
    pub fn read(&self, rel: &str, at: &str, max: u64) -> Result<Vec<u8>> {
        let real = self.resolve(rel, at)?;
        read_regular(&real, rel, at, max)
    }

    /// The text of the regular file `rel`, at most [`MAX_FILE_BYTES`].
    pub fn read_text(&self, rel: &str, at: &str) -> Result<String> {
        let bytes = self.read(rel, at, MAX_FILE_BYTES)?;
        String::from_utf8(bytes).map_err(|e| {
            error::input(format!(
                "{at}: {} is not UTF-8 text (invalid byte at offset {})",
                crate::text::safe(rel),
                e.utf8_error().valid_up_to()
            ))
        })
    }

    /// The files a grant of `rel` names: the file itself, or every regular file below the
    /// directory (symlinks resolved and confined, each directory visited once), as
    /// `(pipeline-relative name, resolved path)`, sorted. Bounded by [`MAX_GRANTED_FILES`].
    pub fn expand(&self, rel: &str, at: &str) -> Result<Vec<(String, PathBuf)>> {
        let real = self.resolve(rel, at)?;
        let name = rel
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string();
        if !real.is_dir() {
            return Ok(vec![(name, real)]);
        }
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        let mut stack = vec![(name, real)];
        while let Some((dir_rel, dir)) = stack.pop() {
            if !seen.insert(dir.clone()) {
                continue; // reached again through a symlink: once is enough
            }
            let list_err = |e: std::io::Error| {
                error::input(format!(
                    "{at}: cannot list granted directory {}: {e}",
                    crate::text::safe(&dir_rel)
                ))
            };
            for entry in std::fs::read_dir(&dir).map_err(list_err)? {
                let entry = entry.map_err(list_err)?;
                let child_rel = format!("{dir_rel}/{}", entry.file_name().to_string_lossy());
                let real = entry.path().canonicalize().map_err(|e| {
                    error::input(format!(
                        "{at}: cannot read {}: {e}",
                        crate::text::safe(&child_rel)
                    ))
                })?;
                self.inside(&real, &child_rel, at)?;
                if real.is_dir() {
                    stack.push((child_rel, real));
                } else {
                    out.push((child_rel, real));
                }
                if out.len() > MAX_GRANTED_FILES {
                    return Err(error::input(format!(
                        "{at}: {} holds more than {MAX_GRANTED_FILES} files; grant a smaller \
                         directory",
                        crate::text::safe(rel)
                    )));
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

/// Reads the regular file at `real` (already resolved), at most `max` bytes; `rel` and `at`
/// name it in errors.
pub fn read_regular(real: &Path, rel: &str, at: &str, max: u64) -> Result<Vec<u8>> {
    let shown = crate::text::safe(rel);
    let fail = |why: String| error::input(format!("{at}: {shown}: {why}"));
    let file = open_no_follow(real).map_err(|e| fail(format!("cannot read it: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| fail(format!("cannot read it: {e}")))?;
    if !meta.file_type().is_file() {
        return Err(fail(format!(
            "is not a regular file (it is {}); only regular files are read",
            file_kind(&meta)
        )));
    }
    if meta.len() > max {
        return Err(fail(format!(
            "is {} bytes, above the {max} bytes a file may have here",
            meta.len()
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read it: {e}")))?;
    if bytes.len() as u64 > max {
        return Err(fail(format!(
            "grew past the {max} bytes a file may have here"
        )));
    }
    Ok(bytes)
}

/// Opens `path` read-only without following a final symlink and without blocking on a FIFO
/// (the type is checked on the descriptor afterwards).
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc_flags());
    }
    options.open(path)
}

#[cfg(unix)]
fn libc_flags() -> i32 {
    use rustix::fs::OFlags;
    (OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC).bits() as i32
}

fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_out_fifos_and_big_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        std::fs::create_dir_all(base.join("overlay/sub")).unwrap();
        std::fs::write(base.join("overlay/a.yaml"), "a: 1\n").unwrap();
        std::fs::write(base.join("overlay/sub/b.yaml"), "b: 1\n").unwrap();
        let root = Root::new(base).unwrap();
        let names: Vec<_> = root
            .expand("overlay", "files")
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["overlay/a.yaml", "overlay/sub/b.yaml"]);

        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc/passwd", base.join("overlay/passwd")).unwrap();
            let err = root.expand("overlay", "files").unwrap_err().to_string();
            assert!(
                err.contains("overlay/passwd is outside the pipeline directory"),
                "{err}"
            );
            std::fs::remove_file(base.join("overlay/passwd")).unwrap();
            // A loop back into the grant is visited once, not forever.
            std::os::unix::fs::symlink("..", base.join("overlay/sub/up")).unwrap();
            assert_eq!(root.expand("overlay", "files").unwrap().len(), 2);
            std::fs::remove_file(base.join("overlay/sub/up")).unwrap();

            let fifo = base.join("overlay/fifo");
            rustix::fs::mkfifoat(
                rustix::fs::CWD,
                &fifo,
                rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
            )
            .unwrap();
            let err = root
                .read_text("overlay/fifo", "files")
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("is not a regular file (it is a FIFO)"),
                "{err}"
            );
        }
        std::fs::write(base.join("big"), vec![b'x'; 100]).unwrap();
        let err = root.read("big", "files", 10).unwrap_err().to_string();
        assert!(err.contains("is 100 bytes, above the 10"), "{err}");
    }
}
