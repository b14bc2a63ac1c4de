//! The access token the connection uses, and how it asks for a fresh one. A separate keeper task
//! refreshes tokens; the connection only reads the latest and, when a gateway refuses the old one,
//! asks for a refresh and waits: the user stays signed in however long the auth service is down.

use std::sync::Arc;

use outlast_protocol::AccessToken;
use tokio::sync::{watch, Notify};

#[derive(Clone)]
pub struct TokenSource {
    latest: watch::Receiver<AccessToken>,
    refresh: Arc<Notify>,
    /// For a fixed token: the sender, kept so the channel stays open.
    _fixed: Option<Arc<watch::Sender<AccessToken>>>,
}

/// The keeper's half: publishes new tokens and hears refresh requests.
pub struct TokenPublisher {
    latest: watch::Sender<AccessToken>,
    refresh: Arc<Notify>,
}

impl TokenSource {
    pub fn new(token: AccessToken) -> (TokenSource, TokenPublisher) {
        let (tx, rx) = watch::channel(token);
        let refresh = Arc::new(Notify::new());
        (
            TokenSource {
                latest: rx,
                refresh: refresh.clone(),
                _fixed: None,
            },
            TokenPublisher {
                latest: tx,
                refresh,
            },
        )
    }

    /// No token yet: the session starts from the cache and the keeper fetches the first one.
    pub fn pending() -> (TokenSource, TokenPublisher) {
        TokenSource::new(AccessToken::new(""))
    }

    /// A token nobody refreshes (benchmarks, short-lived tools).
    pub fn fixed(token: AccessToken) -> TokenSource {
        let (mut source, publisher) = TokenSource::new(token);
        source._fixed = Some(Arc::new(publisher.latest));
        source
    }

    pub fn current(&self) -> AccessToken {
        self.latest.borrow().clone()
    }

    /// Ask the keeper for a fresh token (idempotent until it has one).
    pub fn request_refresh(&self) {
        self.refresh.notify_one();
    }

    /// Wait until a token newer than the last one seen arrives; `false` if none ever can.
    pub async fn changed(&mut self) -> bool {
        self.latest.changed().await.is_ok()
    }

    /// Forget any change seen so far, so `changed` waits for the next one.
    pub fn mark_seen(&mut self) {
        self.latest.mark_unchanged();
    }
}

impl TokenPublisher {
    pub fn publish(&self, token: AccessToken) {
        self.latest.send_replace(token);
    }

    pub async fn refresh_requested(&self) {
        self.refresh.notified().await;
    }
}
