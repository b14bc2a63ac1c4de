//! Network-change detection: when the machine's addresses change (Wi-Fi to wired, VPN up or down,
//! a new DHCP lease), existing sockets are probably dead or about to be, and a waiting client
//! should try again at once. One thread per process polls the interface list and bumps a
//! generation number that every supervisor watches.

use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::sync::watch;

/// How often the interface list is read.
const POLL_EVERY: Duration = Duration::from_secs(3);

/// A generation number that increases whenever the machine's non-loopback addresses change.
pub fn network_changes() -> watch::Receiver<u64> {
    static CHANGES: OnceLock<watch::Receiver<u64>> = OnceLock::new();
    CHANGES
        .get_or_init(|| {
            let (tx, rx) = watch::channel(0);
            // A plain thread, not a tokio task: it must outlive any one runtime, and the watch
            // channel wakes receivers on every runtime.
            let spawned = std::thread::Builder::new()
                .name("outlast-netwatch".into())
                .spawn(move || {
                    let mut watcher = Watcher::new(system_addresses());
                    loop {
                        std::thread::sleep(POLL_EVERY);
                        if watcher.observe(system_addresses()) {
                            tracing::info!("the network changed");
                            tx.send_modify(|generation| *generation += 1);
                        }
                    }
                });
            if let Err(err) = spawned {
                tracing::warn!(%err, "network-change detection is unavailable");
            }
            rx
        })
        .clone()
}

fn system_addresses() -> Vec<IpAddr> {
    match if_addrs::get_if_addrs() {
        Ok(interfaces) => interfaces
            .into_iter()
            .filter(|i| !i.is_loopback())
            .map(|i| i.ip())
            .collect(),
        Err(err) => {
            tracing::debug!(%err, "cannot list network interfaces");
            Vec::new()
        }
    }
}

/// Remembers the last address set and says when it differs.
struct Watcher {
    last: Vec<IpAddr>,
}

impl Watcher {
    fn new(mut addresses: Vec<IpAddr>) -> Self {
        addresses.sort();
        Watcher { last: addresses }
    }

    fn observe(&mut self, mut addresses: Vec<IpAddr>) -> bool {
        addresses.sort();
        let changed = addresses != self.last;
        self.last = addresses;
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_a_different_address_set_is_a_change() {
        let mut watcher = Watcher::new(vec![ip("192.168.1.5"), ip("fe80::1")]);
        assert!(
            !watcher.observe(vec![ip("fe80::1"), ip("192.168.1.5")]),
            "order does not matter"
        );
        assert!(watcher.observe(vec![ip("10.0.0.7")]), "a new lease");
        assert!(!watcher.observe(vec![ip("10.0.0.7")]));
        assert!(watcher.observe(vec![]), "all interfaces down");
        assert!(
            watcher.observe(vec![ip("10.0.0.7"), ip("10.8.0.2")]),
            "a VPN came up"
        );
    }

    #[test]
    fn the_process_wide_watch_starts_at_generation_zero() {
        assert_eq!(*network_changes().borrow(), 0);
    }
}
