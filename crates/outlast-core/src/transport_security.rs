//! Which connections the client may make: encrypted (https, wss) to anywhere, plain (http, ws)
//! only to this computer (the mock backend, development servers). A network that downgrades or
//! a server that names plain endpoints gets a clear refusal, never a silent plain-text session.

use reqwest::Url;

use crate::CoreError;

/// Whether `url` may be used; `what` names it for the error ("the server", "gateway gw-a1").
pub(crate) fn check(url: &Url, what: &str) -> Result<(), CoreError> {
    match url.scheme() {
        "https" | "wss" => Ok(()),
        "http" | "ws" if is_loopback(url) => Ok(()),
        "http" | "ws" => Err(CoreError::InsecureTransport {
            url: url.as_str().trim_end_matches('/').to_owned(),
            what: what.to_owned(),
        }),
        other => Err(CoreError::InvalidServerUrl {
            url: url.as_str().to_owned(),
            reason: format!("{what} uses the unsupported scheme {other:?}"),
        }),
    }
}

/// Whether a gateway URL from the server's configuration may be used.
pub(crate) fn gateway(url: &str, id: &str) -> Result<(), CoreError> {
    let what = format!("gateway {id}");
    let parsed = Url::parse(url).map_err(|e| CoreError::InvalidServerUrl {
        url: url.to_owned(),
        reason: format!("{what}: {e}"),
    })?;
    if !matches!(parsed.scheme(), "ws" | "wss") {
        return Err(CoreError::InvalidServerUrl {
            url: url.to_owned(),
            reason: format!("{what} is not a WebSocket URL"),
        });
    }
    check(&parsed, &what)
}

/// The default scheme for an address typed without one: plain for this computer, else https.
pub(crate) fn default_scheme(host_and_port: &str) -> &'static str {
    match Url::parse(&format!("http://{host_and_port}")) {
        Ok(url) if is_loopback(&url) => "http",
        _ => "https",
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(url: &str) -> bool {
        check(&Url::parse(url).unwrap(), "the server").is_ok()
    }

    #[test]
    fn plain_text_only_on_this_computer() {
        for ok in [
            "https://chat.example.com/",
            "wss://gw.example.com/gateway",
            "http://127.0.0.1:7710/",
            "ws://127.0.0.1:7714/gateway",
            "http://127.5.6.7/",
            "http://localhost:7710/",
            "ws://[::1]:7714/gateway",
        ] {
            assert!(allowed(ok), "{ok}");
        }
        for refused in [
            "http://chat.example.com/",
            "ws://gw.example.com/gateway",
            "http://192.168.1.10:7710/",
            "http://localhost.example.com/",
            "ws://[2001:db8::1]/gateway",
        ] {
            assert!(!allowed(refused), "{refused}");
        }
        let err = check(
            &Url::parse("ws://gw.example.com/g").unwrap(),
            "gateway gw-a1",
        )
        .unwrap_err();
        assert_eq!((err.code(), err.retryable()), ("insecure_transport", false));
        assert!(err.to_string().contains("gateway gw-a1"), "{err}");
    }

    #[test]
    fn gateways_must_be_websockets_and_encrypted_off_this_computer() {
        assert!(gateway("wss://gw.example.com/g", "gw-a1").is_ok());
        assert!(gateway("ws://127.0.0.1:7714/gateway", "gw-a1").is_ok());
        assert_eq!(
            gateway("ws://gw.example.com/g", "gw-a1")
                .unwrap_err()
                .code(),
            "insecure_transport"
        );
        assert_eq!(
            gateway("https://gw.example.com/g", "gw-a1")
                .unwrap_err()
                .code(),
            "invalid_server_url"
        );
        assert_eq!(
            gateway("not a url", "gw-a1").unwrap_err().code(),
            "invalid_server_url"
        );
    }

    #[test]
    fn addresses_without_a_scheme_default_to_https_unless_local() {
        assert_eq!(default_scheme("127.0.0.1:7710"), "http");
        assert_eq!(default_scheme("localhost:7710"), "http");
        assert_eq!(default_scheme("chat.example.com"), "https");
        assert_eq!(default_scheme("10.0.0.5:443"), "https");
    }
}
