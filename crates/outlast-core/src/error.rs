use outlast_protocol::{ErrorCode, ValidationError};
use thiserror::Error;

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
    #[error("the server refused the request ({code}): {message}")]
    Server {
        code: ErrorCode,
        message: String,
        retryable: bool,
    },
    #[error("the server sent something this app does not understand: {0}")]
    Protocol(String),
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
            CoreError::Server { code, .. } => code.as_str(),
            CoreError::Protocol(_) => "protocol_error",
        }
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

impl From<ValidationError> for CoreError {
    fn from(e: ValidationError) -> Self {
        CoreError::InvalidInput(e.to_string())
    }
}
