//! The throwaway ZooKeeper server of `confo::testing`: it starts, answers,
//! stops, restarts on the same port with the same data, and cleans up.

use std::time::Duration;

use confo::testing::ZooKeeperServer;
use zookeeper_client::{Acls, Client, CreateMode};

async fn connect(server: &ZooKeeperServer) -> Client {
    tokio::time::timeout(
        Duration::from_secs(20),
        Client::connector()
            .with_session_timeout(Duration::from_secs(10))
            .connect(&server.connect_string()),
    )
    .await
    .expect("connect within 20 s")
    .expect("connect")
}

#[tokio::test]
async fn server_keeps_its_data_across_restart_and_cleans_up_on_drop() {
    let server = tokio::task::spawn_blocking(ZooKeeperServer::start)
        .await
        .unwrap()
        .unwrap();
    let dir = server.dir().to_path_buf();
    assert!(server.is_running());
    assert!(server.url().starts_with("zk://127.0.0.1:"));

    let client = connect(&server).await;
    client
        .create(
            "/kept",
            b"hello",
            &CreateMode::Persistent.with_acls(Acls::anyone_all()),
        )
        .await
        .unwrap();
    drop(client);

    let server = tokio::task::spawn_blocking(move || {
        server.stop();
        assert!(!server.is_running());
        server.restart().unwrap();
        server
    })
    .await
    .unwrap();
    assert!(server.is_running());

    let client = connect(&server).await;
    let (data, _) = client.get_data("/kept").await.unwrap();
    assert_eq!(data, b"hello");
    drop(client);

    drop(server);
    assert!(!dir.exists(), "{} must be removed on drop", dir.display());
}
