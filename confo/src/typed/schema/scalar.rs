//! Numbers and booleans: which JSON a scalar field takes, exactly as the
//! decoder takes it, and how a schema says so.
//!
//! A schema node that asks for one scalar (`"type": "integer"`, `"number"`
//! or `"boolean"`, optionally with `"null"`) gets the keyword
//! [`KEYWORD`], `{"type": "u16", "strings": true}`: the Rust scalar it
//! decodes into, and whether strings holding it are read (confo's
//! coercion). Where they are, the node also takes `"string"` with a
//! `pattern` that matches exactly the strings the decoder reads for that
//! type and range, so that any JSON Schema validator sees the coercion; the
//! keyword adds what standard keywords cannot say (an integer field refuses
//! `5.0` and `1e2`, which serde_json reads as floats), and confo's own
//! check runs the decoder's parsing functions themselves.

use std::fmt;

use serde_json::{json, Map, Number, Value};

use crate::typed::decode::coerce::{self, Coerced};

/// The keyword confo puts on every scalar node it describes.
pub(crate) const KEYWORD: &str = "x-confo-scalar";

/// An integer of any Rust width, from `-(2^128 - 1)` to `2^128 - 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Wide {
    neg: bool,
    mag: u128,
}

impl Wide {
    const ZERO: Wide = Wide { neg: false, mag: 0 };

    fn pos(mag: u128) -> Wide {
        Wide { neg: false, mag }
    }

    fn neg(mag: u128) -> Wide {
        Wide { neg: mag != 0, mag }
    }

    fn from_i128(n: i128) -> Wide {
        if n < 0 {
            Wide::neg(n.unsigned_abs())
        } else {
            Wide::pos(n as u128)
        }
    }

    fn of(c: &Coerced) -> Option<Wide> {
        Some(match *c {
            Coerced::U64(n) => Wide::pos(u128::from(n)),
            Coerced::I64(n) => Wide::from_i128(i128::from(n)),
            Coerced::U128(n) => Wide::pos(n),
            Coerced::I128(n) => Wide::from_i128(n),
            Coerced::Bool(_) | Coerced::F64(_) => return None,
        })
    }

    /// A JSON integer (`None` for a float, which integer fields refuse).
    fn of_number(n: &Number) -> Option<Wide> {
        if let Some(u) = n.as_u64() {
            Some(Wide::pos(u128::from(u)))
        } else {
            n.as_i64().map(|i| Wide::from_i128(i128::from(i)))
        }
    }

    /// The bound a JSON Schema number sets, rounded inward to an integer
    /// (`ceil` for a lower bound, `floor` for an upper one); `None` when
    /// it is out of every Rust integer's range.
    fn of_bound(v: &Value, lower: bool) -> Option<Wide> {
        let n = v.as_number()?;
        if let Some(w) = Wide::of_number(n) {
            return Some(w);
        }
        let f = n.as_f64()?;
        let f = if lower { f.ceil() } else { f.floor() };
        if !f.is_finite() || f.abs() >= 3.4e38 {
            return None;
        }
        Some(if f < 0.0 {
            Wide::neg((-f) as u128)
        } else {
            Wide::pos(f as u128)
        })
    }

    /// As a JSON number, when it is one exactly (64 bits).
    fn to_json(self) -> Option<Value> {
        if self.neg {
            let n = i64::try_from(self.mag).ok()?.checked_neg()?;
            Some(n.into())
        } else {
            u64::try_from(self.mag).ok().map(Value::from)
        }
    }

    fn parse(s: &str) -> Option<Wide> {
        match s.strip_prefix('-') {
            Some(rest) => rest.parse().ok().map(Wide::neg),
            None => s.parse().ok().map(Wide::pos),
        }
    }

    fn succ(self) -> Wide {
        if self.neg {
            Wide::neg(self.mag - 1)
        } else {
            Wide::pos(self.mag.saturating_add(1))
        }
    }

    fn pred(self) -> Wide {
        if self.neg || self.mag == 0 {
            Wide::neg(self.mag.saturating_add(1))
        } else {
            Wide::pos(self.mag - 1)
        }
    }
}

impl Ord for Wide {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (self.neg, other.neg) {
            (false, false) => self.mag.cmp(&other.mag),
            (true, true) => other.mag.cmp(&self.mag),
            (true, false) => std::cmp::Ordering::Less,
            (false, true) => std::cmp::Ordering::Greater,
        }
    }
}

impl PartialOrd for Wide {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Wide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.neg {
            write!(f, "-{}", self.mag)
        } else {
            write!(f, "{}", self.mag)
        }
    }
}

/// How a string is read for an integer type: the decoder's own function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Parse {
    /// `u8` ... `u64`: `u64::from_str`, else `i64::from_str`.
    Unsigned,
    /// `i8` ... `i64`: `i64::from_str`.
    Signed,
    /// `u128`: `u128::from_str`, else `i64::from_str`.
    U128,
    /// `i128`: `i128::from_str`.
    I128,
}

/// The scalar a node decodes into.
#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Bool,
    Float,
    Int {
        parse: Parse,
        lo: Wide,
        hi: Wide,
        /// 0 is refused (`NonZeroI*`: `"not": {"const": 0}`).
        nonzero: bool,
    },
}

/// What one scalar node takes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Rule {
    /// The Rust type (`u16`, `f64`, `bool`), or how schemars named it.
    name: String,
    kind: Kind,
    /// The full range of the named type (to say "u16" rather than a range).
    full: Option<(Wide, Wide)>,
    /// Strings holding the scalar are read (confo's coercion).
    strings: bool,
    /// `null` is taken too (`Option<T>`).
    null: bool,
}

/// The Rust integer a schemars `format` names, with its range and parsing.
fn integer_format(format: &str) -> Option<(&'static str, Parse, Wide, Wide)> {
    let u = |n: u128| Wide::pos(n);
    let i = |n: i128| Wide::from_i128(n);
    Some(match format {
        "uint8" => ("u8", Parse::Unsigned, u(0), u(u8::MAX.into())),
        "uint16" => ("u16", Parse::Unsigned, u(0), u(u16::MAX.into())),
        "uint32" => ("u32", Parse::Unsigned, u(0), u(u32::MAX.into())),
        "uint64" => ("u64", Parse::Unsigned, u(0), u(u64::MAX.into())),
        "uint" => ("usize", Parse::Unsigned, u(0), u(usize::MAX as u128)),
        "uint128" => ("u128", Parse::U128, u(0), u(u128::MAX)),
        "int8" => ("i8", Parse::Signed, i(i8::MIN.into()), i(i8::MAX.into())),
        "int16" => ("i16", Parse::Signed, i(i16::MIN.into()), i(i16::MAX.into())),
        "int32" => ("i32", Parse::Signed, i(i32::MIN.into()), i(i32::MAX.into())),
        "int64" => ("i64", Parse::Signed, i(i64::MIN.into()), i(i64::MAX.into())),
        "int" => (
            "isize",
            Parse::Signed,
            i(isize::MIN as i128),
            i(isize::MAX as i128),
        ),
        "int128" => ("i128", Parse::I128, i(i128::MIN), i(i128::MAX)),
        _ => return None,
    })
}

/// The node's `type` as a list of names.
fn types(node: &Map<String, Value>) -> Option<Vec<&str>> {
    match node.get("type")? {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(a) => a.iter().map(Value::as_str).collect(),
        _ => None,
    }
}

impl Rule {
    /// The rule for a node schemars generated, if it asks for exactly one
    /// scalar (and maybe null) with nothing a rule cannot carry (`enum`,
    /// `const`, `multipleOf`...). `strings`: whether the decoder reads
    /// strings there.
    pub(crate) fn of_node(node: &Map<String, Value>, strings: bool) -> Option<Rule> {
        let types = types(node)?;
        let mut null = false;
        let mut scalar = None;
        for t in &types {
            match *t {
                "null" => null = true,
                "integer" | "number" | "boolean" if scalar.is_none() => scalar = Some(*t),
                _ => return None,
            }
        }
        let scalar = scalar?;
        if ["enum", "const", "multipleOf", "pattern", KEYWORD]
            .iter()
            .any(|k| node.contains_key(*k))
        {
            return None;
        }
        let format = node.get("format").and_then(Value::as_str);
        let (name, kind, full) = match scalar {
            "boolean" => ("bool".to_owned(), Kind::Bool, None),
            "number" => {
                let name = match format {
                    Some("float") => "f32",
                    Some("double") => "f64",
                    _ => "a number",
                };
                (name.to_owned(), Kind::Float, None)
            }
            _ => {
                let (name, parse, lo, hi) = match format.and_then(integer_format) {
                    Some(f) => f,
                    None => (
                        "an integer",
                        Parse::Unsigned,
                        Wide::from_i128(i64::MIN.into()),
                        Wide::pos(u64::MAX.into()),
                    ),
                };
                let mut kind = Kind::Int {
                    parse,
                    lo,
                    hi,
                    nonzero: node.get("not") == Some(&json!({"const": 0})),
                };
                narrow(&mut kind, node);
                (name.to_owned(), kind, Some((lo, hi)))
            }
        };
        Some(Rule {
            name,
            kind,
            full,
            strings,
            null,
        })
    }

    /// The keyword's value in a published schema: the Rust type and
    /// whether strings are read. The range is the node's own `minimum`
    /// and `maximum` (and `format`), read again when the schema is compiled.
    pub(crate) fn keyword(&self) -> Value {
        if self.strings {
            json!({ "type": self.name, "strings": true })
        } else {
            json!({ "type": self.name })
        }
    }

    /// A published node's rule: the keyword's value read with the node's
    /// other keywords. `Err` says what is wrong with it.
    pub(crate) fn of_published(node: &Map<String, Value>) -> Result<Rule, String> {
        let value = node.get(KEYWORD).unwrap_or(&Value::Null);
        let bad = || {
            format!("`{KEYWORD}` must be {{\"type\": <a Rust scalar>, \"strings\": true|false}} on a node of type integer, number or boolean (found {value})")
        };
        let Value::Object(kw) = value else {
            return Err(bad());
        };
        let strings = match kw.get("strings") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(bad()),
        };
        let mut plain = node.clone();
        plain.remove(KEYWORD);
        if strings {
            // Published with the string forms: `"string"` in `type` and
            // their `pattern`; the rule itself reads them.
            plain.remove("pattern");
            if let Some(Value::Array(types)) = plain.get_mut("type") {
                types.retain(|t| t != "string");
            }
        }
        let rule = Rule::of_node(&plain, strings).ok_or_else(bad)?;
        if let Some(Value::String(name)) = kw.get("type") {
            let named = match (&rule.kind, name.as_str()) {
                (Kind::Bool, "bool") | (Kind::Float, "f32" | "f64" | "a number") => true,
                (Kind::Int { .. }, n) => {
                    integer_format(&format_of(n)).is_some() || n == "an integer"
                }
                _ => false,
            };
            if !named {
                return Err(bad());
            }
        } else {
            return Err(bad());
        }
        Ok(rule)
    }

    /// The keywords of a published node this rule replaces when the schema
    /// is compiled (the rule checks all of it, with clearer messages).
    pub(crate) fn replaces(key: &str, value: &Value) -> bool {
        matches!(
            key,
            "type"
                | "format"
                | "pattern"
                | "minimum"
                | "maximum"
                | "exclusiveMinimum"
                | "exclusiveMaximum"
        ) || (key == "not" && *value == json!({"const": 0}))
    }

    /// Makes a published node take the string forms: `"string"` in its
    /// `type` and the `pattern` that matches exactly them.
    pub(crate) fn publish_strings(&self, node: &mut Map<String, Value>) {
        // The type's own range, for validators that read only `minimum`
        // and `maximum` (schemars leaves `maximum` out for u32 and wider).
        if let Kind::Int { lo, hi, .. } = &self.kind {
            for (key, bound, exclusive) in [
                ("minimum", lo, "exclusiveMinimum"),
                ("maximum", hi, "exclusiveMaximum"),
            ] {
                if !node.contains_key(key) && !node.contains_key(exclusive) {
                    if let Some(n) = bound.to_json() {
                        node.insert(key.into(), n);
                    }
                }
            }
        }
        if !self.strings {
            return;
        }
        let mut types: Vec<Value> = match node.get("type") {
            Some(Value::Array(a)) => a.clone(),
            Some(t) => vec![t.clone()],
            None => Vec::new(),
        };
        types.push("string".into());
        node.insert("type".into(), Value::Array(types));
        node.insert("pattern".into(), Value::String(self.pattern()));
    }

    /// The regular expression (ECMA-262, as JSON Schema's `pattern`) of the
    /// strings the decoder reads for this rule.
    pub(crate) fn pattern(&self) -> String {
        match &self.kind {
            Kind::Bool => "^(?:true|false|True|False)$".to_owned(),
            Kind::Float => FLOAT_PATTERN.to_owned(),
            Kind::Int {
                lo, hi, nonzero, ..
            } => integer_pattern(*lo, *hi, *nonzero),
        }
    }

    /// What the rule expects, as a decoding error says it: `u16`, `a
    /// boolean`, `u16 from 1 to 10`, `... or null`.
    fn expected(&self) -> String {
        let base = match &self.kind {
            Kind::Bool => "a boolean".to_owned(),
            Kind::Float => self.name.clone(),
            Kind::Int {
                lo, hi, nonzero, ..
            } => {
                let mut s = if self.full == Some((*lo, *hi)) {
                    self.name.clone()
                } else {
                    format!("{} from {lo} to {hi}", self.name)
                };
                if *nonzero {
                    s = format!("a nonzero {s}");
                }
                s
            }
        };
        if self.null {
            format!("{base} or null")
        } else {
            base
        }
    }

    /// Whether `value` decodes by this rule; `Err` is the reason, naming
    /// what was expected and the kind of JSON found, never the value.
    pub(crate) fn check(&self, value: &Value) -> Result<(), String> {
        let refuse = |found: &str| Err(format!("expected {}, found {found}", self.expected()));
        match (value, &self.kind) {
            (Value::Null, _) if self.null => Ok(()),
            (Value::Bool(_), Kind::Bool) => Ok(()),
            (Value::Number(_), Kind::Float) => Ok(()),
            (Value::Number(n), Kind::Int { .. }) => match Wide::of_number(n) {
                Some(w) if self.in_range(w) => Ok(()),
                Some(_) => refuse("a number out of range"),
                None => refuse("a floating-point number"),
            },
            (Value::String(s), kind) if self.strings => {
                let ok = match kind {
                    Kind::Bool => coerce::bool_from(s).is_some(),
                    Kind::Float => coerce::float_from(s).is_some(),
                    Kind::Int { parse, .. } => {
                        let parsed = match parse {
                            Parse::Unsigned => coerce::unsigned_from(s),
                            Parse::Signed => coerce::signed_from(s),
                            Parse::U128 => coerce::u128_from(s),
                            Parse::I128 => coerce::i128_from(s),
                        };
                        match parsed.as_ref().and_then(Wide::of) {
                            Some(w) if self.in_range(w) => true,
                            Some(_) => return refuse("a number out of range"),
                            None => false,
                        }
                    }
                };
                if ok {
                    Ok(())
                } else if matches!(kind, Kind::Bool) {
                    refuse(coerce::NOT_A_BOOLEAN)
                } else {
                    refuse(coerce::NOT_A_NUMBER)
                }
            }
            (other, _) => refuse(kind_of(other)),
        }
    }

    fn in_range(&self, w: Wide) -> bool {
        match &self.kind {
            Kind::Int {
                lo, hi, nonzero, ..
            } => *lo <= w && w <= *hi && !(*nonzero && w == Wide::ZERO),
            _ => true,
        }
    }
}

/// A Rust integer's name back to schemars' `format` for it.
fn format_of(name: &str) -> String {
    match name {
        "usize" => "uint".to_owned(),
        "isize" => "int".to_owned(),
        n => match (n.strip_prefix('u'), n.strip_prefix('i')) {
            (Some(bits), _) => format!("uint{bits}"),
            (_, Some(bits)) => format!("int{bits}"),
            _ => String::new(),
        },
    }
}

/// Narrows an integer range to the node's own bounds.
fn narrow(kind: &mut Kind, node: &Map<String, Value>) {
    let Kind::Int { lo, hi, .. } = kind else {
        return;
    };
    if let Some(w) = node.get("minimum").and_then(|v| Wide::of_bound(v, true)) {
        *lo = (*lo).max(w);
    }
    if let Some(w) = node
        .get("exclusiveMinimum")
        .and_then(|v| Wide::of_bound(v, true))
    {
        let above = if node["exclusiveMinimum"]
            .as_f64()
            .is_some_and(|f| f.fract() != 0.0)
        {
            w
        } else {
            w.succ()
        };
        *lo = (*lo).max(above);
    }
    if let Some(w) = node.get("maximum").and_then(|v| Wide::of_bound(v, false)) {
        *hi = (*hi).min(w);
    }
    if let Some(w) = node
        .get("exclusiveMaximum")
        .and_then(|v| Wide::of_bound(v, false))
    {
        let below = if node["exclusiveMaximum"]
            .as_f64()
            .is_some_and(|f| f.fract() != 0.0)
        {
            w
        } else {
            w.pred()
        };
        *hi = (*hi).min(below);
    }
}

/// The JSON kind of a value, never the value.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// What Rust's `f64::from_str` reads: an optional sign, then `inf`,
/// `infinity` or `nan` in any case, or decimal digits with an optional
/// point and exponent.
pub(crate) const FLOAT_PATTERN: &str = "^[+-]?(?:[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN]|(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?)$";

/// The strings Rust's integer parsing reads as a value in `lo..=hi`
/// (`nonzero`: without 0): an optional `+` (or `-` for negatives and zero),
/// leading zeros, decimal digits.
pub(crate) fn integer_pattern(lo: Wide, hi: Wide, nonzero: bool) -> String {
    let mut alternatives = Vec::new();
    if lo <= Wide::ZERO && Wide::ZERO <= hi && !nonzero {
        alternatives.push("[+-]?0+".to_owned());
    }
    let one = Wide::pos(1);
    if hi >= one {
        let from = if lo > one { lo.mag } else { 1 };
        alternatives.push(format!("\\+?0*(?:{})", magnitudes(from, hi.mag)));
    }
    let minus_one = Wide::neg(1);
    if lo <= minus_one {
        let from = if hi < minus_one { hi.mag } else { 1 };
        alternatives.push(format!("-0*(?:{})", magnitudes(from, lo.mag)));
    }
    if alternatives.is_empty() {
        // No integer at all: a pattern no string matches.
        return "^(?!)$".to_owned();
    }
    format!("^(?:{})$", alternatives.join("|"))
}

/// A regular expression alternation of the decimals from `a` to `b`
/// (`1 <= a <= b`), without leading zeros.
fn magnitudes(a: u128, b: u128) -> String {
    let mut parts = Vec::new();
    let mut start = a;
    // Whole decades (1-9, 10-99, ...) in a row, as one `[1-9][0-9]{m,n}`.
    let mut decades: Option<(u32, u32)> = None;
    let flush = |decades: &mut Option<(u32, u32)>, parts: &mut Vec<String>| {
        if let Some((from, to)) = decades.take() {
            let (m, n) = (from - 1, to - 1);
            parts.push(match (m, n) {
                (0, 0) => "[1-9]".to_owned(),
                (m, n) if m == n => format!("[1-9][0-9]{{{m}}}"),
                (m, n) => format!("[1-9][0-9]{{{m},{n}}}"),
            });
        }
    };
    loop {
        let digits = start.to_string().len() as u32;
        let top = 10u128.checked_pow(digits).map_or(u128::MAX, |p| p - 1);
        let end = top.min(b);
        let whole = Some(start) == 10u128.checked_pow(digits - 1) && end == top && top != u128::MAX;
        if whole {
            decades = Some(match decades {
                Some((from, _)) => (from, digits),
                None => (digits, digits),
            });
        } else {
            flush(&mut decades, &mut parts);
            same_length(&start.to_string(), &end.to_string(), &mut parts);
        }
        if end == b {
            break;
        }
        start = end + 1;
    }
    flush(&mut decades, &mut parts);
    parts.join("|")
}

/// Alternatives as one regular expression: grouped when there are several.
fn group(alternatives: &[String]) -> String {
    match alternatives {
        [one] => one.clone(),
        many => format!("(?:{})", many.join("|")),
    }
}

/// Alternatives matching the digit strings from `a` to `b`, both of one length.
fn same_length(a: &str, b: &str, out: &mut Vec<String>) {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prefix = String::new();
    let mut i = 0;
    while i < a.len() && a[i] == b[i] {
        prefix.push(a[i] as char);
        i += 1;
    }
    if i == a.len() {
        out.push(prefix);
        return;
    }
    let rest = a.len() - i - 1;
    let (da, db) = (a[i], b[i]);
    let a_tail = &a[i + 1..];
    let b_tail = &b[i + 1..];
    let a_zero = a_tail.iter().all(|&c| c == b'0');
    let b_nine = b_tail.iter().all(|&c| c == b'9');
    let any = |n: usize| {
        if n == 0 {
            String::new()
        } else if n == 1 {
            "[0-9]".to_owned()
        } else {
            format!("[0-9]{{{n}}}")
        }
    };
    let class = |lo: u8, hi: u8| {
        if lo == hi {
            (lo as char).to_string()
        } else {
            format!("[{}-{}]", lo as char, hi as char)
        }
    };
    // The first digit from `lo` to `hi` followed by anything.
    let (mid_lo, mid_hi) = (
        if a_zero { da } else { da + 1 },
        if b_nine { db } else { db - 1 },
    );
    if !a_zero {
        let mut tails = Vec::new();
        let nines = "9".repeat(rest);
        same_length(
            std::str::from_utf8(a_tail).unwrap_or_default(),
            &nines,
            &mut tails,
        );
        out.push(format!("{prefix}{}{}", da as char, group(&tails)));
    }
    if mid_lo <= mid_hi {
        out.push(format!("{prefix}{}{}", class(mid_lo, mid_hi), any(rest)));
    }
    if !b_nine {
        let mut tails = Vec::new();
        let zeros = "0".repeat(rest);
        same_length(
            &zeros,
            std::str::from_utf8(b_tail).unwrap_or_default(),
            &mut tails,
        );
        out.push(format!("{prefix}{}{}", db as char, group(&tails)));
    }
}

/// The range a compiled rule keeps in its keyword value, for the keyword's
/// factory (numbers as strings: 128-bit bounds do not fit JSON numbers).
pub(crate) fn compiled(rule: &Rule) -> Value {
    let mut v = json!({
        "name": rule.name,
        "strings": rule.strings,
        "null": rule.null,
    });
    match &rule.kind {
        Kind::Bool => v["kind"] = "bool".into(),
        Kind::Float => v["kind"] = "float".into(),
        Kind::Int {
            parse,
            lo,
            hi,
            nonzero,
        } => {
            v["kind"] = match parse {
                Parse::Unsigned => "unsigned",
                Parse::Signed => "signed",
                Parse::U128 => "u128",
                Parse::I128 => "i128",
            }
            .into();
            v["lo"] = lo.to_string().into();
            v["hi"] = hi.to_string().into();
            v["nonzero"] = (*nonzero).into();
            if let Some((flo, fhi)) = rule.full {
                v["full"] = json!([flo.to_string(), fhi.to_string()]);
            }
        }
    }
    v
}

/// A rule back from [`compiled`].
pub(crate) fn from_compiled(v: &Value) -> Option<Rule> {
    let wide = |k: &str| v.get(k).and_then(Value::as_str).and_then(Wide::parse);
    let kind = match v.get("kind")?.as_str()? {
        "bool" => Kind::Bool,
        "float" => Kind::Float,
        k => Kind::Int {
            parse: match k {
                "unsigned" => Parse::Unsigned,
                "signed" => Parse::Signed,
                "u128" => Parse::U128,
                "i128" => Parse::I128,
                _ => return None,
            },
            lo: wide("lo")?,
            hi: wide("hi")?,
            nonzero: v.get("nonzero")?.as_bool()?,
        },
    };
    let full = match v.get("full") {
        Some(Value::Array(a)) if a.len() == 2 => {
            Some((Wide::parse(a[0].as_str()?)?, Wide::parse(a[1].as_str()?)?))
        }
        _ => None,
    };
    Some(Rule {
        name: v.get("name")?.as_str()?.to_owned(),
        kind,
        full,
        strings: v.get("strings")?.as_bool()?,
        null: v.get("null")?.as_bool()?,
    })
}
