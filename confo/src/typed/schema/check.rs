//! Validation: a published schema compiled with jsonschema (offline, with
//! confo's scalar keyword), and its errors rewritten as [`Violation`]s
//! that name the field and the rule, never the value.

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Keyword, ValidationError, Validator};
use serde_json::{Map, Value};

use super::scalar::{self, kind_of, Rule, KEYWORD};
use super::Violation;

/// The compiled form: `prepared` is the published schema with each scalar
/// node's keywords folded into confo's keyword.
pub(crate) struct Compiled {
    pub(crate) prepared: Value,
    /// `None`: nothing satisfies the schema (it could not be compiled).
    pub(crate) validator: Option<Validator>,
}

impl Compiled {
    /// A schema nothing satisfies, made without jsonschema.
    pub(crate) fn nothing() -> Compiled {
        Compiled {
            prepared: Value::Bool(false),
            validator: None,
        }
    }
}

/// Compiles a published schema; `Err` says why it cannot be used.
pub(crate) fn compile(schema: &Value) -> Result<Compiled, String> {
    let mut prepared = schema.clone();
    prepare(&mut prepared)?;
    let validator = jsonschema::options()
        .offline()
        .should_validate_formats(true)
        .with_keyword(
            KEYWORD,
            |_parent, value, _location| match scalar::from_compiled(value) {
                Some(rule) => Ok(Box::new(ScalarKeyword(rule)) as Box<dyn for<'i> Keyword<'i>>),
                None => Err(ValidationError::schema(format!(
                    "`{KEYWORD}` is not one confo wrote"
                ))),
            },
        )
        .build(&prepared)
        .map_err(|e| e.to_string())?;
    Ok(Compiled {
        prepared,
        validator: Some(validator),
    })
}

/// Folds each node carrying confo's keyword into the keyword alone (it
/// checks the node's type, range and string forms itself).
fn prepare(v: &mut Value) -> Result<(), String> {
    match v {
        Value::Object(obj) => {
            if obj.contains_key(KEYWORD) {
                let rule = Rule::of_published(obj)?;
                obj.retain(|k, v| !Rule::replaces(k, v));
                obj.insert(KEYWORD.into(), scalar::compiled(&rule));
            }
            for (k, sub) in obj.iter_mut() {
                // Constants and examples are data, not schemas.
                if !matches!(
                    k.as_str(),
                    "const" | "enum" | "default" | "examples" | KEYWORD
                ) {
                    prepare(sub)?;
                }
            }
            Ok(())
        }
        Value::Array(items) => items.iter_mut().try_for_each(prepare),
        _ => Ok(()),
    }
}

struct ScalarKeyword(Rule);

impl<'i> Keyword<'i> for ScalarKeyword {
    fn validate(&self, instance: &'i Value) -> Result<(), ValidationError<'i>> {
        self.0.check(instance).map_err(ValidationError::custom)
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        self.0.check(instance).is_ok()
    }
}

/// Every violation of `value`, each once, in the validator's order.
pub(crate) fn violations(compiled: &Compiled, value: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    let Some(validator) = &compiled.validator else {
        return vec![Violation {
            path: String::new(),
            rule: "not allowed: the schema takes nothing (it could not be compiled)".to_owned(),
        }];
    };
    for err in validator.iter_errors(value) {
        describe(compiled, &err, value, &mut out);
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|v: &Violation| seen.insert((v.path.clone(), v.rule.clone())));
    out
}

/// One step from a value to a member of it.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The steps of a JSON Pointer into `value`: indices where it holds arrays.
fn steps(value: &Value, pointer: &str) -> Vec<Step> {
    let mut out = Vec::new();
    let mut at = Some(value);
    for raw in pointer.split('/').skip(1) {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        match at {
            Some(Value::Array(items)) => match seg.parse::<usize>() {
                Ok(i) => {
                    at = items.get(i);
                    out.push(Step::Index(i));
                }
                Err(_) => {
                    at = None;
                    out.push(Step::Key(seg));
                }
            },
            Some(Value::Object(map)) => {
                at = map.get(&seg);
                out.push(Step::Key(seg));
            }
            _ => {
                at = None;
                out.push(Step::Key(seg));
            }
        }
    }
    out
}

/// `pool.size`, `replicas[1].port`: the form of decoding errors, without
/// the configuration name in front.
fn render(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Index(i) => out.push_str(&format!("[{i}]")),
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
        }
    }
    out
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// The schema node holding the keyword an error is about.
fn node_of<'a>(
    compiled: &'a Compiled,
    err: &ValidationError<'_>,
) -> Option<&'a Map<String, Value>> {
    let pointer = err.schema_path().as_str();
    let parent = match pointer.rfind('/') {
        Some(i) => &pointer[..i],
        None => "",
    };
    compiled.prepared.pointer(parent)?.as_object()
}

fn names(keys: impl Iterator<Item = String>) -> String {
    let keys: Vec<String> = keys.map(|k| format!("`{k}`")).collect();
    match keys.len() {
        0 => "no fields".to_owned(),
        1 => keys[0].clone(),
        _ => format!("one of {}", keys.join(", ")),
    }
}

fn json_list(options: &Value) -> String {
    match options {
        Value::Array(items) => names(items.iter().map(|o| match o {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })),
        other => other.to_string(),
    }
}

fn describe(
    compiled: &Compiled,
    err: &ValidationError<'_>,
    value: &Value,
    out: &mut Vec<Violation>,
) {
    let at = steps(value, err.instance_path().as_str());
    let path = render(&at);
    let instance: &Value = err.instance();
    let found = kind_of(instance);
    let mut push = |path: String, rule: String| out.push(Violation { path, rule });
    use ValidationErrorKind as K;
    match err.kind() {
        K::Required { property } => {
            let key = property.as_str().map_or_else(|| property.to_string(), str::to_owned);
            push(
                join(&path, &key),
                "missing; this field is required".to_owned(),
            );
        }
        K::AdditionalProperties { unexpected } | K::UnevaluatedProperties { unexpected } => {
            let known = node_of(compiled, err)
                .and_then(|n| n.get("properties"))
                .and_then(Value::as_object)
                .map(|p| names(p.keys().cloned()))
                .unwrap_or_else(|| "no other fields".to_owned());
            for key in unexpected {
                push(join(&path, key), format!("unknown field, expected {known}"));
            }
        }
        K::AnyOf { context } | K::OneOfNotValid { context } => {
            match best_branch(context, err.instance_path().as_str()) {
                Some(branch) => {
                    for inner in branch {
                        describe(compiled, inner, value, out);
                    }
                }
                None => push(
                    path,
                    format!(
                        "matches none of the {} forms this value may take (found {found})",
                        context.len()
                    ),
                ),
            }
        }
        K::OneOfMultipleValid { .. } => push(
            path,
            "matches more than one of the forms this value may take, so which one is meant is unclear".to_owned(),
        ),
        K::Type { kind } => {
            let expected = match kind {
                jsonschema::error::TypeKind::Single(t) => article(&t.to_string()),
                jsonschema::error::TypeKind::Multiple(set) => {
                    let all: Vec<String> = set.iter().map(|t| article(&t.to_string())).collect();
                    all.join(" or ")
                }
            };
            push(path, format!("expected {expected}, found {found}"));
        }
        K::Custom { message, .. } => push(path, message.clone()),
        K::Enum { options } => {
            let rule = if instance.is_string() && options.as_array().is_some_and(|o| o.iter().all(Value::is_string)) {
                format!("unknown variant, expected {}", json_list(options))
            } else {
                format!("expected {}, found {found}", json_list(options))
            };
            push(path, rule);
        }
        K::Constant { expected_value } => {
            let rule = match &**expected_value {
                Value::String(s) => format!("expected `{s}`, found another {found}"),
                other => format!("expected {other}, found {found}"),
            };
            push(path, rule);
        }
        K::Minimum { limit } => push(path, format!("expected at least {limit}, found a smaller number")),
        K::Maximum { limit } => push(path, format!("expected at most {limit}, found a larger number")),
        K::ExclusiveMinimum { limit } => push(path, format!("expected more than {limit}, found a number that is not")),
        K::ExclusiveMaximum { limit } => push(path, format!("expected less than {limit}, found a number that is not")),
        K::MultipleOf { .. } => push(path, "expected a multiple of the schema's `multipleOf`, found a number that is not".to_owned()),
        K::MinLength { limit } => push(path, format!("expected at least {limit} characters, found fewer")),
        K::MaxLength { limit } => push(path, format!("expected at most {limit} characters, found more")),
        K::MinItems { limit } => push(path, format!("expected at least {limit} elements, found {}", len(instance))),
        K::MaxItems { limit } => push(path, format!("expected at most {limit} elements, found {}", len(instance))),
        K::AdditionalItems { limit } => push(path, format!("expected at most {limit} elements, found {}", len(instance))),
        K::UnevaluatedItems { .. } => push(path, format!("more elements than the type takes ({} found)", len(instance))),
        K::MinProperties { limit } => push(path, format!("expected at least {limit} entries, found fewer")),
        K::MaxProperties { limit } => push(path, format!("expected at most {limit} entries, found more")),
        K::UniqueItems => push(path, "expected every element to be different, found repeated ones".to_owned()),
        K::Contains => push(path, "expected an element of the form the schema's `contains` gives, found none".to_owned()),
        K::Pattern { pattern } => push(path, format!("expected a string matching `{pattern}`, found {}", if instance.is_string() { "one that does not" } else { found })),
        K::Format { format } => push(path, format!("expected {} ({format}), found a string that is not one", article_format(format))),
        K::FalseSchema => push(path, "not allowed here: the type takes nothing at this place".to_owned()),
        K::Not { schema } => push(path, format!("expected anything but {schema}, found a value that is")),
        K::PropertyNames { .. } => push(path, "an object key of a form the type does not take".to_owned()),
        K::Referencing(e) => push(path, format!("the schema refers to something it does not hold: {e}")),
        K::ContentEncoding { content_encoding } => push(path, format!("expected a string in the {content_encoding} encoding, found one that is not")),
        K::ContentMediaType { content_media_type } => push(path, format!("expected a string of media type {content_media_type}, found one that is not")),
        K::FromUtf8 { .. } => push(path, "expected UTF-8 text once decoded, found bytes that are not".to_owned()),
        K::BacktrackLimitExceeded { .. } | K::RegexEngineFailure { .. } => push(path, "could not be checked against the schema's `pattern` (the pattern is too costly); simplify it".to_owned()),
    }
}

fn len(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

/// `a string`, `an object`, `null`.
fn article(t: &str) -> String {
    match t {
        "null" => "null".to_owned(),
        "object" | "array" | "integer" => format!("an {t}"),
        other => format!("a {other}"),
    }
}

fn article_format(f: &str) -> &'static str {
    match f.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an address or value of this format",
        _ => "a value of this format",
    }
}

/// The branch of a failed `anyOf`/`oneOf` the value was meant for: the one
/// whose errors are not about the value's own kind or a tag. `None` when
/// no single branch stands out.
fn best_branch<'e>(
    context: &'e [Vec<ValidationError<'static>>],
    at: &str,
) -> Option<&'e Vec<ValidationError<'static>>> {
    let depth = |e: &ValidationError<'_>| e.instance_path().as_str().matches('/').count();
    let here = at.matches('/').count();
    let wrong_shape = |branch: &Vec<ValidationError<'_>>| {
        branch.iter().any(|e| {
            let d = depth(e);
            match e.kind() {
                ValidationErrorKind::Type { .. }
                | ValidationErrorKind::FalseSchema
                | ValidationErrorKind::Custom { .. }
                | ValidationErrorKind::Enum { .. }
                | ValidationErrorKind::Constant { .. } => {
                    d == here
                        || (d == here + 1
                            && matches!(
                                e.kind(),
                                ValidationErrorKind::Constant { .. }
                                    | ValidationErrorKind::Enum { .. }
                            ))
                }
                _ => false,
            }
        })
    };
    let fitting: Vec<_> = context.iter().filter(|b| !wrong_shape(b)).collect();
    if fitting.len() == 1 {
        return Some(fitting[0]);
    }
    let missing_here = |branch: &Vec<ValidationError<'_>>| {
        branch.iter().any(|e| {
            depth(e) == here
                && matches!(
                    e.kind(),
                    ValidationErrorKind::Required { .. }
                        | ValidationErrorKind::AdditionalProperties { .. }
                )
        })
    };
    let closer: Vec<_> = fitting.into_iter().filter(|b| !missing_here(b)).collect();
    (closer.len() == 1).then(|| closer[0])
}
