//! The HTTP services: discovery, auth, the REST API and media. Each runs on its own listener with
//! its own fault mode; the fault middleware here adds the HTTP-level faults (slow, 503, shedding,
//! lost responses) on top of the socket-level ones in `net.rs`.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use outlast_protocol::{
    ApiError, ChatInfo, ChatsResponse, CreateChatRequest, DiscoveryConfig, ErrorCode, EventsPage,
    LoginRequest, LoginResponse, MessagesPage, ReadRequest, RefreshRequest, RenameChatRequest,
    SendRequest, SendResponse, UploadResponse, HEADER_AUTHORIZATION, MAX_EVENTS_PAGE,
    MAX_FILE_NAME_LEN, MAX_LONG_POLL_MS, MAX_PAGE_SIZE, MAX_UPLOAD_BYTES,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokio::sync::watch;

use crate::backend::Backend;
use crate::fault::FaultMode;

/// A flaky listener that "loses" a response keeps the connection silent this long, then gives up.
const LOST_RESPONSE_HOLD: Duration = Duration::from_secs(60);

/// Errors leave as `ApiError` JSON with a status that matches the code, and `Retry-After` when
/// the error says when to come back.
pub(crate) struct HttpError(pub ApiError);

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> Self {
        HttpError(e)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = match self.0.code {
            ErrorCode::Unauthorized | ErrorCode::BadCredentials | ErrorCode::TokenExpired => {
                StatusCode::UNAUTHORIZED
            }
            ErrorCode::UnknownChat | ErrorCode::UnknownMedia => StatusCode::NOT_FOUND,
            ErrorCode::Unavailable | ErrorCode::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        let retry_after = self.0.retry_after_ms.map(|ms| ms.div_ceil(1000).max(1));
        let mut response = (status, Json(self.0)).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Apply a listener's HTTP-level fault to each request.
pub(crate) fn with_faults(
    router: Router,
    mode: watch::Receiver<FaultMode>,
    backend: Backend,
) -> Router {
    router.layer(middleware::from_fn_with_state(
        (mode, backend),
        fault_middleware,
    ))
}

async fn fault_middleware(
    State((mode, backend)): State<(watch::Receiver<FaultMode>, Backend)>,
    request: Request,
    next: Next,
) -> Response {
    let current = mode.borrow().clone();
    match current {
        FaultMode::Slow { latency_ms } => {
            tokio::time::sleep(Duration::from_millis(latency_ms)).await;
            next.run(request).await
        }
        FaultMode::Erroring { retry_after_s } => {
            let mut e = ApiError::new(ErrorCode::Unavailable, "the service is unavailable");
            e.retry_after_ms = Some(retry_after_s * 1000);
            HttpError(e).into_response()
        }
        FaultMode::Shedding { retry_after_ms } => {
            let mut e = ApiError::new(ErrorCode::Overloaded, "the service is shedding load");
            e.retry_after_ms = Some(retry_after_ms);
            HttpError(e).into_response()
        }
        FaultMode::Flaky { drop_rate } if backend.chance(drop_rate) => {
            // The request is carried out but its answer is lost, like a lost ack.
            let _ = next.run(request).await;
            tokio::time::sleep(LOST_RESPONSE_HOLD).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        _ => next.run(request).await,
    }
}

fn authenticate(backend: &Backend, headers: &HeaderMap) -> Result<String, ApiError> {
    let token = headers
        .get(HEADER_AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "missing bearer token"))?;
    backend.verify(token)
}

/// A JSON request body whose rejection is an `ApiError`, like every other error of this API.
pub(crate) struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = HttpError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Json::<T>::from_request(request, state)
            .await
            .map(|Json(value)| ApiJson(value))
            .map_err(|e| HttpError(ApiError::new(ErrorCode::MalformedFrame, e.body_text())))
    }
}

// ---- discovery ----------------------------------------------------------------------------

pub(crate) fn discovery_router(config: DiscoveryConfig) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/v1/config",
            get(move || async move { Json(config.clone()) }),
        )
}

// ---- auth ---------------------------------------------------------------------------------

pub(crate) fn auth_router(backend: Backend) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/v1/login", post(login))
        .route("/v1/refresh", post(refresh))
        .route("/v1/logout", post(logout))
        .with_state(backend)
}

async fn login(
    State(backend): State<Backend>,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, HttpError> {
    let (user, refresh_token) = {
        let mut store = backend.store();
        let user_id = store
            .user_id_for_username(&request.username)
            .filter(|_| request.password == crate::demo::DEMO_PASSWORD)
            .map(str::to_owned)
            .ok_or_else(|| {
                ApiError::new(ErrorCode::BadCredentials, "wrong username or password")
            })?;
        let user = store
            .profile(&user_id)
            .cloned()
            .ok_or_else(|| ApiError::new(ErrorCode::Internal, "user vanished"))?;
        (user, store.issue_refresh_token(&user_id))
    };
    let (access_token, access_expires_at_ms) = backend.issue_access_token(&user.user_id);
    tracing::info!(user_id = %user.user_id, "login");
    Ok(Json(LoginResponse {
        access_token,
        access_expires_at_ms,
        refresh_token,
        user,
    }))
}

async fn refresh(
    State(backend): State<Backend>,
    ApiJson(request): ApiJson<RefreshRequest>,
) -> Result<Json<LoginResponse>, HttpError> {
    let (user, refresh_token) = {
        let store = backend.store();
        let user_id = store.user_for_refresh_token(request.refresh_token.expose())?;
        let user = store
            .profile(&user_id)
            .cloned()
            .ok_or_else(|| ApiError::new(ErrorCode::Internal, "user vanished"))?;
        // The refresh token stays valid; a real service might rotate it.
        (user, request.refresh_token)
    };
    let (access_token, access_expires_at_ms) = backend.issue_access_token(&user.user_id);
    Ok(Json(LoginResponse {
        access_token,
        access_expires_at_ms,
        refresh_token,
        user,
    }))
}

/// Sign-out: the refresh token stops working at once. Unknown tokens are fine (already gone).
async fn logout(
    State(backend): State<Backend>,
    ApiJson(request): ApiJson<RefreshRequest>,
) -> axum::http::StatusCode {
    backend
        .store()
        .revoke_refresh_token(request.refresh_token.expose());
    axum::http::StatusCode::NO_CONTENT
}

// ---- REST API -----------------------------------------------------------------------------

pub(crate) fn api_router(backend: Backend) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/v1/chats", get(chats).post(create_chat))
        .route("/v1/chats/{chat_id}/title", put(rename_chat))
        .route("/v1/chats/{chat_id}/messages", get(history))
        .route("/v1/chats/{chat_id}/read", post(mark_read))
        .route("/v1/messages", post(send))
        .route("/v1/events", get(events))
        .with_state(backend)
}

async fn chats(
    State(backend): State<Backend>,
    headers: HeaderMap,
) -> Result<Json<ChatsResponse>, HttpError> {
    let user_id = authenticate(&backend, &headers)?;
    let chats = backend.store().chats_of(&user_id);
    Ok(Json(ChatsResponse { chats }))
}

async fn create_chat(
    State(backend): State<Backend>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<CreateChatRequest>,
) -> Result<Json<ChatInfo>, HttpError> {
    let user_id = authenticate(&backend, &headers)?;
    let chat = backend.store().create_chat(
        &user_id,
        &request.title,
        &request.member_ids,
        request.chat_id.as_deref(),
    )?;
    Ok(Json(chat))
}

async fn rename_chat(
    State(backend): State<Backend>,
    headers: HeaderMap,
    Path(chat_id): Path<String>,
    ApiJson(request): ApiJson<RenameChatRequest>,
) -> Result<StatusCode, HttpError> {
    let user_id = authenticate(&backend, &headers)?;
    backend
        .store()
        .rename_chat(&user_id, &chat_id, &request.title)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct HistoryQuery {
    before: Option<String>,
    limit: Option<usize>,
}

async fn history(
    State(backend): State<Backend>,
    headers: HeaderMap,
    Path(chat_id): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Result<Json<MessagesPage>, HttpError> {
    let user_id = authenticate(&backend, &headers)?;
    let limit = query.limit.unwrap_or(50).clamp(1, MAX_PAGE_SIZE);
    let (messages, has_more) =
        backend
            .store()
            .history(&user_id, &chat_id, query.before.as_deref(), limit)?;
    Ok(Json(MessagesPage { messages, has_more }))
}

async fn mark_read(
    State(backend): State<Backend>,
    headers: HeaderMap,
    Path(chat_id): Path<String>,
    ApiJson(request): ApiJson<ReadRequest>,
) -> Result<StatusCode, HttpError> {
    let user_id = authenticate(&backend, &headers)?;
    backend
        .store()
        .mark_read(&user_id, &chat_id, &request.msg_id)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn send(
    State(backend): State<Backend>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SendRequest>,
) -> Result<Json<SendResponse>, HttpError> {
    let user_id = authenticate(&backend, &headers)?;
    let posted = backend.post(
        &user_id,
        &request.chat_id,
        Some(&request.client_msg_id),
        &request.body,
        request.attachments,
        None,
    )?;
    Ok(Json(SendResponse {
        msg_id: posted.record.msg_id,
        seq: posted.sender_seq,
    }))
}

#[derive(Deserialize)]
struct EventsQuery {
    #[serde(default)]
    after: u64,
    limit: Option<usize>,
    #[serde(default)]
    wait_ms: u64,
}

/// Catch-up pages, and a long-poll when `wait_ms` is set and nothing is newer than `after`.
async fn events(
    State(backend): State<Backend>,
    headers: HeaderMap,
    Query(query): Query<EventsQuery>,
) -> Result<Json<EventsPage>, HttpError> {
    let user_id = authenticate(&backend, &headers)?;
    let limit = query.limit.unwrap_or(100).clamp(1, MAX_EVENTS_PAGE);
    let wait = Duration::from_millis(query.wait_ms.min(MAX_LONG_POLL_MS));
    let mut latest = backend.store().watch_events(&user_id);
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let (events, last_seq, gap) = backend.store().events_after(&user_id, query.after, limit);
        let done = !events.is_empty() || gap.is_some() || tokio::time::Instant::now() >= deadline;
        if done {
            let has_more = events.last().is_some_and(|e| e.seq < last_seq);
            return Ok(Json(EventsPage {
                events,
                last_seq,
                has_more,
                gap,
            }));
        }
        // Wake on a new event or at the deadline, whichever comes first.
        let _ = tokio::time::timeout_at(deadline, latest.changed()).await;
    }
}

// ---- media --------------------------------------------------------------------------------

pub(crate) fn media_router(backend: Backend) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/v1/media", post(upload))
        .route("/v1/media/{media_id}", get(download))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
        .with_state(backend)
}

async fn upload(
    State(backend): State<Backend>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<UploadResponse>, HttpError> {
    let user_id = authenticate(&backend, &headers)?;
    let name = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("file")
        .to_owned();
    if name.is_empty() || name.len() > MAX_FILE_NAME_LEN {
        return Err(ApiError::new(
            ErrorCode::InvalidMessage,
            format!("file names must be 1 to {MAX_FILE_NAME_LEN} bytes"),
        )
        .into());
    }
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let attachment = backend
        .store()
        .store_media(&user_id, &name, &mime, body.to_vec());
    Ok(Json(UploadResponse { attachment }))
}

async fn download(
    State(backend): State<Backend>,
    headers: HeaderMap,
    Path(media_id): Path<String>,
) -> Result<Response, HttpError> {
    let user_id = authenticate(&backend, &headers)?;
    let (mime, bytes) = {
        let store = backend.store();
        let blob = store.media(&user_id, &media_id)?;
        (blob.attachment.mime.clone(), blob.bytes.clone())
    };
    let mut response = Response::new(Body::from(bytes));
    if let Ok(value) = HeaderValue::from_str(&mime) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    Ok(response)
}
