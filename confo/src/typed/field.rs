//! [`Field`]: a typed handle on one field of a configuration.

use std::fmt;
use std::marker::PhantomData;

/// One field of the configuration `C`, holding a `V`: its JSON key (serde
/// renames applied) and its type, so that reading or writing one field
/// cannot name a field that does not exist or give a value of another type.
///
/// `#[derive(Confo)]` generates one per field, reached with `C::fields()`.
/// Fields with `#[serde(skip)]`, `flatten`, `with`, `serialize_with` or
/// `deserialize_with` have no handle (their JSON is not `V`'s own).
///
/// ```
/// use confo::Confo;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Confo, Deserialize, Serialize)]
/// #[confo(namespace = "systemA")]
/// struct Database {
///     #[serde(rename = "hostname")]
///     host: String,
///     port: u16,
/// }
///
/// let port = Database::fields().port;
/// assert_eq!(port.key(), "port");
/// assert_eq!(Database::fields().host.key(), "hostname");
/// ```
pub struct Field<C, V> {
    config: &'static str,
    key: &'static str,
    aliases: &'static [&'static str],
    default: Option<fn() -> V>,
    _config: PhantomData<fn() -> C>,
}

impl<C, V> Field<C, V> {
    #[doc(hidden)]
    pub const fn __new(
        config: &'static str,
        key: &'static str,
        aliases: &'static [&'static str],
        default: Option<fn() -> V>,
    ) -> Self {
        Field {
            config,
            key,
            aliases,
            default,
            _config: PhantomData,
        }
    }

    /// The JSON key this field is stored under.
    ///
    /// ```
    /// #[derive(confo::Confo, serde::Deserialize)]
    /// #[serde(rename_all = "camelCase")]
    /// struct Email { smtp_server: String }
    ///
    /// assert_eq!(Email::fields().smtp_server.key(), "smtpServer");
    /// ```
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// Other keys serde accepts for it (`#[serde(alias = "...")]`).
    ///
    /// ```
    /// #[derive(confo::Confo, serde::Deserialize)]
    /// struct Email { #[serde(alias = "server")] smtp_server: String }
    ///
    /// assert_eq!(Email::fields().smtp_server.aliases(), ["server"]);
    /// ```
    pub fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }

    /// The field's path in messages: `database.port`.
    ///
    /// ```
    /// #[derive(confo::Confo, serde::Deserialize)]
    /// struct Database { port: u16 }
    ///
    /// assert_eq!(Database::fields().port.path(), "database.port");
    /// ```
    pub fn path(&self) -> String {
        format!("{}.{}", self.config, self.key)
    }

    pub(crate) fn default_value(&self) -> Option<V> {
        self.default.map(|f| f())
    }
}

impl<C, V> Clone for Field<C, V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C, V> Copy for Field<C, V> {}

impl<C, V> fmt::Debug for Field<C, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Field({}: {})", self.path(), std::any::type_name::<V>())
    }
}
