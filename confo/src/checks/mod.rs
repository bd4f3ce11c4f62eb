//! Checked writes: the schemas the services reading a configuration
//! publish, and the check of every write against them.
//!
//! A service names itself ([`crate::Confo::with_service`]) and publishes
//! the schema of each type it reads ([`crate::Confo::publish_schema`]); the
//! schemas are stored beside the configuration as [`Meta::Schemas`], one
//! per service. Every write through a [`crate::Store`] (so every write of
//! the manager, the tree functions and the command) goes through
//! [`Checked`], which validates the new value against every published
//! schema and writes only if all of them take it, in the same atomic step
//! as a check that the schemas did not change meanwhile
//! ([`Backend::write_guarded`]). [`WriteChecks::Force`] writes anyway and
//! logs what it overrode.

use std::fmt;
use std::time::SystemTime;

use serde_json::Value;

use crate::backend::{Backend, Expect, Meta, Versioned};
use crate::error::{Error, NameKind, Result};
use crate::name::{ConfigPath, Version};
use crate::typed::Schema;

mod checked;
mod published;

pub use checked::{Checked, WriteChecks};
pub use published::PublishedSchema;

/// How many times a publish or retire re-reads the document after a
/// concurrent change before giving up.
const PUBLISH_ATTEMPTS: u32 = 20;

/// One rule a value breaks, and the service whose published schema has it:
/// what [`Error::SchemaRefused`](crate::Error::SchemaRefused) lists.
///
/// ```
/// let v = confo::ServiceViolation {
///     service: "billing".into(),
///     path: "port".into(),
///     rule: "expected u16, found a string".into(),
/// };
/// assert_eq!(v.to_string(), "port: expected u16, found a string (billing)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceViolation {
    /// The service that published the schema.
    pub service: String,
    /// Where in the value, as decode errors name it (`port`,
    /// `replicas[1].host`); empty for the value as a whole.
    pub path: String,
    /// The rule, never quoting the value (it may be a secret).
    pub rule: String,
}

impl fmt::Display for ServiceViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{} ({})", self.rule, self.service)
        } else {
            write!(f, "{}: {} ({})", self.path, self.rule, self.service)
        }
    }
}

/// Checks a service name: the rules of a configuration name (it is a node
/// name in ZooKeeper too).
pub(crate) fn service_name(service: &str) -> Result<()> {
    confo_names::check(service).map_err(|rule| Error::InvalidName {
        kind: NameKind::Service,
        name: service.to_owned(),
        rule,
    })
}

/// The schemas published for `path`, one per service, sorted by service;
/// empty when none was.
///
/// # Errors
///
/// [`Error::InvalidSchema`] when the stored document is corrupt; the
/// store's errors.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::MemoryBackend;
/// let store = MemoryBackend::new();
/// let path = "systemA/database".parse()?;
/// assert!(confo::published_schemas(&store, &path).await?.is_empty());
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub async fn published_schemas(
    backend: &dyn Backend,
    path: &ConfigPath,
) -> Result<Vec<PublishedSchema>> {
    match backend.read_meta(path, Meta::Schemas).await? {
        Some(doc) => published::parse(backend.describe(), path, &doc.bytes),
        None => Ok(Vec::new()),
    }
}

/// Stores `schema` as the one `service` publishes for `path`, replacing
/// that service's previous one and keeping every other service's. A
/// compare-and-set of the document: concurrent publishers lose nothing.
/// Returns the document's new version. [`crate::Confo::publish_schema`] is
/// this for a type, under the manager's service name.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::MemoryBackend;
/// use confo::Schema;
/// use serde_json::json;
///
/// let store = MemoryBackend::new();
/// let path = "systemA/database".parse()?;
/// let schema = Schema::from_json(json!({"type": "object", "required": ["port"]}))?;
/// confo::publish_schema(&store, &path, "billing", &schema).await?;
/// let published = confo::published_schemas(&store, &path).await?;
/// assert_eq!(published[0].service, "billing");
/// assert_eq!(published[0].schema["required"], json!(["port"]));
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub async fn publish_schema(
    backend: &dyn Backend,
    path: &ConfigPath,
    service: &str,
    schema: &Schema,
) -> Result<Version> {
    service_name(service)?;
    let entry = PublishedSchema {
        service: service.to_owned(),
        schema: schema.as_json().clone(),
        published: Some(humantime::format_rfc3339_seconds(SystemTime::now()).to_string()),
    };
    edit(backend, path, |schemas| {
        match schemas.iter_mut().find(|p| p.service == entry.service) {
            Some(old) => *old = entry.clone(),
            None => schemas.push(entry.clone()),
        }
        true
    })
    .await
    .map(|(version, _)| version.unwrap_or_else(|| Version::from_raw(0)))
}

/// Removes the schema `service` published for `path` (a service that no
/// longer reads the configuration); `Ok(false)` if it had none. Removing
/// the last one removes the document.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::MemoryBackend;
/// let store = MemoryBackend::new();
/// let path = "systemA/database".parse()?;
/// let schema = confo::Schema::from_json(serde_json::json!({"type": "object"}))?;
/// confo::publish_schema(&store, &path, "billing", &schema).await?;
/// assert!(confo::retire_schema(&store, &path, "billing").await?);
/// assert!(!confo::retire_schema(&store, &path, "billing").await?);
/// assert!(confo::published_schemas(&store, &path).await?.is_empty());
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub async fn retire_schema(
    backend: &dyn Backend,
    path: &ConfigPath,
    service: &str,
) -> Result<bool> {
    edit(backend, path, |schemas| {
        let before = schemas.len();
        schemas.retain(|p| p.service != service);
        schemas.len() != before
    })
    .await
    .map(|(_, changed)| changed)
}

/// Removes every schema published for `path`, a corrupt document too;
/// `Ok(false)` if there was none.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::{Backend, Expect, Meta, MemoryBackend};
/// let store = MemoryBackend::new();
/// let path = "systemA/database".parse()?;
/// store.write_meta(&path, Meta::Schemas, b"not json", Expect::Absent).await?;
/// assert!(confo::retire_all_schemas(&store, &path).await?);
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub async fn retire_all_schemas(backend: &dyn Backend, path: &ConfigPath) -> Result<bool> {
    backend.delete_meta(path, Meta::Schemas, Expect::Any).await
}

/// Copies the schemas published for `path` from `from` to `to`, replacing
/// `to`'s document; `Ok(false)` when `from` has none. The document is read
/// once and checked before it is written: a corrupt one is not carried
/// over. What `confo export --with-schemas` and `import --with-schemas` do.
///
/// # Errors
///
/// [`Error::InvalidSchema`] when `from`'s document is corrupt; the stores'
/// errors.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::MemoryBackend;
/// let (a, b) = (MemoryBackend::new(), MemoryBackend::new());
/// let path = "systemA/database".parse()?;
/// let schema = confo::Schema::from_json(serde_json::json!({"type": "object"}))?;
/// confo::publish_schema(&a, &path, "billing", &schema).await?;
/// assert!(confo::copy_schemas(&a, &b, &path).await?);
/// assert_eq!(confo::published_schemas(&b, &path).await?[0].service, "billing");
/// assert!(!confo::copy_schemas(&b, &a, &"systemA/other".parse()?).await?);
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub async fn copy_schemas(from: &dyn Backend, to: &dyn Backend, path: &ConfigPath) -> Result<bool> {
    let Some(doc) = from.read_meta(path, Meta::Schemas).await? else {
        return Ok(false);
    };
    published::parse(from.describe(), path, &doc.bytes)?;
    to.write_meta(path, Meta::Schemas, &doc.bytes, Expect::Any)
        .await?;
    Ok(true)
}

/// Read-modify-write of the published document; `change` returns whether
/// it changed anything. Returns the new version (`None`: deleted or
/// unchanged) and whether it changed.
async fn edit(
    backend: &dyn Backend,
    path: &ConfigPath,
    mut change: impl FnMut(&mut Vec<PublishedSchema>) -> bool,
) -> Result<(Option<Version>, bool)> {
    let describe = backend.describe();
    for _ in 0..PUBLISH_ATTEMPTS {
        let stored = backend.read_meta(path, Meta::Schemas).await?;
        let (mut schemas, expect) = match &stored {
            Some(doc) => (
                published::parse(describe, path, &doc.bytes)?,
                Expect::Version(doc.version),
            ),
            None => (Vec::new(), Expect::Absent),
        };
        if !change(&mut schemas) {
            return Ok((None, false));
        }
        schemas.sort_by(|a, b| a.service.cmp(&b.service));
        let written = if schemas.is_empty() {
            backend
                .delete_meta(path, Meta::Schemas, expect)
                .await
                .map(|_| None)
        } else {
            backend
                .write_meta(path, Meta::Schemas, &published::to_bytes(&schemas), expect)
                .await
                .map(Some)
        };
        match written {
            Ok(version) => return Ok((version, true)),
            Err(e) if e.is_conflict() => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::VersionConflict {
        backend: describe.to_owned(),
        path: format!("{path} (schemas)"),
        expected: format!("the version read, {PUBLISH_ATTEMPTS} times"),
        current: None,
    })
}

/// Every rule `value` breaks among the schemas published for `path`,
/// without writing: what `confo check` runs for each file of a directory.
///
/// # Errors
///
/// [`Error::InvalidSchema`] when a published schema (or the document) is
/// corrupt; the store's errors.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::backend::MemoryBackend;
/// use serde_json::json;
/// let store = MemoryBackend::new();
/// let path = "systemA/database".parse()?;
/// let schema = confo::Schema::from_json(json!({
///     "type": "object", "properties": {"port": {"type": "integer"}}
/// }))?;
/// confo::publish_schema(&store, &path, "billing", &schema).await?;
/// let found = confo::check_published(&store, &path, br#"{"port": "x"}"#).await?;
/// assert_eq!(found[0].to_string(), "port: expected an integer, found a string (billing)");
/// assert!(confo::check_published(&store, &path, br#"{"port": 1}"#).await?.is_empty());
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub async fn check_published(
    backend: &dyn Backend,
    path: &ConfigPath,
    value: &[u8],
) -> Result<Vec<ServiceViolation>> {
    let doc = backend.read_meta(path, Meta::Schemas).await?;
    violations(backend.describe(), path, value, doc.as_ref())
}

/// The rules `value` breaks among the schemas of `doc` (none: no schemas).
pub(crate) fn violations(
    describe: &str,
    path: &ConfigPath,
    value: &[u8],
    doc: Option<&Versioned>,
) -> Result<Vec<ServiceViolation>> {
    let Some(doc) = doc else {
        return Ok(Vec::new());
    };
    let compiled = published::compiled(describe, path, doc)?;
    if let Some(broken) = compiled.iter().find_map(|(_, s)| s.as_ref().err()) {
        return Err(broken.to_error());
    }
    let parsed: Option<Value> = serde_json::from_slice(value).ok();
    let mut out = Vec::new();
    for (service, schema) in compiled.iter() {
        let Ok(schema) = schema else { continue };
        match &parsed {
            Some(value) => out.extend(schema.check(value).into_iter().map(|v| ServiceViolation {
                service: service.clone(),
                path: v.path,
                rule: v.rule,
            })),
            None => out.push(ServiceViolation {
                service: service.clone(),
                path: String::new(),
                rule: "the value is not JSON".into(),
            }),
        }
    }
    Ok(out)
}
