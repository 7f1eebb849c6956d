//! The human rendering of a [`Report`], in the words and layout of
//! `aws cloudtrail validate-logs`: one tab-separated line per file
//! (`Digest file\ts3://bucket/key\tvalid`), gap lines, then the closing
//! "Results requested for ... / N/M digest files valid" summary. Without `verbose`
//! only what is not valid is listed, as AWS does without `--verbose`. Paths, keys and
//! details come from the input and are printed through [`printable`].

use super::layout::display_time;
use super::report::{DigestOutcome, LogFileOutcome, LogStatus, Report, Summary};
use crate::text::printable;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::io::{self, Write};

impl Report {
    /// Writes the report as text. `verbose` also lists every valid file.
    pub fn render_text(&self, w: &mut dyn Write, verbose: bool) -> io::Result<()> {
        writeln!(w, "{}", self.heading())?;
        let logs_by_digest = self.logs_by_digest();
        for chain in &self.chains {
            writeln!(w)?;
            writeln!(w, "Digest chain\t{}\t{}", printable(&chain.id), chain_word(chain.status))?;
            for d in self.digest_files.iter().filter(|d| d.chain.as_deref() == Some(chain.id.as_str())) {
                self.render_digest(w, d, &logs_by_digest, verbose)?;
            }
        }
        let orphans: Vec<&DigestOutcome> = self.digest_files.iter().filter(|d| d.chain.is_none()).collect();
        if !orphans.is_empty() {
            writeln!(w)?;
            for d in orphans {
                self.render_digest(w, d, &logs_by_digest, verbose)?;
            }
        }
        self.render_unlisted(w, verbose)?;
        self.render_unreadable(w)?;
        writeln!(w)?;
        self.render_summary(w)
    }

    fn heading(&self) -> String {
        let paths: Vec<String> = self.paths.iter().map(|p| crate::text::printable_path(p)).collect();
        let mut heading = format!("Validating CloudTrail log files in {}", paths.join(", "));
        if self.requested.from.is_some() || self.requested.to.is_some() {
            heading.push_str(&format!(" between {} and {}", self.requested_from(), self.requested_to()));
        }
        heading
    }

    fn logs_by_digest(&self) -> HashMap<&str, Vec<&LogFileOutcome>> {
        let mut by_digest: HashMap<&str, Vec<&LogFileOutcome>> = HashMap::new();
        for log in &self.log_files {
            if let Some(digest) = log.digest_file.as_deref() {
                by_digest.entry(digest).or_default().push(log);
            }
        }
        by_digest
    }

    fn render_digest(
        &self,
        w: &mut dyn Write,
        d: &DigestOutcome,
        logs: &HashMap<&str, Vec<&LogFileOutcome>>,
        verbose: bool,
    ) -> io::Result<()> {
        if verbose || !d.status.is_valid() {
            writeln!(w, "Digest file\t{}\t{}{}", printable(&d.location()), d.message, printable(&parenthesised(&d.detail)))?;
        }
        for log in logs.get(d.key.as_str()).into_iter().flatten() {
            render_log(w, log, verbose)?;
        }
        for gap in self.gaps.iter().filter(|g| g.restarted_by == d.key) {
            writeln!(w, "{}", printable(&gap.message()))?;
        }
        Ok(())
    }

    fn render_unlisted(&self, w: &mut dyn Write, verbose: bool) -> io::Result<()> {
        let unlisted: Vec<&LogFileOutcome> = self
            .log_files
            .iter()
            .filter(|l| l.digest_file.is_none())
            .filter(|l| verbose || l.status != LogStatus::Pending)
            .collect();
        if unlisted.is_empty() {
            return Ok(());
        }
        writeln!(w)?;
        unlisted.into_iter().try_for_each(|log| render_log(w, log, true))
    }

    fn render_unreadable(&self, w: &mut dyn Write) -> io::Result<()> {
        if self.unreadable.is_empty() {
            return Ok(());
        }
        writeln!(w)?;
        for u in &self.unreadable {
            writeln!(w, "Path\t{}\tUNREADABLE: {}", crate::text::printable_path(&u.path), printable(&u.reason.to_string()))?;
        }
        Ok(())
    }

    fn render_summary(&self, w: &mut dyn Write) -> io::Result<()> {
        let s = &self.summary;
        if self.requested.from.is_none() && self.requested.to.is_none() {
            writeln!(w, "Results requested for all files")?;
        } else {
            writeln!(w, "Results requested for {} to {}", self.requested_from(), self.requested_to())?;
        }
        if s.digest_files.total == 0 {
            writeln!(w, "No digests found")?;
        } else if let Some(found) = &self.found {
            writeln!(w, "Results found for {} to {}:", opt_time(found.from), opt_time(found.to))?;
        } else {
            writeln!(w, "No valid digests found in range")?;
        }
        writeln!(w)?;
        for line in summary_lines(s) {
            writeln!(w, "{line}")?;
        }
        Ok(())
    }

    fn requested_from(&self) -> String {
        self.requested.from.map_or_else(|| "the oldest file".to_string(), |t| display_time(&t))
    }

    fn requested_to(&self) -> String {
        self.requested.to.map_or_else(|| "the newest file".to_string(), |t| display_time(&t))
    }
}

fn render_log(w: &mut dyn Write, log: &LogFileOutcome, verbose: bool) -> io::Result<()> {
    if verbose || log.status != LogStatus::Valid {
        writeln!(w, "Log file\t{}\t{}{}", printable(&log.location()), log.message, printable(&parenthesised(&log.detail)))?;
    }
    Ok(())
}

/// The count lines: AWS's two ratios first (over what it would have judged), then what
/// AWS does not report.
fn summary_lines(s: &Summary) -> Vec<String> {
    let mut lines = Vec::new();
    let d = &s.digest_files;
    if d.total > 0 {
        let mut line = format!("{}/{} digest files valid", d.valid, d.total);
        if d.invalid > 0 {
            line.push_str(&format!(", {}/{} digest files INVALID", d.invalid, d.total));
        }
        if d.not_validated > 0 {
            line.push_str(&format!(", {}/{} digest files NOT VALIDATED", d.not_validated, d.total));
        }
        lines.push(line);
    }
    let l = &s.log_files;
    let judged = l.valid + l.invalid;
    if judged > 0 {
        let mut line = format!("{}/{judged} log files valid", l.valid);
        if l.invalid > 0 {
            line.push_str(&format!(", {}/{judged} log files INVALID", l.invalid));
        }
        lines.push(line);
    }
    if l.not_validated > 0 {
        lines.push(format!(
            "{} NOT VALIDATED: no valid digest file vouches for {}",
            files(l.not_validated, "log"),
            them(l.not_validated)
        ));
    }
    if l.pending > 0 {
        lines.push(format!("{} delivered after the newest digest file (not yet covered)", files(l.pending, "log")));
    }
    let c = &s.chains;
    if c.total > 0 {
        let mut line = format!("{}/{} digest chains unbroken", c.unbroken, c.total);
        if c.broken > 0 {
            line.push_str(&format!(", {}/{} digest chains BROKEN", c.broken, c.total));
        }
        lines.push(line);
    }
    if s.gaps > 0 {
        lines.push(format!("{} in digest chains", plural(s.gaps, "gap", "gaps")));
    }
    if s.unreadable_paths > 0 {
        lines.push(format!("{} could not be read", plural(s.unreadable_paths, "path", "paths")));
    }
    lines
}

fn chain_word(status: super::report::ChainStatus) -> &'static str {
    match status {
        super::report::ChainStatus::Unbroken => "unbroken",
        super::report::ChainStatus::Broken => "BROKEN",
    }
}

fn parenthesised(detail: &Option<String>) -> String {
    detail.as_ref().map_or_else(String::new, |d| format!(" ({d})"))
}

fn opt_time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "-".to_string(), |t| display_time(&t))
}

fn files(n: usize, kind: &str) -> String {
    format!("{n} {kind} {}", if n == 1 { "file" } else { "files" })
}

fn them(n: usize) -> &'static str {
    if n == 1 {
        "it"
    } else {
        "them"
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrity::report::{ChainCounts, DigestCounts, LogCounts};

    #[test]
    fn summary_lines_follow_aws_then_add_what_aws_does_not_count() {
        let s = Summary {
            digest_files: DigestCounts { total: 7, valid: 5, invalid: 1, not_validated: 1 },
            log_files: LogCounts { total: 16, valid: 11, invalid: 1, not_validated: 3, pending: 1 },
            chains: ChainCounts { total: 2, unbroken: 1, broken: 1 },
            gaps: 1,
            unreadable_paths: 2,
            clean: false,
        };
        assert_eq!(
            summary_lines(&s),
            vec![
                "5/7 digest files valid, 1/7 digest files INVALID, 1/7 digest files NOT VALIDATED",
                "11/12 log files valid, 1/12 log files INVALID",
                "3 log files NOT VALIDATED: no valid digest file vouches for them",
                "1 log file delivered after the newest digest file (not yet covered)",
                "1/2 digest chains unbroken, 1/2 digest chains BROKEN",
                "1 gap in digest chains",
                "2 paths could not be read",
            ]
        );
    }

    #[test]
    fn an_all_valid_summary_is_the_aws_one() {
        let s = Summary {
            digest_files: DigestCounts { total: 3, valid: 3, ..DigestCounts::default() },
            log_files: LogCounts { total: 15, valid: 15, ..LogCounts::default() },
            ..Summary::default()
        };
        assert_eq!(summary_lines(&s), vec!["3/3 digest files valid", "15/15 log files valid"]);
    }
}
