//! What the user is told about reaching the server: the connection's state and the health of
//! each of the backend's services. Each change is announced once, when something changed.

use std::sync::{Mutex, MutexGuard};

use tokio::sync::watch;

use crate::events::EventBus;
use crate::model::{ConnectionState, CoreEvent, NamedService, ServiceHealth, ServiceState};

pub(crate) struct Status {
    connection: Mutex<ConnectionState>,
    /// Counts the times the connection came up (see [`Status::connected_again`]).
    connected: watch::Sender<u64>,
    services: Mutex<ServiceHealth>,
    events: EventBus,
}

impl Status {
    /// Signed out, protocol v1's services not checked yet; changes are announced on `events`.
    pub fn new(events: EventBus) -> Status {
        Status {
            connection: Mutex::new(ConnectionState::SignedOut),
            connected: watch::Sender::new(0),
            services: Mutex::new(ServiceHealth::protocol_v1()),
            events,
        }
    }

    pub fn connection(&self) -> ConnectionState {
        lock(&self.connection).clone()
    }

    pub fn set_connection(&self, state: ConnectionState) {
        {
            let mut current = lock(&self.connection);
            if *current == state {
                return;
            }
            *current = state.clone();
        }
        if matches!(state, ConnectionState::Connected { .. }) {
            self.connected.send_modify(|n| *n = n.wrapping_add(1));
        }
        tracing::info!(?state, "connection state");
        self.events
            .emit(vec![CoreEvent::ConnectionChanged { state }]);
    }

    /// Changes each time the connection comes (back) up: a part that waits for that watches
    /// this rather than reading every event.
    pub fn connected_again(&self) -> watch::Receiver<u64> {
        self.connected.subscribe()
    }

    pub fn services(&self) -> ServiceHealth {
        lock(&self.services).clone()
    }

    /// Forget every service's state (signed out): protocol v1's services, none checked yet.
    pub fn reset_services(&self) {
        *lock(&self.services) = ServiceHealth::protocol_v1();
    }

    /// The backend about to be used has these services: the list becomes theirs, keeping what is
    /// known of a service with the same id (a sign-in on the same kind of backend has just
    /// measured it).
    pub fn declare_services(&self, declared: Vec<NamedService>) {
        let services = {
            let mut all = lock(&self.services);
            let mut next = ServiceHealth::declared(declared);
            for service in &mut next.0 {
                if let Some(known) = all.get(&service.id) {
                    service.status = known.status.clone();
                }
            }
            if *all == next {
                return;
            }
            *all = next.clone();
            next
        };
        self.events
            .emit(vec![CoreEvent::ServicesChanged { services }]);
    }

    /// Record service `id`'s state; announced only when it changes.
    pub fn set_service(&self, id: &str, state: ServiceState, detail: Option<String>) {
        let services = {
            let mut all = lock(&self.services);
            if !all.set(id, state, detail, crate::clock::now_ms()) {
                return;
            }
            all.clone()
        };
        tracing::info!(service = id, ?state, "service health");
        self.events
            .emit(vec![CoreEvent::ServicesChanged { services }]);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every change is a single call that leaves the data consistent.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
