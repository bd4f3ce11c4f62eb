//! The store side of a comparison or an export: every namespace and
//! configuration of a backend, as read at one moment.

use std::collections::BTreeMap;

use crate::backend::{Backend, Versioned};
use crate::error::{Error, Result};
use crate::name::{ConfigName, Namespace};

/// Every namespace and configuration of a backend, as read at one moment.
pub(super) type StoreTree = BTreeMap<Namespace, BTreeMap<ConfigName, Versioned>>;

pub(super) async fn read_store_tree(backend: &dyn Backend) -> Result<StoreTree> {
    let mut out = BTreeMap::new();
    for ns in backend.list_namespaces().await? {
        match crate::backend::read_namespace(backend, &ns).await {
            Ok(configs) => {
                out.insert(ns, configs.into_iter().collect());
            }
            // Deleted between the listing and the read: not part of the tree.
            Err(Error::NamespaceNotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
