//! The last good discovery document per server, on disk, so a discovery outage at start-up does
//! not keep the user from connecting to gateways that are fine.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use outlast_protocol::DiscoveryConfig;
use serde::{Deserialize, Serialize};

use crate::clock::now_ms;

const FILE_NAME: &str = "endpoints.json";

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    servers: BTreeMap<String, Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    saved_at_ms: u64,
    config: DiscoveryConfig,
}

/// A cached document and its age.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cached {
    pub config: DiscoveryConfig,
    pub saved_at_ms: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct DiscoveryCache {
    path: PathBuf,
}

impl DiscoveryCache {
    pub fn in_dir(dir: &Path) -> Self {
        DiscoveryCache {
            path: dir.join(FILE_NAME),
        }
    }

    pub fn load(&self, server: &str) -> Option<Cached> {
        let text = fs::read_to_string(&self.path).ok()?;
        match serde_json::from_str::<CacheFile>(&text) {
            Ok(mut file) => file.servers.remove(server).map(|e| Cached {
                config: e.config,
                saved_at_ms: e.saved_at_ms,
            }),
            Err(err) => {
                // A damaged cache is only a lost optimisation: say so and carry on without it.
                tracing::warn!(path = %self.path.display(), %err, "ignoring an unreadable endpoint cache");
                None
            }
        }
    }

    pub fn save(&self, server: &str, config: &DiscoveryConfig) -> std::io::Result<()> {
        let mut file = fs::read_to_string(&self.path)
            .ok()
            .and_then(|t| serde_json::from_str::<CacheFile>(&t).ok())
            .unwrap_or_default();
        file.servers.insert(
            server.to_owned(),
            Entry {
                saved_at_ms: now_ms(),
                config: config.clone(),
            },
        );
        crate::private_files::write_atomically(&self.path, &serde_json::to_vec_pretty(&file)?)
    }
}

#[cfg(test)]
mod tests {
    use outlast_protocol::{BackoffParams, Region};

    use super::*;

    fn config(name: &str) -> DiscoveryConfig {
        DiscoveryConfig {
            regions: vec![Region {
                name: name.into(),
                gateways: vec![],
                auth: vec![],
                api: vec![],
                media: vec![],
            }],
            heartbeat_interval_ms: 10_000,
            backoff: BackoffParams {
                base_ms: 1_000,
                cap_ms: 60_000,
            },
            ttl_s: 300,
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("outlast-cache-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn saves_per_server_and_reads_back() {
        let dir = temp_dir("roundtrip");
        let cache = DiscoveryCache::in_dir(&dir.join("profile"));
        assert_eq!(cache.load("http://a"), None);
        cache.save("http://a", &config("a")).unwrap();
        cache.save("http://b", &config("b")).unwrap();
        assert_eq!(cache.load("http://a").unwrap().config, config("a"));
        assert_eq!(cache.load("http://b").unwrap().config, config("b"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.join("profile").join(FILE_NAME))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_damaged_cache_is_ignored_and_replaced() {
        let dir = temp_dir("damaged");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(FILE_NAME), "{not json").unwrap();
        let cache = DiscoveryCache::in_dir(&dir);
        assert_eq!(cache.load("http://a"), None);
        cache.save("http://a", &config("a")).unwrap();
        assert!(cache.load("http://a").is_some());
        fs::remove_dir_all(dir).unwrap();
    }
}
