//! `trailsight report`: one self-contained HTML page for a run.

use super::investigate::RunArgs;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use trailsight::investigate::report::{self, ReportError};

const EXAMPLES: &str = "Examples:
  trailsight report data/sample --html report.html
  trailsight report logs/ --warmup-days 3 --html /tmp/trail.html";

/// Write one self-contained HTML page summarising a run.
///
/// The settings, what was read and skipped, the insights table (sortable) and a chart
/// per insight, all in one file that needs no network (inline style and SVG).
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ReportArgs {
    #[command(flatten)]
    run: RunArgs,
    /// The page to write.
    #[arg(long, value_name = "FILE")]
    html: PathBuf,
}

pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let analysis = match args.run.analyse()? {
        Ok(a) => a,
        Err(code) => return Ok(code),
    };
    let page = match report::html(&analysis, &args.run.paths) {
        Ok(p) => p,
        Err(ReportError::Query(e)) => {
            eprintln!("trailsight: error: {e}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    let (staged, mut writer) = trailsight::sink::stage(&args.html).with_context(|| format!("cannot create {}", args.html.display()))?;
    std::io::Write::write_all(&mut writer, page.as_bytes()).with_context(|| format!("cannot write {}", args.html.display()))?;
    drop(writer);
    staged.commit().with_context(|| format!("cannot write {}", args.html.display()))?;
    Ok(ExitCode::SUCCESS)
}
