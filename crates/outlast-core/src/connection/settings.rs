//! Timing of the connection manager. Defaults suit real use; tests shrink them, and the benchmark
//! builds the published profiles of other clients from the same fields.

use tokio::time::Duration;

use super::policy::RetryPolicy;

#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// Longest wait for the TCP + WebSocket handshake and the `welcome`.
    pub connect_timeout: Duration,
    /// Reconnect delays; `None` takes full-jitter backoff with the server's base and cap.
    pub retry: Option<RetryPolicy>,
    /// After a working connection fails, try every other endpoint once at once before backing off.
    pub immediate_failover: bool,
    /// Heartbeat interval; `None` uses the one the server gives in `welcome`.
    pub heartbeat_interval: Option<Duration>,
    /// A heartbeat unanswered for this long (or 3 round trips, if longer) marks the link dead.
    pub pong_timeout: Duration,
    /// While a message waits for its ack longer than this (or 3 round trips), probe the link at
    /// once instead of waiting for the next heartbeat. `None` disables the probe.
    pub ack_probe_after: Option<Duration>,
    /// How long a probe may go unanswered (or 3 round trips, if longer).
    pub probe_timeout: Duration,
    /// A connection that lived this long counts as having worked: backoff starts over.
    pub stable_after: Duration,
    /// An endpoint that failed is tried after the others until this has passed.
    pub endpoint_cooldown: Duration,
    /// Move back to the preferred region after it has answered probes for this long; `None`
    /// stays wherever the connection works.
    pub failback_after: Option<Duration>,
    /// How often to probe the preferred region while running on a backup one.
    pub failback_probe_every: Duration,
    /// How long one REST long-poll waits for events.
    pub rest_poll_wait: Duration,
    /// Retry delays for renewing the session while the sign-in service is down (default: full
    /// jitter, 2 s base, 60 s cap).
    pub auth_retry: Option<RetryPolicy>,
    /// Retry delays for read marks and uploads while the API or media service is down (default:
    /// full jitter, 1 s base, 60 s cap); they also go again as soon as a connection returns.
    pub background_retry: Option<RetryPolicy>,
    /// How long a REST request may take before the service counts as not answering (a lost
    /// answer must not hold anything up for longer).
    pub request_timeout: Duration,
    /// How long a start from a remembered sign-in waits for the server before it opens the
    /// local cache. A server that takes no calls at all (a black hole) would otherwise hold the
    /// chat list back for a request timeout per step; whatever did not answer carries on in the
    /// background, as when the service is down.
    pub start_patience: Duration,
    /// How long a resend waits after a retryable refusal.
    pub resend_after_nack: Duration,
    /// How often to look for a sleep/wake jump, and how big a jump counts as one.
    pub wake_tick: Duration,
    pub wake_threshold: Duration,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        ConnectionSettings {
            connect_timeout: Duration::from_secs(5),
            retry: None,
            immediate_failover: true,
            heartbeat_interval: None,
            pong_timeout: Duration::from_secs(5),
            ack_probe_after: Some(Duration::from_secs(1)),
            probe_timeout: Duration::from_millis(1500),
            stable_after: Duration::from_secs(10),
            endpoint_cooldown: Duration::from_secs(30),
            failback_after: Some(Duration::from_secs(60)),
            failback_probe_every: Duration::from_secs(15),
            rest_poll_wait: Duration::from_secs(20),
            request_timeout: Duration::from_secs(15),
            start_patience: Duration::from_secs(3),
            auth_retry: None,
            background_retry: None,
            resend_after_nack: Duration::from_secs(2),
            wake_tick: Duration::from_secs(5),
            wake_threshold: Duration::from_secs(15),
        }
    }
}

impl ConnectionSettings {
    /// Signal Desktop's public parameters: keepalive every 30 s, 30 s to answer, Fibonacci
    /// backoff with up to 5 s of jitter, no early probe and no instant endpoint switch.
    pub fn signal_desktop() -> Self {
        ConnectionSettings {
            retry: Some(RetryPolicy::signal_desktop()),
            immediate_failover: false,
            heartbeat_interval: Some(Duration::from_secs(30)),
            pong_timeout: Duration::from_secs(30),
            ack_probe_after: None,
            ..ConnectionSettings::default()
        }
    }

    /// Mattermost's public parameters: ping every 30 s, closed if no pong by the next tick, first
    /// retry after 3 s then 3 s·n² with up to 2 s of jitter.
    pub fn mattermost() -> Self {
        ConnectionSettings {
            retry: Some(RetryPolicy::mattermost()),
            immediate_failover: false,
            heartbeat_interval: Some(Duration::from_secs(30)),
            pong_timeout: Duration::from_secs(30),
            ack_probe_after: None,
            ..ConnectionSettings::default()
        }
    }
}
