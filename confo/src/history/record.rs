//! The history writes a write carries: its entry in the next slot of the
//! ring and the updated head, built from the value and head read before
//! the write, written in the write's own atomic step
//! ([`Backend::write_with_meta`](crate::backend::Backend::write_with_meta)).
//! A write carries one entry and a small head, however long the history.

use std::sync::Arc;
use std::time::SystemTime;

use super::doc::{self, Head};
use super::{changed_keys, write_id, HistoryEntry, Previous, Recording};
use crate::backend::{Expect, Meta, MetaWrite, Versioned};
use crate::name::ConfigPath;

/// Most bytes one entry takes; fewer when the value written beside it is
/// large (both go in one ZooKeeper request).
const ENTRY_BYTES: usize = 256 * 1024;

/// What a value and its entry may take together.
const WITH_VALUE_BYTES: usize = 900 * 1024;

/// Most entries a history keeps, whatever is asked: the slots are read in
/// one request.
pub const MAX_KEEP: usize = 1000;

/// The slot of entry `seq` in a ring of `keep` slots.
fn slot_of(seq: u64, keep: usize) -> u16 {
    let keep = keep.clamp(1, MAX_KEEP) as u64;
    ((seq.max(1) - 1) % keep) as u16
}

/// Plans the history writes that record writing `bytes` to `path`, over
/// `previous` (the value read before, `None`: none) and the head read
/// with it, under the write id `id` (a fresh one when `None`), by
/// `recording`'s author (the OS user when it has none): the entry's slot,
/// then the head. `flipped` lists the slots whose state is not what the
/// head says (a write found one there, or missing): their expectation is
/// turned.
/// Returns them with the entry's number, which it has if the write lands
/// (its head is a compare-and-set); empty when `recording` keeps nothing.
///
/// A head that cannot be read is replaced by a new history (with a
/// warning): a broken history never stops a write.
#[allow(clippy::too_many_arguments)]
pub(crate) fn plan(
    describe: &str,
    path: &ConfigPath,
    previous: Option<&Versioned>,
    stored: Option<&Versioned>,
    bytes: &[u8],
    recording: &Recording,
    id: Option<&str>,
    flipped: &[u16],
) -> (Vec<MetaWrite>, u64) {
    if recording.keep == 0 {
        return (Vec::new(), 0);
    }
    let head = match stored.map(|d| doc::parse_head(describe, path, &d.bytes)) {
        None => Head::default(),
        Some(Ok(head)) => head,
        Some(Err(e)) => {
            tracing::warn!(path = %path, backend = describe, error = %e, "starting a new history");
            Head::default()
        }
    };
    let seq = head.next_seq.max(1);
    let slot = slot_of(seq, recording.keep);
    let mut entry = HistoryEntry {
        seq,
        id: id.map_or_else(write_id, str::to_owned),
        time: SystemTime::now(),
        author: recording.author.clone().unwrap_or_else(super::os_user),
        message: recording.message.clone(),
        changed: changed_keys(previous.map(|p| &*p.bytes), bytes),
        previous: previous.map(|p| Previous {
            version: p.version,
            bytes: Some(Arc::clone(&p.bytes)),
            digest: doc::digest(&p.bytes),
        }),
        version: None,
        gap_before: false,
        digest: doc::digest(bytes),
    };
    let budget = ENTRY_BYTES.min(WITH_VALUE_BYTES.saturating_sub(bytes.len()));
    let mut entry_bytes = doc::entry_bytes(&entry);
    if entry_bytes.len() > budget {
        if let Some(p) = entry.previous.as_mut() {
            p.bytes = None;
        }
        entry_bytes = doc::entry_bytes(&entry);
    }
    let exists = slot < head.filled;
    let slot_expect = if exists != flipped.contains(&slot) {
        Expect::Any
    } else {
        Expect::Absent
    };
    let new_head = Head {
        next_seq: seq + 1,
        filled: head.filled.max(slot + 1),
    };
    let writes = vec![
        MetaWrite {
            path: path.clone(),
            meta: Meta::HistorySlot(slot),
            bytes: Arc::from(entry_bytes),
            expect: slot_expect,
        },
        MetaWrite {
            path: path.clone(),
            meta: Meta::History,
            bytes: Arc::from(doc::head_bytes(new_head)),
            expect: stored.map_or(Expect::Absent, |d| Expect::Version(d.version)),
        },
    ];
    (writes, seq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name::Version;

    fn value(bytes: &[u8], v: u64) -> Versioned {
        Versioned {
            bytes: Arc::from(bytes),
            version: Version::from_raw(v),
        }
    }

    #[test]
    fn entries_go_round_the_ring_and_the_head_counts_the_slots() {
        let path: ConfigPath = "a/b".parse().unwrap();
        let recording = Recording {
            keep: 3,
            ..Recording::default()
        };
        let mut head: Option<Versioned> = None;
        let mut slots = Vec::new();
        for i in 0..5u64 {
            let prev = value(format!("{{\"n\":{i}}}").as_bytes(), i);
            let (planned, seq) = plan(
                "mem://",
                &path,
                Some(&prev),
                head.as_ref(),
                b"{}",
                &recording,
                None,
                &[],
            );
            assert_eq!(seq, i + 1);
            let [slot, new_head] = &planned[..] else {
                panic!("{planned:?}")
            };
            slots.push((slot.meta, slot.expect));
            assert_eq!(
                new_head.expect,
                head.as_ref()
                    .map_or(Expect::Absent, |h| Expect::Version(h.version))
            );
            head = Some(value(&new_head.bytes, 100 + i));
        }
        assert_eq!(
            slots,
            [
                (Meta::HistorySlot(0), Expect::Absent),
                (Meta::HistorySlot(1), Expect::Absent),
                (Meta::HistorySlot(2), Expect::Absent),
                (Meta::HistorySlot(0), Expect::Any),
                (Meta::HistorySlot(1), Expect::Any),
            ]
        );
        let last = doc::parse_head("mem://", &path, &head.unwrap().bytes).unwrap();
        assert_eq!((last.next_seq, last.filled), (6, 3));
    }

    #[test]
    fn a_large_previous_value_leaves_its_bytes_out() {
        let path: ConfigPath = "a/b".parse().unwrap();
        let big = vec![b' '; 300 * 1024];
        let (planned, _) = plan(
            "mem://",
            &path,
            Some(&value(&big, 1)),
            None,
            b"{}",
            &Recording::default(),
            None,
            &[],
        );
        assert!(planned[0].bytes.len() <= ENTRY_BYTES);
        let entry = doc::parse_entry(&planned[0].bytes).unwrap();
        assert!(entry.previous.unwrap().bytes.is_none());
    }

    #[test]
    fn a_corrupt_head_starts_a_new_history() {
        let path: ConfigPath = "a/b".parse().unwrap();
        let broken = value(b"not json", 7);
        let (planned, _) = plan(
            "mem://",
            &path,
            None,
            Some(&broken),
            b"{}",
            &Recording::default(),
            None,
            &[],
        );
        assert_eq!(planned[1].expect, Expect::Version(Version::from_raw(7)));
        assert_eq!(planned[0].meta, Meta::HistorySlot(0));
        // Its slot may still be there from the old ring: flipped, it is replaced.
        let (flipped, _) = plan(
            "mem://",
            &path,
            None,
            Some(&broken),
            b"{}",
            &Recording::default(),
            None,
            &[0],
        );
        assert_eq!(flipped[0].expect, Expect::Any);
    }
}
