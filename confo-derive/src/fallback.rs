//! What the derive emits beside its errors, and the one check it leaves to
//! rustc, so that the user reads one error, not a cascade (thiserror's
//! `fallback.rs`, clap's `dummies.rs`).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::DeriveInput;

/// A stand-in for an input the derive refused: `impl Config` and the
/// type's own items with placeholder names, so that the uses of
/// `T::load(&confo)`, `T::NAME` or `confo.load::<T>()` elsewhere compile
/// and only the attribute error is reported. Generic inputs (refused too)
/// get none: an impl would need their parameters.
pub(crate) fn stand_in(input: &DeriveInput) -> TokenStream {
    if !input.generics.params.is_empty() {
        return TokenStream::new();
    }
    let ident = &input.ident;
    let none = quote!(::core::option::Option::None);
    let inherent = crate::expand::inherent(ident, &input.vis, &none, "", Some(""));
    quote! {
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
