//! The sign-in half of the backend contract: one suite, run against every [`Server`] (protocol v1
//! on the real mock server over loopback, and the in-memory server). `docs/backend.md` states the
//! same contract in words.

use std::sync::Arc;

use tokio::time::Instant;

use super::contract::{Recorder, DEADLINE};
use super::{Server, SignedIn, Tasks};
use crate::credentials::SignInSecret;
use crate::remembered_account::RememberedAccount;
use crate::CoreError;

/// A server with one account that can sign in.
pub(crate) struct SignInWorld {
    pub server: Arc<dyn Server>,
    pub username: String,
    pub password: String,
    /// The account's id, as the server gives it.
    pub user_id: String,
    /// Make the access the server granted so far count as expired, where a server has such a
    /// thing (protocol v1's access tokens): a backend must then renew it to go on.
    pub expire_access: Box<dyn Fn() + Send + Sync>,
    /// Keeps the server running for the case.
    pub _keep: Box<dyn std::any::Any + Send + Sync>,
}

impl SignInWorld {
    async fn sign_in(&self, password: &str) -> Result<(SignedIn, Arc<Recorder>), CoreError> {
        let seen = Arc::new(Recorder::default());
        let signed_in = tokio::time::timeout(
            DEADLINE,
            self.server.sign_in(&self.username, password, seen.clone()),
        )
        .await
        .expect("the sign-in answers in time")?;
        Ok((signed_in, seen))
    }

    async fn resume(&self, secret: SignInSecret) -> Result<SignedIn, CoreError> {
        self.resume_to(secret, Arc::new(Recorder::default())).await
    }

    async fn resume_to(
        &self,
        secret: SignInSecret,
        sink: Arc<Recorder>,
    ) -> Result<SignedIn, CoreError> {
        let account = RememberedAccount {
            server: self.server.address().to_owned(),
            protocol: self.server.protocol().to_owned(),
            username: self.username.clone(),
            user_id: self.user_id.clone(),
            display_name: String::new(),
        };
        let deadline = Instant::now() + DEADLINE;
        self.server.resume(&account, secret, deadline, sink).await
    }
}

fn kept(signed_in: &SignedIn) -> SignInSecret {
    signed_in
        .backend
        .kept_secret()
        .expect("a password sign-in can be restored")
        .borrow()
        .clone()
}

/// 12. A wrong password (or an unknown account) is refused for good, without a retry; the right
///     one gives the account's backend, which answers, and a secret to keep. Every health report
///     on the way names a declared service.
pub(crate) async fn a_password_signs_in_and_a_wrong_one_is_refused(w: SignInWorld) {
    for (username, password) in [
        (w.username.clone(), format!("not-{}", w.password)),
        ("nobody-by-this-name".to_owned(), w.password.clone()),
    ] {
        let seen = Arc::new(Recorder::default());
        let refused = w.server.sign_in(&username, &password, seen).await;
        match refused {
            Err(err @ CoreError::BadCredentials) => assert!(!err.retryable()),
            Err(other) => panic!("{username}: expected bad credentials, got {other:?}"),
            Ok(_) => panic!("{username} signed in with a wrong password"),
        }
    }
    let (signed_in, seen) = w.sign_in(&w.password).await.unwrap();
    assert_eq!(signed_in.user.user_id, w.user_id);
    assert!(signed_in.offline.is_none());
    let view = signed_in.backend.first_view().await.unwrap();
    assert!(!view.chats.is_empty(), "the account's chats are listed");
    assert!(!kept(&signed_in).expose().is_empty());
    let declared: Vec<String> = w.server.services().into_iter().map(|s| s.id).collect();
    for (service, _) in &seen.lock().services {
        assert!(declared.contains(service), "{service} was never declared");
    }
}

/// 13. The kept secret restores the sign-in, for as long as it lasts: after a sign-out the
///     server no longer accepts it and says so for good ([`CoreError::SignInAgain`]).
pub(crate) async fn a_kept_sign_in_resumes_until_signed_out(w: SignInWorld) {
    let (signed_in, _seen) = w.sign_in(&w.password).await.unwrap();
    let secret = kept(&signed_in);
    let resumed = w.resume(secret.clone()).await.unwrap();
    assert_eq!(resumed.user.user_id, w.user_id);
    assert!(resumed.offline.is_none(), "the server answered");
    resumed.backend.first_view().await.unwrap();
    signed_in.backend.sign_out().await.unwrap();
    match w.resume(secret).await {
        Err(CoreError::SignInAgain(_)) => {}
        Err(other) => panic!("expected sign in again, got {other:?}"),
        Ok(_) => panic!("a signed-out secret restored the sign-in"),
    }
    // Another sign-in with the password works as before.
    let (again, _) = w.sign_in(&w.password).await.unwrap();
    assert_ne!(
        kept(&again),
        kept(&signed_in),
        "a new sign-in has its own secret"
    );
}

/// 14. A sign-in the server ends (here: signed out on another device that shares it) is
///     reported to the sink once, at the latest when the backend next needs the server; calls
///     then fail, and asking again reports nothing more. Renewing an expired access on the way
///     is the backend's business.
pub(crate) async fn a_sign_in_the_server_ends_is_reported_once(w: SignInWorld) {
    let (elsewhere, _) = w.sign_in(&w.password).await.unwrap();
    let seen = Arc::new(Recorder::default());
    let mut here = w.resume_to(kept(&elsewhere), seen.clone()).await.unwrap();
    // The sign-in's work runs, as a session runs it (protocol v1: the token keeper).
    let mut work = Tasks::default();
    for task in std::mem::take(&mut here.work) {
        work.spawn(task);
    }
    let view = here.backend.first_view().await.unwrap();
    let chat_id = view.chats[0].chat_id.clone();
    here.backend.history(&chat_id, None, 10).await.unwrap();
    elsewhere.backend.sign_out().await.unwrap();
    (w.expire_access)();
    let failed = here.backend.history(&chat_id, None, 10).await;
    assert!(failed.is_err(), "a call after the sign-in ended answered");
    seen.until("the ended sign-in reported", |s| {
        (!s.sign_ins_ended.is_empty()).then_some(())
    })
    .await;
    assert!(here.backend.history(&chat_id, None, 10).await.is_err());
    assert_eq!(seen.lock().sign_ins_ended.len(), 1, "reported once");
}

/// Run every sign-in case against the server `world` sets up.
macro_rules! sign_in_contract {
    ($world:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_password_signs_in_and_a_wrong_one_is_refused() {
            $crate::backend::sign_in_contract::a_password_signs_in_and_a_wrong_one_is_refused(
                $world.await,
            )
            .await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_sign_in_the_server_ends_is_reported_once() {
            $crate::backend::sign_in_contract::a_sign_in_the_server_ends_is_reported_once(
                $world.await,
            )
            .await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_kept_sign_in_resumes_until_signed_out() {
            $crate::backend::sign_in_contract::a_kept_sign_in_resumes_until_signed_out(
                $world.await,
            )
            .await;
        }
    };
}
pub(crate) use sign_in_contract;
