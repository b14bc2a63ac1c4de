// Read marks both ways: telling the core the chat on screen is read (once per burst), and per
// chat opened, how far its other members have read it (the messages' read counts).
import * as backend from "../backend";
import type { MemberRead } from "../bindings/MemberRead";
import { mergeMarks, moveMark } from "../read-counts";
import type { Lock } from "./lock.svelte";
import type { Phase } from "./session.svelte";
import type { Snapshots } from "./snapshots";

export type ReadsDeps = {
  lock: Lock;
  snapshots: Snapshots;
  phase: () => Phase;
  /** The chat on screen, or null. */
  selectedId: () => string | null;
};

export class Reads {
  /**
   * Per chat opened: its other members and how far each has read (the messages' read counts).
   * A chat without an entry shows no counts. Each change replaces the chat's list.
   */
  byChat = $state.raw<Record<string, readonly MemberRead[]>>({});
  /** Chats with a mark_read in flight, and whether another one is wanted after it. */
  #marking = new Map<string, boolean>();
  readonly #deps: ReadsDeps;

  constructor(deps: ReadsDeps) {
    this.#deps = deps;
  }

  /** The window got the focus back (or was shown again): the open chat is being read. */
  windowFocused(): void {
    const open = this.#deps.selectedId();
    if (open !== null) this.markRead(open);
  }

  /** The chat is on screen and the user can see it: not locked, the window visible and focused. */
  #seeing(chatId: string): boolean {
    return (
      !this.#deps.lock.locked &&
      this.#deps.phase() === "ready" &&
      this.#deps.selectedId() === chatId &&
      document.visibilityState === "visible" &&
      document.hasFocus()
    );
  }

  /**
   * Tells the core the chat is read, if the user sees it. One call at a time per chat, and one
   * more after it if asked meanwhile, so a burst of messages is not a burst of calls.
   * The summary it answers is not applied: chat_updated events carry the same,
   * and an answer could overtake a newer one.
   */
  markRead(chatId: string): void {
    if (!this.#seeing(chatId)) return;
    if (this.#marking.has(chatId)) {
      this.#marking.set(chatId, true);
      return;
    }
    this.#marking.set(chatId, false);
    backend
      .markRead(chatId)
      .catch((error) => this.#deps.lock.lockedError(error))
      .finally(() => {
        const again = this.#marking.get(chatId) === true;
        this.#marking.delete(chatId);
        if (again) this.markRead(chatId);
      });
  }

  /**
   * Reads how far the chat's other members have read it. A failure drops what
   * was known: no count is better than a wrong one.
   */
  async load(chatId: string): Promise<void> {
    const lock = this.#deps.lock;
    if (lock.locked) return;
    try {
      await this.#deps.snapshots.take(
        () => backend.readMarks(chatId),
        (fresh) => {
          if (!lock.locked) this.byChat = { ...this.byChat, [chatId]: mergeMarks(fresh, this.byChat[chatId]) };
        },
      );
    } catch (error) {
      if (lock.lockedError(error) || !(chatId in this.byChat)) return;
      const rest = { ...this.byChat };
      delete rest[chatId];
      this.byChat = rest;
    }
  }

  /** `read_mark_moved`: another member read further; their mark moves on (never back), in a chat whose marks are loaded. */
  moved(chatId: string, userId: string, msgId: string): void {
    const known = this.byChat[chatId];
    if (!known) return;
    const moved = moveMark(known, userId, msgId);
    if (moved !== known) this.byChat = { ...this.byChat, [chatId]: moved };
  }

  /** Events were missed: marks may have moved unseen. The open chat's are read again, the others' when next opened. */
  keepOnly(open: string | null): void {
    this.byChat = open !== null && this.byChat[open] ? { [open]: this.byChat[open] } : {};
  }

  /** Nothing is held (locked or signed out). */
  clear(): void {
    this.byChat = {};
  }
}
