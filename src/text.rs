//! Text for a person's terminal: values that came from the input, made harmless.
//!
//! A userAgent, an ARN, an error code or a file name is chosen by whoever made the call
//! or wrote the file. Printed raw, an ESC sequence clears the analyst's screen or sets
//! the window title, a CR or LF fakes a row, and a bidi control (U+202E) reverses the
//! text after it. Every text and table output passes such values through
//! [`printable`], which spells those characters as escapes; JSON outputs are escaped
//! by serde_json instead. [`csv_cell`] also keeps a spreadsheet from running a value
//! as a formula (CWE-1236).

use std::borrow::Cow;
use std::fmt::Write;

/// True for a character that must not reach a terminal as it is: C0 controls (tab,
/// CR and LF among them), DEL, C1 controls, the bidi embeddings, overrides, isolates and
/// marks, and the Unicode line and paragraph separators.
pub fn is_unprintable(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{061c}' | '\u{200e}' | '\u{200f}'
        | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A path as [`printable`] shows it.
pub fn printable_path(path: &std::path::Path) -> String {
    printable(&path.display().to_string()).into_owned()
}

/// `s` with every [`is_unprintable`] character written as an escape: `\x1b` below
/// U+0080, `\u{202e}` above; borrowed unchanged when there is none.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unprintable) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            c if !is_unprintable(c) => out.push(c),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// One CSV field: [`printable`], prefixed with `'` when a spreadsheet would read it as a
/// formula (it starts with `=`, `+`, `-`, `@`, a tab or a CR), and quoted when it must be.
pub fn csv_cell(s: &str) -> String {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let s = printable(s);
    let s = if risky { Cow::Owned(format!("'{s}")) } else { s };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

/// A writer for text meant for a terminal: each line written through it reaches `out`
/// through [`printable`], its newline kept. A line still open is written on `flush`.
pub struct PrintableLines<W: std::io::Write> {
    out: W,
    line: Vec<u8>,
}

impl<W: std::io::Write> PrintableLines<W> {
    pub fn new(out: W) -> Self {
        Self { out, line: Vec::new() }
    }

    fn emit(&mut self, newline: bool) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(&self.line).into_owned();
        self.line.clear();
        self.out.write_all(printable(&text).as_bytes())?;
        if newline {
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }
}

impl<W: std::io::Write> std::io::Write for PrintableLines<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(at) = memchr::memchr(b'\n', rest) {
            self.line.extend_from_slice(&rest[..at]);
            self.emit(true)?;
            rest = &rest[at + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.line.is_empty() {
            self.emit(false)?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi_and_leaves_the_rest() {
        assert!(matches!(printable("aws-cli/2.15 Python/3.11 é 日本"), Cow::Borrowed(_)));
        assert_eq!(printable("a\x1b[2Jb\r\nc\td"), "a\\x1b[2Jb\\x0d\\x0ac\\x09d");
        assert_eq!(printable("x\u{202e}y\u{2066}z\u{9b}"), "x\\u{202e}y\\u{2066}z\\u{009b}");
        assert_eq!(printable("\u{7f}"), "\\x7f");
    }

    #[test]
    fn lines_keep_their_newlines_and_lose_their_controls() {
        use std::io::Write;
        let mut out = PrintableLines::new(Vec::new());
        write!(out, "a\x1b]0;title\x07\nb\r\nc\u{202e}").unwrap();
        out.flush().unwrap();
        assert_eq!(String::from_utf8(out.out).unwrap(), "a\\x1b]0;title\\x07\nb\\x0d\nc\\u{202e}");
    }

    #[test]
    fn csv_cells_are_never_formulas() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2+3"), "'-2+3");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\\x09x");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("aws-cli/2"), "aws-cli/2");
    }
}
