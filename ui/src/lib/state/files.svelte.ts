// Files on their way: uploads of own messages' files and downloads (saves) of received ones, by
// how far each has come; choosing files to send, saving a received one, saving a chat as text.
import * as backend from "../backend";
import type { ChatMessage } from "../bindings/ChatMessage";
import type { ExportedChat } from "../bindings/ExportedChat";
import type { ExportLanguage } from "../bindings/ExportLanguage";
import type { Locale } from "../i18n";
import type { MessageAttachment } from "../bindings/MessageAttachment";
import type { TransferFile } from "../bindings/TransferFile";
import type { Lock } from "./lock.svelte";

/** How far one file's upload or download has come, in bytes. */
export type Transfer = { done: number; total: number };

/** `Files.transfers` key of an own message's file (its place among the message's files) on its way up. */
export function uploadKey(clientMsgId: string, position: number): string {
  return `up:${position}:${clientMsgId}`;
}

/** `Files.transfers` key of a file being downloaded (saved). */
export function downloadKey(mediaId: string): string {
  return `down:${mediaId}`;
}

export class Files {
  /**
   * Files moving now, by uploadKey or downloadKey. A finished download goes at
   * once (its save settles next); a finished upload stays, full, until the
   * message brings the file's media id: the core uploads all of a message's
   * files before it says so, and the card should not fall back to "waiting".
   */
  transfers = $state<Record<string, Transfer>>({});
  readonly #lock: Lock;

  constructor(lock: Lock) {
    this.#lock = lock;
  }

  /** `transfer_progress`: a file moved on. */
  progress(file: TransferFile, done: number, total: number): void {
    if (file.direction === "download") {
      const key = downloadKey(file.media_id);
      if (done >= total) this.#drop(key);
      else this.transfers[key] = { done, total };
    } else {
      this.transfers[uploadKey(file.client_msg_id, file.position)] = { done, total };
    }
  }

  /** An own message's files that have their media ids, or all once it is sent or failed, are no longer on their way. */
  settleUploads(message: ChatMessage): void {
    const id = message.client_msg_id;
    if (id === null) return;
    const settled = message.state !== "pending";
    (message.attachments ?? []).forEach((file, position) => {
      if (settled || file.media_id !== null) this.#drop(uploadKey(id, position));
    });
  }

  /** Drops every upload of a message (deleted, so no update will end them). */
  dropUploads(clientMsgId: string): void {
    for (const key of Object.keys(this.transfers)) {
      // "up:<position>:<client id>": the position has no colon, the id may.
      if (key.startsWith("up:") && key.slice(key.indexOf(":", 3) + 1) === clientMsgId) delete this.transfers[key];
    }
  }

  /** Forgets every transfer (locked, signed out, or events were missed: files still moving say so again). */
  clear(): void {
    this.transfers = {};
  }

  /** Opens the system file chooser; resolves with the chosen paths, rejects with an `IpcError`. */
  pick(): Promise<string[]> {
    return this.#lock.guarded(backend.pickFiles);
  }

  /** Saves a received file into Downloads; resolves with where, rejects with an `IpcError`. */
  async save(attachment: MessageAttachment): Promise<string> {
    try {
      return await this.#lock.guarded(() => backend.saveAttachment(attachment));
    } finally {
      // A save that failed part way leaves its last count behind otherwise.
      if (attachment.media_id !== null) this.#drop(downloadKey(attachment.media_id));
    }
  }

  /** Saves a chat as text into Downloads, in the UI's language; resolves with where, rejects with an `IpcError`. */
  exportChat(chatId: string, locale: Locale): Promise<ExportedChat> {
    const language: ExportLanguage = locale === "ko" ? "korean" : "english";
    return this.#lock.guarded(() => backend.exportChat(chatId, language));
  }

  #drop(key: string): void {
    if (key in this.transfers) delete this.transfers[key];
  }
}
