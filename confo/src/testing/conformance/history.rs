//! Cases of history: metadata written in the same atomic step as a write,
//! every write through a [`Store`] recorded, gaps, pruning, rollback, and
//! `update` knowing from the history whether a write whose answer was lost
//! landed, on every backend.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;

use super::{batch, p, text};
use crate::backend::{
    Backend, BatchWrite, Expect, Guard, Listing, Meta, MetaWrite, Versioned, Watch, WatchScope,
};
use crate::{
    ConfigName, ConfigPath, Error, Namespace, Recording, Result, Schema, Store, UpdatePolicy,
    Version,
};

fn store(b: &Arc<dyn Backend>) -> Store {
    Store::new(b.clone()).with_retry_policy(crate::RetryPolicy::none())
}

fn record(path: &str, body: &str, expect: Expect) -> MetaWrite {
    MetaWrite {
        path: p(path),
        meta: Meta::History,
        bytes: Arc::from(body.as_bytes()),
        expect,
    }
}

async fn history_text(b: &dyn Backend, path: &str) -> Option<String> {
    b.read_meta(&p(path), Meta::History)
        .await
        .expect("read history")
        .map(|v| String::from_utf8_lossy(&v.bytes).into_owned())
}

/// Case: Metadata written with a batch lands with it or not at all: a
/// metadata write whose condition no longer holds refuses the whole batch
/// ([`Error::MetaChanged`]), and the metadata is read back with the value
/// in one call.
pub async fn metadata_lands_with_the_write_or_not_at_all(b: Arc<dyn Backend>) {
    let writes = [
        batch("atomic/a", r#"{"n":1}"#, Expect::Absent),
        batch("atomic/b", r#"{"n":1}"#, Expect::Absent),
    ];
    let metas = [
        record("atomic/a", "[1]", Expect::Absent),
        record("atomic/b", "[1]", Expect::Absent),
    ];
    b.write_with_meta(&writes, &[], &metas).await.unwrap();
    let (value, docs) = b
        .read_with_metas(&p("atomic/a"), &[Meta::Schemas, Meta::History])
        .await
        .unwrap();
    assert_eq!(&*value.unwrap().bytes, br#"{"n":1}"#);
    assert!(docs[0].is_none(), "no schemas were written");
    let m1 = docs[1]
        .clone()
        .expect("the history was written with the value");
    assert_eq!(&*m1.bytes, b"[1]");

    // "Create it" again: refused, and neither value changes.
    let again = [
        batch("atomic/a", r#"{"n":2}"#, Expect::Any),
        batch("atomic/b", r#"{"n":2}"#, Expect::Any),
    ];
    let refused = b
        .write_with_meta(&again, &[], &[record("atomic/b", "[2]", Expect::Absent)])
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Error::MetaChanged { path, .. } if path == "atomic/b"),
        "{refused:?}"
    );
    assert_eq!(text(&*b, "atomic/a").await, r#"{"n":1}"#);
    assert_eq!(text(&*b, "atomic/b").await, r#"{"n":1}"#);

    // At the version read: written; at a stale one: refused.
    b.write_with_meta(
        &again[..1],
        &[],
        &[record("atomic/a", "[1,2]", Expect::Version(m1.version))],
    )
    .await
    .unwrap();
    assert_eq!(
        history_text(&*b, "atomic/a").await.as_deref(),
        Some("[1,2]")
    );
    let refused = b
        .write_with_meta(
            &[batch("atomic/a", r#"{"n":3}"#, Expect::Any)],
            &[],
            &[record("atomic/a", "[1,2,3]", Expect::Version(m1.version))],
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::MetaChanged { .. }), "{refused:?}");
    assert_eq!(text(&*b, "atomic/a").await, r#"{"n":2}"#);
    assert_eq!(
        history_text(&*b, "atomic/a").await.as_deref(),
        Some("[1,2]")
    );

    // A failing guard stops the metadata too.
    b.write_meta(&p("atomic/a"), Meta::Schemas, b"{}", Expect::Absent)
        .await
        .unwrap();
    let guard = Guard {
        path: p("atomic/a"),
        meta: Meta::Schemas,
        expect: Expect::Absent,
    };
    let refused = b
        .write_with_meta(
            &[batch("atomic/b", r#"{"n":4}"#, Expect::Any)],
            &[guard],
            &[record("atomic/b", "[4]", Expect::Any)],
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::MetaChanged { .. }), "{refused:?}");
    assert_eq!(history_text(&*b, "atomic/b").await.as_deref(), Some("[1]"));
}

/// Case: Every write through a [`Store`] is recorded with the value it
/// replaced, its version, the author, the message and the keys it changed;
/// every recorded version can be read back; a write made past the store
/// (another client) shows as a gap; `rm` removes the history.
pub async fn every_write_through_a_store_is_recorded(b: Arc<dyn Backend>) {
    let path = p("recorded/db");
    let s = store(&b);
    let w = s.backend();
    let v1 = w
        .write(&path, br#"{"host":"db","port":5432}"#, Expect::Absent)
        .await
        .unwrap();
    let v2 = s
        .clone()
        .with_message("move the port")
        .backend()
        .write(&path, br#"{"host":"db","port":5433}"#, Expect::Version(v1))
        .await
        .unwrap();
    let v3 = crate::update_object(w, &path, &UpdatePolicy::default(), |map| {
        map.insert("pool".into(), json!(8));
        Ok(())
    })
    .await
    .unwrap();
    let history = s.history(&path).await.unwrap();
    assert_eq!(history.entries.len(), 3, "{history:?}");
    let [first, second, third] = &history.entries[..] else {
        unreachable!()
    };
    assert_eq!((first.seq, second.seq, third.seq), (1, 2, 3));
    assert!(first.previous.is_none(), "the first write created it");
    assert_eq!(first.changed, ["host", "port"]);
    assert_eq!(second.message.as_deref(), Some("move the port"));
    assert_eq!(second.changed, ["port"]);
    assert_eq!(third.changed, ["pool"]);
    assert_eq!(second.previous.as_ref().unwrap().version, v1);
    assert_eq!(
        (first.version, second.version, third.version),
        (Some(v1), Some(v2), Some(v3))
    );
    assert!(!first.author.is_empty());
    assert!(history.entries.iter().all(|e| !e.gap_before));
    assert!(!history.gap_after);
    let ids: std::collections::HashSet<&str> =
        history.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), 3, "write ids are unique");
    assert_eq!(
        history.value_at(v1).unwrap(),
        br#"{"host":"db","port":5432}"#
    );
    assert_eq!(
        history.value_at(v2).unwrap(),
        br#"{"host":"db","port":5433}"#
    );
    assert_eq!(history.versions(), [v3, v2, v1]);
    // Printing an entry never prints a value.
    let shown = format!("{history:?}");
    assert!(!shown.contains("5432"), "{shown}");

    // Another client writes: not recorded, and seen as a gap.
    let outside = b
        .write(&path, br#"{"host":"other"}"#, Expect::Any)
        .await
        .unwrap();
    let history = s.history(&path).await.unwrap();
    assert_eq!(history.entries.len(), 3);
    assert!(history.gap_after);
    assert_eq!(history.entries[2].version, None);
    w.write(&path, br#"{"host":"back"}"#, Expect::Version(outside))
        .await
        .unwrap();
    let history = s.history(&path).await.unwrap();
    assert!(history.entries[3].gap_before);
    assert!(!history.gap_after);
    assert_eq!(history.value_at(outside).unwrap(), br#"{"host":"other"}"#);

    // A batch is recorded too, one entry per configuration.
    w.write_many(&[
        batch("recorded/db", r#"{"host":"batch"}"#, Expect::Any),
        batch("recorded/other", "{}", Expect::Absent),
    ])
    .await
    .unwrap();
    assert_eq!(s.history(&path).await.unwrap().entries.len(), 5);
    assert_eq!(
        s.history(&p("recorded/other")).await.unwrap().entries.len(),
        1
    );

    // `rm` takes the history with it.
    b.delete(&path, Expect::Any).await.unwrap();
    assert_eq!(history_text(&*b, "recorded/db").await, None);
    let history = s.history(&path).await.unwrap();
    assert!(history.entries.is_empty() && history.current.is_none());
}

/// Case: A history keeps the newest writes within its bound; a version
/// pruned or never recorded is refused by name; a corrupt history never
/// stops a write (a new one starts) and reads as a clear error.
pub async fn history_keeps_the_newest_and_survives_bad_documents(b: Arc<dyn Backend>) {
    let path = p("bounded/db");
    let s = store(&b).with_history_keep(3);
    let mut versions = Vec::new();
    for n in 0..6 {
        versions.push(
            s.backend()
                .write(&path, format!(r#"{{"n":{n}}}"#).as_bytes(), Expect::Any)
                .await
                .unwrap(),
        );
    }
    let history = s.history(&path).await.unwrap();
    let seqs: Vec<u64> = history.entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [4, 5, 6]);
    assert_eq!(history.value_at(versions[3]).unwrap(), br#"{"n":3}"#);
    let pruned = history.value_at(versions[0]).unwrap_err();
    assert_eq!(pruned.kind(), "VersionNotRecorded", "{pruned}");
    assert!(pruned.to_string().contains("pruned"), "{pruned}");
    let err = s
        .rollback(&path, Version::from_raw(999_999))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "VersionNotRecorded", "{err}");
    assert_eq!(
        text(&*b, "bounded/db").await,
        r#"{"n":5}"#,
        "nothing written"
    );

    // Keep 0: nothing recorded.
    store(&b)
        .with_history_keep(0)
        .backend()
        .write(&p("bounded/unrecorded"), b"{}", Expect::Absent)
        .await
        .unwrap();
    assert_eq!(history_text(&*b, "bounded/unrecorded").await, None);

    // A corrupt document: reading says so, writing starts a new history.
    let doc = b.read_meta(&path, Meta::History).await.unwrap().unwrap();
    b.write_meta(
        &path,
        Meta::History,
        b"{not json",
        Expect::Version(doc.version),
    )
    .await
    .unwrap();
    let err = s.history(&path).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("history of bounded/db cannot be read"),
        "{err}"
    );
    s.backend()
        .write(&path, br#"{"n":6}"#, Expect::Any)
        .await
        .unwrap();
    let history = s.history(&path).await.unwrap();
    assert_eq!(history.entries.len(), 1);
    assert_eq!(
        history.entries[0].previous.as_ref().unwrap().version,
        versions[5]
    );
    // An entry that cannot be read is skipped and named. The next write
    // goes to slot 1, which the old ring left there: it is replaced.
    s.backend()
        .write(&path, br#"{"n":7}"#, Expect::Any)
        .await
        .unwrap();
    assert_eq!(s.history(&path).await.unwrap().entries.len(), 2);
    let slot = b
        .read_meta(&path, Meta::HistorySlot(0))
        .await
        .unwrap()
        .unwrap();
    b.write_meta(
        &path,
        Meta::HistorySlot(0),
        br#"{"seq":"x"}"#,
        Expect::Version(slot.version),
    )
    .await
    .unwrap();
    let history = s.history(&path).await.unwrap();
    assert_eq!(history.entries.len(), 1);
    assert_eq!(history.unreadable, ["history-0 is not a history entry"]);
    // Cleared: the configuration stays, the history is empty.
    assert!(crate::clear_history(&*b, &path).await.unwrap());
    let history = s.history(&path).await.unwrap();
    assert!(history.entries.is_empty() && history.current.is_some());
    assert!(b
        .read_meta(&path, Meta::HistorySlot(1))
        .await
        .unwrap()
        .is_none());
}

/// Case: A rollback writes back a recorded version with compare-and-set,
/// is checked against the published schemas, and is itself recorded.
pub async fn rollback_writes_back_a_recorded_version(b: Arc<dyn Backend>) {
    let path = p("rollback/db");
    let s = store(&b);
    let good = s
        .backend()
        .write(&path, br#"{"port":5432}"#, Expect::Absent)
        .await
        .unwrap();
    let bad = s
        .backend()
        .write(&path, br#"{"port":"fast"}"#, Expect::Version(good))
        .await
        .unwrap();
    let back = s.rollback(&path, good).await.unwrap();
    assert_eq!(text(&*b, "rollback/db").await, r#"{"port":5432}"#);
    let history = s.history(&path).await.unwrap();
    let last = history.entries.last().unwrap();
    assert_eq!(
        last.message.as_deref(),
        Some(&*format!("rollback to version {good}"))
    );
    assert_eq!(last.version, Some(back));
    assert_eq!(last.previous.as_ref().unwrap().version, bad);

    // A schema published since refuses a rollback to a value it breaks.
    let schema = Schema::from_json(json!({
        "type": "object",
        "properties": {"port": {"type": "integer"}}
    }))
    .unwrap();
    crate::publish_schema(&*b, &path, "billing", &schema)
        .await
        .unwrap();
    let refused = s.rollback(&path, bad).await.unwrap_err();
    assert_eq!(refused.kind(), "SchemaRefused", "{refused}");
    assert_eq!(text(&*b, "rollback/db").await, r#"{"port":5432}"#);
}

/// A backend whose next recorded write lands, then another client writes,
/// then the answer is lost: the case `update` could not tell apart
/// before it had history.
#[derive(Debug)]
struct LoseOneAnswer {
    inner: Arc<dyn Backend>,
    armed: AtomicBool,
    /// How many recorded writes the other client makes (keeping `keep`).
    others: usize,
    keep: usize,
}

#[async_trait]
impl Backend for LoseOneAnswer {
    fn describe(&self) -> &str {
        self.inner.describe()
    }
    fn keeps_metadata(&self) -> bool {
        self.inner.keeps_metadata()
    }
    async fn list_namespaces(&self) -> Result<Vec<Namespace>> {
        self.inner.list_namespaces().await
    }
    async fn list_configs(&self, namespace: &Namespace) -> Result<Vec<ConfigName>> {
        self.inner.list_configs(namespace).await
    }
    async fn namespace_listing(&self) -> Result<Listing<Namespace>> {
        self.inner.namespace_listing().await
    }
    async fn read(&self, path: &ConfigPath) -> Result<Versioned> {
        self.inner.read(path).await
    }
    async fn read_with_metas(
        &self,
        path: &ConfigPath,
        metas: &[Meta],
    ) -> Result<(Option<Versioned>, Vec<Option<Versioned>>)> {
        self.inner.read_with_metas(path, metas).await
    }
    async fn read_meta(&self, path: &ConfigPath, meta: Meta) -> Result<Option<Versioned>> {
        self.inner.read_meta(path, meta).await
    }
    async fn write(&self, path: &ConfigPath, bytes: &[u8], expect: Expect) -> Result<Version> {
        self.inner.write(path, bytes, expect).await
    }
    async fn write_with_meta(
        &self,
        writes: &[BatchWrite],
        guards: &[Guard],
        metas: &[MetaWrite],
    ) -> Result<Vec<Version>> {
        let versions = self.inner.write_with_meta(writes, guards, metas).await?;
        if self.armed.swap(false, Ordering::SeqCst) {
            let other = &writes[0].path;
            if self.others == 0 {
                self.inner
                    .write(other, br#"{"by":"someone else"}"#, Expect::Any)
                    .await?;
            }
            let recorded = Store::new(self.inner.clone()).with_history_keep(self.keep);
            for n in 0..self.others {
                recorded
                    .backend()
                    .write(
                        other,
                        format!(r#"{{"by":"someone else","n":{n}}}"#).as_bytes(),
                        Expect::Any,
                    )
                    .await?;
            }
            return Err(Error::OutcomeUnknown {
                backend: self.describe().to_owned(),
                op: "write",
                path: other.to_string(),
                message: "connection lost (test)".into(),
            });
        }
        Ok(versions)
    }
    async fn write_meta(
        &self,
        path: &ConfigPath,
        meta: Meta,
        bytes: &[u8],
        expect: Expect,
    ) -> Result<Version> {
        self.inner.write_meta(path, meta, bytes, expect).await
    }
    async fn create_namespace(&self, namespace: &Namespace) -> Result<bool> {
        self.inner.create_namespace(namespace).await
    }
    async fn delete(&self, path: &ConfigPath, expect: Expect) -> Result<()> {
        self.inner.delete(path, expect).await
    }
    async fn delete_namespace(&self, namespace: &Namespace, recursive: bool) -> Result<()> {
        self.inner.delete_namespace(namespace, recursive).await
    }
    async fn watch(&self, scope: &WatchScope) -> Result<Watch> {
        self.inner.watch(scope).await
    }
}

/// Case: `update` whose write landed but whose answer was lost, with
/// another writer after it, knows from the history that it landed (`Ok`,
/// applied once); without history it cannot tell
/// ([`Error::OutcomeUnknown`]).
pub async fn update_knows_from_history_whether_a_lost_write_landed(b: Arc<dyn Backend>) {
    let path = p("once/db");
    b.write(&path, br#"{"n":0}"#, Expect::Absent).await.unwrap();
    let cut: Arc<dyn Backend> = Arc::new(LoseOneAnswer {
        inner: b.clone(),
        armed: AtomicBool::new(true),
        others: 0,
        keep: crate::DEFAULT_KEEP,
    });
    let s = store(&cut);
    let mut applied = 0;
    let outcome = crate::update_object(s.backend(), &path, &UpdatePolicy::default(), |map| {
        applied += 1;
        map.insert("n".into(), json!(1));
        Ok(())
    })
    .await;
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(applied, 1, "the change was applied once");
    let history = store(&b).history(&path).await.unwrap();
    assert_eq!(history.entries.len(), 1, "{history:?}");
    assert!(history.gap_after, "the other writer came after it");

    // Others wrote so often since that the ring replaced the entry: its
    // absence proves nothing, so the update says it cannot tell, and does
    // not apply the change again.
    let pruned: Arc<dyn Backend> = Arc::new(LoseOneAnswer {
        inner: b.clone(),
        armed: AtomicBool::new(true),
        others: 3,
        keep: 2,
    });
    let mut applied = 0;
    let outcome = crate::update_object(
        store(&pruned).with_history_keep(2).backend(),
        &path,
        &UpdatePolicy::default(),
        |map| {
            applied += 1;
            map.insert("n".into(), json!(10));
            Ok(())
        },
    )
    .await;
    assert!(
        matches!(&outcome, Err(e) if e.is_outcome_unknown()),
        "{outcome:?}"
    );
    assert_eq!(applied, 1, "never applied twice");

    // Without history, the same cut leaves the outcome unknown.
    let cut: Arc<dyn Backend> = Arc::new(LoseOneAnswer {
        inner: b.clone(),
        armed: AtomicBool::new(true),
        others: 0,
        keep: crate::DEFAULT_KEEP,
    });
    let unrecorded = store(&cut).with_recording(Recording {
        keep: 0,
        ..Recording::default()
    });
    // Keep 0 writes no metadata, so arm the cut on a guarded write: publish a schema.
    crate::publish_schema(
        &*b,
        &path,
        "svc",
        &Schema::from_json(json!({"type": "object"})).unwrap(),
    )
    .await
    .unwrap();
    let outcome = crate::update_object(
        unrecorded.backend(),
        &path,
        &UpdatePolicy::default(),
        |map| {
            map.insert("n".into(), json!(2));
            Ok(())
        },
    )
    .await;
    assert!(
        matches!(&outcome, Err(e) if e.is_outcome_unknown()),
        "{outcome:?}"
    );
}
