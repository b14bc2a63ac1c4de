//! A backend in this process: the same contract as protocol v1, no sockets, scriptable.
//!
//! A [`MemoryServer`] holds accounts, chats, messages and each account's event log; each signed-in
//! account talks to it through a [`MemoryBackend`]. Tests script what goes wrong: a service down
//! ([`MemoryServer::set_down`]), slow answers, lost acknowledgements, events delivered twice or
//! out of order, "busy, retry after", final refusals, a log trimmed so a client far behind gets a
//! gap. It runs on tokio's clock, so tests can pause time.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;
use tokio::time::Duration;

use crate::credentials::SignInSecret;

use super::{Backend, BoxFuture, FirstView, Live, Upload};
use crate::connection::ConnectionSink;
use crate::domain::{Attachment, Chat, HistoryPage, Limits};
use crate::error::ServerCode;
use crate::model::{NamedService, Profile, Service, ServiceState};
use crate::transfer_progress::ProgressMeter;
use crate::CoreError;

mod live;
mod sign_in;
mod state;
#[cfg(test)]
mod tests;

pub use sign_in::MEMORY_ADDRESS;
use state::State;

/// No discovery and no separate sign-in: a gateway, an API (which signs in too) and a media
/// service.
const SERVICES: [Service; 3] = [Service::Gateway, Service::Api, Service::Media];

/// An in-memory server. Cheap to clone; clones are the same server.
#[derive(Clone)]
pub struct MemoryServer {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    script: Mutex<Script>,
    /// Bumped on every change, so live connections wake to deliver it.
    changed: watch::Sender<u64>,
}

/// What goes wrong, as a test scripts it.
#[derive(Debug, Clone)]
struct Script {
    /// Services that answer every request with a retryable failure.
    down: HashSet<Service>,
    /// Every answer and delivery waits this long first.
    delay: Duration,
    /// The next this many acknowledgements are lost (the message is stored).
    drop_acks: u32,
    /// Each event is delivered twice.
    duplicate_events: bool,
    /// Events delivered together arrive in pairs swapped.
    reorder_events: bool,
    /// The next this many submissions are answered "busy, retry after" this long.
    busy: Option<(u32, Duration)>,
    /// The next this many submissions are refused for good, with this reason.
    refuse: Option<(u32, String)>,
    /// The next this many requests are carried out but their answers lost on the way.
    lose_answers: u32,
    /// How long a live connection waits for an acknowledgement before it sends again.
    ack_wait: Duration,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            down: HashSet::new(),
            delay: Duration::ZERO,
            drop_acks: 0,
            duplicate_events: false,
            reorder_events: false,
            busy: None,
            refuse: None,
            lose_answers: 0,
            ack_wait: live::ACK_WAIT,
        }
    }
}

impl Default for MemoryServer {
    fn default() -> Self {
        MemoryServer::new()
    }
}

impl MemoryServer {
    pub fn new() -> MemoryServer {
        MemoryServer {
            inner: Arc::new(Inner {
                state: Mutex::new(State::default()),
                script: Mutex::new(Script::default()),
                changed: watch::channel(0).0,
            }),
        }
    }

    /// An account on this server.
    pub fn add_user(&self, user_id: &str, display_name: &str) -> Profile {
        self.change(|s| s.add_user(user_id, display_name));
        Profile {
            user_id: user_id.to_owned(),
            display_name: display_name.to_owned(),
        }
    }

    /// A chat of `members`, set up by the test (no one needs to be signed in).
    pub fn add_chat(&self, title: &str, members: &[&str]) -> Result<Chat, CoreError> {
        let members: Vec<String> = members.iter().map(|m| (*m).to_owned()).collect();
        self.change(|s| {
            let chat_id = s.create_chat(title, &members, None)?;
            s.chat_for(&chat_id, &members[0])
                .ok_or_else(|| format!("no such chat: {chat_id}"))
        })
        .map_err(refusal)
    }

    /// `user_id` writes `body` in `chat_id` from another device: everyone's live stream gets it.
    pub fn post(&self, user_id: &str, chat_id: &str, body: &str) -> Result<String, CoreError> {
        let key = format!("server-post-{}", uuid::Uuid::new_v4());
        match self.change(|s| s.submit(user_id, &key, chat_id, body, &[])) {
            state::Stored::Ok { msg_id, .. } => Ok(msg_id),
            state::Stored::Refused(reason) => Err(refusal(reason)),
        }
    }

    /// A backend that acts as `user_id`, with no password and nothing to restore it by (tests
    /// that need a sign-in use [`Server::sign_in`](crate::backend::Server::sign_in)).
    pub fn backend_for(&self, user_id: &str) -> Result<MemoryBackend, CoreError> {
        if !self.state().is_user(user_id) {
            return Err(CoreError::BadCredentials);
        }
        Ok(MemoryBackend {
            server: self.clone(),
            user_id: user_id.to_owned(),
            health: None,
            secret: None,
            ended: Arc::default(),
        })
    }

    /// Take `service` down (every request fails, retryably) or bring it back.
    pub fn set_down(&self, service: Service, down: bool) {
        self.script(|s| {
            if down {
                s.down.insert(service);
            } else {
                s.down.remove(&service);
            }
        });
        self.wake();
    }

    /// Every answer and delivery waits `delay` first.
    pub fn set_delay(&self, delay: Duration) {
        self.script(|s| s.delay = delay);
    }

    /// The next `count` acknowledgements are lost on the way back (the messages are stored).
    pub fn drop_acks(&self, count: u32) {
        self.script(|s| s.drop_acks = count);
    }

    /// How long a live connection waits for a lost acknowledgement before sending again.
    pub fn set_ack_wait(&self, wait: Duration) {
        self.script(|s| s.ack_wait = wait);
    }

    /// Every scripted fault cleared (the lost-ack wait and the log limit, which are settings,
    /// stay): the server works normally again.
    pub fn heal(&self) {
        let ack_wait = self.script(|s| s.ack_wait);
        self.script(|s| {
            *s = Script {
                ack_wait,
                ..Script::default()
            }
        });
        self.wake();
    }

    /// Deliver every event twice.
    pub fn duplicate_events(&self, on: bool) {
        self.script(|s| s.duplicate_events = on);
    }

    /// Deliver events that go together in pairs swapped.
    pub fn reorder_events(&self, on: bool) {
        self.script(|s| s.reorder_events = on);
    }

    /// Answer the next `count` submissions (messages and read marks) "busy, not before
    /// `floor`".
    pub fn busy(&self, count: u32, floor: Duration) {
        self.script(|s| s.busy = (count > 0).then_some((count, floor)));
    }

    /// Refuse the next `count` submissions (messages and read marks) for good, saying `reason`.
    pub fn refuse(&self, count: u32, reason: &str) {
        self.script(|s| s.refuse = (count > 0).then(|| (count, reason.to_owned())));
    }

    /// Carry out the next `count` requests (history, read marks, new chats, files) but lose
    /// their answers: the caller sees a retryable failure although the server did the work, and
    /// must ask again under the same key.
    pub fn lose_answers(&self, count: u32) {
        self.script(|s| s.lose_answers = count);
    }

    /// Keep at most `limit` events per account from now on (a server with a bounded log, as
    /// protocol v1's mock has): a client further behind gets a gap.
    pub fn set_log_limit(&self, limit: Option<usize>) {
        self.change(|s| s.log_limit = limit);
    }

    /// Keep only the newest `keep` events of `user_id`'s log: a client further behind gets a gap.
    pub fn trim_log(&self, user_id: &str, keep: usize) {
        self.change(|s| s.trim_log(user_id, keep));
    }

    /// Every message of `chat_id` as stored, oldest first (what tests check delivery against).
    pub fn messages(&self, chat_id: &str, as_user: &str) -> Vec<crate::domain::Message> {
        self.state()
            .history(as_user, chat_id, None, usize::MAX)
            .map(|p| p.messages)
            .unwrap_or_default()
    }

    /// How far `user_id` has read `chat_id`, as the server has it (message id).
    pub fn read_mark(&self, user_id: &str, chat_id: &str) -> Option<String> {
        self.state().read_mark(user_id, chat_id)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Change the data and wake every live connection.
    fn change<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let out = f(&mut self.state());
        self.wake();
        out
    }

    fn wake(&self) {
        self.inner.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    fn script<T>(&self, f: impl FnOnce(&mut Script) -> T) -> T {
        f(&mut self.inner.script.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Wait out the scripted delay, then fail if `service` is down.
    async fn answer(&self, service: Service) -> Result<(), CoreError> {
        let delay = self.script(|s| s.delay);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if self.script(|s| s.down.contains(&service)) {
            return Err(CoreError::Unreachable {
                server: format!("the in-memory {service:?} service"),
                reason: "taken down by the test".into(),
            });
        }
        Ok(())
    }
}

/// One account signed in to a [`MemoryServer`].
#[derive(Clone)]
pub struct MemoryBackend {
    server: MemoryServer,
    user_id: String,
    /// Where service health goes (see [`MemoryBackend::reporting_to`]; without it, nothing is
    /// reported).
    health: Option<Arc<dyn ConnectionSink>>,
    /// What restores this sign-in (`None`: made by [`MemoryServer::backend_for`]).
    secret: Option<Arc<watch::Sender<SignInSecret>>>,
    /// The server ended the sign-in and the sink was told.
    ended: Arc<std::sync::atomic::AtomicBool>,
}

impl MemoryBackend {
    /// Report service health to `sink` (the client's sink, as protocol v1 does).
    pub fn reporting_to(mut self, sink: Arc<dyn ConnectionSink>) -> MemoryBackend {
        self.health = Some(sink);
        self
    }

    async fn request<T>(
        &self,
        service: Service,
        work: impl FnOnce(&mut State) -> Result<T, String>,
    ) -> Result<T, CoreError> {
        let answer = match self.server.answer(service).await {
            Ok(()) => match self.sign_in_ended() {
                Some(ended) => Err(ended),
                None => self.server.change(work).map_err(refusal),
            },
            Err(err) => Err(err),
        };
        let lost = answer.is_ok()
            && self.server.script(|s| {
                let lose = s.lose_answers > 0;
                s.lose_answers = s.lose_answers.saturating_sub(1);
                lose
            });
        let answer = if lost {
            Err(CoreError::Unreachable {
                server: format!("the in-memory {service:?} service"),
                reason: "the answer was lost on the way".into(),
            })
        } else {
            answer
        };
        if let Some(health) = &self.health {
            match &answer {
                Err(err) if err.retryable() => {
                    health.service(service.id(), ServiceState::Down, Some(err.to_string()))
                }
                _ => health.service(service.id(), ServiceState::Up, None),
            }
        }
        answer
    }
}

/// The in-memory server's limits: protocol v1's, so tests on either backend see the same.
const LIMITS: Limits = super::v1::V1_LIMITS;

impl Backend for MemoryBackend {
    fn services(&self) -> Vec<NamedService> {
        SERVICES.map(Service::named).to_vec()
    }

    fn limits(&self) -> Limits {
        LIMITS
    }

    fn first_view(&self) -> BoxFuture<'_, Result<FirstView, CoreError>> {
        Box::pin(self.request(Service::Api, |s| {
            Ok(FirstView {
                head: s.head(&self.user_id),
                chats: s.chats_of(&self.user_id),
            })
        }))
    }

    fn history<'a>(
        &'a self,
        chat_id: &'a str,
        before: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, Result<HistoryPage, CoreError>> {
        Box::pin(self.request(Service::Api, move |s| {
            s.history(&self.user_id, chat_id, before, limit)
        }))
    }

    fn create_chat<'a>(
        &'a self,
        chat_id: &'a str,
        title: &'a str,
        member_ids: &'a [String],
    ) -> BoxFuture<'a, Result<Chat, CoreError>> {
        Box::pin(self.request(Service::Api, move |s| {
            let mut members = vec![self.user_id.clone()];
            members.extend(member_ids.iter().cloned());
            let chat_id = s.create_chat(title, &members, Some(chat_id))?;
            s.chat_for(&chat_id, &self.user_id)
                .ok_or_else(|| format!("no such chat: {chat_id}"))
        }))
    }

    fn rename_chat<'a>(
        &'a self,
        chat_id: &'a str,
        title: &'a str,
    ) -> BoxFuture<'a, Result<(), CoreError>> {
        Box::pin(self.request(Service::Api, move |s| {
            s.rename_chat(&self.user_id, chat_id, title)
        }))
    }

    fn mark_read<'a>(
        &'a self,
        chat_id: &'a str,
        msg_id: &'a str,
    ) -> BoxFuture<'a, Result<(), CoreError>> {
        Box::pin(async move {
            // A read mark is an operation like a message: the scripted "busy" and refusals
            // answer it too.
            if let Some(floor) = self.server.script(|s| live::take_busy(&mut s.busy)) {
                return Err(CoreError::Server {
                    code: ServerCode::Overloaded,
                    message: "busy; try again later".into(),
                    retryable: true,
                    retry_after_ms: Some(floor.as_millis() as u64),
                });
            }
            if let Some(reason) = self.server.script(|s| live::take_refusal(&mut s.refuse)) {
                return Err(refusal(reason));
            }
            self.request(Service::Api, move |s| {
                s.mark_read(&self.user_id, chat_id, msg_id)
            })
            .await
        })
    }

    fn upload<'a>(
        &'a self,
        file: Upload<'a>,
        meter: &'a ProgressMeter,
    ) -> BoxFuture<'a, Result<Attachment, CoreError>> {
        Box::pin(async move {
            let stored = self
                .request(Service::Media, |s| {
                    Ok(s.store_file(&self.user_id, file.name, file.mime, file.bytes.to_vec()))
                })
                .await;
            match &stored {
                Ok(a) => meter.advance(a.size),
                Err(_) => meter.restart(),
            }
            stored
        })
    }

    fn download<'a>(
        &'a self,
        media_id: &'a str,
        max_bytes: u64,
        meter: &'a ProgressMeter,
    ) -> BoxFuture<'a, Result<Vec<u8>, CoreError>> {
        Box::pin(async move {
            let bytes = self
                .request(Service::Media, |s| {
                    let bytes = s
                        .file(&self.user_id, media_id)
                        .ok_or_else(|| format!("no stored file {media_id}"))?;
                    if bytes.len() as u64 > max_bytes {
                        return Err(format!("the file is larger than {max_bytes} bytes"));
                    }
                    Ok(bytes.to_vec())
                })
                .await?;
            meter.set_total(bytes.len() as u64);
            meter.advance(bytes.len() as u64);
            Ok(bytes)
        })
    }

    fn connect(&self, sink: Arc<dyn ConnectionSink>) -> Result<Box<dyn Live>, CoreError> {
        Ok(Box::new(live::spawn(
            self.server.clone(),
            self.user_id.clone(),
            sink,
        )))
    }

    fn kept_secret(&self) -> Option<watch::Receiver<SignInSecret>> {
        self.secret.as_ref().map(|s| s.subscribe())
    }

    fn sign_out(&self) -> BoxFuture<'_, Result<(), CoreError>> {
        Box::pin(async move {
            let Some(secret) = &self.secret else {
                return Ok(());
            };
            let secret = secret.borrow().clone();
            // Not a `request`: signing out a sign-in the server already ended is no error.
            self.server.answer(Service::Api).await?;
            self.server.change(|s| s.sign_ins.sign_out(&secret));
            Ok(())
        })
    }
}

/// A final refusal, as protocol v1 would say it.
fn refusal(reason: String) -> CoreError {
    let code = if reason.starts_with("no such chat") || reason.contains("not a member") {
        ServerCode::UnknownChat
    } else if reason.starts_with("no stored file") {
        ServerCode::UnknownMedia
    } else {
        ServerCode::InvalidMessage
    };
    CoreError::Server {
        code,
        message: reason,
        retryable: false,
        retry_after_ms: None,
    }
}
