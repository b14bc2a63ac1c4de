// The chat list: reading it, keeping it ordered (pinned first, then latest activity), muting and
// pinning chats, and starting new ones.
import * as backend from "../backend";
import type { ChatMessage } from "../bindings/ChatMessage";
import type { ChatSummary } from "../bindings/ChatSummary";
import type { Person } from "../bindings/Person";
import type { Lock } from "./lock.svelte";
import { messageKey } from "./messages.svelte";
import type { Snapshots } from "./snapshots";

function activity(chat: ChatSummary): number {
  return chat.last_message?.sent_at_ms ?? Number.NEGATIVE_INFINITY;
}

/**
 * Pinned chats first, then the rest; each group latest activity first, as the
 * core lists them. Ties keep their current order (Array.sort is stable).
 */
function sortChats(chats: ChatSummary[]): ChatSummary[] {
  return chats.slice().sort((a, b) => Number(b.pinned) - Number(a.pinned) || activity(b) - activity(a));
}

export type ChatsDeps = {
  lock: Lock;
  snapshots: Snapshots;
  /** The chat on screen (its unread count stays 0). */
  selectedId: () => string | null;
  /** Opens a chat (a new one, once started). */
  select: (chatId: string) => Promise<void>;
};

export class Chats {
  list = $state<ChatSummary[]>([]);
  loading = $state(false);
  error = $state<string | null>(null);
  /** The new chat dialog is open. */
  newChatOpen = $state(false);
  readonly #deps: ChatsDeps;

  constructor(deps: ChatsDeps) {
    this.#deps = deps;
  }

  /** The chat is listed. */
  has(chatId: string | null): boolean {
    return this.list.some((c) => c.chat_id === chatId);
  }

  /**
   * Reads the chat list into `list` (events that come meanwhile wait for it). Resolves with
   * the error when it could not be read.
   */
  fetch(): Promise<{ error: unknown } | null> {
    this.loading = true;
    this.error = null;
    return this.#deps.snapshots
      .take(backend.listChats, (chats) => {
        if (!this.#deps.lock.locked) this.list = sortChats(chats);
      })
      .then(
        () => null,
        (error: unknown) => ({ error }),
      )
      .finally(() => (this.loading = false));
  }

  /** A chat's summary changed (or a chat is new): replaced by id, the list kept in order. */
  replace(chat: ChatSummary): void {
    const others = this.list.filter((c) => c.chat_id !== chat.chat_id);
    if (chat.chat_id === this.#deps.selectedId()) chat = { ...chat, unread_count: 0 };
    this.list = sortChats([...others, chat]);
  }

  /** Keeps a chat's preview current until the core's own `chat_updated` arrives. */
  touch(message: ChatMessage): void {
    const chat = this.list.find((c) => c.chat_id === message.chat_id);
    if (!chat) return;
    const last = chat.last_message;
    const sameMessage = last !== null && messageKey(last) === messageKey(message);
    if (last === null || sameMessage || message.sent_at_ms >= last.sent_at_ms) {
      chat.last_message = message;
      this.list = sortChats(this.list);
    }
  }

  /** Nothing is listed (locked or signed out). */
  clear(): void {
    this.list = [];
    this.error = null;
  }

  /** The people a chat can be started with; rejects with an `IpcError` (the dialog shows it). */
  people(): Promise<Person[]> {
    return this.#deps.lock.guarded(backend.people);
  }

  /**
   * Starts a chat (offline too: it waits to be made), then closes the new chat dialog and opens
   * it; rejects with an `IpcError` (bad input) and the dialog stays open to show it.
   */
  async create(title: string, memberIds: string[]): Promise<void> {
    const chat = await this.#deps.lock.guarded(() => backend.createChat(title, memberIds));
    if (this.#deps.lock.locked) return;
    // chat_updated brings the same chat: replacing by id keeps it listed once.
    this.replace(chat);
    this.newChatOpen = false;
    await this.#deps.select(chat.chat_id);
  }

  /** Asks the server again to make a chat it refused; rejects with an `IpcError` (shown on the chat). */
  async retryCreation(chatId: string): Promise<void> {
    const chat = await this.#deps.lock.guarded(() => backend.retryChat(chatId));
    if (!this.#deps.lock.locked) this.replace(chat);
  }

  /** Deletes a chat the server has not made; rejects with an `IpcError` (shown on the chat). */
  async deleteUnmade(chatId: string): Promise<void> {
    await this.#deps.lock.guarded(() => backend.deleteUnmadeChat(chatId));
    if (!this.#deps.lock.locked) this.remove(chatId);
  }

  /** A chat left the list (`chat_removed`). */
  remove(chatId: string): void {
    this.list = this.list.filter((c) => c.chat_id !== chatId);
  }

  /** Mutes or unmutes a chat; rejects with an `IpcError` (the chat header shows it). */
  async setMuted(chatId: string, muted: boolean): Promise<void> {
    const chat = await this.#deps.lock.guarded(() => backend.setMuted(chatId, muted));
    if (!this.#deps.lock.locked) this.replace(chat);
  }

  /** Pins or unpins a chat; rejects with an `IpcError` (the chat header shows it). */
  /** Renames a group chat; rejects with an `IpcError` (the name stays as it was then). */
  async rename(chatId: string, title: string): Promise<void> {
    const chat = await this.#deps.lock.guarded(() => backend.renameChat(chatId, title));
    if (!this.#deps.lock.locked) this.replace(chat);
  }

  async setPinned(chatId: string, pinned: boolean): Promise<void> {
    const chat = await this.#deps.lock.guarded(() => backend.setPinned(chatId, pinned));
    if (!this.#deps.lock.locked) this.replace(chat);
  }
}
