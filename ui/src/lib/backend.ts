// The only module that talks to the Tauri core. Everything else in the UI
// goes through these typed functions.
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";

import type { ChatMessage } from "./bindings/ChatMessage";
import type { ChatSummary } from "./bindings/ChatSummary";
import type { CoreEvent } from "./bindings/CoreEvent";
import type { IpcError } from "./bindings/IpcError";
import type { SessionInfo } from "./bindings/SessionInfo";

/** Name of the single Tauri event carrying every `CoreEvent`. */
export const CORE_EVENT = "core-event";

declare global {
  interface Window {
    __TAURI_INTERNALS__?: unknown;
  }
}

/** True when running inside the Tauri webview (or a test fake of it). */
export function hasCore(): boolean {
  return typeof window !== "undefined" && window.__TAURI_INTERNALS__ != null;
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
  return { code: "unknown", message: "Something went wrong.", retryable: false };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  if (!hasCore()) {
    throw {
      code: "no_core",
      message: "Outlast's core is not available. Start the app through Tauri.",
      retryable: false,
    } satisfies IpcError;
  }
  try {
    return await invoke<T>(cmd, args);
  } catch (error) {
    throw toIpcError(error);
  }
}

/** The current session, or null when nobody is signed in. */
export function session(): Promise<SessionInfo | null> {
  return call<SessionInfo | null>("session");
}

export function login(server: string, username: string, password: string): Promise<SessionInfo> {
  return call<SessionInfo>("login", { server, username, password });
}

/** All chats, latest activity first. */
export function listChats(): Promise<ChatSummary[]> {
  return call<ChatSummary[]>("list_chats");
}

/** A chat's history, oldest first. */
export function openChat(chatId: string): Promise<ChatMessage[]> {
  return call<ChatMessage[]>("open_chat", { chatId });
}

/** Queues a message; resolves with it in state "pending". */
export function sendMessage(chatId: string, body: string): Promise<ChatMessage> {
  return call<ChatMessage>("send_message", { chatId, body });
}

/**
 * Skips the current wait and tries to connect straight away (or, while the
 * session is being renewed, asks the sign-in service again).
 */
export async function reconnectNow(): Promise<void> {
  await call<null>("reconnect_now");
}

/** Subscribes to core events; resolves (once subscribed) with an unsubscribe function. */
export async function onCoreEvent(handler: (event: CoreEvent) => void): Promise<() => void> {
  if (!hasCore()) {
    throw {
      code: "no_core",
      message: "Outlast's core is not available. Start the app through Tauri.",
      retryable: false,
    } satisfies IpcError;
  }
  const unlisten = await listen<CoreEvent>(CORE_EVENT, (event) => handler(event.payload));
  return () => {
    // Typed as returning void, but it is async underneath.
    Promise.resolve().then(() => unlisten()).catch(() => {
      /* the webview is going away; nothing to clean up */
    });
  };
}
