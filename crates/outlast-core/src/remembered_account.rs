//! Which account to restore at start-up: the server, the user and the name typed at sign-in, in
//! `account.json` (owner-only). No secret is here; the refresh token is in the vault.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::credentials::AccountKey;

const FILE_NAME: &str = "account.json";

/// The protocol of every account file written before the file said which: protocol v1, the
/// only kind of server then.
pub(crate) const FIRST_PROTOCOL: &str = "outlast-v1";

fn first_protocol() -> String {
    FIRST_PROTOCOL.to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedAccount {
    /// The address signed in to (protocol v1: the discovery service).
    pub server: String,
    /// The kind of server (the backend's `Server::protocol`): a restart restores the sign-in
    /// only on a server of this kind.
    #[serde(default = "first_protocol")]
    pub protocol: String,
    /// The name typed at sign-in, to fill the form when a new sign-in is needed.
    pub username: String,
    pub user_id: String,
    pub display_name: String,
}

impl RememberedAccount {
    pub fn key(&self) -> AccountKey {
        AccountKey {
            server: self.server.clone(),
            user_id: self.user_id.clone(),
        }
    }
}

pub(crate) struct AccountFile {
    path: PathBuf,
}

impl AccountFile {
    pub fn in_dir(dir: &Path) -> Self {
        AccountFile {
            path: dir.join(FILE_NAME),
        }
    }

    pub fn load(&self) -> Option<RememberedAccount> {
        let text = fs::read_to_string(&self.path).ok()?;
        match serde_json::from_str(&text) {
            Ok(account) => Some(account),
            Err(err) => {
                // Only a convenience is lost: the user signs in by hand.
                tracing::warn!(path = %self.path.display(), %err, "ignoring an unreadable account file");
                None
            }
        }
    }

    pub fn save(&self, account: &RememberedAccount) -> std::io::Result<()> {
        crate::private_files::write_atomically(&self.path, &serde_json::to_vec_pretty(account)?)
    }

    pub fn forget(&self) -> std::io::Result<()> {
        match fs::remove_file(&self.path) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }
}
