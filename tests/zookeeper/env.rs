//! `CONFO_URL=zk://...` opens ZooKeeper. Alone in its binary: it sets an
//! environment variable, which no concurrently running test may do.

use confo::testing::ZooKeeperServer;
use confo::{Confo, Namespace};

#[tokio::test]
async fn confo_url_may_name_a_zookeeper_server() {
    let server = tokio::task::spawn_blocking(ZooKeeperServer::start)
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"));
    let url = format!("{}/from-env", server.url());
    Confo::from_url(&url)
        .await
        .unwrap()
        .create_namespace("systemC")
        .await
        .unwrap();

    std::env::set_var(confo::backend::URL_ENV, &url);
    let confo = Confo::from_env().await;
    std::env::remove_var(confo::backend::URL_ENV);

    let confo = confo.unwrap();
    assert_eq!(confo.backend().unwrap().describe(), url);
    assert_eq!(
        confo.namespaces().await.unwrap().all_namespaces,
        [Namespace::new("systemC").unwrap()]
    );
}
