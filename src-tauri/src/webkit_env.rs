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
    for (var, value) in chosen(has_render_node(), |var| std::env::var_os(var).is_some()) {
        // Safe here: no other thread is running yet to read the environment.
        std::env::set_var(var, value);
    }
}

/// The variables to set: none with a render node, and never one the user has set.
#[cfg(target_os = "linux")]
fn chosen(render_node: bool, user_set: impl Fn(&str) -> bool) -> Vec<(&'static str, &'static str)> {
    if render_node {
        return Vec::new();
    }
    WITHOUT_RENDER_NODE
        .into_iter()
        .filter(|(var, _)| !user_set(var))
        .collect()
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

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn without_a_render_node_webkit_and_gtk_stay_off_the_gpu_paths() {
        let vars = chosen(false, |_| false);
        assert_eq!(vars, WITHOUT_RENDER_NODE.to_vec());
        assert!(vars.contains(&("GDK_GL", "disable")));
        assert!(vars.contains(&("WEBKIT_DISABLE_DMABUF_RENDERER", "1")));
    }

    #[test]
    fn a_value_the_user_set_is_kept() {
        let vars = chosen(false, |var| var == "WEBKIT_DISABLE_COMPOSITING_MODE");
        assert!(vars
            .iter()
            .all(|(var, _)| *var != "WEBKIT_DISABLE_COMPOSITING_MODE"));
        assert_eq!(vars.len(), WITHOUT_RENDER_NODE.len() - 1);
    }

    #[test]
    fn with_a_render_node_nothing_is_changed() {
        assert!(chosen(true, |_| false).is_empty());
    }
}
