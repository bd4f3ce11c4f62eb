//! The history entry a write carries: built from the value and history
//! read before the write, pruned to fit, written in the write's own
//! atomic step ([`Backend::write_with_meta`](crate::backend::Backend::write_with_meta)).

use std::sync::Arc;
use std::time::SystemTime;

use super::doc::{self, Doc};
use super::{changed_keys, write_id, HistoryEntry, Previous, Recording};
use crate::backend::{Expect, Meta, MetaWrite, Versioned};
use crate::name::ConfigPath;

/// Most bytes a history document takes; fewer when the value written
/// beside it is large (both go in one ZooKeeper request).
const DOC_BYTES: usize = 256 * 1024;

/// What a value and its history document may take together.
const WITH_VALUE_BYTES: usize = 900 * 1024;

/// Plans the history write that records writing `bytes` to `path`, over
/// `previous` (the value read before, `None`: none) and the history
/// document read with it, under the write id `id` (a fresh one when
/// `None`), by `recording`'s author (the OS user when it has none).
/// `None` when `recording` keeps nothing.
///
/// A document that cannot be read is replaced by a new history (with a
/// warning): a broken history never stops a write.
pub(crate) fn plan(
    describe: &str,
    path: &ConfigPath,
    previous: Option<&Versioned>,
    stored: Option<&Versioned>,
    bytes: &[u8],
    recording: &Recording,
    id: Option<&str>,
) -> Option<MetaWrite> {
    if recording.keep == 0 {
        return None;
    }
    let mut history = match stored.map(|d| doc::parse(describe, path, &d.bytes)) {
        None => Doc::default(),
        Some(Ok(parsed)) => {
            for why in &parsed.unreadable {
                tracing::warn!(path = %path, backend = describe, "dropping a history entry confo cannot read: {why}");
            }
            parsed
        }
        Some(Err(e)) => {
            tracing::warn!(path = %path, backend = describe, error = %e, "starting a new history");
            Doc::default()
        }
    };
    let seq = history.next_seq.max(1);
    history.next_seq = seq + 1;
    history.entries.push(HistoryEntry {
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
    });
    let budget = DOC_BYTES.min(WITH_VALUE_BYTES.saturating_sub(bytes.len()));
    let stored_bytes = fit(&mut history, recording.keep, budget);
    Some(MetaWrite {
        path: path.clone(),
        meta: Meta::History,
        bytes: Arc::from(stored_bytes),
        expect: stored.map_or(Expect::Absent, |d| Expect::Version(d.version)),
    })
}

/// Prunes `history` to at most `keep` entries and `budget` bytes, oldest
/// first, never the newest (whose previous value goes instead when even
/// it alone is too large); returns the stored form.
fn fit(history: &mut Doc, keep: usize, budget: usize) -> Vec<u8> {
    let excess = history.entries.len().saturating_sub(keep.max(1));
    history.entries.drain(..excess);
    loop {
        let bytes = doc::to_bytes(history);
        if bytes.len() <= budget {
            return bytes;
        }
        if history.entries.len() > 1 {
            // Drop about as many of the oldest as the excess takes, at least one.
            let over = bytes.len() - budget;
            let each = bytes.len() / history.entries.len();
            let n = (over / each.max(1)).clamp(1, history.entries.len() - 1);
            history.entries.drain(..n);
            continue;
        }
        match history.entries.last_mut().and_then(|e| e.previous.as_mut()) {
            Some(p) if p.bytes.is_some() => p.bytes = None,
            _ => return bytes,
        }
    }
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

    fn doc_of(planned: &MetaWrite) -> Doc {
        doc::parse("mem://", &planned.path, &planned.bytes).unwrap()
    }

    #[test]
    fn keeps_the_newest_entries_within_count_and_bytes() {
        let path: ConfigPath = "a/b".parse().unwrap();
        let recording = Recording {
            keep: 3,
            ..Recording::default()
        };
        let mut stored: Option<Versioned> = None;
        for i in 0..10u64 {
            let prev = value(format!("{{\"n\":{i}}}").as_bytes(), i);
            let planned = plan(
                "mem://",
                &path,
                Some(&prev),
                stored.as_ref(),
                b"{}",
                &recording,
                None,
            )
            .unwrap();
            stored = Some(value(&planned.bytes, 100 + i));
        }
        let kept = doc::parse("mem://", &path, &stored.unwrap().bytes).unwrap();
        let seqs: Vec<u64> = kept.entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [8, 9, 10]);

        // A previous value larger than the budget: the entry stays, its value goes.
        let big = vec![b' '; 300 * 1024];
        let planned = plan(
            "mem://",
            &path,
            Some(&value(&big, 1)),
            None,
            b"{}",
            &recording,
            None,
        )
        .unwrap();
        let kept = doc_of(&planned);
        assert_eq!(kept.entries.len(), 1);
        assert!(kept.entries[0].previous.as_ref().unwrap().bytes.is_none());
        assert!(planned.bytes.len() <= DOC_BYTES);
    }

    #[test]
    fn a_corrupt_document_starts_a_new_history() {
        let path: ConfigPath = "a/b".parse().unwrap();
        let broken = value(b"not json", 7);
        let planned = plan(
            "mem://",
            &path,
            None,
            Some(&broken),
            b"{}",
            &Recording::default(),
            None,
        )
        .unwrap();
        assert_eq!(planned.expect, Expect::Version(Version::from_raw(7)));
        assert_eq!(doc_of(&planned).entries.len(), 1);
    }
}
