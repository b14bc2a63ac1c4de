// App state: session, connection, chats and per-chat messages, kept up to
// date from `core-event`s; the lock, the desktop settings, the sign-in hint,
// drafts, and (mock mode) the tester panel with its connection timeline.
// Components read it; only this module calls the backend for state-changing
// operations.
import * as backend from "./backend";
import type { ChatMessage } from "./bindings/ChatMessage";
import type { ChatSummary } from "./bindings/ChatSummary";
import type { ConnectionState } from "./bindings/ConnectionState";
import type { CoreEvent } from "./bindings/CoreEvent";
import type { MemberRead } from "./bindings/MemberRead";
import type { MessageAttachment } from "./bindings/MessageAttachment";
import type { Person } from "./bindings/Person";
import type { SearchHit } from "./bindings/SearchHit";
import type { ServiceHealth } from "./bindings/ServiceHealth";
import type { SessionInfo } from "./bindings/SessionInfo";
import type { SettingsEdit } from "./bindings/SettingsEdit";
import type { SettingsView } from "./bindings/SettingsView";
import type { SignInHint } from "./bindings/SignInHint";
import type { TesterStatus } from "./bindings/TesterStatus";
import type { TransferFile } from "./bindings/TransferFile";
import { i18n } from "./locale.svelte";
import { mergeMarks, moveMark } from "./read-counts";
import {
  TIMELINE_MAX,
  describeConnection,
  describeGap,
  describeSync,
  serviceChanges,
  type TimelineEntry,
  type TimelineKind,
} from "./timeline";

export const DEFAULT_SERVER = "http://127.0.0.1:7710";

/** Where the app is: starting up, needing a sign-in, running, or unable to start. */
export type Phase = "starting" | "signed_out" | "ready" | "failed";

/** A connected `ConnectionState`. */
export type Connected = Extract<ConnectionState, { state: "connected" }>;

/** A period without a connection (waiting or connecting), from its start until connected again. */
export type Outage = {
  /** Date.now() when the connection was lost. */
  since: number;
  /** How the connection was just before (to keep describing it during a short blip). */
  before: Connected | null;
  /** An ordinary wait (not a session renewal) happened during this outage. */
  waited: boolean;
};

/** Nothing checked yet: what the UI assumes before the core reports service health. */
export function unknownServices(): ServiceHealth {
  const unknown = () => ({ state: "unknown" as const, since_ms: 0, detail: null });
  return { discovery: unknown(), auth: unknown(), gateway: unknown(), api: unknown(), media: unknown() };
}

/**
 * True for the wait while the core renews the session's token (the account is
 * still signed in; the sign-in service has to answer first).
 */
export function isRenewingSession(state: ConnectionState): boolean {
  return state.state === "waiting" && state.why.includes("renewing the session");
}

/** A draft is saved once typing has paused this long (ms). */
export const DRAFT_PAUSE_MS = 400;

/** User activity is reported to the idle lock at most this often. */
export const ACTIVITY_THROTTLE_MS = 15_000;

/** Core events that carry message content; the shell withholds them while locked. */
const CONTENT_EVENTS: ReadonlySet<CoreEvent["type"]> = new Set([
  "message_added",
  "message_updated",
  "message_removed",
  "chat_updated",
]);

/** A catch-up after reconnecting that is still under way ("Updating… 3,200 of 10,000"). */
export type SyncProgress = {
  done: number;
  total: number;
  /** Date.now() when this catch-up was first reported (the banner waits before mentioning it). */
  since: number;
};

/** A message to scroll to and highlight once its chat is open (a search hit was chosen). */
export type JumpTarget = { chatId: string; msgId: string | null; clientMsgId: string | null };

/** True when `m` is the message `target` points at (by server id or by client id). */
export function isJumpTarget(m: ChatMessage, target: JumpTarget): boolean {
  return (
    (target.msgId !== null && m.msg_id === target.msgId) ||
    (target.clientMsgId !== null && m.client_msg_id === target.clientMsgId)
  );
}

/**
 * `ChatHistory.error` when the cache has nothing older and the server can't be
 * asked: the UI's own words, so the chat says it in the current language.
 */
export const NOTHING_OLDER_OFFLINE = "nothing_older_offline";

/** How long the first chat opens late when the window cannot paint (it is hidden). */
const FIRST_PAINT_WAIT_MS = 250;

/** Loading state of one chat's history. */
export type ChatLoad = { loading: boolean; error: string | null };

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

/** How far one file's upload or download has come, in bytes. */
export type Transfer = { done: number; total: number };

/** `AppStore.transfers` key of an own message's file (its place among the message's files) on its way up. */
export function uploadKey(clientMsgId: string, position: number): string {
  return `up:${position}:${clientMsgId}`;
}

/** `AppStore.transfers` key of a file being downloaded (saved). */
export function downloadKey(mediaId: string): string {
  return `down:${mediaId}`;
}

/** A message's identity: its client id when this client sent it, else the server id. */
export function messageKey(m: ChatMessage): string | null {
  return m.client_msg_id ?? m.msg_id;
}

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

/** The chat this window shows alone (the page's `?chat=` parameter), or null in the main window. */
export function chatWindowParam(): string | null {
  if (typeof location === "undefined") return null;
  const chatId = new URLSearchParams(location.search).get("chat");
  return chatId === null || chatId === "" ? null : chatId;
}

export class AppStore {
  /** This window shows only this chat (opened with open_chat_window); null: the main window. */
  readonly chatWindow: string | null = chatWindowParam();
  phase = $state<Phase>("starting");
  startError = $state<string | null>(null);
  session = $state<SessionInfo | null>(null);
  /** Server address to prefill on the sign-in screen. */
  lastServer = $state(DEFAULT_SERVER);
  connection = $state<ConnectionState>({ state: "signed_out" });
  /** Date.now() when `connection` last changed (for the retry countdown). */
  connectionSince = $state(0);
  /** The current period without a connection, or null while connected or signed out. */
  outage = $state<Outage | null>(null);
  /** Which backend services are up, down or degraded. */
  services = $state<ServiceHealth>(unknownServices());
  /** Why the server wants a fresh sign-in, or null. The chats stay readable meanwhile. */
  signInRequired = $state<string | null>(null);
  chats = $state<ChatSummary[]>([]);
  chatsLoading = $state(false);
  chatsError = $state<string | null>(null);
  /**
   * Per chat, its messages, oldest first. Not deeply reactive: a chat may hold
   * 100,000 of them, and a proxy and signals for each would cost more than the
   * list itself. Every change replaces the chat's array (see #setMessages), and
   * a changed message is a new object.
   */
  messages = $state.raw<Record<string, ChatMessage[]>>({});
  chatLoad = $state<Record<string, ChatLoad>>({});
  selectedChatId = $state<string | null>(null);
  /** Whether the chat opened last puts the focus in its composer (see selectChat). */
  focusComposer = $state(true);
  /** Content is hidden behind the passcode: no chats or messages are held meanwhile. */
  locked = $state(false);
  /** The desktop settings, once loaded (null: not yet, or they could not be read). */
  settings = $state<SettingsView | null>(null);
  settingsOpen = $state(false);
  /** What the sign-in screen prefills, and a notice to show above it. */
  signInHint = $state<SignInHint | null>(null);
  /** The user closed the "sign-in won't be kept" notice for this session. */
  rememberNoticeDismissed = $state(false);
  /** A catch-up in progress, or null when there is none (or it has finished). */
  sync = $state<SyncProgress | null>(null);
  /** The search dialog is open. */
  searchOpen = $state(false);
  /** The new chat dialog is open. */
  newChatOpen = $state(false);
  /** Why a chat could not be opened in its own window (shown until dismissed), or null. */
  chatWindowError = $state<string | null>(null);
  /** A message the open chat should scroll to and highlight, or null. */
  jumpTo = $state<JumpTarget | null>(null);
  /** Per chat: scrolling back and the gaps in its history. */
  history = $state<Record<string, ChatHistory>>({});
  /**
   * Per chat opened: its other members and how far each has read (the messages' read counts).
   * A chat without an entry shows no counts. Each change replaces the chat's list.
   */
  reads = $state.raw<Record<string, readonly MemberRead[]>>({});
  /**
   * Files moving now, by uploadKey or downloadKey. A finished download goes at
   * once (its save settles next); a finished upload stays, full, until the
   * message brings the file's media id: the core uploads all of a message's
   * files before it says so, and the card should not fall back to "waiting".
   */
  transfers = $state<Record<string, Transfer>>({});
  /** Per chat: the text left in its composer, as saved (the composer restores it; the list shows it). */
  drafts = $state<Record<string, string>>({});
  /** The embedded mock backend's levers (mock mode only; null: not running with it). */
  tester = $state<TesterStatus | null>(null);
  testerOpen = $state(false);
  /** What happened to the connection, newest first, from start-up on (the tester panel shows it). */
  timeline = $state<TimelineEntry[]>([]);

  selectedChat = $derived(this.chats.find((c) => c.chat_id === this.selectedChatId) ?? null);

  #unlisten: (() => void)[] = [];
  /** Snapshot loads in flight; events are queued meanwhile and replayed after. */
  #loads = 0;
  #queued: CoreEvent[] = [];
  /** A chat to open once the chat list is (re)loaded: open before locking, or asked for by a notification. */
  #wantChatId: string | null = null;
  /** The chat last reported to the shell with set_viewing (undefined: nothing reported yet). */
  #viewing: string | null | undefined = undefined;
  /** Date.now() when activity was last reported. */
  #lastActivity = Number.NEGATIVE_INFINITY;
  /** Chats with a mark_read in flight, and whether another one is wanted after it. */
  #marking = new Map<string, boolean>();
  /** Per chat: text typed but not saved yet, and the timer that saves it. */
  #typed = new Map<string, string>();
  #draftTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** tester_status was asked (once per run: the answer does not change). */
  #testerChecked = false;
  #timelineId = 0;
  /** The timeline entry of the catch-up under way (updated in place), or null. */
  #syncEntry: number | null = null;
  /** The services as the timeline last described them (it notes only changes). */
  #timelineServices: ServiceHealth = unknownServices();

  /**
   * Subscribes to the shell's events, then loads the session, whether the app
   * is locked, and (signed in and unlocked) the chats.
   */
  async start(): Promise<void> {
    this.phase = "starting";
    this.startError = null;
    try {
      // Subscribe first so nothing that happens during loading is missed.
      if (this.#unlisten.length === 0) {
        this.#unlisten = await Promise.all([
          backend.onCoreEvent((e) => this.#onEvent(e)),
          backend.onLockChanged((locked) => void this.#lockChanged(locked)),
          backend.onOpenChat((chatId) => void this.openChatFromShell(chatId)),
          backend.onResync(() => void this.#resync()),
        ]);
      }
      void this.#checkTester();
      void this.loadSettings();
      const session = this.#snapshot(backend.session, (s) => {
        if (s) this.#setSession(s);
      });
      const [info, locked] = await Promise.all([session, backend.isLocked()]);
      if (locked) this.#enterLock();
      if (!info) {
        await this.#loadSignInHint();
        this.phase = "signed_out";
        return;
      }
      if (this.locked) {
        this.phase = "ready";
        return;
      }
      // Read before the main screen shows, not after: it is then laid out once, with its chats,
      // instead of empty and then again (each layout of the first screen costs WebKit about 80 ms).
      const chats = this.#fetchChats();
      const drafts = this.#loadDrafts();
      await chats;
      this.phase = "ready";
      await this.#showChats(chats, drafts);
    } catch (error) {
      this.startError = backend.toIpcError(error).message;
      this.phase = "failed";
    }
  }

  stop(): void {
    for (const unlisten of this.#unlisten) unlisten();
    this.#unlisten = [];
  }

  /** Signs in; rejects with an `IpcError` (the form shows its message). */
  async signIn(server: string, username: string, password: string): Promise<void> {
    this.lastServer = server;
    await this.#snapshot(
      () => backend.login(server, username, password),
      (s) => this.#setSession(s),
    );
    this.phase = "ready";
    await this.loadChats();
  }

  /**
   * Back to the sign-in screen (after the core reported it signed out or asked
   * for a sign-in, or after signing out). `notice` is shown above the form.
   */
  showSignIn(notice: string | null = null): void {
    if (this.session) this.lastServer = this.session.server;
    this.session = null;
    this.signInRequired = null;
    this.outage = null;
    this.services = unknownServices();
    this.#clearContent();
    this.#wantChatId = null;
    this.settingsOpen = false;
    this.searchOpen = false;
    this.newChatOpen = false;
    this.testerOpen = false;
    this.sync = null;
    this.rememberNoticeDismissed = false;
    this.signInHint = notice === null ? null : { server: null, username: null, notice };
    this.phase = "signed_out";
    void this.#loadSignInHint(notice);
  }

  /**
   * Signs out, then shows the sign-in screen. A `keyring_error` (signed out,
   * but the kept sign-in could not be forgotten) still signs out and is shown
   * there; any other error rejects (the settings panel shows it).
   */
  async signOut(): Promise<void> {
    let notice: string | null = null;
    try {
      await backend.signOut();
    } catch (error) {
      const e = backend.toIpcError(error);
      if (e.code !== "keyring_error") throw e;
      notice = e.message;
    }
    this.showSignIn(notice);
  }

  async loadChats(): Promise<void> {
    if (this.locked) return;
    await this.#showChats(this.#fetchChats(), this.#loadDrafts());
  }

  /**
   * Reads the chat list into `chats` (events that come meanwhile wait for it). Resolves with
   * the error when it could not be read.
   */
  #fetchChats(): Promise<{ error: unknown } | null> {
    this.chatsLoading = true;
    this.chatsError = null;
    return this.#snapshot(backend.listChats, (chats) => {
      if (!this.locked) this.chats = sortChats(chats);
    })
      .then(
        () => null,
        (error: unknown) => ({ error }),
      )
      .finally(() => (this.chatsLoading = false));
  }

  /**
   * After the chat list is read (`fetched`; the drafts alongside, so a chat opened first
   * starts with its draft): says why it failed, or reports the first paint and opens a chat.
   */
  async #showChats(fetched: Promise<{ error: unknown } | null>, drafts: Promise<void>): Promise<void> {
    const failed = await fetched;
    if (failed !== null) {
      if (!this.#lockedError(failed.error)) this.chatsError = backend.toIpcError(failed.error).message;
      return;
    }
    await drafts;
    if (this.locked) return;
    if (this.chatWindow !== null) {
      // A chat window shows its one chat; it has no chat list to report painted.
      this.#wantChatId = null;
      const chatId = this.chatWindow;
      if (this.selectedChatId !== chatId && this.chats.some((c) => c.chat_id === chatId)) {
        return this.selectChat(chatId);
      }
      return;
    }
    // The first time, the list goes on screen before a chat is opened: opening one (its history
    // and its layout) would otherwise hold back the first paint by a few hundred milliseconds.
    await this.#reportFirstPaint();
    const want = this.#wantChatId;
    this.#wantChatId = null;
    if (want !== null && this.chats.some((c) => c.chat_id === want)) return this.selectChat(want);
    const stillThere = this.chats.some((c) => c.chat_id === this.selectedChatId);
    if (!stillThere && this.chats.length > 0) await this.selectChat(this.chats[0].chat_id);
  }

  /** Events were missed: read the chat list and the open chat again. */
  async #resync(): Promise<void> {
    if (this.locked || this.phase !== "ready") return;
    // Marks may have moved unseen: the open chat's are read again, the others' when next opened.
    const open = this.selectedChatId;
    this.reads = open !== null && this.reads[open] ? { [open]: this.reads[open] } : {};
    // Updates that ended transfers may be among those missed; files still moving say so again within a moment.
    this.transfers = {};
    await this.loadChats();
    if (this.selectedChatId !== null) await this.#refreshHistory(this.selectedChatId);
  }

  #paintReported = false;

  /**
   * Once, when the first chat list is on screen (after the browser has painted it); resolves
   * then, or at once when it was reported before.
   */
  #reportFirstPaint(): Promise<void> {
    if (this.#paintReported || this.chats.length === 0) return Promise.resolve();
    this.#paintReported = true;
    const chats = this.chats.length;
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

  /**
   * Shows a chat and (re)loads its history. Its composer takes the focus, unless
   * `focusComposer` is false: moving through the chat list with the arrow keys
   * opens each chat while the focus stays in the list.
   */
  async selectChat(chatId: string, focusComposer = true): Promise<void> {
    if (this.locked) return;
    this.focusComposer = focusComposer;
    // What was typed in the chat being left is kept now, not after the pause.
    if (this.selectedChatId !== null && this.selectedChatId !== chatId) void this.saveDraft(this.selectedChatId);
    this.selectedChatId = chatId;
    // A jump asked for in another chat (whose search hit could not be opened) is off.
    if (this.jumpTo && this.jumpTo.chatId !== chatId) this.jumpTo = null;
    this.#reportViewing(chatId);
    const chat = this.chats.find((c) => c.chat_id === chatId);
    if (chat) chat.unread_count = 0; // the core marks it read when opened
    this.chatLoad[chatId] = { loading: true, error: null };
    if (this.history[chatId]) this.history[chatId].error = null;
    void this.#loadReads(chatId);
    try {
      await this.#snapshot(
        () => backend.openChat(chatId),
        (history) => {
          if (!this.locked) this.#mergeHistory(chatId, history);
        },
      );
      if (this.locked) return;
      this.chatLoad[chatId] = { loading: false, error: null };
      void this.#loadGaps(chatId);
    } catch (error) {
      if (!this.#lockedError(error)) {
        this.chatLoad[chatId] = { loading: false, error: backend.toIpcError(error).message };
      }
    }
  }

  /** A notification was clicked: open its chat now, or once unlocked (or once the chats are loaded). */
  async openChatFromShell(chatId: string): Promise<void> {
    // A chat window keeps to its chat; the main window opens the others.
    if (this.chatWindow !== null) return;
    if (this.locked || this.phase !== "ready" || this.chatsLoading) {
      this.#wantChatId = chatId;
      return;
    }
    if (this.chats.some((c) => c.chat_id === chatId)) return this.selectChat(chatId);
    // Not known yet (e.g. a new chat): read the list again, then open it.
    this.#wantChatId = chatId;
    await this.loadChats();
  }

  /** Opens a chat in a window of its own; a failure is shown until dismissed. */
  async openChatWindow(chatId: string): Promise<void> {
    this.chatWindowError = null;
    try {
      await backend.openChatWindow(chatId);
    } catch (error) {
      if (!this.#lockedError(error)) this.chatWindowError = backend.toIpcError(error).message;
    }
  }

  /** The people a chat can be started with; rejects with an `IpcError` (the dialog shows it). */
  async people(): Promise<Person[]> {
    try {
      return await backend.people();
    } catch (error) {
      this.#lockedError(error);
      throw backend.toIpcError(error);
    }
  }

  /**
   * Starts a chat, then closes the new chat dialog and opens it; rejects with an
   * `IpcError` (retryable while offline) and the dialog stays open to show it.
   */
  async createChat(title: string, memberIds: string[]): Promise<void> {
    let chat: ChatSummary;
    try {
      chat = await backend.createChat(title, memberIds);
    } catch (error) {
      this.#lockedError(error);
      throw backend.toIpcError(error);
    }
    if (this.locked) return;
    // chat_updated brings the same chat: replacing by id keeps it listed once.
    this.#replaceChat(chat);
    this.newChatOpen = false;
    await this.selectChat(chat.chat_id);
  }

  /** Mutes or unmutes a chat; rejects with an `IpcError` (the chat header shows it). */
  async setMuted(chatId: string, muted: boolean): Promise<void> {
    try {
      const chat = await backend.setMuted(chatId, muted);
      if (!this.locked) this.#replaceChat(chat);
    } catch (error) {
      this.#lockedError(error);
      throw backend.toIpcError(error);
    }
  }

  /** Pins or unpins a chat; rejects with an `IpcError` (the chat header shows it). */
  async setPinned(chatId: string, pinned: boolean): Promise<void> {
    try {
      const chat = await backend.setPinned(chatId, pinned);
      if (!this.locked) this.#replaceChat(chat);
    } catch (error) {
      this.#lockedError(error);
      throw backend.toIpcError(error);
    }
  }

  // --- Scrolling back and gaps in the history --------------------------------

  #historyOf(chatId: string): ChatHistory {
    this.history[chatId] ??= { loading: false, error: null, hasMore: null, gaps: [] };
    return this.history[chatId];
  }

  /**
   * Shows older messages above the chat's history. Does nothing while the chat
   * is still being read (the core continues from its oldest message shown),
   * while a page is already on its way, or once the start was reached.
   */
  async loadOlder(chatId: string): Promise<void> {
    const load = this.chatLoad[chatId];
    const history = this.#historyOf(chatId);
    if (this.locked || !load || load.loading || load.error !== null) return;
    if (history.loading || history.hasMore === false) return;
    history.loading = true;
    history.error = null;
    try {
      const page = await backend.loadOlder(chatId);
      if (this.locked) return;
      const added = this.#prepend(chatId, page.messages);
      const after = this.#historyOf(chatId);
      after.hasMore = page.has_more;
      if (page.missing_above !== null && !after.gaps.includes(page.missing_above)) {
        after.gaps = [...after.gaps, page.missing_above];
      }
      // Nothing new yet more to come: the server can't be asked and the cache has no more.
      // Said, with a retry, rather than asked again and again while scrolled to the top.
      if (added === 0 && page.has_more) after.error = NOTHING_OLDER_OFFLINE;
    } catch (error) {
      if (!this.#lockedError(error)) this.#historyOf(chatId).error = backend.toIpcError(error).message;
    } finally {
      if (!this.locked) this.#historyOf(chatId).loading = false;
    }
  }

  /**
   * Fetches the messages missing after message `above` and shows them right
   * after it; rejects with an `IpcError` (retryable while offline) and the gap
   * stays marked.
   */
  async fillGap(chatId: string, above: string): Promise<void> {
    let filled: ChatMessage[];
    try {
      filled = await backend.fillGap(chatId, above);
    } catch (error) {
      this.#lockedError(error);
      throw backend.toIpcError(error);
    }
    if (this.locked) return;
    const list = this.messages[chatId];
    const at = list ? list.findIndex((m) => m.msg_id === above) : -1;
    if (list && at >= 0) {
      const have = new Set(list.map(messageKey).filter((k) => k !== null));
      const fresh = filled.filter((m) => {
        const k = messageKey(m);
        return k === null || !have.has(k);
      });
      this.#setMessages(chatId, [...list.slice(0, at + 1), ...fresh, ...list.slice(at + 1)]);
    }
    const history = this.#historyOf(chatId);
    history.gaps = history.gaps.filter((id) => id !== above);
    // A long gap fills over several calls: the core knows whether this one closed.
    void this.#loadGaps(chatId);
  }

  /** Reads where the chat's history may have holes (for the gap markers). */
  async #loadGaps(chatId: string): Promise<void> {
    try {
      const gaps = await backend.historyGaps(chatId);
      if (!this.locked) this.#historyOf(chatId).gaps = gaps;
    } catch (error) {
      this.#lockedError(error);
      /* no markers for now; scrolling back finds the gaps again */
    }
  }

  /** Puts older messages above a chat's history, each once; resolves with how many were new. */
  #prepend(chatId: string, older: ChatMessage[]): number {
    const list = this.messages[chatId] ?? [];
    const have = new Set(list.map(messageKey).filter((k) => k !== null));
    const fresh = older.filter((m) => {
      const k = messageKey(m);
      return k === null || !have.has(k);
    });
    if (fresh.length > 0) this.#setMessages(chatId, [...fresh, ...list]);
    return fresh.length;
  }

  // --- Read marks -------------------------------------------------------------

  /** The window got the focus back (or was shown again): the open chat is being read. */
  windowFocused(): void {
    if (this.selectedChatId !== null) this.#markRead(this.selectedChatId);
  }

  /** The chat is on screen and the user can see it: not locked, the window visible and focused. */
  #seeing(chatId: string): boolean {
    return (
      !this.locked &&
      this.phase === "ready" &&
      this.selectedChatId === chatId &&
      document.visibilityState === "visible" &&
      document.hasFocus()
    );
  }

  /**
   * Tells the core the chat is read. One call at a time per chat, and one more
   * after it if asked meanwhile, so a burst of messages is not a burst of calls.
   * The summary it answers is not applied: chat_updated events carry the same,
   * and an answer could overtake a newer one.
   */
  #markRead(chatId: string): void {
    if (!this.#seeing(chatId)) return;
    if (this.#marking.has(chatId)) {
      this.#marking.set(chatId, true);
      return;
    }
    this.#marking.set(chatId, false);
    backend
      .markRead(chatId)
      .catch((error) => this.#lockedError(error))
      .finally(() => {
        const again = this.#marking.get(chatId) === true;
        this.#marking.delete(chatId);
        if (again) this.#markRead(chatId);
      });
  }

  /**
   * Reads how far the chat's other members have read it. A failure drops what
   * was known: no count is better than a wrong one.
   */
  async #loadReads(chatId: string): Promise<void> {
    if (this.locked) return;
    try {
      await this.#snapshot(
        () => backend.readMarks(chatId),
        (fresh) => {
          if (!this.locked) this.reads = { ...this.reads, [chatId]: mergeMarks(fresh, this.reads[chatId]) };
        },
      );
    } catch (error) {
      if (this.#lockedError(error) || !(chatId in this.reads)) return;
      const rest = { ...this.reads };
      delete rest[chatId];
      this.reads = rest;
    }
  }

  /** Another member read further: their mark moves on (never back), in a chat whose marks are loaded. */
  #moveReadMark(chatId: string, userId: string, msgId: string): void {
    const known = this.reads[chatId];
    if (!known) return;
    const moved = moveMark(known, userId, msgId);
    if (moved !== known) this.reads = { ...this.reads, [chatId]: moved };
  }

  // --- Lock -----------------------------------------------------------------

  /** Unlocks; rejects with an `IpcError` (`wrong_passcode`, `too_many_attempts`) for the lock screen. */
  async unlock(passcode: string): Promise<void> {
    await backend.unlock(passcode);
    await this.#leaveLock();
  }

  /** Locks now; rejects with an `IpcError` (e.g. `no_passcode`). */
  async lockNow(): Promise<void> {
    await backend.lockNow();
    this.#enterLock();
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

  async #lockChanged(locked: boolean): Promise<void> {
    if (locked) this.#enterLock();
    else await this.#leaveLock();
  }

  /** Drops every chat and message from memory (the UI unmounts them) and stops viewing any chat. */
  #enterLock(): void {
    if (!this.locked) this.#wantChatId ??= this.selectedChatId;
    this.locked = true;
    this.settingsOpen = false;
    this.searchOpen = false;
    this.newChatOpen = false;
    this.testerOpen = false;
    this.#clearContent();
  }

  /** The shell withheld content events while locked: read the chats (and the open chat) again. */
  async #leaveLock(): Promise<void> {
    if (!this.locked) return;
    this.locked = false;
    this.#lastActivity = Number.NEGATIVE_INFINITY;
    if (this.phase === "ready" && this.session) await this.loadChats();
  }

  /** A command refused because the shell is locked: lock here too. */
  #lockedError(error: unknown): boolean {
    if (backend.toIpcError(error).code !== "locked") return false;
    this.#enterLock();
    return true;
  }

  #clearContent(): void {
    this.chats = [];
    this.chatsError = null;
    this.messages = {};
    this.chatLoad = {};
    this.selectedChatId = null;
    this.jumpTo = null;
    this.history = {};
    this.reads = {};
    this.transfers = {};
    // Drafts are content too; the core keeps them and they are read again after unlocking.
    for (const timer of this.#draftTimers.values()) clearTimeout(timer);
    this.#draftTimers.clear();
    this.#typed.clear();
    this.drafts = {};
    this.#queued = this.#queued.filter((e) => !CONTENT_EVENTS.has(e.type));
    this.#reportViewing(null);
  }

  /** Tells the shell which chat is on screen (only when it changes). */
  #reportViewing(chatId: string | null): void {
    if (this.#viewing === chatId) return;
    this.#viewing = chatId;
    backend.setViewing(chatId).catch(() => {
      this.#viewing = undefined; // report again next time
    });
  }

  // --- Settings and sign-in hint --------------------------------------------

  /** Reads the desktop settings (keeps the last ones if that fails). */
  async loadSettings(): Promise<SettingsView | null> {
    try {
      this.settings = await backend.getSettings();
    } catch {
      /* the settings panel shows that they could not be read */
    }
    return this.settings;
  }

  /**
   * Saves the settings; rejects with an `IpcError` (the settings panel shows it).
   * A theme or language shows at once, before the core has stored it, and goes
   * back if it could not be.
   */
  async updateSettings(edit: SettingsEdit): Promise<SettingsView> {
    const before = this.settings;
    if (before && (edit.theme !== undefined || edit.language !== undefined)) {
      this.settings = { ...before, theme: edit.theme ?? before.theme, language: edit.language ?? before.language };
    }
    try {
      const view = await backend.updateSettings(edit);
      this.settings = view;
      return view;
    } catch (error) {
      if (before && this.settings) {
        this.settings = { ...this.settings, theme: before.theme, language: before.language };
      }
      throw error;
    }
  }

  /** Sets or changes the passcode; rejects with an `IpcError`. */
  async setPasscode(current: string | null, passcode: string): Promise<void> {
    await backend.setPasscode(current, passcode);
    await this.loadSettings();
  }

  /** Removes the passcode; rejects with an `IpcError`. */
  async removePasscode(current: string): Promise<void> {
    await backend.removePasscode(current);
    await this.loadSettings();
  }

  /** Reads what the sign-in screen can prefill; `notice` (if any) is shown instead of the hint's. */
  async #loadSignInHint(notice: string | null = null): Promise<void> {
    try {
      const hint = await backend.signInHint();
      if (this.phase !== "signed_out" && this.phase !== "starting") return;
      this.signInHint = { ...hint, notice: notice ?? hint.notice };
      if (hint.server) this.lastServer = hint.server;
    } catch {
      /* nothing to prefill */
    }
  }

  /**
   * Asks the core to stop waiting and connect now. Failures are not shown:
   * the connection state that follows says how it went.
   */
  async reconnectNow(): Promise<void> {
    try {
      await backend.reconnectNow();
    } catch {
      /* the banner keeps showing the current state */
    }
  }

  /** Sends a message; rejects with an `IpcError` if the core refused it. */
  async send(chatId: string, body: string): Promise<void> {
    // The text is on its way: it is no longer a draft (the composer gives it back if this fails).
    void this.saveDraft(chatId, "");
    let message: ChatMessage;
    try {
      message = await backend.sendMessage(chatId, body);
    } catch (error) {
      this.#lockedError(error);
      throw backend.toIpcError(error);
    }
    if (!this.locked) this.#upsert(message, "returned");
  }

  /** Sends files with an optional caption; rejects with an `IpcError` if the core refused them. */
  async sendFiles(chatId: string, body: string, paths: string[]): Promise<void> {
    // A caption is the composer's text (dropped files go without it and leave the draft be).
    if (body.trim() !== "") void this.saveDraft(chatId, "");
    let message: ChatMessage;
    try {
      message = await backend.sendFiles(chatId, body, paths);
    } catch (error) {
      this.#lockedError(error);
      throw backend.toIpcError(error);
    }
    if (!this.locked) this.#upsert(message, "returned");
  }

  /** Opens the system file chooser; resolves with the chosen paths, rejects with an `IpcError`. */
  async pickFiles(): Promise<string[]> {
    try {
      return await backend.pickFiles();
    } catch (error) {
      this.#lockedError(error);
      throw backend.toIpcError(error);
    }
  }

  /** Saves a received file into Downloads; resolves with where, rejects with an `IpcError`. */
  async saveAttachment(attachment: MessageAttachment): Promise<string> {
    try {
      return await backend.saveAttachment(attachment);
    } catch (error) {
      this.#lockedError(error);
      throw backend.toIpcError(error);
    } finally {
      // A save that failed part way leaves its last count behind otherwise.
      if (attachment.media_id !== null) this.#dropTransfer(downloadKey(attachment.media_id));
    }
  }

  // --- Unsent messages ------------------------------------------------------

  /** Sends a failed message again; rejects with an `IpcError`. It turns pending via `message_updated`. */
  async retryMessage(clientMsgId: string): Promise<void> {
    try {
      await backend.retryMessage(clientMsgId);
    } catch (error) {
      this.#lockedError(error);
      throw backend.toIpcError(error);
    }
  }

  /** Retries every failed message of a chat; resolves with how many, rejects with an `IpcError`. */
  async retryAll(chatId: string): Promise<number> {
    try {
      return await backend.retryAll(chatId);
    } catch (error) {
      this.#lockedError(error);
      throw backend.toIpcError(error);
    }
  }

  /** Deletes an unsent message; rejects with an `IpcError`. */
  async deleteMessage(chatId: string, clientMsgId: string): Promise<void> {
    try {
      await backend.deleteMessage(clientMsgId);
    } catch (error) {
      this.#lockedError(error);
      throw backend.toIpcError(error);
    }
    // The core's message_removed says the same; removing twice is harmless.
    if (!this.locked) this.#remove(chatId, clientMsgId);
  }

  /**
   * Changes a failed message's text and sends it again in its place; rejects
   * with an `IpcError` (e.g. an empty text). It turns pending via `message_updated`.
   */
  async editMessage(clientMsgId: string, body: string): Promise<void> {
    try {
      await backend.editMessage(clientMsgId, body);
    } catch (error) {
      this.#lockedError(error);
      throw backend.toIpcError(error);
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

  // --- Drafts ------------------------------------------------------------------

  /** The composer's text changed: it is saved as the chat's draft once typing pauses. */
  typeDraft(chatId: string, text: string): void {
    this.#typed.set(chatId, text);
    clearTimeout(this.#draftTimers.get(chatId));
    this.#draftTimers.set(
      chatId,
      setTimeout(() => void this.saveDraft(chatId), DRAFT_PAUSE_MS),
    );
  }

  /**
   * Saves a chat's draft now: `text`, or else what was typed since the last
   * save (nothing to do if nothing was). Empty text clears it. Only changes
   * are sent; a failure is not shown (the next change saves again).
   */
  async saveDraft(chatId: string, text?: string): Promise<void> {
    clearTimeout(this.#draftTimers.get(chatId));
    this.#draftTimers.delete(chatId);
    const typed = text ?? this.#typed.get(chatId);
    this.#typed.delete(chatId);
    if (typed === undefined || this.locked) return;
    const body = typed.trim() === "" ? "" : typed;
    if ((this.drafts[chatId] ?? "") === body) return;
    if (body === "") delete this.drafts[chatId];
    else this.drafts[chatId] = body;
    try {
      await backend.saveDraft(chatId, body);
    } catch (error) {
      this.#lockedError(error);
    }
  }

  /** Reads every chat's draft (kept by the core across restarts). */
  async #loadDrafts(): Promise<void> {
    try {
      const pairs = await backend.drafts();
      if (this.locked) return;
      const drafts: Record<string, string> = {};
      for (const [chatId, text] of pairs) drafts[chatId] = text;
      this.drafts = drafts;
    } catch (error) {
      this.#lockedError(error);
      /* no drafts to restore; what is typed from now on is still saved */
    }
  }

  // --- Tester panel (mock mode) ----------------------------------------------

  /** Asks once whether the app runs with the embedded mock backend; only then is there a tester panel. */
  async #checkTester(): Promise<void> {
    if (this.#testerChecked) return;
    this.#testerChecked = true;
    try {
      this.tester = await backend.testerStatus();
    } catch {
      /* not mock mode: no tester panel */
    }
  }

  /** Reads the tester status again (a scenario moves the faults); failures keep what is shown. */
  async refreshTester(): Promise<void> {
    if (this.tester === null) return;
    try {
      this.tester = await backend.testerStatus();
    } catch {
      /* shown as it was; the next refresh tries again */
    }
  }

  /** Sets a fault ("gw-a1" → "blackhole"); rejects with an `IpcError` (the panel shows it). */
  async setTesterFault(target: string, fault: string): Promise<void> {
    this.tester = await backend.testerSetFault(target, fault);
    this.#note("tester", () => i18n.t.tl.youSet(target, fault));
  }

  /** Plays a shipped scenario; rejects with an `IpcError`. */
  async playScenario(name: string, timeScale: number): Promise<void> {
    this.tester = await backend.testerPlay(name, timeScale);
    this.#note("tester", () => i18n.t.tl.youPlayed(name, timeScale));
  }

  /** Stops the scenario playing; rejects with an `IpcError`. */
  async stopScenario(): Promise<void> {
    const playing = this.tester?.playing ?? null;
    this.tester = await backend.testerStop();
    this.#note("tester", () => i18n.t.tl.youStopped(playing));
  }

  /** Adds an entry at the top of the timeline, dropping the oldest beyond TIMELINE_MAX. */
  #note(kind: TimelineKind, text: () => string, state?: ConnectionState["state"]): void {
    const entry: TimelineEntry = { id: ++this.#timelineId, at: Date.now(), kind, text };
    if (state !== undefined) entry.state = state;
    this.timeline = [entry, ...this.timeline.slice(0, TIMELINE_MAX - 1)];
  }

  /** Notes what a core event says about the connection (as it arrives, even while locked or loading). */
  #record(event: CoreEvent): void {
    switch (event.type) {
      case "connection_changed":
        this.#note("connection", () => describeConnection(event.state), event.state.state);
        break;
      case "services_changed":
        for (const line of serviceChanges(this.#timelineServices, event.services)) this.#note("services", line);
        this.#timelineServices = event.services;
        break;
      case "sync_progress": {
        // One line per catch-up, counting up, rather than hundreds.
        const { done, total } = event;
        const text = () => describeSync(done, total);
        const finished = event.total <= 0 || event.done >= event.total;
        const top = this.timeline[0];
        if (top !== undefined && top.id === this.#syncEntry) this.timeline[0] = { ...top, at: Date.now(), text };
        else if (finished && event.total <= 0) break; // nothing was missed: not worth a line
        else this.#note("sync", text);
        this.#syncEntry = finished ? null : this.timeline[0].id;
        break;
      }
      case "history_gap":
        this.#note("gap", () => describeGap(event.after_seq, event.resumes_at_seq));
        break;
    }
  }

  // --- Search ----------------------------------------------------------------

  /**
   * Searches the messages cached on this computer, in one chat or (null) all;
   * rejects with an `IpcError` (shown in the dialog).
   */
  async search(query: string, chatId: string | null = null): Promise<SearchHit[]> {
    try {
      return await backend.search(query, chatId);
    } catch (error) {
      this.#lockedError(error);
      throw backend.toIpcError(error);
    }
  }

  /** Closes the search, opens the hit's chat and asks it to scroll to (and highlight) the message. */
  async openSearchHit(message: ChatMessage): Promise<void> {
    this.searchOpen = false;
    if (this.locked) return;
    this.jumpTo = { chatId: message.chat_id, msgId: message.msg_id, clientMsgId: message.client_msg_id };
    // The open chat already shows its messages: no need to read it again.
    if (this.selectedChatId === message.chat_id && this.chats.some((c) => c.chat_id === message.chat_id)) return;
    await this.openChatFromShell(message.chat_id);
  }

  /** Applies one core event (public for tests and tooling). */
  apply(event: CoreEvent): void {
    // Nothing is held while locked; the chats are read again on unlocking.
    // (The shell passes transfer progress while locked; it would stay behind with no message to end it.)
    const aboutChats =
      event.type === "history_gap" || event.type === "read_mark_moved" || event.type === "transfer_progress";
    if (this.locked && (CONTENT_EVENTS.has(event.type) || aboutChats)) return;
    switch (event.type) {
      case "message_added":
        this.#upsert(event.message, "added");
        break;
      case "message_updated":
        this.#upsert(event.message, "updated");
        break;
      case "message_removed":
        this.#remove(event.chat_id, event.client_msg_id);
        break;
      case "sync_progress":
        if (event.total <= 0 || event.done >= event.total) this.sync = null;
        else this.sync = { done: event.done, total: event.total, since: this.sync?.since ?? Date.now() };
        break;
      case "chat_updated":
        this.#replaceChat(event.chat);
        break;
      case "connection_changed":
        this.#setConnection(event.state);
        if (this.session) this.session.connection = event.state;
        break;
      case "services_changed":
        this.services = event.services;
        if (this.session) this.session.services = event.services;
        break;
      case "sign_in_required":
        // Not an outage: keep everything readable and ask for a sign-in.
        this.signInRequired = event.reason;
        break;
      case "history_gap":
        // Some events were skipped; the open chat re-reads its history.
        if (this.selectedChatId) void this.#refreshHistory(this.selectedChatId);
        break;
      case "read_mark_moved":
        // Not a reason to mark anything read here: only what this user sees is.
        this.#moveReadMark(event.chat_id, event.user_id, event.msg_id);
        break;
      case "transfer_progress":
        this.#progress(event.file, event.done, event.total);
        break;
    }
  }

  #progress(file: TransferFile, done: number, total: number): void {
    if (file.direction === "download") {
      const key = downloadKey(file.media_id);
      if (done >= total) this.#dropTransfer(key);
      else this.transfers[key] = { done, total };
    } else {
      this.transfers[uploadKey(file.client_msg_id, file.position)] = { done, total };
    }
  }

  #dropTransfer(key: string): void {
    if (key in this.transfers) delete this.transfers[key];
  }

  /** An own message's files that have their media ids, or all once it is sent or failed, are no longer on their way. */
  #settleUploads(message: ChatMessage): void {
    const id = message.client_msg_id;
    if (id === null) return;
    const settled = message.state !== "pending";
    (message.attachments ?? []).forEach((file, position) => {
      if (settled || file.media_id !== null) this.#dropTransfer(uploadKey(id, position));
    });
  }

  /** Drops every upload of a message (deleted, so no update will end them). */
  #dropUploads(clientMsgId: string): void {
    for (const key of Object.keys(this.transfers)) {
      // "up:<position>:<client id>": the position has no colon, the id may.
      if (key.startsWith("up:") && key.slice(key.indexOf(":", 3) + 1) === clientMsgId) delete this.transfers[key];
    }
  }

  #onEvent(event: CoreEvent): void {
    this.#record(event);
    if (this.#loads > 0) this.#queued.push(event);
    else this.apply(event);
  }

  /**
   * Fetches a snapshot and applies it, holding back events that arrive in the
   * meantime; they are replayed on top afterwards (applying an event is
   * idempotent), so the snapshot never overwrites something newer.
   */
  async #snapshot<T>(fetch: () => Promise<T>, applySnapshot: (value: T) => void): Promise<T> {
    this.#loads++;
    try {
      const value = await fetch();
      applySnapshot(value);
      return value;
    } finally {
      this.#loads--;
      if (this.#loads === 0) {
        const queued = this.#queued;
        this.#queued = [];
        for (const event of queued) this.apply(event);
      }
    }
  }

  #setSession(info: SessionInfo): void {
    this.session = info;
    this.lastServer = info.server;
    this.services = info.services;
    this.#timelineServices = info.services;
    this.signInRequired = null;
    this.#setConnection(info.connection);
    const connection = info.connection;
    this.#note("connection", () => i18n.t.tl.session(describeConnection(connection)), connection.state);
  }

  #setConnection(state: ConnectionState): void {
    const previous = this.connection;
    this.connection = state;
    this.connectionSince = Date.now();
    // A catch-up runs while connected; losing the connection ends it (the next one reports anew).
    if (state.state !== "connected") this.sync = null;
    if (state.state !== "waiting" && state.state !== "connecting") {
      this.outage = null;
      return;
    }
    if (!this.outage) {
      this.outage = {
        since: this.connectionSince,
        before: previous.state === "connected" ? previous : null,
        waited: false,
      };
    }
    if (state.state === "waiting" && !isRenewingSession(state)) this.outage.waited = true;
  }

  /** Re-reads a chat's history without showing it as loading (it stays readable). */
  async #refreshHistory(chatId: string): Promise<void> {
    void this.#loadReads(chatId);
    try {
      await this.#snapshot(
        () => backend.openChat(chatId),
        (history) => this.#mergeHistory(chatId, history),
      );
      void this.#loadGaps(chatId);
    } catch {
      /* keep what is shown; the next open re-reads it */
    }
  }

  #mergeHistory(chatId: string, history: ChatMessage[]): void {
    // An update that ended an upload may have been among events missed.
    if (Object.keys(this.transfers).length > 0) for (const m of history) this.#settleUploads(m);
    if ((this.messages[chatId] ?? []).length === 0) return this.#setMessages(chatId, history);
    const keys = new Set(history.map(messageKey).filter((k) => k !== null));
    const current = this.messages[chatId] ?? [];
    const extra = (m: ChatMessage) => {
      const k = messageKey(m);
      return k === null || !keys.has(k);
    };
    // Keep what the snapshot does not know about: older messages scrolled back
    // to stay above it, live ones (e.g. just sent) below.
    const firstKnown = current.findIndex((m) => !extra(m));
    const above = firstKnown < 0 ? [] : current.slice(0, firstKnown).filter(extra);
    const below = current.slice(Math.max(firstKnown, 0)).filter(extra);
    this.#setMessages(chatId, [...above, ...history, ...below]);
  }

  /** Replaces a chat's messages (the list is never changed in place: readers see a new array). */
  #setMessages(chatId: string, list: ChatMessage[]): void {
    this.messages = { ...this.messages, [chatId]: list };
  }

  /**
   * Inserts or replaces a message by identity. `updated` always replaces;
   * `added` and `returned` (send_message's result) never duplicate and only
   * replace a pending copy with a settled one, so a late or repeated add
   * cannot undo an ack.
   */
  #upsert(message: ChatMessage, how: "added" | "updated" | "returned"): void {
    this.#settleUploads(message);
    const chatId = message.chat_id;
    const list = this.messages[chatId] ?? [];
    const key = messageKey(message);
    // From the end: what changes is nearly always recent.
    let index = -1;
    if (key !== null) for (index = list.length - 1; index >= 0 && messageKey(list[index]) !== key; index--);
    if (index < 0) {
      this.#setMessages(chatId, [...list, message]);
      // Someone else wrote in the chat the user is looking at: it is read.
      if (how === "added" && !message.own) this.#markRead(chatId);
    } else if (how === "updated" || (list[index].state === "pending" && message.state !== "pending")) {
      const next = list.slice();
      next[index] = message;
      this.#setMessages(chatId, next);
    } else {
      return;
    }
    this.#touchChat(message);
  }

  /** Drops an unsent message (deleted by the user) from its chat. The preview follows with `chat_updated`. */
  #remove(chatId: string, clientMsgId: string): void {
    this.#dropUploads(clientMsgId);
    const drop = (id: string): boolean => {
      const list = this.messages[id];
      const index = list ? list.findIndex((m) => m.client_msg_id === clientMsgId) : -1;
      if (index >= 0) this.#setMessages(id, list.filter((_, i) => i !== index));
      return index >= 0;
    };
    // Its own chat; failing that, any other cached chat (a client id is unique).
    if (drop(chatId)) return;
    for (const id of Object.keys(this.messages)) if (drop(id)) return;
  }

  /** Keeps a chat's preview current until the core's own `chat_updated` arrives. */
  #touchChat(message: ChatMessage): void {
    const chat = this.chats.find((c) => c.chat_id === message.chat_id);
    if (!chat) return;
    const last = chat.last_message;
    const sameMessage = last !== null && messageKey(last) === messageKey(message);
    if (last === null || sameMessage || message.sent_at_ms >= last.sent_at_ms) {
      chat.last_message = message;
      this.chats = sortChats(this.chats);
    }
  }

  #replaceChat(chat: ChatSummary): void {
    const others = this.chats.filter((c) => c.chat_id !== chat.chat_id);
    if (chat.chat_id === this.selectedChatId) chat = { ...chat, unread_count: 0 };
    this.chats = sortChats([...others, chat]);
  }
}

export const store = new AppStore();
