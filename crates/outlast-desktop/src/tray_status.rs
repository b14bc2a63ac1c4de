//! What the tray says and shows: the unread total and the connection state in words, and the
//! icon with a badge dot when something is unread.

use outlast_core::{ConnectionState, Transport};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayStatus {
    /// The hover text.
    pub tooltip: String,
    /// The first (disabled) line of the tray menu.
    pub status_line: String,
    pub badge: bool,
}

pub fn tray_status(unread: u32, connection: &ConnectionState, locked: bool) -> TrayStatus {
    let state = match connection {
        ConnectionState::SignedOut => "Signed out",
        ConnectionState::Connected {
            transport: Transport::Gateway,
            ..
        } => "Connected",
        ConnectionState::Connected {
            transport: Transport::Rest,
            ..
        } => "Connected (limited)",
        ConnectionState::Connecting { .. } => "Connecting…",
        ConnectionState::Waiting { .. } => "Offline, will retry",
    };
    let unread_text = match unread {
        0 => "No unread messages".to_owned(),
        1 => "1 unread message".to_owned(),
        n => format!("{n} unread messages"),
    };
    let lock = if locked { " · Locked" } else { "" };
    TrayStatus {
        tooltip: format!("Outlast · {unread_text} · {state}{lock}"),
        status_line: format!("{state} · {unread_text}{lock}"),
        badge: unread > 0,
    }
}

/// Paint a red dot with a white ring in the top-right corner of an RGBA icon.
pub fn with_badge(rgba: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = rgba.to_vec();
    let size = width.min(height) as f32;
    let radius = size * 0.22;
    let ring = radius + size * 0.05;
    let (cx, cy) = (width as f32 - ring, ring);
    for y in 0..height {
        for x in 0..width {
            let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
            let colour = if d <= radius {
                [0xE5, 0x3E, 0x3E, 0xFF]
            } else if d <= ring {
                [0xFF, 0xFF, 0xFF, 0xFF]
            } else {
                continue;
            };
            let at = ((y * width + x) * 4) as usize;
            if let Some(pixel) = out.get_mut(at..at + 4) {
                pixel.copy_from_slice(&colour);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tray_says_unread_count_and_connection_state() {
        let connected = ConnectionState::Connected {
            endpoint: "wss://a".into(),
            region: "a".into(),
            transport: Transport::Gateway,
            session_id: None,
            preferred_region: true,
        };
        let status = tray_status(3, &connected, false);
        assert_eq!(status.tooltip, "Outlast · 3 unread messages · Connected");
        assert!(status.badge);
        let waiting = ConnectionState::Waiting {
            retry_in_ms: 1000,
            next_attempt_at_ms: 0,
            endpoint: None,
            region: None,
            why: "refused".into(),
        };
        let status = tray_status(0, &waiting, true);
        assert_eq!(
            status.status_line,
            "Offline, will retry · No unread messages · Locked"
        );
        assert!(!status.badge);
    }

    #[test]
    fn the_badge_marks_the_top_right_corner_only() {
        let icon = vec![0u8; 32 * 32 * 4];
        let badged = with_badge(&icon, 32, 32);
        let pixel = |x: usize, y: usize| &badged[(y * 32 + x) * 4..(y * 32 + x) * 4 + 4];
        assert_eq!(pixel(31 - 8, 8), [0xE5, 0x3E, 0x3E, 0xFF]);
        assert_eq!(pixel(2, 30), [0, 0, 0, 0]);
        assert_eq!(
            with_badge(&[1, 2, 3], 32, 32).len(),
            3,
            "a short buffer is left alone"
        );
    }
}
