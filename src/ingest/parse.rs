//! Finding the records inside a file's text, one raw JSON value at a time.
//!
//! Accepted shapes: a delivery file `{"Records":[...]}`, a bare array of records, and a
//! stream of records (one per line, or just separated by white space). Each record is
//! cut out of the text by matching its brackets outside strings, a scan far cheaper than
//! a parse, and then typed once (see [`super::record::to_event`]): one bad record never
//! hides the next, and a file cut off mid-way still yields every record before the cut.
//! Values that are not objects or arrays are cut out by serde_json.

use super::report::FileProblem;
use serde::Deserialize;
use serde_json::value::RawValue;

/// One top-level value's JSON text.
pub type Slice<'a> = &'a [u8];

/// Calls `on_record` for each top-level record of `text`, in file order. Returns the
/// problem that stopped parsing early, if any; records before it were all delivered.
pub fn for_each_record<'a>(
    text: &'a [u8],
    mut on_record: impl FnMut(Slice<'a>),
) -> Result<(), FileProblem> {
    let start = skip_bom_and_ws(text, 0);
    if start == text.len() {
        return Err(FileProblem::Empty);
    }
    let mut seen = 0usize;
    let mut emit = |v: Slice<'a>| {
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
    emit: &mut impl FnMut(Slice<'a>),
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
    emit: &mut impl FnMut(Slice<'a>),
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
fn wrapped_records(value: Slice<'_>) -> Option<Vec<Slice<'_>>> {
    #[derive(Deserialize)]
    struct Wrapper<'a> {
        #[serde(borrow, rename = "Records")]
        records: Option<Vec<&'a RawValue>>,
    }
    if !value.starts_with(b"{") || memchr::memmem::find(value, b"\"Records\"").is_none() {
        return None;
    }
    let records = serde_json::from_slice::<Wrapper>(value).ok()?.records?;
    Some(records.into_iter().map(|r| r.get().as_bytes()).collect())
}

/// Cuts one JSON value from the start of `text`, returning it and its length in bytes.
/// Objects and arrays are cut by bracket matching; anything else is parsed.
fn next_value(text: &[u8]) -> Result<(Slice<'_>, usize), Stop> {
    if matches!(text.first(), Some(b'{' | b'[')) {
        let len = balanced_len(text).ok_or(Stop::Truncated)?;
        return Ok((&text[..len], len));
    }
    let mut stream = serde_json::Deserializer::from_slice(text).into_iter::<&RawValue>();
    match stream.next() {
        Some(Ok(value)) => Ok((value.get().as_bytes(), stream.byte_offset())),
        Some(Err(e)) => Err(Stop::from_json(e)),
        None => Err(Stop::Truncated),
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
                i += 1;
                loop {
                    let j = i + memchr::memchr2(b'"', b'\\', &text[i..])?;
                    if text[j] == b'"' {
                        i = j;
                        break;
                    }
                    i = j + 2;
                    if i > text.len() {
                        return None;
                    }
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
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

fn skip_bom_and_ws(text: &[u8], at: usize) -> usize {
    let at = if text[at..].starts_with(&[0xEF, 0xBB, 0xBF]) { at + 3 } else { at };
    skip_ws(text, at)
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
