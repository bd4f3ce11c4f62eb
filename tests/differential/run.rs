//! Decoding one document both ways: `serde_json::from_slice::<T>` and
//! confo's public load path (`Config::load_from` on a memory store).

use std::cell::RefCell;
use std::fmt::Debug;

use confo::backend::{Backend, Expect, MemoryBackend};
use confo::Config;

/// Who decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Serde,
    Confo,
}

/// What one decoding gave: the value's `Debug`, or the error's text.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub ok: bool,
    pub shown: String,
}

/// Two decodings of `T`, and whether they gave equal values.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub left: Outcome,
    pub right: Outcome,
    /// Both succeeded with equal values (or values shown alike).
    pub equal: bool,
}

struct Store {
    runtime: tokio::runtime::Runtime,
    backend: MemoryBackend,
}

thread_local! {
    static STORE: RefCell<Store> = RefCell::new(Store {
        runtime: tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime"),
        backend: MemoryBackend::new(),
    });
}

/// `bytes` stored and loaded as `T` by confo.
pub fn confo_decode<T: Config>(bytes: &[u8]) -> Result<T, confo::Error> {
    STORE.with(|store| {
        let store = store.borrow();
        let path = "diff/cfg".parse().expect("a valid path");
        store.runtime.block_on(async {
            store
                .backend
                .write(&path, bytes, Expect::Any)
                .await
                .expect("the memory store takes any bytes");
            T::load_from(&store.backend).await
        })
    })
}

fn decode<T: Config + Debug>(side: Side, bytes: &[u8]) -> (Option<T>, Outcome) {
    let result = match side {
        Side::Serde => serde_json::from_slice::<T>(bytes).map_err(|e| e.to_string()),
        Side::Confo => confo_decode::<T>(bytes).map_err(|e| format!("{e}\n{e:?}")),
    };
    match result {
        Ok(value) => {
            let shown = format!("{value:?}");
            (Some(value), Outcome { ok: true, shown })
        }
        Err(shown) => (None, Outcome { ok: false, shown }),
    }
}

/// Decodes `a` as `left` does and `b` as `right` does.
pub fn compare<T: Config + Debug + PartialEq>(
    left: Side,
    a: &[u8],
    right: Side,
    b: &[u8],
) -> Verdict {
    let (l, left) = decode::<T>(left, a);
    let (r, right) = decode::<T>(right, b);
    // Equal, or shown alike (a NaN is not equal to itself).
    let equal = matches!((l, r), (Some(l), Some(r)) if l == r)
        || (left.ok && right.ok && left.shown == right.shown);
    Verdict { left, right, equal }
}
