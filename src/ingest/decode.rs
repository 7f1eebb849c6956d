//! Reading a file's bytes: bounded, and decompressed as they stream.
//!
//! The format is recognised by its first bytes, not by the file name, so a mislabelled
//! file is still read. Gzip is inflated member after member (`cat *.json.gz` is one valid
//! multi-member stream); a truncated gzip keeps every byte that could be inflated before
//! the break. Every read goes through a [`Capped`] reader: the input decides neither how
//! long a file is read nor how much memory it takes (a gzip bomb or `/dev/zero` stops at
//! the limit, see [`super::ReadLimits`]).

use std::io::{self, Read, Take};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const PARQUET_MAGIC: &[u8; 4] = b"PAR1";

/// What a file holds, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A counts table (see [`super::counts`]).
    Parquet,
    Gzip,
    /// Anything else is read as text.
    Plain,
}

/// Bytes needed to tell the formats apart.
pub const HEAD_LEN: usize = 4;

pub fn sniff(head: &[u8]) -> Format {
    if head.starts_with(PARQUET_MAGIC) {
        Format::Parquet
    } else if head.starts_with(&GZIP_MAGIC) {
        Format::Gzip
    } else {
        Format::Plain
    }
}

/// The first [`HEAD_LEN`] bytes of `source` (fewer if it is shorter).
pub fn read_head(source: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD_LEN);
    source.take(HEAD_LEN as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// A reader that yields at most `cap` bytes of its source and remembers whether the
/// source had more: the difference between a file that ends at the limit and one that
/// was cut there.
#[derive(Debug)]
pub struct Capped<R> {
    inner: Take<R>,
    cap: u64,
    over: bool,
}

impl<R: Read> Capped<R> {
    pub fn new(inner: R, cap: u64) -> Self {
        Self { inner: inner.take(cap), cap, over: false }
    }

    /// Bytes yielded so far.
    pub fn yielded(&self) -> u64 {
        self.cap - self.inner.limit()
    }

    /// True once the source was found to go on past the cap.
    pub fn is_over(&self) -> bool {
        self.over
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() && self.inner.limit() == 0 && !self.over {
            // One byte more tells a cut from an end. A source that fails there (a gzip
            // stream broken past the cap) also went on past it.
            self.over = !matches!(self.inner.get_mut().read(&mut [0u8]), Ok(0));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::MultiGzDecoder;
    use crate::testutil::gzip;


    fn inflate(gz: &[u8]) -> (Vec<u8>, io::Result<usize>) {
        let mut out = Vec::new();
        let result = MultiGzDecoder::new(gz).read_to_end(&mut out);
        (out, result)
    }

    #[test]
    fn tells_formats_by_their_first_bytes() {
        assert_eq!(sniff(&gzip(b"x")[..HEAD_LEN]), Format::Gzip);
        assert_eq!(sniff(b"PAR1"), Format::Parquet);
        assert_eq!(sniff(b"{}"), Format::Plain);
        assert_eq!(sniff(b""), Format::Plain);
        assert_eq!(read_head(&mut &b"ab"[..]).unwrap(), b"ab");
    }

    #[test]
    fn inflates_every_member() {
        let mut gz = gzip(b"hello ");
        gz.extend(gzip(b"world"));
        assert_eq!(inflate(&gz).0, b"hello world");
    }

    #[test]
    fn keeps_the_readable_prefix_of_a_truncated_gzip() {
        let data: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let mut gz = gzip(&data);
        gz.truncate(gz.len() / 2);
        let (out, result) = inflate(&gz);
        assert!(result.is_err());
        assert!(!out.is_empty() && out.len() < data.len());
        assert_eq!(&data[..out.len()], &out[..]);
    }

    #[test]
    fn a_cap_stops_the_read_and_says_whether_it_cut() {
        let mut cut = Capped::new(&b"0123456789"[..], 4);
        let mut out = Vec::new();
        cut.read_to_end(&mut out).unwrap();
        assert_eq!((out.as_slice(), cut.yielded(), cut.is_over()), (&b"0123"[..], 4, true));
        let mut exact = Capped::new(&b"0123"[..], 4);
        exact.read_to_end(&mut Vec::new()).unwrap();
        assert!(!exact.is_over());
        let mut zeros = Capped::new(io::repeat(0), 1 << 20);
        assert_eq!(io::copy(&mut zeros, &mut io::sink()).unwrap(), 1 << 20);
        assert!(zeros.is_over());
    }
}
