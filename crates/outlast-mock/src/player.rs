//! The one scenario that plays at a time, shared by the control API and in-process users (the
//! app's tester panel): playing another replaces it, and stopping leaves the faults as they are.

use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;

use crate::fault::Switchboard;
use crate::scenario::{Scenario, ScenarioError};

/// A scenario's name and the task playing it.
type Playing = Option<(String, JoinHandle<()>)>;

#[derive(Clone, Default)]
pub struct ScenarioPlayer {
    playing: Arc<Mutex<Playing>>,
}

impl ScenarioPlayer {
    /// Start `scenario` against `switchboard`, `time_scale` scenario seconds per real second.
    /// Returns its name and step count.
    pub fn play(
        &self,
        scenario: Scenario,
        switchboard: &Switchboard,
        time_scale: f64,
    ) -> Result<(String, usize), ScenarioError> {
        scenario.validate(switchboard)?;
        if !(time_scale.is_finite() && time_scale > 0.0) {
            return Err(ScenarioError::new("time_scale must be a positive number"));
        }
        let name = scenario.name.clone();
        let steps = scenario.steps.len();
        let task = tokio::spawn(scenario.play(switchboard.clone(), time_scale));
        let previous = self.lock().replace((name.clone(), task));
        if let Some((_, task)) = previous {
            task.abort();
        }
        Ok((name, steps))
    }

    /// Stop the scenario being played, if any.
    pub fn stop(&self) {
        if let Some((_, task)) = self.lock().take() {
            task.abort();
        }
    }

    /// The scenario still playing, by name.
    pub fn playing(&self) -> Option<String> {
        self.lock()
            .as_ref()
            .filter(|(_, task)| !task.is_finished())
            .map(|(name, _)| name.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Playing> {
        self.playing.lock().unwrap_or_else(|e| e.into_inner())
    }
}
