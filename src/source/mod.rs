//! Where logs are read from besides local files: S3 buckets (`s3://BUCKET/PREFIX`).
//!
//! This room only finds objects and hands out their bytes as a reader; ingest decodes
//! them exactly as it decodes a local file, so an object and its copy on disk give the
//! same records. Discovery lists only the date folders the time range needs
//! ([`s3::DayWindow`]); each object found is an [`s3::S3Object`] with a stable identity
//! (bucket, key and ETag).

mod profile;
pub mod s3;
mod s3_list;

pub use s3::{is_s3_url, DayWindow, S3Bucket, S3Error, S3Listing, S3Object, S3Settings, S3Source, S3Url};

use crate::ingest::{Discovery, InputFile, Scope};
use crate::time::{Minute, MINUTES_PER_DAY};
use std::path::PathBuf;

/// The date folders a run reporting insights in `[since, until)` reads: from `days`
/// before `since` (the history its baselines learn from, and a day more), to the day
/// after `until` (files are filed by delivery time, up to a day after their records).
pub fn day_window(since: Option<Minute>, until: Option<Minute>, days: usize) -> DayWindow {
    let date = |m: Minute| chrono::DateTime::from_timestamp(m.div_euclid(MINUTES_PER_DAY) * 86_400, 0).map(|t| t.date_naive());
    let back = chrono::Days::new(days as u64 + 1);
    DayWindow {
        first: since.and_then(date).and_then(|d| d.checked_sub_days(back)),
        last: until.and_then(date).and_then(|d| d.checked_add_days(chrono::Days::new(1))),
    }
}

/// Lists every `s3://` URL in `urls` into one [`Discovery`], in the order given; a
/// folder that cannot be listed is an unreadable path, and the rest goes on.
/// Within `scope`, the folders of the CloudTrail layout of other accounts and regions
/// are not listed, and objects named for them are left out.
pub fn discover(source: &S3Source, urls: &[PathBuf], window: &DayWindow, scope: &Scope) -> Result<Discovery, S3Error> {
    let mut found = Discovery::default();
    for url in urls {
        let parsed = S3Url::parse(&url.to_string_lossy())?;
        let listing = source.list(&parsed, window, scope)?;
        tracing::info!(url = %parsed, folders = listing.folders_listed, objects = listing.objects.len(), "s3 input listed");
        let other = Discovery {
            files: listing.objects.into_iter().map(InputFile::S3).collect(),
            ignored: listing.ignored.len(),
            ignored_examples: listing.ignored.iter().take(crate::ingest::IGNORED_EXAMPLES).map(PathBuf::from).collect(),
            unreadable: listing.unreadable.into_iter().map(|(p, why)| (PathBuf::from(p), why)).collect(),
            ..Discovery::default()
        };
        found.extend(&other);
    }
    Ok(found)
}

/// A local copy of `s3://` inputs for validate-logs, which validates files on disk.
#[derive(Debug, Default)]
pub struct Mirror {
    /// One folder per URL, standing for its bucket (`DIR/<bucket>`).
    pub paths: Vec<PathBuf>,
    /// `{"<digest key>": "<signature>"}` from each digest's `signature` metadata.
    pub signatures: std::collections::BTreeMap<String, String>,
    /// Objects that could not be copied, or whose key is not a safe path, with why.
    pub unreadable: Vec<(String, String)>,
}

/// Copies every object of `urls` (digests included) to `dir/<bucket>/<key>`, reading
/// each digest's signature from its metadata. A key with an empty, `.` or `..` part is
/// not copied: nothing a bucket holds decides where a file is written outside `dir`.
pub fn mirror(source: &S3Source, urls: &[PathBuf], dir: &std::path::Path) -> Result<Mirror, S3Error> {
    use rayon::prelude::*;
    let mut mirror = Mirror::default();
    for url in urls {
        let parsed = S3Url::parse(&url.to_string_lossy())?;
        let listing = source.list_all(&parsed)?;
        mirror.unreadable.extend(listing.unreadable);
        let root = dir.join(&parsed.bucket);
        let copied: Vec<Copied> = listing.objects.par_iter().map(|o| copy(o, &root)).collect();
        for result in copied {
            match result {
                Ok(Some((key, signature))) => {
                    mirror.signatures.insert(key, signature);
                }
                Ok(None) => {}
                Err(unreadable) => mirror.unreadable.push(unreadable),
            }
        }
        let start = if parsed.prefix.is_empty() { root } else { root.join(&parsed.prefix) };
        mirror.paths.push(start);
    }
    Ok(mirror)
}

/// A digest's key and signature, nothing for a log file, or the object and why it was
/// not copied.
type Copied = Result<Option<(String, String)>, (String, String)>;

/// Copies one object under `root`; for a digest, returns its key and signature.
fn copy(object: &S3Object, root: &std::path::Path) -> Copied {
    let fail = |why: String| (object.url(), why);
    let is_safe = |part: &str| !part.is_empty() && part != "." && part != ".." && !part.contains('\\');
    if !object.key.split('/').all(is_safe) {
        return Err(fail("the key is not a safe path (an empty, . or .. part); not copied".to_string()));
    }
    let path = root.join(&object.key);
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).map_err(|e| fail(e.to_string()))?;
    }
    let mut file = std::fs::File::create(&path).map_err(|e| fail(e.to_string()))?;
    std::io::copy(&mut object.open(), &mut file).map_err(|e| fail(e.to_string()))?;
    if crate::ingest::non_event_kind(std::path::Path::new(&object.key)) != Some(crate::ingest::NonEventKind::Digest) {
        return Ok(None);
    }
    match object.metadata("signature").map_err(|e| fail(e.to_string()))? {
        Some(signature) => Ok(Some((object.key.clone(), signature))),
        None => Ok(None),
    }
}
