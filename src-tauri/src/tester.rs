//! The tester panel's side of the shell (only with `outlast --mock`): what each embedded backend
//! listener is doing, switching faults, and playing the shipped outage scenarios. The levers are
//! the mock's own; this only adapts them for the panel.

use outlast_core::CoreError;
use outlast_mock::{Scenario, SHIPPED_SCENARIOS};
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime};
use ts_rs::TS;

use crate::mock_mode::EmbeddedMock;
use crate::IpcError;

/// One backend listener, as the panel lists it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TesterListener {
    /// E.g. `gw-a1`; also a fault target.
    pub id: String,
    /// `discovery`, `auth`, `api`, `media` or `gateway`.
    pub service: String,
    pub region: Option<String>,
    /// Its fault in text form (`up`, `blackhole`, `slow:2000`, …).
    pub fault: String,
}

/// A shipped outage scenario.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TesterScenario {
    pub name: String,
    pub description: String,
}

/// Everything the tester panel shows.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TesterStatus {
    pub listeners: Vec<TesterListener>,
    pub scenarios: Vec<TesterScenario>,
    /// The scenario playing now, by name.
    pub playing: Option<String>,
    /// The fault syntax, for the free-form field.
    pub fault_syntax: String,
}

fn embedded<R: Runtime>(app: &AppHandle<R>) -> Result<tauri::State<'_, EmbeddedMock>, IpcError> {
    app.try_state::<EmbeddedMock>().ok_or_else(|| {
        CoreError::InvalidInput(
            "the tester panel needs the embedded backend (start Outlast with --mock)".into(),
        )
        .into()
    })
}

pub fn status<R: Runtime>(app: &AppHandle<R>) -> Result<TesterStatus, IpcError> {
    let mock = embedded(app)?;
    let server = mock.server();
    Ok(TesterStatus {
        listeners: server
            .listeners()
            .into_iter()
            .map(|l| TesterListener {
                id: l.id,
                service: serde_json::to_value(l.service)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                region: l.region,
                fault: l.fault,
            })
            .collect(),
        scenarios: SHIPPED_SCENARIOS
            .iter()
            .map(|(name, text)| TesterScenario {
                name: (*name).to_owned(),
                description: Scenario::parse(text)
                    .map(|s| s.description)
                    .unwrap_or_default(),
            })
            .collect(),
        playing: server.scenario_playing(),
        fault_syntax: outlast_mock::FAULT_SYNTAX.to_owned(),
    })
}

pub fn set_fault<R: Runtime>(
    app: &AppHandle<R>,
    target: &str,
    fault: &str,
) -> Result<TesterStatus, IpcError> {
    embedded(app)?
        .server()
        .set_fault(target, fault)
        .map_err(|e| IpcError::from(CoreError::InvalidInput(e.to_string())))?;
    status(app)
}

pub fn play<R: Runtime>(
    app: &AppHandle<R>,
    name: &str,
    time_scale: f64,
) -> Result<TesterStatus, IpcError> {
    embedded(app)?
        .server()
        .play_scenario(name, time_scale)
        .map_err(|e| IpcError::from(CoreError::InvalidInput(e.to_string())))?;
    status(app)
}

pub fn stop<R: Runtime>(app: &AppHandle<R>) -> Result<TesterStatus, IpcError> {
    embedded(app)?.server().stop_scenario();
    status(app)
}
