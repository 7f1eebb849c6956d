//! Whole-file gzip inflation with libdeflate, the fast path for delivery files.
//!
//! CloudTrail delivers small gzip files (a few KB to a few MB), each one gzip member.
//! libdeflate inflates a member held in memory about twice as fast as a streaming
//! inflater, but needs the whole input and an output buffer large enough: so this path
//! takes only well-formed files within the size limit, member after member, and says
//! `None` for anything else (a broken or truncated stream, bytes after the last member,
//! a text over the limit). The caller then streams the same bytes through flate2, which
//! keeps every record before a break and reports it exactly as before.

use libdeflate_sys::{
    libdeflate_alloc_decompressor, libdeflate_decompressor, libdeflate_free_decompressor, libdeflate_gzip_decompress_ex,
    libdeflate_result_LIBDEFLATE_INSUFFICIENT_SPACE, libdeflate_result_LIBDEFLATE_SUCCESS,
};
use std::cell::RefCell;
use std::mem::MaybeUninit;

/// Largest stored file the fast path holds in memory; larger files are streamed.
pub const MAX_STORED: usize = 32 << 20;

/// Largest text the fast path inflates into memory (per reading thread): a file whose
/// text is larger, a gzip bomb among them, is streamed in bounded chunks instead.
pub const MAX_TEXT: usize = 64 << 20;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// One libdeflate decompressor (about 32 KB of tables), owned by a thread.
struct Decompressor(*mut libdeflate_decompressor);

impl Decompressor {
    fn new() -> Option<Self> {
        // SAFETY: allocation has no preconditions; a null result is handled.
        let p = unsafe { libdeflate_alloc_decompressor() };
        (!p.is_null()).then_some(Self(p))
    }

    /// Inflates the gzip member at the start of `input` into `out`: `Ok((in, out))` bytes
    /// used (the first `out` bytes of `out` are then written), or `Err(true)` when `out`
    /// is too small, `Err(false)` for bad data. `out` need not be initialised: libdeflate
    /// only writes to it, so the text is not zero-filled first.
    fn member(&mut self, input: &[u8], out: &mut [MaybeUninit<u8>]) -> Result<(usize, usize), bool> {
        let (mut used_in, mut used_out) = (0usize, 0usize);
        // SAFETY: the pointers and lengths come from live slices, the decompressor is
        // this thread's own, and libdeflate writes at most `out.len()` bytes.
        let result = unsafe {
            libdeflate_gzip_decompress_ex(
                self.0,
                input.as_ptr().cast(),
                input.len(),
                out.as_mut_ptr().cast(),
                out.len(),
                &mut used_in,
                &mut used_out,
            )
        };
        match result {
            r if r == libdeflate_result_LIBDEFLATE_SUCCESS => Ok((used_in, used_out)),
            r if r == libdeflate_result_LIBDEFLATE_INSUFFICIENT_SPACE => Err(true),
            _ => Err(false),
        }
    }
}

impl Drop for Decompressor {
    fn drop(&mut self) {
        // SAFETY: allocated by libdeflate_alloc_decompressor, freed once.
        unsafe { libdeflate_free_decompressor(self.0) }
    }
}

thread_local! {
    static DECOMPRESSOR: RefCell<Option<Decompressor>> = RefCell::new(Decompressor::new());
}

/// The text of a whole gzip file, every member, if it is well formed and its text is at
/// most `limit` bytes (and [`MAX_TEXT`]); `None` otherwise.
pub fn whole(gz: &[u8], limit: u64) -> Option<Vec<u8>> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX).min(MAX_TEXT);
    DECOMPRESSOR.with_borrow_mut(|d| {
        let d = d.as_mut()?;
        // The trailer's ISIZE is the text length of the last member (mod 2^32): exact for
        // the usual one-member file, a first guess otherwise.
        let isize_hint = gz.len().checked_sub(4).map_or(0, |t| u32::from_le_bytes([gz[t], gz[t + 1], gz[t + 2], gz[t + 3]]) as usize);
        let mut out: Vec<u8> = Vec::new();
        let mut at = 0;
        while at < gz.len() {
            let member = &gz[at..];
            if !member.starts_with(&GZIP_MAGIC) {
                return None;
            }
            let mut room = isize_hint.max(member.len().saturating_mul(4)).max(1 << 12);
            loop {
                let start = out.len();
                let room_now = room.min(limit.saturating_sub(start).saturating_add(1));
                out.reserve(room_now);
                match d.member(member, &mut out.spare_capacity_mut()[..room_now]) {
                    Ok((used_in, used_out)) => {
                        // SAFETY: libdeflate wrote these `used_out` bytes after `start`.
                        unsafe { out.set_len(start + used_out) };
                        at += used_in;
                        break;
                    }
                    Err(true) if room_now < room || start + room_now > limit => return None,
                    Err(true) => room = room.saturating_mul(2),
                    Err(false) => return None,
                }
            }
            if out.len() > limit {
                return None;
            }
        }
        Some(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::gzip;


    #[test]
    fn inflates_one_member_and_several() {
        let text: Vec<u8> = (0..100_000u32).flat_map(|i| format!("{{\"n\":{i}}}\n").into_bytes()).collect();
        assert_eq!(whole(&gzip(&text), u64::MAX).unwrap(), text);
        let mut two = gzip(b"hello ");
        two.extend(gzip(&text));
        let mut expected = b"hello ".to_vec();
        expected.extend(&text);
        assert_eq!(whole(&two, u64::MAX).unwrap(), expected);
        assert_eq!(whole(&gzip(b""), 10).unwrap(), b"");
    }

    #[test]
    fn leaves_damage_and_oversize_to_the_streaming_reader() {
        let text = vec![b'x'; 1 << 20];
        let gz = gzip(&text);
        assert_eq!(whole(&gz[..gz.len() / 2], u64::MAX), None, "truncated");
        let mut trailing = gz.clone();
        trailing.extend(b"garbage");
        assert_eq!(whole(&trailing, u64::MAX), None, "bytes after the last member");
        assert_eq!(whole(&gz, (1 << 20) - 1), None, "over the limit");
        assert_eq!(whole(&gz, 1 << 20).unwrap().len(), 1 << 20, "at the limit");
        let bomb = gzip(&vec![b' '; MAX_TEXT + 1]);
        assert_eq!(whole(&bomb, u64::MAX), None, "more text than the fast path holds");
        let mut bad = gz.clone();
        bad[gz.len() / 2] ^= 0xff;
        assert_eq!(whole(&bad, u64::MAX), None, "corrupt");
    }
}
