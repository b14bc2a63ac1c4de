//! WebKitGTK settings chosen before it starts (Linux only). Without a GPU render node, WebKit's
//! accelerated compositing runs in software: it costs about 100 MiB of memory and a slower first
//! paint for nothing (measured by `outlast-bench-launch`: 364 → 259 MiB PSS, 1,053 → 832 ms under
//! Xvfb). Its DMA-BUF renderer, which hands GPU buffers from the web process to the window, has
//! nothing to hand there either and keeps Mesa busy in the shell: off too (257 → 247 MiB, start-up
//! unchanged). There, and only there, they are turned off. A value the user set is always kept.

/// Call at the very start of `main`, before any thread exists.
pub fn tune() {
    #[cfg(target_os = "linux")]
    if !has_render_node() {
        for var in [
            "WEBKIT_DISABLE_COMPOSITING_MODE",
            "WEBKIT_DISABLE_DMABUF_RENDERER",
        ] {
            if std::env::var_os(var).is_none() {
                // Safe here: no other thread is running yet to read the environment.
                std::env::set_var(var, "1");
            }
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
