//! Reads that stop at a limit: nothing confo reads (a stored value, a file
//! to import, `confo put`'s input, a certificate) is read past the size it
//! may have, so `/dev/zero` or a 2 GB file costs at most the limit plus one
//! byte of memory and time.
//!
//! ```
//! use confo::bounded::read_at_most;
//!
//! assert_eq!(read_at_most(&b"{}"[..], 2)?, b"{}");
//! let err = read_at_most(std::io::repeat(0), 1024).unwrap_err();
//! assert_eq!(err.kind(), std::io::ErrorKind::FileTooLarge);
//! assert!(err.to_string().contains("more than 1024 bytes"));
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Read};

/// Largest certificate or key file (`ca_file`, `cert_file`, `key_file`) that
/// confo reads: 1 MiB, far above any real PEM bundle.
///
/// ```
/// assert_eq!(confo::bounded::MAX_PEM_BYTES, 1024 * 1024);
/// ```
pub const MAX_PEM_BYTES: usize = 1024 * 1024;

/// Reads all of `reader` if it holds at most `limit` bytes.
///
/// Reads at most `limit + 1` bytes, whatever the source: past the limit it
/// stops and fails with [`io::ErrorKind::FileTooLarge`], saying the limit.
///
/// ```
/// let err = confo::bounded::read_at_most(&[1u8, 2, 3][..], 2).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::FileTooLarge);
/// ```
pub fn read_at_most<R: Read>(reader: R, limit: usize) -> io::Result<Vec<u8>> {
    read_at_most_hinted(reader, limit, 0)
}

/// [`read_at_most`] with a size hint (a file's length) for the first
/// allocation, itself capped at the limit.
pub(crate) fn read_at_most_hinted<R: Read>(
    reader: R,
    limit: usize,
    hint: u64,
) -> io::Result<Vec<u8>> {
    let cap = usize::try_from(hint).unwrap_or(usize::MAX).min(limit) + 1;
    let mut bytes = Vec::with_capacity(cap.min(64 * 1024));
    reader.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(too_large(limit));
    }
    Ok(bytes)
}

/// Reads a certificate or key file as text, at most [`MAX_PEM_BYTES`].
#[cfg_attr(not(feature = "tls"), allow(dead_code))]
pub(crate) fn read_pem(path: &std::path::Path) -> io::Result<String> {
    let bytes = read_at_most(std::fs::File::open(path)?, MAX_PEM_BYTES)?;
    String::from_utf8(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "it is not UTF-8 text; give a PEM file",
        )
    })
}

/// The error for a source over `limit` bytes.
pub(crate) fn too_large(limit: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!("more than {limit} bytes, the limit; confo stopped reading there"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_of_exactly_the_limit_is_read_whole() {
        assert_eq!(read_at_most(&[7u8; 16][..], 16).unwrap(), [7u8; 16]);
    }

    /// A reader that counts what is taken from it.
    struct Counting<R>(R, u64);
    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.read(buf)?;
            self.1 += n as u64;
            Ok(n)
        }
    }

    #[test]
    fn an_endless_source_is_read_no_further_than_the_limit_and_a_byte() {
        let mut src = Counting(io::repeat(b'x'), 0);
        let err = read_at_most(&mut src, 1000).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(src.1, 1001);
    }

    #[test]
    fn dev_zero_is_refused_at_the_limit() {
        let file = std::fs::File::open("/dev/zero").unwrap();
        let err = read_at_most(file, 4096).unwrap_err();
        assert!(err.to_string().contains("4096"), "{err}");
    }
}
