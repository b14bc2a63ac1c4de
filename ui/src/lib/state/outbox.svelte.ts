// The user's own messages on their way: sending text or files, and what can be done with one the
// server has not taken yet (retry, retry all, delete, edit a refused one). The core's operation
// queue holds them; events bring each one's state.
import * as backend from "../backend";
import type { ChatMessage } from "../bindings/ChatMessage";
import type { Drafts } from "./drafts.svelte";
import type { Lock } from "./lock.svelte";
import type { Messages } from "./messages.svelte";

export class Outbox {
  readonly #lock: Lock;
  readonly #messages: Messages;
  readonly #drafts: Drafts;

  constructor(lock: Lock, messages: Messages, drafts: Drafts) {
    this.#lock = lock;
    this.#messages = messages;
    this.#drafts = drafts;
  }

  /** The message being forwarded (the forward dialog is open), or null. */
  forwarding = $state<ChatMessage | null>(null);

  /** Forwards `message` to the chats `chatIds`; rejects with an `IpcError` (nothing was forwarded then). */
  async forward(message: ChatMessage, chatIds: string[]): Promise<void> {
    const sent = await this.#lock.guarded(() => backend.forwardMessage(message, chatIds));
    if (!this.#lock.locked) for (const copy of sent) this.#messages.upsert(copy, "returned");
  }

  /** Sends a message; rejects with an `IpcError` if the core refused it. */
  async send(chatId: string, body: string): Promise<void> {
    // The text is on its way: it is no longer a draft (the composer gives it back if this fails).
    void this.#drafts.save(chatId, "");
    const message = await this.#lock.guarded(() => backend.sendMessage(chatId, body));
    if (!this.#lock.locked) this.#messages.upsert(message, "returned");
  }

  /** Sends files with an optional caption; rejects with an `IpcError` if the core refused them. */
  async sendFiles(chatId: string, body: string, paths: string[]): Promise<void> {
    // A caption is the composer's text (dropped files go without it and leave the draft be).
    if (body.trim() !== "") void this.#drafts.save(chatId, "");
    const message = await this.#lock.guarded(() => backend.sendFiles(chatId, body, paths));
    if (!this.#lock.locked) this.#messages.upsert(message, "returned");
  }

  /** Sends a failed message again; rejects with an `IpcError`. It turns pending via `message_updated`. */
  retry(clientMsgId: string): Promise<void> {
    return this.#lock.guarded(() => backend.retryMessage(clientMsgId));
  }

  /** Retries every failed message of a chat; resolves with how many, rejects with an `IpcError`. */
  retryAll(chatId: string): Promise<number> {
    return this.#lock.guarded(() => backend.retryAll(chatId));
  }

  /** Deletes an unsent message; rejects with an `IpcError`. */
  async delete(chatId: string, clientMsgId: string): Promise<void> {
    await this.#lock.guarded(() => backend.deleteMessage(clientMsgId));
    // The core's message_removed says the same; removing twice is harmless.
    if (!this.#lock.locked) this.#messages.remove(chatId, clientMsgId);
  }

  /**
   * Changes a failed message's text and sends it again in its place; rejects
   * with an `IpcError` (e.g. an empty text). It turns pending via `message_updated`.
   */
  edit(clientMsgId: string, body: string): Promise<void> {
    return this.#lock.guarded(() => backend.editMessage(clientMsgId, body));
  }
}
