//! [`Secret`]: a value that never shows itself in Debug, Display or errors.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::typed::decode;

/// A value, such as a password, that prints as `***`.
///
/// It is stored and read as the bare inner value (`"password": "hunter2"`),
/// like the Python package stores it; only Rust hides it. A decoding error
/// about a secret field names the field and what kind of JSON was found,
/// never the value. Read it with [`Secret::expose`] where it is really used.
///
/// ```
/// use confo::Secret;
///
/// let password: Secret<String> = serde_json::from_str(r#""hunter2""#).unwrap();
/// assert_eq!(password.expose(), "hunter2");
/// assert_eq!(format!("{password:?} {password}"), "*** ***");
/// assert_eq!(serde_json::to_string(&password).unwrap(), r#""hunter2""#);
///
/// // Numbers stored as strings decode, as for any field.
/// let pin: Secret<u32> = serde_json::from_str(r#""1234""#).unwrap();
/// assert_eq!(*pin.expose(), 1234);
/// // And an error does not quote the value.
/// let err = serde_json::from_str::<Secret<u32>>(r#""hunter2""#).unwrap_err();
/// assert!(!err.to_string().contains("hunter2"));
/// ```
///
/// Decoding goes through a `serde_json::Value`, so it needs a
/// self-describing format (JSON, TOML, YAML...), which confo always is.
/// The value is not zeroed in memory when dropped.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    ///
    /// ```
    /// let s = confo::Secret::new(String::from("hunter2"));
    /// assert_eq!(s.to_string(), "***");
    /// ```
    pub const fn new(value: T) -> Self {
        Secret(value)
    }

    /// The value itself. Call it where the value is used, not where it is logged.
    ///
    /// ```
    /// let s = confo::Secret::new(42);
    /// assert_eq!(*s.expose(), 42);
    /// ```
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Same as [`Secret::expose`], named like the `secrecy` crate's accessor.
    ///
    /// ```
    /// let s = confo::Secret::new("k");
    /// assert_eq!(*s.expose_secret(), "k");
    /// ```
    pub fn expose_secret(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    ///
    /// ```
    /// assert_eq!(confo::Secret::new(7).into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T: Serialize> Serialize for Secret<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Take the JSON first, then decode it ourselves: the error messages
        // of our decoder never quote a value, whatever `deserializer` does.
        let value = Value::deserialize(deserializer)?;
        decode::decode_secret(&value)
            .map(Secret)
            .map_err(serde::de::Error::custom)
    }
}

/// A secret's schema is its value's, marked `writeOnly` (a UI or a
/// validator knows not to show it). confo reads numbers and booleans
/// stored as strings inside a secret wherever it is, so its schema takes
/// them there too.
///
/// ```
/// let schema = confo::schemars::schema_for!(confo::Secret<u32>);
/// assert_eq!(schema.get("writeOnly"), Some(&serde_json::json!(true)));
/// assert_eq!(schema.get("format"), Some(&serde_json::json!("uint32")));
/// ```
impl<T: schemars::JsonSchema> schemars::JsonSchema for Secret<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Secret_of_{}", T::schema_name()).into()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        format!("confo::Secret<{}>", T::schema_id()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = generator.subschema_for::<T>();
        schema.insert("writeOnly".to_owned(), Value::Bool(true));
        schema
    }
}
