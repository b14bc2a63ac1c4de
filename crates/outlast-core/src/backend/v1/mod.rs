//! Protocol v1 as a [`Backend`]: REST on the API and media services, the gateway connection
//! manager (`crate::connection`: regions, failover, resume, REST fallback, drain) for the live
//! stream. Discovery and sign-in, which come before a backend exists, are [`V1Server`]
//! (`sign_in`, with `token_keeper`, `discovery_cache` and `service_monitor`).
//!
//! Within one request this backend tries the service's endpoints in the server's order, renews
//! an expired access token through the token keeper, and reports each service's health.

use std::sync::{Arc, RwLock};

use outlast_protocol::{AccessToken, DiscoveryConfig, Endpoint, RefreshToken, Region};
use tokio::sync::watch;
use tokio::time::Duration;

use super::{Backend, BoxFuture, FirstView, Live, Submitter, Upload};
use crate::api::ApiClient;
use crate::connection::{ConnectionSettings, ConnectionSink, SupervisorHandle, TokenSource};
use crate::credentials::SignInSecret;
use crate::domain::{Attachment, Chat, Cursor, HistoryPage, Limits};
use crate::endpoint_list::ServerEndpoints;
use crate::model::{NamedService, Service, ServiceState};
use crate::transfer_progress::ProgressMeter;
use crate::CoreError;

mod convert;
mod discovery_cache;
mod endpoint_list;
mod service_monitor;
mod sign_in;
#[cfg(test)]
mod tests;
mod token_keeper;

pub(crate) use sign_in::{V1Options, V1Server};

/// How long sign-out waits for each auth endpoint to forget the token.
const SIGN_OUT_WAIT: Duration = Duration::from_secs(3);

/// A signed-in account on a protocol v1 server.
pub(crate) struct V1Backend {
    config: DiscoveryConfig,
    settings: ConnectionSettings,
    tokens: TokenSource,
    /// Each API endpoint, preferred first.
    apis: Vec<ApiClient>,
    /// The API this session uses: the one that answered the first view (else the first).
    api: RwLock<ApiClient>,
    /// The media service's endpoints, preferred first.
    media: Vec<ApiClient>,
    /// Where service health goes.
    health: Arc<dyn ConnectionSink>,
    /// How the account signed in (`None`: a fixed token, as benchmarks and tests use).
    sign_in: Option<V1SignIn>,
}

/// What refreshes and ends a protocol v1 sign-in.
pub(crate) struct V1SignIn {
    /// Auth endpoints, preferred first.
    pub auths: Vec<ApiClient>,
    /// The current refresh token (the keeper replaces it when the server rotates it).
    pub refresh_token: Arc<watch::Sender<SignInSecret>>,
    /// Every endpoint this session may use, for Settings.
    pub endpoints: ServerEndpoints,
}

impl V1Backend {
    pub fn new(
        discovery: &ApiClient,
        config: DiscoveryConfig,
        settings: ConnectionSettings,
        tokens: TokenSource,
        health: Arc<dyn ConnectionSink>,
    ) -> Result<V1Backend, CoreError> {
        let apis = endpoints(discovery, &config, |r| &r.api)?;
        let api = apis
            .first()
            .cloned()
            .ok_or_else(|| CoreError::Protocol("the server's configuration lists no API".into()))?;
        Ok(V1Backend {
            media: endpoints(discovery, &config, |r| &r.media)?,
            api: RwLock::new(api),
            apis,
            config,
            settings,
            tokens,
            health,
            sign_in: None,
        })
    }

    /// This backend signed in with a refresh token that renews and ends it.
    pub fn with_sign_in(mut self, sign_in: V1SignIn) -> V1Backend {
        self.sign_in = Some(sign_in);
        self
    }

    /// The media service's endpoints, preferred first (its health monitor watches the first).
    pub fn media_endpoints(&self) -> &[ApiClient] {
        &self.media
    }

    fn api(&self) -> ApiClient {
        self.api.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Report what `answer` says about `service` (up, down for a retryable failure, or that the
    /// access token needs renewing: the keeper does it, the service is fine) and pass it on.
    fn observed<T>(&self, service: Service, answer: Result<T, CoreError>) -> Result<T, CoreError> {
        match &answer {
            Ok(_) => self.health.service(service.id(), ServiceState::Up, None),
            Err(err) if err.is_expired_session() => self.tokens.request_refresh(),
            Err(err) if err.retryable() => {
                self.health
                    .service(service.id(), ServiceState::Down, Some(err.to_string()))
            }
            Err(_) => {}
        }
        answer
    }

    /// `call` on the media endpoints in order until one answers other than "try again", then
    /// report the service's health. A server with no media service has none to report.
    async fn on_media<'a, T, F>(
        &'a self,
        mut call: impl FnMut(&'a ApiClient, AccessToken) -> F,
    ) -> Result<T, CoreError>
    where
        F: std::future::Future<Output = Result<T, CoreError>>,
    {
        let mut answer = Err(no_media_service());
        for media in &self.media {
            answer = call(media, self.tokens.current()).await;
            if !answer.as_ref().is_err_and(CoreError::retryable) {
                break;
            }
        }
        if self.media.is_empty() {
            return answer;
        }
        self.observed(Service::Media, answer)
    }
}

/// Protocol v1's limits (`outlast_protocol::limits`).
/// Protocol v1's name, kept with an account signed in to a protocol v1 server. Account files
/// written before servers had kinds are protocol v1's (see `RememberedAccount::protocol`).
pub const PROTOCOL: &str = crate::remembered_account::FIRST_PROTOCOL;

pub(crate) const V1_LIMITS: Limits = Limits {
    max_body_chars: outlast_protocol::MAX_BODY_CHARS,
    max_upload_bytes: outlast_protocol::MAX_UPLOAD_BYTES as u64,
    max_file_name_len: outlast_protocol::MAX_FILE_NAME_LEN,
    max_chat_members: outlast_protocol::MAX_CHAT_MEMBERS,
    max_page_size: outlast_protocol::MAX_PAGE_SIZE,
};

impl Backend for V1Backend {
    fn services(&self) -> Vec<NamedService> {
        Service::ALL.map(Service::named).to_vec()
    }

    fn limits(&self) -> Limits {
        V1_LIMITS
    }

    fn first_view(&self) -> BoxFuture<'_, Result<FirstView, CoreError>> {
        Box::pin(async move {
            // The head of the event sequence first, then the chats: anything that happens in
            // between is caught up, never lost.
            let token = self.tokens.current();
            let mut last_error = None;
            for api in &self.apis {
                let head = api
                    .events(&token, 0, 1, std::time::Duration::ZERO)
                    .await
                    .map(|page| page.last_seq);
                let view = match head {
                    Ok(head) => api.chats(&token).await.map(|chats| FirstView {
                        head: Cursor::from_backend(head),
                        chats,
                    }),
                    Err(err) => Err(err),
                };
                match view {
                    Ok(view) => {
                        self.health
                            .service(Service::Api.id(), ServiceState::Up, None);
                        *self.api.write().unwrap_or_else(|e| e.into_inner()) = api.clone();
                        return Ok(view);
                    }
                    Err(err) if err.retryable() => last_error = Some(err),
                    Err(err) => return Err(err),
                }
            }
            let err = last_error.unwrap_or_else(|| {
                CoreError::Protocol("the server's configuration lists no API".into())
            });
            self.health
                .service(Service::Api.id(), ServiceState::Down, Some(err.to_string()));
            Err(err)
        })
    }

    fn history<'a>(
        &'a self,
        chat_id: &'a str,
        before: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, Result<HistoryPage, CoreError>> {
        Box::pin(async move {
            let answer = self
                .api()
                .history(&self.tokens.current(), chat_id, before, limit)
                .await;
            self.observed(Service::Api, answer)
        })
    }

    fn create_chat<'a>(
        &'a self,
        chat_id: &'a str,
        title: &'a str,
        member_ids: &'a [String],
    ) -> BoxFuture<'a, Result<Chat, CoreError>> {
        Box::pin(async move {
            let answer = self
                .api()
                .create_chat(&self.tokens.current(), chat_id, title, member_ids)
                .await;
            self.observed(Service::Api, answer)
        })
    }

    fn rename_chat<'a>(
        &'a self,
        chat_id: &'a str,
        title: &'a str,
    ) -> BoxFuture<'a, Result<(), CoreError>> {
        Box::pin(async move {
            let answer = self
                .api()
                .rename_chat(&self.tokens.current(), chat_id, title)
                .await;
            self.observed(Service::Api, answer)
        })
    }

    fn mark_read<'a>(
        &'a self,
        chat_id: &'a str,
        msg_id: &'a str,
    ) -> BoxFuture<'a, Result<(), CoreError>> {
        Box::pin(async move {
            let answer = self
                .api()
                .mark_read(&self.tokens.current(), chat_id, msg_id)
                .await;
            self.observed(Service::Api, answer)
        })
    }

    fn upload<'a>(
        &'a self,
        file: Upload<'a>,
        meter: &'a ProgressMeter,
    ) -> BoxFuture<'a, Result<Attachment, CoreError>> {
        Box::pin(self.on_media(move |media, token| {
            // Each endpoint gets the same bytes (a cheap shared handle).
            let bytes = file.bytes.clone();
            async move {
                let stored = media
                    .upload(&token, file.name, file.mime, bytes, meter)
                    .await?;
                Ok(Attachment::from(stored.attachment))
            }
        }))
    }

    fn download<'a>(
        &'a self,
        media_id: &'a str,
        max_bytes: u64,
        meter: &'a ProgressMeter,
    ) -> BoxFuture<'a, Result<Vec<u8>, CoreError>> {
        Box::pin(self.on_media(move |media, token| async move {
            media.download(&token, media_id, max_bytes, meter).await
        }))
    }

    fn connect(&self, sink: Arc<dyn ConnectionSink>) -> Result<Box<dyn Live>, CoreError> {
        let supervisor = SupervisorHandle::spawn(
            &self.config,
            self.tokens.clone(),
            self.settings.clone(),
            sink,
        )?;
        Ok(Box::new(supervisor))
    }

    fn kept_secret(&self) -> Option<watch::Receiver<SignInSecret>> {
        self.sign_in.as_ref().map(|s| s.refresh_token.subscribe())
    }

    fn sign_out(&self) -> BoxFuture<'_, Result<(), CoreError>> {
        Box::pin(async move {
            let Some(sign_in) = &self.sign_in else {
                return Ok(());
            };
            let token = RefreshToken::new(sign_in.refresh_token.borrow().expose());
            let mut last = CoreError::Protocol("the server lists no sign-in service".into());
            for auth in &sign_in.auths {
                match tokio::time::timeout(SIGN_OUT_WAIT, auth.logout(&token)).await {
                    Ok(Ok(())) => return Ok(()),
                    Ok(Err(err)) => last = err,
                    Err(_) => {
                        last = CoreError::Unreachable {
                            server: auth.server().to_owned(),
                            reason: "no answer to the sign-out in time".into(),
                        }
                    }
                }
            }
            Err(last)
        })
    }

    fn endpoints(&self) -> Option<ServerEndpoints> {
        self.sign_in.as_ref().map(|s| s.endpoints.clone())
    }
}

impl Live for SupervisorHandle {
    fn submitter(&self) -> Submitter {
        SupervisorHandle::submitter(self)
    }

    fn reconnect_now(&self) {
        SupervisorHandle::reconnect_now(self)
    }
}

fn no_media_service() -> CoreError {
    CoreError::Unreachable {
        server: "the media service".into(),
        reason: "this server lists no media service".into(),
    }
}

/// Every endpoint of one service across regions, in the server's order of preference.
pub(crate) fn endpoints(
    base: &ApiClient,
    config: &DiscoveryConfig,
    list: impl Fn(&Region) -> &Vec<Endpoint>,
) -> Result<Vec<ApiClient>, CoreError> {
    let mut seen = Vec::new();
    let mut clients = Vec::new();
    for region in &config.regions {
        let mut endpoints: Vec<_> = list(region).iter().collect();
        endpoints.sort_by_key(|e| e.priority);
        for endpoint in endpoints {
            if !seen.contains(&endpoint.url) {
                seen.push(endpoint.url.clone());
                clients.push(base.at(&endpoint.url)?);
            }
        }
    }
    Ok(clients)
}
