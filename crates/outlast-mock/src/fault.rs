//! Fault modes a listener can be switched into, and the switchboard that holds each listener's
//! current mode. Every connection of a listener watches its mode, so a switch takes effect on
//! live connections at once, not only on new ones.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// How a listener behaves. The text form (`FromStr`/`Display`) is what the command line, the
/// control API and scenario files use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum FaultMode {
    /// Serve normally.
    Up,
    /// The port is closed: connects are refused; live connections are closed.
    Refusing,
    /// Connections are reset (TCP RST): new ones right after accept, live ones at once.
    Resetting,
    /// Connections are accepted and then nothing is read or written, ever (no FIN, no data).
    Blackhole,
    /// Every response or frame is delayed by `latency_ms`.
    Slow { latency_ms: u64 },
    /// HTTP requests (and WebSocket upgrades) get `503` with `Retry-After`.
    Erroring { retry_after_s: u64 },
    /// A fraction (0–1) of responses, acks and events is dropped.
    Flaky { drop_rate: f64 },
    /// Gateways tell every session to `reconnect` (to `hint` if given) and keep serving meanwhile.
    Draining { hint: Option<String> },
    /// Load shedding: gateways answer `shed{retry_after_ms}` and close; HTTP answers 503
    /// `overloaded` with `Retry-After`.
    Shedding { retry_after_ms: u64 },
    /// Gateways send a fraction (0–1) of events twice.
    Duplicating { rate: f64 },
    /// Gateways hold back a fraction (0–1) of events and send them after the next frame.
    Reordering { rate: f64 },
    /// Gateways send every session a volley of hostile frames (bad JSON, an unknown type, bad
    /// UTF-8 in a binary frame, a script in a message body, a 10 MiB frame), then keep serving.
    Hostile,
}

impl fmt::Display for FaultMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultMode::Up => f.write_str("up"),
            FaultMode::Refusing => f.write_str("refuse"),
            FaultMode::Resetting => f.write_str("reset"),
            FaultMode::Blackhole => f.write_str("blackhole"),
            FaultMode::Slow { latency_ms } => write!(f, "slow:{latency_ms}"),
            FaultMode::Erroring { retry_after_s } => write!(f, "error:{retry_after_s}"),
            FaultMode::Flaky { drop_rate } => write!(f, "flaky:{drop_rate}"),
            FaultMode::Draining { hint: None } => f.write_str("drain"),
            FaultMode::Draining { hint: Some(hint) } => write!(f, "drain:{hint}"),
            FaultMode::Shedding { retry_after_ms } => write!(f, "shed:{retry_after_ms}"),
            FaultMode::Duplicating { rate } => write!(f, "duplicate:{rate}"),
            FaultMode::Reordering { rate } => write!(f, "reorder:{rate}"),
            FaultMode::Hostile => f.write_str("hostile"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FaultParseError(String);

/// The accepted spellings, for error messages and `--help`.
pub const FAULT_SYNTAX: &str = "up | refuse | reset | blackhole | slow:<ms> | error:<retry-after s> | flaky:<0..1> | drain[:<endpoint id>] | shed:<retry-after ms> | duplicate:<0..1> | reorder:<0..1> | hostile";

impl FromStr for FaultMode {
    type Err = FaultParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (name, arg) = match text.trim().split_once(':') {
            Some((name, arg)) => (name, Some(arg.trim())),
            None => (text.trim(), None),
        };
        let bad = |why: &str| {
            FaultParseError(format!(
                "bad fault {text:?}: {why}; expected {FAULT_SYNTAX}"
            ))
        };
        let number = |default: Option<u64>| -> Result<u64, FaultParseError> {
            match arg {
                None => default.ok_or_else(|| bad("a number is required")),
                Some(a) => a.parse().map_err(|_| bad("not a whole number")),
            }
        };
        let no_arg = |mode: FaultMode| match arg {
            None => Ok(mode),
            Some(_) => Err(bad("this mode takes no argument")),
        };
        match name {
            "up" => no_arg(FaultMode::Up),
            "refuse" | "refusing" | "down" => no_arg(FaultMode::Refusing),
            "reset" | "resetting" => no_arg(FaultMode::Resetting),
            "blackhole" | "black-hole" => no_arg(FaultMode::Blackhole),
            "slow" => Ok(FaultMode::Slow {
                latency_ms: number(Some(3_000))?,
            }),
            "error" | "erroring" => Ok(FaultMode::Erroring {
                retry_after_s: number(Some(5))?,
            }),
            "flaky" => Ok(FaultMode::Flaky {
                drop_rate: rate(arg, 0.3).map_err(|why| bad(&why))?,
            }),
            "duplicate" | "duplicating" => Ok(FaultMode::Duplicating {
                rate: rate(arg, 0.5).map_err(|why| bad(&why))?,
            }),
            "reorder" | "reordering" => Ok(FaultMode::Reordering {
                rate: rate(arg, 0.5).map_err(|why| bad(&why))?,
            }),
            "hostile" => no_arg(FaultMode::Hostile),
            "drain" | "draining" => Ok(FaultMode::Draining {
                hint: arg.filter(|a| !a.is_empty()).map(str::to_owned),
            }),
            "shed" | "shedding" => Ok(FaultMode::Shedding {
                retry_after_ms: number(Some(5_000))?,
            }),
            _ => Err(bad("unknown mode")),
        }
    }
}

/// A probability argument: absent means `default`.
fn rate(arg: Option<&str>, default: f64) -> Result<f64, String> {
    let value: f64 = match arg {
        None => default,
        Some(a) => a.parse().map_err(|_| "not a number".to_owned())?,
    };
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err("the rate must be between 0 and 1".into())
    }
}

/// Which service a listener provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Discovery,
    Auth,
    Api,
    Media,
    Gateway,
}

/// One listener's identity and current mode, as the control API reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListenerStatus {
    pub id: String,
    pub service: Service,
    pub region: Option<String>,
    pub url: String,
    pub fault: String,
    /// Connections accepted since start (refused ones are not seen).
    pub accepted: u64,
}

struct Entry {
    service: Service,
    region: Option<String>,
    url: String,
    mode: watch::Sender<FaultMode>,
    accepted: Arc<std::sync::atomic::AtomicU64>,
}

impl Entry {
    fn selected_by(&self, id: &str, target: &Target) -> bool {
        match target {
            Target::All => true,
            Target::Listener(name) => id == name,
            Target::Region(region) => self.region.as_deref() == Some(region.as_str()),
            Target::Service(service) => self.service == *service,
        }
    }
}

/// Every listener's mode, by id. Cloning shares it.
#[derive(Clone, Default)]
pub struct Switchboard {
    entries: Arc<Mutex<BTreeMap<String, Entry>>>,
}

/// A listener's view of its own mode and counters.
#[derive(Clone)]
pub(crate) struct FaultWatch {
    pub mode: watch::Receiver<FaultMode>,
    pub accepted: Arc<std::sync::atomic::AtomicU64>,
}

/// A target a fault can be applied to: one listener, a region, a service, or everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Listener(String),
    Region(String),
    Service(Service),
    All,
}

impl FromStr for Target {
    type Err = FaultParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text == "all" {
            return Ok(Target::All);
        }
        if let Some(region) = text.strip_prefix("region:") {
            return Ok(Target::Region(region.to_owned()));
        }
        if let Some(service) = text.strip_prefix("service:") {
            let service = serde_json::from_value(serde_json::Value::String(service.to_owned()))
                .map_err(|_| FaultParseError(format!("unknown service {service:?}; expected discovery, auth, api, media or gateway")))?;
            return Ok(Target::Service(service));
        }
        if text.is_empty() {
            return Err(FaultParseError("empty target".into()));
        }
        Ok(Target::Listener(text.to_owned()))
    }
}

impl Switchboard {
    pub(crate) fn register(
        &self,
        id: &str,
        service: Service,
        region: Option<&str>,
        url: &str,
    ) -> FaultWatch {
        let (mode, receiver) = watch::channel(FaultMode::Up);
        let accepted = Arc::new(std::sync::atomic::AtomicU64::new(0));
        self.lock().insert(
            id.to_owned(),
            Entry {
                service,
                region: region.map(str::to_owned),
                url: url.to_owned(),
                mode,
                accepted: accepted.clone(),
            },
        );
        FaultWatch {
            mode: receiver,
            accepted,
        }
    }

    /// Switch every listener `target` names; returns the ids switched, or an error naming the
    /// unknown target.
    pub fn apply(&self, target: &Target, mode: &FaultMode) -> Result<Vec<String>, FaultParseError> {
        let entries = self.lock();
        let ids: Vec<String> = entries
            .iter()
            .filter(|(id, e)| e.selected_by(id, target))
            .map(|(id, _)| id.clone())
            .collect();
        if ids.is_empty() {
            let known: Vec<&str> = entries.keys().map(String::as_str).collect();
            return Err(FaultParseError(format!(
                "no listener matches {target:?}; listeners: {}",
                known.join(", ")
            )));
        }
        for id in &ids {
            let entry = &entries[id];
            entry.mode.send_replace(mode.clone());
            tracing::info!(listener = %id, fault = %mode, "fault switched");
        }
        Ok(ids)
    }

    /// Whether `target` names at least one listener (for validating scenarios up front).
    pub fn matches(&self, target: &Target) -> bool {
        let entries = self.lock();
        entries.iter().any(|(id, e)| e.selected_by(id, target))
    }

    pub fn status(&self) -> Vec<ListenerStatus> {
        self.lock()
            .iter()
            .map(|(id, e)| ListenerStatus {
                id: id.clone(),
                service: e.service,
                region: e.region.clone(),
                url: e.url.clone(),
                fault: e.mode.borrow().to_string(),
                accepted: e.accepted.load(std::sync::atomic::Ordering::Relaxed),
            })
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_round_trip() {
        for text in [
            "up",
            "refuse",
            "reset",
            "blackhole",
            "slow:2500",
            "error:7",
            "flaky:0.25",
            "drain",
            "drain:gw-b1",
            "shed:9000",
        ] {
            let mode: FaultMode = text.parse().unwrap();
            assert_eq!(mode.to_string(), text);
        }
        assert_eq!(
            "slow".parse::<FaultMode>().unwrap(),
            FaultMode::Slow { latency_ms: 3000 }
        );
    }

    #[test]
    fn bad_faults_say_what_is_accepted() {
        for bad in ["explode", "slow:fast", "flaky:2", "up:1", ""] {
            let err = bad.parse::<FaultMode>().unwrap_err().to_string();
            assert!(err.contains("expected up | refuse"), "{bad}: {err}");
        }
    }

    #[test]
    fn targets_select_listeners() {
        let board = Switchboard::default();
        board.register("gw-a1", Service::Gateway, Some("a"), "ws://x");
        board.register("gw-b1", Service::Gateway, Some("b"), "ws://y");
        board.register("auth", Service::Auth, None, "http://z");
        let ids = board
            .apply(&"region:a".parse().unwrap(), &FaultMode::Refusing)
            .unwrap();
        assert_eq!(ids, ["gw-a1"]);
        let ids = board
            .apply(&"service:gateway".parse().unwrap(), &FaultMode::Up)
            .unwrap();
        assert_eq!(ids, ["gw-a1", "gw-b1"]);
        assert_eq!(board.apply(&Target::All, &FaultMode::Up).unwrap().len(), 3);
        assert!(board
            .apply(&"gw-zz".parse().unwrap(), &FaultMode::Up)
            .is_err());
        assert!("service:teleport".parse::<Target>().is_err());
    }
}
