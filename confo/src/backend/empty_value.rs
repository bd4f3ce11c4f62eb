//! One rule for empty values on every backend: an empty (or all-whitespace)
//! znode or file reads as the empty configuration `{}`.
//!
//! ZooKeeper tools create nodes with no data (parents, placeholders), and
//! an editor can leave a file empty; both mean "nothing configured yet",
//! never "invalid JSON". The version is still that of the stored bytes.

/// `bytes` as confo reads them: `{}` when empty or all whitespace.
pub(crate) fn as_read(bytes: Vec<u8>) -> Vec<u8> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}".to_vec()
    } else {
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_blank_values_read_as_the_empty_object() {
        assert_eq!(as_read(Vec::new()), b"{}");
        assert_eq!(as_read(b" \n\t".to_vec()), b"{}");
        assert_eq!(as_read(b"[]".to_vec()), b"[]");
    }
}
