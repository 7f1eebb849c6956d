//! SHA-256 of a file's bytes as they are read, for the nightly manifest: a file that was
//! only touched or moved is recognised by its content without being read twice.

use std::io::{self, Read};

/// A reader that hashes every byte it passes on, when asked to.
pub(super) struct Hashing<R> {
    inner: R,
    digest: Option<ring::digest::Context>,
    bytes: u64,
}

impl<R: Read> Hashing<R> {
    /// Passes `inner` on, hashing it if `hash`.
    pub(super) fn new(inner: R, hash: bool) -> Self {
        Self { inner, digest: hash.then(|| ring::digest::Context::new(&ring::digest::SHA256)), bytes: 0 }
    }

    /// The hex SHA-256 of what was read, if it was hashed and was all of a file of
    /// `size` bytes (a file cut at the size limit, or that failed midway, has none).
    pub(super) fn sha256_of_whole(self, size: Option<u64>) -> Option<String> {
        let digest = self.digest?;
        (size == Some(self.bytes)).then(|| hex::encode(digest.finish()))
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(digest) = &mut self.digest {
            digest.update(&buf[..n]);
        }
        self.bytes += n as u64;
        Ok(n)
    }
}
