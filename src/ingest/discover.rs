//! Turning the paths a user gives into the list of files to read.
//!
//! Folders are walked recursively in a stable (sorted) order. Files under the sibling
//! folders CloudTrail writes beside event logs (`CloudTrail-Digest/`,
//! `CloudTrail-Insight/`, `CloudTrail-Aggregated/`) are not event logs: they are counted,
//! not read. Inside folders only CloudTrail-like names are read (`.json.gz`, `.json`,
//! `.jsonl`, `.ndjson`, `.gz`, and `.parquet` counts tables); a file named explicitly is
//! always read.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::scope::Scope;

/// One thing to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputFile {
    Path(PathBuf),
    Stdin,
    /// An object of an `s3://` input (see [`crate::source::s3`]); its identity is its
    /// bucket, key and ETag.
    S3(crate::source::S3Object),
}

impl InputFile {
    pub fn display_name(&self) -> String {
        match self {
            InputFile::Path(p) => p.display().to_string(),
            InputFile::Stdin => "<stdin>".to_string(),
            InputFile::S3(object) => object.url(),
        }
    }
}

/// Kinds of CloudTrail sibling files that are not event logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NonEventKind {
    Digest,
    Insight,
    Aggregated,
}

impl NonEventKind {
    fn of_component(name: &str) -> Option<Self> {
        match name {
            "CloudTrail-Digest" => Some(Self::Digest),
            "CloudTrail-Insight" => Some(Self::Insight),
            "CloudTrail-Aggregated" => Some(Self::Aggregated),
            _ => None,
        }
    }
}

impl fmt::Display for NonEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Digest => "CloudTrail-Digest",
            Self::Insight => "CloudTrail-Insight",
            Self::Aggregated => "CloudTrail-Aggregated",
        })
    }
}

/// The outcome of walking the inputs.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Event-log files to read, in a stable order.
    pub files: Vec<InputFile>,
    /// Files skipped because they are CloudTrail digests, insights or aggregates.
    pub non_event: BTreeMap<NonEventKind, usize>,
    /// Files inside folders whose names are not CloudTrail-like (not read).
    pub ignored: usize,
    /// The first [`IGNORED_EXAMPLES`] of them, in walk order, so a summary can say which
    /// files it passed over (and why "no CloudTrail files found").
    pub ignored_examples: Vec<PathBuf>,
    /// Paths that could not be walked, with the reason.
    pub unreadable: Vec<(PathBuf, String)>,
    /// The accounts and regions read (`--accounts`, `--regions`): files outside it
    /// were not listed, and the records read are filtered by it.
    pub scope: Scope,
}

/// How many ignored paths [`Discovery`] keeps as examples.
pub const IGNORED_EXAMPLES: usize = 5;

impl Discovery {
    /// Adds what another discovery found (the `s3://` inputs), after this one's files.
    pub fn extend(&mut self, other: &Discovery) {
        self.files.extend(other.files.iter().cloned());
        for (kind, n) in &other.non_event {
            *self.non_event.entry(*kind).or_default() += n;
        }
        let room = IGNORED_EXAMPLES.saturating_sub(self.ignored_examples.len());
        self.ignored_examples.extend(other.ignored_examples.iter().take(room).cloned());
        self.ignored += other.ignored;
        self.unreadable.extend(other.unreadable.iter().cloned());
    }

    fn ignore(&mut self, path: &Path) {
        self.ignored += 1;
        if self.ignored_examples.len() < IGNORED_EXAMPLES {
            self.ignored_examples.push(path.to_path_buf());
        }
    }
}

/// Expands the given paths (`-` is standard input) into the files to read.
pub fn discover(paths: &[PathBuf]) -> Discovery {
    discover_in(paths, &Scope::default())
}

/// [`discover`], within `scope`: the layout's folders of other accounts and regions are
/// not walked, and files named for them are left out (also when named explicitly).
pub fn discover_in(paths: &[PathBuf], scope: &Scope) -> Discovery {
    let mut found = Discovery { scope: scope.clone(), ..Discovery::default() };
    for path in paths {
        if path.as_os_str() == "-" {
            found.files.push(InputFile::Stdin);
        } else if path.is_dir() {
            walk(path, &mut found);
        } else if path.exists() {
            if scope.keeps_path(path) {
                found.files.push(InputFile::Path(path.clone()));
            }
        } else {
            found.unreadable.push((path.clone(), "no such file or folder".to_string()));
        }
    }
    found
}

fn walk(root: &Path, found: &mut Discovery) {
    for entry in walk_files_in(root, found.scope.clone()) {
        let path = match entry {
            Ok(path) => path,
            Err(unreadable) => {
                found.unreadable.push(unreadable);
                continue;
            }
        };
        if let Some(kind) = non_event_kind(&path) {
            *found.non_event.entry(kind).or_default() += 1;
        } else if is_cloudtrail_name(&path) {
            found.files.push(InputFile::Path(path));
        } else {
            found.ignore(&path);
        }
    }
}

/// Every file under `root`, recursively, in a stable order (sorted by name at each
/// level, symbolic links followed), or for an entry that cannot be walked its path and
/// the reason, so a caller reports it and goes on. `detect` and `validate-logs` walk
/// folders with it, so both see the same files in the same order.
pub fn walk_files(root: &Path) -> impl Iterator<Item = Result<PathBuf, (PathBuf, String)>> + '_ {
    walk_files_in(root, Scope::default())
}

/// [`walk_files`] without the folders and files `scope` leaves out: a folder of another
/// account or region is never listed.
fn walk_files_in(root: &Path, scope: Scope) -> impl Iterator<Item = Result<PathBuf, (PathBuf, String)>> + '_ {
    let walker = walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name();
    walker.into_iter().filter_entry(move |entry| scope.keeps_path(entry.path())).filter_map(move |entry| match entry {
        Ok(entry) if entry.file_type().is_file() => Some(Ok(entry.into_path())),
        Ok(_) => None,
        Err(e) => Some(Err((e.path().unwrap_or(root).to_path_buf(), e.to_string()))),
    })
}

/// The kind of non-event sibling folder `path` lies under, if any.
pub fn non_event_kind(path: &Path) -> Option<NonEventKind> {
    path.components()
        .filter_map(|c| c.as_os_str().to_str())
        .find_map(NonEventKind::of_component)
}

/// True for a file that is a CloudTrail log by where it lies or what it is called: under
/// a trail's log folder (`AWSLogs/.../CloudTrail/...`), or named as a delivery file
/// (`<account>_CloudTrail_<region>_...`) or as JSON. Such a file is read as a log
/// whatever its bytes are: never as a counts table.
pub fn is_log_location(path: &Path) -> bool {
    let parts: Vec<&str> = path.components().filter_map(|c| c.as_os_str().to_str()).collect();
    let folders = &parts[..parts.len().saturating_sub(1)];
    let in_trail = folders.iter().position(|p| *p == "AWSLogs").is_some_and(|i| folders[i + 1..].contains(&"CloudTrail"));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
    let log_name = name.contains("_cloudtrail_")
        || [".json.gz", ".json", ".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"].iter().any(|ext| name.ends_with(ext));
    in_trail || log_name
}

/// True for the names read inside folders (module doc).
pub fn is_cloudtrail_name(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let name = name.to_ascii_lowercase();
    [".json.gz", ".json", ".jsonl", ".ndjson", ".gz", ".jsonl.gz", ".ndjson.gz", ".parquet"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_sibling_folders() {
        let p = Path::new("b/AWSLogs/123/CloudTrail-Digest/us-east-1/2026/01/01/x.json.gz");
        assert_eq!(non_event_kind(p), Some(NonEventKind::Digest));
        let p = Path::new("b/AWSLogs/o-abc/123/CloudTrail/us-east-1/2026/01/01/x.json.gz");
        assert_eq!(non_event_kind(p), None);
    }

    #[test]
    fn a_log_is_known_by_its_folder_or_its_name() {
        assert!(is_log_location(Path::new("b/AWSLogs/o-abc/123/CloudTrail/us-east-1/2026/01/01/t.parquet")));
        assert!(is_log_location(Path::new("x/123_CloudTrail_us-east-1_20260101T0000Z_abc.parquet")));
        assert!(is_log_location(Path::new("exports/counts.json.gz")));
        assert!(!is_log_location(Path::new("exports/counts.parquet")));
        assert!(!is_log_location(Path::new("AWSLogs/counts.parquet")));
        assert!(!is_log_location(Path::new("CloudTrail/AWSLogs/counts.parquet")));
    }

    #[test]
    fn walks_folders_in_order_and_skips_non_events() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("AWSLogs/1/CloudTrail/us-east-1/2026/01/01");
        let digest = dir.path().join("AWSLogs/1/CloudTrail-Digest/us-east-1/2026/01/01");
        std::fs::create_dir_all(&logs).unwrap();
        std::fs::create_dir_all(&digest).unwrap();
        for name in ["b.json.gz", "a.json", "notes.txt"] {
            std::fs::write(logs.join(name), "{}").unwrap();
        }
        std::fs::write(digest.join("d.json.gz"), "{}").unwrap();
        let found = discover(&[dir.path().to_path_buf(), PathBuf::from("-")]);
        let names: Vec<String> = found.files.iter().map(InputFile::display_name).collect();
        assert!(names[0].ends_with("a.json") && names[1].ends_with("b.json.gz"));
        assert_eq!(found.files[2], InputFile::Stdin);
        assert_eq!(found.non_event.get(&NonEventKind::Digest), Some(&1));
        assert_eq!(found.ignored, 1);
        assert_eq!(found.ignored_examples, [logs.join("notes.txt")]);
    }

    #[test]
    fn keeps_the_first_few_ignored_paths() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..8 {
            std::fs::write(dir.path().join(format!("export-{i}.csv")), "x").unwrap();
        }
        let found = discover(&[dir.path().to_path_buf()]);
        assert!(found.files.is_empty());
        assert_eq!(found.ignored, 8);
        let names: Vec<_> = found.ignored_examples.iter().map(|p| p.file_name().unwrap().to_owned()).collect();
        assert_eq!(names, ["export-0.csv", "export-1.csv", "export-2.csv", "export-3.csv", "export-4.csv"]);
    }

    #[cfg(unix)]
    #[test]
    fn walks_files_sorted_and_reports_what_it_cannot_walk() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/c")).unwrap();
        for name in ["z.json", "b/c/y.json", "b/x.json", "a.json"] {
            std::fs::write(dir.path().join(name), "{}").unwrap();
        }
        std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("b/dangling")).unwrap();
        let (files, unreadable): (Vec<_>, Vec<_>) = walk_files(dir.path()).partition(Result::is_ok);
        let names: Vec<PathBuf> =
            files.into_iter().map(|f| f.unwrap().strip_prefix(dir.path()).unwrap().to_path_buf()).collect();
        assert_eq!(names, ["a.json", "b/c/y.json", "b/x.json", "z.json"].map(PathBuf::from));
        let unreadable: Vec<(PathBuf, String)> = unreadable.into_iter().map(Result::unwrap_err).collect();
        assert_eq!(unreadable.len(), 1, "{unreadable:?}");
        assert_eq!(unreadable[0].0, dir.path().join("b/dangling"));
    }

    #[test]
    fn reports_missing_paths() {
        let found = discover(&[PathBuf::from("/definitely/not/here")]);
        assert!(found.files.is_empty());
        assert_eq!(found.unreadable, [(PathBuf::from("/definitely/not/here"), "no such file or folder".to_string())]);
    }
}
