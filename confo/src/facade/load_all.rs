//! Loading several typed configurations in one request.

use super::Confo;
use crate::backend::{Backend, Versioned};
use crate::error::{Error, Result};
use crate::name::ConfigPath;
use crate::typed::{decode_read, Config};

/// A tuple of typed configurations that [`Confo::load_all`] loads together:
/// `(A,)` to twenty types, each any [`Config`] (in any namespaces).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use confo::Confo;
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
/// let (db, email): (Database, Email) = confo.load_all().await?;
/// assert_eq!((db.port, email.smtp.as_str()), (5432, "mail"));
/// # Ok::<(), confo::Error>(()) }).unwrap();
/// ```
pub trait LoadAll: Sized {
    /// The paths of the configurations, in the tuple's order.
    #[doc(hidden)]
    fn paths(confo: &Confo) -> Result<Vec<ConfigPath>>;

    /// Decodes what was read for [`LoadAll::paths`], in the same order.
    #[doc(hidden)]
    fn decode(
        confo: &Confo,
        describe: &str,
        reads: &mut dyn Iterator<Item = (ConfigPath, Option<Versioned>)>,
    ) -> Result<Self>;
}

impl Confo {
    /// Loads several typed configurations, from any namespaces, in one
    /// request to the store (one ZooKeeper multi-read): what a service that
    /// reads several configurations at start-up waits for once rather than
    /// once each. Each is decoded as [`Confo::load`] decodes it, with this
    /// manager's overrides, and remembered for [`Confo::save`]; the error is
    /// the first one in the tuple's order (a missing configuration is
    /// [`Error::NotFound`] naming it; a value that does not decode is its
    /// [`Error::Decode`]), exactly as that `load` would give it.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
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
    /// let Err(err) = confo.load_all::<(Database, Limits)>().await else { panic!("loaded") };
    /// assert!(err.to_string().contains("systemB/limits not found"), "{err}");
    ///
    /// confo.save(&Limits { rps: 100 }).await?;
    /// let (mut db, limits) = confo.load_all::<(Database, Limits)>().await?;
    /// assert_eq!(limits.rps, 100);
    /// db.port = 5433;
    /// confo.save(&db).await?; // compare-and-set against the version loaded
    /// # Ok::<(), confo::Error>(()) }).unwrap();
    /// ```
    pub async fn load_all<L: LoadAll>(&self) -> Result<L> {
        let paths = L::paths(self)?;
        let store = self.store()?;
        let reads = store.backend().read_many(&paths).await?;
        if reads.len() != paths.len() {
            return Err(Error::Backend {
                backend: store.describe().to_owned(),
                op: "read",
                path: paths.first().map(ToString::to_string).unwrap_or_default(),
                message: format!(
                    "the store answered {} values for {} configurations",
                    reads.len(),
                    paths.len()
                ),
            });
        }
        L::decode(self, store.describe(), &mut paths.into_iter().zip(reads))
    }

    /// One configuration of a [`Confo::load_all`]: decoded and remembered.
    pub(crate) fn decode_loaded<T: Config>(
        &self,
        describe: &str,
        read: Option<(ConfigPath, Option<Versioned>)>,
    ) -> Result<T> {
        let Some((path, read)) = read else {
            return Err(Error::Backend {
                backend: describe.to_owned(),
                op: "read",
                path: String::new(),
                message: "fewer values than configurations".into(),
            });
        };
        let Some(read) = read else {
            return Err(Error::NotFound {
                backend: describe.to_owned(),
                path: path.to_string(),
            });
        };
        let (value, applied) = decode_read::<T>(describe, &path, &read.bytes, &self.overrides())?;
        self.typed()
            .remember(describe, &path, read.version, applied);
        Ok(value)
    }
}

macro_rules! load_all_tuple {
    ($($t:ident),+) => {
        impl<$($t: Config),+> LoadAll for ($($t,)+) {
            fn paths(confo: &Confo) -> Result<Vec<ConfigPath>> {
                Ok(vec![$(confo.typed_path::<$t>(None)?),+])
            }

            fn decode(
                confo: &Confo,
                describe: &str,
                reads: &mut dyn Iterator<Item = (ConfigPath, Option<Versioned>)>,
            ) -> Result<Self> {
                Ok(($(confo.decode_loaded::<$t>(describe, reads.next())?,)+))
            }
        }
    };
}

macro_rules! load_all_tuples {
    ($head:ident $(, $tail:ident)*) => {
        load_all_tuple!($head $(, $tail)*);
        load_all_tuples!($($tail),*);
    };
    () => {};
}

load_all_tuples!(
    T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17, T18, T19, T20
);
