// An in-page stand-in for the Tauri core, installed with page.addInitScript.
//
// It replaces what @tauri-apps/api calls underneath:
//   core.js   invoke(cmd, args, options) -> window.__TAURI_INTERNALS__.invoke(cmd, args, options)
//             transformCallback(cb, once) -> window.__TAURI_INTERNALS__.transformCallback(cb, once)
//   event.js  listen(event, handler) -> invoke("plugin:event|listen", { event, target, handler: <callback id> })
//             and resolves to an unlisten fn that calls
//             window.__TAURI_EVENT_PLUGIN_INTERNALS__.unregisterListener(event, eventId) and
//             invoke("plugin:event|unlisten", { event, eventId })
// An emitted event is delivered by calling the stored callback with { event, id, payload }.
//
// `installFakeTauri` is serialised into the page, so it must not use anything
// from this module's scope at run time (type imports are fine).
import type { ChatMessage } from "../src/lib/bindings/ChatMessage";
import type { ChatSummary } from "../src/lib/bindings/ChatSummary";
import type { ConnectionState } from "../src/lib/bindings/ConnectionState";
import type { Command, CommandArgs, CommandResult } from "../src/lib/bindings/Command";
import type { CoreEvent } from "../src/lib/bindings/CoreEvent";
import type { DataLocation } from "../src/lib/bindings/DataLocation";
import type { IpcError } from "../src/lib/bindings/IpcError";
import type { MemberRead } from "../src/lib/bindings/MemberRead";
import type { MessageAttachment } from "../src/lib/bindings/MessageAttachment";
import type { OlderPage } from "../src/lib/bindings/OlderPage";
import type { Person } from "../src/lib/bindings/Person";
import type { SearchHit } from "../src/lib/bindings/SearchHit";
import type { ServerEndpoints } from "../src/lib/bindings/ServerEndpoints";
import type { NamedService } from "../src/lib/bindings/NamedService";
import type { ServiceHealth } from "../src/lib/bindings/ServiceHealth";
import type { ServiceState } from "../src/lib/bindings/ServiceState";
import type { SessionInfo } from "../src/lib/bindings/SessionInfo";
import type { SettingsEdit } from "../src/lib/bindings/SettingsEdit";
import type { SettingsView } from "../src/lib/bindings/SettingsView";
import type { SignInHint } from "../src/lib/bindings/SignInHint";
import type { TesterListener } from "../src/lib/bindings/TesterListener";
import type { TesterStatus } from "../src/lib/bindings/TesterStatus";

export type FakeOptions = {
  /** Start with a session (true) or on the sign-in screen (false). */
  signedIn: boolean;
  /** A passcode that is already set (the app then starts locked, like the shell). */
  passcode?: string | null;
  /** What sign_in_hint answers (default: nothing known). */
  hint?: SignInHint;
  /** Why the session's sign-in is not kept (default: it is kept). */
  notRememberedBecause?: string | null;
  /** The session started from the local cache. */
  fromCache?: boolean;
  /** sign_out signs out, then rejects with this (e.g. keyring_error). */
  signOutError?: IpcError | null;
  /** Running with the embedded mock backend: tester_status answers (otherwise it rejects, as the shell does). */
  mockMode?: boolean;
  /** Drafts the core kept from before (chat id -> text). */
  drafts?: Record<string, string>;
  /** The theme and language stored from before (default: both "system"). */
  appearance?: Partial<Pick<SettingsView, "theme" | "language">>;
  /**
   * A long chat, "chat-archive" ("Archive", listed last), made in the page:
   * open_chat answers all `messages` of it at once (as after scrolling back a
   * long way), and load_older `older` more, 100 at a time. Message n (1 is the
   * oldest of all) reads "Archive n: …", so a search for "Archive 50000" finds one.
   */
  longChat?: { messages: number; older?: number };
  /**
   * This many more chats, made in the page ("chat-many-1" … "chat-many-N"), each
   * with one message from someone else, older than the demo chats' (listed
   * after them) and one minute apart, so chat-many-1 comes first of them.
   * Titles are "<topic> <n>" (e.g. "Book club 7").
   */
  manyChats?: number;
};

/** What the fake exposes to tests as `window.__fake`. */
export type FakeControls = {
  /** Every invoke, in order (args as sent). */
  calls: { cmd: string; args: Record<string, unknown> }[];
  /** Messages returned by send_message, in order. */
  sent: ChatMessage[];
  /** Core events delivered to the page, in order. */
  emitted: CoreEvent[];
  emit(event: CoreEvent): void;
  /** The server acknowledged a message: message_updated with state "sent". */
  ack(clientMsgId: string): void;
  /** Sending failed: message_updated with state "failed". */
  fail(clientMsgId: string, reason: string): void;
  /** The chat's peer writes: message_added (+ chat_updated). */
  reply(chatId: string, body: string): ChatMessage;
  /** A chat appears (or its title/members change), as other people named it: chat_updated. */
  addChat(chat: { chat_id: string; title: string; member_names: string[] }, announce?: boolean): void;
  /** Anyone (any id, any display name) writes in a chat: message_added (+ chat_updated). */
  deliver(chatId: string, sender: { id: string; name: string }, body: string): ChatMessage;
  setConnection(state: ConnectionState): void;
  /** The server refuses to make a chat started here: chat_updated with the reason. */
  refuseChat(chatId: string, reason: string): void;
  /** The core waits `retryMs` before its next attempt (next_attempt_at_ms filled in from the page's clock). */
  setWaiting(retryMs: number, why: string): void;
  /** Some services (by id) change state: services_changed with the whole list. */
  setServices(changes: Record<string, ServiceState>, detail?: string): void;
  /** The backend lists other services than protocol v1's five: services_changed with them. */
  declareServices(list: NamedService[]): void;
  /** The server no longer accepts the session: sign_in_required. */
  requireSignIn(reason: string): void;
  /** The core skipped events: history_gap. */
  historyGap(): void;
  /**
   * An own message that is not sent yet appears (message_added + chat_updated), as after a
   * restart: failed with `failure` as its reason, or (no failure) pending, which is held when a
   * failed message is before it in the chat.
   */
  addUnsent(chatId: string, body: string, failure?: string | null): ChatMessage;
  /** A catch-up after reconnecting applied `done` of `total` missed events: sync_progress. */
  syncProgress(done: number, total: number): void;
  /**
   * `userId` read a chat up to message `msgId`: read_mark_moved. The fake's own
   * mark (what read_marks answers) only moves forward, like the core's; an
   * older id is still announced, as a late event would be.
   */
  readBy(chatId: string, userId: string, msgId: string): void;
  /** The messages the fake holds for a chat, as open_chat would return them. */
  messagesOf(chatId: string): ChatMessage[];
  /** The settings as stored. */
  settings(): SettingsView;
  /** The passcode as set (null: none). */
  passcode(): string | null;
  locked(): boolean;
  /** The shell locks by itself (idle time): lock-changed true. */
  lock(): void;
  /** The shell unlocks without this window (e.g. the passcode was entered elsewhere): lock-changed false. */
  unlockElsewhere(): void;
  /** A notification was clicked: open-chat with the chat id. */
  openChat(chatId: string): void;
  /** Any Tauri event. */
  emitEvent(event: string, payload: unknown): void;
  /** The next call of `cmd` rejects with `error`. */
  failNext(cmd: Command, error: IpcError): void;
  /** Calls of `cmd` wait (unanswered) until `release(cmd)`. */
  hold(cmd: Command): void;
  /** Answers the held calls of `cmd`, and stops holding it. */
  release(cmd: Command): void;
  /** What pick_files answers next (the files the user chooses; [] is cancelling). */
  setPicked(paths: string[]): void;
  /** What the folder chooser of choose_download_folder answers next (null is cancelling). */
  setPickedFolder(path: string | null): void;
  /** The files of an own message finished uploading: message_updated with media ids. */
  uploaded(clientMsgId: string): void;
  /** Someone writes in a chat with files (each already uploaded): message_added (+ chat_updated). */
  deliverFiles(
    chatId: string,
    sender: { id: string; name: string },
    body: string,
    attachments: MessageAttachment[],
  ): ChatMessage;
  /** A message of a chat as the fake would make it (not added anywhere): for older pages and gap fills. */
  makeMessage(chatId: string, from: string, body: string, at: number): ChatMessage;
  /** The next load_older for the chat answers this page (then: nothing more, start reached). */
  queueOlder(chatId: string, page: OlderPage): void;
  /** What history_gaps answers for a chat. */
  setGaps(chatId: string, msgIds: string[]): void;
  /** What fill_gap answers for the gap after message `above`. */
  setGapFill(chatId: string, above: string, messages: ChatMessage[]): void;
  /** The webview reports files dragged onto the window (`enter`), away (`leave`) or dropped (`drop`). */
  drag(kind: "enter" | "over" | "leave" | "drop", paths?: string[]): void;
  /** The drafts as the core keeps them, as `drafts` answers. */
  drafts(): [string, string][];
  /** The mock backend as tester_status would answer (mock mode or not). */
  testerStatus(): TesterStatus;
  /** The scenario playing moves on: `target` gets `fault` (nothing is announced; the panel reads the status). */
  scenarioStep(target: string, fault: string): void;
  /** The scenario playing ends by itself. */
  scenarioEnd(): void;
};

declare global {
  interface Window {
    __fake: FakeControls;
    __pwned?: unknown;
    /** Set only if a hostile payload ever runs (tests assert it never is). */
    __xss?: unknown;
  }
}

export function installFakeTauri(options: FakeOptions): void {
  const w = window as unknown as Record<string, unknown>;
  const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
  const now = Date.now();
  const MIN = 60_000;
  const startOfToday = new Date(now);
  startOfToday.setHours(0, 0, 0, 0);
  const yesterdayAt = (h: number, m: number) => startOfToday.getTime() - 24 * 60 * MIN + (h * 60 + m) * MIN;
  // "Today" times stay today even just after midnight.
  const todayAgo = (minutes: number) => Math.max(startOfToday.getTime() + 60_000, now - minutes * MIN);

  const me = { user_id: "me", display_name: "You" };
  const people: Record<string, string> = {
    mina: "Mina Park",
    joon: "Joon Lee",
    sora: "Sora Kim",
    hana: "Hana Choi",
    tae: "Taeyang Jung",
  };
  let nextChat = 1;
  const connected: Extract<ConnectionState, { state: "connected" }> = {
    state: "connected",
    endpoint: "ws://127.0.0.1:7711/gateway",
    region: "a",
    transport: "gateway",
    session_id: "sess-1",
    preferred_region: true,
  };
  // Protocol v1's five, as the core names them (`Service::named`).
  const up = () => ({ state: "up" as const, since_ms: now, detail: null });
  const services: ServiceHealth = [
    { id: "discovery", name: "Discovery", roles: ["find_servers"], status: up() },
    { id: "auth", name: "Sign-in", roles: ["sign_in"], status: up() },
    { id: "gateway", name: "Gateway", roles: ["live_updates"], status: up() },
    { id: "api", name: "API", roles: ["requests"], status: up() },
    { id: "media", name: "Media", roles: ["files"], status: up() },
  ];

  let seq = 100;
  let nextMsg = 1;
  /** A new server id. Like the server's, ids sort as strings in the order the messages were stored. */
  const newMsgId = () => `m-${String(nextMsg++).padStart(6, "0")}`;

  function peerMessage(chatId: string, from: string, body: string, at: number): ChatMessage {
    return {
      client_msg_id: null,
      msg_id: newMsgId(),
      chat_id: chatId,
      sender_id: from,
      sender_name: people[from],
      body,
      sent_at_ms: at,
      seq: seq++,
      state: "sent",
      failure: null,
      own: false,
      attachments: [],
    };
  }

  function ownMessage(chatId: string, body: string, at: number): ChatMessage {
    return {
      client_msg_id: `old-${nextMsg}`,
      msg_id: newMsgId(),
      chat_id: chatId,
      sender_id: me.user_id,
      sender_name: me.display_name,
      body,
      sent_at_ms: at,
      seq: seq++,
      state: "sent",
      failure: null,
      own: true,
      attachments: [],
    };
  }

  const hikingLines: [string, string][] = [
    ["joon", "Who's in for the ridge trail this weekend?"],
    ["sora", "Me! Saturday works best for me."],
    ["mina", "Count me in. Early start?"],
    ["joon", "Let's meet at 7:30 at the north gate."],
    ["me", "Sounds good. I'll bring the map and some snacks."],
    ["sora", "I can drive, there's room for three more."],
    ["mina", "Perfect, I'll ride with Sora."],
    ["joon", "Forecast says sunny until 3pm, light wind."],
    ["me", "Great. Don't forget water, the spring near the top is dry."],
    ["sora", "Noted! Two litres each then."],
    ["joon", "I booked the picnic spot by the lake for lunch."],
    ["mina", "Does anyone have a spare pair of poles?"],
  ];

  const messages: Record<string, ChatMessage[]> = {
    "chat-mina": [
      peerMessage("chat-mina", "mina", "Are we still on for Saturday?", yesterdayAt(18, 40)),
      ownMessage("chat-mina", "Yes! 7:30 at the north gate.", yesterdayAt(18, 42)),
      peerMessage("chat-mina", "mina", "Perfect. I'll bring coffee for everyone.", yesterdayAt(18, 43)),
      peerMessage(
        "chat-mina",
        "mina",
        "Did you see the trail report?\nThe upper path is muddy after the rain.",
        todayAgo(12),
      ),
    ],
    "chat-hiking": hikingLines.map(([from, body], i) =>
      from === "me"
        ? ownMessage("chat-hiking", body, todayAgo(95 - i * 6))
        : peerMessage("chat-hiking", from, body, todayAgo(95 - i * 6)),
    ),
    "chat-joon": [
      peerMessage("chat-joon", "joon", "Here's the book I mentioned.", yesterdayAt(9, 5) - 2 * 24 * 60 * MIN),
      ownMessage("chat-joon", "Thanks for the book!", yesterdayAt(9, 20) - 2 * 24 * 60 * MIN),
    ],
  };

  const chats: ChatSummary[] = [
    {
      chat_id: "chat-mina",
      title: "Mina Park",
      member_names: ["Mina Park", "You"],
      last_message: null,
      unread_count: 0,
      muted: false,
      pinned: false,
      creation: null,
    },
    {
      chat_id: "chat-hiking",
      title: "Weekend hiking",
      member_names: ["Joon Lee", "Mina Park", "Sora Kim", "You"],
      last_message: null,
      unread_count: 2,
      muted: false,
      pinned: false,
      creation: null,
    },
    {
      chat_id: "chat-joon",
      title: "Joon Lee",
      member_names: ["Joon Lee", "You"],
      last_message: null,
      unread_count: 0,
      muted: false,
      pinned: false,
      creation: null,
    },
  ];
  const peerOf: Record<string, string> = { "chat-mina": "mina", "chat-hiking": "sora", "chat-joon": "joon" };

  // The long chat: numbered from its oldest message, 3 minutes apart (so runs by one sender are grouped), the newest 5 days ago.
  const archiveTotal = (options.longChat?.messages ?? 0) + (options.longChat?.older ?? 0);
  let archiveOlder = options.longChat?.older ?? 0;
  const archiveLines = [
    "ok",
    "Sounds good to me.",
    "Did anyone check the forecast for the weekend?",
    "I'll bring the stove and the small pot; someone else grab the fuel.",
    "Running late, start without me!",
    "The trail past the second bridge was closed last time, so we took the long way round the lake, which added about an hour but the views were worth it.",
    "Thanks!",
    "Who has the spare headlamp?",
    "Photos are up in the shared folder.\nThe one from the summit came out great.",
    "Let's meet at the north gate at 7:30.",
  ];
  const archiveFrom = ["joon", "sora", "mina", "me", "hana", "tae"];
  /** Padded, so the ids sort as strings in the order of the messages, as the server's do. */
  const archiveId = (n: number) => `archive-${String(n).padStart(7, "0")}`;
  function archiveMessage(n: number): ChatMessage {
    // A cheap, fixed hash of n: who writes and what varies, with runs by the same person.
    const h = Math.imul(n, 2654435761) >>> 0;
    const from = archiveFrom[(n >> 2) % 3 === 0 ? h % archiveFrom.length : (n >> 3) % archiveFrom.length];
    const at = startOfToday.getTime() - 5 * 24 * 60 * MIN + 12 * 60 * MIN - (archiveTotal - n) * 3 * MIN;
    const body = `Archive ${n}: ${archiveLines[(h >>> 8) % archiveLines.length]}`;
    const own = from === "me";
    return {
      client_msg_id: own ? `archive-own-${n}` : null,
      msg_id: archiveId(n),
      chat_id: "chat-archive",
      sender_id: own ? me.user_id : from,
      sender_name: own ? me.display_name : people[from],
      body,
      sent_at_ms: at,
      seq: n,
      state: "sent",
      failure: null,
      own,
      attachments: [],
    };
  }
  /** The next page of the long chat's older messages, or null when there are none left. */
  function archivePage(): OlderPage | null {
    if (archiveOlder <= 0) return null;
    const from = Math.max(1, archiveOlder - 99);
    const page = Array.from({ length: archiveOlder - from + 1 }, (_, i) => archiveMessage(from + i));
    archiveOlder = from - 1;
    return { messages: page, has_more: archiveOlder > 0, missing_above: null };
  }
  if (options.longChat) {
    const first = archiveTotal - options.longChat.messages + 1;
    messages["chat-archive"] = Array.from({ length: options.longChat.messages }, (_, i) => archiveMessage(first + i));
    chats.push({
      chat_id: "chat-archive",
      title: "Archive",
      member_names: ["Joon Lee", "Sora Kim", "Mina Park", "Hana Choi", "Taeyang Jung", "You"],
      last_message: null,
      unread_count: 0,
      muted: false,
      pinned: false,
      creation: null,
    });
    peerOf["chat-archive"] = "joon";
  }

  const topics = ["Book club", "Climbing", "Family", "Project Orion", "Lunch crew", "Neighbours", "Study group", "Futsal"];
  const manyLines = ["See you there!", "Thanks, got it.", "Who's bringing the snacks?", "Running five minutes late.", "Photos are up."];
  const manyFrom = Object.keys(people);
  const manyNewest = (messages["chat-joon"].at(-1)?.sent_at_ms ?? now) - MIN;
  for (let n = 1; n <= (options.manyChats ?? 0); n++) {
    const chatId = `chat-many-${n}`;
    const from = manyFrom[n % manyFrom.length];
    messages[chatId] = [peerMessage(chatId, from, manyLines[n % manyLines.length], manyNewest - n * MIN)];
    chats.push({
      chat_id: chatId,
      title: `${topics[n % topics.length]} ${n}`,
      member_names: [people[from], people[manyFrom[(n + 1) % manyFrom.length]], me.display_name],
      last_message: null,
      unread_count: n % 7 === 0 ? n % 5 : 0,
      muted: n % 11 === 0,
      pinned: false,
      creation: null,
    });
    peerOf[chatId] = from;
  }
  for (const chat of chats) chat.last_message = messages[chat.chat_id].at(-1) ?? null;

  // --- Read marks: who else is in each chat (by id) and the newest message each has read ---

  const members: Record<string, string[]> = {
    "chat-mina": ["mina"],
    "chat-hiking": ["joon", "sora", "mina"],
    "chat-joon": ["joon"],
  };
  const idAt = (chatId: string, index: number) => messages[chatId]?.at(index)?.msg_id ?? null;
  /** Per chat and member: the newest message they have read (null or missing: nothing yet). */
  const readUpTo: Record<string, Record<string, string | null>> = {
    // Mina has read everything; in the group Joon has, Sora not the last two, Mina not the last five;
    // Joon has not read the thanks for his book.
    "chat-mina": { mina: idAt("chat-mina", -1) },
    "chat-hiking": { joon: idAt("chat-hiking", -1), sora: idAt("chat-hiking", 9), mina: idAt("chat-hiking", 6) },
    "chat-joon": { joon: idAt("chat-joon", 0) },
  };
  if (options.longChat) {
    members["chat-archive"] = ["joon", "sora", "mina", "hana", "tae"];
    readUpTo["chat-archive"] = {
      joon: archiveId(archiveTotal),
      sora: archiveId(archiveTotal - 1),
      mina: archiveId(archiveTotal - 3),
      hana: archiveId(archiveTotal - 8),
      tae: archiveId(archiveTotal - 30),
    };
  }
  for (const chatId of Object.keys(messages)) {
    if (!chatId.startsWith("chat-many-")) continue;
    members[chatId] = [peerOf[chatId]];
    readUpTo[chatId] = { [peerOf[chatId]]: idAt(chatId, -1) };
  }

  const newSession = (server: string): SessionInfo => ({
    user: me,
    server,
    connection: connected,
    services,
    remembered: !options.notRememberedBecause,
    not_remembered_because: options.notRememberedBecause ?? null,
    from_cache: options.fromCache ?? false,
  });
  let session: SessionInfo | null = options.signedIn ? newSession("http://127.0.0.1:7710") : null;

  // --- Desktop state: settings and the lock, as the shell keeps them ---------

  let stored: Omit<SettingsView, "has_passcode"> = {
    notifications: { enabled: true, do_not_disturb: false, show_previews: true },
    close_to_tray: true,
    start_at_login: false,
    lock_idle_minutes: 0,
    theme: options.appearance?.theme ?? "system",
    language: options.appearance?.language ?? "system",
    text_zoom: 100,
  };
  let passcode: string | null = options.passcode ?? null;
  // Like the shell: with a passcode set, the app starts locked.
  let locked = passcode !== null;
  let wrongTries = 0;
  let blockedUntil = 0;
  const failures = new Map<string, IpcError>();
  const holds = new Map<string, (() => void)[]>();

  // --- Files and history, as the core answers for them ----------------------

  let picked: string[] = [];
  // --- Where data and saved files are kept (Settings) ----------------------
  const DATA_FOLDER = "/home/me/.local/share/app.outlast.desktop";
  const SYSTEM_DOWNLOADS = "/home/me/Downloads";
  let downloadFolder: string | null = null;
  let pickedFolder: string | null = null;
  function dataLocation(): DataLocation {
    return {
      data_folder: DATA_FOLDER,
      used_bytes: 48_234_496,
      download_folder: downloadFolder ?? SYSTEM_DOWNLOADS,
      download_folder_chosen: downloadFolder !== null,
    };
  }
  let nextMedia = 1;
  const olderPages: Record<string, OlderPage[]> = {};
  const gaps: Record<string, string[]> = {};
  const gapFills: Record<string, ChatMessage[]> = {};
  const FILE_SIZES: Record<string, number> = { "trail-map.pdf": 2_457_600, "summit.jpg": 3_251_200, "packing list.txt": 812 };
  const MIME: Record<string, string> = {
    pdf: "application/pdf",
    jpg: "image/jpeg",
    png: "image/png",
    txt: "text/plain",
    zip: "application/zip",
  };

  function fileFrom(path: string, waitingBecause: string | null): MessageAttachment {
    const name = path.split(/[\\/]/).pop() ?? path;
    const ext = name.includes(".") ? name.split(".").pop()!.toLowerCase() : "";
    const file: MessageAttachment = {
      name,
      size: FILE_SIZES[name] ?? 48_213,
      mime: MIME[ext] ?? "application/octet-stream",
      media_id: null,
    };
    if (waitingBecause !== null) file.waiting_because = waitingBecause;
    return file;
  }

  /** Adds messages to a chat where they are not yet, `at` the given index (oldest first). */
  function insertMessages(chatId: string, at: number, list: ChatMessage[]): void {
    const known = new Set(messages[chatId].map((m) => m.client_msg_id ?? m.msg_id));
    messages[chatId].splice(at, 0, ...list.filter((m) => !known.has(m.client_msg_id ?? m.msg_id)).map(clone));
  }

  const view = (): SettingsView => ({ ...clone(stored), has_passcode: passcode !== null });
  const lockError = (code: string, message: string, retryable = false): IpcError => ({ code, message, retryable });

  // --- Drafts, and the mock backend's levers (tester panel) -----------------

  const drafts = new Map<string, string>(Object.entries(options.drafts ?? {}));
  const listenersOfMock: TesterListener[] = [
    { id: "discovery", service: "discovery", region: null, fault: "up" },
    { id: "auth", service: "auth", region: null, fault: "up" },
    { id: "api-a", service: "api", region: "a", fault: "up" },
    { id: "api-b", service: "api", region: "b", fault: "up" },
    { id: "media", service: "media", region: null, fault: "up" },
    { id: "gw-a1", service: "gateway", region: "a", fault: "up" },
    { id: "gw-a2", service: "gateway", region: "a", fault: "up" },
    { id: "gw-b1", service: "gateway", region: "b", fault: "up" },
    { id: "gw-b2", service: "gateway", region: "b", fault: "up" },
  ];
  const scenarios = [
    {
      name: "pc-gateway-down-54m",
      description:
        "Modelled on 2024-05-21, when a national messenger's PC client could not send or receive for 54 minutes. Every gateway refuses connections; the REST API, auth and discovery stay up.",
    },
    {
      name: "region-a-lost",
      description:
        "A data-centre loss. Every region-A listener (gateways and API) refuses. Clients move to region B and prefer it until region A has been healthy for a while.",
    },
    {
      name: "blackholed-gateway",
      description:
        "gw-a1 accepts connections and then never reads or writes: no FIN, no RST, no data. Only an app-level heartbeat or a late ack reveals it.",
    },
  ];
  const FAULT_SYNTAX =
    "up | refuse | reset | blackhole | slow:<ms> | error:<retry-after s> | flaky:<0..1> | drain[:<endpoint id>] | shed:<retry-after ms> | duplicate:<0..1> | reorder:<0..1> | hostile";
  let playing: string | null = null;

  const testerStatus = (): TesterStatus => ({
    listeners: clone(listenersOfMock),
    scenarios: clone(scenarios),
    playing,
    fault_syntax: FAULT_SYNTAX,
  });

  function requireMock(): void {
    if (!options.mockMode) {
      throw lockError("invalid_input", "the tester panel needs the embedded backend (start Outlast with --mock)");
    }
  }

  /** Like the mock's switchboard: the listeners a target selects, or an error. */
  function selected(target: unknown): TesterListener[] {
    const text = String(target ?? "").trim();
    let chosen: TesterListener[];
    if (text === "all") chosen = listenersOfMock;
    else if (text.startsWith("region:")) chosen = listenersOfMock.filter((l) => l.region === text.slice(7));
    else if (text.startsWith("service:")) {
      const service = text.slice(8);
      if (!["discovery", "auth", "api", "media", "gateway"].includes(service)) {
        throw lockError("invalid_input", `bad target ${JSON.stringify(text)}: unknown service`);
      }
      chosen = listenersOfMock.filter((l) => l.service === service);
    } else if (text === "") throw lockError("invalid_input", "empty target");
    else chosen = listenersOfMock.filter((l) => l.id === text);
    if (chosen.length === 0) throw lockError("invalid_input", `no listener matches ${JSON.stringify(text)}`);
    return chosen;
  }

  /** Like the mock's fault parser (the common forms). */
  function checkFault(fault: unknown): string {
    const text = String(fault ?? "").trim();
    const ok = /^(up|refuse|reset|blackhole|hostile|drain(:[\w-]+)?|slow:\d+|error:\d+|shed:\d+|(flaky|duplicate|reorder):(0(\.\d+)?|1(\.0+)?))$/.test(
      text,
    );
    if (!ok) throw lockError("invalid_input", `bad fault ${JSON.stringify(text)}: expected ${FAULT_SYNTAX}`);
    return text;
  }

  /** Like the desktop crate's check before a link is opened in the browser. */
  function checkLink(url: unknown): void {
    const text = String(url ?? "").trim();
    if (text.length > 2048) throw lockError("invalid_input", "the link is longer than 2048 characters");
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw lockError("invalid_input", "that is not a link: relative URL without a base");
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw lockError("invalid_input", "only web links (http and https) open from messages");
    }
    if (parsed.username !== "" || parsed.password !== "") {
      throw lockError(
        "invalid_input",
        `the link names a user before its address (${parsed.hostname}), a way to disguise where it goes; copy it instead if you trust it`,
      );
    }
  }

  // --- Tauri internals -------------------------------------------------------

  const callbacks = new Map<number, (data: unknown) => void>();
  let nextCallbackId = 1;
  const listeners = new Map<number, { event: string; handler: number }>();
  let nextEventId = 1;

  function transformCallback(callback?: (data: unknown) => void, once = false): number {
    const id = nextCallbackId++;
    callbacks.set(id, (data) => {
      if (once) callbacks.delete(id);
      callback?.(data);
    });
    return id;
  }

  function emitEvent(event: string, payload: unknown): void {
    for (const [id, listener] of listeners) {
      if (listener.event === event) callbacks.get(listener.handler)?.({ event, id, payload: clone(payload) });
    }
  }

  const emitted: CoreEvent[] = [];

  // While locked the shell sends no message content to the webview.
  const emit = (event: CoreEvent) => {
    if (locked && ["message_added", "message_updated", "message_removed", "chat_updated"].includes(event.type)) return;
    emitted.push(clone(event));
    emitEvent("core-event", event);
  };

  function setLocked(value: boolean): void {
    if (locked === value) return;
    locked = value;
    emitEvent("lock-changed", value);
  }

  function sorted(): ChatSummary[] {
    // Like the core: pinned chats first, each group by latest activity.
    return chats
      .slice()
      .sort(
        (a, b) =>
          Number(b.pinned) - Number(a.pinned) || (b.last_message?.sent_at_ms ?? 0) - (a.last_message?.sent_at_ms ?? 0),
      );
  }

  function chatOrReject(chatId: unknown): ChatSummary {
    const chat = chats.find((c) => c.chat_id === chatId);
    if (!chat) throw { code: "not_found", message: `No chat ${String(chatId)}`, retryable: false } satisfies IpcError;
    return chat;
  }

  function requireSession(): void {
    if (!session) throw { code: "signed_out", message: "Not signed in", retryable: false } satisfies IpcError;
  }

  /** Content waits behind the lock. */
  function requireUnlocked(): void {
    if (locked) throw lockError("locked", "Outlast is locked");
  }

  /** Like serde: the settings edit must have exactly the expected shape. */
  function checkEdit(edit: unknown): SettingsEdit {
    const e = edit as SettingsEdit;
    const keys = (o: object) =>
      Object.keys(o)
        .filter((k) => k !== "theme" && k !== "language" && k !== "text_zoom") // optional: left out, unchanged
        .sort()
        .join(",");
    const ok =
      typeof e === "object" &&
      e !== null &&
      keys(e) === "close_to_tray,lock_idle_minutes,notifications,start_at_login" &&
      (e.theme === undefined || ["system", "light", "dark"].includes(e.theme)) &&
      (e.language === undefined || ["system", "english", "korean"].includes(e.language)) &&
      (e.text_zoom === undefined || Number.isInteger(e.text_zoom)) &&
      keys(e.notifications ?? {}) === "do_not_disturb,enabled,show_previews" &&
      Object.values(e.notifications).every((v) => typeof v === "boolean") &&
      typeof e.close_to_tray === "boolean" &&
      typeof e.start_at_login === "boolean" &&
      Number.isInteger(e.lock_idle_minutes) &&
      e.lock_idle_minutes >= 0;
    if (!ok) throw `invalid args \`settings\` for command \`update_settings\`: ${JSON.stringify(edit)}`;
    return e;
  }

  function checkNewPasscode(value: unknown): string {
    const chars = [...String(value ?? "")].length;
    if (typeof value !== "string" || chars < 4 || chars > 64) {
      throw lockError("invalid_input", "a passcode is 4 to 64 characters");
    }
    return value;
  }

  function findOwn(clientMsgId: string): ChatMessage {
    for (const list of Object.values(messages)) {
      const found = list.find((m) => m.client_msg_id === clientMsgId);
      if (found) return found;
    }
    throw new Error(`fake: no message with client_msg_id ${clientMsgId}`);
  }

  /** An own message the core still holds (never acknowledged): failed, or waiting. */
  function unsentOrReject(clientMsgId: unknown): ChatMessage {
    if (typeof clientMsgId !== "string") throw "invalid args `clientMsgId`: expected a string";
    for (const list of Object.values(messages)) {
      const found = list.find((m) => m.client_msg_id === clientMsgId && m.msg_id === null);
      if (found) return found;
    }
    throw lockError("invalid_input", "that message is not waiting to be sent");
  }

  /** Like the core's retry: pending again, same client id. */
  function retry(message: ChatMessage): void {
    message.state = "pending";
    message.failure = null;
    settle(message);
  }

  // --- Search, like the core's: every word must match as a word or the start of one ---

  const MAX_QUERY_CHARS = 200;
  const SEARCH_LIMIT = 50;
  const wordChar = /[\p{L}\p{N}\p{M}_]/u;

  /** In one chat (`chatId`) or, when null, in all of them. */
  function search(query: string, chatId: string | null): SearchHit[] {
    if ([...query].length > MAX_QUERY_CHARS) {
      throw lockError("invalid_input", `a search is at most ${MAX_QUERY_CHARS} characters`);
    }
    if (chatId !== null && !chats.some((c) => c.chat_id === chatId)) {
      throw lockError("unknown_chat", `no chat ${chatId}`);
    }
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length === 0) return [];
    const hits: SearchHit[] = [];
    for (const list of chatId === null ? Object.values(messages) : [messages[chatId] ?? []]) {
      for (const message of list) {
        const lower = message.body.toLowerCase();
        // Where each word occurs at the start of a word in the body.
        const ranges: [number, number][] = [];
        let all = true;
        for (const word of words) {
          let found = false;
          for (let at = lower.indexOf(word); at >= 0; at = lower.indexOf(word, at + 1)) {
            if (at > 0 && wordChar.test(lower[at - 1])) continue;
            ranges.push([at, at + word.length]);
            found = true;
          }
          if (!found) all = false;
        }
        if (!all) continue;
        ranges.sort((a, b) => a[0] - b[0]);
        let highlighted = "";
        let pos = 0;
        for (const [start, end] of ranges) {
          if (end <= pos) continue;
          const from = Math.max(start, pos);
          highlighted += `${message.body.slice(pos, from)}\u0002${message.body.slice(from, end)}\u0003`;
          pos = end;
        }
        highlighted += message.body.slice(pos);
        // (Adjacent matches are one highlight.)
        hits.push({ message, highlighted: highlighted.replaceAll("\u0003\u0002", "") });
      }
    }
    hits.sort((a, b) => b.message.sent_at_ms - a.message.sent_at_ms);
    return hits.slice(0, SEARCH_LIMIT);
  }

  function settle(message: ChatMessage): void {
    emit({ type: "message_updated", message });
    const chat = chatOrReject(message.chat_id);
    const last = chat.last_message;
    if (last && (last.client_msg_id ?? last.msg_id) === (message.client_msg_id ?? message.msg_id)) {
      chat.last_message = message;
      emit({ type: "chat_updated", chat });
    }
  }

  const calls: FakeControls["calls"] = [];
  const sent: ChatMessage[] = [];

  /**
   * The shell's commands, one handler each. The table is typed over `Command`, generated from
   * the commands the shell registers (src/lib/bindings/Command.ts): a command missing here, or
   * one the shell does not have, does not type-check, and each handler answers what its command
   * resolves with. Arguments are as the UI sent them; handlers check them the way serde would.
   */
  const commands: { [C in Command]: (args: CommandArgs[C]) => CommandResult[C] } = {
    session: () => session,
    login: (args) => {
      if (args.username === "me" && args.password === "secret") {
        session = newSession(String(args.server));
        return session;
      }
      throw { code: "auth_failed", message: "Wrong username or password", retryable: false } satisfies IpcError;
    },
    sign_in_hint: () => options.hint ?? { server: null, username: null, notice: null },
    sign_out: () => {
      session = null;
      emitEvent("core-event", { type: "connection_changed", state: { state: "signed_out" } } satisfies CoreEvent);
      if (options.signOutError) throw options.signOutError;
      return null;
    },
    list_chats: () => {
      requireSession();
      requireUnlocked();
      return sorted();
    },
    open_chat: (args) => {
      requireSession();
      requireUnlocked();
      const chat = chatOrReject(args.chatId);
      chat.unread_count = 0;
      return messages[chat.chat_id];
    },
    send_message: (args) => {
      requireSession();
      requireUnlocked();
      const chat = chatOrReject(args.chatId);
      const message: ChatMessage = {
        client_msg_id: `cm-${sent.length + 1}`,
        msg_id: null,
        chat_id: chat.chat_id,
        sender_id: me.user_id,
        sender_name: me.display_name,
        body: String(args.body),
        sent_at_ms: Date.now(),
        seq: null,
        state: "pending",
        failure: null,
        own: true,
        attachments: [],
      };
      messages[chat.chat_id].push(message);
      chat.last_message = message;
      sent.push(clone(message));
      // Like the core may do: announce the message as an event too (the UI must not duplicate it).
      emit({ type: "message_added", message });
      emit({ type: "chat_updated", chat });
      return message;
    },
    rename_chat: (args) => {
      requireSession();
      requireUnlocked();
      const chat = chatOrReject(args.chatId);
      const title = typeof args.title === "string" ? args.title.trim() : "";
      // As the core: a group's name, 1 to 100 characters.
      if (chat.member_names.length <= 2) {
        throw lockError("invalid_input", "a chat with one person is titled after them; only a group can be renamed");
      }
      if (title === "" || [...title].length > 100) throw lockError("invalid_input", "a chat's name is 1 to 100 characters");
      chat.title = title;
      emit({ type: "chat_updated", chat });
      return clone(chat);
    },
    forward_message: (args) => {
      requireSession();
      requireUnlocked();
      const original = args.message as ChatMessage | undefined;
      if (!original || typeof original.body !== "string" || !Array.isArray(args.chatIds)) {
        throw "invalid args `message` for command `forward_message`";
      }
      // As the core: 1 to 10 chats, each once, all known before anything is written.
      const targets = [...new Set(args.chatIds)];
      if (targets.length === 0 || targets.length > 10) {
        throw lockError("invalid_input", "a message is forwarded to 1 to 10 chats");
      }
      for (const id of targets) chatOrReject(id);
      return targets.map((chatId) => {
        const copy = commands.send_message({ chatId, body: original.body });
        copy.attachments = original.attachments.map((a) => ({ ...a, media_id: null }));
        return clone(copy);
      });
    },
    send_files: (args) => {
      requireSession();
      requireUnlocked();
      const chat = chatOrReject(args.chatId);
      const paths = args.paths;
      if (!Array.isArray(paths) || !paths.every((p) => typeof p === "string") || typeof args.body !== "string") {
        throw "invalid args `paths` for command `send_files`";
      }
      if (paths.length === 0) throw lockError("invalid_input", "a message carries 1 to 10 files");
      // Like the core: files wait (saying why) while the media service is down.
      const waitingBecause =
        services.some((s) => s.roles.includes("files") && s.status.state === "down")
          ? "the media service is down; the file uploads when it is back"
          : null;
      const attachments = paths.map((p) => fileFrom(p, waitingBecause));
      const message: ChatMessage = {
        client_msg_id: `cm-${sent.length + 1}`,
        msg_id: null,
        chat_id: chat.chat_id,
        sender_id: me.user_id,
        sender_name: me.display_name,
        // No caption: the core uses the file names.
        body: args.body.trim() === "" ? attachments.map((f) => f.name).join(", ") : args.body,
        sent_at_ms: Date.now(),
        seq: null,
        state: "pending",
        failure: null,
        own: true,
        attachments,
      };
      messages[chat.chat_id].push(message);
      chat.last_message = message;
      sent.push(clone(message));
      emit({ type: "message_added", message });
      emit({ type: "chat_updated", chat });
      return message;
    },
    pick_files: () => picked,
    server_endpoints: () => {
      requireSession();
      requireUnlocked();
      const region = (name: string, n: number): ServerEndpoints["regions"][number] => ({
        name,
        endpoints: [
          { service: "gateway", id: `gw-${name}1`, url: `ws://127.0.0.1:77${n}1/gateway` },
          { service: "gateway", id: `gw-${name}2`, url: `ws://127.0.0.1:77${n}2/gateway` },
          { service: "api", id: `api-${name}1`, url: `http://127.0.0.1:77${n}5` },
          { service: "auth", id: `auth-${name}1`, url: `http://127.0.0.1:77${n}6` },
          { service: "media", id: `media-${name}1`, url: `http://127.0.0.1:77${n}7` },
        ],
      });
      const listed: ServerEndpoints = {
        server: session!.server,
        source: { kind: "fresh" },
        regions: [region("a", 1), region("b", 2)],
      };
      return listed;
    },
    data_location: () => {
      requireUnlocked();
      return dataLocation();
    },
    choose_download_folder: () => {
      requireUnlocked();
      if (pickedFolder !== null) downloadFolder = pickedFolder;
      return dataLocation();
    },
    reset_download_folder: () => {
      requireUnlocked();
      downloadFolder = null;
      return dataLocation();
    },
    open_folder: (args) => {
      requireUnlocked();
      if (args.which !== "data" && args.which !== "downloads") throw "invalid args `which` for command `open_folder`";
      return null;
    },
    save_attachment: (args) => {
      requireSession();
      requireUnlocked();
      const file = args.attachment as MessageAttachment | undefined;
      if (!file || typeof file.name !== "string") throw "invalid args `attachment` for command `save_attachment`";
      if (file.media_id === null) throw lockError("invalid_input", "that file has not been uploaded yet");
      return `${downloadFolder ?? SYSTEM_DOWNLOADS}/${file.name}`;
    },
    export_chat: (args) => {
      requireSession();
      requireUnlocked();
      const chat = chatOrReject(args.chatId);
      if (args.language !== "english" && args.language !== "korean") {
        throw "invalid args `language` for command `export_chat`";
      }
      // What the core writes: every message the server stored that this computer has.
      const stored = (messages[chat.chat_id] ?? []).filter((m) => m.msg_id !== null).length;
      return {
        path: `${downloadFolder ?? SYSTEM_DOWNLOADS}/Outlast_${chat.title}_20261208_130500.txt`,
        messages: stored,
        incomplete: (gaps[chat.chat_id] ?? []).length > 0,
      };
    },
    mark_read: (args) => {
      requireSession();
      requireUnlocked();
      const chat = chatOrReject(args.chatId);
      chat.unread_count = 0;
      return chat;
    },
    read_marks: (args) => {
      requireSession();
      requireUnlocked();
      const chat = chatOrReject(args.chatId);
      return (members[chat.chat_id] ?? []).map(
        (id): MemberRead => ({
          user_id: id,
          display_name: people[id] ?? id,
          read_up_to: readUpTo[chat.chat_id]?.[id] ?? null,
        }),
      );
    },
    load_older: (args) => {
      requireSession();
      requireUnlocked();
      const chat = chatOrReject(args.chatId);
      const page = olderPages[chat.chat_id]?.shift() ??
        (chat.chat_id === "chat-archive" ? archivePage() : null) ?? { messages: [], has_more: false, missing_above: null };
      // Like the core's timeline: what was shown stays part of the chat.
      insertMessages(chat.chat_id, 0, page.messages);
      if (page.missing_above !== null) (gaps[chat.chat_id] ??= []).push(page.missing_above);
      return page;
    },
    fill_gap: (args) => {
      requireSession();
      requireUnlocked();
      const chat = chatOrReject(args.chatId);
      if (typeof args.above !== "string") throw "invalid args `above` for command `fill_gap`";
      const key = `${chat.chat_id}|${args.above}`;
      const filled = gapFills[key] ?? [];
      delete gapFills[key];
      const at = messages[chat.chat_id].findIndex((m) => m.msg_id === args.above);
      insertMessages(chat.chat_id, at + 1, filled);
      gaps[chat.chat_id] = (gaps[chat.chat_id] ?? []).filter((id) => id !== args.above);
      return filled;
    },
    history_gaps: (args) => {
      requireSession();
      requireUnlocked();
      const chat = chatOrReject(args.chatId);
      return gaps[chat.chat_id] ?? [];
    },
    set_muted: (args) => {
      requireSession();
      requireUnlocked();
      if (typeof args.muted !== "boolean") throw "invalid args `muted` for command `set_muted`";
      const chat = chatOrReject(args.chatId);
      chat.muted = args.muted;
      emit({ type: "chat_updated", chat });
      return chat;
    },
    set_pinned: (args) => {
      requireSession();
      requireUnlocked();
      if (typeof args.pinned !== "boolean") throw "invalid args `pinned` for command `set_pinned`";
      const chat = chatOrReject(args.chatId);
      chat.pinned = args.pinned;
      emit({ type: "chat_updated", chat });
      return chat;
    },
    search: (args) => {
      requireSession();
      requireUnlocked();
      if (typeof args.query !== "string") throw "invalid args `query` for command `search`";
      if (args.chatId !== undefined && args.chatId !== null && typeof args.chatId !== "string") {
        throw "invalid args `chatId` for command `search`";
      }
      return search(args.query, (args.chatId as string | null | undefined) ?? null);
    },
    retry_message: (args) => {
      requireSession();
      requireUnlocked();
      const message = unsentOrReject(args.clientMsgId);
      if (message.state !== "failed") throw lockError("invalid_input", "that message has not failed");
      retry(message);
      return null;
    },
    retry_all: (args) => {
      requireSession();
      requireUnlocked();
      if (args.chatId !== null && typeof args.chatId !== "string") throw "invalid args `chatId` for command `retry_all`";
      const failed = Object.values(messages)
        .flat()
        .filter((m) => m.own && m.state === "failed" && (args.chatId === null || m.chat_id === args.chatId));
      for (const message of failed) retry(message);
      return failed.length;
    },
    delete_message: (args) => {
      requireSession();
      requireUnlocked();
      const message = unsentOrReject(args.clientMsgId);
      const list = messages[message.chat_id];
      list.splice(list.indexOf(message), 1);
      const chat = chatOrReject(message.chat_id);
      chat.last_message = list.at(-1) ?? null;
      emit({ type: "message_removed", chat_id: message.chat_id, client_msg_id: message.client_msg_id! });
      emit({ type: "chat_updated", chat });
      return null;
    },
    open_chat_window: (args) => {
      // The shell opens a window on index.html?chat=<id>; here the call is only recorded (in `calls`).
      if (typeof args.chatId !== "string") throw "invalid args `chatId` for command `open_chat_window`";
      return null;
    },
    people: () => {
      requireSession();
      requireUnlocked();
      return Object.entries(people)
        .map(([user_id, display_name]) => ({ user_id, display_name }) satisfies Person)
        .sort((a, b) => a.display_name.localeCompare(b.display_name));
    },
    create_chat: (args) => {
      requireSession();
      requireUnlocked();
      let title = typeof args.title === "string" ? args.title.trim() : "";
      const ids = args.memberIds;
      if (!Array.isArray(ids)) throw "invalid args `memberIds` for command `create_chat`";
      // As the core: a chat with one person needs no name; with them already, that chat is the answer.
      if (title === "" && ids.length === 1 && typeof ids[0] === "string" && ids[0] in people) {
        const name = people[ids[0]];
        const direct = chats.find((c) => c.member_names.length === 2 && c.member_names.includes(name));
        if (direct) return direct;
        title = name;
      }
      if (title === "" || ids.length === 0 || ids.some((id) => typeof id !== "string" || !(id in people))) {
        throw { code: "invalid_input", message: "a chat needs a title and known members", retryable: false } satisfies IpcError;
      }
      // Like the core: listed at once; the server makes it at once while connected, else when
      // the connection returns (`setConnection`), or refuses it (`refuseChat`).
      const chat: ChatSummary = {
        chat_id: `chat-new-${nextChat++}`,
        title,
        member_names: [...(ids as string[]).map((id) => people[id]), me.display_name],
        last_message: null,
        unread_count: 0,
        muted: false,
        pinned: false,
        creation: session!.connection.state === "connected" ? null : { state: "pending" },
      };
      chats.push(chat);
      messages[chat.chat_id] = [];
      members[chat.chat_id] = (ids as string[]).slice();
      emit({ type: "chat_updated", chat });
      return chat;
    },
    retry_chat: (args) => {
      requireSession();
      requireUnlocked();
      if (typeof args.chatId !== "string") throw "invalid args `chatId` for command `retry_chat`";
      const chat = chats.find((c) => c.chat_id === args.chatId);
      if (!chat) throw lockError("unknown_chat", `there is no chat "${args.chatId}"`);
      if (chat.creation?.state !== "failed") {
        throw lockError("invalid_input", "only a chat the server refused to make can be tried again");
      }
      chat.creation = session!.connection.state === "connected" ? null : { state: "pending" };
      emit({ type: "chat_updated", chat });
      return chat;
    },
    delete_unmade_chat: (args) => {
      requireSession();
      requireUnlocked();
      if (typeof args.chatId !== "string") throw "invalid args `chatId` for command `delete_unmade_chat`";
      const at = chats.findIndex((c) => c.chat_id === args.chatId);
      if (at < 0) throw lockError("unknown_chat", `there is no chat "${args.chatId}"`);
      if (chats[at].creation === null) {
        throw lockError("invalid_input", "only a chat the server has not made yet can be deleted here");
      }
      chats.splice(at, 1);
      delete messages[args.chatId];
      emit({ type: "chat_removed", chat_id: args.chatId });
      return null;
    },
    chat_list_painted: (args) => {
      if (typeof args.chats !== "number") throw "invalid args `chats` for command `chat_list_painted`";
      return null;
    },
    set_viewing: (args) => {
      if (args.chatId !== null && typeof args.chatId !== "string") throw "invalid args `chatId` for command `set_viewing`";
      return null;
    },
    get_settings: () => view(),
    update_settings: (args) => {
      const edit = checkEdit(args.settings);
      if (edit.lock_idle_minutes > 1440) {
        throw lockError("invalid_input", "lock after at most 1440 minutes of inactivity");
      }
      // As the core: one of the sizes offered (TEXT_ZOOM_STEPS in the desktop crate), else nothing changes.
      if (edit.text_zoom !== undefined && ![80, 90, 100, 110, 125, 150, 175, 200].includes(edit.text_zoom)) {
        throw lockError("invalid_input", `the text size ${edit.text_zoom}% is not one of 80%, 90%, 100%, 110%, 125%, 150%, 175%, 200%`);
      }
      const { theme, language, text_zoom, ...rest } = clone(edit);
      stored = {
        ...stored,
        ...rest,
        ...(theme === undefined ? {} : { theme }),
        ...(language === undefined ? {} : { language }),
        ...(text_zoom === undefined ? {} : { text_zoom }),
      };
      return view();
    },
    set_passcode: (args) => {
      const next = checkNewPasscode(args.passcode);
      if (passcode !== null && args.current !== passcode) throw lockError("wrong_passcode", "wrong passcode");
      passcode = next;
      return null;
    },
    remove_passcode: (args) => {
      if (passcode === null) throw lockError("no_passcode", "set a passcode first");
      if (args.current !== passcode) throw lockError("wrong_passcode", "wrong passcode");
      passcode = null;
      setLocked(false);
      return null;
    },
    lock_now: () => {
      if (passcode === null) throw lockError("no_passcode", "set a passcode first");
      setLocked(true);
      return null;
    },
    unlock: (args) => {
      if (passcode === null) throw lockError("no_passcode", "set a passcode first");
      const now = Date.now();
      if (blockedUntil > now) {
        const wait = Math.ceil((blockedUntil - now) / 1000);
        throw lockError("too_many_attempts", `too many wrong passcodes; try again in ${wait} s`, true);
      }
      if (args.passcode !== passcode) {
        wrongTries += 1;
        if (wrongTries >= 5) blockedUntil = now + 30_000;
        throw lockError("wrong_passcode", "wrong passcode");
      }
      wrongTries = 0;
      setLocked(false);
      return null;
    },
    is_locked: () => locked,
    note_activity: () => null,
    edit_message: (args) => {
      requireSession();
      requireUnlocked();
      const message = unsentOrReject(args.clientMsgId);
      if (typeof args.body !== "string") throw "invalid args `body` for command `edit_message`";
      if (message.state !== "failed") {
        throw lockError("invalid_input", "only a message the server refused can be edited before it is sent");
      }
      if (args.body.trim() === "") throw lockError("invalid_input", "a message can't be empty");
      message.body = args.body;
      retry(message);
      return null;
    },
    open_link: (args) => {
      checkLink(args.url);
      return null;
    },
    save_draft: (args) => {
      requireSession();
      requireUnlocked();
      const chat = chatOrReject(args.chatId);
      if (typeof args.body !== "string") throw "invalid args `body` for command `save_draft`";
      if (args.body.trim() === "") drafts.delete(chat.chat_id);
      else drafts.set(chat.chat_id, args.body);
      return null;
    },
    drafts: () => {
      requireSession();
      requireUnlocked();
      return [...drafts.entries()].sort();
    },
    tester_status: () => {
      requireMock();
      return testerStatus();
    },
    tester_set_fault: (args) => {
      requireMock();
      const chosen = selected(args.target);
      const fault = checkFault(args.fault);
      for (const listener of chosen) listener.fault = fault;
      return testerStatus();
    },
    tester_play: (args) => {
      requireMock();
      if (typeof args.timeScale !== "number" || !(args.timeScale > 0)) {
        throw "invalid args `timeScale` for command `tester_play`";
      }
      if (!scenarios.some((sc) => sc.name === args.name)) {
        throw lockError("invalid_input", `no scenario ${JSON.stringify(args.name)}`);
      }
      playing = String(args.name);
      return testerStatus();
    },
    tester_stop: () => {
      requireMock();
      playing = null;
      return testerStatus();
    },
    reconnect_now: () => {
      requireSession();
      // Like the core: a wait is cut short and an attempt starts (while the
      // session is being renewed, it only asks the sign-in service again).
      const current = session!.connection;
      if (current.state === "waiting" && !current.why.includes("renewing the session")) {
        controls.setConnection({
          state: "connecting",
          endpoint: current.endpoint ?? connected.endpoint,
          region: current.region ?? connected.region,
          transport: "gateway",
          why: "reconnecting now, as asked",
        });
      }
      return null;
    },
  };

  async function handle(cmd: string, args: Record<string, unknown>): Promise<unknown> {
    const waiting = holds.get(cmd);
    if (waiting) await new Promise<void>((resolve) => waiting.push(resolve));
    const failure = failures.get(cmd);
    if (failure) {
      failures.delete(cmd);
      throw failure;
    }
    switch (cmd) {
      case "plugin:event|listen": {
        const id = nextEventId++;
        listeners.set(id, { event: String(args.event), handler: Number(args.handler) });
        return id;
      }
      case "plugin:event|unlisten":
        listeners.delete(Number(args.eventId));
        return null;
    }
    // Tauri rejects unknown commands with a plain string.
    if (!Object.hasOwn(commands, cmd)) throw `command ${cmd} not found`;
    const handler = commands[cmd as Command] as (args: Record<string, unknown>) => unknown;
    return handler(args);
  }

  w.__TAURI_INTERNALS__ = {
    invoke(cmd: string, args: Record<string, unknown> = {}, _options?: unknown): Promise<unknown> {
      calls.push({ cmd, args: clone(args) });
      // Resolve in a later task with serialised data, as the real IPC does. A
      // MessageChannel rather than setTimeout, so that tests which pause the
      // page's clock (page.clock) still get answers.
      return new Promise((resolve, reject) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => {
          channel.port1.close();
          handle(cmd, args).then(
            (value) => resolve(value === undefined ? null : clone(value)),
            (error) => reject(error),
          );
        };
        channel.port2.postMessage(null);
      });
    },
    transformCallback,
    unregisterCallback(id: number) {
      callbacks.delete(id);
    },
    convertFileSrc(path: string, protocol = "asset") {
      return `${protocol}://localhost/${encodeURIComponent(path)}`;
    },
    metadata: { currentWindow: { label: "main" }, currentWebview: { windowLabel: "main", label: "main" } },
  };
  w.__TAURI_EVENT_PLUGIN_INTERNALS__ = {
    unregisterListener(_event: string, eventId: number) {
      listeners.delete(eventId);
    },
  };

  const controls: FakeControls = {
    calls,
    sent,
    emitted,
    emit,
    ack(clientMsgId) {
      const message = findOwn(clientMsgId);
      message.state = "sent";
      message.msg_id = newMsgId();
      message.seq = seq++;
      settle(message);
    },
    fail(clientMsgId, reason) {
      const message = findOwn(clientMsgId);
      message.state = "failed";
      message.failure = reason;
      settle(message);
    },
    reply(chatId, body) {
      const chat = chatOrReject(chatId);
      const message = peerMessage(chatId, peerOf[chatId], body, Date.now());
      messages[chatId].push(message);
      chat.last_message = message;
      chat.unread_count += 1;
      emit({ type: "message_added", message });
      emit({ type: "chat_updated", chat });
      return clone(message);
    },
    addChat({ chat_id, title, member_names }, announce = true) {
      let chat = chats.find((c) => c.chat_id === chat_id);
      if (chat) {
        chat.title = title;
        chat.member_names = member_names.slice();
      } else {
        chat = {
          chat_id,
          title,
          member_names: member_names.slice(),
          last_message: null,
          unread_count: 0,
          muted: false,
          pinned: false,
          creation: null,
        };
        chats.push(chat);
        messages[chat_id] = [];
      }
      if (announce) emit({ type: "chat_updated", chat });
    },
    deliver(chatId, sender, body) {
      const chat = chatOrReject(chatId);
      const message: ChatMessage = {
        client_msg_id: null,
        msg_id: newMsgId(),
        chat_id: chatId,
        sender_id: sender.id,
        sender_name: sender.name,
        body,
        sent_at_ms: Date.now(),
        seq: seq++,
        state: "sent",
        failure: null,
        own: false,
        attachments: [],
      };
      messages[chatId].push(message);
      chat.last_message = message;
      chat.unread_count += 1;
      emit({ type: "message_added", message });
      emit({ type: "chat_updated", chat });
      return clone(message);
    },
    setConnection(state) {
      if (session) session.connection = state;
      emit({ type: "connection_changed", state });
      // Back: the server makes the chats started meanwhile.
      if (state.state !== "connected") return;
      for (const chat of chats.filter((c) => c.creation?.state === "pending")) {
        chat.creation = null;
        emit({ type: "chat_updated", chat });
      }
    },
    refuseChat(chatId, reason) {
      const chat = chats.find((c) => c.chat_id === chatId);
      if (!chat) throw new Error(`the fake has no chat ${chatId}`);
      chat.creation = { state: "failed", reason };
      emit({ type: "chat_updated", chat });
    },
    setWaiting(retryMs, why) {
      controls.setConnection({
        state: "waiting",
        retry_in_ms: retryMs,
        next_attempt_at_ms: Date.now() + retryMs,
        endpoint: connected.endpoint,
        region: connected.region,
        why,
      });
    },
    setServices(changes, detail) {
      for (const [id, state] of Object.entries(changes)) {
        const service = services.find((s) => s.id === id);
        if (!service) throw new Error(`the fake backend has no service ${id}`);
        service.status = { state, since_ms: Date.now(), detail: state === "up" ? null : (detail ?? `${id} is ${state}`) };
      }
      emit({ type: "services_changed", services });
    },
    declareServices(list) {
      services.splice(0, services.length, ...list);
      emit({ type: "services_changed", services });
    },
    requireSignIn(reason) {
      emit({ type: "sign_in_required", reason });
    },
    historyGap() {
      emit({ type: "history_gap", after_seq: seq - 1, resumes_at_seq: seq + 50 });
      seq += 50;
    },
    addUnsent(chatId, body, failure = null) {
      const chat = chatOrReject(chatId);
      const message: ChatMessage = {
        client_msg_id: `unsent-${nextMsg++}`,
        msg_id: null,
        chat_id: chatId,
        sender_id: me.user_id,
        sender_name: me.display_name,
        body,
        sent_at_ms: Date.now(),
        seq: null,
        state: failure === null ? "pending" : "failed",
        failure,
        own: true,
        attachments: [],
      };
      messages[chatId].push(message);
      chat.last_message = message;
      emit({ type: "message_added", message });
      emit({ type: "chat_updated", chat });
      return clone(message);
    },
    syncProgress(done, total) {
      emit({ type: "sync_progress", done, total });
    },
    readBy(chatId, userId, msgId) {
      const marks = (readUpTo[chatId] ??= {});
      const before = marks[userId] ?? null;
      if (before === null || before < msgId) marks[userId] = msgId;
      emit({ type: "read_mark_moved", chat_id: chatId, user_id: userId, msg_id: msgId });
    },
    messagesOf: (chatId) => clone(messages[chatId] ?? []),
    settings: view,
    passcode: () => passcode,
    locked: () => locked,
    lock() {
      setLocked(true);
    },
    unlockElsewhere() {
      setLocked(false);
    },
    openChat(chatId) {
      emitEvent("open-chat", chatId);
    },
    emitEvent,
    failNext(cmd, error) {
      failures.set(cmd, error);
    },
    hold(cmd) {
      if (!holds.has(cmd)) holds.set(cmd, []);
    },
    release(cmd) {
      const waiting = holds.get(cmd) ?? [];
      holds.delete(cmd);
      for (const resolve of waiting) resolve();
    },
    setPickedFolder(path) {
      pickedFolder = path;
    },
    setPicked(paths) {
      picked = paths.slice();
    },
    uploaded(clientMsgId) {
      const message = findOwn(clientMsgId);
      message.attachments = message.attachments.map(({ name, size, mime }) => ({
        name,
        size,
        mime,
        media_id: `media-${nextMedia++}`,
      }));
      settle(message);
    },
    deliverFiles(chatId, sender, body, attachments) {
      const chat = chatOrReject(chatId);
      const message: ChatMessage = {
        client_msg_id: null,
        msg_id: newMsgId(),
        chat_id: chatId,
        sender_id: sender.id,
        sender_name: sender.name,
        body: body === "" ? attachments.map((f) => f.name).join(", ") : body,
        sent_at_ms: Date.now(),
        seq: seq++,
        state: "sent",
        failure: null,
        own: false,
        attachments: clone(attachments),
      };
      messages[chatId].push(message);
      chat.last_message = message;
      chat.unread_count += 1;
      emit({ type: "message_added", message });
      emit({ type: "chat_updated", chat });
      return clone(message);
    },
    makeMessage(chatId, from, body, at) {
      return from === "me" ? ownMessage(chatId, body, at) : peerMessage(chatId, from, body, at);
    },
    queueOlder(chatId, page) {
      (olderPages[chatId] ??= []).push(clone(page));
    },
    setGaps(chatId, msgIds) {
      gaps[chatId] = msgIds.slice();
    },
    setGapFill(chatId, above, list) {
      gapFills[`${chatId}|${above}`] = clone(list);
    },
    drafts: () => [...drafts.entries()].sort(),
    testerStatus,
    scenarioStep(target, fault) {
      for (const listener of selected(target)) listener.fault = fault;
    },
    scenarioEnd() {
      playing = null;
    },
    drag(kind, paths = []) {
      const position = { x: 640, y: 300 };
      if (kind === "leave") emitEvent("tauri://drag-leave", null);
      else if (kind === "over") emitEvent("tauri://drag-over", { position });
      else emitEvent(`tauri://drag-${kind}`, { paths, position });
    },
  };
  w.__fake = controls;
}
