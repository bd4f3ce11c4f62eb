//! The input, parsed: a struct with named fields and its attributes.

use syn::{Data, DeriveInput, Fields, Generics, Ident, Type, Visibility};

use crate::attr::{self, Container, FieldAttrs};
use crate::Errors;

/// A configuration struct as the macro sees it.
pub(crate) struct Input<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    pub generics: &'a Generics,
    pub attrs: Container,
    pub fields: Vec<Field<'a>>,
}

/// One named field.
pub(crate) struct Field<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub attrs: FieldAttrs,
}

impl<'a> Input<'a> {
    /// Parses `input`; every shape or attribute problem lands in `errors`.
    /// `None` when the input is not a struct with named fields.
    pub(crate) fn from_syn(input: &'a DeriveInput, errors: &mut Errors) -> Option<Self> {
        let attrs = attr::container(&input.attrs, errors);
        const WHY: &str = "a configuration is one JSON object, so #[derive(Confo)] needs a struct with named fields";
        let named = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => named,
                Fields::Unnamed(fields) => {
                    errors.spanned(fields, format!("tuple structs are not supported: {WHY}"));
                    return None;
                }
                Fields::Unit => {
                    errors.spanned(
                        &input.ident,
                        format!("unit structs are not supported: {WHY}"),
                    );
                    return None;
                }
            },
            Data::Enum(data) => {
                errors.spanned(
                    data.enum_token,
                    format!("enums are not supported: {WHY}; an enum can be the type of a field"),
                );
                return None;
            }
            Data::Union(data) => {
                errors.spanned(data.union_token, format!("unions are not supported: {WHY}"));
                return None;
            }
        };
        let fields = named
            .named
            .iter()
            .filter_map(|f| {
                let attrs = attr::field(&f.attrs, errors);
                Some(Field {
                    ident: f.ident.as_ref()?,
                    ty: &f.ty,
                    attrs,
                })
            })
            .collect();
        Some(Input {
            ident: &input.ident,
            vis: &input.vis,
            generics: &input.generics,
            attrs,
            fields,
        })
    }
}

impl Field<'_> {
    /// The JSON key serde reads this field from.
    pub(crate) fn key(&self, container: &Container) -> String {
        if let Some(name) = &self.attrs.rename {
            return name.clone();
        }
        let ident = self.ident.to_string();
        let ident = ident.strip_prefix("r#").unwrap_or(&ident).to_owned();
        match container.rename_all {
            Some(rule) => rule.apply_to_field(&ident),
            None => ident,
        }
    }

    /// Whether the field has a typed handle.
    pub(crate) fn has_handle(&self) -> bool {
        !self.attrs.skip && !self.attrs.custom_shape
    }
}
