//! The store side of a comparison or an export: every namespace and
//! configuration of a backend, as read at one moment.

use std::collections::BTreeMap;

use crate::backend::{Backend, Skipped, Versioned};
use crate::error::{Error, Result};
use crate::name::{ConfigName, ConfigPath, Namespace};

/// Every namespace and configuration of a backend, as read at one moment.
pub(super) type StoreTree = BTreeMap<Namespace, BTreeMap<ConfigName, Versioned>>;

/// The store's tree, and the entries it holds that confo cannot represent
/// (refused names: left out of the tree, reported by export and diff).
pub(super) async fn read_store_tree(backend: &dyn Backend) -> Result<(StoreTree, Vec<Skipped>)> {
    let mut out = BTreeMap::new();
    let listing = backend.namespace_listing().await?;
    let mut skipped = listing.skipped;
    for ns in listing.names {
        let configs = match backend.config_listing(&ns).await {
            Ok(configs) => configs,
            // Deleted between the listing and the read: not part of the tree.
            Err(Error::NamespaceNotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        skipped.extend(configs.skipped);
        let paths: Vec<ConfigPath> = configs
            .names
            .iter()
            .map(|n| ConfigPath::new(ns.clone(), n.clone()))
            .collect();
        let values = backend.read_many(&paths).await?;
        let read = configs
            .names
            .into_iter()
            .zip(values)
            .filter_map(|(n, v)| v.map(|v| (n, v)))
            .collect();
        out.insert(ns, read);
    }
    Ok((out, skipped))
}
