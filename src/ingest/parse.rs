//! Finding the records inside a file's text, one raw JSON value at a time.
//!
//! Accepted shapes: a delivery file `{"Records":[...]}`, a bare array of records, and a
//! stream of records (one per line, or just separated by white space). Records are cut
//! out as borrowed [`RawValue`]s before being typed, so one bad record never hides the
//! next, and a file cut off mid-way still yields every record before the cut.

use super::report::FileProblem;
use serde::Deserialize;
use serde_json::value::RawValue;

/// Calls `on_record` for each top-level record of `text`, in file order. Returns the
/// problem that stopped parsing early, if any; records before it were all delivered.
pub fn for_each_record<'a>(
    text: &'a [u8],
    mut on_record: impl FnMut(&'a RawValue),
) -> Result<(), FileProblem> {
    let start = skip_bom_and_ws(text, 0);
    if start == text.len() {
        return Err(FileProblem::Empty);
    }
    let mut seen = 0usize;
    let mut emit = |v: &'a RawValue| {
        seen += 1;
        on_record(v)
    };
    let result = match records_array_start(text, start) {
        Some(array_at) => for_each_element(text, array_at, &mut emit).map(|_| ()),
        None => for_each_top_level(text, start, &mut emit),
    };
    result.map_err(|e| e.into_problem(seen))
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

/// If the text opens with `{"Records":[`, the index just past the `[`.
fn records_array_start(text: &[u8], at: usize) -> Option<usize> {
    let mut i = skip_ws(text, at);
    if text.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(text, i + 1);
    let key = b"\"Records\"";
    if !text[i..].starts_with(key) {
        return None;
    }
    i = skip_ws(text, i + key.len());
    if text.get(i) != Some(&b':') {
        return None;
    }
    i = skip_ws(text, i + 1);
    (text.get(i) == Some(&b'[')).then_some(i + 1)
}

/// Walks the elements of an array whose `[` has been consumed, up to its `]`; returns
/// the index just past the `]`.
fn for_each_element<'a>(
    text: &'a [u8],
    mut at: usize,
    emit: &mut impl FnMut(&'a RawValue),
) -> Result<usize, Stop> {
    loop {
        at = skip_ws(text, at);
        match text.get(at) {
            None => return Err(Stop::Truncated),
            Some(b']') => return Ok(at + 1),
            Some(b',') => at += 1,
            Some(_) => {
                let (value, len) = next_value(&text[at..])?;
                emit(value);
                at += len;
            }
        }
    }
}

/// Walks a stream of top-level values: records, arrays of records, or `{"Records":...}`
/// objects whose key is not first.
fn for_each_top_level<'a>(
    text: &'a [u8],
    mut at: usize,
    emit: &mut impl FnMut(&'a RawValue),
) -> Result<(), Stop> {
    loop {
        at = skip_ws(text, at);
        if at >= text.len() {
            return Ok(());
        }
        if text[at] == b'[' {
            at = for_each_element(text, at + 1, emit)?;
            continue;
        }
        let (value, len) = next_value(&text[at..])?;
        match wrapped_records(value) {
            Some(records) => records.into_iter().for_each(&mut *emit),
            None => emit(value),
        }
        at += len;
    }
}

/// The records of an object that has a `Records` array somewhere among its keys.
fn wrapped_records(value: &RawValue) -> Option<Vec<&RawValue>> {
    #[derive(Deserialize)]
    struct Wrapper<'a> {
        #[serde(borrow, rename = "Records")]
        records: Option<Vec<&'a RawValue>>,
    }
    let text = value.get();
    if !text.starts_with('{') || !text.contains("\"Records\"") {
        return None;
    }
    serde_json::from_str::<Wrapper>(text).ok()?.records
}

/// Parses one JSON value at the start of `text`, returning it and its length in bytes.
fn next_value(text: &[u8]) -> Result<(&RawValue, usize), Stop> {
    let mut stream = serde_json::Deserializer::from_slice(text).into_iter::<&RawValue>();
    match stream.next() {
        Some(Ok(value)) => Ok((value, stream.byte_offset())),
        Some(Err(e)) => Err(Stop::from_json(e)),
        None => Err(Stop::Truncated),
    }
}

fn skip_ws(text: &[u8], mut at: usize) -> usize {
    while at < text.len() && text[at].is_ascii_whitespace() {
        at += 1;
    }
    at
}

fn skip_bom_and_ws(text: &[u8], at: usize) -> usize {
    let at = if text[at..].starts_with(&[0xEF, 0xBB, 0xBF]) { at + 3 } else { at };
    skip_ws(text, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &str) -> (Vec<String>, Result<(), FileProblem>) {
        let mut out = Vec::new();
        let result = for_each_record(text.as_bytes(), |v| out.push(v.get().to_string()));
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
    fn reports_garbage_after_good_records() {
        let (records, result) = collect("{\"a\":1}\n{oops}\n{\"b\":2}");
        assert_eq!(records.len(), 1);
        assert!(matches!(result, Err(FileProblem::BadJson { records_before: 1, .. })));
    }
}
