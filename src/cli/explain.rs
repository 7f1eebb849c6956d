//! `trailsight explain`: why one insight fired, for a ticket.

use super::investigate::RunArgs;
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::process::ExitCode;
use trailsight::investigate::explain::{self, ExplainError, InsightStory};

const EXAMPLES: &str = "Examples:
  trailsight detect data/sample | head -1       # take a sharedEventID or eventID
  trailsight explain data/sample --insight 0b8e...  --records 5
  trailsight explain logs/ --insight 0b8e... --format json > ticket.json";

/// Explain why an insight fired: model, score, who and what made the calls.
///
/// Finds the insight by its sharedEventID, or the eventID of its Start or End record, in
/// a run over the same input with the same settings as `detect`'s. Shows the model, its
/// score and tail probability, observed against expected, the principals, user agents,
/// source IPs and error codes of the window against their share of the baseline window,
/// the values never seen before, and the first records of the window.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ExplainArgs {
    #[command(flatten)]
    run: RunArgs,
    /// The sharedEventID of the insight, or the eventID of its Start or End record.
    #[arg(long, value_name = "ID")]
    insight: String,
    /// Raw records of the window to show (the earliest first).
    #[arg(long, value_name = "N", default_value_t = 5)]
    records: usize,
    #[arg(long, value_enum, default_value_t = StoryFormat::Text)]
    format: StoryFormat,
}

/// Output format of `explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum StoryFormat {
    /// Sections and tables for a person.
    Text,
    /// One JSON document.
    Json,
}

pub fn run(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    if args.run.reads_stdin() {
        eprintln!("trailsight: error: explain reads the log files a second time (records, source IPs): give files or folders, not -");
        return Ok(ExitCode::from(2));
    }
    let analysis = match args.run.analyse()? {
        Ok(a) => a,
        Err(code) => return Ok(code),
    };
    let story = match explain::explain(&analysis, &args.run.inputs(), &args.insight, args.records) {
        Ok(s) => s,
        Err(ExplainError::Query(e)) => {
            eprintln!("trailsight: error: {e}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match args.format {
        StoryFormat::Json => serde_json::to_writer_pretty(&mut out, &story).map_err(std::io::Error::other).and_then(|()| writeln!(out)),
        StoryFormat::Text => {
            let mut text = trailsight::text::PrintableLines::new(&mut out);
            write_text(&mut text, &story).and_then(|()| text.flush())
        }
    };
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        other => other.map(|()| ExitCode::SUCCESS).context("cannot write to standard output"),
    }
}

fn write_text(out: &mut dyn Write, s: &InsightStory) -> std::io::Result<()> {
    let e = &s.explanation;
    let error = e.error_code.as_deref().map(|c| format!(" {c}")).unwrap_or_default();
    writeln!(out, "insight {} ({}{})", e.shared_event_id, e.insight_type, error)?;
    writeln!(out, "  series    {} {} {}:{}", e.recipient_account_id, e.aws_region, e.event_source, e.event_name)?;
    writeln!(out, "  window    {} .. {}  (Start eventID {}, End eventID {})", e.start, e.end, s.start_event_id, s.end_event_id)?;
    writeln!(out, "  model     {}: score {} (-log10 p), tail probability {:.3e}, over a {}-minute window", e.model, e.score, e.tail_probability, e.window_minutes)?;
    writeln!(out, "  observed  {} calls where the baseline expects {}", e.observed_calls, e.expected_calls)?;
    writeln!(out, "  baseline  {} .. {}", s.baseline_from, e.start)?;
    writeln!(out, "  summary   {}", e.summary)?;
    for a in &s.attributions {
        writeln!(out, "\n{} (window against baseline)", a.attribute)?;
        let rows: Vec<Vec<String>> = a
            .values
            .iter()
            .map(|v| {
                let ratio = v.ratio.map_or_else(|| "new".to_string(), |r| format!("{r:.2}"));
                vec![v.value.clone(), v.count.to_string(), format!("{:.1}", v.share * 100.0), v.baseline_count.to_string(), format!("{:.1}", v.baseline_share * 100.0), ratio]
            })
            .collect();
        super::investigate::print_table(out, &["value", "calls", "share %", "baseline", "baseline %", "ratio"], &rows)?;
    }
    writeln!(out, "\nfirst seen in this window ({})", s.first_seen.len())?;
    for f in &s.first_seen {
        writeln!(out, "  {} {} ({} calls, first at {})", f.attribute, f.value, f.count, f.first_seen)?;
    }
    writeln!(out, "\nrecords: the first {} of {} in the window", s.records.len(), s.records_in_window)?;
    for r in &s.records {
        writeln!(out, "{}", r.get())?;
    }
    Ok(())
}
