//! The session cache of the Python `confo` package: a namespace in use,
//! its configurations read once (`use_namespace`, `reload`), read and
//! changed in memory (`get`, `set`, ...) and written back with
//! compare-and-set (`persist`). Reads go through [`Confo::store`].
//!
//! The API of the Python package, done right: unknown names are errors
//! (not prints), and [`Confo::persist`] writes with compare-and-set against
//! what was read, so nothing anyone else wrote is silently lost.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{describe, Confo, State};
use crate::backend::{Backend, Expect, Versioned};
use crate::error::{Error, Result};
use crate::json;
use crate::name::{ConfigName, ConfigPath, Namespace, Version};

/// One configuration as the manager holds it.
#[derive(Clone)]
pub(super) struct Entry {
    value: Map<String, Value>,
    /// The version read, `None` for a configuration not yet stored.
    version: Option<Version>,
    /// Changed with `set`/`set_field` and not yet persisted.
    dirty: bool,
}

impl std::fmt::Debug for Entry {
    // Values may be passwords: show the field names, never the values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("fields", &self.value.keys().collect::<Vec<_>>())
            .field("version", &self.version)
            .field("dirty", &self.dirty)
            .finish()
    }
}

impl Confo {
    /// The namespace in use.
    pub fn current_namespace(&self) -> Result<Namespace> {
        self.read_state()
            .namespace
            .clone()
            .ok_or(Error::NoNamespace)
    }

    /// Uses `namespace` from now on and reads all its configurations.
    /// An unknown namespace is [`Error::NamespaceNotFound`].
    pub async fn use_namespace(&self, namespace: &str) -> Result<()> {
        let ns = Namespace::new(namespace)?;
        let store = self.store()?;
        refuse_pending(&self.read_state())?;
        let read = store.fetch_namespace(&ns).await?;
        let entries = entries(store.describe(), &ns, read.value)?;
        let mut st = self.write_state();
        refuse_pending(&st)?;
        st.namespace = Some(ns);
        st.entries = entries;
        Ok(())
    }

    /// Reads the namespace in use again. Changes not yet persisted are kept
    /// (and still compare against the version first read).
    pub async fn reload(&self) -> Result<()> {
        let ns = self.current_namespace()?;
        let store = self.store()?;
        let read = store.fetch_namespace(&ns).await?;
        let fresh = entries(store.describe(), &ns, read.value)?;
        let mut st = self.write_state();
        if st.namespace.as_ref() != Some(&ns) {
            return Ok(()); // switched namespace meanwhile: nothing to refresh
        }
        let mut merged: BTreeMap<ConfigName, Entry> = st
            .entries
            .iter()
            .filter(|(_, e)| e.dirty)
            .map(|(k, e)| (k.clone(), e.clone()))
            .collect();
        for (name, entry) in fresh {
            merged.entry(name).or_insert(entry);
        }
        st.entries = merged;
        Ok(())
    }

    /// How many configurations the namespace in use holds.
    pub fn count(&self) -> Result<usize> {
        let st = self.read_state();
        st.namespace.as_ref().ok_or(Error::NoNamespace)?;
        Ok(st.entries.len())
    }

    /// Every configuration of the namespace in use, by name.
    pub fn get_all(&self) -> Result<BTreeMap<String, Value>> {
        let st = self.read_state();
        st.namespace.as_ref().ok_or(Error::NoNamespace)?;
        Ok(st
            .entries
            .iter()
            .map(|(k, e)| (k.to_string(), Value::Object(e.value.clone())))
            .collect())
    }

    /// One configuration of the namespace in use (a JSON object).
    pub fn get(&self, config: &str) -> Result<Value> {
        let name = ConfigName::new(config)?;
        let st = self.read_state();
        let entry = entry(&st, &name)?;
        Ok(Value::Object(entry.value.clone()))
    }

    /// One top-level field of a configuration of the namespace in use.
    pub fn get_field(&self, config: &str, field: &str) -> Result<Value> {
        let name = ConfigName::new(config)?;
        let st = self.read_state();
        let entry = entry(&st, &name)?;
        entry
            .value
            .get(field)
            .cloned()
            .ok_or_else(|| Error::FieldNotFound {
                backend: describe(&st),
                path: path_of(&st, &name),
                field: field.to_owned(),
            })
    }

    /// Replaces a configuration of the namespace in use (must be a JSON
    /// object); written by the next [`Confo::persist`].
    pub fn set(&self, config: &str, value: Value) -> Result<()> {
        let name = ConfigName::new(config)?;
        let mut st = self.write_state();
        let ns = st.namespace.clone().ok_or(Error::NoNamespace)?;
        let value = match value {
            Value::Object(map) => map,
            other => {
                return Err(Error::NotAnObject {
                    backend: describe(&st),
                    path: ConfigPath::new(ns, name).to_string(),
                    found: json::kind(&other),
                })
            }
        };
        match st.entries.get_mut(&name) {
            Some(e) => {
                e.value = value;
                e.dirty = true;
            }
            None => {
                st.entries.insert(
                    name,
                    Entry {
                        value,
                        version: None,
                        dirty: true,
                    },
                );
            }
        }
        Ok(())
    }

    /// Sets one top-level field of an existing configuration of the
    /// namespace in use; written by the next [`Confo::persist`].
    pub fn set_field(&self, config: &str, field: &str, value: Value) -> Result<()> {
        let name = ConfigName::new(config)?;
        let mut st = self.write_state();
        entry(&st, &name)?;
        if let Some(e) = st.entries.get_mut(&name) {
            e.value.insert(field.to_owned(), value);
            e.dirty = true;
        }
        Ok(())
    }

    /// Writes every configuration changed since it was read, each with
    /// compare-and-set against the version read. Returns how many were
    /// written. On a conflict it stops with [`Error::VersionConflict`]: that
    /// configuration and any not yet written stay changed here, so nothing
    /// is lost; [`Confo::reload`] shows the stored value.
    pub async fn persist(&self) -> Result<usize> {
        let store = self.store()?; // writes: checked, never retried (see `Store`)
        let backend = store.backend();
        let (ns, dirty) = {
            let st = self.read_state();
            let ns = st.namespace.clone().ok_or(Error::NoNamespace)?;
            let dirty: Vec<(ConfigName, Entry)> = st
                .entries
                .iter()
                .filter(|(_, e)| e.dirty)
                .map(|(k, e)| (k.clone(), e.clone()))
                .collect();
            (ns, dirty)
        };
        let mut written = 0;
        for (name, entry) in dirty {
            let path = ConfigPath::new(ns.clone(), name.clone());
            let bytes = json::to_bytes(&entry.value);
            let version = backend
                .write(&path, &bytes, Expect::from_read(entry.version))
                .await?;
            written += 1;
            let mut st = self.write_state();
            if st.namespace.as_ref() == Some(&ns) {
                if let Some(e) = st.entries.get_mut(&name) {
                    e.version = Some(version);
                    // Changed again while we wrote: keep it dirty.
                    e.dirty = e.value != entry.value;
                }
            }
        }
        Ok(written)
    }
}

fn path_of(st: &State, name: &ConfigName) -> String {
    match &st.namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

fn entry<'a>(st: &'a State, name: &ConfigName) -> Result<&'a Entry> {
    st.namespace.as_ref().ok_or(Error::NoNamespace)?;
    st.entries.get(name).ok_or_else(|| Error::NotFound {
        backend: describe(st),
        path: path_of(st, name),
    })
}

pub(super) fn refuse_pending(st: &State) -> Result<()> {
    let pending: Vec<String> = st
        .entries
        .iter()
        .filter(|(_, e)| e.dirty)
        .map(|(k, _)| k.to_string())
        .collect();
    if pending.is_empty() {
        Ok(())
    } else {
        Err(Error::PendingChanges {
            namespace: st
                .namespace
                .as_ref()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            configs: pending,
        })
    }
}

/// The entries of a namespace as read through the store.
fn entries(
    describe: &str,
    ns: &Namespace,
    reads: Vec<(ConfigName, Versioned)>,
) -> Result<BTreeMap<ConfigName, Entry>> {
    let mut entries = BTreeMap::new();
    for (name, read) in reads {
        let path = ConfigPath::new(ns.clone(), name.clone());
        let value = json::parse_object(describe, &path.to_string(), &read.bytes)?;
        entries.insert(
            name,
            Entry {
                value,
                version: Some(read.version),
                dirty: false,
            },
        );
    }
    Ok(entries)
}
