//! TLS to a real ZooKeeper: a server with a secure client port (Netty) and
//! certificates generated here (rcgen). confo connects with `zks://` and a
//! CA file, with and without a client certificate; the wrong CA, a missing
//! client certificate and plain text to the TLS port fail within the
//! connect timeout with a clear error.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

use confo::testing::{ServerTls, ZooKeeperServer};
use confo::{Confo, Error};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
use serde::{Deserialize, Serialize};

#[derive(confo::Confo, Serialize, Deserialize, Debug, PartialEq)]
#[confo(namespace = "tls", name = "database")]
struct Database {
    host: String,
    port: u16,
}

/// A CA and certificates it signed, as PEM.
struct Pki {
    ca_pem: String,
    server: (String, String),
    client: (String, String),
}

fn ca() -> (rcgen::Certificate, KeyPair) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "confo test CA");
    let key = KeyPair::generate().unwrap();
    (params.self_signed(&key).unwrap(), key)
}

/// A certificate for `localhost` and 127.0.0.1, signed by `ca`.
fn leaf(ca: &(rcgen::Certificate, KeyPair), name: &str) -> (String, String) {
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca.0, &ca.1).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn pki() -> Pki {
    let ca = ca();
    Pki {
        ca_pem: ca.0.pem(),
        server: leaf(&ca, "zookeeper"),
        client: leaf(&ca, "confo client"),
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// A failed connection must end within the connect timeout (plus slack).
const FAIL_BOUND: Duration = Duration::from_secs(3 + 10);

async fn start(tls: ServerTls) -> ZooKeeperServer {
    tokio::task::spawn_blocking(move || ZooKeeperServer::start_tls(tls))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn refused(url: &str) -> Error {
    let started = std::time::Instant::now();
    let outcome = tokio::time::timeout(FAIL_BOUND, Confo::from_url(url))
        .await
        .unwrap_or_else(|_| panic!("{url}: still connecting after {FAIL_BOUND:?}"));
    let err = match outcome {
        Ok(_) => panic!("{url}: connected"),
        Err(e) => e,
    };
    println!("{url}: refused after {:?}: {err}", started.elapsed());
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zks_with_the_right_ca_stores_and_loads_and_anything_else_is_refused() {
    let pki = pki();
    let server = start(ServerTls::new(&pki.server.0, &pki.server.1)).await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = write(dir.path(), "ca.pem", &pki.ca_pem);
    let base = server.tls_url().expect("a TLS port");
    let options = format!("connect_timeout={}s", CONNECT_TIMEOUT.as_secs());

    let url = format!("{base}/tls-test?ca_file={ca_file}&{options}");
    let confo = Confo::from_url(&url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(confo
        .backend()
        .unwrap()
        .describe()
        .starts_with("zks://127.0.0.1:"));
    let db = Database {
        host: "db.local".into(),
        port: 5432,
    };
    confo.save(&db).await.unwrap();
    assert_eq!(confo.load::<Database>().await.unwrap(), db);
    // What went over TLS is what a plain client of the same server sees.
    let plain = Confo::from_url(&format!("{}/tls-test", server.url()))
        .await
        .unwrap();
    assert_eq!(plain.load::<Database>().await.unwrap(), db);

    // Another CA: the server's certificate is not trusted.
    let other_ca = write(dir.path(), "other-ca.pem", &ca().0.pem());
    let err = refused(&format!("{base}?ca_file={other_ca}&{options}")).await;
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    assert!(err.to_string().contains("ca_file"), "{err}");

    // Plain text to the TLS port.
    let err = refused(&format!(
        "zk://127.0.0.1:{}?{options}",
        server.secure_port().unwrap()
    ))
    .await;
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");

    // TLS without a CA, or to a name that cannot be checked: refused before connecting.
    let err = refused(&format!("{base}?{options}")).await;
    assert!(err.to_string().contains("ca_file"), "{err}");
    let err = refused(&format!("zks://bad_host!:1?ca_file={ca_file}")).await;
    assert!(matches!(err, Error::InvalidUrl { .. }), "{err:?}");
    let missing = dir.path().join("missing.pem").display().to_string();
    let err = refused(&format!("{base}?ca_file={missing}&{options}")).await;
    assert!(err.to_string().contains("missing.pem"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_requires_client_certificates_takes_only_ours() {
    let pki = pki();
    let server =
        start(ServerTls::new(&pki.server.0, &pki.server.1).require_client_cert(&pki.ca_pem)).await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = write(dir.path(), "ca.pem", &pki.ca_pem);
    let cert_file = write(dir.path(), "client.pem", &pki.client.0);
    let key_file = write(dir.path(), "client.key", &pki.client.1);
    let base = server.tls_url().expect("a TLS port");
    let options = format!("connect_timeout={}s", CONNECT_TIMEOUT.as_secs());

    let url =
        format!("{base}?ca_file={ca_file}&cert_file={cert_file}&key_file={key_file}&{options}");
    let confo = Confo::from_url(&url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let db = Database {
        host: "mtls".into(),
        port: 1,
    };
    confo.save(&db).await.unwrap();
    assert_eq!(confo.load::<Database>().await.unwrap(), db);

    // The same through the builder, PEM given as text.
    let store =
        confo::backend::ZooKeeper::builder(format!("127.0.0.1:{}", server.secure_port().unwrap()))
            .with_tls_ca(&pki.ca_pem)
            .with_tls_identity(&pki.client.0, &pki.client.1)
            .with_connect_timeout(CONNECT_TIMEOUT)
            .connect()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    let debug = format!("{:?}", store.options());
    assert!(!debug.contains("PRIVATE KEY"), "{debug}");
    assert_eq!(
        Confo::with_backend(store).load::<Database>().await.unwrap(),
        db
    );

    // Without a client certificate the server closes the connection.
    let err = refused(&format!("{base}?ca_file={ca_file}&{options}")).await;
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    // A certificate without its key is a usage error.
    let err = refused(&format!("{base}?ca_file={ca_file}&cert_file={cert_file}")).await;
    assert!(err.to_string().contains("key_file"), "{err}");
}
