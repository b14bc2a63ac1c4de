// The app package lives at the repository root with its sources in src-tauri/, so tauri-build is
// told where the capabilities are. Listing the app's commands makes Tauri generate one permission
// per command, which the capability files then grant one by one (least privilege).
fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(&[
            "session",
            "sign_in_hint",
            "login",
            "sign_out",
            "list_chats",
            "open_chat",
            "send_message",
            "set_muted",
            "search",
            "retry_message",
            "retry_all",
            "delete_message",
            "set_viewing",
            "reconnect_now",
            "get_settings",
            "update_settings",
            "set_passcode",
            "remove_passcode",
            "lock_now",
            "unlock",
            "is_locked",
            "note_activity",
            "send_files",
            "pick_files",
            "save_attachment",
            "mark_read",
            "load_older",
            "fill_gap",
            "history_gaps",
            "read_marks",
            "set_pinned",
            "open_folder",
            "reset_download_folder",
            "choose_download_folder",
            "data_location",
            "server_endpoints",
            "edit_message",
            "tester_status",
            "tester_set_fault",
            "tester_play",
            "tester_stop",
            "open_link",
            "save_draft",
            "drafts",
            "chat_list_painted",
            "open_chat_window",
            "people",
            "create_chat",
        ]));
    tauri_build::try_build(attributes).expect("tauri-build failed");
}
