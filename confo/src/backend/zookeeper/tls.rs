//! TLS to ZooKeeper (`zks://`): the CA and client identity settings, their
//! checks before connecting, and the client's TLS options.

#[cfg(feature = "tls")]
use crate::error::{Error, Result};

/// PEM text, given as is or as a file read when connecting.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Pem {
    File(std::path::PathBuf),
    Text(String),
}

impl Pem {
    /// The PEM text (reads the file); the error names the file, never its content.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn load(&self, what: &str) -> std::result::Result<String, String> {
        match self {
            Pem::Text(text) => Ok(text.clone()),
            Pem::File(path) => crate::bounded::read_pem(path)
                .map_err(|e| format!("cannot read the {what} {}: {e}", path.display())),
        }
    }

    /// For `Debug`: a file's path, `<PEM>` for text (it may be a key).
    pub(super) fn shown(&self) -> String {
        match self {
            Pem::File(path) => path.display().to_string(),
            Pem::Text(_) => "<PEM>".into(),
        }
    }
}

/// TLS to ZooKeeper: the CA that signs the servers' certificates and an
/// optional client certificate and key.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct TlsSettings {
    pub(crate) ca: Option<Pem>,
    pub(crate) cert: Option<Pem>,
    pub(crate) key: Option<Pem>,
}

pub(super) fn check_tls(tls: &TlsSettings, hosts: &[String]) -> std::result::Result<(), String> {
    if cfg!(not(feature = "tls")) {
        return Err("TLS (zks://) is not compiled into this build of confo \
                    (enable the `tls` feature)"
            .into());
    }
    if tls.ca.is_none() {
        return Err("TLS needs the CA that signed the servers' certificates: \
                    add ?ca_file=/path/to/ca.pem"
            .into());
    }
    match (&tls.cert, &tls.key) {
        (Some(_), None) => return Err("cert_file needs key_file (the client's private key)".into()),
        (None, Some(_)) => return Err("key_file needs cert_file (the client's certificate)".into()),
        _ => {}
    }
    // The TLS client checks each server's certificate against its host name
    // (and fails hard on a name that cannot be one): refuse such names here.
    #[cfg(feature = "tls")]
    for host in hosts {
        let name = host
            .rsplit_once(':')
            .map_or(host.as_str(), |(name, _)| name);
        let name = name.trim_start_matches('[').trim_end_matches(']');
        if rustls_pki_types::ServerName::try_from(name).is_err() {
            return Err(format!(
                "{name:?} is not a host name or IP address TLS can check a certificate against"
            ));
        }
    }
    #[cfg(not(feature = "tls"))]
    let _ = hosts;
    Ok(())
}

/// The TLS options of the client: the CA and any client identity, read
/// now (files) and checked. Errors name the file, never its content.
#[cfg(feature = "tls")]
pub(super) fn tls_options(
    tls: &TlsSettings,
    describe: &str,
) -> Result<zookeeper_client::TlsOptions> {
    let invalid = |reason: String| Error::InvalidUrl {
        url: describe.to_owned(),
        reason,
    };
    let mut options = zookeeper_client::TlsOptions::new();
    if let Some(ca) = &tls.ca {
        let pem = ca.load("CA file").map_err(invalid)?;
        options = options.with_pem_ca(&pem).map_err(|e| {
            invalid(format!(
                "the CA (ca_file) holds no usable PEM certificate: {e}"
            ))
        })?;
    }
    if let (Some(cert), Some(key)) = (&tls.cert, &tls.key) {
        let cert = cert.load("client certificate").map_err(invalid)?;
        let key = key.load("client key").map_err(invalid)?;
        // The client's message about a bad key never quotes it.
        options = options.with_pem_identity(&cert, &key).map_err(|e| {
            invalid(format!(
                "the client certificate or key is not usable PEM: {e}"
            ))
        })?;
    }
    tracing::debug!(backend = %describe, client_identity = tls.cert.is_some(), "connecting with TLS");
    Ok(options)
}
