//! `--sink SPEC`: what each destination is called on the command line, and opening it.
//!
//! | SPEC | destination |
//! | --- | --- |
//! | `ndjson`, `ndjson:PATH` | one record per line, to standard output or a file |
//! | `records`, `records:PATH` | one `{"Records":[...]}` document |
//! | `s3-layout:DIR` | gzip files in the AWS CloudTrail-Insight layout |
//! | `eventbridge:PATH` | one EventBridge event per line |
//! | `ocsf:PATH` | one OCSF 1.1 Detection Finding per line |
//! | `hec:PATH` | one Splunk HEC event per line |
//! | `hec+https://HOST:PORT/services/collector/event` | posted to a Splunk HEC (`hec+http://` too) |
//! | `s3://BUCKET/PREFIX` | the CloudTrail-Insight layout put into a bucket |
//! | `eventbridge://BUS` | put on an EventBridge bus (name or ARN) with PutEvents |
//!
//! A path is taken as written: nothing the input contains chooses where a file goes.

use super::destination::{Destination, Named};
use super::file::{Encoding, FileDestination, LayoutDestination};
use super::hec::{HecCollector, HecFields, Posting};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// One `--sink` value, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkSpec {
    /// A body written to a file, or to standard output when there is no path.
    File { kind: FileKind, path: Option<PathBuf> },
    /// The AWS CloudTrail-Insight layout under a folder.
    S3Layout(PathBuf),
    /// A Splunk HEC URL (`http` or `https`, the `hec+` removed).
    Hec(String),
    /// The CloudTrail-Insight layout in a bucket.
    S3(crate::source::S3Url),
    /// An EventBridge bus, by name or ARN.
    EventBus(String),
}

/// The body of a [`SinkSpec::File`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Ndjson,
    Records,
    EventBridge,
    Ocsf,
    Hec,
}

impl FileKind {
    fn name(self) -> &'static str {
        match self {
            Self::Ndjson => "ndjson",
            Self::Records => "records",
            Self::EventBridge => "eventbridge",
            Self::Ocsf => "ocsf",
            Self::Hec => "hec",
        }
    }

    /// Whether standard output (no path) is allowed.
    fn may_be_stdout(self) -> bool {
        matches!(self, Self::Ndjson | Self::Records)
    }
}

/// Why a `--sink` value is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("unknown sink {0:?} (ndjson[:PATH], records[:PATH], s3-layout:DIR, eventbridge:PATH, ocsf:PATH, hec:PATH, hec+https://HOST:PORT/...)")]
    Unknown(String),
    #[error("sink {0:?} needs a path: {0}:PATH")]
    NeedsPath(&'static str),
    #[error("sink {url:?} is not s3://BUCKET[/PREFIX]")]
    BadS3 { url: String },
}

impl FromStr for SinkSpec {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<Self, SpecError> {
        if let Some(bus) = s.strip_prefix("eventbridge://") {
            return Ok(Self::EventBus(bus.to_string()));
        }
        if s.starts_with("s3://") {
            return crate::source::S3Url::parse(s).map(Self::S3).map_err(|_| SpecError::BadS3 { url: s.to_string() });
        }
        if let Some(url) = s.strip_prefix("hec+") {
            if url.starts_with("http://") || url.starts_with("https://") {
                return Ok(Self::Hec(url.to_string()));
            }
            return Err(SpecError::Unknown(s.to_string()));
        }
        let (name, path) = match s.split_once(':') {
            Some((name, path)) => (name, Some(path)),
            None => (s, None),
        };
        let path = path.filter(|p| !p.is_empty()).map(PathBuf::from);
        let kind = match name {
            "ndjson" => FileKind::Ndjson,
            "records" => FileKind::Records,
            "eventbridge" => FileKind::EventBridge,
            "ocsf" => FileKind::Ocsf,
            "hec" => FileKind::Hec,
            "s3-layout" => return path.map(Self::S3Layout).ok_or(SpecError::NeedsPath("s3-layout")),
            _ => return Err(SpecError::Unknown(s.to_string())),
        };
        if path.is_none() && !kind.may_be_stdout() {
            return Err(SpecError::NeedsPath(kind.name()));
        }
        Ok(Self::File { kind, path })
    }
}

impl fmt::Display for SinkSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File { kind, path: None } => f.write_str(kind.name()),
            Self::File { kind, path: Some(p) } => write!(f, "{}:{}", kind.name(), p.display()),
            Self::S3Layout(dir) => write!(f, "s3-layout:{}", dir.display()),
            Self::Hec(url) => write!(f, "hec+{url}"),
            Self::S3(url) => write!(f, "{url}"),
            Self::EventBus(bus) => write!(f, "eventbridge://{bus}"),
        }
    }
}

/// What destinations need besides their spec.
#[derive(Debug, Clone, Default)]
pub struct SinkOptions {
    pub hec: HecFields,
    /// The HEC token (`TRAILSIGHT_HEC_TOKEN`); needed only by a HEC URL.
    pub hec_token: Option<String>,
    /// Batching and retries of the HEC and PutEvents sinks.
    pub posting: Posting,
    /// How `s3://` sinks reach S3.
    pub s3: crate::source::S3Settings,
    /// Nightly runs (`--models`): an `s3-layout` folder keeps the earlier runs' files
    /// (see [`super::LayoutCommit::keeping_earlier_runs`]).
    pub keep_earlier_runs: bool,
}

impl SinkSpec {
    /// Opens the destination: stages its file or checks its URL and token now, so a
    /// bad destination fails before any input is read.
    pub fn open(&self, options: &SinkOptions) -> io::Result<Named> {
        let destination: Box<dyn Destination> = match self {
            Self::File { kind, path } => {
                let encoding = match kind {
                    FileKind::Ndjson => Encoding::Ndjson,
                    FileKind::Records => Encoding::Records,
                    FileKind::EventBridge => Encoding::EventBridge,
                    FileKind::Ocsf => Encoding::Ocsf,
                    FileKind::Hec => Encoding::Hec(options.hec.clone()),
                };
                match path {
                    None => Box::new(FileDestination::stdout(encoding)),
                    Some(p) => Box::new(
                        FileDestination::file(encoding, p).map_err(|e| io::Error::new(e.kind(), format!("cannot create {}: {e}", p.display())))?,
                    ),
                }
            }
            Self::S3Layout(dir) => Box::new(LayoutDestination::open(dir, options.keep_earlier_runs)?),
            Self::Hec(url) => {
                let token = options.hec_token.as_deref().unwrap_or("");
                Box::new(HecCollector::new(url, token, options.hec.clone(), options.posting)?)
            }
            Self::S3(url) => {
                let source = crate::source::S3Source::new(options.s3.clone()).map_err(io::Error::other)?;
                Box::new(super::bucket::BucketDestination::new(url.clone(), source.bucket(&url.bucket).map_err(io::Error::other)?))
            }
            Self::EventBus(bus) => Box::new(open_bus(bus, options)?),
        };
        Ok(Named { name: self.to_string(), destination })
    }

    /// The local file this destination writes and a later run must not read as input
    /// (for the layout, its manifest).
    pub fn local_output(&self) -> Option<PathBuf> {
        match self {
            Self::File { path, .. } => path.clone(),
            Self::S3Layout(dir) => Some(dir.join(super::MANIFEST)),
            Self::Hec(_) | Self::S3(_) | Self::EventBus(_) => None,
        }
    }

    /// True when this writes to standard output.
    pub fn is_stdout(&self) -> bool {
        matches!(self, Self::File { path: None, .. })
    }

    /// The folder of the S3 layout, if this is one.
    pub fn layout_dir(&self) -> Option<&Path> {
        match self {
            Self::S3Layout(dir) => Some(dir),
            _ => None,
        }
    }
}

/// PutEvents to `bus` in the region of the AWS configuration, at
/// `AWS_ENDPOINT_URL_EVENTBRIDGE`, else `AWS_ENDPOINT_URL`, else AWS's endpoint.
fn open_bus(bus: &str, options: &SinkOptions) -> io::Result<super::putevents::PutEvents> {
    let source = crate::source::S3Source::new(crate::source::S3Settings::default()).map_err(io::Error::other)?;
    let region = source.region().unwrap_or_else(|| "us-east-1".to_string());
    let endpoint = ["AWS_ENDPOINT_URL_EVENTBRIDGE", "AWS_ENDPOINT_URL"].iter().find_map(|k| std::env::var(k).ok().filter(|e| !e.is_empty()));
    let endpoint = endpoint.unwrap_or_else(|| format!("https://events.{region}.amazonaws.com"));
    let (credentials, runtime) = source.credentials(&region).map_err(io::Error::other)?;
    super::putevents::PutEvents::new(bus, &endpoint, &region, credentials, runtime, options.posting)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(kind: FileKind, path: Option<&str>) -> SinkSpec {
        SinkSpec::File { kind, path: path.map(PathBuf::from) }
    }

    #[test]
    fn parses_every_documented_form() {
        let cases = [
            ("ndjson", file(FileKind::Ndjson, None)),
            ("ndjson:out/i.jsonl", file(FileKind::Ndjson, Some("out/i.jsonl"))),
            ("records", file(FileKind::Records, None)),
            ("records:i.json", file(FileKind::Records, Some("i.json"))),
            ("eventbridge:eb.jsonl", file(FileKind::EventBridge, Some("eb.jsonl"))),
            ("ocsf:f.jsonl", file(FileKind::Ocsf, Some("f.jsonl"))),
            ("hec:h.jsonl", file(FileKind::Hec, Some("h.jsonl"))),
            ("s3-layout:out/", SinkSpec::S3Layout(PathBuf::from("out/"))),
            ("hec+https://splunk:8088/services/collector/event", SinkSpec::Hec("https://splunk:8088/services/collector/event".into())),
            ("hec+http://127.0.0.1:9/x", SinkSpec::Hec("http://127.0.0.1:9/x".into())),
            ("ndjson:C:/x:y", file(FileKind::Ndjson, Some("C:/x:y"))),
            ("eventbridge://default", SinkSpec::EventBus("default".into())),
            ("s3://siem-bucket/insights", SinkSpec::S3(crate::source::S3Url { bucket: "siem-bucket".into(), prefix: "insights".into() })),
        ];
        for (text, want) in cases {
            let got: SinkSpec = text.parse().unwrap();
            assert_eq!(got, want, "{text}");
            assert_eq!(got.to_string(), text, "round trip");
        }
    }

    #[test]
    fn refuses_unknown_sinks_and_missing_paths() {
        assert_eq!("ocsf".parse::<SinkSpec>(), Err(SpecError::NeedsPath("ocsf")));
        assert_eq!("ocsf:".parse::<SinkSpec>(), Err(SpecError::NeedsPath("ocsf")));
        assert_eq!("s3-layout".parse::<SinkSpec>(), Err(SpecError::NeedsPath("s3-layout")));
        assert_eq!("eventbridge".parse::<SinkSpec>(), Err(SpecError::NeedsPath("eventbridge")));
        assert!(matches!("splunk:x".parse::<SinkSpec>(), Err(SpecError::Unknown(_))));
        assert!(matches!("hec+ftp://x".parse::<SinkSpec>(), Err(SpecError::Unknown(_))));
        assert!(matches!("out.json".parse::<SinkSpec>(), Err(SpecError::Unknown(_))));
        assert!(matches!("s3://".parse::<SinkSpec>(), Err(SpecError::BadS3 { .. })));
    }
}
