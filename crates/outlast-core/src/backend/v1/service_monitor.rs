//! Health of the services the connection does not use continuously (discovery, media): checked
//! once at sign-in, re-checked with jittered backoff while down so the UI learns when they are
//! back, and now and then while up.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::time::Duration;

use crate::api::ApiClient;
use crate::connection::{ConnectionSink, RetryPolicy};
use crate::model::{Service, ServiceState};

const RETRY_BASE: Duration = Duration::from_secs(2);
const RETRY_CAP: Duration = Duration::from_secs(120);

pub(crate) struct Watched {
    pub service: Service,
    pub endpoint: ApiClient,
    /// Re-check this often while up; `None`: stop once up.
    pub recheck_when_up: Option<Duration>,
    /// Added to the reason while down (what the client does instead).
    pub meanwhile: Option<&'static str>,
}

pub(crate) async fn watch(watched: Watched, sink: Arc<dyn ConnectionSink>) {
    let policy = RetryPolicy::outlast(RETRY_BASE, RETRY_CAP);
    let mut rng = StdRng::from_os_rng();
    let mut failures = 0;
    loop {
        let delay = match watched.endpoint.healthz().await {
            Ok(()) => {
                failures = 0;
                sink.service(watched.service.id(), ServiceState::Up, None);
                match watched.recheck_when_up {
                    Some(every) => every,
                    None => return,
                }
            }
            Err(err) => {
                let detail = match watched.meanwhile {
                    Some(meanwhile) => format!("{err}; {meanwhile}"),
                    None => err.to_string(),
                };
                sink.service(watched.service.id(), ServiceState::Down, Some(detail));
                failures += 1;
                policy.delay(failures - 1, &mut rng)
            }
        };
        tokio::time::sleep(delay).await;
    }
}
