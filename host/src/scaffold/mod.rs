//! `flinkwasm plugins new NAME [--lang rust|python|javascript]`: a new plugin project that
//! builds to a component with one command, for teams shipping their own plugins into the
//! sandbox. One module per language holds its templates; this one checks the name and writes.

mod javascript;
mod python;
mod rust;

use crate::error;
use anyhow::{Context as _, Result};
use std::path::{Path, PathBuf};

/// Where the Rust SDK comes from in the new crate's `Cargo.toml`.
#[derive(Debug, Clone)]
pub enum Sdk {
    /// A local checkout of `plugins/sdk`.
    Path(PathBuf),
    /// The flinkwasm repository at this release's tag.
    Git,
}

/// The language of a new plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// A crate on the Rust SDK (`plugins/sdk`), built by `cargo build --release`.
    Rust,
    /// An `app.py` on the Python SDK, built by componentize-py (`sh build.sh`).
    Python,
    /// An `app.js` on the JavaScript SDK, built by componentize-js (`npm run build`).
    Javascript,
}

/// The contract every project is built against: the host's own `wit/plugin.wit`.
const WIT: &str = include_str!("../../../wit/plugin.wit");

/// Writes the project `dir/name` in `lang` and returns the files written.
pub fn new_plugin(name: &str, dir: &Path, lang: Lang, sdk: &Sdk) -> Result<Vec<PathBuf>> {
    check_name(name)?;
    let root = dir.join(name);
    if root.exists() {
        return Err(error::input(format!(
            "{} already exists; choose another name or directory",
            root.display()
        )));
    }
    let files = match lang {
        Lang::Rust => rust::files(name, sdk)?,
        Lang::Python => python::files(name),
        Lang::Javascript => javascript::files(name),
    };
    let mut written = Vec::new();
    for (rel, content) in files {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, content).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// A plugin name is a DNS label: what the pipeline, labels and file names can all hold.
fn check_name(name: &str) -> Result<()> {
    let valid = name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-');
    if !valid {
        return Err(error::input(format!(
            "plugin name `{name}`: use lower-case letters, digits and dashes, starting with a letter"
        )));
    }
    Ok(())
}
