//! Protocol v1 against the shared contract, on the real mock server over loopback.

use std::sync::Arc;
use std::time::Duration;

use outlast_mock::{MockConfig, MockServer, DEMO_PASSWORD, DEMO_USERNAME};

use super::{endpoints, V1Backend, V1Options, V1Server};
use crate::api::ApiClient;
use crate::backend::contract::{backend_contract, Accounts, Recorder, KEPT_EVENTS};
use crate::backend::sign_in_contract::SignInWorld;
use crate::connection::{ConnectionSettings, TokenSource};
use crate::RetryPolicy;

async fn accounts() -> Accounts {
    // Quiet simulated members and a long replay log: only what a case does happens.
    let mock = MockServer::start(MockConfig {
        reply_delay: Duration::from_secs(3_600),
        replay_limit: KEPT_EVENTS,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let discovery = ApiClient::new(mock.discovery_url()).unwrap();
    let config = discovery.discover().await.unwrap();
    let auth = endpoints(&discovery, &config, |r| &r.auth).unwrap()[0].clone();
    let settings = ConnectionSettings {
        connect_timeout: Duration::from_secs(1),
        retry: Some(RetryPolicy::outlast(
            Duration::from_millis(50),
            Duration::from_millis(300),
        )),
        ..ConnectionSettings::default()
    };
    let mut signed_in = Vec::new();
    for username in ["demo", "tester"] {
        let login = auth.login(username, DEMO_PASSWORD).await.unwrap();
        let backend = V1Backend::new(
            &discovery,
            config.clone(),
            settings.clone(),
            TokenSource::fixed(login.access_token),
            Arc::new(Recorder::default()),
        )
        .unwrap();
        signed_in.push((login.user.user_id, Arc::new(backend)));
    }
    let (bob_id, bob) = signed_in.pop().unwrap();
    let (alice_id, alice) = signed_in.pop().unwrap();
    Accounts {
        alice,
        bob,
        alice_id,
        bob_id,
        chat_id: "c-team".into(),
        // The demo account's chat with Jun; the tester is not in it.
        alice_only_chat: "c-jun".into(),
        _server: Box::new(mock),
    }
}

mod contract {
    use super::accounts;
    super::backend_contract!(accounts());
}

async fn sign_in_world() -> SignInWorld {
    let mock = MockServer::start(MockConfig {
        reply_delay: Duration::from_secs(3_600),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let server = V1Server::new(
        mock.discovery_url(),
        V1Options {
            connection: ConnectionSettings {
                connect_timeout: Duration::from_secs(1),
                ..ConnectionSettings::default()
            },
            cache_dir: None,
            builtin_endpoints: None,
        },
    )
    .unwrap();
    let mock = Arc::new(mock);
    let expiring = mock.clone();
    SignInWorld {
        server: Arc::new(server),
        username: DEMO_USERNAME.into(),
        password: DEMO_PASSWORD.into(),
        user_id: "u-demo".into(),
        expire_access: Box::new(move || expiring.expire_access_tokens()),
        _keep: Box::new(mock),
    }
}

mod sign_in_contract {
    use super::sign_in_world;
    crate::backend::sign_in_contract::sign_in_contract!(sign_in_world());
}
