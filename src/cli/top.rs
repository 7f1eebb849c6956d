//! `trailsight top`: the busiest and the most unusual values of an attribute in a window.

use super::investigate::{csv_field, parse_time, print_table, RunArgs, TableFormat};
use anyhow::Context;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::process::ExitCode;
use trailsight::investigate::top::{self, Top, TopBy, TopError, TopQuery};
use trailsight::investigate::{by_unusualness, ValueShare};
use trailsight::time::Minute;

const EXAMPLES: &str = "Examples:
  trailsight top data/sample --by principal
  trailsight top data/sample --by api --writes --from 2026-01-13 --to 2026-01-14
  trailsight top logs/ --by ip --account 111122223333 --format csv > ips.csv";

/// Rank who and what made the calls in a window, against the baseline before it.
///
/// Counts the calls the detector counts (successful writes and every failed management
/// call, or with --writes every write call) per value of one attribute in the window
/// (default: the last day of the input), with each value's share against its share of
/// the baseline window (the seven days before the window's first day, and that day up
/// to the window, as in AWS Insights) and when it was first seen. Lists the busiest
/// values, then the most unusual (never seen before, or the largest rise in share).
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct TopArgs {
    #[command(flatten)]
    run: RunArgs,
    /// The attribute to rank.
    #[arg(long, value_enum)]
    by: By,
    /// Only write calls (the call-rate series), failed or not.
    #[arg(long)]
    writes: bool,
    /// Only this account.
    #[arg(long)]
    account: Option<String>,
    /// Only this region.
    #[arg(long)]
    region: Option<String>,
    /// Window start (YYYY-MM-DD or RFC 3339); default: a day before --to.
    #[arg(long, value_parser = parse_time)]
    from: Option<Minute>,
    /// Window end (exclusive); default: the end of the last day with data.
    #[arg(long, value_parser = parse_time)]
    to: Option<Minute>,
    /// Values listed in each table (json and csv list every value).
    #[arg(long, default_value_t = 10)]
    limit: usize,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    format: TableFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum By {
    /// The caller's userIdentity ARN.
    Principal,
    /// eventSource:eventName.
    Api,
    /// The user agent.
    Agent,
    /// The source IP address (read again from the log files).
    Ip,
    /// The error code ("null" for successful calls).
    Error,
}

impl By {
    fn to_top(self) -> TopBy {
        match self {
            By::Principal => TopBy::Principal,
            By::Api => TopBy::Api,
            By::Agent => TopBy::Agent,
            By::Ip => TopBy::Ip,
            By::Error => TopBy::Error,
        }
    }
}

pub fn run(args: TopArgs) -> anyhow::Result<ExitCode> {
    if matches!(args.by, By::Ip) && args.run.reads_stdin() {
        eprintln!("trailsight: error: --by ip reads the log files a second time: give files or folders, not -");
        return Ok(ExitCode::from(2));
    }
    let analysis = match args.run.analyse()? {
        Ok(a) => a,
        Err(code) => return Ok(code),
    };
    let query = TopQuery { by: args.by.to_top(), writes_only: args.writes, account: args.account.clone(), region: args.region.clone(), from: args.from, to: args.to };
    let top = match top::top(&analysis, &args.run.inputs(), &query) {
        Ok(t) => t,
        Err(TopError::Query(e)) => {
            eprintln!("trailsight: error: {e}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match args.format {
        TableFormat::Json => serde_json::to_writer_pretty(&mut out, &top).map_err(std::io::Error::other).and_then(|()| writeln!(out)),
        TableFormat::Csv => write_csv(&mut out, &top),
        TableFormat::Table => {
            let mut text = trailsight::text::PrintableLines::new(&mut out);
            write_tables(&mut text, &top, args.limit).and_then(|()| text.flush())
        }
    };
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        other => other.map(|()| ExitCode::SUCCESS).context("cannot write to standard output"),
    }
}

fn row(v: &ValueShare) -> Vec<String> {
    vec![
        v.value.clone(),
        v.count.to_string(),
        format!("{:.1}", v.share * 100.0),
        v.baseline_count.to_string(),
        format!("{:.1}", v.baseline_share * 100.0),
        v.ratio.map_or_else(|| "new".to_string(), |r| format!("{r:.2}")),
        v.first_seen.clone(),
    ]
}

const HEADER: [&str; 7] = ["value", "count", "share %", "baseline", "baseline %", "ratio", "first seen"];

fn write_tables(out: &mut dyn Write, top: &Top, limit: usize) -> std::io::Result<()> {
    writeln!(out, "{} in {} .. {} ({}): {} calls; baseline from {}: {} calls", top.by, top.from, top.to, top.calls, top.window_calls, top.baseline_from, top.baseline_calls)?;
    writeln!(out, "\nbusiest")?;
    let busiest: Vec<Vec<String>> = top.values.iter().take(limit).map(row).collect();
    super::investigate::print_table(out, &HEADER, &busiest)?;
    writeln!(out, "\nmost unusual (new, or the largest rise in share)")?;
    let unusual: Vec<Vec<String>> = by_unusualness(&top.values).iter().take(limit).map(row).collect();
    print_table(out, &HEADER, &unusual)
}

fn write_csv(out: &mut dyn Write, top: &Top) -> std::io::Result<()> {
    writeln!(out, "value,count,share,baseline_count,baseline_share,ratio,first_seen,is_new")?;
    for v in &top.values {
        let ratio = v.ratio.map(|r| r.to_string()).unwrap_or_default();
        writeln!(out, "{},{},{},{},{},{},{},{}", csv_field(&v.value), v.count, v.share, v.baseline_count, v.baseline_share, ratio, v.first_seen, v.is_new)?;
    }
    Ok(())
}
