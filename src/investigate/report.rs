//! `trailsight report`: one self-contained HTML page summarising a run.
//!
//! The page needs no network: its style and its one small script (sorting the insights
//! table) are inline, and every chart is an inline SVG drawn by [`crate::plot`]. It holds
//! the settings, what was read and skipped, the insights table, and per insight a chart
//! of its series around it. Same run, same bytes.

use super::series::SeriesTimeline;
use super::InvestigateError;
use crate::engine::Analysis;
use crate::plot::{self, PlotError};
use crate::time::{format_minute, Minute};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Chart size in the page, pixels.
const CHART_SIZE: (u32, u32) = (960, 340);
/// Most buckets in an insight's chart.
const CHART_POINTS: usize = 240;
/// Context shown either side of an insight, at least (minutes).
const CONTEXT_MINUTES: Minute = 180;

const STYLE: &str = "body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ddd;padding:3px 7px;text-align:left}
th{background:#f3f3f3;cursor:pointer;user-select:none}th.sorted-asc::after{content:' \\25B2'}th.sorted-desc::after{content:' \\25BC'}
td{white-space:nowrap}td.num{text-align:right;font-variant-numeric:tabular-nums}.chart{margin:8px 0 24px}code{font-size:12px}
.muted{color:#666}";

/// Sorts the table whose header is clicked by that column (numbers as numbers).
const SCRIPT: &str = "document.querySelectorAll('table.sortable th').forEach(function(th,i){
th.addEventListener('click',function(){var t=th.closest('table'),b=t.tBodies[0];
var asc=!th.classList.contains('sorted-asc');t.querySelectorAll('th').forEach(function(h){h.classList.remove('sorted-asc','sorted-desc');});
th.classList.add(asc?'sorted-asc':'sorted-desc');var rows=Array.prototype.slice.call(b.rows);
rows.sort(function(x,y){var a=x.cells[i].getAttribute('data-v')||x.cells[i].textContent,c=y.cells[i].getAttribute('data-v')||y.cells[i].textContent;
var n=parseFloat(a),m=parseFloat(c);var r=(!isNaN(n)&&!isNaN(m))?n-m:a.localeCompare(c);return asc?r:-r;});
rows.forEach(function(r){b.appendChild(r);});});});";

/// Why the page could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Query(#[from] InvestigateError),
    #[error(transparent)]
    Plot(#[from] PlotError),
}

/// The page for a run over `paths`.
pub fn html(analysis: &Analysis, paths: &[PathBuf]) -> Result<String, ReportError> {
    let mut page = String::new();
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>trailsight report</title>\n");
    let _ = write!(page, "<style>{STYLE}</style></head><body>\n<h1>trailsight report</h1>\n");
    let inputs: Vec<String> = paths.iter().map(|p| escape(&p.display().to_string())).collect();
    let _ = writeln!(page, "<p class=\"muted\">Input: {}</p>", inputs.join(", "));
    settings(&mut page, analysis);
    read_summary(&mut page, analysis);
    insights_table(&mut page, analysis);
    charts(&mut page, analysis)?;
    let _ = write!(page, "<script>{SCRIPT}</script>\n</body></html>\n");
    Ok(page)
}

fn settings(page: &mut String, a: &Analysis) {
    let p = &a.params;
    let rows = [
        ("sensitivity", format!("{} (tail probability below {:e})", p.sensitivity, p.alpha())),
        ("warm-up", format!("{} days", p.warmup_days)),
        ("history", format!("{} days", p.baseline.history_days)),
        ("volume floor", format!("{} calls above the baseline", p.min_excess_calls)),
        ("minimum ratio", format!("{} x the baseline", p.min_ratio)),
    ];
    page.push_str("<h2>Settings</h2>\n<table>\n");
    for (k, v) in rows {
        let _ = writeln!(page, "<tr><th>{k}</th><td>{}</td></tr>", escape(&v));
    }
    page.push_str("</table>\n");
}

fn read_summary(page: &mut String, a: &Analysis) {
    let s = &a.summary;
    let st = &s.stats;
    page.push_str("<h2>Input</h2>\n<table>\n");
    let history = s.timeline.map(|t| format!("{} .. {}", format_minute(t.origin), format_minute(t.origin + t.minutes() as Minute))).unwrap_or_default();
    let non_event: Vec<String> = s.non_event.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let rows = [
        ("files read", s.files_found.to_string()),
        ("records", st.records.to_string()),
        ("duplicates dropped", st.duplicates.to_string()),
        ("management events", format!("{} ({} writes, {} errors)", st.management, st.write_management, st.errors)),
        ("data events (not input)", st.data_events.to_string()),
        ("records out of range", st.out_of_range.to_string()),
        ("series", s.series.iter().map(|(t, n)| format!("{n} {t}")).collect::<Vec<_>>().join(", ")),
        ("history", history),
        ("not event logs, skipped", if non_event.is_empty() { "none".to_string() } else { non_event.join(", ") }),
    ];
    for (k, v) in rows {
        let _ = writeln!(page, "<tr><th>{k}</th><td>{}</td></tr>", escape(&v));
    }
    page.push_str("</table>\n");
    let problems: Vec<String> = s.files_with_issues().flat_map(|r| r.describe()).chain(s.unreadable_paths.iter().map(|(p, why)| format!("{}: {why}", p.display()))).collect();
    let files = s.files_with_issues().count() + s.unreadable_paths.len();
    let _ = writeln!(page, "<h2>Skipped input</h2>\n<p>{} in {} ({} unusable).</p>", plural(problems.len(), "problem"), plural(files, "file"), s.unusable_files());
    if !problems.is_empty() {
        page.push_str("<ul id=\"skipped\">\n");
        for line in problems {
            let _ = writeln!(page, "<li><code>{}</code></li>", escape(&line));
        }
        page.push_str("</ul>\n");
    }
}

fn insights_table(page: &mut String, a: &Analysis) {
    let _ = writeln!(page, "<h2>Insights ({})</h2>", a.insights.len());
    page.push_str("<table class=\"sortable\" id=\"insights\"><thead><tr><th>start (UTC)</th><th>minutes</th><th>account</th><th>region</th><th>API</th><th>type</th><th>error</th><th>model</th><th>score</th><th>observed</th><th>expected</th><th>sharedEventID</th></tr></thead><tbody>\n");
    let s = &a.frames.strings;
    for (e, pair) in &a.insights {
        let key = &a.frames.series[e.series as usize];
        let id = &pair.start.shared_event_id;
        let _ = writeln!(
            page,
            "<tr><td data-v=\"{start}\">{time}</td><td class=\"num\">{minutes}</td><td>{account}</td><td>{region}</td><td>{source}:{name}</td><td>{kind}</td><td>{error}</td><td>{model}</td><td class=\"num\">{score:.1}</td><td class=\"num\">{observed}</td><td class=\"num\">{expected:.1}</td><td><a href=\"#insight-{id}\" title=\"{id}\"><code>{short}</code></a></td></tr>",
            start = e.start,
            time = format_minute(e.start),
            minutes = e.minutes().max(1),
            account = escape(s.resolve(key.account)),
            region = escape(s.resolve(key.region)),
            source = escape(s.resolve(key.source)),
            name = escape(s.resolve(key.name)),
            kind = key.insight_type,
            error = key.error.map(|c| escape(s.resolve(c))).unwrap_or_default(),
            model = e.detector.as_str(),
            score = e.score,
            observed = e.observed,
            expected = e.expected,
            short = &id[..id.len().min(8)],
        );
    }
    page.push_str("</tbody></table>\n");
}

/// A chart per insight: its series from a few hours before to a while after.
fn charts(page: &mut String, a: &Analysis) -> Result<(), ReportError> {
    page.push_str("<h2>Charts</h2>\n");
    for (e, pair) in &a.insights {
        let pad = CONTEXT_MINUTES.max(2 * e.minutes());
        let timeline = SeriesTimeline::new(a, e.series, Some(e.start - pad), Some(e.end.max(e.start + 1) + pad))?;
        let step = timeline.step_for(CHART_POINTS);
        let svg = plot::to_svg(&timeline.chart(step), CHART_SIZE.0, CHART_SIZE.1)?;
        let id = &pair.start.shared_event_id;
        let _ = writeln!(
            page,
            "<section class=\"chart\" id=\"insight-{id}\"><h3>{} at {}</h3>\n{}\n</section>",
            escape(&timeline.title),
            format_minute(e.start),
            svg.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>").trim()
        );
    }
    Ok(())
}

fn plural(n: usize, noun: &str) -> String {
    crate::engine::plural(n as u64, noun)
}

/// Text made safe inside HTML elements and attribute values, its control and bidi
/// characters written as escapes ([`crate::text::printable`]) first.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::text::printable(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_html_would_read_as_markup() {
        assert_eq!(escape("<a href=\"x\">O'Neil & co</a>"), "&lt;a href=&quot;x&quot;&gt;O&#39;Neil &amp; co&lt;/a&gt;");
    }
}
