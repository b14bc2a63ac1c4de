//! The lock: a passcode that hides content after idle time or on demand. While locked the shell
//! sends no message content to the webview and answers content calls with `locked`; the core keeps
//! receiving and caching. Wrong passcodes are throttled so a passer-by cannot guess one.

use std::sync::Mutex;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use thiserror::Error;
use tokio::sync::watch;
use tokio::time::{Duration, Instant};

pub const MIN_PASSCODE_CHARS: usize = 4;
pub const MAX_PASSCODE_CHARS: usize = 64;

/// Wrong passcodes allowed before each further try must wait.
const FREE_ATTEMPTS: u32 = 5;
const WAIT_AFTER_FAILURES: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum LockError {
    #[error("set a passcode first")]
    NoPasscode,
    #[error("a passcode is {MIN_PASSCODE_CHARS} to {MAX_PASSCODE_CHARS} characters")]
    BadPasscode,
    #[error("wrong passcode")]
    WrongPasscode,
    #[error("too many wrong passcodes; try again in {retry_in_s} s")]
    TooManyAttempts { retry_in_s: u64 },
    #[error("the passcode could not be stored: {0}")]
    Hashing(String),
}

/// The Argon2id verifier of a new passcode.
pub fn hash_passcode(passcode: &str) -> Result<String, LockError> {
    let chars = passcode.chars().count();
    if !(MIN_PASSCODE_CHARS..=MAX_PASSCODE_CHARS).contains(&chars) {
        return Err(LockError::BadPasscode);
    }
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| LockError::Hashing(e.to_string()))?;
    Argon2::default()
        .hash_password(passcode.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| LockError::Hashing(e.to_string()))
}

/// Whether `passcode` matches `verifier` (a damaged verifier matches nothing).
pub fn passcode_matches(passcode: &str, verifier: &str) -> bool {
    PasswordHash::new(verifier).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(passcode.as_bytes(), &hash)
            .is_ok()
    })
}

pub struct Lock {
    state: Mutex<State>,
    locked: watch::Sender<bool>,
}

struct State {
    last_activity: Instant,
    failures: u32,
    blocked_until: Option<Instant>,
}

impl Lock {
    /// `locked`: start locked (a passcode is set, so content waits for it at start-up).
    pub fn new(locked: bool) -> Self {
        Lock {
            state: Mutex::new(State {
                last_activity: Instant::now(),
                failures: 0,
                blocked_until: None,
            }),
            locked: watch::channel(locked).0,
        }
    }

    pub fn is_locked(&self) -> bool {
        *self.locked.borrow()
    }

    /// Every lock and unlock from now on.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.locked.subscribe()
    }

    /// The user did something (typed, clicked): the idle clock starts again.
    pub fn note_activity(&self) {
        self.state().last_activity = Instant::now();
    }

    pub fn lock(&self) {
        self.locked
            .send_if_modified(|locked| !std::mem::replace(locked, true));
    }

    /// Lock if nothing happened for `idle`; `true` if this call locked.
    pub fn lock_if_idle(&self, idle: Duration) -> bool {
        if self.is_locked() || idle.is_zero() {
            return false;
        }
        if self.state().last_activity.elapsed() < idle {
            return false;
        }
        self.lock();
        true
    }

    pub fn unlock(&self, passcode: &str, verifier: &str) -> Result<(), LockError> {
        let now = Instant::now();
        {
            let state = self.state();
            if let Some(until) = state.blocked_until.filter(|until| *until > now) {
                let left = until - now;
                return Err(LockError::TooManyAttempts {
                    retry_in_s: left.as_secs() + u64::from(left.subsec_nanos() > 0),
                });
            }
        }
        // Verified outside the state lock: Argon2 takes tens of milliseconds on purpose.
        if !passcode_matches(passcode, verifier) {
            let mut state = self.state();
            state.failures += 1;
            if state.failures >= FREE_ATTEMPTS {
                state.blocked_until = Some(Instant::now() + WAIT_AFTER_FAILURES);
            }
            return Err(LockError::WrongPasscode);
        }
        {
            let mut state = self.state();
            state.failures = 0;
            state.blocked_until = None;
            state.last_activity = Instant::now();
        }
        self.locked
            .send_if_modified(|locked| std::mem::replace(locked, false));
        Ok(())
    }

    /// The passcode was removed: nothing to lock with any more.
    pub fn release(&self) {
        self.locked
            .send_if_modified(|locked| std::mem::replace(locked, false));
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn locks_after_idle_time_and_activity_postpones_it() {
        let lock = Lock::new(false);
        let idle = Duration::from_secs(300);
        tokio::time::advance(Duration::from_secs(200)).await;
        lock.note_activity();
        tokio::time::advance(Duration::from_secs(200)).await;
        assert!(!lock.lock_if_idle(idle), "activity 200 s ago");
        tokio::time::advance(Duration::from_secs(100)).await;
        assert!(lock.lock_if_idle(idle));
        assert!(lock.is_locked());
        assert!(!lock.lock_if_idle(Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn the_right_passcode_unlocks_and_guessing_is_throttled() {
        let verifier = hash_passcode("2468").unwrap();
        assert!(!verifier.contains("2468"));
        let lock = Lock::new(true);
        let mut changes = lock.subscribe();
        for _ in 0..FREE_ATTEMPTS {
            assert_eq!(
                lock.unlock("0000", &verifier),
                Err(LockError::WrongPasscode)
            );
        }
        // Even the right passcode waits now.
        assert_eq!(
            lock.unlock("2468", &verifier),
            Err(LockError::TooManyAttempts { retry_in_s: 30 })
        );
        assert!(lock.is_locked());
        tokio::time::advance(WAIT_AFTER_FAILURES).await;
        lock.unlock("2468", &verifier).unwrap();
        assert!(!lock.is_locked());
        assert!(changes.has_changed().unwrap());
        assert!(!*changes.borrow_and_update());
    }

    #[test]
    fn passcodes_have_a_sane_length_and_damaged_verifiers_match_nothing() {
        assert_eq!(hash_passcode("123"), Err(LockError::BadPasscode));
        assert_eq!(hash_passcode(&"9".repeat(65)), Err(LockError::BadPasscode));
        assert!(!passcode_matches("1234", "not a verifier"));
    }
}
