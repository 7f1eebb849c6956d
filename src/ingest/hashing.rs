//! SHA-256 of a file's bytes as they are read, for the nightly manifest: a file that was
//! only touched or moved is recognised by its content without being read twice.

use std::io::{self, Read};

/// A reader that hashes every byte it passes on.
pub(super) struct Hashing<R> {
    inner: R,
    digest: ring::digest::Context,
    bytes: u64,
}

impl<R: Read> Hashing<R> {
    pub(super) fn new(inner: R) -> Self {
        Self { inner, digest: ring::digest::Context::new(&ring::digest::SHA256), bytes: 0 }
    }

    /// The hex SHA-256 of what was read, if that was all of a file of `size` bytes
    /// (a file cut at the size limit, or that failed midway, has no content hash).
    pub(super) fn sha256_of_whole(self, size: Option<u64>) -> Option<String> {
        (size == Some(self.bytes)).then(|| hex::encode(self.digest.finish()))
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.digest.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}
