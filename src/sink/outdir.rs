//! `--out DIR`: what a run leaves in an output folder, and what a re-run replaces.
//!
//! The rule: after a successful run, the Insight files in DIR are exactly that run's
//! (nightly runs with `--models` add theirs to the earlier runs' instead).
//! DIR keeps a manifest, `DIR/.trailsight-out.json`, of the files the last run wrote
//! (relative path and SHA-256 of each). A run stages its files under temporary names
//! (nothing visible changes while it reads and detects), and once it has succeeded,
//! [`LayoutCommit::commit`]:
//!
//! 1. writes the manifest listing the previous run's files and this run's, so a run
//!    killed in the steps below leaves every file trailsight wrote listed for the next
//!    run to clean up;
//! 2. renames this run's files into place;
//! 3. removes the files the previous manifest lists that this run did not write again,
//!    and the folders that this leaves empty;
//! 4. writes the manifest of this run's files.
//!
//! Files trailsight did not write are never touched: only paths of the exact
//! CloudTrail-Insight layout shape under DIR that a manifest lists are removed, and only
//! while their content is still what trailsight wrote (same SHA-256). A missing or
//! unreadable manifest removes nothing. A failed run commits nothing, so DIR stays as
//! the previous run left it.
//!
//! Links are never followed out of DIR: every folder between DIR and a file, when
//! writing it or removing it, must be a real folder. A file listed under a link is left
//! alone and named in a warning; a file to write under one fails the sink
//! ([`real_folders`]).

use super::atomic::AtomicFile;
use super::s3::{is_layout_path, sha256_hex, Refused};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The manifest's name inside DIR.
pub const MANIFEST: &str = ".trailsight-out.json";
const MANIFEST_VERSION: u32 = 1;

/// One delivery file, written and synced under a temporary name, not yet renamed.
#[derive(Debug)]
pub struct StagedLayoutFile {
    pub relative: String,
    pub sha256: String,
    pub file: AtomicFile,
}

/// What the sink hands over on finish, for the commit.
#[derive(Debug, Default)]
pub struct Staging {
    pub files: Vec<StagedLayoutFile>,
    pub refused: Vec<Refused>,
    /// The sink finished: the run got as far as writing every record.
    pub finished: bool,
}

/// What a commit did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Committed {
    /// Delivery files this run wrote.
    pub written: usize,
    /// Files of the previous run removed because this run did not write them again.
    pub removed: usize,
    /// Records the layout could not place (never written anywhere).
    pub refused: Vec<Refused>,
}

/// The caller's handle on an `--out DIR` output: commit it after the run succeeded.
/// Dropped uncommitted, every staged file is removed and DIR is left as it was.
#[derive(Debug)]
pub struct LayoutCommit {
    root: PathBuf,
    staging: Arc<Mutex<Staging>>,
    /// Keep the files of earlier runs (nightly runs add to DIR, see
    /// [`LayoutCommit::keeping_earlier_runs`]).
    keep_earlier: bool,
}

/// `{"version": 1, "files": {"<relative path>": "<sha256>"}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Manifest {
    version: u32,
    files: BTreeMap<String, String>,
}

impl LayoutCommit {
    pub(super) fn new(root: &Path) -> io::Result<(Self, Arc<Mutex<Staging>>)> {
        // Fails now, before any input is read, when DIR takes no new manifest.
        drop(AtomicFile::create(&root.join(MANIFEST))?);
        let staging = Arc::new(Mutex::new(Staging::default()));
        Ok((Self { root: root.to_path_buf(), staging: Arc::clone(&staging), keep_earlier: false }, staging))
    }

    /// Nightly runs (`--models`): each run writes only records no earlier run wrote, so
    /// the folder keeps every run's files and a commit removes nothing. A night run
    /// again writes the same files under the same names.
    pub fn keeping_earlier_runs(mut self) -> Self {
        self.keep_earlier = true;
        self
    }

    /// Makes the run's files visible and removes what they replace (module doc).
    pub fn commit(self) -> io::Result<Committed> {
        let mut staging = std::mem::take(&mut *self.staging.lock().map_err(|_| io::Error::other("the sink panicked"))?);
        if !staging.finished {
            return Err(io::Error::other("the output was not finished; nothing committed"));
        }
        // Every file written out first: a full disk fails the commit before any file
        // appears, so the caller may hand all its records again next run.
        for staged in &mut staging.files {
            staged.file.prepare()?;
        }
        let previous = Manifest::read(&self.root);
        let current = if self.keep_earlier { previous.union(&Manifest::of(&staging.files)) } else { Manifest::of(&staging.files) };
        let listed = previous.union(&current);
        if listed != previous {
            listed.write(&self.root)?;
        }
        let written = staging.files.len();
        for staged in staging.files {
            staged.file.commit()?;
        }
        let removed = remove_stale(&self.root, &previous, &current);
        if current != listed || !self.root.join(MANIFEST).exists() {
            current.write(&self.root)?;
        }
        Ok(Committed { written, removed, refused: staging.refused })
    }
}

impl Manifest {
    fn of(files: &[StagedLayoutFile]) -> Self {
        let files = files.iter().map(|f| (f.relative.clone(), f.sha256.clone())).collect();
        Self { version: MANIFEST_VERSION, files }
    }

    /// The manifest in `root`; empty when absent or unreadable (then nothing is removed:
    /// without a manifest there is no telling which files are trailsight's).
    fn read(root: &Path) -> Self {
        let path = root.join(MANIFEST);
        let Ok(bytes) = std::fs::read(&path) else { return Self::default() };
        match serde_json::from_slice::<Manifest>(&bytes) {
            Ok(m) if m.version == MANIFEST_VERSION => m,
            Ok(m) => {
                tracing::warn!(path = %path.display(), version = m.version, "unknown manifest version; no earlier file removed");
                Self::default()
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "unreadable manifest; no earlier file removed");
                Self::default()
            }
        }
    }

    fn union(&self, other: &Self) -> Self {
        let mut files = self.files.clone();
        files.extend(other.files.iter().map(|(k, v)| (k.clone(), v.clone())));
        Self { version: MANIFEST_VERSION, files }
    }

    fn write(&self, root: &Path) -> io::Result<()> {
        let mut file = AtomicFile::create(&root.join(MANIFEST))?;
        serde_json::to_writer_pretty(&mut file, self).map_err(io::Error::other)?;
        file.write_all(b"\n")?;
        file.commit()
    }
}

/// Removes the files `previous` lists and `current` does not, where they are still
/// trailsight's; returns how many.
fn remove_stale(root: &Path, previous: &Manifest, current: &Manifest) -> usize {
    let stale = previous.files.iter().filter(|(path, _)| !current.files.contains_key(*path));
    stale.filter(|(relative, sha256)| remove_if_ours(root, relative, sha256)).count()
}

fn remove_if_ours(root: &Path, relative: &str, sha256: &str) -> bool {
    // The manifest is a file on disk like any input: its paths must not lead out of DIR.
    if !is_layout_path(relative) {
        return false;
    }
    if let Some(link) = first_link(root, relative) {
        let link = crate::text::printable_path(&link);
        tracing::warn!(link = %link, file = relative, "a folder on the way is a link (or a file): the file the manifest lists under it is not removed");
        return false;
    }
    let path = root.join(relative);
    let is_file = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file());
    let ours = is_file && std::fs::read(&path).is_ok_and(|bytes| sha256_hex(&bytes) == sha256);
    if !ours || std::fs::remove_file(&path).is_err() {
        return false;
    }
    prune_empty_folders(root, &path);
    true
}

/// Removes the folders a removal left empty, up to (not including) `root`.
fn prune_empty_folders(root: &Path, removed: &Path) {
    let mut folder = removed.parent();
    while let Some(dir) = folder.filter(|d| *d != root && d.starts_with(root)) {
        // Fails, and stops, at the first folder that still holds anything.
        if std::fs::remove_dir(dir).is_err() {
            break;
        }
        folder = dir.parent();
    }
}

/// The first folder between `root` and the file `relative` (a `/`-separated path under
/// it) that exists and is not a real folder (a link, or a file), if any.
fn first_link(root: &Path, relative: &str) -> Option<PathBuf> {
    let mut at = root.to_path_buf();
    let parts: Vec<&str> = relative.split('/').collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_dir() => {}
            Ok(_) => return Some(at),
            Err(_) => return None,
        }
    }
    None
}

/// Creates the folders between `root` and the file `relative`, one by one, refusing a
/// link (or a file) on the way: nothing is written through a link out of `root`.
pub(super) fn real_folders(root: &Path, relative: &str) -> io::Result<PathBuf> {
    if let Some(link) = first_link(root, relative) {
        let shown = crate::text::printable_path(&link);
        return Err(io::Error::other(format!("{shown} is a link or a file, not a folder: nothing is written through it")));
    }
    let mut at = root.to_path_buf();
    let parts: Vec<&str> = relative.split('/').collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        at.push(part);
        match std::fs::create_dir(&at) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_dir()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let shown = crate::text::printable_path(&at);
                return Err(io::Error::other(format!("{shown} is a link or a file, not a folder: nothing is written through it")));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(root.join(relative))
}
