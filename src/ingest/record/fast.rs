//! The common case of [`RawRecord`], read without serde: one pass over the record's
//! text that checks its JSON as strictly as serde_json does and picks out the fields
//! trailsight uses, skipping the rest.
//!
//! [`read`] answers only when it is sure: a record it returns is the one
//! `serde_json::from_slice` would return, field for field. Anything it does not handle
//! itself (escapes in a key of the record or in a field it keeps, a field of an
//! unexpected type, a duplicate key, deep nesting, bad JSON, a text that does not end
//! with the record) makes it answer `None`, and the caller parses the record with serde, which says what is
//! wrong with it. So serde stays the one judge of every record that is not plain, and
//! every reason a record is refused is still serde's, word for word.
//!
//! Where serde_json is lenient this is too, so the two agree on what is valid JSON:
//! strings that are skipped, keys inside skipped values among them, are not checked for
//! UTF-8 (serde_json does not check them either) but their escapes and control
//! characters are, numbers follow JSON's grammar, white space is JSON's four bytes.

use super::{RawIdentity, RawRecord};
use serde::de::IgnoredAny;
use std::borrow::Cow;

/// Containers nested deeper than this are left to serde (its own limit is 128).
const MAX_DEPTH: u32 = 64;

/// Reads the record that is all of `text`, or says `None` when serde must.
pub(super) fn read(text: &[u8]) -> Option<RawRecord<'_>> {
    read_prefix(text).and_then(|(rec, len)| (len == text.len()).then_some(rec))
}

/// Reads the record that opens `text` and says how long it is, or says `None` when
/// serde must read it (or `text` ends inside it). Its length is where bracket matching
/// would cut it: a valid object ends at the brace that closes it.
pub(super) fn read_prefix(text: &[u8]) -> Option<(RawRecord<'_>, usize)> {
    let mut cur = Cursor { text, at: 0 };
    let rec = cur.record()?;
    Some((rec, cur.at))
}

struct Cursor<'a> {
    text: &'a [u8],
    at: usize,
}

/// A key of [`RawRecord`] or [`RawIdentity`]: its bit in the set of keys seen (a second
/// one is serde's "duplicate field" error).
macro_rules! once {
    ($seen:ident, $bit:expr) => {{
        let bit = 1u32 << $bit;
        if $seen & bit != 0 {
            return None;
        }
        $seen |= bit;
    }};
}

impl<'a> Cursor<'a> {
    fn record(&mut self) -> Option<RawRecord<'a>> {
        let mut rec = RawRecord::default();
        let mut seen = 0u32;
        self.members(|cur, key| {
            match key {
                b"eventTime" => { once!(seen, 0); rec.event_time = cur.text_value()?; }
                b"eventSource" => { once!(seen, 1); rec.event_source = cur.text_value()?; }
                b"eventName" => { once!(seen, 2); rec.event_name = cur.text_value()?; }
                b"awsRegion" => { once!(seen, 3); rec.aws_region = cur.text_value()?; }
                b"eventID" => { once!(seen, 4); rec.event_id = cur.text_value()?; }
                b"eventType" => { once!(seen, 5); rec.event_type = cur.text_value()?; }
                b"eventCategory" => { once!(seen, 6); rec.event_category = cur.text_value()?; }
                b"errorCode" => { once!(seen, 7); rec.error_code = cur.text_value()?; }
                b"recipientAccountId" => { once!(seen, 8); rec.recipient_account_id = cur.text_value()?; }
                b"userAgent" => { once!(seen, 9); rec.user_agent = cur.text_value()?; }
                b"sourceIPAddress" => { once!(seen, 10); rec.source_ip_address = cur.text_value()?; }
                b"readOnly" => { once!(seen, 11); rec.read_only = cur.flag_value()?; }
                b"managementEvent" => { once!(seen, 12); rec.management_event = cur.flag_value()?; }
                b"userIdentity" => { once!(seen, 13); rec.user_identity = cur.identity()?; }
                b"@timestamp" => { once!(seen, 14); rec.at_timestamp = cur.present()?; }
                b"digestStartTime" => { once!(seen, 15); rec.digest_start_time = cur.present()?; }
                b"digestEndTime" => { once!(seen, 16); rec.digest_end_time = cur.present()?; }
                b"logFiles" => { once!(seen, 17); rec.log_files = cur.present()?; }
                _ => cur.skip_value()?,
            }
            Some(())
        })?;
        Some(rec)
    }

    /// `userIdentity`: null, or an object whose four keys trailsight reads.
    fn identity(&mut self) -> Option<Option<RawIdentity<'a>>> {
        if self.null()? {
            return Some(None);
        }
        let mut id = RawIdentity::default();
        let mut seen = 0u32;
        self.members(|cur, key| {
            match key {
                b"arn" => { once!(seen, 0); id.arn = cur.text_value()?; }
                b"accountId" => { once!(seen, 1); id.account_id = cur.text_value()?; }
                b"invokedBy" => { once!(seen, 2); id.invoked_by = cur.text_value()?; }
                b"principalId" => { once!(seen, 3); id.principal_id = cur.text_value()?; }
                _ => cur.skip_value()?,
            }
            Some(())
        })?;
        Some(Some(id))
    }

    /// An object whose keys decide what is read: `member` reads the value of each key.
    fn members(&mut self, mut member: impl FnMut(&mut Self, &'a [u8]) -> Option<()>) -> Option<()> {
        self.expect(b'{')?;
        if self.object_is_empty()? {
            return Some(());
        }
        loop {
            let key = self.key()?;
            member(self, key)?;
            if !self.next_member()? {
                return Some(());
            }
        }
    }

    /// After `{` and white space: true (and past it) when the object closes at once.
    fn object_is_empty(&mut self) -> Option<bool> {
        self.ws();
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(true);
        }
        Some(false)
    }

    /// A member's key of the record or of `userIdentity`, and the colon after it. A key
    /// with an escape is left to serde, which compares keys after unescaping; serde
    /// also checks these keys' UTF-8.
    fn key(&mut self) -> Option<&'a [u8]> {
        self.ws();
        self.expect(b'"')?;
        let (content, escaped, ascii) = self.string_body()?;
        if escaped || (!ascii && std::str::from_utf8(content).is_err()) {
            return None;
        }
        self.colon()?;
        Some(content)
    }

    /// A key inside a skipped value, and the colon after it: any string, as serde skips
    /// it (escapes checked, UTF-8 not).
    fn skipped_key(&mut self) -> Option<()> {
        self.ws();
        self.expect(b'"')?;
        self.string_body()?;
        self.colon()
    }

    fn colon(&mut self) -> Option<()> {
        self.ws();
        self.expect(b':')?;
        self.ws();
        Some(())
    }

    /// After a member's value: true past a comma, false past the closing brace.
    fn next_member(&mut self) -> Option<bool> {
        self.ws();
        match self.bump()? {
            b',' => Some(true),
            b'}' => Some(false),
            _ => None,
        }
    }

    /// A string field: null or a string without escapes, borrowed (serde would make an
    /// escaped one an owned copy; that is left to it).
    fn text_value(&mut self) -> Option<Option<Cow<'a, str>>> {
        if self.null()? {
            return Some(None);
        }
        self.expect(b'"')?;
        let (content, escaped, ascii) = self.string_body()?;
        if escaped {
            return None;
        }
        let text = if ascii {
            // SAFETY: every byte is below 0x80: ASCII, which is valid UTF-8.
            unsafe { std::str::from_utf8_unchecked(content) }
        } else {
            std::str::from_utf8(content).ok()?
        };
        Some(Some(Cow::Borrowed(text)))
    }

    /// `readOnly` and `managementEvent`: a bool, null, or a string read as a bool.
    fn flag_value(&mut self) -> Option<Option<bool>> {
        match self.peek()? {
            b't' => self.literal(b"true").map(|()| Some(true)),
            b'f' => self.literal(b"false").map(|()| Some(false)),
            b'n' => self.literal(b"null").map(|()| None),
            b'"' => Some(self.text_value()?.and_then(|t| t.parse().ok())),
            _ => None,
        }
    }

    /// A field only asked about for being there: null is absent, as for serde's
    /// `Option<IgnoredAny>`.
    fn present(&mut self) -> Option<Option<IgnoredAny>> {
        if self.null()? {
            return Some(None);
        }
        self.skip_value()?;
        Some(Some(IgnoredAny))
    }

    /// Past `null` when the value is null.
    fn null(&mut self) -> Option<bool> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Some(true);
        }
        Some(false)
    }

    /// Skips one value, checking it is valid JSON, without recursion.
    fn skip_value(&mut self) -> Option<()> {
        // One bit per open container, set for an object.
        let mut objects = 0u64;
        let mut depth = 0u32;
        loop {
            // A value starts here.
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    self.string_body()?;
                }
                open @ (b'{' | b'[') => {
                    self.at += 1;
                    self.ws();
                    let close = if open == b'{' { b'}' } else { b']' };
                    if self.peek()? == close {
                        self.at += 1;
                    } else {
                        depth += 1;
                        if depth > MAX_DEPTH {
                            return None;
                        }
                        objects = objects << 1 | u64::from(open == b'{');
                        if open == b'{' {
                            self.skipped_key()?;
                        }
                        continue;
                    }
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            }
            // After a value: close what ends here, stop at the next member or element.
            loop {
                if depth == 0 {
                    return Some(());
                }
                self.ws();
                let in_object = objects & 1 == 1;
                match self.bump()? {
                    b',' => {
                        if in_object {
                            self.skipped_key()?;
                        } else {
                            self.ws();
                        }
                        break;
                    }
                    b'}' if in_object => {}
                    b']' if !in_object => {}
                    _ => return None,
                }
                depth -= 1;
                objects >>= 1;
            }
        }
    }

    /// A number as JSON writes it: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        if self.peek()? == b'-' {
            self.at += 1;
        }
        match self.bump()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.text.get(self.at) == Some(&b'.') {
            self.at += 1;
            self.some_digits()?;
        }
        if matches!(self.text.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.text.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            self.some_digits()?;
        }
        Some(())
    }

    fn some_digits(&mut self) -> Option<()> {
        let start = self.at;
        self.digits();
        (self.at > start).then_some(())
    }

    fn digits(&mut self) {
        while self.text.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
    }

    /// The rest of a string after its opening quote: its raw content, whether it has
    /// escapes and whether it is all ASCII. Escapes must be JSON's and control
    /// characters are refused, as serde_json does.
    fn string_body(&mut self) -> Option<(&'a [u8], bool, bool)> {
        let start = self.at;
        let (mut escaped, mut high) = (false, false);
        loop {
            let (at, high_before) = special_from(self.text, self.at)?;
            (self.at, high) = (at, high || high_before);
            match self.text[self.at] {
                b'"' => {
                    let content = &self.text[start..self.at];
                    self.at += 1;
                    return Some((content, escaped, !high));
                }
                b'\\' => {
                    escaped = true;
                    self.escape()?;
                }
                _ => return None,
            }
        }
    }

    /// One escape, from its backslash.
    fn escape(&mut self) -> Option<()> {
        match *self.text.get(self.at + 1)? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 2,
            b'u' => {
                let hex = self.text.get(self.at + 2..self.at + 6)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                self.at += 6;
            }
            _ => return None,
        }
        Some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.text.get(self.at..self.at + word.len())? != word {
            return None;
        }
        self.at += word.len();
        Some(())
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.bump()? == byte).then_some(())
    }

    fn bump(&mut self) -> Option<u8> {
        let b = *self.text.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    /// JSON's white space: space, tab, line feed, carriage return.
    fn ws(&mut self) {
        while matches!(self.text.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }
}

/// Index of the first quote, backslash or control character at or after `at`, and
/// whether a byte above 0x7f comes before it; `None` when the text ends first. Sixteen
/// bytes at a time with SSE2, which every x86-64 processor has.
#[cfg(target_arch = "x86_64")]
fn special_from(text: &[u8], mut at: usize) -> Option<(usize, bool)> {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let mut high = false;
    while at + 16 <= text.len() {
        // SAFETY: the sixteen bytes from `at` lie inside `text` (an unaligned load), and
        // SSE2 is part of the x86-64 baseline.
        let (special, upper) = unsafe {
            let v = _mm_loadu_si128(text.as_ptr().add(at).cast());
            let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            // Unsigned v <= 0x1f: the larger of v and 0x1f is 0x1f.
            let control = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f));
            let special = _mm_or_si128(_mm_or_si128(quote, backslash), control);
            (_mm_movemask_epi8(special) as u32, _mm_movemask_epi8(v) as u32)
        };
        if special != 0 {
            let i = special.trailing_zeros();
            return Some((at + i as usize, high || upper & ((1 << i) - 1) != 0));
        }
        high |= upper != 0;
        at += 16;
    }
    special_in_tail(text, at, high)
}

#[cfg(not(target_arch = "x86_64"))]
fn special_from(text: &[u8], at: usize) -> Option<(usize, bool)> {
    special_from_words(text, at)
}

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// [`special_from`] eight bytes at a time in a `u64`, for any processor.
///
/// Each test is the classic "has a zero byte" trick, `(x - 0x01..) & !x & 0x80..`,
/// which may also flag a byte above a real match (a borrow) but never one below it: the
/// lowest flag of each is a real match, and so is the lowest of the three.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn special_from_words(text: &[u8], mut at: usize) -> Option<(usize, bool)> {
    let mut high = false;
    while let Some(chunk) = text.get(at..at + 8) {
        let v = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let quote = v ^ (ONES * u64::from(b'"'));
        let backslash = v ^ (ONES * u64::from(b'\\'));
        let found = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (v.wrapping_sub(ONES * 0x20) & !v);
        let found = found & HIGHS;
        if found != 0 {
            // The flag is the match's top bit: the bytes below it are its lower bits.
            let bit = found.trailing_zeros();
            let below = (1u64 << (bit - 7)) - 1;
            return Some((at + (bit / 8) as usize, high || v & HIGHS & below != 0));
        }
        high |= v & HIGHS != 0;
        at += 8;
    }
    special_in_tail(text, at, high)
}

/// [`special_from`] a byte at a time, for the last few bytes of a text.
fn special_in_tail(text: &[u8], at: usize, mut high: bool) -> Option<(usize, bool)> {
    for (i, &b) in text.get(at..)?.iter().enumerate() {
        if b == b'"' || b == b'\\' || b < 0x20 {
            return Some((at + i, high));
        }
        high |= b >= 0x80;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What serde makes of the text, in a form that compares.
    fn by_serde(text: &[u8]) -> Option<String> {
        serde_json::from_slice::<RawRecord>(text).ok().map(|r| format!("{r:?}"))
    }

    /// The one property: whenever the fast reader answers, serde agrees.
    fn agrees(text: &[u8]) -> bool {
        match read(text) {
            Some(rec) => by_serde(text) == Some(format!("{rec:?}")),
            None => true,
        }
    }

    const REAL: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROA:x","arn":"arn:aws:sts::123456789012:assumed-role/r/x","accountId":"123456789012","sessionContext":{"sessionIssuer":{"type":"Role"},"attributes":{"creationDate":"2023-07-10T12:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2023-07-10T12:11:15Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.13.0 Python/3.11.4","requestParameters":{"instancesSet":{"items":[{"imageId":"ami-1","minCount":1,"maxCount":-2.5e+3}]},"empty":{},"list":[],"flags":[true,false,null]},"responseElements":null,"requestID":"r","eventID":"e-1","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.2"}}"#;

    #[test]
    fn reads_a_real_record_as_serde_does() {
        let rec = read(REAL.as_bytes()).expect("a plain record is read");
        assert_eq!(Some(format!("{rec:?}")), by_serde(REAL.as_bytes()));
        assert!(matches!(rec.event_name, Some(Cow::Borrowed("RunInstances"))));
        assert_eq!(rec.read_only, Some(false));
    }

    #[test]
    fn a_record_followed_by_more_text_is_read_to_its_brace() {
        let text = format!("{REAL},{{\"next\":1}}]}}");
        let (rec, len) = read_prefix(text.as_bytes()).expect("read");
        assert_eq!(len, REAL.len());
        assert_eq!(format!("{rec:?}"), format!("{:?}", read(REAL.as_bytes()).unwrap()));
        assert!(read_prefix(&REAL.as_bytes()[..REAL.len() - 1]).is_none());
    }

    /// Real delivery files: every record is read by the fast path, as serde reads it.
    #[test]
    fn reads_every_real_record() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/real-cloudtrail");
        let mut records = 0;
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry = entry.expect("fixture folder");
            if !entry.path().extension().is_some_and(|e| e == "json") {
                continue;
            }
            let text = std::fs::read(entry.path()).expect("fixture");
            crate::ingest::parse::for_each_record(&text, |raw| {
                records += 1;
                let rec = read(raw).unwrap_or_else(|| panic!("left to serde: {}", String::from_utf8_lossy(raw)));
                assert_eq!(Some(format!("{rec:?}")), by_serde(raw));
            })
            .expect("well-formed fixture");
        }
        assert!(records > 3000, "{records} records");
    }

    #[test]
    fn leaves_to_serde_what_it_does_not_handle() {
        for text in [
            // escapes in a kept field or a key, a duplicate key, a wrong type
            REAL.replace("aws-cli/2.13.0", "aws-cli\\/2.13.0"),
            REAL.replace("\"eventName\"", "\"event\\u004eame\""),
            REAL.replace("\"eventType\"", "\"eventName\""),
            REAL.replace("\"us-east-1\"", "7"),
            REAL.replace("\"userIdentity\":{", "\"userIdentity\":[{").replace(",\"eventTime\"", "],\"eventTime\""),
            // bad JSON: number, literal, escape, control character, trailing text
            REAL.replace("-2.5e+3", "-02"),
            REAL.replace("-2.5e+3", "1."),
            REAL.replace("true,false", "tru,false"),
            REAL.replace("Role\"}", "Ro\\qle\"}"),
            REAL.replace("creationDate", "creation\tDate"),
            format!("{REAL} "),
            REAL[..REAL.len() - 1].to_string(),
        ] {
            assert!(read(text.as_bytes()).is_none(), "{text}");
        }
    }

    #[test]
    fn lenient_flags_and_absent_values_match_serde() {
        for text in [
            REAL.replace("\"readOnly\":false", "\"readOnly\":\"true\""),
            REAL.replace("\"readOnly\":false", "\"readOnly\":\"yes\""),
            REAL.replace("\"readOnly\":false", "\"readOnly\":null"),
            REAL.replace("\"eventType\":\"AwsApiCall\"", "\"@timestamp\":null"),
            REAL.replace("\"eventType\":\"AwsApiCall\"", "\"logFiles\":[1,{\"a\":[]}]"),
            REAL.replace("\"userIdentity\":{", "\"userIdentity\":null,\"x\":{"),
            REAL.replace("\"imageId\"", "\"image\\u0049d\\n\"").replace("\"flags\"", "\"dr\u{e4}ger\""),
            REAL.replace("\"tlsDetails\"", "\"t\u{e9}l\u{e9}\""),
            "{}".to_string(),
            " {\"eventName\" : \"x\" ,\r\n \"k\":[ ] }".trim_start().to_string(),
        ] {
            assert!(read(text.as_bytes()).is_some(), "{text}");
            assert!(agrees(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn finds_special_bytes_at_every_offset() {
        for find in [special_from, special_from_words] {
            for len in 0..40 {
                for at in 0..len {
                    for special in [b'"', b'\\', 0x00, 0x1f] {
                        let mut text = vec![b'a'; len];
                        text[at] = special;
                        if at + 1 < len {
                            text[at + 1] = b'"';
                        }
                        assert_eq!(find(&text, 0), Some((at, false)), "{len} {at} {special}");
                        for high_at in 0..len {
                            let mut text = text.clone();
                            if high_at == at {
                                continue;
                            }
                            text[high_at] = 0xc3;
                            assert_eq!(find(&text, 0), Some((at, high_at < at)), "{len} {at} {high_at}");
                        }
                    }
                }
                let plain: Vec<u8> =
                    (0..len).map(|i| 0x20 + (i * 37 % 0x60) as u8).filter(|&b| b != b'"' && b != b'\\').collect();
                assert_eq!(find(&plain, 0), None);
                let high = vec![0xc3u8; len];
                assert_eq!(find(&high, 0), None);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// Records cut, grown and damaged anywhere: the fast reader never answers
        /// differently from serde.
        #[test]
        fn never_disagrees_with_serde(at in 0usize..REAL.len(), len in 0usize..6, bytes in proptest::collection::vec(any::<u8>(), 0..6)) {
            let mut text = REAL.as_bytes().to_vec();
            let end = (at + len).min(text.len());
            text.splice(at..end, bytes);
            prop_assert!(agrees(&text));
        }

        /// Structural bytes dropped in anywhere.
        #[test]
        fn structure_anywhere(at in 0usize..REAL.len(), piece in proptest::sample::select(vec!["{", "}", "[", "]", ",", ":", "\"", "\\", " ", "null", "0", "-", "\\u12", "\"eventName\":\"a\",", "\u{e9}"])) {
            let mut text = REAL.as_bytes().to_vec();
            text.splice(at..at, piece.bytes());
            prop_assert!(agrees(&text));
        }
    }
}
