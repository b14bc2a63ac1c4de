// Small presentation helpers (no I/O; words and dates in the UI's language).
import { i18n } from "./locale.svelte";

/**
 * Up to two initials from a name or title: "Mina Park" -> "MP", "weekend" -> "W".
 * Invisible format characters (bidi overrides, joiners) and combining marks
 * are skipped, so an initial is always something that can be seen.
 */
export function initials(name: string): string {
  const words = name
    .replace(/[\p{Cf}\p{M}]/gu, "")
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  if (words.length === 0) return "?";
  const letters = words.length === 1 ? [words[0]] : [words[0], words[words.length - 1]];
  return letters
    .map((w) => Array.from(w)[0] ?? "")
    .join("")
    .toUpperCase();
}

/**
 * At most this many combining marks in a row are drawn after a character:
 * Unicode's stream-safe limit (UAX #15), far above what any language needs.
 */
export const MAX_MARKS_IN_A_ROW = 30;
const MARK_RUN = new RegExp(`([\\p{Mn}\\p{Me}]{${MAX_MARKS_IN_A_ROW}})[\\p{Mn}\\p{Me}]+`, "gu");

/**
 * Text from other people, ready to draw: runs of combining marks ("Zalgo" text)
 * are cut to MAX_MARKS_IN_A_ROW. Tens of thousands of marks on one character
 * take the web view's text shaper seconds per message and can crash Chromium's
 * renderer (WebView2); no language needs more than a handful.
 */
export function tameMarks(text: string): string {
  return text.replace(MARK_RUN, "$1");
}

/**
 * Wraps text in FIRST STRONG ISOLATE ... POP DIRECTIONAL ISOLATE, for places
 * that cannot use <bdi> (attributes such as title): right-to-left text or
 * override characters in it then cannot reorder what comes after it.
 */
export function isolate(text: string): string {
  return `\u2068${text}\u2069`;
}

const AVATAR_COLOURS = [
  "#7aa2c8", // dusty blue
  "#8fb996", // sage
  "#d9a05b", // ochre
  "#c98c9d", // rose
  "#9b8fc4", // lavender
  "#6fb1b0", // teal
  "#c4a27a", // sand
  "#8a9bb0", // slate
];

/** A calm colour picked deterministically from a name. */
export function avatarColour(name: string): string {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) | 0;
  return AVATAR_COLOURS[Math.abs(hash) % AVATAR_COLOURS.length];
}

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/**
 * One Intl formatter per locale and kind, made on first use. The locale is the
 * UI's (lib/locale.svelte.ts); reading it here makes markup that shows a date
 * redraw when the language changes.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

const DATE_STYLES = {
  time: { hour: "numeric", minute: "2-digit" },
  monthDay: { month: "short", day: "numeric" },
  fullDate: { year: "numeric", month: "short", day: "numeric" },
  dayHeading: { weekday: "long", year: "numeric", month: "long", day: "numeric" },
  clock: { hour: "2-digit", minute: "2-digit", second: "2-digit" },
} satisfies Record<string, Intl.DateTimeFormatOptions>;

function dateFormat(style: keyof typeof DATE_STYLES): Intl.DateTimeFormat {
  const locale = i18n.intl;
  const key = `${locale}|${style}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, DATE_STYLES[style]);
    formatters.set(key, format);
  }
  return format;
}

/** Clock time of a message, e.g. "14:05", "2:05 PM" or "오후 2:05" depending on locale. */
export function formatTime(ms: number): string {
  return dateFormat("time").format(new Date(ms));
}

/** Time to the second, e.g. "14:05:09": for the connection timeline, where seconds matter. */
export function formatClock(ms: number): string {
  return dateFormat("clock").format(new Date(ms));
}

/** A count as people write it in the UI's language: "10,000". */
export function formatNumber(n: number): string {
  return n.toLocaleString(i18n.intl);
}

/** Compact time for the chat list: time today, "Yesterday", a date otherwise. */
export function formatListTime(ms: number, now: number = Date.now()): string {
  const date = new Date(ms);
  const today = new Date(now);
  if (sameDay(date, today)) return formatTime(ms);
  const yesterday = new Date(now);
  yesterday.setDate(today.getDate() - 1);
  if (sameDay(date, yesterday)) return i18n.t.yesterday;
  if (date.getFullYear() === today.getFullYear()) return dateFormat("monthDay").format(date);
  return dateFormat("fullDate").format(date);
}

/** Key identifying a calendar day (local time). */
export function dayKey(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** Heading for a day separator in the message list. */
export function formatDayHeading(ms: number, now: number = Date.now()): string {
  const date = new Date(ms);
  if (sameDay(date, new Date(now))) return i18n.t.today;
  const yesterday = new Date(now);
  yesterday.setDate(yesterday.getDate() - 1);
  if (sameDay(date, yesterday)) return i18n.t.yesterday;
  return dateFormat("dayHeading").format(date);
}

/** A chat list preview shows at most this many characters (code points). */
export const PREVIEW_MAX_CHARS = 160;

/** One-line preview of a message body, cut to PREVIEW_MAX_CHARS (with "…"). */
export function preview(body: string, max: number = PREVIEW_MAX_CHARS): string {
  const text = tameMarks(body).replace(/\s+/g, " ").trim();
  let out = "";
  let count = 0;
  for (const ch of text) {
    if (count++ === max) return `${out.trimEnd()}…`;
    out += ch;
  }
  return out;
}

/** A message from the core ("wrong passcode") as a sentence ("Wrong passcode"). */
export function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** One piece of a search hit's excerpt: plain text, or a match to highlight. */
export type HighlightPart = { text: string; mark: boolean };

/** How the core marks a match in a search hit: U+0002 before it, U+0003 after it. */
export const MATCH_START = "\u0002";
export const MATCH_END = "\u0003";

/**
 * A search hit's `highlighted` body as pieces to render as text (never as
 * HTML), matches flagged: whitespace collapsed to single spaces, at most
 * `before` characters kept ahead of the first match and at most `max` in all
 * (cut with "…"), combining-mark runs tamed. The control characters never
 * reach the page.
 */
export function highlightParts(highlighted: string, max: number = PREVIEW_MAX_CHARS, before = 40): HighlightPart[] {
  const text = highlighted.replace(/\s+/g, " ").trim();
  const parts: HighlightPart[] = [];
  const push = (piece: string, mark: boolean) => {
    if (piece === "") return;
    const last = parts.at(-1);
    if (last && last.mark === mark) last.text += piece;
    else parts.push({ text: piece, mark });
  };

  // Start shortly before the first match, so a match deep in a long message is in view.
  let start = 0;
  const first = text.indexOf(MATCH_START);
  if (first > 0) {
    const head = Array.from(text.slice(Math.max(0, first - 4 * before), first));
    if (head.length > before) {
      let kept = head.slice(-before).join("");
      // Begin at a word where there is one.
      const space = kept.indexOf(" ");
      if (space >= 0 && space < kept.length - 1) kept = kept.slice(space + 1);
      start = first - kept.length;
      push("…", false);
    }
  }

  let budget = max;
  let mark = false;
  for (const segment of text.slice(start).split(/([\u0002\u0003])/)) {
    if (segment === MATCH_START || segment === MATCH_END) {
      mark = segment === MATCH_START;
      continue;
    }
    // Code points, looking at no more of a long segment than can be shown.
    const chars = Array.from(segment.length > budget ? segment.slice(0, 2 * budget + 1) : segment);
    if (chars.length > budget) {
      push(chars.slice(0, budget).join("").trimEnd(), mark);
      push("…", false);
      break;
    }
    push(segment, mark);
    budget -= chars.length;
  }
  return parts.map((p) => ({ text: tameMarks(p.text), mark: p.mark }));
}

/** A file size for people: "640 B", "2.4 KB", "18 MB" (1 KB = 1024 bytes, as file managers count). */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "";
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** What a file is, for its card: a short label for the icon and a word for screen readers. */
export type FileKind = { label: string; word: string };

const ARCHIVE_MIME = /zip|x-7z|rar|x-tar|gzip|x-bzip|x-xz|compressed/;

/**
 * The kind of a file from its MIME type, falling back on the name's extension
 * (only short letters and digits, so a hostile name cannot make a long label).
 */
export function fileKind(mime: string, name: string): FileKind {
  const type = mime.toLowerCase();
  const words = i18n.t.fileKinds;
  if (type.startsWith("image/")) return { label: "IMG", word: words.image };
  if (type.startsWith("video/")) return { label: "VID", word: words.video };
  if (type.startsWith("audio/")) return { label: "AUD", word: words.audio };
  if (type === "application/pdf") return { label: "PDF", word: words.pdf };
  if (ARCHIVE_MIME.test(type)) return { label: "ZIP", word: words.archive };
  if (/spreadsheet|ms-excel|csv/.test(type)) return { label: "XLS", word: words.spreadsheet };
  if (/presentation|powerpoint/.test(type)) return { label: "PPT", word: words.presentation };
  if (/wordprocessing|msword|opendocument\.text|rtf/.test(type)) return { label: "DOC", word: words.document };
  if (type.startsWith("text/")) return { label: "TXT", word: words.text };
  const ext = /\.([a-z0-9]{1,4})$/i.exec(name)?.[1];
  return { label: ext ? ext.toUpperCase() : "FILE", word: words.file };
}
