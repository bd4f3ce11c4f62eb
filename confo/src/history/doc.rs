//! The stored form of a configuration's history: a small head
//! ([`Meta::History`](crate::backend::Meta::History)) and a ring of entries,
//! one per slot ([`Meta::HistorySlot`](crate::backend::Meta::HistorySlot)):
//!
//! ```json
//! {"confo_history": 2, "next_seq": 3, "filled": 2}
//!
//! {"seq": 1, "id": "…", "time": "2026-12-03T15:20:01.123Z", "author": "alice",
//!  "message": "raise the pool", "digest": "9f…", "changed": ["pool"],
//!  "previous": {"version": 4, "digest": "3a…", "value": "{\"pool\":5}"}}
//! ```
//!
//! The head says which entry comes next and how many slots (from 0) hold
//! one; entry `n` lives in slot `(n - 1) % keep`. `previous` is `null` when
//! the write created the configuration; its `value` is `null` when it was
//! too large to keep. A document confo cannot read is reported, never a panic.

use std::sync::Arc;
use std::time::SystemTime;

use serde_json::{json, Map, Value};

use super::{HistoryEntry, Previous};
use crate::error::{Error, Result};
use crate::name::{ConfigPath, Version};

/// The format this code writes (and the newest it reads).
const FORMAT: u64 = 2;

/// The head of a history: the next entry's number, and how many slots
/// (from slot 0) hold an entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Head {
    pub(crate) next_seq: u64,
    pub(crate) filled: u16,
}

/// FNV-1a of a value's bytes: whether two values are the same, without
/// keeping either.
pub(crate) fn digest(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn corrupt(describe: &str, path: &ConfigPath, why: &str) -> Error {
    Error::Backend {
        backend: describe.to_owned(),
        op: "read",
        path: format!("{path} (history)"),
        message: format!(
            "the history of {path} cannot be read: {why}; confo starts a new history with the \
             next write (`confo history {path} --clear` removes it now)"
        ),
    }
}

/// Parses a stored head; an error names the configuration and what to do.
pub(crate) fn parse_head(describe: &str, path: &ConfigPath, bytes: &[u8]) -> Result<Head> {
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|_| corrupt(describe, path, "it is not JSON"))?;
    match doc.get("confo_history").and_then(Value::as_u64) {
        Some(f) if f == FORMAT => {}
        Some(f) if f > FORMAT => {
            return Err(corrupt(
                describe,
                path,
                &format!("it is format {f}, newer than this confo reads ({FORMAT}); upgrade confo"),
            ))
        }
        Some(f) => {
            return Err(corrupt(
                describe,
                path,
                &format!("it is format {f}, older than this confo reads ({FORMAT})"),
            ))
        }
        None => {
            return Err(corrupt(
                describe,
                path,
                "it has no \"confo_history\" format",
            ))
        }
    }
    let next_seq = doc.get("next_seq").and_then(Value::as_u64);
    let filled = doc
        .get("filled")
        .and_then(Value::as_u64)
        .and_then(|f| u16::try_from(f).ok());
    match (next_seq, filled) {
        (Some(next_seq), Some(filled)) => Ok(Head { next_seq, filled }),
        _ => Err(corrupt(
            describe,
            path,
            "it has no \"next_seq\" and \"filled\" numbers",
        )),
    }
}

/// The stored form of a head.
pub(crate) fn head_bytes(head: Head) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "confo_history": FORMAT,
        "next_seq": head.next_seq,
        "filled": head.filled,
    }))
    .unwrap_or_default()
}

/// Parses one stored entry; `None` when it is not one.
pub(crate) fn parse_entry(bytes: &[u8]) -> Option<HistoryEntry> {
    entry(&serde_json::from_slice(bytes).ok()?)
}

fn entry(raw: &Value) -> Option<HistoryEntry> {
    let text = |key: &str| raw.get(key).and_then(Value::as_str).map(str::to_owned);
    let hex = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .and_then(|s| u64::from_str_radix(s, 16).ok())
    };
    let previous = match raw.get("previous")? {
        Value::Null => None,
        p => Some(Previous {
            version: Version::from_raw(p.get("version")?.as_u64()?),
            digest: hex(p.get("digest"))?,
            bytes: match p.get("value")? {
                Value::Null => None,
                Value::String(s) => Some(Arc::from(s.as_bytes())),
                _ => return None,
            },
        }),
    };
    Some(HistoryEntry {
        seq: raw.get("seq")?.as_u64()?,
        id: text("id")?,
        time: humantime::parse_rfc3339(raw.get("time")?.as_str()?).ok()?,
        author: text("author")?,
        message: text("message"),
        digest: hex(raw.get("digest"))?,
        changed: raw
            .get("changed")?
            .as_array()?
            .iter()
            .map(|k| k.as_str().map(str::to_owned))
            .collect::<Option<_>>()?,
        previous,
        version: None,
        gap_before: false,
    })
}

fn entry_json(e: &HistoryEntry) -> Value {
    let mut m = Map::new();
    m.insert("seq".into(), json!(e.seq));
    m.insert("id".into(), json!(e.id));
    m.insert("time".into(), json!(rfc3339(e.time)));
    m.insert("author".into(), json!(e.author));
    if let Some(msg) = &e.message {
        m.insert("message".into(), json!(msg));
    }
    m.insert("digest".into(), json!(format!("{:016x}", e.digest)));
    m.insert("changed".into(), json!(e.changed));
    m.insert(
        "previous".into(),
        match &e.previous {
            None => Value::Null,
            Some(p) => json!({
                "version": p.version.raw(),
                "digest": format!("{:016x}", p.digest),
                "value": p.bytes.as_ref().map(|b| String::from_utf8_lossy(b).into_owned()),
            }),
        },
    );
    Value::Object(m)
}

/// The stored form of one entry.
pub(crate) fn entry_bytes(e: &HistoryEntry) -> Vec<u8> {
    serde_json::to_vec(&entry_json(e)).unwrap_or_default()
}

/// RFC 3339, to the millisecond, UTC.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}
