//! Links in messages open in the system browser, and only web links do: anything else a message
//! says (`file:`, `javascript:`, custom app schemes) stays text. A link that hides a different
//! host behind a user name (`https://bank.example@evil.example/`) is refused, not opened.

use thiserror::Error;
use url::Url;

/// Longest link opened; longer ones are almost certainly not meant for a person.
const MAX_LINK_LEN: usize = 2_048;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum LinkError {
    #[error("only web links (http and https) open from messages")]
    NotWeb,
    #[error("that is not a link: {0}")]
    Malformed(String),
    #[error("the link names a user before its address ({shown}), a way to disguise where it goes; copy it instead if you trust it")]
    Disguised { shown: String },
    #[error("the link is longer than {MAX_LINK_LEN} characters")]
    TooLong,
    #[error("the browser could not be opened: {0}")]
    Browser(String),
}

/// The link as it will be opened, if it may be.
pub fn checked_link(text: &str) -> Result<Url, LinkError> {
    let text = text.trim();
    if text.len() > MAX_LINK_LEN {
        return Err(LinkError::TooLong);
    }
    let url = Url::parse(text).map_err(|e| LinkError::Malformed(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(LinkError::NotWeb);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(LinkError::Malformed("it has no host".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(LinkError::Disguised {
            shown: url.host_str().unwrap_or_default().to_owned(),
        });
    }
    Ok(url)
}

/// Open a web link in the user's browser (`$BROWSER` first on Linux and BSD).
pub fn open_link(text: &str) -> Result<(), LinkError> {
    let url = checked_link(text)?;
    webbrowser::open(url.as_str()).map_err(|e| LinkError::Browser(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_links_pass_and_everything_else_stays_text() {
        assert_eq!(
            checked_link(" https://outlast.example/status?x=1 ")
                .unwrap()
                .as_str(),
            "https://outlast.example/status?x=1"
        );
        assert!(checked_link("http://127.0.0.1:7710/").is_ok());
        for other in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "ftp://files.example/",
            "outlast://open",
            "data:text/html,<script>",
        ] {
            assert_eq!(checked_link(other), Err(LinkError::NotWeb), "{other}");
        }
        assert!(matches!(
            checked_link("not a link"),
            Err(LinkError::Malformed(_))
        ));
        assert!(matches!(
            checked_link("https://bank.example@evil.example/login"),
            Err(LinkError::Disguised { shown }) if shown == "evil.example"
        ));
        let long = format!("https://a.example/{}", "x".repeat(MAX_LINK_LEN));
        assert_eq!(checked_link(&long), Err(LinkError::TooLong));
    }
}
