//! [`DeError`]: what the error-collecting pass learns about one failure,
//! with messages that describe what was found by its JSON kind only.

use std::fmt;

use serde::de::{self, Expected, Unexpected};

/// What went wrong, without the stored value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DeError {
    /// A required field is absent.
    Missing(String),
    /// A field the type does not know (`deny_unknown_fields`).
    Unknown { field: String, expected: String },
    /// A type or value mismatch, described by kinds only. `found` is the
    /// scalar serde reported, kept (never shown) to find where it is.
    Mismatch { message: String, found: Found },
    /// A message from a `Deserialize` impl (may quote a value: it is
    /// scrubbed before it is shown).
    Custom(String),
}

/// The scalar a mismatch was about, to locate it in the stored value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Found {
    Str(String),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Bool(bool),
    Unit,
    /// An array, an object, or nothing to go by.
    Other,
}

impl Found {
    fn of(unexp: &Unexpected) -> Found {
        match *unexp {
            Unexpected::Str(s) => Found::Str(s.to_owned()),
            Unexpected::Unsigned(n) => Found::Unsigned(n),
            Unexpected::Signed(n) => Found::Signed(n),
            Unexpected::Float(n) => Found::Float(n),
            Unexpected::Bool(b) => Found::Bool(b),
            Unexpected::Unit => Found::Unit,
            _ => Found::Other,
        }
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeError::Missing(field) => write!(f, "missing field `{field}`"),
            DeError::Unknown { field, expected } => {
                write!(f, "unknown field `{field}`, expected {expected}")
            }
            DeError::Mismatch { message, .. } | DeError::Custom(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::Custom(msg.to_string())
    }

    fn invalid_type(unexp: Unexpected, exp: &dyn Expected) -> Self {
        DeError::Mismatch {
            message: format!("expected {exp}, found {}", kind_of(&unexp)),
            found: Found::of(&unexp),
        }
    }

    fn invalid_value(unexp: Unexpected, exp: &dyn Expected) -> Self {
        let found = match unexp {
            Unexpected::Unsigned(_) | Unexpected::Signed(_) | Unexpected::Float(_) => {
                "a number out of range".to_owned()
            }
            ref other => kind_of(other).to_owned(),
        };
        DeError::Mismatch {
            message: format!("invalid value: expected {exp}, found {found}"),
            found: Found::of(&unexp),
        }
    }

    fn invalid_length(len: usize, exp: &dyn Expected) -> Self {
        DeError::Mismatch {
            message: format!("expected {exp}, found {len} elements"),
            found: Found::Other,
        }
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        DeError::Mismatch {
            message: format!("unknown variant, expected {}", one_of(expected)),
            found: Found::Str(variant.to_owned()),
        }
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
        DeError::Mismatch {
            message: format!("duplicate field `{field}`"),
            found: Found::Other,
        }
    }
}

pub(crate) fn one_of(names: &[&str]) -> String {
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
pub(crate) fn kind_of(unexp: &Unexpected) -> &'static str {
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
        Unexpected::Other(super::coerce::NOT_A_NUMBER) => super::coerce::NOT_A_NUMBER,
        Unexpected::Other(super::coerce::NOT_A_BOOLEAN) => super::coerce::NOT_A_BOOLEAN,
        Unexpected::Other(_) => "a value of another kind",
    }
}
