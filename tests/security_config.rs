//! The webview's security settings, checked from the files that define them: a strict Content
//! Security Policy, and capabilities granting exactly the commands the UI calls.

use std::collections::BTreeSet;
use std::path::Path;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json(path: &str) -> serde_json::Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_content_security_policy_allows_no_inline_or_remote_script() {
    let config = json("tauri.conf.json");
    let security = &config["app"]["security"];
    let csp = &security["csp"];
    assert_eq!(csp["default-src"], "'self'");
    assert_eq!(
        csp["script-src"], "'self'",
        "no inline, eval or remote script"
    );
    assert_eq!(csp["object-src"], "'none'");
    assert_eq!(csp["base-uri"], "'none'");
    assert_eq!(csp["form-action"], "'none'");
    assert_eq!(csp["frame-ancestors"], "'none'");
    assert_eq!(
        csp["connect-src"], "ipc: http://ipc.localhost",
        "the UI talks to nothing but the app"
    );
    for (directive, value) in csp.as_object().unwrap() {
        let value = value.as_str().unwrap();
        for forbidden in ["'unsafe-eval'", "https:", "http:", "*", "wss:", "ws:"] {
            let hit = value.split_whitespace().any(|source| {
                source == forbidden
                    || (forbidden.ends_with(':')
                        && source.starts_with(forbidden)
                        && source != "http://ipc.localhost")
            });
            assert!(!hit, "{directive} allows {forbidden}: {value}");
        }
        if directive != "style-src" {
            assert!(!value.contains("'unsafe-inline'"), "{directive}: {value}");
        }
    }
    assert_eq!(security["freezePrototype"], true);
}

/// `call("name", …)` (its typed `invoke`) in the UI's only Tauri module.
fn commands_the_ui_calls() -> BTreeSet<String> {
    let backend = read("ui/src/lib/backend.ts");
    backend
        .match_indices("call(\"")
        .filter(|(at, _)| {
            // `call(` itself, not the end of a longer name.
            let before = backend[..*at].chars().next_back();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
        })
        .filter_map(|(at, found)| {
            let open = at + found.len();
            let close = backend[open..].find('"')? + open;
            Some(backend[open..close].to_owned())
        })
        .collect()
}

#[test]
fn capabilities_grant_exactly_the_commands_the_ui_uses() {
    let capability = json("src-tauri/capabilities/main.json");
    let permissions: BTreeSet<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    let ui = commands_the_ui_calls();
    assert!(ui.len() >= 6, "found the UI's commands: {ui:?}");
    let expected: BTreeSet<String> = ui
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .chain([
            "core:event:allow-listen".into(),
            "core:event:allow-unlisten".into(),
        ])
        .collect();
    assert_eq!(permissions, expected, "capabilities vs. the UI's calls");
    assert_eq!(capability["windows"], serde_json::json!(["main", "chat-*"]));

    // Every granted command is registered, and nothing is registered that is not granted.
    let lib = read("src-tauri/src/lib.rs");
    let handler = &lib[lib.find("generate_handler![").unwrap()..];
    let handler = &handler[..handler.find(']').unwrap()];
    let registered: BTreeSet<String> = handler
        .split("commands::")
        .skip(1)
        .map(|c| {
            c.split(|ch: char| !ch.is_alphanumeric() && ch != '_')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(registered, ui, "registered commands vs. the UI's calls");
}

#[test]
fn no_plugin_gives_the_ui_the_shell_the_file_system_or_the_network() {
    let manifest = read("Cargo.toml");
    for plugin in [
        "tauri-plugin-shell",
        "tauri-plugin-fs",
        "tauri-plugin-http",
        "tauri-plugin-opener",
    ] {
        assert!(!manifest.contains(plugin), "{plugin} is a dependency");
    }
    let package = json("ui/package.json");
    let dependencies = package["dependencies"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for name in dependencies.keys() {
        assert!(
            !name.starts_with("@tauri-apps/plugin-"),
            "the UI depends on {name}"
        );
    }
}
