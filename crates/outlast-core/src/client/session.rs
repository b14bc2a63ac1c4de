//! A session on any backend: the local cache opened, the timeline from the server's first view
//! (or from the cache when the server cannot be asked), messages left unsent by an earlier run
//! queued again, the live connection and the session's background tasks.
//!
//! Protocol v1's sign-in (`start.rs`) and any other backend ([`Client::sign_in_with`]) both
//! start here.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tokio::time::Duration;

use crate::backend::{Backend, FirstView, Live, Tasks};
use crate::calls::CallRunner;
use crate::connection::ConnectionSink;
use crate::model::{Profile, SessionInfo};
use crate::ops::{OpQueue, Operation};
use crate::store::{ChatRow, Opened, ReadMark, ReadMarkOf, Store};
use crate::timeline::{LocalFlag, Timeline};
use crate::uploads::Uploader;
use crate::CoreError;

use super::start::KeptSignIn;
use super::{Chats, Client, History, Media, Outgoing, Search, Session, OUTBOX_FILES};

/// A started session's parts, before it is installed as the client's session.
pub(super) struct Begun {
    pub server: String,
    pub user: Profile,
    pub backend: Arc<dyn Backend>,
    pub live: Box<dyn Live>,
    pub tasks: Tasks,
    pub from_cache: bool,
}

impl Client {
    /// Sign in to any backend: `connect` builds it for `user`, reporting to the client's sink
    /// (events, outcomes, service health). `server` names it in the session's info. The session
    /// starts from the backend's first view, or from the local cache when the backend cannot be
    /// asked; nothing of it is kept for the next start (that is the sign-in's business).
    pub async fn sign_in_with(
        &self,
        server: &str,
        user: Profile,
        connect: impl FnOnce(Arc<dyn ConnectionSink>) -> Result<Arc<dyn Backend>, CoreError>,
    ) -> Result<SessionInfo, CoreError> {
        let backend = connect(self.inner.shared.clone())?;
        self.inner
            .shared
            .status()
            .declare_services(backend.services());
        let view = match backend.first_view().await {
            Err(err) if !err.retryable() => return Err(err),
            view => view,
        };
        let begun = self.begin(server, &user, backend, view)?;
        self.install(begun, None)
    }

    /// Start a session for `user` on `backend`: from its first view when it answered, else from
    /// the local cache. Ends any previous session.
    pub(super) fn begin(
        &self,
        server: &str,
        user: &Profile,
        backend: Arc<dyn Backend>,
        view: Result<FirstView, CoreError>,
    ) -> Result<Begun, CoreError> {
        let shared = &self.inner.shared;
        let mut store = match &self.inner.options.data_dir {
            Some(dir) => Some(open_account_store(dir, server, user)?),
            None => None,
        };
        let from_cache = view.is_err();
        let timeline = match view {
            Ok(FirstView { head, chats }) => {
                let mut timeline = Timeline::new(user.clone(), chats.clone());
                let mut cursor = head;
                if let Some(store) = store.as_mut() {
                    let rows: Vec<ChatRow> = chats.iter().map(ChatRow::from).collect();
                    store.upsert_chats(&rows)?;
                    let marks: Vec<ReadMarkOf> = chats
                        .iter()
                        .flat_map(|c| {
                            c.read_marks.iter().map(|m| ReadMarkOf {
                                user_id: m.user_id.clone(),
                                mark: ReadMark {
                                    chat_id: c.chat_id.clone(),
                                    msg_id: m.msg_id.clone(),
                                    sent_at_ms: m.sent_at_ms,
                                },
                            })
                        })
                        .collect();
                    store.record_member_marks(&marks, &user.user_id)?;
                    timeline.set_local_flags(LocalFlag::Muted, &store.muted_chats()?);
                    timeline.set_local_flags(LocalFlag::Pinned, &store.pinned_chats()?);
                    // Catch up what was missed while away; a stored cursor beyond the head means
                    // the server's history was reset, and the head is the truth.
                    match store.saved_cursor()? {
                        Some(stored) if stored <= cursor => cursor = stored,
                        _ => store.set_cursor(head)?,
                    }
                }
                timeline.start_at(cursor);
                timeline
            }
            Err(err) => {
                let Some(store) = store.as_ref() else {
                    return Err(err);
                };
                let mut timeline = Timeline::from_cache(user.clone(), store.chat_list()?);
                timeline.set_members(store.member_marks()?);
                timeline.start_at(store.cursor()?);
                timeline
            }
        };
        tracing::info!(
            server,
            user_id = %user.user_id,
            from_cache,
            "session started"
        );
        // Messages written before a restart (or crash) and never acknowledged: shown (failed ones
        // with their reason) and sent again, in order, under their original client ids; a chat
        // with a failed message keeps its later ones back until the user decides.
        let shown = match store.as_ref() {
            Some(store) => store.unsent()?,
            None => Vec::new(),
        };
        let unsent_count = shown.len();
        if let Some(dir) = store.as_ref().and_then(|s| s.path().parent()) {
            let keep: HashSet<&str> = shown
                .iter()
                .map(|(e, _)| e.client_msg_id.as_str())
                .collect();
            crate::uploads::forget_sent_copies(&dir.join(OUTBOX_FILES), &keep);
        }

        self.end_session();
        shared.replace_timeline(Some(timeline));
        shared.cache().replace(store, &user.user_id);
        // Read marks a previous run made and the server never confirmed go first.
        let unsent_marks = shared
            .cache()
            .with_store(|s| s.unsent_read_marks())
            .transpose()?
            .unwrap_or_default();
        // Chats started here that the server has not made yet: listed (pending, or failed with
        // the server's reason), and made first.
        let unmade = shared
            .cache()
            .with_store(|s| s.unmade_chats())
            .transpose()?
            .unwrap_or_default();
        for (chat, failure) in &unmade {
            shared.update(|t| {
                let events = t.add_started_chat(
                    &chat.chat_id,
                    &chat.title,
                    &chat.member_ids,
                    failure.clone(),
                );
                ((), events)
            });
        }
        let now = tokio::time::Instant::now();
        let (mut queue, mut requests) = OpQueue::restore(shown.clone(), unsent_marks, unmade, now);
        // Renames the server has not confirmed: shown (the server's first view has the old
        // title) and sent again.
        let renames = shared
            .cache()
            .with_store(|s| s.unsent_renames())
            .transpose()?
            .unwrap_or_default();
        for rename in &renames {
            shared.update(|t| ((), t.rename(&rename.chat_id, &rename.title)));
        }
        requests
            .extend(queue.restore_renames(renames.into_iter().map(Operation::from).collect(), now));
        let queue = (queue, requests);
        for (entry, failure) in shown {
            shared.update(|t| {
                let files = entry.shown_files();
                let events = t.add_unsent(
                    &entry.chat_id,
                    entry.client_msg_id,
                    entry.body,
                    entry.created_at_ms,
                    failure,
                    files,
                );
                ((), events)
            });
        }
        let live = backend.connect(shared.clone())?;
        if unsent_count > 0 {
            tracing::info!(
                messages = unsent_count,
                "sending messages left from an earlier run"
            );
        }
        // Messages left by an earlier run go first, in order, under their original keys.
        let (calls, call_requests) = tokio::sync::mpsc::unbounded_channel();
        shared.outbox().start(queue, live.submitter(), calls);
        let mut tasks = Tasks::default();
        tasks.spawn(shared.cache().clone().keep_writing());
        tasks.spawn(shared.cache().clone().keep_search_index());
        if let Some(Ok(path)) = shared.cache().with_store(|s| Ok(s.path().to_owned())) {
            tasks.spawn(check_store_later(path));
        }
        // Requests (read marks, new chats) and uploads retry on the same schedule while their
        // service is down.
        let background_retry = self
            .inner
            .options
            .connection
            .background_retry
            .clone()
            .unwrap_or_else(crate::calls::default_retry);
        tasks.spawn(
            CallRunner {
                shared: shared.clone(),
                backend: backend.clone(),
                retry: background_retry.clone(),
                requests: call_requests,
            }
            .run(),
        );
        // Rows a previous run stored but did not index (it quit or crashed first).
        shared.cache().index_soon();
        tasks.spawn(
            Uploader {
                shared: shared.clone(),
                backend: backend.clone(),
                retry: background_retry.clone(),
            }
            .run(),
        );
        Ok(Begun {
            server: server.to_owned(),
            user: user.clone(),
            backend,
            live,
            tasks,
            from_cache,
        })
    }

    /// Make `begun` the client's session, with its parts.
    pub(super) fn install(
        &self,
        begun: Begun,
        sign_in: Option<KeptSignIn>,
    ) -> Result<SessionInfo, CoreError> {
        let Begun {
            server,
            user,
            backend,
            live,
            tasks,
            from_cache,
        } = begun;
        let shared = &self.inner.shared;
        let session = Arc::new(Session {
            chats: Chats {
                shared: shared.clone(),
                backend: backend.clone(),
                user: user.clone(),
                drafts: Mutex::default(),
            },
            history: History {
                shared: shared.clone(),
                backend: backend.clone(),
            },
            outgoing: Outgoing {
                shared: shared.clone(),
                backend: backend.clone(),
                user: user.clone(),
            },
            media: Media {
                events: shared.events().clone(),
                backend: backend.clone(),
            },
            search: Search {
                shared: shared.clone(),
            },
            server,
            user,
            from_cache,
            backend,
            live,
            tasks,
            sign_in,
        });
        *self
            .inner
            .session
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(session);
        self.inner.shared.uploads_wanted();
        self.session_info().ok_or(CoreError::NotSignedIn)
    }
}

/// The signed-in account's database: one file per user and server, in the profile folder.
fn open_account_store(
    dir: &std::path::Path,
    server: &str,
    user: &Profile,
) -> Result<Store, CoreError> {
    let host = server
        .split("://")
        .nth(1)
        .unwrap_or(server)
        .trim_end_matches('/');
    let folder = crate::file_names::safe_file_name(&format!("{}@{host}", user.user_id));
    let path = dir.join("accounts").join(folder).join("outlast.db");
    let (store, opened) = Store::open(&path)?;
    if let Opened::Recovered { moved_to, reason } = &opened {
        tracing::error!(%reason, moved_to = %moved_to.display(), "the local cache was damaged and set aside; it fills again from the server");
    }
    Ok(store)
}

/// Reading the whole cache competes with the first paint on a small machine: check it once the
/// app has settled.
const STORE_CHECK_DELAY: Duration = Duration::from_secs(10);

/// Check every page of the account's database in the background; damage is set aside at the
/// next start (see [`crate::store::check_in_background`]).
async fn check_store_later(path: std::path::PathBuf) {
    tokio::time::sleep(STORE_CHECK_DELAY).await;
    let checked =
        tokio::task::spawn_blocking(move || crate::store::check_in_background(&path)).await;
    match checked {
        Ok(Ok(())) => tracing::debug!("the local cache passed its integrity check"),
        Ok(Err(err)) => {
            tracing::error!(%err, "the local cache is damaged: it is set aside and filled again from the server at the next start")
        }
        Err(err) => tracing::warn!(%err, "the integrity check of the local cache stopped"),
    }
}
