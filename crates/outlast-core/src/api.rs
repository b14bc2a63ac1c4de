//! The HTTP side of the protocol: login and REST reads.

use std::time::Duration;

use bytes::Bytes;
use outlast_protocol::{
    AccessToken, ApiError, ChatInfo, ChatsResponse, CreateChatRequest, DiscoveryConfig, EventsPage,
    LoginRequest, LoginResponse, MessagesPage, ReadRequest, RefreshRequest, RefreshToken,
    RenameChatRequest, SendRequest, SendResponse, UploadResponse,
};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;

use crate::domain::{Chat, HistoryPage};
use crate::error::ServerCode;
use crate::transfer_progress::ProgressMeter;
use crate::CoreError;

/// Requests that take longer than this are treated as a failed server, not waited on.
/// Uploads are fed to the connection in pieces this big, each counted as it is taken.
const UPLOAD_CHUNK: usize = 64 * 1024;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// One HTTP client for the whole process: its connection pool and TLS setup are shared by every
/// session and service (thousands of supervisors in a benchmark cost one TLS configuration).
fn shared_http() -> Result<reqwest::Client, CoreError> {
    static HTTP: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    if let Some(http) = HTTP.get() {
        return Ok(http.clone());
    }
    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        // The protocol has no redirects; following one could lead off https.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| CoreError::Protocol(format!("HTTP client setup failed: {e}")))?;
    Ok(HTTP.get_or_init(|| http).clone())
}

#[derive(Clone)]
pub(crate) struct ApiClient {
    http: reqwest::Client,
    base: Url,
    /// Longest wait for an answer (plus any long-poll wait).
    timeout: Duration,
}

impl ApiClient {
    pub fn new(server: &str) -> Result<Self, CoreError> {
        let base = parse_server_url(server)?;
        Self::with_base(base)
    }

    /// The same HTTP client pointed at another service.
    pub fn at(&self, url: &str) -> Result<Self, CoreError> {
        Ok(ApiClient {
            http: self.http.clone(),
            base: parse_server_url(url)?,
            timeout: self.timeout,
        })
    }

    fn with_base(base: Url) -> Result<Self, CoreError> {
        Ok(ApiClient {
            http: shared_http()?,
            base,
            timeout: REQUEST_TIMEOUT,
        })
    }

    /// Give up on answers after `timeout` (this client and every one derived with `at`).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn get(&self, url: Url) -> reqwest::RequestBuilder {
        self.http.get(url).timeout(self.timeout)
    }

    fn post(&self, url: Url) -> reqwest::RequestBuilder {
        self.http.post(url).timeout(self.timeout)
    }

    fn put(&self, url: Url) -> reqwest::RequestBuilder {
        self.http.put(url).timeout(self.timeout)
    }

    pub fn server(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// `GET /v1/config` on the discovery service.
    pub async fn discover(&self) -> Result<DiscoveryConfig, CoreError> {
        let result = self.get(self.url("v1/config")).send().await;
        self.decode(result).await
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<LoginResponse, CoreError> {
        let request = LoginRequest {
            username: username.to_owned(),
            password: password.to_owned(),
        };
        let result = self.post(self.url("v1/login")).json(&request).send().await;
        match self.decode(result).await {
            Err(CoreError::Server {
                code: ServerCode::BadCredentials,
                ..
            }) => Err(CoreError::BadCredentials),
            other => other,
        }
    }

    pub async fn chats(&self, token: &AccessToken) -> Result<Vec<Chat>, CoreError> {
        let result = self
            .get(self.url("v1/chats"))
            .bearer_auth(token.expose())
            .send()
            .await;
        let answer: ChatsResponse = self.decode(result).await?;
        Ok(answer.chats.into_iter().map(Chat::from).collect())
    }

    /// `GET /v1/chats/{chat_id}/messages`: the newest `limit` messages, or with `before` the
    /// `limit` just older than that message; oldest first.
    pub async fn history(
        &self,
        token: &AccessToken,
        chat_id: &str,
        before: Option<&str>,
        limit: usize,
    ) -> Result<HistoryPage, CoreError> {
        let mut url = self.chat_url(chat_id, "messages")?;
        url.query_pairs_mut()
            .append_pair("limit", &limit.to_string());
        if let Some(before) = before {
            url.query_pairs_mut().append_pair("before", before);
        }
        let result = self.get(url).bearer_auth(token.expose()).send().await;
        let page: MessagesPage = self.decode(result).await?;
        Ok(page.into())
    }

    /// `POST /v1/chats`: start a group chat with `member_ids` (the creator is always in it).
    pub async fn create_chat(
        &self,
        token: &AccessToken,
        chat_id: &str,
        title: &str,
        member_ids: &[String],
    ) -> Result<Chat, CoreError> {
        let request = CreateChatRequest {
            title: title.to_owned(),
            member_ids: member_ids.to_vec(),
            chat_id: Some(chat_id.to_owned()),
        };
        let result = self
            .post(self.url("v1/chats"))
            .bearer_auth(token.expose())
            .json(&request)
            .send()
            .await;
        let chat: ChatInfo = self.decode(result).await?;
        Ok(chat.into())
    }

    /// `PUT /v1/chats/{chat_id}/title`: rename the chat; its members hear of it.
    pub async fn rename_chat(
        &self,
        token: &AccessToken,
        chat_id: &str,
        title: &str,
    ) -> Result<(), CoreError> {
        let url = self.chat_url(chat_id, "title")?;
        let request = RenameChatRequest {
            title: title.to_owned(),
        };
        let result = self
            .put(url)
            .bearer_auth(token.expose())
            .json(&request)
            .send()
            .await;
        self.expect_empty(result).await
    }

    /// `POST /v1/chats/{chat_id}/read`: the user has read up to `msg_id`.
    pub async fn mark_read(
        &self,
        token: &AccessToken,
        chat_id: &str,
        msg_id: &str,
    ) -> Result<(), CoreError> {
        let url = self.chat_url(chat_id, "read")?;
        let request = ReadRequest {
            msg_id: msg_id.to_owned(),
        };
        let result = self
            .post(url)
            .bearer_auth(token.expose())
            .json(&request)
            .send()
            .await;
        self.expect_empty(result).await
    }

    /// `POST /v1/media` on the media service: store a file, get the attachment that names it.
    /// `meter` counts the bytes as the connection takes them.
    pub async fn upload(
        &self,
        token: &AccessToken,
        name: &str,
        mime: &str,
        bytes: Bytes,
        meter: &ProgressMeter,
    ) -> Result<UploadResponse, CoreError> {
        let length = bytes.len();
        let counting = meter.clone();
        let chunks = (0..length.div_ceil(UPLOAD_CHUNK)).map(move |i| {
            let chunk = bytes.slice(i * UPLOAD_CHUNK..((i + 1) * UPLOAD_CHUNK).min(length));
            counting.advance(chunk.len() as u64);
            Ok::<_, std::io::Error>(chunk)
        });
        let result = self
            .post(self.url("v1/media"))
            .timeout(self.transfer_timeout(length as u64))
            .bearer_auth(token.expose())
            .header("x-file-name", name)
            .header(reqwest::header::CONTENT_TYPE, mime)
            // Announced, so the server gets a plain body rather than a chunked one.
            .header(reqwest::header::CONTENT_LENGTH, length)
            .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                chunks,
            )))
            .send()
            .await;
        let answer = self.decode(result).await;
        if answer.is_err() {
            meter.restart();
        }
        answer
    }

    /// `GET /v1/media/{media_id}` on the media service: a file's bytes, at most `max_bytes`.
    /// `meter` counts them as they arrive.
    pub async fn download(
        &self,
        token: &AccessToken,
        media_id: &str,
        max_bytes: u64,
        meter: &ProgressMeter,
    ) -> Result<Vec<u8>, CoreError> {
        let mut url = self.url("v1/media/");
        url.path_segments_mut()
            .map_err(|_| CoreError::Protocol("server URL cannot carry a path".into()))?
            .pop_if_empty()
            .push(media_id);
        let result = self
            .get(url)
            .timeout(self.transfer_timeout(max_bytes))
            .bearer_auth(token.expose())
            .send()
            .await;
        let mut response = match result {
            Ok(response) if response.status().is_success() => response,
            other => {
                return self
                    .decode::<serde::de::IgnoredAny>(other)
                    .await
                    .map(|_| Vec::new())
            }
        };
        let too_big = || CoreError::Protocol(format!("the file is larger than {max_bytes} bytes"));
        if let Some(length) = response.content_length() {
            if length > max_bytes {
                return Err(too_big());
            }
            meter.set_total(length);
        }
        // Read as it comes: a server that sends more than announced costs nothing past the limit.
        let mut bytes = Vec::new();
        let read = async {
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| self.transport_error(&e))?
            {
                if (bytes.len() + chunk.len()) as u64 > max_bytes {
                    return Err(too_big());
                }
                bytes.extend_from_slice(&chunk);
                meter.advance(chunk.len() as u64);
            }
            Ok(())
        };
        if let Err(err) = read.await {
            meter.restart();
            return Err(err);
        }
        Ok(bytes)
    }

    /// How long a file of `bytes` may take: the usual answer time plus a slow uplink's worth
    /// (64 KiB/s), so a big file on a slow line is not mistaken for a dead service.
    fn transfer_timeout(&self, bytes: u64) -> Duration {
        self.timeout + Duration::from_secs(bytes / (64 * 1024))
    }

    /// `v1/chats/{chat_id}/{what}`, the id pushed as one path segment so it can never escape
    /// into another path.
    fn chat_url(&self, chat_id: &str, what: &str) -> Result<Url, CoreError> {
        let mut url = self.url("v1/chats/");
        url.path_segments_mut()
            .map_err(|_| CoreError::Protocol("server URL cannot carry a path".into()))?
            .pop_if_empty()
            .extend([chat_id, what]);
        Ok(url)
    }

    /// `POST /v1/refresh`: a new access token for a refresh token.
    pub async fn refresh(&self, refresh_token: &RefreshToken) -> Result<LoginResponse, CoreError> {
        let request = RefreshRequest {
            refresh_token: refresh_token.clone(),
        };
        let result = self
            .post(self.url("v1/refresh"))
            .json(&request)
            .send()
            .await;
        self.decode(result).await
    }

    /// `POST /v1/logout`: the server forgets the refresh token (sign-out).
    pub async fn logout(&self, refresh_token: &RefreshToken) -> Result<(), CoreError> {
        let request = RefreshRequest {
            refresh_token: refresh_token.clone(),
        };
        let result = self.post(self.url("v1/logout")).json(&request).send().await;
        self.expect_empty(result).await
    }

    /// `GET /v1/events`: catch-up (`wait` zero) or long-poll.
    pub async fn events(
        &self,
        token: &AccessToken,
        after: u64,
        limit: usize,
        wait: Duration,
    ) -> Result<EventsPage, CoreError> {
        let mut url = self.url("v1/events");
        url.query_pairs_mut()
            .append_pair("after", &after.to_string())
            .append_pair("limit", &limit.to_string())
            .append_pair("wait_ms", &wait.as_millis().to_string());
        let result = self
            .get(url)
            .bearer_auth(token.expose())
            // A long-poll legitimately takes `wait`; only past that is the server unresponsive.
            .timeout(wait + self.timeout)
            .send()
            .await;
        self.decode(result).await
    }

    /// `POST /v1/messages`: the REST twin of the gateway's `send`, idempotent by client id.
    pub async fn send_message(
        &self,
        token: &AccessToken,
        request: &SendRequest,
    ) -> Result<SendResponse, CoreError> {
        let result = self
            .post(self.url("v1/messages"))
            .bearer_auth(token.expose())
            .json(request)
            .send()
            .await;
        self.decode(result).await
    }

    /// `GET /healthz`: is this service answering at all?
    pub async fn healthz(&self) -> Result<(), CoreError> {
        let result = self
            .get(self.url("healthz"))
            .timeout(self.timeout.min(Duration::from_secs(5)))
            .send()
            .await;
        let response = result.map_err(|e| self.transport_error(&e))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(CoreError::Unreachable {
                server: self.server().to_owned(),
                reason: format!("the service answered {}", response.status()),
            })
        }
    }

    fn transport_error(&self, e: &reqwest::Error) -> CoreError {
        match certificate_problem(e) {
            Some(reason) => CoreError::InvalidCertificate {
                server: self.server().to_owned(),
                reason,
            },
            None => CoreError::Unreachable {
                server: self.server().to_owned(),
                reason: describe_transport_error(e),
            },
        }
    }

    fn url(&self, path: &str) -> Url {
        // `path` is a constant of this module, so joining cannot fail.
        self.base.join(path).expect("constant API paths join")
    }

    /// For answers with no body (`204`): success, or the same errors as `decode`.
    async fn expect_empty(
        &self,
        result: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<(), CoreError> {
        match result {
            Ok(response) if response.status().is_success() => Ok(()),
            other => self.decode::<serde::de::IgnoredAny>(other).await.map(drop),
        }
    }

    async fn decode<T: DeserializeOwned>(
        &self,
        result: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<T, CoreError> {
        let response = result.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        if status.is_success() {
            return response
                .json::<T>()
                .await
                .map_err(|e| CoreError::Protocol(format!("unexpected answer: {e}")));
        }
        let retryable_status = status == StatusCode::SERVICE_UNAVAILABLE
            || status == StatusCode::TOO_MANY_REQUESTS
            || status.is_server_error();
        let header_retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| s.saturating_mul(1000));
        match response.json::<ApiError>().await {
            Ok(e) => Err(CoreError::Server {
                code: e.code.into(),
                message: e.message,
                retryable: e.retryable || retryable_status,
                retry_after_ms: e.retry_after_ms.or(header_retry_after),
            }),
            Err(_) if retryable_status => Err(CoreError::Unreachable {
                server: self.server().to_owned(),
                reason: format!("the server answered {status}"),
            }),
            Err(_) => Err(CoreError::Protocol(format!("the server answered {status}"))),
        }
    }
}

/// Accept `host:port` or a full http(s) URL, and always end the path with `/` so joins append.
pub(crate) fn parse_server_url(server: &str) -> Result<Url, CoreError> {
    let trimmed = server.trim();
    let invalid = |reason: &str| CoreError::InvalidServerUrl {
        url: trimmed.to_owned(),
        reason: reason.to_owned(),
    };
    if trimmed.is_empty() {
        return Err(invalid("it is empty"));
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!(
            "{}://{trimmed}",
            crate::transport_security::default_scheme(trimmed)
        )
    };
    let mut url = Url::parse(&with_scheme).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("only http and https are supported"));
    }
    if url.host_str().is_none() {
        return Err(invalid("it has no host"));
    }
    crate::transport_security::check(&url, "the server")?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// The TLS layer's complaint about the server's certificate, if that is why the request failed.
pub(crate) fn certificate_problem(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(error) = source {
        let text = error.to_string();
        if text.contains("certificate") || text.contains("Certificate") {
            return Some(text);
        }
        source = error.source();
    }
    None
}

fn describe_transport_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the server did not answer in time".into()
    } else if e.is_connect() {
        "the connection was refused or could not be opened".into()
    } else {
        // reqwest's Display never includes headers, so no token can leak through it.
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_are_normalised() {
        assert_eq!(
            parse_server_url("127.0.0.1:7710").unwrap().as_str(),
            "http://127.0.0.1:7710/"
        );
        assert_eq!(
            parse_server_url(" https://chat.example.com/api ")
                .unwrap()
                .as_str(),
            "https://chat.example.com/api/"
        );
        for bad in ["", "ftp://x", "http://", "::::"] {
            let err = parse_server_url(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_server_url", "{bad:?}");
        }
    }
}
