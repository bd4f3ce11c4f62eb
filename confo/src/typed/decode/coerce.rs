//! The fast path: serde_json's own deserializer over the stored bytes, with
//! a thin adapter that lets numbers and booleans stored as strings decode
//! into numeric and boolean requests. Every other call goes to serde_json
//! unchanged, so the result is `serde_json::from_slice::<T>`'s wherever no
//! coercion applies.
//!
//! The adapter wraps each value serde_json hands out (options, newtypes,
//! sequence elements, map values, enum contents), never a map key (keys
//! are read as serde_json reads them) nor what serde buffers itself
//! (`flatten`, untagged and internally tagged enums, which ask for
//! `deserialize_any`). Adjacently tagged enums are read with their tag
//! first whatever the key order, so coercion reaches their content either way.

use std::fmt;

use serde::de::{
    self, value::StrDeserializer, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess,
    MapAccess, SeqAccess, Unexpected, VariantAccess, Visitor,
};
use serde_json::value::RawValue;

/// `T` from `bytes` as serde_json decodes it, with the coercion.
pub(crate) fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = T::deserialize(Coerce(&mut de))?;
    de.end()?;
    Ok(value)
}

/// Decodes `raw` (a JSON value borrowed from the input) with `seed`.
fn reparse<'de, S: DeserializeSeed<'de>, E: de::Error>(
    raw: &'de RawValue,
    seed: S,
) -> Result<S::Value, E> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let value = seed.deserialize(Coerce(&mut de)).map_err(E::custom)?;
    de.end().map_err(E::custom)?;
    Ok(value)
}

/// The name serde_json gives `RawValue`'s newtype: passed through untouched.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// What the decoder reports for a string stored where a number is read
/// that is not one (`"5432"` would have been read as 5432).
pub(crate) const NOT_A_NUMBER: &str = "a string that is not a number";

/// As [`NOT_A_NUMBER`], for a boolean (`"true"` would have been read).
pub(crate) const NOT_A_BOOLEAN: &str = "a string that is not true or false";

/// What a scalar request asks for.
#[derive(Clone, Copy)]
enum Want {
    Bool,
    Unsigned,
    Signed,
    Float,
}

/// The number or boolean a string stored for a scalar request stands for.
pub(crate) enum Coerced {
    Bool(bool),
    U64(u64),
    I64(i64),
    U128(u128),
    I128(i128),
    F64(f64),
}

impl Coerced {
    pub(crate) fn visit<'de, V: Visitor<'de>, E: de::Error>(
        self,
        visitor: V,
    ) -> Result<V::Value, E> {
        match self {
            Coerced::Bool(b) => visitor.visit_bool(b),
            Coerced::U64(n) => visitor.visit_u64(n),
            Coerced::I64(n) => visitor.visit_i64(n),
            Coerced::U128(n) => visitor.visit_u128(n),
            Coerced::I128(n) => visitor.visit_i128(n),
            Coerced::F64(n) => visitor.visit_f64(n),
        }
    }
}

/// The documented coercion, exactly: a boolean is `true`, `false`, `True`
/// or `False`; an unsigned integer is what Rust's `u64::from_str` reads
/// (else a negative `i64`, which the type then refuses as out of range); a
/// signed one `i64::from_str`; a float `f64::from_str`.
pub(crate) fn bool_from(s: &str) -> Option<Coerced> {
    match s {
        "true" | "True" => Some(Coerced::Bool(true)),
        "false" | "False" => Some(Coerced::Bool(false)),
        _ => None,
    }
}

pub(crate) fn unsigned_from(s: &str) -> Option<Coerced> {
    s.parse::<u64>()
        .map(Coerced::U64)
        .or_else(|_| s.parse::<i64>().map(Coerced::I64))
        .ok()
}

pub(crate) fn signed_from(s: &str) -> Option<Coerced> {
    s.parse::<i64>().map(Coerced::I64).ok()
}

pub(crate) fn u128_from(s: &str) -> Option<Coerced> {
    s.parse::<u128>()
        .map(Coerced::U128)
        .or_else(|_| s.parse::<i64>().map(Coerced::I64))
        .ok()
}

pub(crate) fn i128_from(s: &str) -> Option<Coerced> {
    s.parse::<i128>().map(Coerced::I128).ok()
}

pub(crate) fn float_from(s: &str) -> Option<Coerced> {
    s.parse::<f64>().map(Coerced::F64).ok()
}

fn coerce(want: Want, s: &str) -> Option<Coerced> {
    match want {
        Want::Bool => bool_from(s),
        Want::Unsigned => unsigned_from(s),
        Want::Signed => signed_from(s),
        Want::Float => float_from(s),
    }
}

/// A deserializer that coerces scalars stored as strings and passes every
/// other call to the one it wraps.
pub(crate) struct Coerce<D>(pub(crate) D);

/// Asks serde_json for any value and answers the scalar request with it:
/// what serde_json would visit for a number (or a boolean), the coerced
/// string, or the error serde_json gives for any other kind.
struct Scalar<V> {
    visitor: V,
    want: Want,
}

impl<'de, V: Visitor<'de>> Scalar<V> {
    fn refuse<E: de::Error>(self, unexp: Unexpected<'_>) -> Result<V::Value, E> {
        Err(E::invalid_type(unexp, &self.visitor))
    }

    fn number<E: de::Error>(self, unexp: Unexpected<'_>) -> Result<V::Value, E> {
        match (self.want, unexp) {
            (Want::Bool, u) => self.refuse(u),
            (_, Unexpected::Unsigned(n)) => self.visitor.visit_u64(n),
            (_, Unexpected::Signed(n)) => self.visitor.visit_i64(n),
            (_, Unexpected::Float(n)) => self.visitor.visit_f64(n),
            (_, u) => self.refuse(u),
        }
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Scalar<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<V::Value, E> {
        match self.want {
            Want::Bool => self.visitor.visit_bool(b),
            _ => self.refuse(Unexpected::Bool(b)),
        }
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<V::Value, E> {
        self.number(Unexpected::Unsigned(n))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<V::Value, E> {
        self.number(Unexpected::Signed(n))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<V::Value, E> {
        self.number(Unexpected::Float(n))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<V::Value, E> {
        match coerce(self.want, s) {
            Some(c) => c.visit(self.visitor),
            None => {
                let not = match self.want {
                    Want::Bool => NOT_A_BOOLEAN,
                    _ => NOT_A_NUMBER,
                };
                self.refuse(Unexpected::Other(not))
            }
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.refuse(Unexpected::Unit)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _seq: A) -> Result<V::Value, A::Error> {
        self.refuse(Unexpected::Seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, _map: A) -> Result<V::Value, A::Error> {
        self.refuse(Unexpected::Map)
    }
}

macro_rules! scalar {
    ($($method:ident => $want:ident;)*) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.deserialize_any(Scalar { visitor, want: Want::$want })
        }
    )*};
}

macro_rules! raw {
    ($($method:ident;)*) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method(visitor)
        }
    )*};
}

macro_rules! wrapped {
    ($($method:ident;)*) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method(Wrap::new(visitor))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Coerce<D> {
    /// 128-bit integers: serde_json reads them from the input text itself
    /// (they do not fit its number type), so the value is taken raw first.
    fn wide<V: Visitor<'de>>(
        self,
        visitor: V,
        from: fn(&str) -> Option<Coerced>,
        unsigned: bool,
    ) -> Result<V::Value, D::Error> {
        let raw = <&'de RawValue>::deserialize(self.0)?;
        let text = raw.get();
        if text.starts_with('"') {
            let s: std::borrow::Cow<'_, str> =
                serde_json::from_str(text).map_err(de::Error::custom)?;
            return match from(&s) {
                Some(c) => c.visit(visitor),
                None => Err(de::Error::invalid_type(Unexpected::Str(&s), &visitor)),
            };
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let value = if unsigned {
            de::Deserializer::deserialize_u128(&mut de, visitor)
        } else {
            de::Deserializer::deserialize_i128(&mut de, visitor)
        }
        .map_err(de::Error::custom)?;
        de.end().map_err(de::Error::custom)?;
        Ok(value)
    }
}

use serde::Deserialize as _;

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Coerce<D> {
    type Error = D::Error;

    scalar! {
        deserialize_bool => Bool;
        deserialize_u8 => Unsigned;
        deserialize_u16 => Unsigned;
        deserialize_u32 => Unsigned;
        deserialize_u64 => Unsigned;
        deserialize_i8 => Signed;
        deserialize_i16 => Signed;
        deserialize_i32 => Signed;
        deserialize_i64 => Signed;
        deserialize_f32 => Float;
        deserialize_f64 => Float;
    }

    raw! {
        deserialize_char;
        deserialize_str;
        deserialize_string;
        deserialize_identifier;
        deserialize_unit;
        deserialize_ignored_any;
    }

    wrapped! {
        deserialize_any;
        deserialize_bytes;
        deserialize_byte_buf;
        deserialize_option;
        deserialize_seq;
        deserialize_map;
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.wide(visitor, u128_from, true)
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.wide(visitor, i128_from, false)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        if name == RAW_VALUE_TOKEN {
            return self.0.deserialize_newtype_struct(name, visitor);
        }
        self.0.deserialize_newtype_struct(name, Wrap::new(visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, Wrap::new(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0
            .deserialize_tuple_struct(name, len, Wrap::new(visitor))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let wrap = Wrap {
            visitor,
            // An adjacently tagged enum asks for a struct of its tag and content.
            tag: match fields {
                [tag, _content] => Some(tag),
                _ => None,
            },
        };
        self.0.deserialize_struct(name, fields, wrap)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, Wrap::new(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// A visitor whose nested deserializers and accesses are wrapped.
struct Wrap<V> {
    visitor: V,
    /// The first field of a two-field struct: an adjacently tagged enum's tag.
    tag: Option<&'static str>,
}

impl<V> Wrap<V> {
    fn new(visitor: V) -> Self {
        Wrap { visitor, tag: None }
    }
}

macro_rules! forward {
    ($($method:ident($ty:ty);)*) => {$(
        #[inline]
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.visitor.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    forward! {
        visit_bool(bool);
        visit_i8(i8);
        visit_i16(i16);
        visit_i32(i32);
        visit_i64(i64);
        visit_i128(i128);
        visit_u8(u8);
        visit_u16(u16);
        visit_u32(u32);
        visit_u64(u64);
        visit_u128(u128);
        visit_f32(f32);
        visit_f64(f64);
        visit_char(char);
        visit_str(&str);
        visit_borrowed_str(&'de str);
        visit_string(String);
        visit_bytes(&[u8]);
        visit_borrowed_bytes(&'de [u8]);
        visit_byte_buf(Vec<u8>);
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_unit()
    }

    fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<V::Value, D2::Error> {
        self.visitor.visit_some(Coerce(d))
    }

    fn visit_newtype_struct<D2: Deserializer<'de>>(self, d: D2) -> Result<V::Value, D2::Error> {
        self.visitor.visit_newtype_struct(Coerce(d))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_seq(Seq(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(Map {
            inner: map,
            tag: self.tag,
            reordered: None,
        })
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_enum(Enum(data))
    }
}

/// A seed whose deserializer is wrapped.
struct Seed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Coerce(d))
    }
}

struct Seq<A>(A);

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<A> {
    type Error = A::Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

/// The entries of an adjacently tagged enum's map, tag first.
struct Reordered<'de> {
    entries: std::vec::IntoIter<(String, &'de RawValue)>,
    value: Option<&'de RawValue>,
}

struct Map<'de, A> {
    inner: A,
    tag: Option<&'static str>,
    reordered: Option<Reordered<'de>>,
}

/// Whether `K` is the key seed serde's derive uses for an adjacently tagged enum.
pub(crate) fn is_adjacent_tag_seed<K>() -> bool {
    let name = std::any::type_name::<K>();
    name.ends_with("TagOrContentFieldVisitor") || name.ends_with("TagContentOtherFieldVisitor")
}

impl<'de, A: MapAccess<'de>> Map<'de, A> {
    /// Reads every remaining entry raw, and puts those named `tag` first.
    fn reorder(&mut self, tag: &str) -> Result<(), A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = self.inner.next_key::<String>()? {
            let value = self.inner.next_value::<&'de RawValue>()?;
            entries.push((key, value));
        }
        let (mut first, rest): (Vec<_>, Vec<_>) = entries.into_iter().partition(|(k, _)| k == tag);
        first.extend(rest);
        self.reordered = Some(Reordered {
            entries: first.into_iter(),
            value: None,
        });
        Ok(())
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<'de, A> {
    type Error = A::Error;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        if let Some(tag) = self.tag.take() {
            if is_adjacent_tag_seed::<K>() {
                self.reorder(tag)?;
            }
        }
        match &mut self.reordered {
            None => self.inner.next_key_seed(seed),
            Some(r) => match r.entries.next() {
                Some((key, value)) => {
                    r.value = Some(value);
                    seed.deserialize(StrDeserializer::<A::Error>::new(&key))
                        .map(Some)
                }
                None => Ok(None),
            },
        }
    }

    #[inline]
    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        match &mut self.reordered {
            None => self.inner.next_value_seed(Seed(seed)),
            Some(r) => match r.value.take() {
                Some(raw) => reparse(raw, seed),
                None => Err(de::Error::custom("value asked for before its key")),
            },
        }
    }

    fn size_hint(&self) -> Option<usize> {
        match &self.reordered {
            None => self.inner.size_hint(),
            Some(r) => Some(r.entries.len()),
        }
    }
}

struct Enum<A>(A);

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Enum<A> {
    type Error = A::Error;
    type Variant = Variant<A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        self.0.variant_seed(seed).map(|(v, a)| (v, Variant(a)))
    }
}

struct Variant<A>(A);

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.0.newtype_variant_seed(Seed(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Wrap::new(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Wrap::new(visitor))
    }
}
