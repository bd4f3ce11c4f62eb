//! Checks a parsed input: naming rules (from `confo_names`, shared with the
//! runtime) and what the generated code cannot support.

use syn::LitStr;

use crate::ast::Input;
use crate::case::snake_case;
use crate::Errors;

/// The names the generated code uses, validated.
pub(crate) struct Names {
    pub namespace: Option<String>,
    pub name: String,
}

pub(crate) fn check(input: &Input, errors: &mut Errors) -> Names {
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        errors.spanned(
            input.generics,
            "a configuration struct cannot be generic: it names one stored configuration; \
             declare it with concrete field types",
        );
    }

    let namespace = input.attrs.namespace.as_ref().map(|lit| {
        check_lit(lit, "namespace", errors);
        lit.value()
    });

    let name = match &input.attrs.name {
        Some(lit) => {
            check_lit(lit, "configuration name", errors);
            lit.value()
        }
        None => {
            let ident = input.ident.to_string();
            let name = snake_case(ident.strip_prefix("r#").unwrap_or(&ident));
            if let Err(rule) = confo_names::check(&name) {
                errors.push(syn::Error::new(
                    input.ident.span(),
                    format!(
                        "the configuration name `{name}` (the struct name in snake_case) is invalid: {rule}; \
                         give another with #[confo(name = \"...\")]"
                    ),
                ));
            }
            name
        }
    };

    Names { namespace, name }
}

/// The name quoted, cut after 40 characters so a long one stays readable.
fn preview(value: &str) -> String {
    match value.char_indices().nth(40) {
        Some((cut, _)) => format!("{:?}…", &value[..cut]),
        None => format!("{value:?}"),
    }
}

fn check_lit(lit: &LitStr, what: &str, errors: &mut Errors) {
    let value = lit.value();
    if let Err(rule) = confo_names::check(&value) {
        errors.push(syn::Error::new(
            lit.span(),
            format!("invalid {what} {}: {rule}", preview(&value)),
        ));
    }
}
