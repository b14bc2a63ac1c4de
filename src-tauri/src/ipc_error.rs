use outlast_core::CoreError;
use serde::Serialize;
use ts_rs::TS;

/// How every failed command reaches the UI: a stable code to branch on, a message for people,
/// and whether trying again later can help.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct IpcError {
    pub code: String,
    pub message: String,
    pub retryable: bool,
}

impl From<CoreError> for IpcError {
    fn from(err: CoreError) -> Self {
        IpcError {
            code: err.code().to_owned(),
            message: err.to_string(),
            retryable: err.retryable(),
        }
    }
}

impl From<outlast_desktop::DesktopError> for IpcError {
    fn from(err: outlast_desktop::DesktopError) -> Self {
        IpcError {
            code: err.code().to_owned(),
            message: err.to_string(),
            retryable: err.retryable(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_keep_code_and_retryability() {
        let ipc = IpcError::from(CoreError::Unreachable {
            server: "http://127.0.0.1:1".into(),
            reason: "refused".into(),
        });
        assert_eq!(ipc.code, "server_unreachable");
        assert!(ipc.retryable);
        let json = serde_json::to_value(IpcError::from(CoreError::NotSignedIn)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "not_signed_in", "message": "you are not signed in", "retryable": false})
        );
    }
}
