// Scrolling back through a chat's history, and the gaps in it: where messages may be missing
// (a gap marker follows each such message) and filling them from the server.
import * as backend from "../backend";
import type { Lock } from "./lock.svelte";
import type { Messages } from "./messages.svelte";

/**
 * `ChatHistory.error` when the cache has nothing older and the server can't be
 * asked: the UI's own words, so the chat says it in the current language.
 */
export const NOTHING_OLDER_OFFLINE = "nothing_older_offline";

/** Scrolling back through one chat's history, and where it may have holes. */
export type ChatHistory = {
  /** A load_older call is under way. */
  loading: boolean;
  /** Why the last attempt to load older messages failed (the chat offers a retry), or null. */
  error: string | null;
  /** Older messages exist; null until the chat was scrolled back once. */
  hasMore: boolean | null;
  /** Messages (server ids) after which messages may be missing: a gap marker follows each. */
  gaps: string[];
};

export class History {
  /** Per chat: scrolling back and the gaps in its history. */
  byChat = $state<Record<string, ChatHistory>>({});
  readonly #lock: Lock;
  readonly #messages: Messages;

  constructor(lock: Lock, messages: Messages) {
    this.#lock = lock;
    this.#messages = messages;
  }

  #of(chatId: string): ChatHistory {
    this.byChat[chatId] ??= { loading: false, error: null, hasMore: null, gaps: [] };
    return this.byChat[chatId];
  }

  /** The chat is being opened again: a failure to scroll back is not shown any more. */
  clearError(chatId: string): void {
    if (this.byChat[chatId]) this.byChat[chatId].error = null;
  }

  /** Nothing is held (locked or signed out). */
  clear(): void {
    this.byChat = {};
  }

  /**
   * Shows older messages above the chat's history. Does nothing while the chat
   * is still being read (the core continues from its oldest message shown),
   * while a page is already on its way, or once the start was reached.
   */
  async loadOlder(chatId: string): Promise<void> {
    const load = this.#messages.load[chatId];
    const history = this.#of(chatId);
    if (this.#lock.locked || !load || load.loading || load.error !== null) return;
    if (history.loading || history.hasMore === false) return;
    history.loading = true;
    history.error = null;
    try {
      const page = await backend.loadOlder(chatId);
      if (this.#lock.locked) return;
      const added = this.#messages.prepend(chatId, page.messages);
      const after = this.#of(chatId);
      after.hasMore = page.has_more;
      if (page.missing_above !== null && !after.gaps.includes(page.missing_above)) {
        after.gaps = [...after.gaps, page.missing_above];
      }
      // Nothing new yet more to come: the server can't be asked and the cache has no more.
      // Said, with a retry, rather than asked again and again while scrolled to the top.
      if (added === 0 && page.has_more) after.error = NOTHING_OLDER_OFFLINE;
    } catch (error) {
      if (!this.#lock.lockedError(error)) this.#of(chatId).error = backend.toIpcError(error).message;
    } finally {
      if (!this.#lock.locked) this.#of(chatId).loading = false;
    }
  }

  /**
   * Fetches the messages missing after message `above` and shows them right
   * after it; rejects with an `IpcError` (retryable while offline) and the gap
   * stays marked.
   */
  async fillGap(chatId: string, above: string): Promise<void> {
    const filled = await this.#lock.guarded(() => backend.fillGap(chatId, above));
    if (this.#lock.locked) return;
    this.#messages.insertAfter(chatId, above, filled);
    const history = this.#of(chatId);
    history.gaps = history.gaps.filter((id) => id !== above);
    // A long gap fills over several calls: the core knows whether this one closed.
    void this.loadGaps(chatId);
  }

  /** Reads where the chat's history may have holes (for the gap markers). */
  async loadGaps(chatId: string): Promise<void> {
    try {
      const gaps = await backend.historyGaps(chatId);
      if (!this.#lock.locked) this.#of(chatId).gaps = gaps;
    } catch (error) {
      this.#lock.lockedError(error);
      /* no markers for now; scrolling back finds the gaps again */
    }
  }
}
