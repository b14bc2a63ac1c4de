//! Which chat is on screen in a focused window: a message there needs no notification.

use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct Focus {
    inner: Mutex<State>,
}

#[derive(Default)]
struct State {
    focused_window: Option<String>,
    /// Window label -> the chat it shows.
    viewing: HashMap<String, String>,
}

impl Focus {
    pub fn window_focused(&self, label: &str, focused: bool) {
        let mut state = self.state();
        if focused {
            state.focused_window = Some(label.to_owned());
        } else if state.focused_window.as_deref() == Some(label) {
            state.focused_window = None;
        }
    }

    pub fn viewing(&self, label: &str, chat_id: Option<String>) {
        let mut state = self.state();
        match chat_id {
            Some(chat_id) => state.viewing.insert(label.to_owned(), chat_id),
            None => state.viewing.remove(label),
        };
    }

    pub fn focused_chat(&self) -> Option<String> {
        let state = self.state();
        let window = state.focused_window.as_ref()?;
        state.viewing.get(window).cloned()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}
