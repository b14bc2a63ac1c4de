//! IPC adapters: each command takes its arguments, asks the core, and maps the error. Anything
//! smarter than that belongs in `outlast-core`.

use outlast_core::{ChatMessage, ChatSummary, SessionInfo};
use tauri::State;

use crate::{AppCore, IpcError};

#[tauri::command]
pub async fn session(core: State<'_, AppCore>) -> Result<Option<SessionInfo>, IpcError> {
    let mut startup = core.startup.clone();
    // An Err means start-up is gone entirely; answer with whatever state there is.
    let _ = startup.wait_for(|done| *done).await;
    Ok(core.client.session_info())
}

#[tauri::command]
pub async fn login(
    core: State<'_, AppCore>,
    server: String,
    username: String,
    password: String,
) -> Result<SessionInfo, IpcError> {
    Ok(core.client.login(&server, &username, &password).await?)
}

#[tauri::command]
pub fn list_chats(core: State<'_, AppCore>) -> Result<Vec<ChatSummary>, IpcError> {
    Ok(core.client.chats()?)
}

#[tauri::command]
pub async fn open_chat(
    core: State<'_, AppCore>,
    chat_id: String,
) -> Result<Vec<ChatMessage>, IpcError> {
    Ok(core.client.open_chat(&chat_id).await?)
}

#[tauri::command]
pub fn send_message(
    core: State<'_, AppCore>,
    chat_id: String,
    body: String,
) -> Result<ChatMessage, IpcError> {
    Ok(core.client.send(&chat_id, &body)?)
}

#[tauri::command]
pub fn reconnect_now(core: State<'_, AppCore>) -> Result<(), IpcError> {
    Ok(core.client.reconnect_now()?)
}
