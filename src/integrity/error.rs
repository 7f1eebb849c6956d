//! Errors that stop a validation before it starts: the run cannot be trusted to mean
//! anything, so these are bad usage (exit status 2), never a verdict on the logs.
//!
//! Problems with the logs themselves (a digest that does not parse, a log file that is
//! gone) are never errors: they are outcomes in the [`Report`](super::Report).

use std::path::PathBuf;

/// Why a validation could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum IntegrityError {
    #[error("cannot read the public keys file {path}: {source}")]
    KeysUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the public keys file {path} is not the output of `aws cloudtrail list-public-keys`: {reason}")]
    KeysFormat { path: PathBuf, reason: String },
    #[error("the public keys file {path} holds no keys")]
    NoKeys { path: PathBuf },
    #[error("cannot read the signatures file {path}: {source}")]
    SignaturesUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the signatures file {path} is not a JSON object of digest S3 key to hex signature: {reason}")]
    SignaturesFormat { path: PathBuf, reason: String },
    #[error("no such file or folder: {0}")]
    PathNotFound(PathBuf),
    #[error("no paths to validate")]
    NoPaths,
    #[error("the time range is empty: --from {from} is after --to {to}")]
    EmptyTimeRange { from: String, to: String },
}
