//! The store side of a comparison or an export: every namespace and
//! configuration of a backend, as read at one moment.

use std::collections::BTreeMap;

use crate::backend::{Backend, Skipped, Versioned};
use crate::error::{Error, Result};
use crate::name::{ConfigName, ConfigPath, Namespace};

/// Every namespace and configuration of a backend, as read at one moment.
pub(super) type StoreTree = BTreeMap<Namespace, BTreeMap<ConfigName, Versioned>>;

/// The store's tree, and the entries left out of it: the ones confo cannot
/// represent (refused names) and the ones this identity may not read (a
/// tree shared by several identities), each reported by export and diff
/// rather than ending them.
pub(super) async fn read_store_tree(backend: &dyn Backend) -> Result<(StoreTree, Vec<Skipped>)> {
    let mut out = BTreeMap::new();
    let listing = backend.namespace_listing().await?;
    let mut skipped = listing.skipped;
    for ns in listing.names {
        let configs = match backend.config_listing(&ns).await {
            Ok(configs) => configs,
            // Deleted between the listing and the read: not part of the tree.
            Err(Error::NamespaceNotFound { .. }) => continue,
            Err(Error::NotAuthorized { .. }) => {
                skipped.push(Skipped::not_authorized(format!("{ns}/")));
                continue;
            }
            Err(e) => return Err(e),
        };
        skipped.extend(configs.skipped);
        let paths: Vec<ConfigPath> = configs
            .names
            .iter()
            .map(|n| ConfigPath::new(ns.clone(), n.clone()))
            .collect();
        let values = match backend.read_many(&paths).await {
            Ok(values) => values,
            // One configuration this identity may not read fails the whole
            // batch: read them one by one and leave that one out.
            Err(Error::NotAuthorized { .. }) => {
                let mut values = Vec::with_capacity(paths.len());
                for path in &paths {
                    values.push(match backend.read(path).await {
                        Ok(read) => Some(read),
                        Err(e) if e.is_not_found() => None,
                        Err(Error::NotAuthorized { .. }) => {
                            skipped.push(Skipped::not_authorized(path.to_string()));
                            None
                        }
                        Err(e) => return Err(e),
                    });
                }
                values
            }
            Err(e) => return Err(e),
        };
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
