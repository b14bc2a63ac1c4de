//! The connection manager: endpoint health and failover, backoff, dead-link detection, resume,
//! REST fallback and server hints. See `docs/connection.md`.

mod health;
mod link;
mod netwatch;
mod policy;
mod settings;
mod sink;
mod supervisor;
mod tokens;
mod wake;

pub use health::{Candidate, Health, HealthTable};
pub use link::{BoxFuture, Broken, Connector, Link, OpenError, WebSocketConnector, Wire};
pub use netwatch::network_changes;
pub use policy::RetryPolicy;
pub use settings::ConnectionSettings;
pub use sink::ConnectionSink;
pub use supervisor::{Outgoing, Submitter, SupervisorHandle};
pub use tokens::{TokenPublisher, TokenSource};
pub use wake::{SystemClock, WakeDetector, WallClock};
