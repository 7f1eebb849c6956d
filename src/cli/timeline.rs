//! `trailsight timeline`: one API's calls over time against its baseline, as a table and
//! optionally a chart.

use super::investigate::{parse_time, print_table, RunArgs};
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use trailsight::investigate::series::{find_series, SeriesQuery, SeriesTimeline};
use trailsight::time::{format_minute, Minute};

const EXAMPLES: &str = "Examples:
  trailsight timeline data/sample --api ec2:CreateTags --account 772045118750
  trailsight timeline data/sample --api ec2.amazonaws.com:CreateTags --account 772045118750 \\
      --from 2026-01-13 --to 2026-01-14 --plot createtags.png
  trailsight timeline logs/ --api iam:CreateUser --errors AccessDenied --plot errors.svg";

/// Show one API's calls over time against the baseline, with its insights.
///
/// The series per minute, or in coarser buckets chosen by the span, with the value the
/// detector's baseline expected and a band of two standard deviations of its count
/// model, and the insights `detect` reports on it. Exit status: 0 on success; 1 when
/// nothing could be read; 2 on bad usage (also an API, account or region not in the input).
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct TimelineArgs {
    #[command(flatten)]
    run: RunArgs,
    /// The API: SOURCE:NAME, e.g. ec2.amazonaws.com:RunInstances (or ec2:RunInstances).
    #[arg(long, value_name = "SOURCE:NAME", value_parser = parse_api)]
    api: (String, String),
    /// The account (recipientAccountId), when the API is called in several.
    #[arg(long)]
    account: Option<String>,
    /// The region, when the API is called in several.
    #[arg(long)]
    region: Option<String>,
    /// From this time (YYYY-MM-DD or RFC 3339); default: the first day of the history.
    #[arg(long, value_parser = parse_time)]
    from: Option<Minute>,
    /// Up to this time (exclusive); default: the end of the last day.
    #[arg(long, value_parser = parse_time)]
    to: Option<Minute>,
    /// Show the error-rate series instead: of error CODE, or of the API's only code.
    #[arg(long, value_name = "CODE", num_args = 0..=1, default_missing_value = "")]
    errors: Option<String>,
    /// Also draw the chart into FILE.svg or FILE.png.
    #[arg(long, value_name = "FILE.svg|FILE.png")]
    plot: Option<PathBuf>,
    /// Chart size in pixels.
    #[arg(long, value_name = "WIDTHxHEIGHT", default_value = "1200x500", value_parser = parse_size)]
    size: (u32, u32),
    /// Most rows in the table (buckets grow to fit).
    #[arg(long, default_value_t = 48, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    rows: u64,
}

/// Most buckets in a chart: about two pixels per bucket at the default size.
const CHART_POINTS: usize = 600;

fn parse_api(s: &str) -> Result<(String, String), String> {
    SeriesQuery::api(s).ok_or_else(|| format!("not SOURCE:NAME (e.g. ec2.amazonaws.com:RunInstances): {s}"))
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let parsed = s.split_once('x').and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)));
    match parsed {
        Some((w, h)) if (200..=8000).contains(&w) && (150..=8000).contains(&h) => Ok((w, h)),
        _ => Err(format!("not WIDTHxHEIGHT between 200x150 and 8000x8000: {s}")),
    }
}

pub fn run(args: TimelineArgs) -> anyhow::Result<ExitCode> {
    if let Some(plot) = &args.plot {
        if !matches!(plot.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(), Some("svg" | "png")) {
            eprintln!("trailsight: error: --plot {}: the chart is written as FILE.svg or FILE.png", plot.display());
            return Ok(ExitCode::from(2));
        }
    }
    let analysis = match args.run.analyse()? {
        Ok(a) => a,
        Err(code) => return Ok(code),
    };
    let query = SeriesQuery {
        source: args.api.0.clone(),
        name: args.api.1.clone(),
        account: args.account.clone(),
        region: args.region.clone(),
        errors: args.errors.clone().map(|c| Some(c).filter(|c| !c.is_empty())),
    };
    let timeline = match find_series(&analysis.frames, &query).and_then(|s| SeriesTimeline::new(&analysis, s, args.from, args.to)) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("trailsight: error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    if let Some(path) = &args.plot {
        let chart = timeline.chart(timeline.step_for(CHART_POINTS));
        trailsight::plot::write(&chart, path, args.size.0, args.size.1).with_context(|| format!("cannot write --plot {}", path.display()))?;
    }
    match print(&timeline, args.rows as usize) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        other => other.map(|()| ExitCode::SUCCESS).context("cannot write to standard output"),
    }
}

/// The compact table: one row per bucket, insights marked, then the insights.
fn print(t: &SeriesTimeline, rows: usize) -> std::io::Result<()> {
    let step = t.step_for(rows);
    let mut out = trailsight::text::PrintableLines::new(std::io::BufWriter::new(std::io::stdout().lock()));
    writeln!(out, "{}", t.title)?;
    writeln!(out, "{} (UTC), calls {}; {} calls; judged from {}", t.span_text(), SeriesTimeline::unit(step), t.total(), format_minute(t.judged_from))?;
    let table: Vec<Vec<String>> = t
        .points(step)
        .iter()
        .map(|p| {
            let mark = if t.has_insight_in(p.start, p.start + step) { "insight" } else if (p.observed as f64) > p.high { "above band" } else { "" };
            vec![format_minute(p.start), p.observed.to_string(), format!("{:.1}", p.expected), format!("{:.1}", p.low), format!("{:.1}", p.high), mark.to_string()]
        })
        .collect();
    print_table(&mut out, &["time (UTC)", "calls", "expected", "band low", "band high", ""], &table)?;
    writeln!(out, "insights: {}", t.insights.len())?;
    for i in &t.insights {
        writeln!(out, "  {} .. {} ({} min) {} score {:.1} sharedEventID {}", format_minute(i.start), format_minute(i.end), i.end - i.start, i.model, i.score, i.shared_event_id)?;
    }
    out.flush()
}
