// Drafts: the text left in each chat's composer, kept by the core across restarts. Typing saves
// once it pauses; leaving a chat or sending saves at once.
import * as backend from "../backend";
import type { Lock } from "./lock.svelte";

/** A draft is saved once typing has paused this long (ms). */
export const DRAFT_PAUSE_MS = 400;

export class Drafts {
  /** Per chat: the text left in its composer, as saved (the composer restores it; the list shows it). */
  byChat = $state<Record<string, string>>({});
  /** Per chat: text typed but not saved yet, and the timer that saves it. */
  #typed = new Map<string, string>();
  #timers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #lock: Lock;

  constructor(lock: Lock) {
    this.#lock = lock;
  }

  /** The composer's text changed: it is saved as the chat's draft once typing pauses. */
  type(chatId: string, text: string): void {
    this.#typed.set(chatId, text);
    clearTimeout(this.#timers.get(chatId));
    this.#timers.set(
      chatId,
      setTimeout(() => void this.save(chatId), DRAFT_PAUSE_MS),
    );
  }

  /**
   * Saves a chat's draft now: `text`, or else what was typed since the last
   * save (nothing to do if nothing was). Empty text clears it. Only changes
   * are sent; a failure is not shown (the next change saves again).
   */
  async save(chatId: string, text?: string): Promise<void> {
    clearTimeout(this.#timers.get(chatId));
    this.#timers.delete(chatId);
    const typed = text ?? this.#typed.get(chatId);
    this.#typed.delete(chatId);
    if (typed === undefined || this.#lock.locked) return;
    const body = typed.trim() === "" ? "" : typed;
    if ((this.byChat[chatId] ?? "") === body) return;
    if (body === "") delete this.byChat[chatId];
    else this.byChat[chatId] = body;
    try {
      await backend.saveDraft(chatId, body);
    } catch (error) {
      this.#lock.lockedError(error);
    }
  }

  /** Reads every chat's draft (kept by the core across restarts). */
  async load(): Promise<void> {
    try {
      const pairs = await backend.drafts();
      if (this.#lock.locked) return;
      const drafts: Record<string, string> = {};
      for (const [chatId, text] of pairs) drafts[chatId] = text;
      this.byChat = drafts;
    } catch (error) {
      this.#lock.lockedError(error);
      /* no drafts to restore; what is typed from now on is still saved */
    }
  }

  /** Drafts are content too: dropped while locked; the core keeps them and they are read again after unlocking. */
  clear(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#typed.clear();
    this.byChat = {};
  }
}
