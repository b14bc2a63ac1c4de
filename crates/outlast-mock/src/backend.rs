//! The backend every listener shares: the store plus the simulated peers that talk back.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use outlast_protocol::ApiError;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::store::{Posted, Store};

/// Canned answers of the simulated peers, picked by the seeded RNG so a seed replays a
/// conversation exactly.
const REPLIES: &[&str] = &[
    "Got it, thanks!",
    "Sounds good 👍",
    "좋아요!",
    "I'll check and get back to you.",
    "네, 알겠습니다.",
    "Haha, true.",
    "Can we talk about it after lunch?",
    "Received loud and clear.",
];

#[derive(Clone)]
pub(crate) struct Backend {
    inner: Arc<Inner>,
}

struct Inner {
    store: Mutex<Store>,
    rng: Mutex<StdRng>,
    reply_delay: Duration,
}

impl Backend {
    pub fn new(seed: u64, reply_delay: Duration) -> Self {
        let mut store = Store::default();
        crate::demo::seed(&mut store, now_ms());
        Backend {
            inner: Arc::new(Inner {
                store: Mutex::new(store),
                rng: Mutex::new(StdRng::seed_from_u64(seed)),
                reply_delay,
            }),
        }
    }

    /// Lock the store. Never held across an `.await`.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock would be a bug in this crate; the data is still the
        // best picture we have, so keep serving it.
        self.inner.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Post a message from a user and, if a real user wrote it, let a simulated member answer.
    pub fn post(
        &self,
        sender_id: &str,
        chat_id: &str,
        client_msg_id: Option<&str>,
        body: &str,
        from_session: Option<&str>,
    ) -> Result<Posted, ApiError> {
        let (posted, responder) = {
            let mut store = self.store();
            let posted = store.post_message(
                sender_id,
                chat_id,
                client_msg_id,
                body,
                now_ms(),
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
            let reply = self.pick(REPLIES).copied().unwrap_or("👍").to_owned();
            self.spawn_reply(peer, chat_id.to_owned(), reply);
        }
        Ok(posted)
    }

    fn pick<'a, T>(&self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        let mut rng = self.inner.rng.lock().unwrap_or_else(|e| e.into_inner());
        items.get(rng.random_range(0..items.len()))
    }

    fn spawn_reply(&self, peer: String, chat_id: String, body: String) {
        let backend = self.clone();
        let delay = self.inner.reply_delay;
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let result = backend
                .store()
                .post_message(&peer, &chat_id, None, &body, now_ms(), None);
            if let Err(err) = result {
                tracing::warn!(%peer, %chat_id, ?err, "simulated reply failed");
            }
        });
    }
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
