// The only module that talks to the Tauri core. Everything else in the UI
// goes through these typed functions.
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { getCurrentWebview, type DragDropEvent } from "@tauri-apps/api/webview";

import type { ChatMessage } from "./bindings/ChatMessage";
import type { ChatSummary } from "./bindings/ChatSummary";
import type { Command, CommandArgs, CommandResult } from "./bindings/Command";
import type { CoreEvent } from "./bindings/CoreEvent";
import type { IpcError } from "./bindings/IpcError";
import type { MessageAttachment } from "./bindings/MessageAttachment";
import type { OlderPage } from "./bindings/OlderPage";
import type { DataLocation } from "./bindings/DataLocation";
import type { ExportedChat } from "./bindings/ExportedChat";
import type { ExportLanguage } from "./bindings/ExportLanguage";
import type { FolderKind } from "./bindings/FolderKind";
import type { MemberRead } from "./bindings/MemberRead";
import type { ServerEndpoints } from "./bindings/ServerEndpoints";
import type { Person } from "./bindings/Person";
import type { SearchHit } from "./bindings/SearchHit";
import type { SessionInfo } from "./bindings/SessionInfo";
import type { SettingsEdit } from "./bindings/SettingsEdit";
import type { SettingsView } from "./bindings/SettingsView";
import type { SignInHint } from "./bindings/SignInHint";
import type { TesterStatus } from "./bindings/TesterStatus";
import { i18n } from "./locale.svelte";

/** Name of the single Tauri event carrying every `CoreEvent`. */
export const CORE_EVENT = "core-event";
/** The shell locked (true) or unlocked (false) the app. */
export const LOCK_CHANGED = "lock-changed";
/** A notification was clicked: its payload is the chat to open. */
export const OPEN_CHAT = "open-chat";
/** The UI missed core events (a burst outran it); reload what is shown. */
export const RESYNC = "core-resync";

declare global {
  interface Window {
    __TAURI_INTERNALS__?: unknown;
  }
}

/** True when running inside the Tauri webview (or a test fake of it). */
export function hasCore(): boolean {
  return typeof window !== "undefined" && window.__TAURI_INTERNALS__ != null;
}

/** The error for a page opened outside Tauri (the UI's own words, not the core's). */
function noCore(): IpcError {
  return { code: "no_core", message: i18n.t.noCore, retryable: false };
}

function isIpcError(value: unknown): value is IpcError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as IpcError).code === "string" &&
    typeof (value as IpcError).message === "string"
  );
}

/**
 * Normalises anything a rejected invoke can produce into an `IpcError`.
 * Our commands reject with an `IpcError`, but Tauri itself rejects with a
 * plain string for e.g. an unknown command or bad arguments.
 */
export function toIpcError(error: unknown): IpcError {
  if (isIpcError(error)) {
    return { code: error.code, message: error.message, retryable: Boolean(error.retryable) };
  }
  if (typeof error === "string") return { code: "ipc", message: error, retryable: false };
  if (error instanceof Error) return { code: "ipc", message: error.message, retryable: false };
  return { code: "unknown", message: i18n.t.somethingWrong, retryable: false };
}

/** A command's arguments: left out where it takes none (or only ones that may be left out). */
type ArgsOf<C extends Command> = {} extends CommandArgs[C] ? [args?: CommandArgs[C]] : [args: CommandArgs[C]];

/**
 * Invokes a command the shell registers. `Command`, its arguments and its result are generated
 * from the shell's command list and signatures (bindings/Command.ts), so a call to a command the
 * shell does not have, with other arguments or expecting another result, does not type-check.
 */
async function call<C extends Command>(cmd: C, ...args: ArgsOf<C>): Promise<CommandResult[C]> {
  if (!hasCore()) throw noCore();
  try {
    return await invoke<CommandResult[C]>(cmd, args[0]);
  } catch (error) {
    throw toIpcError(error);
  }
}

/** The current session, or null when nobody is signed in. */
export function session(): Promise<SessionInfo | null> {
  return call("session");
}

export function login(server: string, username: string, password: string): Promise<SessionInfo> {
  return call("login", { server, username, password });
}

/** All chats, latest activity first. */
export function listChats(): Promise<ChatSummary[]> {
  return call("list_chats");
}

/** A chat's history, oldest first. */
export function openChat(chatId: string): Promise<ChatMessage[]> {
  return call("open_chat", { chatId });
}

/** Asks the shell to open a chat in a window of its own (the same UI with `?chat=<id>`). */
export async function openChatWindow(chatId: string): Promise<void> {
  await call("open_chat_window", { chatId });
}

/** The people the user can start a chat with. */
export function people(): Promise<Person[]> {
  return call("people");
}

/**
 * Starts a chat with a title and members; resolves with its summary at once, offline too
 * (`creation: pending` until the server has made it; `chat_updated` says when). Rejects only
 * for bad input.
 */
export function createChat(title: string, memberIds: string[]): Promise<ChatSummary> {
  return call("create_chat", { title, memberIds });
}

/** Asks the server again to make a chat it refused; resolves with the chat (pending again). */
export function retryChat(chatId: string): Promise<ChatSummary> {
  return call("retry_chat", { chatId });
}

/** Deletes a chat the server has not made, with what was written in it (`chat_removed` follows). */
export function deleteUnmadeChat(chatId: string): Promise<null> {
  return call("delete_unmade_chat", { chatId });
}

/** Queues a message; resolves with it in state "pending". */
export function sendMessage(chatId: string, body: string): Promise<ChatMessage> {
  return call("send_message", { chatId, body });
}

/**
 * Queues files (paths on this computer) with an optional caption; resolves with
 * the message in state "pending". Its files have no `media_id` until uploaded;
 * `message_updated` follows as they are.
 */
export function sendFiles(chatId: string, body: string, paths: string[]): Promise<ChatMessage> {
  return call("send_files", { chatId, body, paths });
}

/** Opens the system file chooser; resolves with the chosen paths ([] if cancelled). */
export function pickFiles(): Promise<string[]> {
  return call("pick_files");
}

/** Saves a received file into the Downloads folder; resolves with the path it was saved to. */
export function saveAttachment(attachment: MessageAttachment): Promise<string> {
  return call("save_attachment", { attachment });
}

/** Renames a group chat (shown at once, sent when the server can be asked); resolves with the chat. */
export function renameChat(chatId: string, title: string): Promise<ChatSummary> {
  return call("rename_chat", { chatId, title });
}

/**
 * Forwards a message to other chats (the text queued like anything written, the files fetched
 * and sent again); resolves with the new messages.
 */
export function forwardMessage(message: ChatMessage, chatIds: string[]): Promise<ChatMessage[]> {
  return call("forward_message", { message, chatIds });
}

/**
 * Saves a chat as a text file (KakaoTalk's style, from the local cache: offline too) into the
 * Downloads folder, its own words in `language`; resolves with where and what it holds.
 */
export function exportChat(chatId: string, language: ExportLanguage): Promise<ExportedChat> {
  return call("export_chat", { chatId, language });
}

/** The chat is on screen in a focused window: everything in it is read (the core coalesces calls). */
export function markRead(chatId: string): Promise<ChatSummary> {
  return call("mark_read", { chatId });
}

/** Older messages to show above what is on screen, oldest first. */
export function loadOlder(chatId: string): Promise<OlderPage> {
  return call("load_older", { chatId });
}

/** Fetches the messages missing just after message `above` (oldest first); rejects (retryable) while offline. */
export function fillGap(chatId: string, above: string): Promise<ChatMessage[]> {
  return call("fill_gap", { chatId, above });
}

/** The chat's other members and how far each has read it; `read_mark_moved` events keep it current. */
export function readMarks(chatId: string): Promise<MemberRead[]> {
  return call("read_marks", { chatId });
}

/** The signed-in server and every endpoint this session may use (Settings). */
export function serverEndpoints(): Promise<ServerEndpoints> {
  return call("server_endpoints");
}

/** Where data and saved files are kept, and the space the data takes (Settings). */
export function dataLocation(): Promise<DataLocation> {
  return call("data_location");
}

/** Opens the system folder chooser for saved files; resolves with the (maybe unchanged) location. */
export function chooseDownloadFolder(): Promise<DataLocation> {
  return call("choose_download_folder");
}

/** Saved files go to the system's Downloads folder again. */
export function resetDownloadFolder(): Promise<DataLocation> {
  return call("reset_download_folder");
}

/** Shows the data folder or the saved-files folder in the file manager. */
export async function openFolder(which: FolderKind): Promise<void> {
  await call("open_folder", { which });
}

/** The messages of a chat after which history may still be missing. */
export function historyGaps(chatId: string): Promise<string[]> {
  return call("history_gaps", { chatId });
}

/** A message that failed for good is sent again (same client id); it turns pending via `message_updated`. */
export async function retryMessage(clientMsgId: string): Promise<void> {
  await call("retry_message", { clientMsgId });
}

/** Retries every failed message of one chat (or of all, with null); resolves with how many. */
export function retryAll(chatId: string | null): Promise<number> {
  return call("retry_all", { chatId });
}

/** Deletes a message that was never sent (failed or waiting); `message_removed` follows. */
export async function deleteMessage(clientMsgId: string): Promise<void> {
  await call("delete_message", { clientMsgId });
}

/**
 * Changes the text of a message the server refused and sends it again in its
 * place (same client id); it turns pending via `message_updated`. Rejects with
 * `invalid_input` for an empty text or a message that has not failed.
 */
export async function editMessage(clientMsgId: string, body: string): Promise<void> {
  await call("edit_message", { clientMsgId, body });
}

/**
 * Opens a link from a message in the system browser. The core opens web links
 * only and refuses (`invalid_input`) one that hides its host behind a user name.
 */
export async function openLink(url: string): Promise<void> {
  await call("open_link", { url });
}

/** Keeps what is typed in a chat's composer (empty: none); local, so it works offline. */
export async function saveDraft(chatId: string, body: string): Promise<void> {
  await call("save_draft", { chatId, body });
}

/** Every chat's draft, as [chatId, text] pairs. */
export function drafts(): Promise<[string, string][]> {
  return call("drafts");
}

/** Longest search the core accepts (characters); longer ones reject with `invalid_input`. */
export const MAX_SEARCH_CHARS = 200;

/**
 * Searches the messages cached on this computer (works offline): newest first,
 * at most 50. Each hit's `highlighted` is the body with every match wrapped in
 * U+0002 … U+0003.
 */
export function search(query: string, chatId: string | null = null): Promise<SearchHit[]> {
  return call("search", chatId === null ? { query } : { query, chatId });
}

/**
 * Skips the current wait and tries to connect straight away (or, while the
 * session is being renewed, asks the sign-in service again).
 */
export async function reconnectNow(): Promise<void> {
  await call("reconnect_now");
}

/** What the sign-in screen can prefill (the last account), and why a new sign-in is needed. */
export function signInHint(): Promise<SignInHint> {
  return call("sign_in_hint");
}

/** Signs out here and on the server; rejects with `keyring_error` if the kept sign-in could not be forgotten. */
export async function signOut(): Promise<void> {
  await call("sign_out");
}

/** Mutes or unmutes a chat; resolves with its updated summary. */
export function setMuted(chatId: string, muted: boolean): Promise<ChatSummary> {
  return call("set_muted", { chatId, muted });
}

/** Keeps a chat at the top of the chat list or not (kept across restarts); the updated summary. */
export function setPinned(chatId: string, pinned: boolean): Promise<ChatSummary> {
  return call("set_pinned", { chatId, pinned });
}

/** Tells the shell which chat this window shows (null: none), so it needs no notification. */
export async function setViewing(chatId: string | null): Promise<void> {
  await call("set_viewing", { chatId });
}

export function getSettings(): Promise<SettingsView> {
  return call("get_settings");
}

/** Saves the settings; resolves with them as stored. */
export function updateSettings(settings: SettingsEdit): Promise<SettingsView> {
  return call("update_settings", { settings });
}

/** Sets the passcode (4 to 64 characters); changing it needs the current one. */
export async function setPasscode(current: string | null, passcode: string): Promise<void> {
  await call("set_passcode", { current, passcode });
}

/** Turns the lock off; needs the current passcode. */
export async function removePasscode(current: string): Promise<void> {
  await call("remove_passcode", { current });
}

/** Locks now; rejects with `no_passcode` when no passcode is set. */
export async function lockNow(): Promise<void> {
  await call("lock_now");
}

/** Unlocks; rejects with `wrong_passcode` or `too_many_attempts`. */
export async function unlock(passcode: string): Promise<void> {
  await call("unlock", { passcode });
}

export function isLocked(): Promise<boolean> {
  return call("is_locked");
}

/** The user did something: the idle lock starts counting again. */
export async function noteActivity(): Promise<void> {
  await call("note_activity");
}

/**
 * The embedded mock backend's listeners, scenarios and what is playing. Only
 * with the mock backend (`outlast --mock`); otherwise rejects with `invalid_input`.
 */
export function testerStatus(): Promise<TesterStatus> {
  return call("tester_status");
}

/**
 * Mock mode: sets the fault of a listener ("gw-a1"), a region ("region:a"), a
 * service ("service:gateway") or "all"; resolves with the new status.
 */
export function testerSetFault(target: string, fault: string): Promise<TesterStatus> {
  return call("tester_set_fault", { target, fault });
}

/** Mock mode: plays a shipped scenario, `timeScale` scenario seconds per real second. */
export function testerPlay(name: string, timeScale: number): Promise<TesterStatus> {
  return call("tester_play", { name, timeScale });
}

/** Mock mode: stops the scenario playing (the faults stay as they are). */
export function testerStop(): Promise<TesterStatus> {
  return call("tester_stop");
}

/** Listens to one Tauri event; resolves (once subscribed) with an unsubscribe function. */
async function subscribe<T>(event: string, handler: (payload: T) => void): Promise<() => void> {
  if (!hasCore()) throw noCore();
  const unlisten = await listen<T>(event, (e) => handler(e.payload));
  return () => {
    // Typed as returning void, but it is async underneath.
    Promise.resolve().then(() => unlisten()).catch(() => {
      /* the webview is going away; nothing to clean up */
    });
  };
}

/** Subscribes to core events; resolves (once subscribed) with an unsubscribe function. */
export function onCoreEvent(handler: (event: CoreEvent) => void): Promise<() => void> {
  return subscribe<CoreEvent>(CORE_EVENT, handler);
}

/** Subscribes to lock changes (true: locked). */
export function onLockChanged(handler: (locked: boolean) => void): Promise<() => void> {
  return subscribe<boolean>(LOCK_CHANGED, handler);
}

/**
 * Subscribes to files being dragged over and dropped on the window (the
 * webview hands over their paths). Rejects where there is no webview to
 * listen to (a plain browser, or a mock without window metadata).
 */
export async function onDragDrop(handler: (event: DragDropEvent) => void): Promise<() => void> {
  if (!hasCore()) throw noCore();
  let unlisten: () => void;
  try {
    unlisten = await getCurrentWebview().onDragDropEvent((e) => handler(e.payload));
  } catch (error) {
    throw toIpcError(error);
  }
  return () => {
    Promise.resolve().then(() => unlisten()).catch(() => {
      /* the webview is going away; nothing to clean up */
    });
  };
}

/** Subscribes to "events were missed: reload" (the payload is how many). */
export function onResync(handler: (missed: number) => void): Promise<() => void> {
  return subscribe<number>(RESYNC, handler);
}

/**
 * The chat list is on screen for the first time (start-up is measured to
 * here by `outlast-bench-launch`).
 */
export async function chatListPainted(chats: number): Promise<void> {
  await call("chat_list_painted", { chats });
}

/** Subscribes to requests to open a chat (a notification was clicked). */
export function onOpenChat(handler: (chatId: string) => void): Promise<() => void> {
  return subscribe<string>(OPEN_CHAT, handler);
}
