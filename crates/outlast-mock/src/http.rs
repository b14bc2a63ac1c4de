//! The HTTP listener: login and the REST API.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use outlast_protocol::{
    ApiError, ChatsResponse, ErrorCode, LoginRequest, LoginResponse, MessagesPage,
    HEADER_AUTHORIZATION, MAX_PAGE_SIZE,
};
use serde::Deserialize;

use crate::backend::Backend;

#[derive(Clone)]
pub(crate) struct HttpState {
    pub backend: Backend,
    /// Where clients of this server find the gateway (sent in the login answer).
    pub gateway_url: String,
}

pub(crate) fn router(state: HttpState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/v0/login", post(login))
        .route("/v0/chats", get(chats))
        .route("/v0/chats/{chat_id}/messages", get(history))
        .with_state(state)
}

/// Errors leave as `ApiError` JSON with a status that matches the code.
struct HttpError(ApiError);

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> Self {
        HttpError(e)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = match self.0.code {
            ErrorCode::Unauthorized | ErrorCode::BadCredentials => StatusCode::UNAUTHORIZED,
            ErrorCode::UnknownChat => StatusCode::NOT_FOUND,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        (status, Json(self.0)).into_response()
    }
}

async fn login(
    State(state): State<HttpState>,
    body: Result<Json<LoginRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<LoginResponse>, HttpError> {
    let Json(request) =
        body.map_err(|e| ApiError::new(ErrorCode::MalformedFrame, e.body_text()))?;
    let mut store = state.backend.store();
    let user_id = store
        .user_id_for_username(&request.username)
        .filter(|_| request.password == crate::demo::DEMO_PASSWORD)
        .map(str::to_owned)
        .ok_or_else(|| ApiError::new(ErrorCode::BadCredentials, "wrong username or password"))?;
    let user = store
        .profile(&user_id)
        .cloned()
        .ok_or_else(|| ApiError::new(ErrorCode::Internal, "user vanished"))?;
    let access_token = store.issue_token(&user_id);
    tracing::info!(%user_id, "login");
    Ok(Json(LoginResponse {
        access_token,
        user,
        gateway_url: state.gateway_url.clone(),
    }))
}

fn authenticate(state: &HttpState, headers: &HeaderMap) -> Result<String, ApiError> {
    let token = headers
        .get(HEADER_AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "missing bearer token"))?;
    state.backend.store().user_for_token(token)
}

async fn chats(
    State(state): State<HttpState>,
    headers: HeaderMap,
) -> Result<Json<ChatsResponse>, HttpError> {
    let user_id = authenticate(&state, &headers)?;
    let chats = state.backend.store().chats_of(&user_id);
    Ok(Json(ChatsResponse { chats }))
}

#[derive(Deserialize)]
struct HistoryQuery {
    before: Option<String>,
    limit: Option<usize>,
}

async fn history(
    State(state): State<HttpState>,
    headers: HeaderMap,
    Path(chat_id): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Result<Json<MessagesPage>, HttpError> {
    let user_id = authenticate(&state, &headers)?;
    let limit = query.limit.unwrap_or(50).clamp(1, MAX_PAGE_SIZE);
    let (messages, has_more) =
        state
            .backend
            .store()
            .history(&user_id, &chat_id, query.before.as_deref(), limit)?;
    Ok(Json(MessagesPage { messages, has_more }))
}
