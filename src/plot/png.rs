//! The PNG file format, written directly: a chart is an 8-bit RGB image, and PNG is a
//! signature and three chunks (IHDR, IDAT with the zlib-compressed rows, IEND), each
//! with a CRC-32. Written here with the zlib and CRC-32 of flate2 already in the build,
//! rather than an image crate whose compression features would rebuild polars.

use flate2::write::ZlibEncoder;
use flate2::{Compression, Crc};
use std::io::{self, Write};

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Encodes `rgb` (rows of `width` RGB pixels, top to bottom) as a PNG file.
pub fn encode_rgb(rgb: &[u8], width: u32, height: u32) -> io::Result<Vec<u8>> {
    let row = width as usize * 3;
    if rgb.len() != row * height as usize || width == 0 || height == 0 {
        return Err(io::Error::other(format!("{} bytes are not a {width}x{height} RGB image", rgb.len())));
    }
    let mut out = SIGNATURE.to_vec();
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    // Bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace.
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);
    let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
    for line in rgb.chunks(row) {
        // Filter type 0 (None) on every row: charts are flat colours and compress well.
        z.write_all(&[0])?;
        z.write_all(line)?;
    }
    chunk(&mut out, b"IDAT", &z.finish()?);
    chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

/// Appends one chunk: length, type, data, CRC-32 of type and data.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_has_its_signature_header_and_checksummed_chunks() {
        let png = encode_rgb(&[255, 0, 0, 0, 0, 255], 2, 1).unwrap();
        assert_eq!(&png[..8], &SIGNATURE);
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 2);
        assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 1);
        // The CRC of the IEND chunk is a fixed, well-known value.
        assert_eq!(&png[png.len() - 8..], &[b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]);
        assert!(encode_rgb(&[0; 5], 2, 1).is_err());
    }
}
