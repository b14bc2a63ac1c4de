//! IPC adapters: each command takes its arguments, asks the core or the desktop state, and maps
//! the error. Anything smarter than that belongs in `outlast-core` or `outlast-desktop`.

use outlast_core::store::SearchHit;
use outlast_core::{
    ChatMessage, ChatSummary, CoreError, ExportLanguage, ExportedChat, MemberRead,
    MessageAttachment, OlderPage, Person, ServerEndpoints, SessionInfo,
};
use outlast_desktop::data_location::{self, DataLocation, FolderKind};
use outlast_desktop::{SettingsEdit, SettingsView};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State, WebviewWindow};
use ts_rs::TS;

use crate::{AppCore, IpcError};

/// What the sign-in screen can fill in, and why a new sign-in is needed, if it is known.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SignInHint {
    pub server: Option<String>,
    pub username: Option<String>,
    /// E.g. no keyring was available, or the server ended the kept sign-in.
    pub notice: Option<String>,
}

impl AppCore {
    /// Content waits behind the lock.
    fn unlocked(&self) -> Result<(), IpcError> {
        if self.desktop.lock().is_locked() {
            return Err(CoreError::Locked.into());
        }
        Ok(())
    }
}

#[tauri::command]
pub async fn session(core: State<'_, AppCore>) -> Result<Option<SessionInfo>, IpcError> {
    let mut startup = core.startup.clone();
    // An Err means start-up is gone entirely; answer with whatever state there is.
    let _ = startup.wait_for(|done| *done).await;
    Ok(core.client.session_info())
}

#[tauri::command]
pub fn sign_in_hint(core: State<'_, AppCore>) -> SignInHint {
    let account = core.client.remembered_account();
    SignInHint {
        server: account.as_ref().map(|a| a.server.clone()),
        username: account.map(|a| a.username),
        notice: core
            .startup_notice
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone(),
    }
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
pub async fn sign_out(core: State<'_, AppCore>) -> Result<(), IpcError> {
    core.file_grants.clear();
    Ok(core.client.sign_out().await?)
}

#[tauri::command]
pub fn list_chats(core: State<'_, AppCore>) -> Result<Vec<ChatSummary>, IpcError> {
    core.unlocked()?;
    Ok(core.client.chats()?)
}

#[tauri::command]
pub async fn open_chat(
    core: State<'_, AppCore>,
    chat_id: String,
) -> Result<Vec<ChatMessage>, IpcError> {
    core.unlocked()?;
    Ok(core.client.open_chat(&chat_id).await?)
}

#[tauri::command]
pub fn send_message(
    core: State<'_, AppCore>,
    chat_id: String,
    body: String,
) -> Result<ChatMessage, IpcError> {
    core.unlocked()?;
    Ok(core.client.send(&chat_id, &body)?)
}

/// Send files (paths picked or dropped by the user) with an optional caption.
#[tauri::command]
pub async fn send_files(
    core: State<'_, AppCore>,
    chat_id: String,
    body: String,
    paths: Vec<std::path::PathBuf>,
) -> Result<ChatMessage, IpcError> {
    core.unlocked()?;
    let not_granted = |path: std::path::PathBuf| {
        CoreError::InvalidInput(format!(
            "{} was not picked or dropped here; choose it with Attach or drop it on the window",
            path.display()
        ))
    };
    core.file_grants.check(&paths).map_err(not_granted)?;
    let message = core.client.send_files(&chat_id, &body, &paths).await?;
    // Used once sent: a refused request (too big, too many) keeps them for another try.
    core.file_grants.take(&paths).map_err(not_granted)?;
    Ok(message)
}

/// The system file chooser, for attaching files; `[]` when the user cancels. What the user picks
/// may then be sent (and nothing else).
#[tauri::command]
pub async fn pick_files<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, AppCore>,
) -> Result<Vec<std::path::PathBuf>, IpcError> {
    use tauri_plugin_dialog::DialogExt;
    core.unlocked()?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog().file().pick_files(move |picked| {
        let _ = tx.send(picked);
    });
    let picked: Vec<std::path::PathBuf> = rx
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.into_path().ok())
        .collect();
    core.file_grants.grant(&picked);
    Ok(picked)
}

/// Save a received file into the user's Downloads folder; where it went.
#[tauri::command]
pub async fn save_attachment<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, AppCore>,
    attachment: MessageAttachment,
) -> Result<String, IpcError> {
    use tauri::Manager;
    core.unlocked()?;
    let folder = data_location::download_folder(
        core.desktop.chosen_download_folder().as_deref(),
        app.path().download_dir().ok(),
    )
    .ok_or_else(|| CoreError::InvalidInput("there is no Downloads folder".into()))?;
    let saved = core.client.save_attachment(&attachment, &folder).await?;
    Ok(saved.display().to_string())
}

/// Rename a group chat (shown at once, kept, sent when the server can be asked).
#[tauri::command]
pub fn rename_chat(
    core: State<'_, AppCore>,
    chat_id: String,
    title: String,
) -> Result<ChatSummary, IpcError> {
    core.unlocked()?;
    Ok(core.client.rename_chat(&chat_id, &title)?)
}

/// Forward a message to other chats (its text queued like anything written; its files fetched
/// and sent again); the new messages.
#[tauri::command]
pub async fn forward_message(
    core: State<'_, AppCore>,
    message: ChatMessage,
    chat_ids: Vec<String>,
) -> Result<Vec<ChatMessage>, IpcError> {
    core.unlocked()?;
    Ok(core.client.forward(&message, &chat_ids).await?)
}

/// Save a chat as a text file into the user's Downloads folder (KakaoTalk's style, from the
/// local cache: offline too); where it went and what it holds.
#[tauri::command]
pub async fn export_chat<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, AppCore>,
    chat_id: String,
    language: ExportLanguage,
) -> Result<ExportedChat, IpcError> {
    use tauri::Manager;
    core.unlocked()?;
    let folder = data_location::download_folder(
        core.desktop.chosen_download_folder().as_deref(),
        app.path().download_dir().ok(),
    )
    .ok_or_else(|| CoreError::InvalidInput("there is no Downloads folder".into()))?;
    Ok(core.client.export_chat(&chat_id, &folder, language).await?)
}

/// The signed-in server and every endpoint this session may use.
#[tauri::command]
pub fn server_endpoints(core: State<'_, AppCore>) -> Result<ServerEndpoints, IpcError> {
    core.unlocked()?;
    Ok(core.client.server_endpoints()?)
}

/// Where data and saved files are kept, and the space the data takes.
#[tauri::command]
pub async fn data_location<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, AppCore>,
) -> Result<DataLocation, IpcError> {
    core.unlocked()?;
    describe_data(&app, &core).await
}

/// Lets the user pick the folder for saved files (the system chooser); unchanged if cancelled.
#[tauri::command]
pub async fn choose_download_folder<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, AppCore>,
) -> Result<DataLocation, IpcError> {
    use tauri_plugin_dialog::DialogExt;
    core.unlocked()?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog().file().pick_folder(move |picked| {
        let _ = tx.send(picked);
    });
    if let Some(folder) = rx.await.ok().flatten().and_then(|p| p.into_path().ok()) {
        core.desktop.set_download_folder(Some(&folder))?;
    }
    describe_data(&app, &core).await
}

/// Saved files go to the system's Downloads folder again.
#[tauri::command]
pub async fn reset_download_folder<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, AppCore>,
) -> Result<DataLocation, IpcError> {
    core.unlocked()?;
    core.desktop.set_download_folder(None)?;
    describe_data(&app, &core).await
}

/// Shows the data folder or the saved-files folder in the file manager.
#[tauri::command]
pub fn open_folder<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, AppCore>,
    which: FolderKind,
) -> Result<(), IpcError> {
    use tauri::Manager;
    core.unlocked()?;
    let folder = match which {
        FolderKind::Data => app.path().app_data_dir().ok(),
        FolderKind::Downloads => data_location::download_folder(
            core.desktop.chosen_download_folder().as_deref(),
            app.path().download_dir().ok(),
        ),
    }
    .ok_or_else(|| CoreError::InvalidInput("this folder is not known on this system".into()))?;
    Ok(data_location::open_folder(&folder)?)
}

async fn describe_data<R: Runtime>(
    app: &AppHandle<R>,
    core: &AppCore,
) -> Result<DataLocation, IpcError> {
    use tauri::Manager;
    let data = app
        .path()
        .app_data_dir()
        .map_err(|e| CoreError::InvalidInput(format!("there is no data folder: {e}")))?;
    let chosen = core.desktop.chosen_download_folder();
    let system = app.path().download_dir().ok();
    // Measuring walks the folder: off the async threads.
    tokio::task::spawn_blocking(move || data_location::describe(&data, chosen.as_deref(), system))
        .await
        .map_err(|e| IpcError::from(CoreError::InvalidInput(e.to_string())))
}

/// The chat is on screen in a focused window: everything in it is read.
#[tauri::command]
pub fn mark_read(core: State<'_, AppCore>, chat_id: String) -> Result<ChatSummary, IpcError> {
    core.unlocked()?;
    Ok(core.client.mark_read(&chat_id)?)
}

/// Older messages, for scrolling back (cache first, the server past a gap).
#[tauri::command]
pub async fn load_older(core: State<'_, AppCore>, chat_id: String) -> Result<OlderPage, IpcError> {
    core.unlocked()?;
    Ok(core.client.load_older(&chat_id).await?)
}

/// Fetch the messages missing above `above` (a gap shown during an outage).
#[tauri::command]
pub async fn fill_gap(
    core: State<'_, AppCore>,
    chat_id: String,
    above: String,
) -> Result<Vec<ChatMessage>, IpcError> {
    core.unlocked()?;
    Ok(core.client.fill_gap(&chat_id, &above).await?)
}

/// The chat's other members and how far each has read it (per-message read counts).
#[tauri::command]
pub fn read_marks(core: State<'_, AppCore>, chat_id: String) -> Result<Vec<MemberRead>, IpcError> {
    core.unlocked()?;
    Ok(core.client.read_marks(&chat_id)?)
}

/// Messages above which history may still be missing.
#[tauri::command]
pub fn history_gaps(core: State<'_, AppCore>, chat_id: String) -> Result<Vec<String>, IpcError> {
    core.unlocked()?;
    Ok(core.client.history_gaps(&chat_id)?)
}

#[tauri::command]
pub fn set_muted(
    core: State<'_, AppCore>,
    chat_id: String,
    muted: bool,
) -> Result<ChatSummary, IpcError> {
    core.unlocked()?;
    Ok(core.client.set_muted(&chat_id, muted)?)
}

/// Keep a chat at the top of the chat list or not; the updated summary.
#[tauri::command]
pub fn set_pinned(
    core: State<'_, AppCore>,
    chat_id: String,
    pinned: bool,
) -> Result<ChatSummary, IpcError> {
    core.unlocked()?;
    Ok(core.client.set_pinned(&chat_id, pinned)?)
}

/// Search the cached messages (works offline), newest first: every chat's, or one chat's.
#[tauri::command]
pub fn search(
    core: State<'_, AppCore>,
    query: String,
    chat_id: Option<String>,
) -> Result<Vec<SearchHit>, IpcError> {
    core.unlocked()?;
    Ok(core.client.search_in(&query, chat_id.as_deref())?)
}

/// Send a message that failed for good again (same client id).
#[tauri::command]
pub fn retry_message(core: State<'_, AppCore>, client_msg_id: String) -> Result<(), IpcError> {
    core.unlocked()?;
    Ok(core.client.retry(&client_msg_id)?)
}

/// Change the text of a message the server refused and send it again.
#[tauri::command]
pub fn edit_message(
    core: State<'_, AppCore>,
    client_msg_id: String,
    body: String,
) -> Result<(), IpcError> {
    core.unlocked()?;
    Ok(core.client.edit_and_retry(&client_msg_id, &body)?)
}

/// Retry every failed message of one chat, or of all (`chat_id` null); how many.
#[tauri::command]
pub fn retry_all(core: State<'_, AppCore>, chat_id: Option<String>) -> Result<usize, IpcError> {
    core.unlocked()?;
    Ok(core.client.retry_all(chat_id.as_deref())?)
}

/// Delete a message that was never sent.
#[tauri::command]
pub fn delete_message(core: State<'_, AppCore>, client_msg_id: String) -> Result<(), IpcError> {
    core.unlocked()?;
    Ok(core.client.delete_unsent(&client_msg_id)?)
}

/// The chat this window shows (`None`: none); its messages need no notification while focused.
#[tauri::command]
pub fn set_viewing<R: Runtime>(
    core: State<'_, AppCore>,
    window: WebviewWindow<R>,
    chat_id: Option<String>,
) {
    core.focus.viewing(window.label(), chat_id);
}

/// People the user can start a chat with (members of their chats).
#[tauri::command]
pub fn people(core: State<'_, AppCore>) -> Result<Vec<Person>, IpcError> {
    core.unlocked()?;
    Ok(core.client.people()?)
}

/// Start a chat: listed at once, made on the server as soon as it can be asked.
#[tauri::command]
pub async fn create_chat(
    core: State<'_, AppCore>,
    title: String,
    member_ids: Vec<String>,
) -> Result<ChatSummary, IpcError> {
    core.unlocked()?;
    Ok(core.client.create_chat(&title, &member_ids).await?)
}

/// Ask the server again to make a chat it refused.
#[tauri::command]
pub fn retry_chat(core: State<'_, AppCore>, chat_id: String) -> Result<ChatSummary, IpcError> {
    core.unlocked()?;
    Ok(core.client.retry_chat(&chat_id)?)
}

/// Delete a chat the server has not made, with what was written in it.
#[tauri::command]
pub fn delete_unmade_chat(core: State<'_, AppCore>, chat_id: String) -> Result<(), IpcError> {
    core.unlocked()?;
    Ok(core.client.delete_unmade_chat(&chat_id)?)
}

/// Open a chat in a window of its own (double-click in the chat list).
#[tauri::command]
pub fn open_chat_window<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, AppCore>,
    chat_id: String,
) -> Result<(), IpcError> {
    core.unlocked()?;
    let chat = core
        .client
        .chat(&chat_id)
        .ok_or_else(|| CoreError::UnknownChat(chat_id.clone()))?;
    crate::windows::open_chat_window(&app, &chat.chat_id, &chat.title).map_err(|e| {
        IpcError::from(CoreError::InvalidInput(format!(
            "the window could not open: {e}"
        )))
    })
}

/// The UI painted the chat list for the first time (start-up time is measured to here).
#[tauri::command]
pub fn chat_list_painted(chats: usize) {
    crate::launch_report::chat_list_painted(chats);
}

/// Open a link from a message in the system browser (web links only).
#[tauri::command]
pub fn open_link(url: String) -> Result<(), IpcError> {
    outlast_desktop::open_link(&url)
        .map_err(|e| IpcError::from(CoreError::InvalidInput(e.to_string())))
}

/// Keep what is typed in a chat's composer (empty: none), across chat switches and restarts.
#[tauri::command]
pub fn save_draft(core: State<'_, AppCore>, chat_id: String, body: String) -> Result<(), IpcError> {
    core.unlocked()?;
    Ok(core.client.save_draft(&chat_id, &body)?)
}

/// Every chat's draft, as `[chat_id, text]` pairs.
#[tauri::command]
pub fn drafts(core: State<'_, AppCore>) -> Result<Vec<(String, String)>, IpcError> {
    core.unlocked()?;
    Ok(core.client.drafts()?)
}

/// Mock mode only: the embedded backend's listeners, scenarios and what is playing.
#[tauri::command]
pub fn tester_status<R: Runtime>(
    app: AppHandle<R>,
) -> Result<crate::tester::TesterStatus, IpcError> {
    crate::tester::status(&app)
}

/// Mock mode only: switch a listener, region (`region:a`), service (`service:api`) or `all`.
#[tauri::command]
pub fn tester_set_fault<R: Runtime>(
    app: AppHandle<R>,
    target: String,
    fault: String,
) -> Result<crate::tester::TesterStatus, IpcError> {
    crate::tester::set_fault(&app, &target, &fault)
}

/// Mock mode only: play a shipped scenario, `time_scale` scenario seconds per second.
#[tauri::command]
pub fn tester_play<R: Runtime>(
    app: AppHandle<R>,
    name: String,
    time_scale: f64,
) -> Result<crate::tester::TesterStatus, IpcError> {
    crate::tester::play(&app, &name, time_scale)
}

/// Mock mode only: stop the scenario (faults stay as they are).
#[tauri::command]
pub fn tester_stop<R: Runtime>(app: AppHandle<R>) -> Result<crate::tester::TesterStatus, IpcError> {
    crate::tester::stop(&app)
}

#[tauri::command]
pub fn reconnect_now(core: State<'_, AppCore>) -> Result<(), IpcError> {
    Ok(core.client.reconnect_now()?)
}

#[tauri::command]
pub fn get_settings(core: State<'_, AppCore>) -> SettingsView {
    core.desktop.view()
}

#[tauri::command]
pub fn update_settings<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, AppCore>,
    settings: SettingsEdit,
) -> Result<SettingsView, IpcError> {
    let view = core.desktop.update(settings)?;
    crate::windows::apply_zoom(&app, view.text_zoom);
    crate::start_at_login::apply(&app, view.start_at_login)?;
    Ok(view)
}

#[tauri::command]
pub fn set_passcode(
    core: State<'_, AppCore>,
    current: Option<String>,
    passcode: String,
) -> Result<(), IpcError> {
    Ok(core.desktop.set_passcode(current.as_deref(), &passcode)?)
}

#[tauri::command]
pub fn remove_passcode(core: State<'_, AppCore>, current: String) -> Result<(), IpcError> {
    Ok(core.desktop.remove_passcode(&current)?)
}

#[tauri::command]
pub fn lock_now(core: State<'_, AppCore>) -> Result<(), IpcError> {
    Ok(core.desktop.lock_now()?)
}

#[tauri::command]
pub fn unlock(core: State<'_, AppCore>, passcode: String) -> Result<(), IpcError> {
    Ok(core.desktop.unlock(&passcode)?)
}

#[tauri::command]
pub fn is_locked(core: State<'_, AppCore>) -> bool {
    core.desktop.lock().is_locked()
}

/// The user typed or clicked: the idle lock starts counting again.
#[tauri::command]
pub fn note_activity(core: State<'_, AppCore>) {
    core.desktop.lock().note_activity();
}
