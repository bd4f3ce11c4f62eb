//! Decoding a JSON value into a user type: scalars stored as strings are
//! coerced, errors carry field paths and never a stored value, and all the
//! errors of a configuration are found in one go.
//!
//! How "all errors at once" works: the value is decoded through
//! [`ValueDe`], a deserializer over `serde_json::Value` whose error type
//! ([`DeError`]) describes what was found by its JSON kind only, and
//! `serde_path_to_error` records where. On an error, the offending value is
//! replaced (or, for a missing field, filled in) with a *placeholder*, and
//! decoding runs again. A placeholder satisfies whatever the type asks for
//! (a number gets 0, a string "", a struct a map of placeholders, an enum
//! its first variant), so decoding proceeds to the next problem. The loop
//! stops when decoding succeeds, when the same place fails twice (a custom
//! `Deserialize` that rejects the placeholder too), or after
//! [`MAX_ERRORS`]. Where serde buffers the input itself (`#[serde(flatten)]`,
//! untagged and internally tagged enums) the placeholder is not seen as such,
//! and the errors inside stop at the first one.

use std::collections::HashSet;
use std::fmt;

use serde::de::{
    self, value::BorrowedStrDeserializer, DeserializeOwned, DeserializeSeed, EnumAccess, Expected,
    IntoDeserializer, MapAccess, SeqAccess, Unexpected, VariantAccess, Visitor,
};
#[cfg(test)]
use serde_json::Map;
use serde_json::Value;
use serde_path_to_error::Segment;

use crate::error::FieldError;

/// Most errors listed for one configuration.
pub(crate) const MAX_ERRORS: usize = 100;

/// Stands in for a value removed or added by the error-collecting pass. It
/// contains NUL characters, so no stored configuration holds it by accident.
pub(crate) const PLACEHOLDER: &str = "\u{0}confo-placeholder\u{0}";

/// What went wrong, without the stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DeError {
    /// A required field is absent.
    Missing(String),
    /// A field the type does not know (`deny_unknown_fields`).
    Unknown { field: String, expected: String },
    /// A type or value mismatch, described by kinds only.
    Mismatch(String),
    /// A message from a `Deserialize` impl (may quote a value).
    Custom(String),
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeError::Missing(field) => write!(f, "missing field `{field}`"),
            DeError::Unknown { field, expected } => {
                write!(f, "unknown field `{field}`, expected {expected}")
            }
            DeError::Mismatch(msg) | DeError::Custom(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::Custom(msg.to_string())
    }

    fn invalid_type(unexp: Unexpected, exp: &dyn Expected) -> Self {
        DeError::Mismatch(format!("expected {exp}, found {}", kind_of(&unexp)))
    }

    fn invalid_value(unexp: Unexpected, exp: &dyn Expected) -> Self {
        let found = match unexp {
            Unexpected::Unsigned(_) | Unexpected::Signed(_) | Unexpected::Float(_) => {
                "a number out of range".to_owned()
            }
            other => kind_of(&other).to_owned(),
        };
        DeError::Mismatch(format!("invalid value: expected {exp}, found {found}"))
    }

    fn invalid_length(len: usize, exp: &dyn Expected) -> Self {
        DeError::Mismatch(format!("expected {exp}, found {len} elements"))
    }

    fn unknown_variant(_variant: &str, expected: &'static [&'static str]) -> Self {
        DeError::Mismatch(format!("unknown variant, expected {}", one_of(expected)))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        DeError::Unknown {
            field: field.to_owned(),
            expected: one_of(expected),
        }
    }

    fn missing_field(field: &'static str) -> Self {
        DeError::Missing(field.to_owned())
    }

    fn duplicate_field(field: &'static str) -> Self {
        DeError::Mismatch(format!("duplicate field `{field}`"))
    }
}

fn one_of(names: &[&str]) -> String {
    match names {
        [] => "nothing".to_owned(),
        [one] => format!("`{one}`"),
        _ => format!(
            "one of {}",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The JSON kind of what serde reports as unexpected, never the value.
fn kind_of(unexp: &Unexpected) -> &'static str {
    match unexp {
        Unexpected::Bool(_) => "a boolean",
        Unexpected::Unsigned(_) | Unexpected::Signed(_) | Unexpected::Float(_) => "a number",
        Unexpected::Char(_) => "a character",
        Unexpected::Str(_) => "a string",
        Unexpected::Bytes(_) => "bytes",
        Unexpected::Unit => "null",
        Unexpected::Option => "an optional value",
        Unexpected::NewtypeStruct => "a newtype struct",
        Unexpected::Seq => "an array",
        Unexpected::Map => "an object",
        Unexpected::Enum => "an enum",
        Unexpected::UnitVariant
        | Unexpected::NewtypeVariant
        | Unexpected::TupleVariant
        | Unexpected::StructVariant => "an enum variant",
        Unexpected::Other(_) => "a value of another kind",
    }
}

fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Unexpected::Unsigned(u),
            (_, Some(i)) => Unexpected::Signed(i),
            _ => Unexpected::Float(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

/// Decodes `value` into `T`; on failure, every error found, with field
/// paths starting at `root` (the configuration name, e.g. `database`).
pub(crate) fn decode<T: DeserializeOwned>(value: &Value, root: &str) -> Result<T, Vec<FieldError>> {
    match serde_path_to_error::deserialize::<_, T>(ValueDe::new(value)) {
        Ok(t) => Ok(t),
        Err(first) => Err(collect::<T>(value, root, first)),
    }
}

fn collect<T: DeserializeOwned>(
    value: &Value,
    root: &str,
    first: serde_path_to_error::Error<DeError>,
) -> Vec<FieldError> {
    let mut work = value.clone();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut next = Some(first);
    while let Some(err) = next.take() {
        let segments: Vec<Segment> = err.path().iter().cloned().collect();
        let field_error = describe(root, &segments, err.inner());
        if !seen.insert(field_error.field.clone()) || errors.len() >= MAX_ERRORS {
            break;
        }
        errors.push(field_error);
        if !repair(&mut work, &segments, err.inner()) {
            break;
        }
        next = serde_path_to_error::deserialize::<_, T>(ValueDe::new(&work)).err();
    }
    errors
}

/// `root.a.b[2].c`, the way a user finds the field in the JSON.
pub(crate) fn render_path(root: &str, segments: &[Segment]) -> String {
    let mut out = root.to_owned();
    for segment in segments {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                out.push('.');
                out.push_str(key);
            }
            Segment::Unknown => out.push_str(".?"),
        }
    }
    out
}

fn describe(root: &str, segments: &[Segment], err: &DeError) -> FieldError {
    let path = render_path(root, segments);
    match err {
        DeError::Missing(field) => FieldError {
            field: join(&path, segments, field),
            message: "missing; this field is required (or make it an Option, or #[serde(default)])"
                .to_owned(),
        },
        DeError::Unknown { field, expected } => FieldError {
            field: join(&path, segments, field),
            message: format!("unknown field, expected {expected}"),
        },
        DeError::Mismatch(msg) | DeError::Custom(msg) => FieldError {
            field: path,
            message: msg.clone(),
        },
    }
}

/// `path.field`, unless the path already ends at that field.
fn join(path: &str, segments: &[Segment], field: &str) -> String {
    match segments.last() {
        Some(Segment::Map { key }) if key == field => path.to_owned(),
        _ => format!("{path}.{field}"),
    }
}

fn locate<'a>(mut current: &'a mut Value, segments: &[Segment]) -> Option<&'a mut Value> {
    for segment in segments {
        current = match (segment, current) {
            (Segment::Map { key }, Value::Object(map)) => map.get_mut(key)?,
            (Segment::Enum { variant }, Value::Object(map)) => map.get_mut(variant)?,
            (Segment::Enum { .. }, other) => other,
            (Segment::Seq { index }, Value::Array(items)) => items.get_mut(*index)?,
            _ => return None,
        };
    }
    Some(current)
}

fn placeholder() -> Value {
    Value::String(PLACEHOLDER.to_owned())
}

/// Changes `work` so that decoding gets past `err`; false if it cannot.
fn repair(work: &mut Value, segments: &[Segment], err: &DeError) -> bool {
    match err {
        DeError::Missing(field) => match locate(work, segments) {
            Some(Value::Object(map)) if !map.contains_key(field) => {
                map.insert(field.clone(), placeholder());
                true
            }
            _ => false,
        },
        DeError::Unknown { field, .. } => {
            let (parent, key) = match segments.split_last() {
                Some((Segment::Map { key }, parent)) if key == field => (parent, key),
                _ => (segments, field),
            };
            match locate(work, parent) {
                Some(Value::Object(map)) => map.remove(key).is_some(),
                _ => false,
            }
        }
        DeError::Mismatch(msg) | DeError::Custom(msg) => match locate(work, segments) {
            // An object or array is replaced only when it is itself of the
            // wrong kind. Otherwise the error came from inside a value serde
            // buffered (flatten, untagged): replacing the whole of it would
            // invent errors about its parts, so the pass stops there.
            Some(Value::Object(_) | Value::Array(_))
                if !(msg.ends_with("found an object") || msg.ends_with("found an array")) =>
            {
                false
            }
            Some(target) if !is_placeholder(target) => {
                *target = placeholder();
                true
            }
            _ => false,
        },
    }
}

pub(crate) fn is_placeholder(value: &Value) -> bool {
    matches!(value, Value::String(s) if s == PLACEHOLDER)
}

/// A deserializer over a JSON value that coerces numeric and boolean
/// strings, and turns placeholders into whatever is asked for.
#[derive(Clone, Copy)]
pub(crate) struct ValueDe<'de> {
    /// `None` is a placeholder.
    value: Option<&'de Value>,
}

impl<'de> ValueDe<'de> {
    pub(crate) fn new(value: &'de Value) -> Self {
        ValueDe {
            value: if is_placeholder(value) {
                None
            } else {
                Some(value)
            },
        }
    }

    const PLACEHOLDER: ValueDe<'static> = ValueDe { value: None };
}

macro_rules! integer {
    ($($method:ident => $parse:ty, $visit:ident;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            match self.value {
                None => visitor.$visit(0),
                Some(Value::String(s)) => match s.parse::<$parse>() {
                    Ok(n) => visitor.$visit(n),
                    Err(_) => match s.parse::<i64>() {
                        Ok(n) => visitor.visit_i64(n),
                        Err(_) => Err(de::Error::invalid_type(Unexpected::Str(s), &visitor)),
                    },
                },
                Some(_) => self.deserialize_any(visitor),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValueDe<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let Some(value) = self.value else {
            // Passed on as is: a `Secret` buffers it as a JSON value and
            // recognises it when it decodes that value.
            return visitor.visit_borrowed_str(PLACEHOLDER);
        };
        match value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or_default())
                }
            }
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => visitor.visit_seq(Seq {
                items: items.iter(),
            }),
            Value::Object(map) => visitor.visit_map(Obj {
                entries: map.iter(),
                value: None,
            }),
        }
    }

    integer! {
        deserialize_u8 => u64, visit_u64;
        deserialize_u16 => u64, visit_u64;
        deserialize_u32 => u64, visit_u64;
        deserialize_u64 => u64, visit_u64;
        deserialize_u128 => u128, visit_u128;
        deserialize_i8 => i64, visit_i64;
        deserialize_i16 => i64, visit_i64;
        deserialize_i32 => i64, visit_i64;
        deserialize_i64 => i64, visit_i64;
        deserialize_i128 => i128, visit_i128;
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            None => visitor.visit_f64(0.0),
            Some(Value::String(s)) => match s.parse::<f64>() {
                Ok(n) => visitor.visit_f64(n),
                Err(_) => Err(de::Error::invalid_type(Unexpected::Str(s), &visitor)),
            },
            Some(_) => self.deserialize_any(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            None => visitor.visit_bool(false),
            // Python's str(True) is "True"; JSON's is "true".
            Some(Value::String(s)) => match s.as_str() {
                "true" | "True" => visitor.visit_bool(true),
                "false" | "False" => visitor.visit_bool(false),
                _ => Err(de::Error::invalid_type(Unexpected::Str(s), &visitor)),
            },
            Some(_) => self.deserialize_any(visitor),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            None => visitor.visit_char('\0'),
            Some(_) => self.deserialize_any(visitor),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            None => visitor.visit_borrowed_str(""),
            Some(_) => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            None => visitor.visit_borrowed_bytes(&[]),
            Some(_) => self.deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            None | Some(Value::Null) => visitor.visit_none(),
            Some(_) => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            None => visitor.visit_unit(),
            Some(_) => self.deserialize_any(visitor),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            None => visitor.visit_seq(Placeholders { left: 0 }),
            Some(_) => self.deserialize_any(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.value {
            None => visitor.visit_seq(Placeholders { left: len }),
            Some(_) => self.deserialize_any(visitor),
        }
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            None => visitor.visit_map(PlaceholderFields { fields: [].iter() }),
            Some(_) => self.deserialize_any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.value {
            None => visitor.visit_map(PlaceholderFields {
                fields: fields.iter(),
            }),
            Some(_) => self.deserialize_any(visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.value {
            None => match variants.first() {
                Some(first) => visitor.visit_enum(Variant {
                    name: first,
                    content: ValueDe::PLACEHOLDER,
                }),
                None => Err(de::Error::invalid_type(Unexpected::Unit, &visitor)),
            },
            Some(Value::String(s)) => visitor.visit_enum(UnitVariant(s)),
            Some(Value::Object(map)) if map.len() == 1 => match map.iter().next() {
                Some((name, content)) => visitor.visit_enum(Variant {
                    name,
                    content: ValueDe::new(content),
                }),
                None => Err(de::Error::invalid_type(Unexpected::Map, &visitor)),
            },
            Some(other) => Err(de::Error::invalid_type(unexpected(other), &visitor)),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct Seq<'de> {
    items: std::slice::Iter<'de, Value>,
}

impl<'de> SeqAccess<'de> for Seq<'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            Some(item) => seed.deserialize(ValueDe::new(item)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Obj<'de> {
    entries: serde_json::map::Iter<'de>,
    value: Option<&'de Value>,
}

impl<'de> MapAccess<'de> for Obj<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(BorrowedStrDeserializer::new(key))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        match self.value.take() {
            Some(value) => seed.deserialize(ValueDe::new(value)),
            None => Err(de::Error::custom("value asked for before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// A sequence of `left` placeholders.
struct Placeholders {
    left: usize,
}

impl<'de> SeqAccess<'de> for Placeholders {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(ValueDe::PLACEHOLDER).map(Some)
    }
}

/// An object with every field of a struct set to a placeholder.
struct PlaceholderFields {
    fields: std::slice::Iter<'static, &'static str>,
}

impl<'de> MapAccess<'de> for PlaceholderFields {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.fields.next() {
            Some(field) => seed.deserialize((*field).into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        seed.deserialize(ValueDe::PLACEHOLDER)
    }
}

/// `"variant"`: a unit variant.
struct UnitVariant<'de>(&'de str);

impl<'de> EnumAccess<'de> for UnitVariant<'de> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), DeError> {
        let value = seed.deserialize(BorrowedStrDeserializer::new(self.0))?;
        Ok((value, self))
    }
}

impl<'de> VariantAccess<'de> for UnitVariant<'de> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, DeError> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"newtype variant",
        ))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, DeError> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"tuple variant",
        ))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, DeError> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"struct variant",
        ))
    }
}

/// `{"variant": content}` (or a placeholder's first variant).
struct Variant<'de> {
    name: &'de str,
    content: ValueDe<'de>,
}

impl<'de> EnumAccess<'de> for Variant<'de> {
    type Error = DeError;
    type Variant = ValueDe<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, ValueDe<'de>), DeError> {
        let value = seed.deserialize(BorrowedStrDeserializer::new(self.name))?;
        Ok((value, self.content))
    }
}

impl<'de> VariantAccess<'de> for ValueDe<'de> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        match self.value {
            None | Some(Value::Null) => Ok(()),
            Some(other) => Err(de::Error::invalid_type(unexpected(other), &"unit variant")),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_tuple(self, len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_struct(self, "", fields, visitor)
    }
}

/// Decodes a secret's inner value from the JSON it was given, so that no
/// error message can quote it: messages of custom `Deserialize` impls are
/// replaced by one that names only the type.
pub(crate) fn decode_secret<T: DeserializeOwned>(value: &Value) -> Result<T, String> {
    T::deserialize(ValueDe::new(value)).map_err(|err| match err {
        DeError::Custom(_) => format!(
            "not a valid {} (the value is secret and not shown)",
            std::any::type_name::<T>()
        ),
        other => other.to_string(),
    })
}

/// A field absent from the stored object: `Option`s become `None`, every
/// other type reports it missing.
pub(crate) fn decode_missing<T: DeserializeOwned>() -> Option<T> {
    T::deserialize(Missing).ok()
}

struct Missing;

impl<'de> de::Deserializer<'de> for Missing {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, DeError> {
        Err(DeError::Missing(String::new()))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn fields<T: DeserializeOwned + fmt::Debug>(value: Value) -> Vec<String> {
        decode::<T>(&value, "cfg")
            .unwrap_err()
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect()
    }

    #[test]
    fn unknown_fields_are_all_listed_with_deny_unknown_fields() {
        #[derive(Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Strict {
            port: u16,
        }
        let errors = fields::<Strict>(json!({"port": "x", "prot": 1, "hots": 2}));
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors.contains(&"cfg.port: expected u16, found a string".to_owned()));
        assert!(errors
            .iter()
            .any(|e| e.starts_with("cfg.prot: unknown field")));
        assert!(errors
            .iter()
            .any(|e| e.starts_with("cfg.hots: unknown field")));
    }

    #[test]
    fn a_custom_deserializer_that_keeps_failing_stops_the_pass() {
        #[derive(Debug)]
        struct Never;
        impl<'de> Deserialize<'de> for Never {
            fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                de::IgnoredAny::deserialize(d)?;
                Err(de::Error::custom("never valid"))
            }
        }
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Cfg {
            a: Never,
            b: u8,
        }
        // `a` fails again on its placeholder: reported once, and the pass ends.
        assert_eq!(
            fields::<Cfg>(json!({"a": 1, "b": "x"})),
            ["cfg.a: never valid"]
        );
    }

    #[test]
    fn flatten_falls_back_to_the_first_error_inside() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Inner {
            x: u8,
            y: u8,
        }
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Cfg {
            #[serde(flatten)]
            inner: Inner,
            extra: BTreeMap<String, u8>,
        }
        let errors = fields::<Cfg>(json!({"x": "a", "y": "b", "extra": {}}));
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn messages_never_quote_values() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Cfg {
            a: u8,
            b: bool,
            c: Vec<u8>,
            d: char,
        }
        let errors =
            fields::<Cfg>(json!({"a": "secret1", "b": "secret2", "c": "secret3", "d": "secret4"}));
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors.iter().all(|e| !e.contains("secret")), "{errors:?}");
    }

    #[test]
    fn a_limit_bounds_the_pass() {
        let many: Map<String, Value> = (0..150).map(|i| (format!("k{i:03}"), json!("x"))).collect();
        let errors = decode::<BTreeMap<String, u8>>(&Value::Object(many), "cfg").unwrap_err();
        assert_eq!(errors.len(), MAX_ERRORS);
    }
}
