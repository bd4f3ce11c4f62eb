//! Code generation: `impl confo::Config`, `impl confo::ConfigPathConst` when
//! the namespace is known, and the typed field handles.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::DeriveInput;

use crate::ast::Input;
use crate::attr::Default;
use crate::{valid, Errors};

pub(crate) fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let parsed = Input::from_syn(input, &mut errors);
    let Some(parsed) = parsed else {
        errors.finish()?;
        return Ok(TokenStream::new());
    };
    let names = valid::check(&parsed, &mut errors);
    errors.finish()?;
    Ok(expand(&parsed, &names))
}

fn expand(input: &Input, names: &valid::Names) -> TokenStream {
    let ident = input.ident;
    let vis = input.vis;
    let name = &names.name;
    let fields_ident = format_ident!("{}Fields", ident);

    let namespace = match &names.namespace {
        Some(ns) => quote!(::core::option::Option::Some(#ns)),
        None => quote!(::core::option::Option::None),
    };
    let path_impl = names.namespace.as_ref().map(|ns| {
        let path = format!("/confo/{ns}/{name}");
        quote! {
            impl ::confo::ConfigPathConst for #ident {
                const PATH: &'static str = #path;
            }
        }
    });

    let mut keys = Vec::new();
    let mut handle_fields = Vec::new();
    let mut handle_inits = Vec::new();
    for field in &input.fields {
        if field.attrs.skip {
            continue;
        }
        let key = field.key(&input.attrs);
        keys.push(key.clone());
        keys.extend(field.attrs.aliases.iter().cloned());
        if !field.has_handle() {
            continue;
        }
        let fident = field.ident;
        let ty = field.ty;
        let aliases = &field.attrs.aliases;
        let default = match &field.attrs.default {
            Default::Trait => quote!(::core::option::Option::Some(
                <#ty as ::core::default::Default>::default
            )),
            Default::Path(path) => quote!(::core::option::Option::Some(#path)),
            Default::None if input.attrs.serde_default => quote!(::core::option::Option::Some(
                || <#ident as ::core::default::Default>::default().#fident
            )),
            Default::None => quote!(::core::option::Option::None),
        };
        let doc = format!("Handle of the field `{fident}` (JSON key `{key}`).");
        handle_fields.push(quote! {
            #[doc = #doc]
            #vis #fident: ::confo::Field<#ident, #ty>
        });
        handle_inits.push(quote! {
            #fident: ::confo::Field::__new(#name, #key, &[#(#aliases),*], #default)
        });
    }

    let struct_doc = format!(
        "Typed handles of the fields of [`{ident}`], from [`{ident}::fields`]: \
         load or save one field with `confo.load_field(handle)` / `confo.save_field(handle, value)`."
    );
    let fn_doc = format!("The typed handles of the fields of `{ident}`.");

    quote! {
        #[doc = #struct_doc]
        #[derive(Clone, Copy, Debug)]
        #[allow(private_interfaces, dead_code)]
        #vis struct #fields_ident {
            #(#handle_fields,)*
        }

        impl #ident {
            #[doc = #fn_doc]
            #[allow(dead_code)]
            #vis fn fields() -> #fields_ident {
                #fields_ident {
                    #(#handle_inits,)*
                }
            }
        }

        impl ::confo::Config for #ident {
            const NAMESPACE: ::core::option::Option<&'static str> = #namespace;
            const NAME: &'static str = #name;
            const KEYS: &'static [&'static str] = &[#(#keys),*];
        }

        #path_impl
    }
}
