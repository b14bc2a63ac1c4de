// The passcode lock as this window sees it. While locked the store holds no chats or messages
// (the shell withholds content events too); what to drop and what to read again on unlocking is
// the store's to say, through the hooks.
import * as backend from "../backend";

/** User activity is reported to the idle lock at most this often. */
export const ACTIVITY_THROTTLE_MS = 15_000;

export type LockHooks = {
  /** The app locked; `entering` is false when it was locked already. */
  locked(entering: boolean): void;
  /** The app unlocked: content may be read again. */
  unlocked(): Promise<void>;
};

export class Lock {
  /** Content is hidden behind the passcode: no chats or messages are held meanwhile. */
  locked = $state(false);
  /** Date.now() when activity was last reported. */
  #lastActivity = Number.NEGATIVE_INFINITY;
  readonly #hooks: LockHooks;

  constructor(hooks: LockHooks) {
    this.#hooks = hooks;
  }

  /** Unlocks; rejects with an `IpcError` (`wrong_passcode`, `too_many_attempts`) for the lock screen. */
  async unlock(passcode: string): Promise<void> {
    await backend.unlock(passcode);
    await this.leave();
  }

  /** Locks now; rejects with an `IpcError` (e.g. `no_passcode`). */
  async lockNow(): Promise<void> {
    await backend.lockNow();
    this.enter();
  }

  /**
   * Reports user activity to the idle lock, at most once per
   * ACTIVITY_THROTTLE_MS (and not while locked: typing a passcode is not use).
   */
  noteActivity(): void {
    if (this.locked) return;
    const now = Date.now();
    if (now - this.#lastActivity < ACTIVITY_THROTTLE_MS) return;
    this.#lastActivity = now;
    backend.noteActivity().catch(() => {
      /* the next activity reports again */
    });
  }

  /** The shell locked or unlocked (`lock-changed`). */
  async changed(locked: boolean): Promise<void> {
    if (locked) this.enter();
    else await this.leave();
  }

  /** Locks here: the store drops every chat and message from memory (the UI unmounts them). */
  enter(): void {
    const entering = !this.locked;
    this.locked = true;
    this.#hooks.locked(entering);
  }

  /** The shell withheld content events while locked: the store reads the chats (and the open chat) again. */
  async leave(): Promise<void> {
    if (!this.locked) return;
    this.locked = false;
    this.#lastActivity = Number.NEGATIVE_INFINITY;
    await this.#hooks.unlocked();
  }

  /**
   * Runs a command for the user; a refusal rejects as an `IpcError` (for the control that asked to
   * show), and one because the shell is locked locks here too.
   */
  async guarded<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      this.lockedError(error);
      throw backend.toIpcError(error);
    }
  }

  /** A command refused because the shell is locked: lock here too. True when that was the refusal. */
  lockedError(error: unknown): boolean {
    if (backend.toIpcError(error).code !== "locked") return false;
    this.enter();
    return true;
  }
}
