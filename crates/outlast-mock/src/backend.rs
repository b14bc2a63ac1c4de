//! The backend every listener shares: the store, the token key, and the simulated peers that
//! talk back and generate traffic.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use outlast_protocol::{AccessToken, ApiError, Attachment};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::store::{Posted, Store};
use crate::token::TokenKey;

/// Canned lines of the simulated peers, picked by the seeded RNG so a seed replays a
/// conversation exactly.
const LINES: &[&str] = &[
    "Got it, thanks!",
    "Sounds good 👍",
    "좋아요!",
    "I'll check and get back to you.",
    "네, 알겠습니다.",
    "Haha, true.",
    "Can we talk about it after lunch?",
    "Received loud and clear.",
    "회의 자료 공유드렸어요.",
    "Is the gateway drill still on?",
];

/// Settings of the shared backend.
#[derive(Debug, Clone)]
pub(crate) struct BackendSettings {
    pub seed: u64,
    pub reply_delay: Duration,
    pub access_ttl: Duration,
}

#[derive(Clone)]
pub(crate) struct Backend {
    inner: Arc<Inner>,
}

struct Inner {
    store: Mutex<Store>,
    rng: Mutex<StdRng>,
    key: TokenKey,
    settings: BackendSettings,
    /// Access tokens expiring at or before this (Unix ms) count as expired: the
    /// "tokens expired on the server" fault.
    revoked_until_exp: std::sync::atomic::AtomicU64,
}

impl Backend {
    pub fn new(settings: BackendSettings, store: Store) -> Self {
        let mut key = [0u8; 32];
        // The signing key is random per process: tokens from an earlier run are rejected, as a
        // real backend's rotated keys would. The seeded RNG drives only the simulated behaviour.
        rand::rng().fill(&mut key);
        let rng = StdRng::seed_from_u64(settings.seed);
        Backend {
            inner: Arc::new(Inner {
                store: Mutex::new(store),
                rng: Mutex::new(rng),
                key: TokenKey::new(&key),
                settings,
                revoked_until_exp: std::sync::atomic::AtomicU64::new(0),
            }),
        }
    }

    /// Lock the store. Never held across an `.await`.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock would be a bug in this crate; the data is still the
        // best picture we have, so keep serving it.
        self.inner.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn issue_access_token(&self, user_id: &str) -> (AccessToken, u64) {
        let expires = now_ms() + self.inner.settings.access_ttl.as_millis() as u64;
        (self.inner.key.issue(user_id, expires), expires)
    }

    /// The user an access token belongs to; checked by signature, without the auth service.
    pub fn verify(&self, token: &str) -> Result<String, ApiError> {
        let revoked = self
            .inner
            .revoked_until_exp
            .load(std::sync::atomic::Ordering::SeqCst);
        self.inner.key.verify(token, now_ms(), revoked)
    }

    /// Make every access token issued so far count as expired (clients must refresh).
    pub fn expire_access_tokens(&self) {
        let cutoff = now_ms() + self.inner.settings.access_ttl.as_millis() as u64;
        self.inner
            .revoked_until_exp
            .store(cutoff, std::sync::atomic::Ordering::SeqCst);
    }

    /// Post a message from a user and, if a real user wrote it, let a simulated member answer.
    pub fn post(
        &self,
        sender_id: &str,
        chat_id: &str,
        client_msg_id: Option<&str>,
        body: &str,
        attachments: Vec<Attachment>,
        from_session: Option<&str>,
    ) -> Result<Posted, ApiError> {
        let (posted, responder) = {
            let mut store = self.store();
            let posted = store.post_message(
                sender_id,
                chat_id,
                client_msg_id,
                body,
                attachments,
                from_session,
            )?;
            let responder = if posted.duplicate || store.is_simulated(sender_id) {
                None
            } else {
                let peers: Vec<String> = store
                    .other_members(chat_id, sender_id)
                    .into_iter()
                    .filter(|m| store.is_simulated(m))
                    .collect();
                self.pick(&peers).cloned()
            };
            (posted, responder)
        };
        if let Some(peer) = responder {
            let line = self.pick(LINES).copied().unwrap_or("👍").to_owned();
            let backend = self.clone();
            let chat_id = chat_id.to_owned();
            let delay = self.inner.settings.reply_delay;
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                backend.post_as_peer(&peer, &chat_id, &line);
            });
        }
        Ok(posted)
    }

    /// Simulated traffic: `per_minute` messages from random simulated users into their chats,
    /// at exponentially distributed intervals (a Poisson process), until the task is dropped.
    pub async fn generate_traffic(self, per_minute: f64) {
        if per_minute <= 0.0 {
            return;
        }
        let mean_ms = 60_000.0 / per_minute;
        loop {
            let wait = {
                let mut rng = self.inner.rng.lock().unwrap_or_else(|e| e.into_inner());
                let u: f64 = rng.random_range(f64::EPSILON..1.0);
                (-u.ln() * mean_ms).min(3_600_000.0)
            };
            tokio::time::sleep(Duration::from_millis(wait as u64)).await;
            let users = self.store().simulated_users();
            let Some(user) = self.pick(&users).cloned() else {
                return;
            };
            let chats = self.store().memberships(&user);
            let Some((chat_id, _)) = self.pick(&chats).cloned() else {
                continue;
            };
            let line = self.pick(LINES).copied().unwrap_or("👍");
            self.post_as_peer(&user, &chat_id, line);
        }
    }

    /// A simulated member of one of `user_id`'s chats writes `body` there.
    pub fn post_hostile(&self, user_id: &str, body: &str) {
        let target = {
            let store = self.store();
            store
                .memberships(user_id)
                .into_iter()
                .find_map(|(chat_id, members)| {
                    let peer = members
                        .into_iter()
                        .find(|m| m != user_id && store.is_simulated(m))?;
                    Some((peer, chat_id))
                })
        };
        if let Some((peer, chat_id)) = target {
            self.post_as_peer(&peer, &chat_id, body);
        }
    }

    fn post_as_peer(&self, peer: &str, chat_id: &str, body: &str) {
        let result = self
            .store()
            .post_message(peer, chat_id, None, body, Vec::new(), None);
        if let Err(err) = result {
            tracing::warn!(%peer, %chat_id, ?err, "simulated message failed");
        }
    }

    /// A uniformly random element, from the seeded RNG.
    pub fn pick<'a, T>(&self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        let mut rng = self.inner.rng.lock().unwrap_or_else(|e| e.into_inner());
        items.get(rng.random_range(0..items.len()))
    }

    /// True with probability `p`, from the seeded RNG.
    pub fn chance(&self, p: f64) -> bool {
        let mut rng = self.inner.rng.lock().unwrap_or_else(|e| e.into_inner());
        rng.random_bool(p.clamp(0.0, 1.0))
    }
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
