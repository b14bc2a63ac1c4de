// App state, composed of one module per concern (./state/): the session, the connection, the
// chat list, the chat on screen, messages, scrolling back, read marks, files, the outbox,
// drafts, search, settings, the lock and (mock mode) the tester panel. Each owns its state and
// its calls to the backend; this store wires them together, subscribes to the shell's events
// and routes each `CoreEvent` to the modules it concerns. Components read the modules; only
// the modules call the backend for state-changing operations.
import * as backend from "./backend";
import type { CoreEvent } from "./bindings/CoreEvent";
import type { SessionInfo } from "./bindings/SessionInfo";
import { Chats } from "./state/chats.svelte";
import { Connection } from "./state/connection.svelte";
import { Drafts } from "./state/drafts.svelte";
import { Files } from "./state/files.svelte";
import { History } from "./state/history.svelte";
import { Lock } from "./state/lock.svelte";
import { Messages } from "./state/messages.svelte";
import { Outbox } from "./state/outbox.svelte";
import { Reads } from "./state/reads.svelte";
import { Search } from "./state/search.svelte";
import { Session } from "./state/session.svelte";
import { Settings } from "./state/settings.svelte";
import { CONTENT_EVENTS, Snapshots } from "./state/snapshots";
import { Tester } from "./state/tester.svelte";
import { View } from "./state/view.svelte";

export class AppStore {
  // The modules, each given what it needs of the others. Those created before a module they
  // call reach it through a function, so the order here does not matter to them.
  readonly #snapshots = new Snapshots((event) => this.apply(event));
  readonly lock = new Lock({ locked: (entering) => this.#locked(entering), unlocked: () => this.#unlocked() });
  readonly session = new Session();
  readonly connection = new Connection();
  readonly settings = new Settings();
  readonly tester = new Tester();
  readonly files = new Files(this.lock);
  readonly drafts = new Drafts(this.lock);
  readonly chats: Chats = new Chats({
    lock: this.lock,
    snapshots: this.#snapshots,
    selectedId: () => this.view.selectedChatId,
    select: (chatId) => this.view.select(chatId),
  });
  readonly reads: Reads = new Reads({
    lock: this.lock,
    snapshots: this.#snapshots,
    phase: () => this.session.phase,
    selectedId: () => this.view.selectedChatId,
  });
  readonly messages = new Messages({
    chats: this.chats,
    files: this.files,
    markRead: (chatId) => this.reads.markRead(chatId),
  });
  readonly history = new History(this.lock, this.messages);
  readonly outbox = new Outbox(this.lock, this.messages, this.drafts);
  readonly search: Search = new Search({
    lock: this.lock,
    chats: this.chats,
    selectedId: () => this.view.selectedChatId,
    openChat: (chatId) => this.view.openFromShell(chatId),
  });
  readonly view: View = new View({
    lock: this.lock,
    snapshots: this.#snapshots,
    session: this.session,
    chats: this.chats,
    messages: this.messages,
    history: this.history,
    reads: this.reads,
    drafts: this.drafts,
    search: this.search,
    loadChats: () => this.loadChats(),
  });

  #unlisten: (() => void)[] = [];

  /**
   * Subscribes to the shell's events, then loads the session, whether the app
   * is locked, and (signed in and unlocked) the chats.
   */
  async start(): Promise<void> {
    this.session.phase = "starting";
    this.session.startError = null;
    try {
      // Subscribe first so nothing that happens during loading is missed.
      if (this.#unlisten.length === 0) {
        this.#unlisten = await Promise.all([
          backend.onCoreEvent((e) => this.#onEvent(e)),
          backend.onLockChanged((locked) => void this.lock.changed(locked)),
          backend.onOpenChat((chatId) => void this.view.openFromShell(chatId)),
          backend.onResync(() => void this.#resync()),
        ]);
      }
      void this.tester.check();
      void this.settings.load();
      const session = this.#snapshots.take(backend.session, (s) => {
        if (s) this.#setSession(s);
      });
      const [info, locked] = await Promise.all([session, backend.isLocked()]);
      if (locked) this.lock.enter();
      if (!info) {
        await this.session.loadHint();
        this.session.phase = "signed_out";
        return;
      }
      if (this.lock.locked) {
        this.session.phase = "ready";
        return;
      }
      // Read before the main screen shows, not after: it is then laid out once, with its chats,
      // instead of empty and then again (each layout of the first screen costs WebKit about 80 ms).
      const chats = this.chats.fetch();
      const drafts = this.drafts.load();
      await chats;
      this.session.phase = "ready";
      await this.view.show(chats, drafts);
    } catch (error) {
      this.session.startError = backend.toIpcError(error).message;
      this.session.phase = "failed";
    }
  }

  stop(): void {
    for (const unlisten of this.#unlisten) unlisten();
    this.#unlisten = [];
  }

  /** Signs in; rejects with an `IpcError` (the form shows its message). */
  async signIn(server: string, username: string, password: string): Promise<void> {
    this.session.lastServer = server;
    await this.#snapshots.take(
      () => backend.login(server, username, password),
      (s) => this.#setSession(s),
    );
    this.session.phase = "ready";
    await this.loadChats();
  }

  /**
   * Back to the sign-in screen (after the core reported it signed out or asked
   * for a sign-in, or after signing out). `notice` is shown above the form.
   */
  showSignIn(notice: string | null = null): void {
    this.connection.reset();
    this.#clearContent();
    this.view.forgetWanted();
    this.#closeDialogs();
    this.session.signedOut(notice);
  }

  /**
   * Signs out, then shows the sign-in screen. A `keyring_error` (signed out,
   * but the kept sign-in could not be forgotten) still signs out and is shown
   * there; any other error rejects (the settings panel shows it).
   */
  async signOut(): Promise<void> {
    this.showSignIn(await this.session.signOutOnServer());
  }

  /** Reads the chat list (and the drafts) again, then opens the chat wanted or the first. */
  async loadChats(): Promise<void> {
    if (this.lock.locked) return;
    await this.view.show(this.chats.fetch(), this.drafts.load());
  }

  /** Applies one core event (public for tests and tooling). */
  apply(event: CoreEvent): void {
    // Nothing is held while locked; the chats are read again on unlocking.
    // (The shell passes transfer progress while locked; it would stay behind with no message to end it.)
    const aboutChats =
      event.type === "history_gap" || event.type === "read_mark_moved" || event.type === "transfer_progress";
    if (this.lock.locked && (CONTENT_EVENTS.has(event.type) || aboutChats)) return;
    switch (event.type) {
      case "message_added":
        this.messages.upsert(event.message, "added");
        break;
      case "message_updated":
        this.messages.upsert(event.message, "updated");
        break;
      case "message_removed":
        this.messages.remove(event.chat_id, event.client_msg_id);
        break;
      case "sync_progress":
        this.connection.progress(event.done, event.total);
        break;
      case "chat_updated":
        this.chats.replace(event.chat);
        break;
      case "chat_removed":
        this.chats.remove(event.chat_id);
        // The chat on screen went: show the first one left, if any.
        if (this.view.selectedChatId === event.chat_id) {
          this.view.clear();
          if (this.chats.list.length > 0) void this.view.select(this.chats.list[0].chat_id, false);
        }
        break;
      case "connection_changed":
        this.connection.set(event.state);
        if (this.session.info) this.session.info.connection = event.state;
        break;
      case "services_changed":
        this.connection.services = event.services;
        if (this.session.info) this.session.info.services = event.services;
        break;
      case "sign_in_required":
        // Not an outage: keep everything readable and ask for a sign-in.
        this.session.signInRequired = event.reason;
        break;
      case "history_gap":
        // Some events were skipped; the open chat re-reads its history.
        if (this.view.selectedChatId) void this.view.refresh(this.view.selectedChatId);
        break;
      case "read_mark_moved":
        // Not a reason to mark anything read here: only what this user sees is.
        this.reads.moved(event.chat_id, event.user_id, event.msg_id);
        break;
      case "transfer_progress":
        this.files.progress(event.file, event.done, event.total);
        break;
    }
  }

  #onEvent(event: CoreEvent): void {
    this.tester.record(event);
    this.#snapshots.receive(event);
  }

  /** Events were missed: read the chat list and the open chat again. */
  async #resync(): Promise<void> {
    if (this.lock.locked || this.session.phase !== "ready") return;
    this.reads.keepOnly(this.view.selectedChatId);
    // Updates that ended transfers may be among those missed; files still moving say so again within a moment.
    this.files.clear();
    await this.loadChats();
    if (this.view.selectedChatId !== null) await this.view.refresh(this.view.selectedChatId);
  }

  #setSession(info: SessionInfo): void {
    this.session.set(info);
    this.connection.services = info.services;
    this.connection.set(info.connection);
    this.tester.sessionStarted(info);
  }

  /** Locked: every chat and message is dropped from memory (the UI unmounts them) and no chat is viewed. */
  #locked(entering: boolean): void {
    if (entering) this.view.reopenAfterUnlock();
    this.#closeDialogs();
    this.#clearContent();
  }

  /** The shell withheld content events while locked: read the chats (and the open chat) again. */
  async #unlocked(): Promise<void> {
    if (this.session.phase === "ready" && this.session.info) await this.loadChats();
  }

  #closeDialogs(): void {
    this.settings.open = false;
    this.search.open = false;
    this.chats.newChatOpen = false;
    this.tester.open = false;
  }

  #clearContent(): void {
    this.chats.clear();
    this.messages.clear();
    this.search.jumpTo = null;
    this.history.clear();
    this.reads.clear();
    this.files.clear();
    this.drafts.clear();
    this.#snapshots.dropContent();
    this.view.clear();
  }
}

export const store = new AppStore();
