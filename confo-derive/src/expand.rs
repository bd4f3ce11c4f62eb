//! Code generation: `impl confo::Config`, `impl confo::ConfigPathConst` when
//! the namespace is known, the typed field handles, and the items of the
//! type itself (`T::NAME`, `T::load(&confo)`, ...: see [`inherent`]), so
//! `use confo::Confo;` is all a user imports.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::DeriveInput;

use crate::ast::Input;
use crate::attr::Default;
use crate::{valid, Errors};

/// The generated code, or the errors and a stand-in (see [`crate::fallback`]).
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let parsed = Input::from_syn(input, &mut errors);
    let names = parsed.as_ref().map(|p| valid::check(p, &mut errors));
    match (errors.finish(), parsed, names) {
        (Ok(()), Some(parsed), Some(names)) => expand(&parsed, &names),
        (Err(err), _, _) => {
            let mut out = err.to_compile_error();
            out.extend(crate::fallback::stand_in(input));
            out
        }
        // No input without errors fails to parse.
        (Ok(()), _, _) => crate::fallback::stand_in(input),
    }
}

/// The items of the type itself: the consts and the loaders the mission
/// names (`T::load(&confo)`, `t.save(&confo)`, `T::watch(&confo)`,
/// `T::load_from(&backend)`), so that no trait needs importing. Each
/// loader is bounded on `Self: Config` through a `for<>` clause, which
/// rustc checks at the call rather than here: a type whose `Config` impl
/// is missing (no `Deserialize`) gets one error, not one per loader.
pub(crate) fn inherent(
    ident: &syn::Ident,
    vis: &syn::Visibility,
    namespace: &TokenStream,
    name: &str,
    path: Option<&str>,
) -> TokenStream {
    let path = path.map(|path| {
        quote! {
            /// The configuration's znode path, `/confo/<namespace>/<name>`.
            #vis const PATH: &'static str = #path;
        }
    });
    let load_doc = format!("Loads the `{ident}` configuration: `confo.load::<{ident}>()`.");
    let save_doc = format!(
        "Saves this `{ident}` with compare-and-set: `confo.save(&value)` (needs `serde::Serialize`)."
    );
    let watch_doc = format!("Follows the `{ident}` configuration: `confo.watch::<{ident}>()`.");
    let from_doc = format!(
        "Loads the `{ident}` configuration straight from a backend or a store: `confo::Config::load_from`."
    );
    quote! {
        #[allow(dead_code)]
        impl #ident {
            /// The namespace the type declares, if any.
            #vis const NAMESPACE: ::core::option::Option<&'static str> = #namespace;
            /// The configuration name.
            #vis const NAME: &'static str = #name;
            #path

            #[doc = #load_doc]
            #vis fn load(
                confo: &::confo::Confo,
            ) -> impl ::core::future::Future<Output = ::confo::Result<Self>> + ::core::marker::Send + '_
            where
                for<'__confo> Self: ::confo::Config,
            {
                confo.load::<Self>()
            }

            #[doc = #from_doc]
            #vis fn load_from<__B: ::confo::AsBackend + ?::core::marker::Sized>(
                backend: &__B,
            ) -> impl ::core::future::Future<Output = ::confo::Result<Self>> + ::core::marker::Send + '_
            where
                for<'__confo> Self: ::confo::Config,
            {
                <Self as ::confo::Config>::load_from(backend)
            }

            #[doc = #watch_doc]
            #vis fn watch(
                confo: &::confo::Confo,
            ) -> impl ::core::future::Future<Output = ::confo::Result<::confo::Live<Self>>> + ::core::marker::Send + '_
            where
                for<'__confo> Self: ::confo::Config,
            {
                confo.watch::<Self>()
            }

            #[doc = #save_doc]
            #vis fn save<'__a>(
                &'__a self,
                confo: &'__a ::confo::Confo,
            ) -> impl ::core::future::Future<Output = ::confo::Result<::confo::Version>> + ::core::marker::Send + '__a
            where
                for<'__confo> Self: ::confo::Config + ::confo::__private::Serialize,
            {
                confo.save(self)
            }
        }
    }
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
    let path = names
        .namespace
        .as_ref()
        .map(|ns| format!("{}/{ns}/{name}", confo_names::ROOT));
    let path_impl = path.as_ref().map(|path| {
        quote! {
            impl ::confo::ConfigPathConst for #ident
            where
                for<'__confo> #ident: ::confo::Config,
            {
                const PATH: &'static str = #path;
            }
        }
    });
    let inherent = inherent(ident, vis, &namespace, name, path.as_deref());
    let needs_deserialize = crate::fallback::needs_deserialize(ident);

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

        // Bounded so that a type without `Deserialize` gets the one error
        // of `needs_deserialize` below, not this impl's too.
        impl ::confo::Config for #ident
        where
            for<'__confo> #ident: ::confo::__private::DeserializeOwned,
        {
            const NAMESPACE: ::core::option::Option<&'static str> = #namespace;
            const NAME: &'static str = #name;
            const KEYS: &'static [&'static str] = &[#(#keys),*];
        }

        #path_impl

        #inherent

        #needs_deserialize
    }
}
