//! `trailsight validate-logs`: the digest chain checked offline (SPEC §6).

use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use trailsight::integrity::{self, ValidateOptions, EXIT_USAGE};

const EXAMPLES: &str = "Examples:
  aws cloudtrail list-public-keys --start-time 2026-01-01T00:00:00Z > keys.json
  trailsight validate-logs my-trail-bucket/ --public-keys keys.json --signatures sigs.json
  trailsight validate-logs my-trail-bucket/ --public-keys keys.json --from 2026-03-01 --format json
  trailsight validate-logs s3://my-trail-bucket/AWSLogs/ --public-keys keys.json   # signatures from S3

Exit status: 0 everything judged is valid; 1 anything invalid, missing or not validated
(or no digest found); 2 bad usage.";

/// Validate CloudTrail log files against their signed digest files, offline.
///
/// Like `aws cloudtrail validate-logs`, on a local copy of the bucket: every digest's
/// SHA256withRSA signature, every link of the digest chain, every log file's SHA-256,
/// digests moved from where CloudTrail wrote them, and log files no digest lists.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ValidateArgs {
    /// The bucket folder (holding AWSLogs/), or folders and files in it; or
    /// s3://BUCKET/PREFIX, read from S3 with each digest's signature from its metadata.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The S3-compatible endpoint for s3:// paths (default: AWS_ENDPOINT_URL, else AWS).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    #[command(flatten)]
    keys: KeyArgs,
    /// Judge digests ending at or after this time (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_parser = parse_time)]
    from: Option<chrono::DateTime<chrono::Utc>>,
    /// Judge digests ending up to an hour after this time (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_parser = parse_time)]
    to: Option<chrono::DateTime<chrono::Utc>>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    /// Also list every valid file (what `aws cloudtrail validate-logs --verbose` prints).
    #[arg(long)]
    all: bool,
}

/// The keys and signatures validation needs; shared with `detect --verify`.
#[derive(Debug, Args, Clone)]
pub struct KeyArgs {
    /// Output of `aws cloudtrail list-public-keys` (a JSON list of several regions'
    /// outputs also works).
    #[arg(long, value_name = "KEYS.json")]
    pub public_keys: Option<PathBuf>,
    /// Digest signatures (S3 object metadata `signature`): {"<digest key>": "<hex>"}.
    #[arg(long, value_name = "SIGS.json")]
    pub signatures: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportFormat {
    Text,
    Json,
}

fn parse_time(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    trailsight::time::parse_cli_time(s)
        .and_then(|m| chrono::DateTime::from_timestamp(m * 60, 0))
        .ok_or_else(|| format!("not a date or RFC 3339 time: {s}"))
}

impl KeyArgs {
    pub fn options(&self) -> Option<ValidateOptions> {
        Some(ValidateOptions { public_keys: self.public_keys.clone()?, signatures: self.signatures.clone(), from: None, to: None })
    }
}

pub fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let Some(mut opts) = args.keys.options() else {
        eprintln!("trailsight: error: --public-keys KEYS.json is required (aws cloudtrail list-public-keys)");
        return Ok(ExitCode::from(EXIT_USAGE));
    };
    (opts.from, opts.to) = (args.from, args.to);
    let (paths, _copy) = match copy_s3_inputs(&args, &mut opts) {
        Ok(found) => found,
        Err(code) => return Ok(code),
    };
    let report = match integrity::validate(&paths, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("trailsight: error: {e}");
            return Ok(ExitCode::from(e.exit_code()));
        }
    };
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        ReportFormat::Text => report.render_text(&mut out, args.all),
        ReportFormat::Json => report.write_json(&mut out),
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::from(report.exit_code())),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::from(report.exit_code())),
        Err(e) => Err(e.into()),
    }
}

/// A folder removed when dropped: the local copy of `s3://` inputs.
struct Copy(PathBuf);

impl Drop for Copy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The paths to validate: the local ones, and a copy of each `s3://` input (digests'
/// signatures from their metadata, into `opts.signatures`). `Err` is the exit code.
fn copy_s3_inputs(args: &ValidateArgs, opts: &mut ValidateOptions) -> Result<(Vec<PathBuf>, Option<Copy>), ExitCode> {
    use trailsight::source;
    let (urls, mut paths): (Vec<PathBuf>, Vec<PathBuf>) = args.paths.iter().cloned().partition(|p| source::is_s3_url(p.as_os_str()));
    if urls.is_empty() {
        return Ok((paths, None));
    }
    if opts.signatures.is_some() {
        eprintln!("trailsight: error: --signatures is for local copies; s3:// digests carry their signature in their metadata");
        return Err(ExitCode::from(EXIT_USAGE));
    }
    let copy = Copy(std::env::temp_dir().join(format!("trailsight-validate-{}", std::process::id())));
    let fail = |e: &dyn std::fmt::Display, code: u8| {
        eprintln!("trailsight: error: {e}");
        ExitCode::from(code)
    };
    std::fs::create_dir_all(&copy.0).map_err(|e| fail(&e, 1))?;
    let settings = source::S3Settings { endpoint: args.endpoint_url.clone() };
    let mirror = source::S3Source::new(settings).and_then(|s3| source::mirror(&s3, &urls, &copy.0)).map_err(|e| {
        let code = if matches!(e, source::S3Error::BadUrl { .. }) { EXIT_USAGE } else { 1 };
        fail(&e, code)
    })?;
    for (url, why) in &mirror.unreadable {
        eprintln!("trailsight: {url}: not read: {why}");
    }
    let signatures = copy.0.join("signatures.json");
    let json = serde_json::to_vec_pretty(&mirror.signatures).map_err(|e| fail(&e, 1))?;
    std::fs::write(&signatures, json).map_err(|e| fail(&e, 1))?;
    opts.signatures = Some(signatures);
    eprintln!("trailsight: note: s3:// inputs are validated from a copy in {} (removed afterwards)", copy.0.display());
    paths.extend(mirror.paths);
    Ok((paths, Some(copy)))
}
