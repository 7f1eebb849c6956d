//! Finding the records inside a file's text, one raw JSON value at a time, as the text
//! streams in.
//!
//! Accepted shapes, in any mix and any number one after another: delivery documents
//! `{"Records":[...]}` (the `Records` key anywhere among the document's keys), bare
//! arrays of records, and records on their own (one per line, or just separated by white
//! space). `zcat *.json.gz` gives the first shape many times over.
//!
//! A record in an array is first offered to its reader ([`Records::object`]), which types
//! a plain record in the same pass that finds its end. Any other record is cut out of the
//! text by matching its brackets outside strings, a scan far cheaper than a parse, and
//! then typed once (see [`super::record::to_event`]). A document's keys are scanned the
//! same way, so its `Records` array is streamed element by element wherever the key
//! sits (a second `Records` array in the same document is read too): one bad record
//! never hides the next, and a text cut off mid-way still yields
//! every record before the cut. Values that are not objects or arrays are cut out by
//! serde_json.
//!
//! The [`Scanner`] is fed the text a chunk at a time ([`scan`]) and keeps only its place
//! in the document structure between chunks, so memory follows the largest record, not
//! the size of the file. A record larger than the scanner's limit (`--max-record-bytes`)
//! is never held whole: once the text at hand shows it is too large, the rest of it is
//! skipped as it streams by (brackets and strings followed, nothing kept), it is
//! reported ([`Records::too_large`]) and the records after it are read. A value too
//! large after a document's `Records` array ends the text instead, reported.

use super::report::FileProblem;
use serde_json::value::RawValue;
use std::io::{self, Read};

/// One value's JSON text.
pub type Slice<'a> = &'a [u8];

/// Bytes read from the source per chunk; a chunk grows when one value is larger.
const CHUNK: usize = 1 << 20;

/// How a streamed text ended.
#[derive(Debug, Default)]
pub struct ScanEnd {
    /// The structural problem that stopped parsing, if any.
    pub problem: Option<FileProblem>,
    /// The read error that ended the text early, if any (a broken gzip stream).
    pub read_error: Option<io::Error>,
}

/// Where the scanner hands the records it finds, in order.
pub trait Records {
    /// Offered the text from an array element's opening brace to the end of the text at
    /// hand: takes the record from there if it can and says how long it was. `None`
    /// leaves it to be cut out by bracket matching and handed to [`Records::record`]
    /// (also when the text at hand ends inside it).
    fn object(&mut self, rest: &[u8]) -> Option<usize>;
    /// One record's text, cut out.
    fn record(&mut self, raw: Slice<'_>);
    /// A record of at least `bytes` bytes, over the limit: skipped, never held whole.
    fn too_large(&mut self, bytes: usize) {
        let _ = bytes;
    }
}

/// [`Records`] that takes every record cut out, as `f` of its text.
#[cfg(test)]
pub struct Each<F>(pub F);

#[cfg(test)]
impl<F: FnMut(Slice<'_>)> Records for Each<F> {
    fn object(&mut self, _: &[u8]) -> Option<usize> {
        None
    }

    fn record(&mut self, raw: Slice<'_>) {
        (self.0)(raw)
    }
}

/// Streams `text` through a [`Scanner`], handing each record of at most `max_record`
/// bytes to `records` in order. A read error ends the text where it broke: everything
/// before it is still parsed.
pub fn scan(text: &mut impl Read, max_record: usize, records: &mut impl Records) -> ScanEnd {
    scan_in_chunks(text, CHUNK, max_record, records)
}

/// Scans a text that is whole in memory as [`scan`] would, where it lies.
pub fn scan_whole(text: &[u8], max_record: usize, records: &mut impl Records) -> ScanEnd {
    let problem = Scanner::with_limit(max_record).feed(text, true, records).err();
    ScanEnd { problem, read_error: None }
}

fn scan_in_chunks(text: &mut impl Read, chunk: usize, max_record: usize, on_record: &mut impl Records) -> ScanEnd {
    let mut scanner = Scanner::with_limit(max_record);
    let mut buf: Vec<u8> = Vec::new();
    let mut end = ScanEnd::default();
    loop {
        // Doubling the request when a value spans the whole buffer keeps rescans of a
        // huge value linear in its size.
        let want = chunk.max(buf.len());
        let at_end = match fill(text, &mut buf, want) {
            Ok(reached_end) => reached_end,
            Err(e) => {
                end.read_error = Some(e);
                true
            }
        };
        match scanner.feed(&buf, at_end, on_record) {
            Ok(consumed) => drop(buf.drain(..consumed)),
            Err(problem) => {
                end.problem = Some(problem);
                return end;
            }
        }
        if at_end {
            return end;
        }
    }
}

/// Appends up to `want` bytes to `buf`; true when the source has no more.
fn fill(source: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> io::Result<bool> {
    let target = buf.len() + want;
    buf.reserve(want);
    let mut scratch = [0u8; 64 * 1024];
    while buf.len() < target {
        let room = (target - buf.len()).min(scratch.len());
        match source.read(&mut scratch[..room]) {
            Ok(0) => return Ok(true),
            Ok(n) => buf.extend_from_slice(&scratch[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// Calls `on_record` for each record of a complete text, in order. Returns the problem
/// that stopped parsing early, if any; records before it were all delivered.
#[cfg(test)]
pub fn for_each_record(text: &[u8], on_record: impl FnMut(Slice<'_>)) -> Result<(), FileProblem> {
    Scanner::new().feed(text, true, &mut Each(on_record)).map(|_| ())
}

/// Where the scanner stands in the document structure, between two values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// Between top-level values.
    Top,
    /// Inside an array of records: a bare array, or a document's `Records`.
    Elements { in_document: bool },
    /// Inside a document after its `Records` array: its remaining keys are skipped.
    DocumentTail,
}

/// A resumable scan over a text that arrives in pieces.
#[derive(Debug)]
pub struct Scanner {
    level: Level,
    /// Values delivered so far, for the report of where parsing stopped.
    seen: usize,
    /// Whether anything but white space was seen: a blank text is reported as empty.
    has_content: bool,
    /// Largest record kept, in bytes.
    max_record: usize,
    /// The record over `max_record` being skipped, when the text at hand ends inside it.
    skipping: Option<Skip>,
}

/// What the object at the scan position turned out to be.
enum Shape {
    /// A delivery document: its `Records` array's elements start at this index.
    Document { records_at: usize },
    /// Any other object, this many bytes long: a record.
    Plain(usize),
    /// The text ends inside it.
    Incomplete,
}

/// Where parsing stopped, before it is turned into a report.
enum Stop {
    Truncated,
    Syntax(String),
}

impl Stop {
    fn from_json(e: serde_json::Error) -> Self {
        if e.is_eof() {
            Stop::Truncated
        } else {
            Stop::Syntax(e.to_string())
        }
    }

    fn into_problem(self, records_before: usize) -> FileProblem {
        match self {
            Stop::Truncated => FileProblem::TruncatedJson { records_before },
            Stop::Syntax(msg) if records_before == 0 => FileProblem::NotJson(msg),
            Stop::Syntax(msg) => FileProblem::BadJson { records_before, msg },
        }
    }
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

impl Scanner {
    pub fn new() -> Self {
        Self::with_limit(usize::MAX)
    }

    /// A scanner that skips records larger than `max_record` bytes.
    pub fn with_limit(max_record: usize) -> Self {
        Self { level: Level::Top, seen: 0, has_content: false, max_record: max_record.max(1), skipping: None }
    }

    /// Delivers every value that lies wholly in `text` and returns how many bytes were
    /// used: the caller keeps the rest and feeds it again with more text after it.
    /// `at_end` says no more text follows. An error ends the text.
    pub fn feed(&mut self, text: &[u8], at_end: bool, emit: &mut impl Records) -> Result<usize, FileProblem> {
        let mut at = 0;
        loop {
            if let Some(skip) = self.skipping.as_mut() {
                match skip.feed(&text[at..]) {
                    Some(len) => {
                        let bytes = skip.bytes;
                        self.skipping = None;
                        self.seen += 1;
                        emit.too_large(bytes);
                        at += len;
                    }
                    None if at_end => return Err(Stop::Truncated.into_problem(self.seen)),
                    None => return Ok(text.len()),
                }
            }
            at = self.skip_blank(text, at);
            if at == text.len() {
                return self.end_of_chunk(at, at_end);
            }
            self.has_content = true;
            match self.step(text, at, at_end, emit) {
                Ok(Some(next)) => at = next,
                Ok(None) if text.len() - at > self.max_record => match self.level {
                    // The text at hand ends inside a value already over the limit.
                    Level::Top | Level::Elements { .. } => self.skipping = Some(Skip::default()),
                    Level::DocumentTail => return Err(FileProblem::ValueOverSizeLimit { limit: self.max_record as u64, records_before: self.seen }),
                },
                Ok(None) if !at_end => return Ok(at),
                Ok(None) => return Err(Stop::Truncated.into_problem(self.seen)),
                Err(stop) => return Err(stop.into_problem(self.seen)),
            }
        }
    }

    /// White space, and between top-level values a byte-order mark (each file of a
    /// concatenation may start with one).
    fn skip_blank(&self, text: &[u8], at: usize) -> usize {
        let at = skip_ws(text, at);
        if self.level == Level::Top && text[at..].starts_with(&[0xEF, 0xBB, 0xBF]) {
            return skip_ws(text, at + 3);
        }
        at
    }

    fn end_of_chunk(&self, at: usize, at_end: bool) -> Result<usize, FileProblem> {
        match self.level {
            _ if !at_end => Ok(at),
            Level::Top if self.has_content => Ok(at),
            Level::Top => Err(FileProblem::Empty),
            _ => Err(Stop::Truncated.into_problem(self.seen)),
        }
    }

    /// Takes one step from the non-blank byte at `at`: the index after it, or `None`
    /// when the text ends inside the next value.
    fn step(&mut self, text: &[u8], at: usize, at_end: bool, emit: &mut impl Records) -> Result<Option<usize>, Stop> {
        // A record in an array: its reader may take it whole, with no bracket scan first.
        if matches!(self.level, Level::Elements { .. }) && text[at] == b'{' {
            // Offered no more than the limit and a byte: a larger record ends past it, so
            // the reader cannot take it, and it is skipped below.
            let end = text.len().min(at.saturating_add(self.max_record).saturating_add(1));
            if let Some(len) = emit.object(&text[at..end]) {
                self.seen += 1;
                return Ok(Some(at + len));
            }
        }
        match (self.level, text[at]) {
            (Level::Top, b'[') => self.enter(Level::Elements { in_document: false }, at + 1),
            (Level::Top, b'{') => match document_shape(text, at) {
                Shape::Document { records_at } => {
                    self.enter(Level::Elements { in_document: true }, records_at)
                }
                Shape::Plain(len) => Ok(Some(self.deliver(text, at, len, emit))),
                Shape::Incomplete => Ok(None),
            },
            (Level::Elements { .. } | Level::DocumentTail, b',') => Ok(Some(at + 1)),
            (Level::Elements { in_document: true }, b']') => self.enter(Level::DocumentTail, at + 1),
            (Level::Elements { in_document: false }, b']') => self.enter(Level::Top, at + 1),
            (Level::DocumentTail, b'}') => self.enter(Level::Top, at + 1),
            (Level::DocumentTail, b'"') => self.tail_member(text, at, at_end),
            (Level::DocumentTail, other) => Err(Stop::Syntax(format!(
                "expected a key or '}}' after the Records array, found {:?}",
                char::from(other)
            ))),
            _ => match value_len(&text[at..], at_end)? {
                Some(len) => Ok(Some(self.deliver(text, at, len, emit))),
                None => Ok(None),
            },
        }
    }

    fn enter(&mut self, level: Level, next: usize) -> Result<Option<usize>, Stop> {
        self.level = level;
        Ok(Some(next))
    }

    fn deliver(&mut self, text: &[u8], at: usize, len: usize, emit: &mut impl Records) -> usize {
        self.seen += 1;
        if len > self.max_record {
            emit.too_large(len);
        } else {
            emit.record(&text[at..at + len]);
        }
        at + len
    }
}

/// Where a value over the limit ends, found as its text streams by: brackets counted
/// outside strings, escapes followed, nothing kept but the count of bytes.
#[derive(Debug, Default)]
struct Skip {
    /// Bytes of the value passed so far.
    bytes: usize,
    depth: usize,
    in_string: bool,
    /// The last byte seen was a backslash inside a string.
    escaped: bool,
    /// A scalar (a number or literal) runs to the next delimiter.
    scalar: bool,
}

impl Skip {
    /// Follows the value through `text`: the bytes it still takes when it ends in
    /// `text`, `None` when it goes on past it.
    fn feed(&mut self, text: &[u8]) -> Option<usize> {
        let mut i = 0;
        if self.bytes == 0 && !text.is_empty() {
            match text[0] {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth = 1,
                _ => self.scalar = true,
            }
            i = 1;
        }
        let end = self.through(text, i);
        self.bytes += end.unwrap_or(text.len());
        end
    }

    fn through(&mut self, text: &[u8], mut i: usize) -> Option<usize> {
        while i < text.len() {
            if self.escaped {
                self.escaped = false;
                i += 1;
                continue;
            }
            if self.in_string {
                let j = i + memchr::memchr2(b'"', b'\\', &text[i..])?;
                i = j + 1;
                if text[j] == b'\\' {
                    // The escaped byte may lie in the next piece of text.
                    self.escaped = true;
                } else {
                    self.in_string = false;
                    if self.depth == 0 {
                        return Some(i);
                    }
                }
                continue;
            }
            let c = text[i];
            if self.scalar {
                if matches!(c, b',' | b'}' | b']') || c.is_ascii_whitespace() {
                    return Some(i);
                }
            } else {
                match c {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        self.depth = self.depth.saturating_sub(1);
                        if self.depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        None
    }
}

/// Scans the keys of the object at `at` (depth 1 only, values skipped by bracket
/// matching) for a `Records` array, so key order never matters. An object whose keys
/// cannot be scanned is cut out whole, for the typed parse to report.
fn document_shape(text: &[u8], at: usize) -> Shape {
    let mut i = at + 1;
    loop {
        i = skip_ws(text, i);
        match text.get(i) {
            None => return Shape::Incomplete,
            Some(b'}') => return Shape::Plain(i + 1 - at),
            Some(b',') => {
                i += 1;
                continue;
            }
            Some(b'"') => {}
            Some(_) => return cut_whole(text, at),
        }
        let Some(key_end) = string_end(text, i) else { return Shape::Incomplete };
        let key = &text[i + 1..key_end - 1];
        i = skip_ws(text, key_end);
        match text.get(i) {
            None => return Shape::Incomplete,
            Some(b':') => i = skip_ws(text, i + 1),
            Some(_) => return cut_whole(text, at),
        }
        match text.get(i) {
            None => return Shape::Incomplete,
            Some(b'[') if key == b"Records" => return Shape::Document { records_at: i + 1 },
            Some(_) => {}
        }
        match skip_len(&text[i..]) {
            Some(len) => i += len,
            None => return Shape::Incomplete,
        }
    }
}

fn cut_whole(text: &[u8], at: usize) -> Shape {
    balanced_len(&text[at..]).map_or(Shape::Incomplete, Shape::Plain)
}

impl Scanner {
    /// Skips one `"key": value` member of a document after its `Records` array; a second
    /// `Records` array is read like the first (AWS never writes two, but a document that
    /// does must not hide the records of either).
    fn tail_member(&mut self, text: &[u8], at: usize, at_end: bool) -> Result<Option<usize>, Stop> {
        let Some(key_end) = string_end(text, at) else { return Ok(None) };
        let i = skip_ws(text, key_end);
        match text.get(i) {
            None => return Ok(None),
            Some(b':') => {}
            Some(_) => return Err(Stop::Syntax("expected ':' after a key".to_string())),
        }
        let i = skip_ws(text, i + 1);
        if i == text.len() {
            return Ok(None);
        }
        if &text[at + 1..key_end - 1] == b"Records" && text[i] == b'[' {
            return self.enter(Level::Elements { in_document: true }, i + 1);
        }
        Ok(value_len(&text[i..], at_end)?.map(|len| i + len))
    }
}

/// Length of the value that opens `text`, to skip it while scanning keys: brackets are
/// matched, strings followed to their quote, anything else runs to the next delimiter
/// (a bad scalar is caught by the typed parse of the record). `None` when the text ends
/// first.
fn skip_len(text: &[u8]) -> Option<usize> {
    match text.first()? {
        b'{' | b'[' => balanced_len(text),
        b'"' => string_end(text, 0),
        _ => text.iter().position(|&c| matches!(c, b',' | b'}' | b']') || c.is_ascii_whitespace()),
    }
}

/// Cuts one JSON value from the start of `text`, returning its length in bytes, or
/// `None` when the text (not yet at its end) stops inside it. Objects and arrays are
/// cut by bracket matching; anything else is parsed.
fn value_len(text: &[u8], at_end: bool) -> Result<Option<usize>, Stop> {
    if matches!(text.first(), Some(b'{' | b'[')) {
        return Ok(balanced_len(text));
    }
    // A number or literal that runs to the end of a chunk (`-`, `1e`, `tru`) may go on in
    // the next one: serde would call the piece a syntax error.
    let token = text.iter().take_while(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b)).count();
    if token == text.len() && !at_end {
        return Ok(None);
    }
    let mut stream = serde_json::Deserializer::from_slice(text).into_iter::<&RawValue>();
    match stream.next() {
        // A number at the very end of a chunk may go on in the next one.
        Some(Ok(_)) if stream.byte_offset() == text.len() && !at_end => Ok(None),
        Some(Ok(_)) => Ok(Some(stream.byte_offset())),
        Some(Err(e)) => match Stop::from_json(e) {
            Stop::Truncated => Ok(None),
            syntax => Err(syntax),
        },
        None => Ok(None),
    }
}

/// Index just past the closing quote of the string that opens at `at`, skipping escapes;
/// `None` when the text ends first.
fn string_end(text: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    loop {
        let j = i + memchr::memchr2(b'"', b'\\', text.get(i..)?)?;
        if text[j] == b'"' {
            return Some(j + 1);
        }
        i = j + 2;
    }
}

/// Length of the object or array that opens `text`: up to the bracket that closes it,
/// skipping strings (and the escapes inside them). `None` when the text ends first.
/// Brackets are counted, not paired: a mismatched one is caught by the typed parse.
fn balanced_len(text: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'"' => {
                i = string_end(text, i)?;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn skip_ws(text: &[u8], mut at: usize) -> usize {
    while at < text.len() && text[at].is_ascii_whitespace() {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn collect(text: &str) -> (Vec<String>, Result<(), FileProblem>) {
        let mut out = Vec::new();
        let result = for_each_record(text.as_bytes(), |v| out.push(String::from_utf8_lossy(v).into_owned()));
        (out, result)
    }

    #[test]
    fn reads_delivery_files() {
        let (records, result) = collect(r#"{"Records":[{"a":1}, {"b":2}]}"#);
        assert_eq!(records, vec![r#"{"a":1}"#, r#"{"b":2}"#]);
        assert!(result.is_ok());
    }

    #[test]
    fn reads_bare_arrays_and_lines() {
        let (records, result) = collect("[{\"a\":1},\n 42]");
        assert_eq!(records, vec![r#"{"a":1}"#, "42"]);
        assert!(result.is_ok());
        let (records, result) = collect("{\"a\":1}\n{\"b\":2}\n\n");
        assert_eq!(records.len(), 2);
        assert!(result.is_ok());
    }

    #[test]
    fn finds_records_key_anywhere_in_the_object() {
        let (records, _) = collect(r#"{"foo":1,"Records":[{"a":1}]}"#);
        assert_eq!(records, vec![r#"{"a":1}"#]);
    }

    #[test]
    fn keeps_records_before_a_truncation() {
        let (records, result) = collect(r#"{"Records":[{"a":1},{"b":2},{"c":"#);
        assert_eq!(records.len(), 2);
        assert!(matches!(result, Err(FileProblem::TruncatedJson { records_before: 2 })));
    }

    #[test]
    fn reports_text_that_is_not_json() {
        let (records, result) = collect("this is not json");
        assert!(records.is_empty());
        assert!(matches!(result, Err(FileProblem::NotJson(_))));
        let (_, result) = collect("  \n ");
        assert!(matches!(result, Err(FileProblem::Empty)));
    }

    #[test]
    fn a_bad_record_does_not_hide_the_next() {
        // `{oops}` is cut out whole; its typed parse reports it, and `{"b":2}` is read.
        let (records, result) = collect("{\"a\":1}\n{oops}\n{\"b\":2}");
        assert_eq!(records, vec![r#"{"a":1}"#, "{oops}", r#"{"b":2}"#]);
        assert!(result.is_ok());
    }

    #[test]
    fn reports_garbage_after_good_records() {
        let (records, result) = collect("{\"a\":1}\nnonsense {\"b\":2}");
        assert_eq!(records.len(), 1);
        assert!(matches!(result, Err(FileProblem::BadJson { records_before: 1, .. })));
    }

    #[test]
    fn brackets_and_escapes_inside_strings_do_not_end_a_record() {
        let text = r#"{"Records":[{"a":"}]\"{[","b":{"c":[1,{"d":"\\"}]}},{"e":2}]}"#;
        let (records, result) = collect(text);
        assert_eq!(records, vec![r#"{"a":"}]\"{[","b":{"c":[1,{"d":"\\"}]}}"#, r#"{"e":2}"#]);
        assert!(result.is_ok());
        let (records, result) = collect(r#"{"Records":[{"a":"x\"#);
        assert!(records.is_empty());
        assert!(matches!(result, Err(FileProblem::TruncatedJson { records_before: 0 })));
    }

    #[test]
    fn reads_every_document_of_a_stream() {
        let text = "{\"Records\":[{\"a\":1}]}{\"Records\":[{\"b\":2},{\"c\":3}]}\n{\"Records\":[]}\n{\"d\":4}";
        let (records, result) = collect(text);
        assert_eq!(records, vec![r#"{"a":1}"#, r#"{"b":2}"#, r#"{"c":3}"#, r#"{"d":4}"#]);
        assert!(result.is_ok());
    }

    #[test]
    fn streams_records_wherever_the_key_sits_and_keeps_those_before_a_break() {
        let text = r#"{"v":{"x":[1,"]"]},"Records":[{"a":1},{"b":2},{"c":3}, nonsense"#;
        let (records, result) = collect(text);
        assert_eq!(records.len(), 3);
        assert!(matches!(result, Err(FileProblem::BadJson { records_before: 3, .. })), "{result:?}");
        let text = r#"{"v":1,"Records":[{"a":1},{"b":2},{"c":"#;
        let (records, result) = collect(text);
        assert_eq!(records.len(), 2);
        assert!(matches!(result, Err(FileProblem::TruncatedJson { records_before: 2 })));
    }

    #[test]
    fn skips_the_keys_after_the_records_array() {
        let text = r#"{"Records":[{"a":1}],"tail":{"Records":[{"no":1}]},"n":2} {"Records":[{"b":2}]}"#;
        let (records, result) = collect(text);
        assert_eq!(records, vec![r#"{"a":1}"#, r#"{"b":2}"#]);
        assert!(result.is_ok());
        let (_, result) = collect(r#"{"Records":[{"a":1}] 7}"#);
        assert!(matches!(result, Err(FileProblem::BadJson { records_before: 1, .. })));
    }

    #[test]
    fn a_second_records_array_in_one_document_is_read_too() {
        let (records, result) = collect(r#"{"Records":[{"a":1}],"x":2,"Records":[{"b":2}],"Records":7} {"Records":[{"c":3}]}"#);
        assert_eq!(records, vec![r#"{"a":1}"#, r#"{"b":2}"#, r#"{"c":3}"#]);
        assert!(result.is_ok());
    }

    /// Records of `text` scanned with a limit, fed `chunk` bytes at a time, and the
    /// sizes of those skipped.
    fn collect_limited(text: &[u8], chunk: usize, limit: usize) -> (Vec<String>, Vec<usize>, String) {
        struct Both<'a>(&'a mut Vec<String>, &'a mut Vec<usize>);
        impl Records for Both<'_> {
            fn object(&mut self, _: &[u8]) -> Option<usize> {
                None
            }
            fn record(&mut self, raw: Slice<'_>) {
                self.0.push(String::from_utf8_lossy(raw).into_owned());
            }
            fn too_large(&mut self, bytes: usize) {
                self.1.push(bytes);
            }
        }
        let (mut kept, mut skipped) = (Vec::new(), Vec::new());
        let end = scan_in_chunks(&mut &text[..], chunk, limit, &mut Both(&mut kept, &mut skipped));
        (kept, skipped, format!("{:?}", end.problem))
    }

    #[test]
    fn a_record_over_the_limit_is_skipped_and_the_next_is_read_however_the_text_is_cut() {
        let big = format!(r#"{{"u":"{}\"]}}\\","v":[{{}}]}}"#, "x".repeat(300));
        let text = format!(r#"{{"Records":[{{"a":1}},{big},"{}",{{"b":2}}]}} {big} {{"c":3}}"#, "y".repeat(200));
        for chunk in [1, 7, 64, 1000, 100_000] {
            let (kept, skipped, problem) = collect_limited(text.as_bytes(), chunk, 100);
            assert_eq!(kept, [r#"{"a":1}"#, r#"{"b":2}"#, r#"{"c":3}"#], "chunk {chunk}");
            assert_eq!(skipped.len(), 3, "chunk {chunk}: {skipped:?}");
            assert!(skipped.iter().all(|&n| n > 100), "chunk {chunk}: {skipped:?}");
            assert_eq!(problem, "None", "chunk {chunk}");
        }
        let mut whole = (Vec::new(), 0usize);
        struct Count<'a>(&'a mut (Vec<String>, usize));
        impl Records for Count<'_> {
            fn object(&mut self, _: &[u8]) -> Option<usize> {
                None
            }
            fn record(&mut self, raw: Slice<'_>) {
                self.0 .0.push(String::from_utf8_lossy(raw).into_owned());
            }
            fn too_large(&mut self, _: usize) {
                self.0 .1 += 1;
            }
        }
        scan_whole(text.as_bytes(), 100, &mut Count(&mut whole));
        assert_eq!((whole.0.len(), whole.1), (3, 3));
    }

    #[test]
    fn a_byte_order_mark_may_open_each_document() {
        let (records, result) = collect("\u{feff}{\"Records\":[{\"a\":1}]}\n\u{feff}{\"Records\":[{\"b\":2}]}");
        assert_eq!(records.len(), 2);
        assert!(result.is_ok());
    }

    /// Records and outcome of scanning `text` fed `chunk` bytes at a time.
    fn collect_chunked(text: &[u8], chunk: usize) -> (Vec<Vec<u8>>, String) {
        let mut out = Vec::new();
        let end = scan_in_chunks(&mut &text[..], chunk, usize::MAX, &mut Each(|v: Slice<'_>| out.push(v.to_vec())));
        (out, format!("{:?}", end.problem))
    }

    proptest! {
        /// Chunk boundaries never change what is read: fed in pieces of any size, the
        /// scanner gives the records and the outcome of one pass over the whole text,
        /// which is also what [`scan_whole`] gives.
        #[test]
        fn chunking_never_changes_the_records(
            docs in proptest::collection::vec(proptest::collection::vec(json_value(), 0..4), 1..4),
            cut in 0usize..400,
            chunk in 1usize..64,
        ) {
            let mut text = String::new();
            for (i, records) in docs.iter().enumerate() {
                let doc = serde_json::json!({ "Alpha": i, "Records": records, "z": [i] });
                text.push_str(&doc.to_string());
                text.push('\n');
            }
            let text = &text.as_bytes()[..cut.min(text.len())];
            let whole = collect_chunked(text, text.len() + 1);
            prop_assert_eq!(collect_chunked(text, chunk), whole.clone());
            let mut in_place = Vec::new();
            let end = scan_whole(text, usize::MAX, &mut Each(|v: Slice<'_>| in_place.push(v.to_vec())));
            prop_assert_eq!((in_place, format!("{:?}", end.problem)), whole);
        }
    }

    #[test]
    fn a_number_cut_by_a_chunk_boundary_is_read_whole() {
        // Found by the property above: `-` at the end of a chunk is not a syntax error.
        let text = br#"{"Alpha":0,"Records":[-1"#;
        assert_eq!(collect_chunked(text, 23), collect_chunked(text, text.len() + 1));
    }

    proptest! {
        /// The bracket scan agrees with serde_json on where any valid value ends.
        #[test]
        fn balanced_len_matches_serde(v in json_value(), tail in "[ \n,\\]\\}a-z0-9]{0,8}") {
            let text = serde_json::to_string(&v).unwrap();
            if text.starts_with('{') || text.starts_with('[') {
                let joined = format!("{text}{tail}");
                prop_assert_eq!(balanced_len(joined.as_bytes()), Some(text.len()));
            }
        }
    }

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i32>().prop_map(serde_json::Value::from),
            "[\\PC\"\\\\{}\\[\\]]{0,12}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
                proptest::collection::btree_map("[a-z\"{}]{0,5}", inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
