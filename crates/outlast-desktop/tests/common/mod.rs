//! What the keyring tests share: the mock backend and an app-like client whose sign-in goes to
//! the OS keyring.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use outlast_core::{Client, ClientOptions, Vault};
use outlast_desktop::KeyringVault;
use outlast_mock::{MockConfig, MockServer};

pub async fn mock() -> MockServer {
    MockServer::start(MockConfig {
        reply_delay: Duration::from_secs(3_600),
        ..MockConfig::default()
    })
    .await
    .unwrap()
}

/// A fresh, empty profile folder for `name`.
pub fn profile_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("outlast-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A client as the app makes it: a profile folder and the OS keyring.
pub fn keyring_client(dir: &std::path::Path) -> Client {
    Client::with_options(ClientOptions {
        data_dir: Some(dir.to_owned()),
        vault: Some(Vault::new(KeyringVault)),
        ..ClientOptions::default()
    })
}
