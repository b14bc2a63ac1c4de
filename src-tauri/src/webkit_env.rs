//! WebKitGTK settings chosen before it starts (Linux only). Without a GPU render node, WebKit's
//! accelerated compositing runs in software: it costs about 100 MiB of memory and a slower first
//! paint for nothing (measured by `outlast-bench-launch`: 364 → 259 MiB PSS, 1,053 → 832 ms under
//! Xvfb). There, and only there, it is turned off. A value the user set is always kept.

/// Call at the very start of `main`, before any thread exists.
pub fn tune() {
    #[cfg(target_os = "linux")]
    {
        const VAR: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
        if std::env::var_os(VAR).is_none() && !has_render_node() {
            // Safe here: no other thread is running yet to read the environment.
            std::env::set_var(VAR, "1");
        }
    }
}

#[cfg(target_os = "linux")]
fn has_render_node() -> bool {
    std::fs::read_dir("/dev/dri")
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
        })
        .unwrap_or(false)
}
