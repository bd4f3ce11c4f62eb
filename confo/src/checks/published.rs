//! The published-schemas document: `{"services": {"billing": {"schema":
//! {...}, "published": "2026-12-02T21:53:26Z"}, ...}}`, one per
//! configuration, stored as [`Meta::Schemas`](crate::backend::Meta::Schemas).

use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::backend::Versioned;
use crate::error::{Error, Result};
use crate::name::ConfigPath;
use crate::typed::Schema;

/// One service's schema for a configuration, as stored: what
/// [`published_schemas`](crate::published_schemas) returns.
///
/// ```
/// let p = confo::PublishedSchema {
///     service: "billing".into(),
///     schema: serde_json::json!({"type": "object"}),
///     published: Some("2026-12-02T21:53:26Z".into()),
/// };
/// assert_eq!(p.service, "billing");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedSchema {
    /// The service that published it ([`crate::Confo::with_service`]).
    pub service: String,
    /// The JSON Schema, as published.
    pub schema: Value,
    /// When, in RFC 3339 (UTC), if the publisher said.
    pub published: Option<String>,
}

/// Parses a stored document; an error names the configuration and says
/// how to repair it.
pub(crate) fn parse(
    describe: &str,
    path: &ConfigPath,
    bytes: &[u8],
) -> Result<Vec<PublishedSchema>> {
    let corrupt = |why: &str| Error::InvalidSchema {
        schema: format!("the published schemas of {path} in {describe}"),
        message: format!(
            "{why}; confo refuses to write {path} until they are repaired: publish again from each \
             service, or remove them with `confo schema rm {path} --all`"
        ),
    };
    let doc: Value = serde_json::from_slice(bytes).map_err(|_| corrupt("they are not JSON"))?;
    let services = doc
        .get("services")
        .and_then(Value::as_object)
        .ok_or_else(|| corrupt("they have no \"services\" object"))?;
    services
        .iter()
        .map(|(service, entry)| {
            let schema = entry.get("schema").cloned().ok_or_else(|| {
                corrupt(&format!(
                    "the entry of service {service:?} has no \"schema\""
                ))
            })?;
            Ok(PublishedSchema {
                service: service.clone(),
                schema,
                published: entry
                    .get("published")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
        })
        .collect()
}

/// The stored form of `schemas`.
pub(crate) fn to_bytes(schemas: &[PublishedSchema]) -> Vec<u8> {
    let services: Map<String, Value> = schemas
        .iter()
        .map(|p| {
            let mut entry = Map::new();
            entry.insert("schema".into(), p.schema.clone());
            if let Some(at) = &p.published {
                entry.insert("published".into(), Value::String(at.clone()));
            }
            (p.service.clone(), Value::Object(entry))
        })
        .collect();
    let mut doc = Map::new();
    doc.insert("services".into(), Value::Object(services));
    crate::json::to_bytes(&doc)
}

/// The compiled schemas of one stored document: each service with its
/// schema, or why it does not compile.
pub(crate) type Compiled = Arc<Vec<(String, std::result::Result<Schema, Broken>)>>;

/// Why a published schema does not compile: the parts of its
/// [`Error::InvalidSchema`].
#[derive(Debug, Clone)]
pub(crate) struct Broken {
    pub(crate) schema: String,
    pub(crate) message: String,
}

impl Broken {
    pub(crate) fn to_error(&self) -> Error {
        Error::InvalidSchema {
            schema: self.schema.clone(),
            message: self.message.clone(),
        }
    }
}

/// Compiling a schema costs far more than checking a value against it:
/// the last documents compiled are kept, found again by their exact bytes
/// (never by a version alone, which a deleted and re-created node repeats).
static COMPILED: Mutex<Vec<(Arc<[u8]>, Compiled)>> = Mutex::new(Vec::new());
const COMPILED_KEPT: usize = 64;

/// The schemas of a stored document, compiled (or taken from the cache).
pub(crate) fn compiled(describe: &str, path: &ConfigPath, doc: &Versioned) -> Result<Compiled> {
    {
        let cache = COMPILED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, found)) = cache.iter().find(|(bytes, _)| **bytes == *doc.bytes) {
            return Ok(found.clone());
        }
    }
    let schemas = parse(describe, path, &doc.bytes)?;
    let compiled: Compiled = Arc::new(
        schemas
            .into_iter()
            .map(|p| {
                let schema = Schema::from_json(p.schema).map_err(|e| {
                    let message = match e {
                        Error::InvalidSchema { message, .. } => message,
                        other => other.to_string(),
                    };
                    Broken {
                        schema: format!("the schema service {:?} published for {path} in {describe}", p.service),
                        message: format!(
                            "{message}; until it is fixed confo refuses to write {path}: publish it again from {}, or retire it with `confo schema rm {path} --service {}`",
                            p.service, p.service
                        ),
                    }
                });
                (p.service, schema)
            })
            .collect(),
    );
    let mut cache = COMPILED.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= COMPILED_KEPT {
        cache.remove(0);
    }
    cache.push((doc.bytes.clone(), compiled.clone()));
    Ok(compiled)
}
