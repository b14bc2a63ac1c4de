//! How the queue hands operations to a backend's live connection.

use std::sync::Arc;

use crate::domain::Attachment;

/// A message on its way to the server: what the operation queue hands a backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The idempotency key: the server stores the message once however often it is sent.
    pub client_msg_id: String,
    pub chat_id: String,
    pub body: String,
    /// Already uploaded to the media service.
    pub attachments: Vec<Attachment>,
}

/// Hands operations to a live connection (the operation queue holds one per session). Once the
/// connection is stopped, what is handed is dropped: the store keeps it for the next session.
#[derive(Clone)]
pub struct Submitter(Arc<dyn Fn(Outgoing) + Send + Sync>);

impl Submitter {
    pub fn new(submit: impl Fn(Outgoing) + Send + Sync + 'static) -> Submitter {
        Submitter(Arc::new(submit))
    }

    /// Queue an operation; it is delivered (and re-sent until it has an outcome) whenever a path
    /// is up.
    pub fn send(&self, message: Outgoing) {
        (self.0)(message)
    }
}
