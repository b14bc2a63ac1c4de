use serde::{Deserialize, Serialize};

/// A credential string whose `Debug` never shows the value, so a secret inside any frame, request
/// or state that gets logged stays out of the log. The wire (serde) carries the value as is.
macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                $name(value.into())
            }

            /// The raw value, for the places that must put it on the wire or in the keyring.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}(<redacted>)", stringify!($name))
            }
        }
    };
}

secret_string!(
    /// A short-lived bearer access token.
    AccessToken
);

secret_string!(
    /// A long-lived refresh token; it belongs in the OS keyring only.
    RefreshToken
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value_but_the_wire_carries_it() {
        let token = AccessToken::new("s3cr3t-value");
        assert!(!format!("{token:?}").contains("s3cr3t"));
        assert_eq!(serde_json::to_string(&token).unwrap(), "\"s3cr3t-value\"");
        assert_eq!(
            format!("{:?}", RefreshToken::new("r-1")),
            "RefreshToken(<redacted>)"
        );
    }
}
