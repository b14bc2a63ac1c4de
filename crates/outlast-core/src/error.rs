use thiserror::Error;

/// Why a server refused a request, in the core's terms. Each backend maps its own codes to
/// these (protocol v1's `ErrorCode` in `backend/v1/convert.rs`); the UI sees their spelling as
/// the error's `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerCode {
    /// The server does not speak this client's protocol version.
    UnsupportedVersion,
    /// The sign-in is missing, unknown or revoked.
    Unauthorized,
    /// The access token's time is up: renewing it fixes this.
    TokenExpired,
    /// Username and password not accepted.
    BadCredentials,
    /// The request was malformed or not allowed at this point (a client bug or a version
    /// mismatch).
    BadRequest,
    /// The content was refused: empty, too long, a bad id, against the server's policy.
    InvalidMessage,
    /// No such chat, or the account is not in it.
    UnknownChat,
    /// No such file on the media service.
    UnknownMedia,
    /// Larger than the server accepts.
    TooLarge,
    /// Temporarily unable to serve.
    Unavailable,
    /// Shedding load: not before its retry-after.
    Overloaded,
    /// A fault on the server's side.
    Internal,
}

impl ServerCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ServerCode::UnsupportedVersion => "unsupported_version",
            ServerCode::Unauthorized => "unauthorized",
            ServerCode::TokenExpired => "token_expired",
            ServerCode::BadCredentials => "bad_credentials",
            ServerCode::BadRequest => "bad_request",
            ServerCode::InvalidMessage => "invalid_message",
            ServerCode::UnknownChat => "unknown_chat",
            ServerCode::UnknownMedia => "unknown_media",
            ServerCode::TooLarge => "payload_too_large",
            ServerCode::Unavailable => "unavailable",
            ServerCode::Overloaded => "overloaded",
            ServerCode::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ServerCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong in a core call, worded for the person using the app.
#[derive(Debug, Error)]
pub enum CoreError {
    #[error("you are not signed in")]
    NotSignedIn,
    #[error("{0}")]
    InvalidInput(String),
    #[error("there is no chat {0:?}")]
    UnknownChat(String),
    #[error("wrong username or password")]
    BadCredentials,
    #[error("the server address {url:?} is not valid: {reason}")]
    InvalidServerUrl { url: String, reason: String },
    #[error("cannot reach the server at {server}: {reason}")]
    Unreachable { server: String, reason: String },
    #[error("refusing an unencrypted connection to {url}: {what} must use https or wss unless it runs on this computer")]
    InsecureTransport { url: String, what: String },
    #[error("the server at {server} did not prove its identity (its certificate is not valid: {reason}); nothing was sent")]
    InvalidCertificate { server: String, reason: String },
    #[error("the server refused the request ({code}): {message}")]
    Server {
        code: ServerCode,
        message: String,
        retryable: bool,
        /// The server's "not before" for a retry, if it gave one.
        retry_after_ms: Option<u64>,
    },
    #[error("the server sent something this app does not understand: {0}")]
    Protocol(String),
    #[error("{0}")]
    LocalData(String),
    /// The OS keyring is missing or refused; the message says what that means for the user.
    #[error("{0}")]
    Keyring(String),
    /// The server no longer accepts the kept sign-in (revoked or expired): not an outage.
    #[error("please sign in again: {0}")]
    SignInAgain(String),
    /// The app is locked; content waits for the passcode.
    #[error("Outlast is locked")]
    Locked,
}

impl CoreError {
    /// A stable machine-readable code; the UI branches on it, people read the message.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::NotSignedIn => "not_signed_in",
            CoreError::InvalidInput(_) => "invalid_input",
            CoreError::UnknownChat(_) => "unknown_chat",
            CoreError::BadCredentials => "bad_credentials",
            CoreError::InvalidServerUrl { .. } => "invalid_server_url",
            CoreError::Unreachable { .. } => "server_unreachable",
            CoreError::InsecureTransport { .. } => "insecure_transport",
            CoreError::InvalidCertificate { .. } => "invalid_certificate",
            CoreError::Server { code, .. } => code.as_str(),
            CoreError::Protocol(_) => "protocol_error",
            CoreError::LocalData(_) => "local_data_error",
            CoreError::Keyring(_) => "keyring_error",
            CoreError::SignInAgain(_) => "sign_in_required",
            CoreError::Locked => "locked",
        }
    }

    /// The server's floor for a retry.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            CoreError::Server { retry_after_ms, .. } => {
                retry_after_ms.map(std::time::Duration::from_millis)
            }
            _ => None,
        }
    }

    /// The server refused the access token (expired or revoked): a refresh may fix it.
    pub fn is_expired_session(&self) -> bool {
        matches!(
            self,
            CoreError::Server {
                code: ServerCode::Unauthorized | ServerCode::TokenExpired,
                ..
            }
        )
    }

    /// Whether trying the same thing again later can work.
    pub fn retryable(&self) -> bool {
        match self {
            CoreError::Unreachable { .. } => true,
            CoreError::Server { retryable, .. } => *retryable,
            _ => false,
        }
    }
}

impl From<crate::store::StoreError> for CoreError {
    fn from(e: crate::store::StoreError) -> Self {
        CoreError::LocalData(e.to_string())
    }
}
