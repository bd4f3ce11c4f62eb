//! Removing a stored value from a message a `Deserialize` impl wrote.
//!
//! Such messages may quote the value they refused, whole (`bad port
//! "port-x"`), changed (upper case), or a character of it (uuid: "found
//! `Z` at 1"; semver: "unexpected character 'Z'"). confo knows the value
//! at the failing place, so before the message goes anywhere:
//!
//! - every occurrence of a string, key or number of that value three or
//!   more bytes long, compared ignoring ASCII case (and in its escaped
//!   form), becomes `***`;
//! - every quoted part (between `` ` ``, `"` or `'`) that occurs in one of
//!   those strings, ignoring ASCII case, becomes `***`.

use serde_json::Value;

const HIDDEN: &str = "***";

/// `message` with every trace of `stored` replaced by `***`.
pub(crate) fn scrub(message: &str, stored: &Value) -> String {
    let mut words = Vec::new();
    texts(stored, &mut words);
    let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    let mut out = message.to_owned();
    for word in &lower {
        if word.len() >= 3 {
            out = replace_ignoring_case(&out, word);
        }
    }
    quoted(&out, &lower)
}

/// Every string, key and number of the JSON document `bytes`, duplicate
/// keys' values included (a parsed `Value` keeps only the last), as an
/// array of strings to [`scrub`] with.
pub(crate) fn document_texts(bytes: &[u8]) -> Value {
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    // A document that does not parse is cut where it stops; what was read
    // before is kept.
    let _ = serde::de::DeserializeSeed::deserialize(Texts(&mut out), &mut de);
    Value::Array(out.into_iter().map(Value::String).collect())
}

/// Collects the texts of whatever it is given.
struct Texts<'a>(&'a mut Vec<String>);

impl<'de> serde::de::DeserializeSeed<'de> for Texts<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Texts<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, n: u64) -> Result<(), E> {
        self.0.push(n.to_string());
        Ok(())
    }

    fn visit_i64<E>(self, n: i64) -> Result<(), E> {
        self.0.push(n.to_string());
        Ok(())
    }

    fn visit_f64<E>(self, n: f64) -> Result<(), E> {
        self.0.push(n.to_string());
        Ok(())
    }

    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        self.0.push(s.to_owned());
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Texts(self.0))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            self.0.push(key);
            map.next_value_seed(Texts(self.0))?;
        }
        Ok(())
    }
}

/// Every string, key and number in `value`, as written and escaped.
fn texts(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => push(s, out),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|v| texts(v, out)),
        Value::Object(map) => {
            for (k, v) in map {
                push(k, out);
                texts(v, out);
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
}

fn push(s: &str, out: &mut Vec<String>) {
    out.push(s.to_owned());
    let escaped = format!("{s:?}");
    let escaped = &escaped[1..escaped.len() - 1];
    if escaped != s {
        out.push(escaped.to_owned());
    }
}

fn replace_ignoring_case(text: &str, word: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (i, _) in lower.match_indices(word) {
        if i < last {
            continue;
        }
        out.push_str(&text[last..i]);
        out.push_str(HIDDEN);
        last = i + word.len();
    }
    out.push_str(&text[last..]);
    out
}

/// Hides quoted parts found in the stored texts.
fn quoted(text: &str, lower: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find(['`', '"', '\'']) {
        let quote = rest[open..].chars().next().unwrap_or('"');
        let after = &rest[open + 1..];
        let Some(close) = after.find(quote) else {
            break;
        };
        let inside = &after[..close];
        out.push_str(&rest[..=open]);
        let needle = inside.to_ascii_lowercase();
        if !inside.is_empty() && inside != HIDDEN && lower.iter().any(|w| w.contains(&needle)) {
            out.push_str(HIDDEN);
        } else {
            out.push_str(inside);
        }
        out.push(quote);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_values_changed_case_and_quoted_characters_are_hidden() {
        let stored = json!("Zq7Stored");
        assert_eq!(
            scrub("bad \"Zq7Stored\" (ZQ7STORED)", &stored),
            "bad \"***\" (***)"
        );
        assert_eq!(
            scrub("invalid character: found `Z` at 1", &stored),
            "invalid character: found `***` at 1"
        );
        assert_eq!(
            scrub("unexpected character 'q' while parsing", &stored),
            "unexpected character '***' while parsing"
        );
        assert_eq!(scrub("expected `a`", &stored), "expected `a`");
    }

    #[test]
    fn keys_and_numbers_inside_an_object_are_hidden() {
        let stored = json!({"token-name": [12345, "x"]});
        assert_eq!(
            scrub("unknown token-name with 12345", &stored),
            "unknown *** with ***"
        );
    }
}
