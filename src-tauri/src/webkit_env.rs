//! WebKitGTK and GTK settings chosen before they start (Linux only), for machines without a GPU
//! render node (virtual machines, remote desktops, CI). There every GL call lands in Mesa's
//! software rasteriser, llvmpipe, and merely loading it maps LLVM: about 20 MiB in each process
//! that does. Figures from `outlast-bench-launch` (all the app's processes, PSS):
//!
//! - WebKit's accelerated compositing runs in software there and costs about 100 MiB and a
//!   slower first paint for nothing (364 → 259 MiB, 1,053 → 832 ms under Xvfb): off.
//! - Its DMA-BUF renderer, which hands GPU buffers from the web process to the window, has
//!   nothing to hand: off (257 → 247 MiB).
//! - The window's process still loaded llvmpipe twice, for two questions with no answer there:
//!   GTK probing GLX for a visual to draw GL with (this window never draws GL), and WebKit asking
//!   EGL which render node the web process should use. `GDK_GL=disable` skips the first;
//!   naming the (absent) render node skips the second. Without LLVM the shell went from 94 to
//!   70 MiB and all processes from 255 to 237 MiB; the first paint came sooner (488 → 400–455 ms).
//!   The web process still loads llvmpipe: WebKitGTK needs an EGL display there to paint.
//!
//! A value the user set is always kept; with a render node nothing is changed.

#[cfg(target_os = "linux")]
const WITHOUT_RENDER_NODE: [(&str, &str); 4] = [
    ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
    ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
    // Read only to pick the web process's GBM device, which the DMA-BUF renderer (off, above)
    // alone uses: the file is never opened.
    ("WEBKIT_WEB_RENDER_DEVICE_FILE", "/dev/null"),
    ("GDK_GL", "disable"),
];

/// Call at the very start of `main`, before any thread exists.
pub fn tune() {
    #[cfg(target_os = "linux")]
    if !has_render_node() {
        for (var, value) in WITHOUT_RENDER_NODE {
            if std::env::var_os(var).is_none() {
                // Safe here: no other thread is running yet to read the environment.
                std::env::set_var(var, value);
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
