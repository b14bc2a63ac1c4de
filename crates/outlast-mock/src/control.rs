//! The control API (its own listener, never faulted): switch listeners' fault modes, expire
//! sessions, play scenarios and read status. `outlast-mock fault …` and testers' scripts use it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::backend::Backend;
use crate::fault::{FaultMode, ListenerStatus, Switchboard, Target};
use crate::player::ScenarioPlayer;
use crate::scenario::Scenario;

#[derive(Clone)]
pub(crate) struct ControlState {
    pub switchboard: Switchboard,
    pub backend: Backend,
    pub scenario: ScenarioPlayer,
}

/// `PUT /control/fault`
#[derive(Debug, Serialize, Deserialize)]
pub struct FaultRequest {
    /// A listener id, `region:<name>`, `service:<name>` or `all`.
    pub target: String,
    /// A fault in its text form, e.g. `blackhole` or `slow:2000`.
    pub fault: String,
}

/// `POST /control/scenario`
#[derive(Debug, Serialize, Deserialize)]
pub struct ScenarioRequest {
    /// The scenario file's TOML text.
    pub toml: String,
    /// Scenario seconds per real second (60 plays a minute per second).
    #[serde(default = "one")]
    pub time_scale: f64,
}

fn one() -> f64 {
    1.0
}

/// `GET /control/status`
#[derive(Debug, Serialize, Deserialize)]
pub struct Status {
    pub listeners: Vec<ListenerStatus>,
    pub sessions: usize,
    pub users: usize,
    pub messages: usize,
    pub scenario: Option<String>,
}

#[derive(Debug, Serialize)]
struct ControlError {
    error: String,
}

type Reply<T> = Result<Json<T>, (StatusCode, Json<ControlError>)>;

fn bad(error: impl ToString) -> (StatusCode, Json<ControlError>) {
    (
        StatusCode::BAD_REQUEST,
        Json(ControlError {
            error: error.to_string(),
        }),
    )
}

pub(crate) fn router(state: ControlState) -> Router {
    Router::new()
        .route("/control/status", get(status))
        .route("/control/fault", put(fault))
        .route("/control/sessions/expire", post(expire))
        .route("/control/tokens/expire", post(expire_tokens))
        .route("/control/scenario", post(play).delete(stop))
        .with_state(state)
}

async fn status(State(state): State<ControlState>) -> Json<Status> {
    let (sessions, users, messages) = {
        let store = state.backend.store();
        (
            store.session_count(),
            store.user_count(),
            store.message_count(),
        )
    };
    let scenario = state.scenario.playing();
    Json(Status {
        listeners: state.switchboard.status(),
        sessions,
        users,
        messages,
        scenario,
    })
}

async fn fault(
    State(state): State<ControlState>,
    Json(request): Json<FaultRequest>,
) -> Reply<Vec<String>> {
    let target: Target = request.target.parse().map_err(bad)?;
    let mode: FaultMode = request.fault.parse().map_err(bad)?;
    state
        .switchboard
        .apply(&target, &mode)
        .map(Json)
        .map_err(bad)
}

#[derive(Serialize)]
struct Expired {
    expired: usize,
}

async fn expire_tokens(State(state): State<ControlState>) -> axum::http::StatusCode {
    state.backend.expire_access_tokens();
    axum::http::StatusCode::NO_CONTENT
}

async fn expire(State(state): State<ControlState>) -> Json<Expired> {
    Json(Expired {
        expired: state.backend.store().expire_sessions(),
    })
}

#[derive(Serialize)]
struct Playing {
    playing: String,
    steps: usize,
}

async fn play(
    State(state): State<ControlState>,
    Json(request): Json<ScenarioRequest>,
) -> Reply<Playing> {
    let scenario = Scenario::parse(&request.toml).map_err(bad)?;
    let (playing, steps) = state
        .scenario
        .play(scenario, &state.switchboard, request.time_scale)
        .map_err(bad)?;
    Ok(Json(Playing { playing, steps }))
}

async fn stop(State(state): State<ControlState>) -> StatusCode {
    state.scenario.stop();
    StatusCode::NO_CONTENT
}
