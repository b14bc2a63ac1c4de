//! A desktop with no Secret Service (a D-Bus session with nobody owning org.freedesktop.secrets):
//! Outlast says so clearly and keeps the sign-in in memory only; nothing falls back to a file.

use std::time::Duration;

use outlast_core::{Client, ClientOptions, CredentialVault, Vault, VaultError};
use outlast_desktop::KeyringVault;
use outlast_mock::{MockConfig, MockServer, DEMO_PASSWORD, DEMO_USERNAME};

#[tokio::test]
async fn without_a_keyring_the_sign_in_works_is_not_kept_and_the_user_is_told() {
    outlast_testenv::start(false);
    let Err(VaultError::Unavailable(reason)) = KeyringVault::check() else {
        panic!("a keyring answered on a bus without one");
    };
    assert!(!reason.is_empty());

    let server = MockServer::start(MockConfig {
        reply_delay: Duration::from_secs(3_600),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let dir = std::env::temp_dir().join(format!("outlast-no-keyring-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let client = || {
        Client::with_options(ClientOptions {
            data_dir: Some(dir.clone()),
            vault: Some(Vault::new(KeyringVault)),
            ..ClientOptions::default()
        })
    };
    let first = client();
    let info = first
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    assert!(!info.remembered);
    let why = info.not_remembered_because.unwrap();
    assert!(why.contains("no keyring is available"), "{why}");
    assert!(why.contains("sign in again next time"), "{why}");
    // The session itself works.
    assert!(!first.chats().unwrap().is_empty());
    // Nothing was written that could restore it: no token file, no account to restore.
    assert!(!dir.join("account.json").exists());
    assert!(client().resume().await.unwrap().is_none());
    assert!(matches!(
        KeyringVault.load(&outlast_core::AccountKey {
            server: info.server,
            user_id: info.user.user_id
        }),
        Err(VaultError::Unavailable(_))
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
