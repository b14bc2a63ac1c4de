//! A desktop with no Secret Service (a D-Bus session with nobody owning org.freedesktop.secrets):
//! Outlast says so clearly and keeps the sign-in in memory only; nothing falls back to a file.

mod common;

use outlast_core::{CredentialVault, VaultError};
use outlast_desktop::KeyringVault;
use outlast_mock::{DEMO_PASSWORD, DEMO_USERNAME};

#[tokio::test]
async fn without_a_keyring_the_sign_in_works_is_not_kept_and_the_user_is_told() {
    outlast_testenv::start(false);
    let Err(VaultError::Unavailable(reason)) = KeyringVault::check() else {
        panic!("a keyring answered on a bus without one");
    };
    assert!(!reason.is_empty());

    let server = common::mock().await;
    let dir = common::profile_dir("no-keyring");
    let client = || common::keyring_client(&dir);
    let first = client();
    let info = first
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    assert!(!info.remembered);
    let why = info.not_remembered_because.clone().unwrap();
    assert!(why.contains("no keyring is available"), "{why}");
    assert!(why.contains("sign in again next time"), "{why}");
    // The session itself works.
    assert!(!first.chats().unwrap().is_empty());
    // Nothing was written that could restore it: no token file, no account to restore.
    assert!(!dir.join("account.json").exists());
    assert!(client().resume().await.unwrap().is_none());
    assert!(matches!(
        KeyringVault.load(&info.account_key()),
        Err(VaultError::Unavailable(_))
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
