//! Finding digest and log files under the paths given, and reading them the way
//! CloudTrail hashed them.
//!
//! Hashes are of the *uncompressed* bytes (AWS), so a file is gunzipped when it starts
//! with the gzip magic, whatever its name, and hashed as-is otherwise: a log file that
//! was gunzipped after download still validates. Several gzip members are all read, so
//! bytes appended to a delivered file change its hash instead of hiding behind the
//! first member.

use super::error::IntegrityError;
use super::layout::{self, FileKind, ObjectKey};
use crate::ingest::walk_files;
use flate2::read::MultiGzDecoder;
use ring::digest::{Context, SHA256};
use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A file found on disk and where it sits in the bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    /// The path as walked from what the user gave (the same path `detect` would read).
    pub path: PathBuf,
    pub key: ObjectKey,
}

/// Every digest and log file under the paths given.
#[derive(Debug, Default)]
pub struct Inventory {
    pub digests: Vec<FoundFile>,
    pub logs: Vec<FoundFile>,
    /// Paths that could not be walked, with the reason.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Walks the paths given. A path that does not exist is bad usage: a typo must not
/// pass for "nothing to validate".
pub fn discover(paths: &[PathBuf]) -> Result<Inventory, IntegrityError> {
    if paths.is_empty() {
        return Err(IntegrityError::NoPaths);
    }
    let mut found = Inventory::default();
    let mut seen = HashSet::new();
    for path in paths {
        if !path.exists() {
            return Err(IntegrityError::PathNotFound(path.clone()));
        }
        let in_aws_logs = layout::has_aws_logs_component(&absolute(path));
        if path.is_dir() {
            walk(path, in_aws_logs, &mut seen, &mut found);
        } else {
            let key = layout::object_key(path, &absolute(path), true);
            add(FoundFile { path: path.clone(), key }, &mut seen, &mut found);
        }
    }
    Ok(found)
}

/// The same walk as `detect`'s ([`walk_files`]), so both see the same files.
fn walk(root: &Path, in_aws_logs: bool, seen: &mut HashSet<PathBuf>, found: &mut Inventory) {
    for entry in walk_files(root) {
        let path = match entry {
            Ok(path) => path,
            Err(unreadable) => {
                found.unreadable.push(unreadable);
                continue;
            }
        };
        let key = if in_aws_logs {
            layout::object_key(root, &absolute(&path), true)
        } else {
            layout::object_key(root, &path, false)
        };
        add(FoundFile { path, key }, seen, found);
    }
}

/// Files reached twice (overlapping paths, symlinks) are counted once.
fn add(file: FoundFile, seen: &mut HashSet<PathBuf>, found: &mut Inventory) {
    if !seen.insert(absolute(&file.path)) {
        return;
    }
    match layout::kind_of(&file.key.key) {
        FileKind::Digest => found.digests.push(file),
        FileKind::Log => found.logs.push(file),
        FileKind::Other => {}
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Why a file's content could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadProblem {
    NotFound,
    Io(String),
    /// The gzip stream is corrupt or truncated.
    Gzip(String),
}

impl fmt::Display for ReadProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound => f.write_str("not found"),
            Self::Io(e) => write!(f, "cannot read: {e}"),
            Self::Gzip(e) => write!(f, "corrupt or truncated gzip: {e}"),
        }
    }
}

/// Reads a file whole, gunzipped when it is gzip.
pub fn read_uncompressed(path: &Path) -> Result<Vec<u8>, ReadProblem> {
    let mut out = Vec::new();
    let (mut reader, gzip) = open_uncompressed(path)?;
    reader.read_to_end(&mut out).map_err(|e| read_problem(e, gzip))?;
    Ok(out)
}

/// Hex SHA-256 of a file's uncompressed bytes, streamed so large log files are not
/// held in memory.
pub fn sha256_uncompressed(path: &Path) -> Result<String, ReadProblem> {
    let (mut reader, gzip) = open_uncompressed(path)?;
    let mut ctx = Context::new(&SHA256);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => ctx.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_problem(e, gzip)),
        }
    }
    Ok(hex::encode(ctx.finish()))
}

/// Hex SHA-256 of bytes already in memory.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&SHA256, bytes))
}

fn open_uncompressed(path: &Path) -> Result<(Box<dyn Read>, bool), ReadProblem> {
    let file = File::open(path).map_err(|e| read_problem(e, false))?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let is_gzip = reader.fill_buf().map_err(|e| read_problem(e, false))?.starts_with(&GZIP_MAGIC);
    if is_gzip {
        Ok((Box::new(MultiGzDecoder::new(reader)), true))
    } else {
        Ok((Box::new(reader), false))
    }
}

fn read_problem(e: io::Error, gzip: bool) -> ReadProblem {
    match e.kind() {
        io::ErrorKind::NotFound => ReadProblem::NotFound,
        // Decoder errors surface as InvalidInput/InvalidData/UnexpectedEof.
        _ if gzip => ReadProblem::Gzip(e.to_string()),
        _ => ReadProblem::Io(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::gzip;


    #[test]
    fn hashes_uncompressed_bytes_whether_or_not_gzipped() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("a.json.gz");
        let plain = dir.path().join("a.json");
        std::fs::write(&gz, gzip(b"{\"Records\":[]}")).unwrap();
        std::fs::write(&plain, b"{\"Records\":[]}").unwrap();
        let expected = sha256_hex(b"{\"Records\":[]}");
        assert_eq!(sha256_uncompressed(&gz).unwrap(), expected);
        assert_eq!(sha256_uncompressed(&plain).unwrap(), expected);
        assert_eq!(read_uncompressed(&gz).unwrap(), b"{\"Records\":[]}");
    }

    #[test]
    fn appended_gzip_members_change_the_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json.gz");
        let mut bytes = gzip(b"first");
        bytes.extend(gzip(b"second"));
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(sha256_uncompressed(&path).unwrap(), sha256_hex(b"firstsecond"));
    }

    #[test]
    fn reports_truncated_gzip_and_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json.gz");
        let data: Vec<u8> = (0..100_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let mut gz = gzip(&data);
        gz.truncate(gz.len() / 2);
        std::fs::write(&path, gz).unwrap();
        assert!(matches!(sha256_uncompressed(&path), Err(ReadProblem::Gzip(_))));
        assert_eq!(sha256_uncompressed(&dir.path().join("gone")), Err(ReadProblem::NotFound));
    }

    #[test]
    fn discovers_digests_and_logs_with_bucket_keys() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("AWSLogs/1/CloudTrail/us-east-1/2026/01/01");
        let digests = dir.path().join("AWSLogs/1/CloudTrail-Digest/us-east-1/2026/01/01");
        std::fs::create_dir_all(&logs).unwrap();
        std::fs::create_dir_all(&digests).unwrap();
        std::fs::write(logs.join("l.json.gz"), b"x").unwrap();
        std::fs::write(digests.join("d.json.gz"), b"x").unwrap();
        std::fs::write(dir.path().join("README"), b"x").unwrap();
        let found = discover(&[dir.path().to_path_buf(), dir.path().join("AWSLogs")]).unwrap();
        assert_eq!(found.logs.len(), 1, "overlapping paths count a file once");
        assert_eq!(found.logs[0].key, ObjectKey::exact("AWSLogs/1/CloudTrail/us-east-1/2026/01/01/l.json.gz"));
        assert_eq!(found.digests.len(), 1);
        let below = discover(&[dir.path().join("AWSLogs/1")]).unwrap();
        assert!(below.logs[0].key.from_aws_logs);
        assert_eq!(below.logs[0].key.key, "AWSLogs/1/CloudTrail/us-east-1/2026/01/01/l.json.gz");
    }

    #[test]
    fn a_missing_path_is_bad_usage() {
        assert!(matches!(discover(&[PathBuf::from("/no/such/place")]), Err(IntegrityError::PathNotFound(_))));
        assert!(matches!(discover(&[]), Err(IntegrityError::NoPaths)));
    }
}
