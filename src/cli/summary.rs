//! The human summary printed on standard error after `detect`. Each line is printed
//! through [`printable`]: file names, series and examples come from the input.

use trailsight::aggregate::InsightType;
use trailsight::engine::{plural, RunSummary};
use trailsight::text::printable;
use trailsight::time::format_minute;

pub fn print(run: &RunSummary) {
    for line in lines(run) {
        eprintln!("{}", printable(&line));
    }
}

/// When nothing could be read: what was found and, per file, why it was not usable.
pub fn print_reasons(run: &RunSummary) {
    let mut out = input_lines(run);
    if run.files_found == 0 && run.unreadable_paths.is_empty() && run.ignored == 0 {
        out.push("  no file to read: give a folder of CloudTrail logs, a .json.gz/.json/.jsonl file or -".to_string());
    }
    for line in out {
        eprintln!("{}", printable(&line));
    }
}

fn lines(run: &RunSummary) -> Vec<String> {
    let s = &run.stats;
    let mut out = input_lines(run);
    out.push(format!(
        "  events: {} management ({} writes, {} errors), {} data, {} network activity, {} insight records ignored",
        s.management, s.write_management, s.errors, s.data_events, s.network_activity, s.insight_records
    ));
    if s.read_only_inferred > 0 {
        out.push(format!("  readOnly inferred from the API name for {} old record(s)", s.read_only_inferred));
    }
    if s.saturated_cells > 0 {
        out.push(format!(
            "  warning: {} per-minute count(s) reached 4294967295 calls and were held there (a forged counts table?)",
            s.saturated_cells
        ));
    }
    let series = |t| run.series.get(&t).copied().unwrap_or(0);
    out.push(format!(
        "  series: {} call-rate, {} error-rate",
        series(InsightType::ApiCallRate),
        series(InsightType::ApiErrorRate)
    ));
    out.push(judged_line(run));
    out.extend(warming_up_lines(run));
    let insights = |t| run.insights.get(&t).copied().unwrap_or(0);
    out.push(format!(
        "  insights: {} ({} ApiCallRateInsight, {} ApiErrorRateInsight)",
        run.total_insights(),
        insights(InsightType::ApiCallRate),
        insights(InsightType::ApiErrorRate)
    ));
    out.extend(night_lines(run));
    for note in &run.episodes {
        let e = &note.episode;
        out.push(format!(
            "    {} {} for {} min: {} vs {:.1} expected, score {:.1} ({})",
            format_minute(e.start),
            note.series,
            e.minutes(),
            plural(e.observed.round() as u64, "call"),
            e.expected,
            e.score,
            e.detector.as_str()
        ));
    }
    out
}

/// What a run with --models carried over and decided.
fn night_lines(run: &RunSummary) -> Vec<String> {
    let Some(n) = &run.night else { return Vec::new() };
    let mut out = Vec::new();
    out.push(format!(
        "  state: {} before this one; files: {} already read, {} new, {} changed and read again{}",
        plural(n.earlier_runs, "run"),
        n.already_read,
        n.new_files,
        n.changed.len(),
        if n.too_old > 0 { format!(", {} dated before the kept history not read", n.too_old) } else { String::new() }
    ));
    for path in n.changed.iter().take(5) {
        out.push(format!("    changed since it was read: {path}"));
    }
    if !n.same_content.is_empty() || !n.moved.is_empty() {
        out.push(format!(
            "  files only touched or moved (content already counted, not counted again): {} touched at the same path, {} moved to a new path",
            n.same_content.len(),
            n.moved.len()
        ));
    }
    for path in n.same_content.iter().take(5) {
        out.push(format!("    touched, same content: {path}"));
    }
    for path in n.moved.iter().take(5) {
        out.push(format!("    moved, content already counted: {path}"));
    }
    if let Some(w) = n.watermark {
        let before = n.previous_watermark.map(|p| format!(" (last run: {})", format_minute(p))).unwrap_or_default();
        out.push(format!("  judged up to {} (newest data minus the delivery lag){before}", format_minute(w)));
    }
    for a in &n.ahead {
        let counted = a.counted_to.map_or_else(|| "none of its data".to_string(), |m| format!("its data up to {}", format_minute(m)));
        let mut what = Vec::new();
        if a.after_clock > 0 {
            what.push(format!("{} dated after the wall clock", plural(a.after_clock, "event")));
        }
        if a.far_ahead > 0 {
            what.push(format!("{} far ahead of the rest of its data", plural(a.far_ahead, "event")));
        }
        out.push(format!(
            "  warning: {:?} {:?}: {} (newest {}) did not move the watermark; it follows {counted}",
            a.account,
            a.region,
            what.join(" and "),
            format_minute(a.newest)
        ));
    }
    if let Some(late) = &n.late {
        out.extend(late_lines(late));
    }
    let verb = if n.train { "learned as known (train writes none)" } else { "written" };
    out.push(format!(
        "  records: {} {verb}; {} wait for later data; {} open (Start written, End to come)",
        plural(n.records as u64, "record"),
        plural(n.held_back as u64, "insight"),
        n.open
    ));
    let z = &n.size;
    out.push(format!(
        "  state size: {} bytes ({} days, {} series, {} count cells, {} behaviour windows, {} eventIDs)",
        z.bytes, z.days, z.series, z.cells, z.windows, z.event_ids
    ));
    if !n.settings_changed.is_empty() {
        out.push(format!("  warning: settings differ from the ones the state was built with: {}", n.settings_changed.join(", ")));
    }
    out
}

/// Data that arrived behind what earlier runs judged.
fn late_lines(late: &trailsight::nightly::late::Late) -> Vec<String> {
    let mut out = Vec::new();
    if late.within > 0 {
        out.push(format!(
            "  late data: {} dated after {} arrived behind the last run's judged minutes: {} series judged again",
            plural(late.within, "call"),
            format_minute(late.window_from),
            late.series.len()
        ));
    }
    if late.behind > 0 || !late.files_behind.is_empty() {
        out.push(format!(
            "  warning: {} dated before {} arrived too late to judge (counted in the history only){}",
            plural(late.behind, "call"),
            format_minute(late.window_from),
            if late.files_behind.is_empty() { String::new() } else { format!("; {} delivered into date folders before it:", plural(late.files_behind.len() as u64, "file")) }
        ));
        for path in late.files_behind.iter().take(5) {
            out.push(format!("    too late: {path:?}"));
        }
        if late.files_behind.len() > 5 {
            out.push(format!("    and {} more", late.files_behind.len() - 5));
        }
    }
    out
}

/// Scopes (account x region) that joined too recently to be judged.
fn warming_up_lines(run: &RunSummary) -> Vec<String> {
    if run.warming_up.is_empty() {
        return Vec::new();
    }
    let mut out = vec![format!(
        "  still warming up (too little of their own history to judge; see --warmup-days): {}",
        plural(run.warming_up.len() as u64, "scope")
    )];
    for (account, region, from) in &run.warming_up {
        out.push(format!("    {account} {region}: judged from {}", format_minute(*from)));
    }
    out
}

/// What was read and what was skipped, per file.
fn input_lines(run: &RunSummary) -> Vec<String> {
    let s = &run.stats;
    let mut out = vec![match &run.night {
        // The counters cover the kept history; this run's files are what it read.
        Some(_) => format!(
            "trailsight: read {}: {} ({} in the kept history), {} dropped",
            plural(run.reports.len() as u64, "file"),
            plural(run.reports.iter().map(|r| r.records as u64).sum(), "record"),
            s.records,
            plural(s.duplicates, "duplicate")
        ),
        None => format!(
            "trailsight: read {}: {}, {} dropped",
            plural(run.reports.len() as u64, "file"),
            plural(s.records, "record"),
            plural(s.duplicates, "duplicate")
        ),
    }];
    if s.out_of_range > 0 {
        out.push(format!(
            "  {} skipped: eventTime out of range (the data spans {})",
            plural(s.out_of_range, "record"),
            run.range.map_or_else(|| "no days".to_string(), |r| r.to_string())
        ));
    }
    let issues: Vec<_> = run.files_with_issues().collect();
    if !issues.is_empty() || !run.unreadable_paths.is_empty() {
        out.push(format!(
            "  skipped input in {} file(s) ({} unusable):",
            issues.len() + run.unreadable_paths.len(),
            run.unusable_files()
        ));
        for (path, why) in &run.unreadable_paths {
            out.push(format!("    {}: {why}", path.display()));
        }
        out.extend(issues.iter().flat_map(|r| r.describe()).map(|l| format!("    {l}")));
    }
    if !run.non_event.is_empty() {
        let kinds: Vec<String> = run.non_event.iter().map(|(k, n)| format!("{k} {n}")).collect();
        out.push(format!("  not event logs, skipped: {}", kinds.join(", ")));
    }
    if run.ignored > 0 {
        out.push(format!("  ignored {} without a CloudTrail file name (.json.gz, .json, .jsonl, .ndjson, .gz, .parquet)", plural(run.ignored as u64, "file")));
        for path in &run.ignored_examples {
            out.push(format!("    {}", path.display()));
        }
        if run.ignored > run.ignored_examples.len() {
            out.push(format!("    ... and {} more", run.ignored - run.ignored_examples.len()));
        }
    }
    out
}

fn judged_line(run: &RunSummary) -> String {
    match run.timeline {
        Some(t) if t.has_judged_minutes() => format!(
            "  history {} .. {} ({} day(s)); judged {} .. {}",
            format_minute(t.origin),
            format_minute(t.origin + t.minutes() as i64),
            t.days,
            format_minute(t.judge_from),
            format_minute(t.judge_to)
        ),
        Some(t) => format!(
            "  history covers {} day(s) from {}: too short to judge (needs the warm-up days first; see --warmup-days)",
            t.days,
            format_minute(t.origin)
        ),
        None => "  no history".to_string(),
    }
}
