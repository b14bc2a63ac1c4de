//! A web link from a message reaches the user's browser (a recording `$BROWSER` stands in for
//! it), exactly as checked; other schemes never start anything.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use outlast_desktop::{open_link, LinkError};

#[test]
fn a_web_link_opens_in_the_browser_and_nothing_else_does() {
    let dir = std::env::temp_dir().join(format!("outlast-links-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let record = dir.join("opened.txt");
    let browser = dir.join("browser.sh");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n",
            record.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    // This test binary has one test: setting the variable cannot race another.
    std::env::set_var("BROWSER", &browser);

    assert_eq!(open_link("javascript:alert(1)"), Err(LinkError::NotWeb));
    assert_eq!(open_link("file:///etc/passwd"), Err(LinkError::NotWeb));
    open_link("https://outlast.example/status?region=b").unwrap();

    let deadline = Instant::now() + Duration::from_secs(10);
    let opened = loop {
        if let Ok(text) = std::fs::read_to_string(&record) {
            if text.ends_with('\n') {
                break text;
            }
        }
        assert!(Instant::now() < deadline, "the browser was never started");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(opened, "https://outlast.example/status?region=b\n");
    let _ = std::fs::remove_dir_all(&dir);
}
