//! Decompression. Gzip is recognised by its magic bytes, not by the file name, so a
//! mislabelled file is still read; a truncated gzip keeps every byte that could be
//! inflated before the break.

use super::report::FileProblem;
use flate2::read::MultiGzDecoder;
use std::io::Read;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Returns the uncompressed bytes and, when the stream broke, what went wrong.
pub fn decompress(bytes: Vec<u8>) -> (Vec<u8>, Option<FileProblem>) {
    if !bytes.starts_with(&GZIP_MAGIC) {
        return (bytes, None);
    }
    // Delivery files inflate about ten-fold; reserving avoids most regrowth.
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(10));
    match MultiGzDecoder::new(&bytes[..]).read_to_end(&mut out) {
        Ok(_) => (out, None),
        Err(e) => (out, Some(FileProblem::BrokenGzip(e.to_string()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn passes_plain_bytes_through() {
        let (out, problem) = decompress(b"{}".to_vec());
        assert_eq!(out, b"{}");
        assert!(problem.is_none());
    }

    #[test]
    fn inflates_gzip() {
        let (out, problem) = decompress(gzip(b"hello world"));
        assert_eq!(out, b"hello world");
        assert!(problem.is_none());
    }

    #[test]
    fn keeps_the_readable_prefix_of_a_truncated_gzip() {
        let data: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let mut gz = gzip(&data);
        gz.truncate(gz.len() / 2);
        let (out, problem) = decompress(gz);
        assert!(matches!(problem, Some(FileProblem::BrokenGzip(_))));
        assert!(!out.is_empty() && out.len() < data.len());
        assert_eq!(&data[..out.len()], &out[..]);
    }
}
