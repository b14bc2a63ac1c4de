// Which chat is on screen, and how it got there: chosen in the chat list, asked for by a
// notification or a search hit, the one a chat window shows, or the first after start-up. Opening
// one reads its history, read marks and gaps; the shell is told which chat is viewed.
import * as backend from "../backend";
import type { Chats } from "./chats.svelte";
import type { Drafts } from "./drafts.svelte";
import type { History } from "./history.svelte";
import type { Lock } from "./lock.svelte";
import type { Messages } from "./messages.svelte";
import type { Reads } from "./reads.svelte";
import type { Search } from "./search.svelte";
import type { Session } from "./session.svelte";
import type { Snapshots } from "./snapshots";

/** How long the first chat opens late when the window cannot paint (it is hidden). */
const FIRST_PAINT_WAIT_MS = 250;

/** The chat this window shows alone (the page's `?chat=` parameter), or null in the main window. */
export function chatWindowParam(): string | null {
  if (typeof location === "undefined") return null;
  const chatId = new URLSearchParams(location.search).get("chat");
  return chatId === null || chatId === "" ? null : chatId;
}

export type ViewDeps = {
  lock: Lock;
  snapshots: Snapshots;
  session: Session;
  chats: Chats;
  messages: Messages;
  history: History;
  reads: Reads;
  drafts: Drafts;
  search: Search;
  /** Reads the chat list again (then opens the chat wanted). */
  loadChats: () => Promise<void>;
};

export class View {
  readonly #deps: ViewDeps;
  /** This window shows only this chat (opened with open_chat_window); null: the main window. */
  readonly chatWindow: string | null = chatWindowParam();
  selectedChatId = $state<string | null>(null);
  /** Whether the chat opened last puts the focus in its composer (see select). */
  focusComposer = $state(true);
  /** Why a chat could not be opened in its own window (shown until dismissed), or null. */
  chatWindowError = $state<string | null>(null);
  // `.by`: the function runs once read, after the constructor has set `#deps`.
  selectedChat = $derived.by(() => this.#deps.chats.list.find((c) => c.chat_id === this.selectedChatId) ?? null);
  /** A chat to open once the chat list is (re)loaded: open before locking, or asked for by a notification. */
  #wantChatId: string | null = null;
  /** The chat last reported to the shell with set_viewing (undefined: nothing reported yet). */
  #viewing: string | null | undefined = undefined;
  #paintReported = false;

  constructor(deps: ViewDeps) {
    this.#deps = deps;
  }

  /**
   * Shows a chat and (re)loads its history. Its composer takes the focus, unless
   * `focusComposer` is false: moving through the chat list with the arrow keys
   * opens each chat while the focus stays in the list.
   */
  async select(chatId: string, focusComposer = true): Promise<void> {
    const { lock, chats, messages, search } = this.#deps;
    if (lock.locked) return;
    this.focusComposer = focusComposer;
    // What was typed in the chat being left is kept now, not after the pause.
    if (this.selectedChatId !== null && this.selectedChatId !== chatId) void this.#deps.drafts.save(this.selectedChatId);
    this.selectedChatId = chatId;
    // A jump asked for in another chat (whose search hit could not be opened) is off.
    if (search.jumpTo && search.jumpTo.chatId !== chatId) search.jumpTo = null;
    this.reportViewing(chatId);
    const chat = chats.list.find((c) => c.chat_id === chatId);
    if (chat) chat.unread_count = 0; // the core marks it read when opened
    messages.load[chatId] = { loading: true, error: null };
    this.#deps.history.clearError(chatId);
    void this.#deps.reads.load(chatId);
    try {
      await this.#deps.snapshots.take(
        () => backend.openChat(chatId),
        (history) => {
          if (!lock.locked) messages.merge(chatId, history);
        },
      );
      if (lock.locked) return;
      messages.load[chatId] = { loading: false, error: null };
      void this.#deps.history.loadGaps(chatId);
    } catch (error) {
      if (!lock.lockedError(error)) {
        messages.load[chatId] = { loading: false, error: backend.toIpcError(error).message };
      }
    }
  }

  /** Re-reads a chat's history without showing it as loading (it stays readable). */
  async refresh(chatId: string): Promise<void> {
    void this.#deps.reads.load(chatId);
    try {
      await this.#deps.snapshots.take(
        () => backend.openChat(chatId),
        (history) => this.#deps.messages.merge(chatId, history),
      );
      void this.#deps.history.loadGaps(chatId);
    } catch {
      /* keep what is shown; the next open re-reads it */
    }
  }

  /** A notification was clicked: open its chat now, or once unlocked (or once the chats are loaded). */
  async openFromShell(chatId: string): Promise<void> {
    // A chat window keeps to its chat; the main window opens the others.
    if (this.chatWindow !== null) return;
    const { lock, session, chats } = this.#deps;
    if (lock.locked || session.phase !== "ready" || chats.loading) {
      this.#wantChatId = chatId;
      return;
    }
    if (chats.has(chatId)) return this.select(chatId);
    // Not known yet (e.g. a new chat): read the list again, then open it.
    this.#wantChatId = chatId;
    await this.#deps.loadChats();
  }

  /** Opens a chat in a window of its own; a failure is shown until dismissed. */
  async openWindow(chatId: string): Promise<void> {
    this.chatWindowError = null;
    try {
      await backend.openChatWindow(chatId);
    } catch (error) {
      if (!this.#deps.lock.lockedError(error)) this.chatWindowError = backend.toIpcError(error).message;
    }
  }

  /**
   * After the chat list is read (`fetched`; the drafts alongside, so a chat opened first
   * starts with its draft): says why it failed, or reports the first paint and opens a chat.
   */
  async show(fetched: Promise<{ error: unknown } | null>, drafts: Promise<void>): Promise<void> {
    const { lock, chats } = this.#deps;
    const failed = await fetched;
    if (failed !== null) {
      if (!lock.lockedError(failed.error)) chats.error = backend.toIpcError(failed.error).message;
      return;
    }
    await drafts;
    if (lock.locked) return;
    if (this.chatWindow !== null) {
      // A chat window shows its one chat; it has no chat list to report painted.
      this.#wantChatId = null;
      const chatId = this.chatWindow;
      if (this.selectedChatId !== chatId && chats.has(chatId)) return this.select(chatId);
      return;
    }
    // The first time, the list goes on screen before a chat is opened: opening one (its history
    // and its layout) would otherwise hold back the first paint by a few hundred milliseconds.
    await this.#reportFirstPaint();
    const want = this.#wantChatId;
    this.#wantChatId = null;
    if (want !== null && chats.has(want)) return this.select(want);
    if (!chats.has(this.selectedChatId) && chats.list.length > 0) await this.select(chats.list[0].chat_id);
  }

  /** Locking: the chat on screen is opened again after unlocking (unless another is asked for first). */
  reopenAfterUnlock(): void {
    this.#wantChatId ??= this.selectedChatId;
  }

  /** Signed out: no chat is wanted any more. */
  forgetWanted(): void {
    this.#wantChatId = null;
  }

  /** No chat is on screen (locked or signed out). */
  clear(): void {
    this.selectedChatId = null;
    this.reportViewing(null);
  }

  /** Tells the shell which chat is on screen (only when it changes). */
  reportViewing(chatId: string | null): void {
    if (this.#viewing === chatId) return;
    this.#viewing = chatId;
    backend.setViewing(chatId).catch(() => {
      this.#viewing = undefined; // report again next time
    });
  }

  /**
   * Once, when the first chat list is on screen (after the browser has painted it); resolves
   * then, or at once when it was reported before.
   */
  #reportFirstPaint(): Promise<void> {
    const chats = this.#deps.chats.list.length;
    if (this.#paintReported || chats === 0) return Promise.resolve();
    this.#paintReported = true;
    return new Promise((resolve) => {
      // A hidden window (started in the tray) paints nothing: do not wait for it.
      const fallback = setTimeout(resolve, FIRST_PAINT_WAIT_MS);
      requestAnimationFrame(() =>
        requestAnimationFrame(() => {
          clearTimeout(fallback);
          resolve();
          backend.chatListPainted(chats).catch(() => {
            /* only a measurement: nothing to show */
          });
        }),
      );
    });
  }
}
