//! What the derive emits beside its errors, and the one check it leaves to
//! rustc, so that the user reads one error, not a cascade (thiserror's
//! `fallback.rs`, clap's `dummies.rs`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::{Data, DeriveInput};

/// A stand-in for an input the derive refused: `impl Config`, the type's
/// own items with placeholder names and `T::fields()` with a handle per
/// named field, so that the uses of `T::load(&confo)`, `T::NAME`,
/// `T::fields().port` or `confo.load::<T>()` elsewhere compile and only the
/// attribute error is reported. Generic inputs (refused too) get none: an
/// impl would need their parameters.
pub(crate) fn stand_in(input: &DeriveInput) -> TokenStream {
    if !input.generics.params.is_empty() {
        return TokenStream::new();
    }
    let ident = &input.ident;
    let none = quote!(::core::option::Option::None);
    let vis = &input.vis;
    let inherent = crate::expand::inherent(ident, vis, &none, "", Some(""));
    let fields_ident = format_ident!("{}Fields", ident);
    let named: Vec<_> = match &input.data {
        Data::Struct(data) => data
            .fields
            .iter()
            .filter_map(|f| f.ident.as_ref().map(|i| (i, &f.ty)))
            .collect(),
        _ => Vec::new(),
    };
    let handle_fields = named
        .iter()
        .map(|(fident, ty)| quote!(#vis #fident: ::confo::Field<#ident, #ty>));
    let handle_inits = named
        .iter()
        .map(|(fident, _)| quote!(#fident: ::confo::Field::__new("", "", &[], #none)));
    quote! {
        #[derive(Clone, Copy, Debug)]
        #[allow(private_interfaces, dead_code, missing_docs)]
        #vis struct #fields_ident {
            #(#handle_fields,)*
        }

        impl #ident {
            #[allow(dead_code, missing_docs)]
            #vis fn fields() -> #fields_ident {
                #fields_ident {
                    #(#handle_inits,)*
                }
            }
        }

        impl ::confo::Config for #ident
        where
            for<'__confo> #ident: ::confo::__private::DeserializeOwned,
        {
            const NAMESPACE: ::core::option::Option<&'static str> = #none;
            const NAME: &'static str = "";
        }

        #inherent
    }
}

/// The check that the type derives `Deserialize`, spanned on its name: one
/// error that names the fix (the message is `confo::__private::DerivesDeserialize`'s).
pub(crate) fn needs_deserialize(ident: &syn::Ident) -> TokenStream {
    quote_spanned! {ident.span()=>
        const _: () = {
            fn __confo_needs_deserialize<T: ::confo::__private::DerivesDeserialize>() {}
            #[allow(dead_code)]
            fn __confo_check() {
                __confo_needs_deserialize::<#ident>();
            }
        };
    }
}
