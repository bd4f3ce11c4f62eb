//! Attributes: `#[confo(...)]` (ours, strictly checked) and the `#[serde(...)]`
//! keys that change JSON keys (read leniently: serde reports its own errors).

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::{token, Attribute, Expr, ExprLit, Lit, LitStr, Token};

use crate::case::RenameRule;
use crate::Errors;

/// `#[confo(namespace = "...", name = "...")]` on the struct, and the
/// container-level serde keys that matter.
#[derive(Default)]
pub(crate) struct Container {
    pub namespace: Option<LitStr>,
    pub name: Option<LitStr>,
    pub rename_all: Option<RenameRule>,
    /// `#[serde(default)]` on the struct: missing fields take `Default`'s.
    pub serde_default: bool,
}

/// How a missing field gets a value, per serde.
#[derive(Clone)]
pub(crate) enum Default {
    None,
    /// `#[serde(default)]`.
    Trait,
    /// `#[serde(default = "path")]`.
    Path(syn::ExprPath),
}

/// The serde keys of one field that matter to its JSON key and handle.
pub(crate) struct FieldAttrs {
    pub rename: Option<String>,
    pub aliases: Vec<String>,
    pub default: Default,
    /// `skip`/`skip_deserializing`: not in the JSON, no handle.
    pub skip: bool,
    /// `flatten`/`with`/`deserialize_with`/`serialize_with`: the JSON shape is
    /// not the field type's own, so no handle is generated.
    pub custom_shape: bool,
}

pub(crate) fn container(attrs: &[Attribute], errors: &mut Errors) -> Container {
    let mut out = Container::default();
    for attr in attrs {
        if attr.path().is_ident("confo") {
            confo_container(attr, &mut out, errors);
        } else if attr.path().is_ident("serde") {
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename_all") {
                    if let Some(rule) = ser_de_string(&meta)?
                        .as_deref()
                        .and_then(RenameRule::from_str)
                    {
                        out.rename_all = Some(rule);
                    }
                } else if meta.path.is_ident("default") {
                    out.serde_default = true;
                    skip_value(&meta)?;
                } else {
                    skip_value(&meta)?;
                }
                Ok(())
            });
        }
    }
    out
}

fn confo_container(attr: &Attribute, out: &mut Container, errors: &mut Errors) {
    let result = attr.parse_nested_meta(|meta| {
        let slot = if meta.path.is_ident("namespace") {
            &mut out.namespace
        } else if meta.path.is_ident("name") {
            &mut out.name
        } else {
            errors.spanned(
                &meta.path,
                format!(
                    "unknown confo attribute `{}`; expected `namespace = \"...\"` or `name = \"...\"`",
                    path_string(&meta.path)
                ),
            );
            return skip_value(&meta);
        };
        let key = path_string(&meta.path);
        if !meta.input.peek(Token![=]) {
            errors.spanned(
                &meta.path,
                format!("`{key}` needs a value: `{key} = \"...\"`"),
            );
            return skip_value(&meta);
        }
        let value: Expr = meta.value()?.parse()?;
        let lit = match value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            }) => lit,
            other => {
                errors.spanned(
                    &other,
                    format!("`{key}` takes a string literal: `{key} = \"...\"`"),
                );
                return Ok(());
            }
        };
        if slot.is_some() {
            errors.spanned(
                &meta.path,
                format!("duplicate confo attribute `{key}`; give it once"),
            );
        } else {
            *slot = Some(lit);
        }
        Ok(())
    });
    if let Err(err) = result {
        errors.push(err);
    }
}

pub(crate) fn field(attrs: &[Attribute], errors: &mut Errors) -> FieldAttrs {
    let mut out = FieldAttrs {
        rename: None,
        aliases: Vec::new(),
        default: Default::None,
        skip: false,
        custom_shape: false,
    };
    for attr in attrs {
        if attr.path().is_ident("confo") {
            errors.spanned(
                attr,
                "#[confo(...)] applies to the struct, not to a field; \
                 rename or default a field with #[serde(...)]",
            );
        } else if attr.path().is_ident("serde") {
            let _ = attr.parse_nested_meta(|meta| {
                let p = &meta.path;
                if p.is_ident("rename") {
                    if let Some(name) = ser_de_string(&meta)? {
                        out.rename = Some(name);
                    }
                } else if p.is_ident("alias") {
                    let lit: LitStr = meta.value()?.parse()?;
                    out.aliases.push(lit.value());
                } else if p.is_ident("default") {
                    if meta.input.peek(Token![=]) {
                        let lit: LitStr = meta.value()?.parse()?;
                        if let Ok(path) = lit.parse::<syn::ExprPath>() {
                            out.default = Default::Path(path);
                        }
                    } else {
                        out.default = Default::Trait;
                    }
                } else if p.is_ident("skip") || p.is_ident("skip_deserializing") {
                    out.skip = true;
                } else if p.is_ident("flatten")
                    || p.is_ident("with")
                    || p.is_ident("deserialize_with")
                    || p.is_ident("serialize_with")
                {
                    out.custom_shape = true;
                    skip_value(&meta)?;
                } else {
                    skip_value(&meta)?;
                }
                Ok(())
            });
        }
    }
    out
}

/// `key = "x"` or `key(serialize = "a", deserialize = "b")`: the deserialize name.
fn ser_de_string(meta: &ParseNestedMeta) -> syn::Result<Option<String>> {
    if meta.input.peek(Token![=]) {
        let lit: LitStr = meta.value()?.parse()?;
        return Ok(Some(lit.value()));
    }
    let mut found = None;
    meta.parse_nested_meta(|inner| {
        let lit: LitStr = inner.value()?.parse()?;
        if inner.path.is_ident("deserialize") {
            found = Some(lit.value());
        }
        Ok(())
    })?;
    Ok(found)
}

/// Consumes whatever follows a key we do not interpret: `= expr` or `(...)`.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<TokenStream>()?;
    }
    Ok(())
}

fn path_string(path: &syn::Path) -> String {
    quote::quote!(#path).to_string().replace(' ', "")
}
