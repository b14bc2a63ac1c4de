//! The IPC command list, checked and handed to the UI. The commands live in two lists that must
//! agree: `tauri::generate_handler![...]` in lib.rs (what the app answers) and the manifest in
//! build.rs (what Tauri makes permissions for). This test checks they are the same set and, the
//! way ts-rs writes the IPC types during `cargo test`, writes `Command.ts` next to them: every
//! command's name, its arguments and what it resolves with, read from its signature in
//! commands.rs. `ui/src/lib/backend.ts` and the Playwright fake type their commands with it, so
//! neither can call, answer or forget a command the shell does not have; `scripts/test` fails if
//! the committed file differs from the one written here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A command's signature as commands.rs writes it.
#[derive(Debug)]
struct Signature {
    /// The arguments the UI sends (not those Tauri fills in), by their Rust names, in order.
    args: Vec<(String, Ty)>,
    /// None: the function returns `()`.
    result: Option<Ty>,
}

/// Arguments Tauri fills in itself; the UI does not send them.
const INJECTED: &[&str] = &["State", "AppHandle", "Window", "WebviewWindow", "Webview"];

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The text between `open` and the `close` that ends it (the lists hold no nested brackets).
fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).unwrap_or_else(|| panic!("no `{open}`")) + open.len();
    let end = text[start..]
        .find(close)
        .unwrap_or_else(|| panic!("no `{close}` after `{open}`"));
    &text[start..start + end]
}

/// `commands::x` entries of `generate_handler!`, in order.
fn registered(lib: &str) -> Vec<String> {
    between(lib, "generate_handler![", "]")
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let name = entry.strip_prefix("commands::").unwrap_or_else(|| {
                panic!("{entry}: every command is registered from commands.rs (its signature is read there)")
            });
            name.to_owned()
        })
        .collect()
}

/// The string literals of build.rs's `.commands(&[...])`, in order.
fn manifest(build: &str) -> Vec<String> {
    between(build, ".commands(&[", "])")
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .strip_prefix('"')
                .and_then(|e| e.strip_suffix('"'))
                .unwrap_or_else(|| panic!("{entry}: not a string literal"))
                .to_owned()
        })
        .collect()
}

fn duplicates(names: &[String]) -> Vec<&String> {
    let mut seen = BTreeSet::new();
    names.iter().filter(|n| !seen.insert(*n)).collect()
}

/// Splits at the commas outside any `<>` or `()`.
fn split_top_level(text: &str) -> Vec<&str> {
    let (mut depth, mut start, mut parts) = (0i32, 0, Vec::new());
    for (at, ch) in text.char_indices() {
        match ch {
            '<' | '(' => depth += 1,
            '>' | ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// A Rust type as written in a signature: a path with generic arguments, or a tuple.
#[derive(Debug, PartialEq)]
enum Ty {
    Path(String, Vec<Ty>),
    Tuple(Vec<Ty>),
}

fn parse_type(text: &str) -> Ty {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        return Ty::Tuple(split_top_level(inner).into_iter().map(parse_type).collect());
    }
    let (path, args) = match text.find('<') {
        Some(open) => {
            let inner = text[open + 1..]
                .strip_suffix('>')
                .unwrap_or_else(|| panic!("{text}: unbalanced <>"));
            (&text[..open], split_top_level(inner))
        }
        None => (text, Vec::new()),
    };
    let name = path.rsplit("::").next().unwrap_or(path).trim();
    assert!(
        !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_'),
        "{text}: not a type this test reads (a path, generics or a tuple)"
    );
    let args = args
        .into_iter()
        .filter(|a| !a.starts_with('\'')) // lifetimes
        .map(parse_type)
        .collect();
    Ty::Path(name.to_owned(), args)
}

/// The TypeScript type serde's JSON of `ty` has (as ts-rs writes it); named types are imported
/// from their ts-rs file, which must exist.
fn typescript(ty: &Ty, imports: &mut BTreeSet<String>, bindings: &Path) -> String {
    let (name, args) = match ty {
        Ty::Tuple(items) if items.is_empty() => return "null".into(),
        Ty::Tuple(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|t| typescript(t, imports, bindings))
                .collect();
            return format!("[{}]", items.join(", "));
        }
        Ty::Path(name, args) => (name.as_str(), args.as_slice()),
    };
    match (name, args) {
        ("Result", [ok, _]) => typescript(ok, imports, bindings),
        ("Option", [inner]) => format!("{} | null", typescript(inner, imports, bindings)),
        ("Vec", [inner]) => format!("Array<{}>", typescript(inner, imports, bindings)),
        ("String" | "PathBuf", []) => "string".into(),
        ("bool", []) => "boolean".into(),
        ("u8" | "u16" | "u32" | "usize" | "i8" | "i16" | "i32" | "isize" | "f32" | "f64", []) => {
            "number".into()
        }
        (name, []) if name.starts_with(char::is_uppercase) => {
            assert!(
                bindings.join(format!("{name}.ts")).is_file(),
                "{name} crosses IPC but has no ts-rs binding (derive TS with #[ts(export)])"
            );
            imports.insert(name.to_owned());
            name.to_owned()
        }
        _ => panic!("{ty:?}: no TypeScript mapping here; add one to command_bindings.rs"),
    }
}

/// Tauri's default for argument names: `chat_id` is sent as `chatId`.
fn camel_case(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for ch in snake.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// Every `#[tauri::command]` function of commands.rs, by name.
fn signatures(source: &str) -> BTreeMap<String, Signature> {
    const ATTRIBUTE: &str = "#[tauri::command";
    let mut found = BTreeMap::new();
    for (at, _) in source.match_indices(ATTRIBUTE) {
        let rest = &source[at..];
        assert!(
            rest.starts_with("#[tauri::command]"),
            "a command attribute with options (e.g. rename_all) changes its argument names: {}",
            rest.lines().next().unwrap_or_default()
        );
        let rest = &rest[rest
            .find("fn ")
            .expect("a function after #[tauri::command]")
            + 3..];
        let name_end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap();
        let name = &rest[..name_end];
        // The parameters: from the first `(` to its matching `)`.
        let open = rest.find('(').unwrap();
        let mut depth = 0;
        let close = rest[open..]
            .char_indices()
            .find_map(|(i, ch)| {
                match ch {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                (depth == 0).then_some(open + i)
            })
            .unwrap_or_else(|| panic!("{name}: unbalanced parameters"));
        let args = split_top_level(&rest[open + 1..close])
            .into_iter()
            .map(|param| {
                let (arg, ty) = param
                    .split_once(':')
                    .unwrap_or_else(|| panic!("{name}: {param}"));
                let arg = arg.trim().trim_start_matches("mut ").trim();
                (arg.to_owned(), parse_type(ty))
            })
            .filter(|(_, ty)| !matches!(ty, Ty::Path(n, _) if INJECTED.contains(&n.as_str())))
            .collect();
        // The result: after `->`, up to the body (or a where clause).
        let tail = &rest[close + 1..rest.find('{').unwrap()];
        let tail = tail.split(" where").next().unwrap().trim();
        let result = tail.strip_prefix("->").map(parse_type);
        found.insert(name.to_owned(), Signature { args, result });
    }
    found
}

/// `Command.ts` for these commands: the same bytes for the same signatures (sorted by name).
fn command_ts(commands: &BTreeMap<String, Signature>, bindings: &Path) -> String {
    let mut imports = BTreeSet::new();
    let mut args_ts = String::new();
    let mut result_ts = String::new();
    for (name, signature) in commands {
        let args: Vec<String> = signature
            .args
            .iter()
            .map(|(arg, ty)| {
                // Tauri lets an Option argument be left out.
                let optional = matches!(ty, Ty::Path(n, _) if n == "Option");
                let ty = typescript(ty, &mut imports, bindings);
                format!(
                    "{}{}: {ty}",
                    camel_case(arg),
                    if optional { "?" } else { "" }
                )
            })
            .collect();
        let args = if args.is_empty() {
            "Record<string, never>".to_owned()
        } else {
            format!("{{ {} }}", args.join("; "))
        };
        args_ts += &format!("  {name}: {args};\n");
        let result = match &signature.result {
            Some(ty) => typescript(ty, &mut imports, bindings),
            None => "null".into(),
        };
        result_ts += &format!("  {name}: {result};\n");
    }

    let mut ts = String::from(
        "// This file was generated by `cargo test` (src-tauri/src/command_bindings.rs) from the commands\n\
         // registered in src-tauri/src/lib.rs and their signatures in src-tauri/src/commands.rs.\n\
         // Do not edit this file manually.\n",
    );
    for name in &imports {
        ts += &format!("import type {{ {name} }} from \"./{name}\";\n");
    }
    ts += "\n/**\n * Every IPC command the shell registers.\n */\nexport type Command =";
    for name in commands.keys() {
        ts += &format!("\n  | \"{name}\"");
    }
    ts += ";\n\n/**\n * Each command's arguments, as `invoke` sends them (camelCase names).\n */\n";
    ts += &format!("export type CommandArgs = {{\n{args_ts}}};\n");
    ts +=
        "\n/**\n * What each command resolves with (a failure rejects with an `IpcError`).\n */\n";
    ts += &format!("export type CommandResult = {{\n{result_ts}}};\n");
    ts
}

/// Where ts-rs writes the IPC types (`TS_RS_EXPORT_DIR`, set in .cargo/config.toml).
fn bindings_dir() -> PathBuf {
    std::env::var_os("TS_RS_EXPORT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/lib/bindings"))
}

#[test]
fn registered_commands_match_the_manifest_and_are_exported_for_the_ui() {
    let registered = registered(&read("src-tauri/src/lib.rs"));
    let manifest = manifest(&read("src-tauri/build.rs"));
    assert!(
        registered.len() >= 6,
        "found the registered commands: {registered:?}"
    );
    assert_eq!(
        duplicates(&registered),
        Vec::<&String>::new(),
        "registered twice"
    );
    assert_eq!(
        duplicates(&manifest),
        Vec::<&String>::new(),
        "listed twice in build.rs"
    );
    let in_handler: BTreeSet<&String> = registered.iter().collect();
    let in_manifest: BTreeSet<&String> = manifest.iter().collect();
    assert_eq!(
        in_handler.difference(&in_manifest).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "registered in lib.rs (generate_handler!) but not listed in build.rs: no permission is made for them"
    );
    assert_eq!(
        in_manifest.difference(&in_handler).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "listed in build.rs but not registered in lib.rs: the app does not answer them"
    );

    let mut all = signatures(&read("src-tauri/src/commands.rs"));
    let commands: BTreeMap<String, Signature> = registered
        .iter()
        .map(|name| {
            let signature = all
                .remove(name)
                .unwrap_or_else(|| panic!("{name}: no #[tauri::command] fn {name} in commands.rs"));
            (name.clone(), signature)
        })
        .collect();

    let bindings = bindings_dir();
    let ts = command_ts(&commands, &bindings);
    let path = bindings.join("Command.ts");
    // Written only when it changed, like a build step (no needless reloads of the UI's dev server).
    if std::fs::read_to_string(&path).ok().as_deref() != Some(ts.as_str()) {
        std::fs::write(&path, ts).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

#[test]
fn signatures_are_read_the_way_tauri_and_serde_see_them() {
    let source = r#"
/// Doc.
#[tauri::command]
pub async fn open_thing<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, AppCore>,
    chat_id: String,
    mut paths: Option<Vec<std::path::PathBuf>>,
) -> Result<Vec<(String, usize)>, IpcError> {
    Ok(Vec::new())
}

#[tauri::command]
pub fn nothing(core: State<'_, AppCore>) {}
"#;
    let ts = command_ts(&signatures(source), Path::new("/nonexistent"));
    assert!(
        ts.contains("export type Command =\n  | \"nothing\"\n  | \"open_thing\";\n"),
        "{ts}"
    );
    assert!(ts.contains("  nothing: Record<string, never>;\n"), "{ts}");
    assert!(
        ts.contains("  open_thing: { chatId: string; paths?: Array<string> | null };\n"),
        "{ts}"
    );
    assert!(ts.contains("  nothing: null;\n"), "{ts}");
    assert!(
        ts.contains("  open_thing: Array<[string, number]>;\n"),
        "{ts}"
    );
    assert!(!ts.contains("import"), "{ts}");
}
