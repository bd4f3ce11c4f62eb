//! `#[derive(Confo)]`: ties a struct to one configuration in a confo tree.
//!
//! Use it through the runtime crate, which re-exports it as `confo::Confo`
//! and documents the contract (`confo::Config`). The macro works in three
//! steps, one file each, like serde_derive and thiserror:
//!
//! 1. `ast.rs` and `attr.rs` parse the input and its `#[confo]`/`#[serde]`
//!    attributes into a small AST;
//! 2. `valid.rs` checks it (naming rules come from [`confo_names::check`],
//!    the same function the runtime calls);
//! 3. `expand.rs` generates the code; when the input is refused,
//!    `fallback.rs` emits a stand-in beside the errors, so the user sees
//!    them and no cascade.
//!
//! Every problem becomes a `syn::Error` spanned on the offending token; all
//! of them are collected and reported together. The macro never panics.
#![forbid(unsafe_code)]

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

mod ast;
mod attr;
mod case;
mod expand;
mod fallback;
mod valid;

/// Implements `confo::Config` for a struct with named fields.
///
/// See the `confo` crate for the attributes (`#[confo(namespace = "...",
/// name = "...")]`) and what is generated.
#[proc_macro_derive(Confo, attributes(confo))]
pub fn derive_confo(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}

/// Collects errors so that every problem of an input is reported at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, err: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(err),
            None => self.0 = Some(err),
        }
    }

    pub(crate) fn spanned<T: quote::ToTokens, M: std::fmt::Display>(&mut self, tokens: T, msg: M) {
        self.push(syn::Error::new_spanned(tokens, msg));
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        match self.0 {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}
