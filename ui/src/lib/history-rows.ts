// A chat's history as the rows the message list shows: day separators,
// messages (with whether to show the sender and the time) and gap markers.
import type { ChatMessage } from "./bindings/ChatMessage";
import { dayKey } from "./format";
import { messageKey } from "./state/messages.svelte";

export type DayRow = {
  kind: "day";
  key: string;
  /** A moment of that day (the heading is made when shown). */
  at: number;
};
/** Messages may be missing after message `above` (the server could not be asked). */
export type GapRow = { kind: "gap"; key: string; above: string };
export type MessageRow = {
  kind: "message";
  key: string;
  message: ChatMessage;
  /** First of a run from the same person: show avatar and name. */
  showSender: boolean;
  /** Last of a run within the same minute: show the time. */
  showTime: boolean;
  /** Own and pending behind a failed message above it: the core holds it until that one is retried or deleted. */
  held: boolean;
};
export type HistoryRow = DayRow | GapRow | MessageRow;

const RUN_GAP_MS = 5 * 60_000;

/**
 * Builds the rows again whenever the history changes. A chat may hold 100,000
 * messages, so a change costs little: what comes before the first message
 * that changed is taken from last time (a message arriving or changing state
 * at the end rebuilds a few rows), and otherwise it is one tight pass in which
 * a row whose message and flags did not change is the same object as last
 * time, which the list then has nothing to update for.
 *
 * Message keys are the messages' own ids, which the store keeps unique (no set
 * of 100,000 keys is built per change; the list guards the rows it draws).
 */
export class HistoryRows {
  #messageRows = new WeakMap<ChatMessage, MessageRow>();
  #otherRows = new Map<string, DayRow | GapRow>();
  /** Per message: when its (local) day starts. */
  #days = new Float64Array(0);
  /** Per message: where its rows (a day separator, itself) start among the rows. */
  #firstRow = new Int32Array(0);
  #last: {
    messages: readonly ChatMessage[];
    gaps: string;
    rows: HistoryRow[];
    /** The first own failed message (messages.length if none). */
    firstFailed: number;
    /** Day and gap keys handed out, and at which row. */
    keys: Map<string, number>;
  } | null = null;

  build(messages: readonly ChatMessage[], gapsAfter: readonly string[]): HistoryRow[] {
    const n = messages.length;
    const gapsText = gapsAfter.join("\n");
    const last = this.#last?.gaps === gapsText ? this.#last : null;
    let same = 0;
    if (last) {
      const m = Math.min(n, last.messages.length);
      while (same < m && last.messages[same] === messages[same]) same++;
      if (same === n && n === last.messages.length) return last.rows;
    }
    // The message before the first changed one may get a new time line (its next message changed).
    const from = Math.max(0, same - 1);
    if (this.#days.length < n) {
      const grown = Math.ceil(n * 1.5);
      this.#days = grow(this.#days, new Float64Array(grown));
      this.#firstRow = grow(this.#firstRow, new Int32Array(grown));
    }
    this.#dayStarts(messages, from);
    const days = this.#days;
    const firstRow = this.#firstRow;
    const kept = last && from > 0 ? firstRow[from] : 0;
    const out: HistoryRow[] = last && kept > 0 ? last.rows.slice(0, kept) : [];
    /** Day and gap keys handed out (a day can come twice if times go back). */
    const keys = new Map<string, number>();
    if (last && kept > 0) for (const [key, at] of last.keys) if (at < kept) keys.set(key, at);
    const unique = (key: string, i: number): string => {
      if (keys.has(key)) key = `${key}:${i}`;
      keys.set(key, out.length);
      return key;
    };
    const gaps = new Set(gapsAfter);
    let firstFailed = last && last.firstFailed < from ? last.firstFailed : n;
    for (let i = from; i < n; i++) {
      const message = messages[i];
      firstRow[i] = out.length;
      if (i === 0 || days[i] !== days[i - 1]) {
        const key = unique(`day:${dayKey(message.sent_at_ms)}`, i);
        out.push(this.#other({ kind: "day", key, at: message.sent_at_ms }));
      }
      let row = this.#messageRows.get(message);
      const showSender = i === 0 || !sameRun(messages[i - 1], days[i - 1], message, days[i]);
      const next = i + 1 < n ? messages[i + 1] : undefined;
      const showTime = !(next && sameRun(message, days[i], next, days[i + 1]) && sameMinute(message, next));
      const held = firstFailed < i && message.own && message.state === "pending";
      if (!row || row.showSender !== showSender || row.showTime !== showTime || row.held !== held) {
        // (Making the key again costs more than the rest of the pass: it is kept with the row.)
        const id = messageKey(message);
        const key = row?.key ?? (id === null ? `msg:${message.chat_id}:${message.sent_at_ms}` : `msg:${id}`);
        row = { kind: "message", key, message, showSender, showTime, held };
        this.#messageRows.set(message, row);
      }
      out.push(row);
      if (firstFailed === n && message.own && message.state === "failed") firstFailed = i;
      if (message.msg_id !== null && gaps.delete(message.msg_id)) {
        // (Deleted from the set: one marker, even if the message were listed twice.)
        out.push(this.#other({ kind: "gap", key: unique(`gap:${message.msg_id}`, i), above: message.msg_id }));
      }
    }
    this.#last = { messages, gaps: gapsText, rows: out, firstFailed, keys };
    return out;
  }

  /** The same object as last time for a day or gap row that is the same. */
  #other<R extends DayRow | GapRow>(row: R): R {
    const before = this.#otherRows.get(row.key);
    if (before && before.kind === row.kind && (row.kind === "day" || (before as GapRow).above === row.above)) {
      return before as R;
    }
    this.#otherRows.set(row.key, row);
    return row;
  }

  /** Each message's day from `from` on (a day's bounds are computed only when a message falls outside the last). */
  #dayStarts(messages: readonly ChatMessage[], from: number): void {
    const days = this.#days;
    let start = 0;
    let end = -1;
    for (let i = from; i < messages.length; i++) {
      const at = messages[i].sent_at_ms;
      if (at < start || at >= end) {
        const d = new Date(at);
        start = new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
        end = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
      }
      days[i] = start;
    }
  }
}

/** `into` (the larger), holding the values of `from`. */
function grow<A extends Float64Array | Int32Array>(from: A, into: A): A {
  into.set(from);
  return into;
}

function sameRun(a: ChatMessage, aDay: number, b: ChatMessage, bDay: number): boolean {
  return (
    a.own === b.own &&
    a.sender_id === b.sender_id &&
    aDay === bDay &&
    Math.abs(b.sent_at_ms - a.sent_at_ms) < RUN_GAP_MS
  );
}

function sameMinute(a: ChatMessage, b: ChatMessage): boolean {
  return Math.floor(a.sent_at_ms / 60_000) === Math.floor(b.sent_at_ms / 60_000);
}

/**
 * A row's height (px) before it has been drawn. Close enough that the scroll
 * bar is about right; the list measures each row it draws and keeps what is
 * in view still while the guesses are replaced.
 */
export function estimateRowHeight(row: HistoryRow): number {
  if (row.kind === "day") return 41;
  if (row.kind === "gap") return 58;
  const m = row.message;
  const files = m.attachments?.length ?? 0;
  const lines = m.body === "" ? 0 : Math.max(1, Math.ceil(m.body.length / 58));
  let height = (row.showSender ? 12 : 4) + (files > 0 ? files * 58 : 0) + (lines > 0 ? 16 + lines * 20 : 0);
  if (row.showSender && !m.own) height += 19;
  if (m.own && m.state === "failed") height += 54;
  else if (row.held) height += 20;
  return height;
}
