//! The stored history document of one configuration, as
//! [`Meta::History`](crate::backend::Meta::History):
//!
//! ```json
//! {"confo_history": 1, "next_seq": 3, "entries": [
//!   {"seq": 1, "id": "…", "time": "2026-12-03T15:20:01.123Z", "author": "alice",
//!    "message": "raise the pool", "digest": "9f…", "changed": ["pool"],
//!    "previous": {"version": 4, "digest": "3a…", "value": "{\"pool\":5}"}}
//! ]}
//! ```
//!
//! `previous` is `null` when the write created the configuration; its
//! `value` is `null` when it was too large to keep. Entries are oldest
//! first. A document confo cannot read is reported, never a panic.

use std::sync::Arc;
use std::time::SystemTime;

use serde_json::{json, Map, Value};

use super::{HistoryEntry, Previous};
use crate::error::{Error, Result};
use crate::name::{ConfigPath, Version};

/// The format this code writes (and the newest it reads).
const FORMAT: u64 = 1;

/// A parsed document: its entries, oldest first, and the next sequence number.
#[derive(Debug, Clone, Default)]
pub(crate) struct Doc {
    pub(crate) next_seq: u64,
    pub(crate) entries: Vec<HistoryEntry>,
    /// Entries skipped because they could not be read, with why.
    pub(crate) unreadable: Vec<String>,
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

/// Parses a stored document. A document that is not one at all is an
/// error; an entry that cannot be read is skipped and named in
/// [`Doc::unreadable`].
pub(crate) fn parse(describe: &str, path: &ConfigPath, bytes: &[u8]) -> Result<Doc> {
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|_| corrupt(describe, path, "it is not JSON"))?;
    let format = doc.get("confo_history").and_then(Value::as_u64);
    match format {
        Some(f) if f <= FORMAT => {}
        Some(f) => {
            return Err(corrupt(
                describe,
                path,
                &format!("it is format {f}, newer than this confo reads ({FORMAT}); upgrade confo"),
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
    let entries = doc
        .get("entries")
        .and_then(Value::as_array)
        .ok_or_else(|| corrupt(describe, path, "it has no \"entries\" list"))?;
    let mut out = Doc::default();
    for (i, raw) in entries.iter().enumerate() {
        match entry(raw) {
            Some(e) => out.entries.push(e),
            None => out
                .unreadable
                .push(format!("entry {} is not a history entry", i + 1)),
        }
    }
    let last = out.entries.iter().map(|e| e.seq).max().unwrap_or(0);
    out.next_seq = doc
        .get("next_seq")
        .and_then(Value::as_u64)
        .unwrap_or(0)
        .max(last + 1);
    Ok(out)
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

/// The stored form of `doc`.
pub(crate) fn to_bytes(doc: &Doc) -> Vec<u8> {
    let entries: Vec<Value> = doc.entries.iter().map(entry_json).collect();
    serde_json::to_vec(&json!({
        "confo_history": FORMAT,
        "next_seq": doc.next_seq,
        "entries": entries,
    }))
    .unwrap_or_default()
}

/// RFC 3339, to the millisecond, UTC.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}
