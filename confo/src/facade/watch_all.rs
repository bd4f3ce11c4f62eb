//! Following several typed configurations, started in one read.

use super::Confo;
use crate::backend::{Backend, Watch, WatchScope};
use crate::error::{Error, Result};
use crate::live::Live;
use crate::name::ConfigPath;
use crate::store::{Fetched, Freshness, Store};
use crate::typed::Config;

/// A tuple of typed configurations that [`Confo::watch_all`] follows
/// together: `(A,)` to twenty types, each any [`Config`] (in any
/// namespaces). [`WatchAll::Lives`] is the tuple of their [`Live`] values.
///
/// ```
/// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
/// use confo::{Confo, Live};
///
/// #[derive(Confo, serde::Deserialize, serde::Serialize)]
/// #[confo(namespace = "systemA", name = "database")]
/// struct Database { port: u16 }
/// #[derive(Confo, serde::Deserialize, serde::Serialize)]
/// #[confo(namespace = "systemB", name = "email")]
/// struct Email { smtp: String }
///
/// let confo = Confo::from_url("mem://").await?;
/// confo.save(&Database { port: 5432 }).await?;
/// confo.save(&Email { smtp: "mail".into() }).await?;
/// let (db, email): (Live<Database>, Live<Email>) = confo.watch_all::<(Database, Email)>().await?;
/// assert_eq!((db.get().port, email.get().smtp.as_str()), (5432, "mail"));
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub trait WatchAll: Sized {
    /// The [`Live`] values, in the tuple's order.
    type Lives;

    /// The paths of the configurations, in the tuple's order.
    #[doc(hidden)]
    fn paths(confo: &Confo) -> Result<Vec<ConfigPath>>;

    /// Starts each value from what was armed and read for [`WatchAll::paths`].
    #[doc(hidden)]
    fn start(
        confo: &Confo,
        store: &Store,
        started: &mut dyn Iterator<Item = Started>,
    ) -> Result<Self::Lives>;
}

/// One configuration of a [`Confo::watch_all`]: its path, its watch (none
/// when the arm failed and the read is a local copy) and its first read,
/// or why there is none (raised in the tuple's order, with decode errors).
#[doc(hidden)]
pub struct Started {
    path: ConfigPath,
    watch: Option<Watch>,
    read: Result<Fetched<crate::backend::Versioned>>,
}

impl Confo {
    /// Follows several typed configurations, from any namespaces, each as
    /// [`Confo::watch`] would, and returns their [`Live`] values in the
    /// tuple's order. What a service waits for at start is one round of
    /// watch arms sent together and one read of all the values (one
    /// ZooKeeper multi-read), rather than an arm and a read each.
    ///
    /// The error is the first one in the tuple's order: a missing
    /// configuration is [`Error::NotFound`] naming it, a value that does
    /// not decode is its [`Error::Decode`]. With local copies
    /// ([`Confo::keep_local_copies`]) a store that cannot be reached falls
    /// back to them, each value marked stale, as `watch` does.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// use confo::Confo;
    ///
    /// #[derive(Confo, serde::Deserialize, serde::Serialize)]
    /// #[confo(namespace = "systemA", name = "database")]
    /// struct Database { port: u16 }
    /// #[derive(Confo, serde::Deserialize, serde::Serialize)]
    /// #[confo(namespace = "systemB", name = "limits")]
    /// struct Limits { rps: u32 }
    ///
    /// let confo = Confo::from_url("mem://").await?;
    /// confo.save(&Database { port: 5432 }).await?;
    /// let Err(err) = confo.watch_all::<(Database, Limits)>().await else { panic!("started") };
    /// assert!(err.to_string().contains("systemB/limits not found"), "{err}");
    ///
    /// confo.save(&Limits { rps: 100 }).await?;
    /// let (db, mut limits) = confo.watch_all::<(Database, Limits)>().await?;
    /// confo.save(&Limits { rps: 200 }).await?;
    /// assert_eq!(limits.changed().await?.rps, 200);
    /// assert_eq!(db.get().port, 5432);
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn watch_all<W: WatchAll>(&self) -> Result<W::Lives> {
        let paths = W::paths(self)?;
        let store = self.store()?;
        let started = arm_and_read(&store, paths).await?;
        W::start(self, &store, &mut started.into_iter())
    }

    /// One value of a [`Confo::watch_all`], decoded as [`Confo::watch`] decodes.
    pub(crate) fn start_live<T: Config>(
        &self,
        store: &Store,
        started: Option<Started>,
    ) -> Result<Live<T>> {
        let Some(Started { path, watch, read }) = started else {
            return Err(Error::Backend {
                backend: store.describe().to_owned(),
                op: "watch",
                path: String::new(),
                message: "fewer reads than configurations".into(),
            });
        };
        self.start_typed(store, path, watch, read?)
    }
}

/// Arms a watch on every path (the requests sent together), then reads
/// every armed path in one request. A path whose arm failed falls back to
/// its local copy; when the one read cannot reach the store, every path
/// falls back to its copy; when it fails otherwise, each path is read on
/// its own (with the store's retry and local copies), as a [`Live`] start
/// does. Each path's error is kept with it, so that the caller raises the
/// first in the tuple's order.
async fn arm_and_read(store: &Store, paths: Vec<ConfigPath>) -> Result<Vec<Started>> {
    let mut arms = tokio::task::JoinSet::new();
    for (i, path) in paths.iter().cloned().enumerate() {
        let store = store.clone();
        arms.spawn(async move {
            let scope = WatchScope::Config(path);
            (i, store.backend().watch(&scope).await)
        });
    }
    let mut watches: Vec<Option<Result<Watch>>> = (0..paths.len()).map(|_| None).collect();
    while let Some(joined) = arms.join_next().await {
        let (i, armed) = joined.map_err(|e| Error::Backend {
            backend: store.describe().to_owned(),
            op: "watch",
            path: String::new(),
            message: format!("the watch task failed: {e}"),
        })?;
        watches[i] = Some(armed);
    }
    let armed: Vec<ConfigPath> = paths
        .iter()
        .zip(&watches)
        .filter(|(_, w)| matches!(w, Some(Ok(_))))
        .map(|(p, _)| p.clone())
        .collect();
    let (mut reads, unreachable) = match store.backend().read_many(&armed).await {
        Ok(reads) if reads.len() == armed.len() => (Some(reads.into_iter()), None),
        Ok(_) => (None, None),
        Err(Error::Connection { backend, message }) => (None, Some((backend, message))),
        Err(_) => (None, None),
    };
    let mut started = Vec::with_capacity(paths.len());
    for (path, watch) in paths.into_iter().zip(watches) {
        let (watch, read) = match watch {
            Some(Ok(watch)) => {
                let read = match (reads.as_mut().map(Iterator::next), &unreachable) {
                    (Some(Some(Some(read))), _) => {
                        store.keep_local_copy(&path, &read.bytes).await;
                        Ok(Fetched {
                            value: read,
                            freshness: Freshness::Fresh,
                        })
                    }
                    (Some(Some(None)), _) => Err(Error::NotFound {
                        backend: store.describe().to_owned(),
                        path: path.to_string(),
                    }),
                    // The store cannot be reached: the local copy, if any,
                    // without retrying once per path.
                    (_, Some((backend, message))) => {
                        let cause = Error::Connection {
                            backend: backend.clone(),
                            message: message.clone(),
                        };
                        store.fall_back(&path, cause).await
                    }
                    // The one read failed otherwise: this one on its own.
                    _ => store.fetch(&path).await,
                };
                (Some(watch), read)
            }
            Some(Err(e)) => (None, store.fall_back(&path, e).await),
            None => (None, Err(store_gone(store, &path))),
        };
        started.push(Started { path, watch, read });
    }
    Ok(started)
}

/// The error for a path whose watch task gave no answer.
fn store_gone(store: &Store, path: &ConfigPath) -> Error {
    Error::Backend {
        backend: store.describe().to_owned(),
        op: "watch",
        path: path.to_string(),
        message: "no answer to the watch".into(),
    }
}

macro_rules! watch_all_tuple {
    ($($t:ident),+) => {
        impl<$($t: Config),+> WatchAll for ($($t,)+) {
            type Lives = ($(Live<$t>,)+);

            fn paths(confo: &Confo) -> Result<Vec<ConfigPath>> {
                Ok(vec![$(confo.typed_path::<$t>(None)?),+])
            }

            fn start(
                confo: &Confo,
                store: &Store,
                started: &mut dyn Iterator<Item = Started>,
            ) -> Result<Self::Lives> {
                Ok(($(confo.start_live::<$t>(store, started.next())?,)+))
            }
        }
    };
}

macro_rules! watch_all_tuples {
    ($head:ident $(, $tail:ident)*) => {
        watch_all_tuple!($head $(, $tail)*);
        watch_all_tuples!($($tail),*);
    };
    () => {};
}

watch_all_tuples!(
    T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17, T18, T19, T20
);
