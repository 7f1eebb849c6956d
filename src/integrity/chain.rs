//! The chain walk: judges every digest file of every chain, newest first, and every log
//! file the digests list, the way `aws cloudtrail validate-logs` does, on a local copy.
//!
//! What AWS does, and so do we: a digest is valid when it is where its signed
//! `digestS3Object` says, its public key is known and its SHA256withRSA signature
//! verifies; only a valid digest vouches for its log files; an invalid or missing digest
//! does not stop the walk (the next older digest is judged on its own); a digest that
//! starts a chain while older digests exist marks a gap.
//!
//! What we add, because a local copy allows it:
//! - every link is checked both ways: the next (valid) digest's
//!   `previousDigestHashValue` and `previousDigestSignature` must match this digest;
//! - a digest's signature need not come from S3 metadata: the next digest records it
//!   (`previousDigestSignature`), and an RSA signature authenticates itself whatever
//!   carried it, so only the newest digest of a chain needs the signatures file;
//! - a digest not at the key the chain points to but found elsewhere is reported once,
//!   as moved, not as "not found" plus an unexplained file;
//! - log files present that no digest lists are reported (AWS never looks at them);
//! - a digest whose previous-digest link points to itself, or that lies on a ring of
//!   digests pointing to each other ([`cycles`](super::cycles)), is INVALID and breaks
//!   its chain: a chain only ever points back in time.

use super::digest::{Digest, LogFileEntry, HASH_ALGORITHM, SIGNATURE_ALGORITHM};
use super::files::{self, FoundFile, ReadProblem};
use super::keys::{PublicKeys, Signatures};
use super::layout::{self, file_name, tail_from_aws_logs, ChainId, DigestName, LogName};
use super::report::{ChainOutcome, ChainStatus, DigestOutcome, DigestStatus, Gap, LogFileOutcome, LogStatus};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Which digests and log files are judged (`--from`/`--to`), like AWS's
/// `--start-time`/`--end-time`: digests whose end time lies in [from, to + 1 hour] (the
/// hour after `to` lists the files delivered just before it), log files no digest lists
/// whose delivery time lies in [from, to].
#[derive(Debug, Clone, Copy, Default)]
pub struct Range {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl Range {
    fn judges_digest(&self, end: Option<DateTime<Utc>>) -> bool {
        let Some(end) = end else { return true };
        self.from.is_none_or(|f| end >= f) && self.to.is_none_or(|t| end <= t + Duration::hours(1))
    }

    fn judges_log(&self, delivered: Option<DateTime<Utc>>) -> bool {
        let Some(t) = delivered else { return true };
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|to| t <= to)
    }

    /// Digests read at all: the judged ones and their neighbours, whose links and
    /// listings are needed at the edges of the range.
    fn loads_digest(&self, end: Option<DateTime<Utc>>) -> bool {
        let Some(end) = end else { return true };
        let margin = Duration::hours(3);
        self.from.is_none_or(|f| end >= f - margin) && self.to.is_none_or(|t| end <= t + margin)
    }
}

/// What the walk needs besides the files.
pub struct Trust<'a> {
    pub keys: &'a PublicKeys,
    pub signatures: &'a Signatures,
    pub signatures_given: bool,
}

/// Everything the walk produced, in report order.
#[derive(Debug, Default)]
pub struct Walked {
    pub chains: Vec<ChainOutcome>,
    pub digests: Vec<DigestOutcome>,
    pub logs: Vec<LogFileOutcome>,
    pub gaps: Vec<Gap>,
    /// True when at least one digest (found or not found) was judged.
    pub judged_any: bool,
}

/// A digest file read from disk.
struct Loaded {
    file: FoundFile,
    name: Option<DigestName>,
    sha256: Option<String>,
    parsed: Result<Digest, String>,
}

impl Loaded {
    fn read(file: FoundFile) -> Self {
        let name = DigestName::parse(file_name(&file.key.key));
        match files::read_uncompressed(&file.path) {
            Ok(bytes) => {
                let sha256 = Some(files::sha256_hex(&bytes));
                let parsed = Digest::parse(&bytes).map_err(|p| p.to_string());
                Self { file, name, sha256, parsed }
            }
            Err(problem) => Self { file, name, sha256: None, parsed: Err(problem.to_string()) },
        }
    }

    fn digest(&self) -> Option<&Digest> {
        self.parsed.as_ref().ok()
    }

    /// What the signed content says its name is (differs from `name` when moved).
    fn declared_name(&self) -> Option<DigestName> {
        self.digest().and_then(|d| DigestName::parse(file_name(&d.object)))
    }

    fn chain_id(&self) -> Option<ChainId> {
        self.name.as_ref().map(DigestName::chain_id).or_else(|| self.declared_name().map(|n| n.chain_id()))
    }

    /// Where the digest sorts in its chain: its end time.
    fn position(&self) -> Option<DateTime<Utc>> {
        self.name
            .as_ref()
            .map(|n| n.end)
            .or_else(|| self.declared_name().map(|n| n.end))
            .or_else(|| self.digest().map(|d| d.end_time))
    }

    fn is_backfill(&self) -> bool {
        match &self.name {
            Some(name) => name.backfill,
            None => self.declared_name().is_some_and(|n| n.backfill),
        }
    }

    fn tails(&self) -> Vec<String> {
        let mut tails = vec![self.file.key.tail().to_string()];
        if let Some(d) = self.digest() {
            let declared = tail_from_aws_logs(&d.object).to_string();
            if declared != tails[0] {
                tails.push(declared);
            }
        }
        tails
    }
}

/// One digest's verdict and what it brings along in the report.
struct Entry {
    position: Option<DateTime<Utc>>,
    digest: DigestOutcome,
    logs: Vec<LogFileOutcome>,
    gap: Option<Gap>,
}

/// The verdict on one digest before it is turned into an outcome.
struct Verdict {
    status: DigestStatus,
    detail: Option<String>,
}

impl Verdict {
    fn new(status: DigestStatus, detail: impl Into<Option<String>>) -> Self {
        Self { status, detail: detail.into() }
    }
}

/// A span a missing or unreadable digest should have covered, to explain the log files
/// that no digest lists.
struct Hole {
    account: String,
    region: String,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    what: String,
}

/// Walks all chains found among `digests` and checks `logs` against them.
pub fn walk(digests: Vec<FoundFile>, logs: &[FoundFile], trust: &Trust<'_>, range: Range) -> Walked {
    let mut walk = Walk::new(digests, logs, trust, range);
    let mut walked = Walked::default();
    let mut holes = Vec::new();
    for (chain, members) in walk.groups() {
        let entries = walk.judge_chain(chain.as_ref(), &members);
        holes.extend(holes_in(chain.as_ref(), &entries));
        if entries.is_empty() {
            continue;
        }
        walked.judged_any = true;
        if let Some(chain) = &chain {
            walked.chains.push(chain_outcome(chain, &entries));
        }
        for entry in entries {
            walked.digests.push(entry.digest);
            walked.logs.extend(entry.logs);
            walked.gaps.extend(entry.gap);
        }
    }
    walked.logs.extend(walk.unlisted_logs(&holes));
    walked
}

struct Walk<'a> {
    trust: &'a Trust<'a>,
    range: Range,
    digests: Vec<Loaded>,
    logs: &'a [FoundFile],
    log_by_tail: HashMap<String, Vec<usize>>,
    /// Tails of every digest file found, read or not.
    digest_tails: HashSet<String>,
    /// Digest indices by the tails of their location and of their `digestS3Object`.
    digest_by_tail: HashMap<String, Vec<usize>>,
    /// Digest indices by the tail of the previous digest they point to.
    pointed_by: HashMap<String, Vec<usize>>,
    /// Newest end of a *valid* digest per account and region: a forged digest named
    /// far in the future must not turn planted log files into "not digested yet".
    newest_end: HashMap<(String, String), DateTime<Utc>>,
    verdicts: HashMap<usize, DigestStatus>,
    /// Digests on a loop of previous-digest links, with the reason.
    looped: HashMap<usize, String>,
    /// Log files a judged digest lists. Only judged ones: a digest outside the range
    /// is never checked, so it must not be able to hide a file inside the range.
    listed: HashSet<usize>,
    hashes: HashMap<usize, Result<String, ReadProblem>>,
}

impl<'a> Walk<'a> {
    fn new(found: Vec<FoundFile>, logs: &'a [FoundFile], trust: &'a Trust<'a>, range: Range) -> Self {
        let digest_tails = found.iter().map(|f| f.key.tail().to_string()).collect();
        let digests: Vec<Loaded> = found
            .into_iter()
            .filter(|f| range.loads_digest(DigestName::parse(file_name(&f.key.key)).map(|n| n.end)))
            .map(Loaded::read)
            .collect();
        let mut log_by_tail: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, log) in logs.iter().enumerate() {
            log_by_tail.entry(log.key.tail().to_string()).or_default().push(i);
        }
        let mut walk = Self {
            trust,
            range,
            digests,
            logs,
            log_by_tail,
            digest_tails,
            digest_by_tail: HashMap::new(),
            pointed_by: HashMap::new(),
            newest_end: HashMap::new(),
            verdicts: HashMap::new(),
            looped: HashMap::new(),
            listed: HashSet::new(),
            hashes: HashMap::new(),
        };
        walk.index_digests();
        walk.find_loops();
        walk
    }

    /// Marks every digest on a loop of previous-digest links, saying which files close it.
    fn find_loops(&mut self) {
        let next: Vec<Vec<usize>> = (0..self.digests.len()).map(|i| self.previous_of(i)).collect();
        for ring in super::cycles::loops(&next) {
            for &i in &ring {
                let detail = self.loop_detail(i, &ring);
                self.looped.insert(i, detail);
            }
        }
    }

    /// The digest files digest `i`'s previous-digest link names.
    fn previous_of(&self, i: usize) -> Vec<usize> {
        let Some(prev) = self.digests[i].digest().and_then(|d| d.previous.as_ref()) else { return Vec::new() };
        self.digest_by_tail.get(tail_from_aws_logs(&prev.object)).cloned().unwrap_or_default()
    }

    fn loop_detail(&self, i: usize, ring: &[usize]) -> String {
        if ring == [i] {
            return "its previousDigestS3Object is its own key".to_string();
        }
        let others: Vec<&str> =
            ring.iter().filter(|&&j| j != i).map(|&j| file_name(&self.digests[j].file.key.key)).collect();
        format!("its previous-digest links lead back to it through {}", others.join(", "))
    }

    fn index_digests(&mut self) {
        for (i, d) in self.digests.iter().enumerate() {
            for tail in d.tails() {
                self.digest_by_tail.entry(tail).or_default().push(i);
            }
            if let Some(prev) = d.digest().and_then(|d| d.previous.as_ref()) {
                self.pointed_by.entry(tail_from_aws_logs(&prev.object).to_string()).or_default().push(i);
            }
        }
    }

    /// Digest indices by chain, chains in id order, unrecognised digests last.
    fn groups(&self) -> Vec<(Option<ChainId>, Vec<usize>)> {
        let mut by_chain: BTreeMap<ChainId, Vec<usize>> = BTreeMap::new();
        let mut unknown = Vec::new();
        for (i, d) in self.digests.iter().enumerate() {
            match d.chain_id() {
                Some(id) => by_chain.entry(id).or_default().push(i),
                None => unknown.push(i),
            }
        }
        let mut groups: Vec<_> = by_chain.into_iter().map(|(id, m)| (Some(id), m)).collect();
        if !unknown.is_empty() {
            groups.push((None, unknown));
        }
        groups
    }

    /// Judges the chain's digests in range, newest first, plus the ones its valid
    /// digests point to that are gone.
    fn judge_chain(&mut self, chain: Option<&ChainId>, members: &[usize]) -> Vec<Entry> {
        let mut order: Vec<usize> =
            members.iter().copied().filter(|&i| self.range.judges_digest(self.digests[i].position())).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(self.digests[i].position()));
        let chain_id = chain.map(ChainId::to_id);
        let mut entries = Vec::with_capacity(order.len());
        let mut reported_missing = HashSet::new();
        for (n, &i) in order.iter().enumerate() {
            let verdict = self.judge_digest(i);
            self.verdicts.insert(i, verdict.status);
            let older = order[n + 1..].iter().copied().find(|&j| !self.digests[j].is_backfill());
            let mut entry = self.entry_for(i, verdict, chain_id.clone());
            entry.gap = self.gap_before(i, older, chain_id.as_deref());
            self.note_newest_valid(chain, &entry.digest);
            entries.push(entry);
            if let Some(missing) = self.missing_before(i, chain_id.clone(), &mut reported_missing) {
                entries.push(missing);
            }
        }
        // Not-found digests sort among the others by the time in their name.
        entries.sort_by_key(|e| std::cmp::Reverse(e.position));
        entries
    }

    fn note_newest_valid(&mut self, chain: Option<&ChainId>, digest: &DigestOutcome) {
        let (Some(chain), Some(end)) = (chain, digest.end_time.filter(|_| digest.status.is_valid())) else { return };
        let newest = self.newest_end.entry((chain.account.clone(), chain.region.clone())).or_insert(end);
        *newest = (*newest).max(end);
    }

    fn judge_digest(&self, i: usize) -> Verdict {
        let loaded = &self.digests[i];
        let (digest, sha256) = match (&loaded.parsed, &loaded.sha256) {
            (Ok(d), Some(h)) => (d, h.as_str()),
            (Err(problem), _) => return Verdict::new(DigestStatus::InvalidFormat, problem.clone()),
            (Ok(_), None) => return Verdict::new(DigestStatus::InvalidFormat, None),
        };
        if let Some(detail) = self.looped.get(&i) {
            return Verdict::new(DigestStatus::LinkCycle, detail.clone());
        }
        if !loaded.file.key.is_location_of(&digest.object) {
            let original = format!("s3://{}/{}", digest.bucket, digest.object);
            return Verdict::new(DigestStatus::Moved, format!("its digestS3Object is {original}"));
        }
        let Some(key) = self.trust.keys.get(&digest.fingerprint) else {
            let detail = format!("no key with fingerprint {} in the public keys file", digest.fingerprint);
            return Verdict::new(DigestStatus::PublicKeyNotFound, detail);
        };
        if let Some(alg) = digest.algorithm.as_deref().filter(|a| *a != SIGNATURE_ALGORITHM) {
            return Verdict::new(DigestStatus::InvalidFormat, format!("unsupported digestSignatureAlgorithm {alg}"));
        }
        let successors = self.successors(i);
        let Some((signature, from_metadata)) = self.signature_for(i, &successors) else {
            return Verdict::new(DigestStatus::Unsigned, self.unsigned_reason());
        };
        let verified =
            hex::decode(signature).is_ok_and(|sig| key.verifies(digest.string_to_sign(sha256).as_bytes(), &sig));
        if !verified {
            let source = if from_metadata {
                "signature from the signatures file"
            } else {
                "signature recorded in the next digest file"
            };
            return Verdict::new(DigestStatus::SignatureFailed, format!("{source}, key {}", key.fingerprint));
        }
        self.check_links(digest, sha256, signature, &successors)
    }

    /// Digests that point to digest `i` (by where it is or where it says it belongs).
    fn successors(&self, i: usize) -> Vec<usize> {
        let mut found: Vec<usize> = self.digests[i]
            .tails()
            .iter()
            .filter_map(|t| self.pointed_by.get(t))
            .flatten()
            .copied()
            .filter(|&j| j != i)
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// The signature to verify: S3 metadata from the signatures file when it has one,
    /// else what a newer digest recorded (a valid one preferred). The flag says which.
    fn signature_for<'s>(&'s self, i: usize, successors: &[usize]) -> Option<(&'s str, bool)> {
        if let Some(sig) = self.trust.signatures.get(&self.digests[i].file.key) {
            return Some((sig, true));
        }
        let mut recorded: Vec<usize> = successors.to_vec();
        recorded.sort_by_key(|j| !self.is_valid(*j));
        recorded.iter().find_map(|&j| {
            let prev = self.digests[j].digest()?.previous.as_ref()?;
            Some((prev.signature.as_str(), false))
        })
    }

    fn unsigned_reason(&self) -> String {
        if self.trust.signatures_given {
            "no signature for it in the signatures file, and no newer digest file records it".to_string()
        } else {
            "no signatures file given, and no newer digest file records its signature".to_string()
        }
    }

    /// The valid digests pointing here must record this digest's hash and signature.
    fn check_links(&self, digest: &Digest, sha256: &str, signature: &str, successors: &[usize]) -> Verdict {
        for &j in successors.iter().filter(|&&j| self.is_valid(j)) {
            let Some(prev) = self.digests[j].digest().and_then(|d| d.previous.as_ref()) else { continue };
            let next = &self.digests[j].file.key.key;
            if !prev.hash_value.eq_ignore_ascii_case(sha256) {
                let detail =
                    format!("{next} records previousDigestHashValue {}, the file hashes to {sha256}", prev.hash_value);
                return Verdict::new(DigestStatus::HashMismatch, detail);
            }
            if let Some(alg) = prev.hash_algorithm.as_deref().filter(|a| *a != HASH_ALGORITHM) {
                return Verdict::new(
                    DigestStatus::InvalidFormat,
                    format!("{next} uses previousDigestHashAlgorithm {alg}"),
                );
            }
            if !prev.signature.eq_ignore_ascii_case(signature) {
                let detail = format!("{next} records a different previousDigestSignature");
                return Verdict::new(DigestStatus::SignatureMismatch, detail);
            }
            if prev.bucket != digest.bucket {
                let detail = format!("{next} expects it in bucket {}", prev.bucket);
                return Verdict::new(DigestStatus::Moved, detail);
            }
        }
        Verdict::new(DigestStatus::Valid, None)
    }

    fn is_valid(&self, i: usize) -> bool {
        self.verdicts.get(&i) == Some(&DigestStatus::Valid)
    }

    fn entry_for(&mut self, i: usize, verdict: Verdict, chain: Option<String>) -> Entry {
        let loaded = &self.digests[i];
        let digest = loaded.digest().cloned();
        let position = loaded.position();
        let status = verdict.status;
        let outcome = DigestOutcome {
            chain,
            bucket: digest.as_ref().map(|d| d.bucket.clone()),
            key: loaded.file.key.key.clone(),
            path: Some(loaded.file.path.clone()),
            status,
            message: status.message(),
            detail: verdict.detail,
            start_time: digest.as_ref().map(|d| d.start_time),
            end_time: digest.as_ref().map(|d| d.end_time).or(loaded.name.as_ref().map(|n| n.end)),
            backfill: loaded.is_backfill(),
            log_files: digest.as_ref().map_or(0, |d| d.log_files.len()),
        };
        let logs = match &digest {
            Some(d) => d.log_files.iter().map(|e| self.check_listed(e, status, &outcome.key)).collect(),
            None => Vec::new(),
        };
        Entry { position, digest: outcome, logs, gap: None }
    }

    /// A valid digest that starts a chain while an older digest exists marks a gap
    /// (AWS: "No log files were delivered by CloudTrail between ...").
    fn gap_before(&self, i: usize, older: Option<usize>, chain: Option<&str>) -> Option<Gap> {
        let loaded = &self.digests[i];
        let digest = loaded.digest()?;
        if !self.is_valid(i) || digest.previous.is_some() || loaded.is_backfill() {
            return None;
        }
        let from = self.digests[older?].position()?;
        Some(Gap { chain: chain?.to_string(), from, to: digest.start_time, restarted_by: loaded.file.key.key.clone() })
    }

    /// The digest a valid digest points to, when no file is there (nor anywhere as a
    /// moved copy): "not found".
    fn missing_before(&self, i: usize, chain: Option<String>, reported: &mut HashSet<String>) -> Option<Entry> {
        if !self.is_valid(i) {
            return None;
        }
        let prev = self.digests[i].digest()?.previous.as_ref()?;
        let tail = tail_from_aws_logs(&prev.object).to_string();
        if self.digest_tails.contains(&tail) || self.digest_by_tail.contains_key(&tail) {
            return None;
        }
        let name = DigestName::parse(file_name(&prev.object));
        let position = name.as_ref().map(|n| n.end);
        if !self.range.judges_digest(position) || !reported.insert(tail) {
            return None;
        }
        let digest = DigestOutcome {
            chain,
            bucket: Some(prev.bucket.clone()),
            key: prev.object.clone(),
            path: None,
            status: DigestStatus::NotFound,
            message: DigestStatus::NotFound.message(),
            detail: None,
            start_time: None,
            end_time: position,
            backfill: name.is_some_and(|n| n.backfill),
            log_files: 0,
        };
        Some(Entry { position, digest, logs: Vec::new(), gap: None })
    }

    /// Checks one log file a digest lists. Only a valid digest's word counts (AWS).
    fn check_listed(&mut self, entry: &LogFileEntry, digest_status: DigestStatus, digest_key: &str) -> LogFileOutcome {
        let found = find_log(self.logs, &self.log_by_tail, &entry.object);
        self.listed.extend(found);
        let (status, detail) = match (digest_status, found) {
            (DigestStatus::Valid, Some(j)) => self.check_hash(j, entry),
            (DigestStatus::Valid, None) => (LogStatus::NotFound, None),
            (DigestStatus::Unsigned, _) => (LogStatus::DigestUnsigned, None),
            _ => (LogStatus::DigestInvalid, None),
        };
        LogFileOutcome {
            bucket: Some(entry.bucket.clone()),
            key: entry.object.clone(),
            path: found.map(|j| self.logs[j].path.clone()),
            status,
            message: status.message(),
            detail,
            digest_file: Some(digest_key.to_string()),
            delivered: LogName::parse(file_name(&entry.object)).map(|n| n.delivered),
        }
    }

    fn check_hash(&mut self, j: usize, entry: &LogFileEntry) -> (LogStatus, Option<String>) {
        if let Some(alg) = entry.hash_algorithm.as_deref().filter(|a| *a != HASH_ALGORITHM) {
            return (LogStatus::InvalidFormat, Some(format!("unsupported hashAlgorithm {alg}")));
        }
        let logs = self.logs;
        let path = &logs[j].path;
        let hash = self.hashes.entry(j).or_insert_with(|| files::sha256_uncompressed(path));
        match hash {
            Ok(h) if h.eq_ignore_ascii_case(&entry.hash_value) => (LogStatus::Valid, None),
            Ok(_) => (LogStatus::HashMismatch, None),
            Err(ReadProblem::NotFound) => (LogStatus::NotFound, None),
            Err(problem) => (LogStatus::InvalidFormat, Some(problem.to_string())),
        }
    }

    /// Log files present that no judged digest lists: pending when newer than the
    /// newest valid digest of their account and region, else not validated.
    fn unlisted_logs(&self, holes: &[Hole]) -> Vec<LogFileOutcome> {
        let mut out = Vec::new();
        for (j, log) in self.logs.iter().enumerate() {
            if self.listed.contains(&j) {
                continue;
            }
            let delivered = LogName::parse(file_name(&log.key.key)).map(|n| n.delivered);
            if !self.range.judges_log(delivered) {
                continue;
            }
            let (status, detail) = self.why_unlisted(log, delivered, holes);
            out.push(LogFileOutcome {
                bucket: None,
                key: log.key.key.clone(),
                path: Some(log.path.clone()),
                status,
                message: status.message(),
                detail,
                digest_file: None,
                delivered,
            });
        }
        out
    }

    fn why_unlisted(
        &self,
        log: &FoundFile,
        delivered: Option<DateTime<Utc>>,
        holes: &[Hole],
    ) -> (LogStatus, Option<String>) {
        let Some((account, region)) = layout::log_account_region(&log.key.key) else {
            return (LogStatus::NotInDigest, None);
        };
        let Some(newest) = self.newest_end.get(&(account.clone(), region.clone())) else {
            let detail = format!("no valid digest file for account {account} in {region}");
            return (LogStatus::NotInDigest, Some(detail));
        };
        let Some(t) = delivered else { return (LogStatus::NotInDigest, None) };
        // The name is to the minute: a file named for the digest's minute may have
        // been delivered after the digest was written.
        if t + Duration::seconds(59) > *newest {
            return (LogStatus::Pending, None);
        }
        let hole = holes
            .iter()
            .find(|h| h.account == account && h.region == region && t >= h.from - Duration::minutes(1) && t <= h.to);
        (LogStatus::NotInDigest, hole.map(|h| format!("the digest file covering it, {}", h.what)))
    }
}

/// The log file at the key a digest records, if present where it should be.
fn find_log(logs: &[FoundFile], by_tail: &HashMap<String, Vec<usize>>, object: &str) -> Option<usize> {
    by_tail.get(tail_from_aws_logs(object))?.iter().copied().find(|&j| logs[j].key.is_location_of(object))
}

/// The spans of the chain's digests that are gone or unreadable, so nothing lists
/// their log files: from the next older digest's end to their own.
fn holes_in(chain: Option<&ChainId>, entries: &[Entry]) -> Vec<Hole> {
    let Some(chain) = chain else { return Vec::new() };
    let mut holes = Vec::new();
    for (n, entry) in entries.iter().enumerate() {
        let d = &entry.digest;
        let unlisted = matches!(d.status, DigestStatus::NotFound | DigestStatus::InvalidFormat) && d.log_files == 0;
        let Some(to) = entry.position.filter(|_| unlisted) else { continue };
        let from = entries.get(n + 1).and_then(|e| e.position).unwrap_or(to - Duration::hours(1));
        holes.push(Hole {
            account: chain.account.clone(),
            region: chain.region.clone(),
            from,
            to,
            what: format!("{}, is {}", d.location(), d.message),
        });
    }
    holes
}

fn chain_outcome(chain: &ChainId, entries: &[Entry]) -> ChainOutcome {
    let broken = entries.iter().any(|e| e.digest.status.is_invalid());
    let valid = entries.iter().map(|e| &e.digest).filter(|d| d.status.is_valid());
    ChainOutcome {
        id: chain.to_id(),
        account: chain.account.clone(),
        region: chain.region.clone(),
        trail: chain.trail.clone(),
        home_region: chain.home_region.clone(),
        status: if broken { ChainStatus::Broken } else { ChainStatus::Unbroken },
        digest_files: entries.len(),
        valid_from: valid.clone().filter_map(|d| d.start_time).min(),
        valid_to: valid.filter_map(|d| d.end_time).max(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
    }

    #[test]
    fn the_range_judges_digests_up_to_an_hour_after_its_end_like_aws() {
        let range = Range { from: Some(t(2, 0)), to: Some(t(3, 0)) };
        assert!(!range.judges_digest(Some(t(1, 59))));
        assert!(range.judges_digest(Some(t(2, 0))));
        assert!(range.judges_digest(Some(t(4, 0))));
        assert!(!range.judges_digest(Some(t(4, 1))));
        assert!(range.judges_digest(None), "a digest of unknown time is judged, never skipped");
        assert!(Range::default().judges_digest(Some(t(0, 0))));
    }

    #[test]
    fn the_range_judges_unlisted_log_files_by_delivery_time() {
        let range = Range { from: Some(t(2, 0)), to: Some(t(3, 0)) };
        assert!(range.judges_log(Some(t(2, 0))) && range.judges_log(Some(t(3, 0))));
        assert!(!range.judges_log(Some(t(3, 1))) && !range.judges_log(Some(t(1, 59))));
        assert!(range.judges_log(None));
    }

    #[test]
    fn neighbours_of_the_range_are_read_for_their_links() {
        let range = Range { from: Some(t(5, 0)), to: Some(t(6, 0)) };
        assert!(range.loads_digest(Some(t(2, 0))) && range.loads_digest(Some(t(9, 0))));
        assert!(!range.loads_digest(Some(t(1, 59))) && !range.loads_digest(Some(t(9, 1))));
    }
}
