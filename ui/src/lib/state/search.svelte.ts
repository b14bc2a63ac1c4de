// Searching the messages cached on this computer (in every chat or the open one), and jumping to
// a hit: its chat opens and scrolls to the message.
import * as backend from "../backend";
import type { ChatMessage } from "../bindings/ChatMessage";
import type { SearchHit } from "../bindings/SearchHit";
import type { Chats } from "./chats.svelte";
import type { Lock } from "./lock.svelte";

/** A message to scroll to and highlight once its chat is open (a search hit was chosen). */
export type JumpTarget = { chatId: string; msgId: string | null; clientMsgId: string | null };

/** True when `m` is the message `target` points at (by server id or by client id). */
export function isJumpTarget(m: ChatMessage, target: JumpTarget): boolean {
  return (
    (target.msgId !== null && m.msg_id === target.msgId) ||
    (target.clientMsgId !== null && m.client_msg_id === target.clientMsgId)
  );
}

export type SearchDeps = {
  lock: Lock;
  chats: Chats;
  /** The chat on screen, or null. */
  selectedId: () => string | null;
  /** Opens a chat as if asked from outside the chat list (it may not be listed yet). */
  openChat: (chatId: string) => Promise<void>;
};

export class Search {
  /** The search dialog is open. */
  open = $state(false);
  /** A message the open chat should scroll to and highlight, or null. */
  jumpTo = $state<JumpTarget | null>(null);
  readonly #deps: SearchDeps;

  constructor(deps: SearchDeps) {
    this.#deps = deps;
  }

  /**
   * Searches the messages cached on this computer, in one chat or (null) all;
   * rejects with an `IpcError` (shown in the dialog).
   */
  run(query: string, chatId: string | null = null): Promise<SearchHit[]> {
    return this.#deps.lock.guarded(() => backend.search(query, chatId));
  }

  /** Closes the search, opens the hit's chat and asks it to scroll to (and highlight) the message. */
  async openHit(message: ChatMessage): Promise<void> {
    this.open = false;
    if (this.#deps.lock.locked) return;
    this.jumpTo = { chatId: message.chat_id, msgId: message.msg_id, clientMsgId: message.client_msg_id };
    // The open chat already shows its messages: no need to read it again.
    if (this.#deps.selectedId() === message.chat_id && this.#deps.chats.has(message.chat_id)) return;
    await this.#deps.openChat(message.chat_id);
  }
}
