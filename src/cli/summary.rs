//! The human summary printed on standard error after `detect`.

use trailsight::aggregate::InsightType;
use trailsight::engine::RunSummary;
use trailsight::time::format_minute;

pub fn print(run: &RunSummary) {
    for line in lines(run) {
        eprintln!("{line}");
    }
}

fn lines(run: &RunSummary) -> Vec<String> {
    let s = &run.stats;
    let mut out = vec![format!(
        "trailsight: read {} file(s): {} records, {} duplicate(s) dropped",
        run.reports.len(),
        s.records,
        s.duplicates
    )];
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
        out.push(format!("  ignored {} file(s) without a CloudTrail file name", run.ignored));
    }
    out.push(format!(
        "  events: {} management ({} writes, {} errors), {} data, {} network activity, {} insight records ignored",
        s.management, s.write_management, s.errors, s.data_events, s.network_activity, s.insight_records
    ));
    if s.read_only_inferred > 0 {
        out.push(format!("  readOnly inferred from the API name for {} old record(s)", s.read_only_inferred));
    }
    let series = |t| run.series.get(&t).copied().unwrap_or(0);
    out.push(format!(
        "  series: {} call-rate, {} error-rate",
        series(InsightType::ApiCallRate),
        series(InsightType::ApiErrorRate)
    ));
    out.push(judged_line(run));
    let insights = |t| run.insights.get(&t).copied().unwrap_or(0);
    out.push(format!(
        "  insights: {} ({} ApiCallRateInsight, {} ApiErrorRateInsight)",
        run.total_insights(),
        insights(InsightType::ApiCallRate),
        insights(InsightType::ApiErrorRate)
    ));
    for note in &run.episodes {
        let e = &note.episode;
        out.push(format!(
            "    {} {} for {} min: {:.0} calls vs {:.1} expected, score {:.1} ({})",
            format_minute(e.start),
            note.series,
            e.minutes(),
            e.observed,
            e.expected,
            e.score,
            e.detector.as_str()
        ));
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
