//! Outage scenarios: TOML files that play a timeline of faults, at a chosen time scale.
//!
//! ```toml
//! name = "PC gateway down for 54 minutes"
//! description = "What testers should see"
//!
//! [[step]]
//! at = "0s"          # from the start: 500ms, 90s, 54m, 1h30m
//! target = "gw-a1"   # a listener id, region:<name>, service:<name> or all
//! fault = "refuse"   # see FAULT_SYNTAX
//! ```

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::fault::{FaultMode, Switchboard, Target};

/// A parsed, well-formed scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// In time order.
    pub steps: Vec<Step>,
    /// The file line of each step's target, for validation errors.
    target_lines: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub at: Duration,
    pub target: Target,
    pub fault: FaultMode,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScenarioError(String);

impl ScenarioError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        ScenarioError(message.into())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    step: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    at: Spanned<String>,
    target: Spanned<String>,
    fault: Spanned<String>,
}

impl Scenario {
    /// Parse a scenario file. Errors name the line.
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        let raw: RawScenario =
            toml::from_str(text).map_err(|e| ScenarioError(format!("invalid scenario: {e}")))?;
        if raw.step.is_empty() {
            return Err(ScenarioError("invalid scenario: it has no [[step]]".into()));
        }
        let line = |span: std::ops::Range<usize>| line_of(text, span.start);
        let mut steps = Vec::new();
        for raw_step in raw.step {
            let at = parse_duration(raw_step.at.get_ref()).map_err(|why| {
                ScenarioError(format!(
                    "line {}: bad `at` {:?}: {why}",
                    line(raw_step.at.span()),
                    raw_step.at.get_ref()
                ))
            })?;
            let target: Target = raw_step.target.get_ref().parse().map_err(|e| {
                ScenarioError(format!("line {}: {e}", line(raw_step.target.span())))
            })?;
            let fault: FaultMode =
                raw_step.fault.get_ref().parse().map_err(|e| {
                    ScenarioError(format!("line {}: {e}", line(raw_step.fault.span())))
                })?;
            steps.push((Step { at, target, fault }, line(raw_step.target.span())));
        }
        // A stable sort keeps the file's order for steps at the same time.
        steps.sort_by_key(|(step, _)| step.at);
        let (steps, target_lines) = steps.into_iter().unzip();
        Ok(Scenario {
            name: raw.name,
            description: raw.description,
            steps,
            target_lines,
        })
    }

    /// Check every target names a listener of this server.
    pub fn validate(&self, switchboard: &Switchboard) -> Result<(), ScenarioError> {
        for (step, line) in self.steps.iter().zip(&self.target_lines) {
            if !switchboard.matches(&step.target) {
                let known: Vec<String> = switchboard.status().into_iter().map(|l| l.id).collect();
                return Err(ScenarioError(format!(
                    "line {line}: no listener matches {:?}; listeners: {}",
                    step.target,
                    known.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// Total scenario time.
    pub fn length(&self) -> Duration {
        self.steps.last().map(|s| s.at).unwrap_or_default()
    }

    /// Apply each step at its time divided by `time_scale`.
    pub async fn play(self, switchboard: Switchboard, time_scale: f64) {
        let start = tokio::time::Instant::now();
        tracing::info!(scenario = %self.name, steps = self.steps.len(), time_scale, "scenario started");
        for step in &self.steps {
            let due = start + step.at.div_f64(time_scale);
            tokio::time::sleep_until(due).await;
            if let Err(err) = switchboard.apply(&step.target, &step.fault) {
                tracing::warn!(%err, "scenario step skipped");
            }
            tracing::info!(scenario = %self.name, at = ?step.at, target = ?step.target, fault = %step.fault, "scenario step");
        }
        tracing::info!(scenario = %self.name, "scenario finished");
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// `500ms`, `90s`, `54m`, `2h`, `1h30m`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty".into());
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return if seconds.is_finite() && seconds >= 0.0 {
            Ok(Duration::from_secs_f64(seconds))
        } else {
            Err("must be a non-negative number".into())
        };
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("expected a number at {rest:?}"));
        }
        let value: f64 = rest[..digits]
            .parse()
            .map_err(|_| format!("bad number {:?}", &rest[..digits]))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            other => return Err(format!("unknown unit {other:?} (use ms, s, m or h)")),
        };
        rest = &rest[unit_len..];
        total += Duration::from_secs_f64(value * unit);
    }
    Ok(total)
}

/// The scenarios shipped with the mock, by file stem.
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "pc-gateway-down-54m",
        include_str!("../scenarios/pc-gateway-down-54m.toml"),
    ),
    (
        "login-down-86m",
        include_str!("../scenarios/login-down-86m.toml"),
    ),
    (
        "region-a-lost",
        include_str!("../scenarios/region-a-lost.toml"),
    ),
    (
        "load-shedding-spike",
        include_str!("../scenarios/load-shedding-spike.toml"),
    ),
    (
        "flapping-gateway",
        include_str!("../scenarios/flapping-gateway.toml"),
    ),
    ("media-down", include_str!("../scenarios/media-down.toml")),
    (
        "everything-down-1h",
        include_str!("../scenarios/everything-down-1h.toml"),
    ),
    (
        "blackholed-gateway",
        include_str!("../scenarios/blackholed-gateway.toml"),
    ),
    (
        "gateway-drain",
        include_str!("../scenarios/gateway-drain.toml"),
    ),
];

/// A shipped scenario's text by name, or a file's text by path.
pub fn load(name_or_path: &str) -> Result<String, ScenarioError> {
    if let Some((_, text)) = SHIPPED.iter().find(|(name, _)| *name == name_or_path) {
        return Ok((*text).to_owned());
    }
    std::fs::read_to_string(name_or_path).map_err(|e| {
        let names: Vec<&str> = SHIPPED.iter().map(|(n, _)| *n).collect();
        ScenarioError(format!(
            "{name_or_path:?} is neither a shipped scenario ({}) nor a readable file: {e}",
            names.join(", ")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Service;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("54m").unwrap(), Duration::from_secs(54 * 60));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("2.5").unwrap(), Duration::from_millis(2500));
        for bad in ["", "m", "5d", "-1", "1h-"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_shipped_scenario_parses() {
        for (name, text) in SHIPPED {
            let scenario = Scenario::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!scenario.description.is_empty(), "{name} explains itself");
            assert!(scenario.steps.len() >= 2, "{name}");
            assert_eq!(
                scenario.steps.last().unwrap().fault,
                FaultMode::Up,
                "{name} ends with everything back up"
            );
        }
    }

    #[test]
    fn errors_name_the_line() {
        let text = "name = \"x\"\ndescription = \"d\"\n\n[[step]]\nat = \"0s\"\ntarget = \"gw-a1\"\nfault = \"explode\"\n";
        let err = Scenario::parse(text).unwrap_err().to_string();
        assert!(err.starts_with("line 7: bad fault \"explode\""), "{err}");

        let text = "name = \"x\"\n[[step]]\nat = \"soon\"\ntarget = \"all\"\nfault = \"up\"\n";
        let err = Scenario::parse(text).unwrap_err().to_string();
        assert!(err.starts_with("line 3: bad `at`"), "{err}");

        let err = Scenario::parse("name = \"x\"\n[[step]]\nat = 1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3"), "{err}");

        let text = "name = \"x\"\n[[step]]\nat = \"0s\"\ntarget = \"gw-zz\"\nfault = \"up\"\n";
        let scenario = Scenario::parse(text).unwrap();
        let board = Switchboard::default();
        board.register("gw-a1", Service::Gateway, Some("a"), "ws://x");
        let err = scenario.validate(&board).unwrap_err().to_string();
        assert!(err.starts_with("line 4: no listener matches"), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn play_applies_steps_on_the_scaled_timeline() {
        let board = Switchboard::default();
        let watch = board.register("gw-a1", Service::Gateway, Some("a"), "ws://x");
        let text = "name = \"flap\"\n[[step]]\nat = \"60s\"\ntarget = \"gw-a1\"\nfault = \"up\"\n[[step]]\nat = \"0s\"\ntarget = \"gw-a1\"\nfault = \"refuse\"\n";
        let scenario = Scenario::parse(text).unwrap();
        assert_eq!(scenario.length(), Duration::from_secs(60));
        let start = tokio::time::Instant::now();
        let task = tokio::spawn(scenario.play(board.clone(), 60.0));
        let mut mode = watch.mode.clone();
        mode.changed().await.unwrap();
        assert_eq!(*mode.borrow_and_update(), FaultMode::Refusing);
        mode.changed().await.unwrap();
        assert_eq!(*mode.borrow_and_update(), FaultMode::Up);
        // 60 scenario seconds at 60x take one second.
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        task.await.unwrap();
    }
}
