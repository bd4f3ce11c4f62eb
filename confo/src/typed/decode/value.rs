//! [`ValueDe`]: a deserializer over a parsed `serde_json::Value` that
//! answers each request the way serde_json's own deserializer answers it
//! on the same JSON (with the same coercion as the fast path), and turns
//! placeholders into whatever is asked for. The error-collecting pass runs
//! on it; the fast path decides what decodes.

use serde::de::{
    self, value::BorrowedStrDeserializer, value::MapDeserializer, DeserializeSeed, EnumAccess,
    IntoDeserializer, MapAccess, SeqAccess, Unexpected, VariantAccess, Visitor,
};
use serde_json::Value;

use super::coerce::{self, Coerced};
use super::error::DeError;

/// Stands in for a value removed or added by the error-collecting pass. It
/// contains NUL characters, so no stored configuration holds it by accident.
pub(crate) const PLACEHOLDER: &str = "\u{0}confo-placeholder\u{0}";

const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

pub(crate) fn is_placeholder(value: &Value) -> bool {
    matches!(value, Value::String(s) if s == PLACEHOLDER)
}

pub(crate) fn unexpected(value: &Value) -> Unexpected<'_> {
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

/// A deserializer over a JSON value; `None` is a placeholder.
#[derive(Clone, Copy)]
pub(crate) struct ValueDe<'de> {
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

    fn number<V: Visitor<'de>>(
        self,
        visitor: V,
        coerce: fn(&str) -> Option<Coerced>,
        zero: Coerced,
    ) -> Result<V::Value, DeError> {
        match self.value {
            None => zero.visit(visitor),
            Some(Value::Number(n)) => visit_number(n, visitor),
            Some(Value::String(s)) => match coerce(s) {
                Some(c) => c.visit(visitor),
                None => Err(de::Error::invalid_type(
                    Unexpected::Other(coerce::NOT_A_NUMBER),
                    &visitor,
                )),
            },
            Some(other) => Err(de::Error::invalid_type(unexpected(other), &visitor)),
        }
    }
}

fn visit_number<'de, V: Visitor<'de>>(
    n: &serde_json::Number,
    visitor: V,
) -> Result<V::Value, DeError> {
    if let Some(u) = n.as_u64() {
        visitor.visit_u64(u)
    } else if let Some(i) = n.as_i64() {
        visitor.visit_i64(i)
    } else {
        visitor.visit_f64(n.as_f64().unwrap_or_default())
    }
}

fn visit_array<'de, V: Visitor<'de>>(items: &'de [Value], visitor: V) -> Result<V::Value, DeError> {
    let mut seq = Seq {
        items: items.iter(),
    };
    let value = visitor.visit_seq(&mut seq)?;
    match seq.items.len() {
        0 => Ok(value),
        left => Err(DeError::Mismatch {
            message: format!(
                "expected {} elements, found {} elements",
                items.len() - left,
                items.len()
            ),
            found: super::error::Found::Other,
        }),
    }
}

fn visit_object<'de, V: Visitor<'de>>(
    map: &'de serde_json::Map<String, Value>,
    tag: Option<&'static str>,
    visitor: V,
) -> Result<V::Value, DeError> {
    let mut obj = Obj {
        entries: map.iter().collect::<Vec<_>>().into_iter(),
        value: None,
        tag,
    };
    let value = visitor.visit_map(&mut obj)?;
    match obj.entries.len() {
        0 => Ok(value),
        _ => Err(de::Error::custom(
            "an object with more entries than the type reads",
        )),
    }
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
            Value::Number(n) => visit_number(n, visitor),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => visit_array(items, visitor),
            Value::Object(map) => visit_object(map, None, visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            None => visitor.visit_bool(false),
            Some(Value::Bool(b)) => visitor.visit_bool(*b),
            Some(Value::String(s)) => match coerce::bool_from(s) {
                Some(c) => c.visit(visitor),
                None => Err(de::Error::invalid_type(
                    Unexpected::Other(coerce::NOT_A_BOOLEAN),
                    &visitor,
                )),
            },
            Some(other) => Err(de::Error::invalid_type(unexpected(other), &visitor)),
        }
    }

    fn deserialize_u8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.number(v, coerce::unsigned_from, Coerced::U64(0))
    }
    fn deserialize_u16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.number(v, coerce::unsigned_from, Coerced::U64(0))
    }
    fn deserialize_u32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.number(v, coerce::unsigned_from, Coerced::U64(0))
    }
    fn deserialize_u64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.number(v, coerce::unsigned_from, Coerced::U64(0))
    }
    fn deserialize_u128<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.number(v, coerce::u128_from, Coerced::U64(0))
    }
    fn deserialize_i8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.number(v, coerce::signed_from, Coerced::I64(0))
    }
    fn deserialize_i16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.number(v, coerce::signed_from, Coerced::I64(0))
    }
    fn deserialize_i32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.number(v, coerce::signed_from, Coerced::I64(0))
    }
    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.number(v, coerce::signed_from, Coerced::I64(0))
    }
    fn deserialize_i128<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.number(v, coerce::i128_from, Coerced::I64(0))
    }
    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.number(v, coerce::float_from, Coerced::F64(0.0))
    }
    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.number(v, coerce::float_from, Coerced::F64(0.0))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            None => visitor.visit_char('\0'),
            Some(_) => self.deserialize_str(visitor),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            None => visitor.visit_borrowed_str(""),
            Some(Value::String(s)) => visitor.visit_borrowed_str(s),
            Some(other) => Err(de::Error::invalid_type(unexpected(other), &visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            None => visitor.visit_borrowed_bytes(&[]),
            Some(Value::String(s)) => visitor.visit_borrowed_bytes(s.as_bytes()),
            Some(Value::Array(items)) => visit_array(items, visitor),
            Some(other) => Err(de::Error::invalid_type(unexpected(other), &visitor)),
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
            None | Some(Value::Null) => visitor.visit_unit(),
            Some(other) => Err(de::Error::invalid_type(unexpected(other), &visitor)),
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
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == RAW_VALUE_TOKEN {
            let raw = self
                .value
                .map_or_else(|| "null".to_owned(), Value::to_string);
            return visitor.visit_map(MapDeserializer::new(std::iter::once((
                RAW_VALUE_TOKEN,
                raw,
            ))));
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            None => visitor.visit_seq(Placeholders { left: 0 }),
            Some(Value::Array(items)) => visit_array(items, visitor),
            Some(other) => Err(de::Error::invalid_type(unexpected(other), &visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.value {
            None => visitor.visit_seq(Placeholders { left: len }),
            Some(_) => self.deserialize_seq(visitor),
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
            Some(Value::Object(map)) => visit_object(map, None, visitor),
            Some(other) => Err(de::Error::invalid_type(unexpected(other), &visitor)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let tag = match fields {
            [tag, _] => Some(*tag),
            _ => None,
        };
        match self.value {
            None => visitor.visit_map(PlaceholderFields {
                fields: fields.iter(),
            }),
            Some(Value::Object(map)) => visit_object(map, tag, visitor),
            Some(Value::Array(items)) => visit_array(items, visitor),
            Some(other) => Err(de::Error::invalid_type(unexpected(other), &visitor)),
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

impl<'de> SeqAccess<'de> for &mut Seq<'de> {
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
    entries: std::vec::IntoIter<(&'de String, &'de Value)>,
    value: Option<&'de Value>,
    /// The first field of a two-field struct: an adjacently tagged enum's tag.
    tag: Option<&'static str>,
}

impl<'de> MapAccess<'de> for &mut Obj<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        if let Some(tag) = self.tag.take() {
            if super::coerce::is_adjacent_tag_seed::<K>() {
                let (mut first, rest): (Vec<_>, Vec<_>) =
                    std::mem::take(&mut self.entries).partition(|(k, _)| k.as_str() == tag);
                first.extend(rest);
                self.entries = first.into_iter();
            }
        }
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(Key(key)).map(Some)
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

/// An object key, read as serde_json reads keys: numbers and booleans
/// parsed from the key's text, everything else a string.
struct Key<'de>(&'de str);

impl Key<'_> {
    fn number(&self) -> Option<serde_json::Number> {
        let key = self.0;
        let starts = key.starts_with(|c: char| c.is_ascii_digit() || c == '-');
        if !starts || key.contains(char::is_whitespace) {
            return None;
        }
        key.parse().ok()
    }
}

macro_rules! key_number {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            match self.number() {
                Some(n) => visit_number(&n, visitor),
                None => Err(de::Error::invalid_type(Unexpected::Str(self.0), &visitor)),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Key<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_borrowed_str(self.0)
    }

    key_number!(
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_f32,
        deserialize_f64
    );

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.number().and_then(|_| self.0.parse::<u128>().ok()) {
            Some(n) => visitor.visit_u128(n),
            None => Err(de::Error::invalid_type(Unexpected::Str(self.0), &visitor)),
        }
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.number().and_then(|_| self.0.parse::<i128>().ok()) {
            Some(n) => visitor.visit_i128(n),
            None => Err(de::Error::invalid_type(Unexpected::Str(self.0), &visitor)),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            other => Err(de::Error::invalid_type(Unexpected::Str(other), &visitor)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_enum(UnitVariant(self.0))
    }

    serde::forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
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
        // Not through deserialize_struct: a struct variant is never an
        // adjacently tagged enum's map.
        match self.value {
            None => visitor.visit_map(PlaceholderFields {
                fields: fields.iter(),
            }),
            Some(Value::Object(map)) => visit_object(map, None, visitor),
            Some(Value::Array(items)) => visit_array(items, visitor),
            Some(other) => Err(de::Error::invalid_type(unexpected(other), &visitor)),
        }
    }
}
