// Each chat's messages as the UI shows them, oldest first: merged from history snapshots, older
// pages and gap fills, and kept current by message events and the answers to sends.
import * as backend from "../backend";
import type { ChatMessage } from "../bindings/ChatMessage";
import type { Chats } from "./chats.svelte";
import type { Files } from "./files.svelte";

/** Loading state of one chat's history. */
export type ChatLoad = { loading: boolean; error: string | null };

/** A message's identity: its client id when this client sent it, else the server id. */
export function messageKey(m: ChatMessage): string | null {
  return m.client_msg_id ?? m.msg_id;
}

/** The messages of `list` whose identity `known` does not have (those without one count as new). */
function unknownIn(known: ChatMessage[], list: ChatMessage[]): ChatMessage[] {
  const have = new Set(known.map(messageKey).filter((k) => k !== null));
  return list.filter((m) => {
    const k = messageKey(m);
    return k === null || !have.has(k);
  });
}

export type MessagesDeps = {
  chats: Chats;
  files: Files;
  /** The chat is being read (someone else wrote in it). */
  markRead: (chatId: string) => void;
};

export class Messages {
  /**
   * Per chat, its messages, oldest first. Not deeply reactive: a chat may hold
   * 100,000 of them, and a proxy and signals for each would cost more than the
   * list itself. Every change replaces the chat's array (see `set`), and
   * a changed message is a new object.
   */
  byChat = $state.raw<Record<string, ChatMessage[]>>({});
  /** Per chat: whether its history is being read, or why it could not be. */
  load = $state<Record<string, ChatLoad>>({});
  readonly #deps: MessagesDeps;

  constructor(deps: MessagesDeps) {
    this.#deps = deps;
  }

  /** Replaces a chat's messages (the list is never changed in place: readers see a new array). */
  set(chatId: string, list: ChatMessage[]): void {
    this.byChat = { ...this.byChat, [chatId]: list };
  }

  /** Nothing is held (locked or signed out). */
  clear(): void {
    this.byChat = {};
    this.load = {};
  }

  /** A snapshot of a chat's history (open_chat) joins what is shown. */
  merge(chatId: string, history: ChatMessage[]): void {
    // An update that ended an upload may have been among events missed.
    if (Object.keys(this.#deps.files.transfers).length > 0) for (const m of history) this.#deps.files.settleUploads(m);
    if ((this.byChat[chatId] ?? []).length === 0) return this.set(chatId, history);
    const keys = new Set(history.map(messageKey).filter((k) => k !== null));
    const current = this.byChat[chatId] ?? [];
    const extra = (m: ChatMessage) => {
      const k = messageKey(m);
      return k === null || !keys.has(k);
    };
    // Keep what the snapshot does not know about: older messages scrolled back
    // to stay above it, live ones (e.g. just sent) below.
    const firstKnown = current.findIndex((m) => !extra(m));
    const above = firstKnown < 0 ? [] : current.slice(0, firstKnown).filter(extra);
    const below = current.slice(Math.max(firstKnown, 0)).filter(extra);
    this.set(chatId, [...above, ...history, ...below]);
  }

  /**
   * Inserts or replaces a message by identity. `updated` always replaces;
   * `added` and `returned` (send_message's result) never duplicate and only
   * replace a pending copy with a settled one, so a late or repeated add
   * cannot undo an ack.
   */
  upsert(message: ChatMessage, how: "added" | "updated" | "returned"): void {
    this.#deps.files.settleUploads(message);
    const chatId = message.chat_id;
    const list = this.byChat[chatId] ?? [];
    const key = messageKey(message);
    // From the end: what changes is nearly always recent.
    let index = -1;
    if (key !== null) for (index = list.length - 1; index >= 0 && messageKey(list[index]) !== key; index--);
    if (index < 0) {
      this.set(chatId, [...list, message]);
      // Someone else wrote in the chat the user is looking at: it is read.
      if (how === "added" && !message.own) this.#deps.markRead(chatId);
    } else if (how === "updated" || (list[index].state === "pending" && message.state !== "pending")) {
      const next = list.slice();
      next[index] = message;
      this.set(chatId, next);
    } else {
      return;
    }
    this.#deps.chats.touch(message);
  }

  /** Drops an unsent message (deleted by the user) from its chat. The preview follows with `chat_updated`. */
  remove(chatId: string, clientMsgId: string): void {
    this.#deps.files.dropUploads(clientMsgId);
    const drop = (id: string): boolean => {
      const list = this.byChat[id];
      const index = list ? list.findIndex((m) => m.client_msg_id === clientMsgId) : -1;
      if (index >= 0) this.set(id, list.filter((_, i) => i !== index));
      return index >= 0;
    };
    // Its own chat; failing that, any other cached chat (a client id is unique).
    if (drop(chatId)) return;
    for (const id of Object.keys(this.byChat)) if (drop(id)) return;
  }

  /** Puts older messages above a chat's history, each once; resolves with how many were new. */
  prepend(chatId: string, older: ChatMessage[]): number {
    const list = this.byChat[chatId] ?? [];
    const fresh = unknownIn(list, older);
    if (fresh.length > 0) this.set(chatId, [...fresh, ...list]);
    return fresh.length;
  }

  /** Puts the messages of a filled gap right after message `above` (server id), each once; nothing if it is not shown. */
  insertAfter(chatId: string, above: string, filled: ChatMessage[]): void {
    const list = this.byChat[chatId];
    const at = list ? list.findIndex((m) => m.msg_id === above) : -1;
    if (list && at >= 0) {
      this.set(chatId, [...list.slice(0, at + 1), ...unknownIn(list, filled), ...list.slice(at + 1)]);
    }
  }

  /** Opens a link from a message in the system browser; rejects with an `IpcError` (e.g. a disguised link). */
  async openLink(url: string): Promise<void> {
    try {
      await backend.openLink(url);
    } catch (error) {
      throw backend.toIpcError(error);
    }
  }
}
