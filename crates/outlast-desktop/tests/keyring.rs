//! The refresh token in a real Secret Service (gnome-keyring-daemon on a private D-Bus session):
//! kept, read, replaced and removed per account, and used by the client to restore a session
//! without the password; sign-out removes it.

use std::sync::OnceLock;

mod common;

use outlast_core::SignInSecret;
use outlast_core::{AccountKey, CredentialVault};
use outlast_desktop::KeyringVault;
use outlast_mock::{DEMO_PASSWORD, DEMO_USERNAME};

fn session() -> &'static outlast_testenv::Session {
    static SESSION: OnceLock<outlast_testenv::Session> = OnceLock::new();
    SESSION.get_or_init(|| outlast_testenv::start(true))
}

fn account(user: &str) -> AccountKey {
    AccountKey {
        server: "https://chat.example.com".into(),
        user_id: user.into(),
    }
}

#[test]
fn a_token_is_kept_read_replaced_and_removed_per_account() {
    session();
    KeyringVault::check().expect("the test keyring is there");
    let vault = KeyringVault;
    let alice = account("u-alice-kept");
    let bob = account("u-bob-kept");
    assert_eq!(vault.load(&alice).unwrap(), None);
    vault.save(&alice, &SignInSecret::new("r-alice-1")).unwrap();
    vault.save(&bob, &SignInSecret::new("r-bob-1")).unwrap();
    assert_eq!(
        vault.load(&alice).unwrap(),
        Some(SignInSecret::new("r-alice-1"))
    );
    // A rotated token replaces the old one.
    vault.save(&alice, &SignInSecret::new("r-alice-2")).unwrap();
    assert_eq!(
        vault.load(&alice).unwrap(),
        Some(SignInSecret::new("r-alice-2"))
    );
    vault.delete(&alice).unwrap();
    assert_eq!(vault.load(&alice).unwrap(), None);
    assert_eq!(
        vault.load(&bob).unwrap(),
        Some(SignInSecret::new("r-bob-1"))
    );
    // Removing what is not there is fine (sign-out twice).
    vault.delete(&alice).unwrap();
    vault.delete(&bob).unwrap();
}

#[tokio::test]
async fn the_app_restores_a_session_from_the_keyring_and_sign_out_removes_it() {
    session();
    let server = common::mock().await;
    let dir = common::profile_dir("keyring-app");
    let client = || common::keyring_client(&dir);
    let first = client();
    let info = first
        .login(server.discovery_url(), DEMO_USERNAME, DEMO_PASSWORD)
        .await
        .unwrap();
    assert!(info.remembered, "{:?}", info.not_remembered_because);
    let key = info.account_key();
    assert!(KeyringVault.load(&key).unwrap().is_some());
    // Nothing secret anywhere in the profile folder.
    let token = KeyringVault.load(&key).unwrap().unwrap();
    for entry in walk(&dir) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes
                .windows(token.expose().len())
                .any(|w| w == token.expose().as_bytes()),
            "the refresh token is in {}",
            entry.display()
        );
    }
    first.logout();
    drop(first);

    let second = client();
    let restored = second
        .resume()
        .await
        .unwrap()
        .expect("restored from the keyring");
    assert_eq!(restored.user, info.user);
    second.sign_out().await.unwrap();
    assert_eq!(KeyringVault.load(&key).unwrap(), None);
    assert!(client().resume().await.unwrap().is_none());
    let _ = std::fs::remove_dir_all(&dir);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
