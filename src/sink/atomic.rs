//! Atomic output files: every file trailsight writes (Insight records, explanations,
//! counts tables, S3-layout delivery files, the `--out DIR` manifest) goes through
//! [`AtomicFile`]. It is written under a temporary name in the folder of its final name
//! (`.NAME.tmp-<pid>-<n>`), synced, and renamed over the final name only on
//! [`AtomicFile::commit`] (SPEC §4). A run that fails, or is killed, leaves the earlier
//! file as it was and never a truncated or empty file under the final name; an
//! uncommitted file removes its temporary file when dropped.
//!
//! The temporary file is created at the first write, not when the output is opened:
//! the engine discovers its input files after the outputs are opened, and an output
//! folder may also be an input folder, so a temporary file must not exist yet while the
//! inputs are listed. Opening still fails at once on a folder that takes no new file.
//!
//! [`Staged`] is the handle for a file whose writer is given away: the engine owns its
//! `Box<dyn Write>` outputs and only writes and flushes them, so the caller keeps the
//! [`Staged`] half and commits it once the run has succeeded.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Numbers the temporary files of this process, so two outputs never share one.
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// A file written under a temporary name and renamed into place on commit.
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    out: Option<BufWriter<File>>,
    /// The temporary file exists (it was created and not yet renamed).
    pending: bool,
}

impl AtomicFile {
    /// Prepares to replace (or create) `target`. Fails now when `target` is a folder or
    /// its folder does not take a new file; creates nothing that outlives the call.
    pub fn create(target: &Path) -> io::Result<Self> {
        if target.is_dir() {
            return Err(io::Error::other(format!("{} is a folder", target.display())));
        }
        let temp = temp_path(target)?;
        // A probe, removed at once: a bad folder or permission fails before any input
        // is read, not after an hour of reading.
        drop(create_new(&temp)?);
        std::fs::remove_file(&temp)?;
        Ok(Self { target: target.to_path_buf(), temp, out: None, pending: false })
    }

    /// The final name.
    pub fn target(&self) -> &Path {
        &self.target
    }

    fn out(&mut self) -> io::Result<&mut BufWriter<File>> {
        if self.out.is_none() {
            self.out = Some(BufWriter::new(create_new(&self.temp)?));
            self.pending = true;
        }
        self.out.as_mut().ok_or_else(|| io::Error::other("temporary file not open"))
    }

    /// Writes out and syncs what is buffered, without making it visible: a full disk
    /// fails here, before the file (or any file committed after this call) appears.
    pub fn prepare(&mut self) -> io::Result<()> {
        let out = self.out()?;
        out.flush()?;
        out.get_ref().sync_all()
    }

    /// Flushes, syncs and renames the file over its final name. An output with no byte
    /// written becomes an empty file: the run produced it, and empty is its content.
    pub fn commit(mut self) -> io::Result<()> {
        self.out()?.flush()?;
        let file = self.out.take().ok_or_else(|| io::Error::other("temporary file not open"))?;
        let file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        keep_permissions(&self.target, &file);
        drop(file);
        std::fs::rename(&self.temp, &self.target)?;
        self.pending = false;
        sync_folder(&self.target);
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out()?.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out()?.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.out.as_mut() {
            Some(out) => out.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.pending {
            // Nothing to report to: the run already failed, and the final name was
            // never touched.
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// `.NAME.tmp-<pid>-<n>` beside `target`: same folder, so the rename is atomic.
fn temp_path(target: &Path) -> io::Result<PathBuf> {
    let name = target
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("{} names no file", target.display())))?;
    let n = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
    let mut temp = std::ffi::OsString::from(".");
    temp.push(name);
    temp.push(format!(".tmp-{}-{n}", std::process::id()));
    Ok(target.with_file_name(temp))
}

/// Never follows or replaces what is at the temporary name (a planted symlink).
fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// A replaced file keeps its permission bits (a private `insights.json` stays private).
fn keep_permissions(target: &Path, file: &File) {
    if let Ok(meta) = std::fs::metadata(target) {
        let _ = file.set_permissions(meta.permissions());
    }
}

/// Makes the rename itself durable. Best effort: not every file system can sync a
/// folder, and the file's own content is already synced.
fn sync_folder(target: &Path) {
    let folder = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(dir) = File::open(folder) {
        let _ = dir.sync_all();
    }
}

type Shared = Arc<Mutex<Option<AtomicFile>>>;

/// The half of a staged file the caller keeps: commit it after the run succeeded.
/// Dropped uncommitted, it removes the temporary file (the writer then fails).
#[derive(Debug)]
pub struct Staged {
    file: Shared,
    target: PathBuf,
}

/// The half of a staged file that is written to (and may be owned by the engine).
#[derive(Debug)]
pub struct StagedWriter {
    file: Shared,
}

/// Stages `target`: the writer fills it, the [`Staged`] handle commits it.
pub fn stage(target: &Path) -> io::Result<(Staged, StagedWriter)> {
    let file = Arc::new(Mutex::new(Some(AtomicFile::create(target)?)));
    Ok((Staged { file: Arc::clone(&file), target: target.to_path_buf() }, StagedWriter { file }))
}

fn lock(file: &Shared) -> io::Result<MutexGuard<'_, Option<AtomicFile>>> {
    file.lock().map_err(|_| io::Error::other("an output writer panicked"))
}

impl Staged {
    /// The final name.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the file into place (see [`AtomicFile::commit`]).
    pub fn commit(self) -> io::Result<()> {
        let file = lock(&self.file)?.take();
        file.ok_or_else(|| io::Error::other("output already committed"))?.commit()
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Ok(mut file) = self.file.lock() {
            file.take();
        }
    }
}

impl Write for StagedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match lock(&self.file)?.as_mut() {
            Some(file) => file.write(buf),
            None => Err(io::Error::other("output closed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match lock(&self.file)?.as_mut() {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn the_final_name_changes_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.json");
        std::fs::write(&target, "yesterday").unwrap();
        let mut file = AtomicFile::create(&target).unwrap();
        assert_eq!(names(dir.path()), ["out.json"], "nothing is created before the first write");
        file.write_all(b"today").unwrap();
        file.flush().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "yesterday");
        file.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "today");
        assert_eq!(names(dir.path()), ["out.json"]);
    }

    #[test]
    fn a_dropped_file_leaves_the_old_one_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.json");
        std::fs::write(&target, "yesterday").unwrap();
        let mut file = AtomicFile::create(&target).unwrap();
        file.write_all(b"half of tod").unwrap();
        drop(file);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "yesterday");
        assert_eq!(names(dir.path()), ["out.json"]);
    }

    #[test]
    fn a_staged_file_commits_through_its_handle_or_vanishes() {
        let dir = tempfile::tempdir().unwrap();
        let (kept, mut writer) = stage(&dir.path().join("a.txt")).unwrap();
        writer.write_all(b"a").unwrap();
        drop(writer);
        kept.commit().unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join("a.txt")).unwrap(), "a");

        let (dropped, mut writer) = stage(&dir.path().join("b.txt")).unwrap();
        writer.write_all(b"b").unwrap();
        drop(dropped);
        assert!(writer.write_all(b"more").is_err(), "the writer of a dropped handle is closed");
        assert_eq!(names(dir.path()), ["a.txt"]);
    }

    #[test]
    fn an_empty_output_is_an_empty_file_and_bad_targets_fail_at_once() {
        let dir = tempfile::tempdir().unwrap();
        AtomicFile::create(&dir.path().join("empty")).unwrap().commit().unwrap();
        assert_eq!(std::fs::read(dir.path().join("empty")).unwrap(), b"");
        assert!(AtomicFile::create(dir.path()).is_err());
        assert!(AtomicFile::create(&dir.path().join("no/such/folder/x")).is_err());
    }
}
