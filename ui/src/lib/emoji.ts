// The emoji the picker offers, from emojibase's data (Unicode's CLDR names and keywords, in English
// and Korean), loaded only when the picker first opens: the app starts without it. Recent choices
// and the skin tone are kept on this computer.
import type { Locale } from "./i18n";

/** One emoji as the picker shows it. */
export type Emoji = {
  hexcode: string;
  unicode: string;
  /** Its name in the UI's language. */
  label: string;
  /** Words it is found by: its names and keywords in the UI's language and in English. */
  terms: string[];
  /** The same emoji in the five skin tones, light to dark (none: it has no skin). */
  skins: string[] | null;
};

export type EmojiGroup = { key: string; name: string; emoji: Emoji[] };

export type EmojiSet = { groups: EmojiGroup[]; byHex: Map<string, Emoji> };

type Compact = {
  hexcode: string;
  unicode: string;
  label: string;
  group?: number;
  order?: number;
  tags?: string[];
  skins?: { unicode: string }[];
};
type Messages = { groups: { key: string; message: string; order: number }[] };

/** emojibase's group of the skin tone swatches themselves: not offered. */
const COMPONENT_GROUP = 2;

async function data(locale: Locale): Promise<[Compact[], Messages]> {
  // Static paths, so the bundler makes one chunk per file, fetched on first use.
  if (locale === "ko") {
    const [emoji, messages] = await Promise.all([
      import("emojibase-data/ko/compact.json"),
      import("emojibase-data/ko/messages.json"),
    ]);
    return [emoji.default as Compact[], messages.default as Messages];
  }
  const [emoji, messages] = await Promise.all([
    import("emojibase-data/en/compact.json"),
    import("emojibase-data/en/messages.json"),
  ]);
  return [emoji.default as Compact[], messages.default as Messages];
}

const loaded = new Map<Locale, Promise<EmojiSet>>();

/** The emoji in `locale`'s words, by group in Unicode's order (loaded once per language). */
export function loadEmoji(locale: Locale): Promise<EmojiSet> {
  let set = loaded.get(locale);
  if (!set) {
    set = build(locale);
    loaded.set(locale, set);
  }
  return set;
}

async function build(locale: Locale): Promise<EmojiSet> {
  const [[own, messages], english] = await Promise.all([
    data(locale),
    locale === "en" ? Promise.resolve(null) : data("en").then(([emoji]) => emoji),
  ]);
  const englishTerms = new Map((english ?? []).map((e) => [e.hexcode, [e.label, ...(e.tags ?? [])]]));
  const groups: EmojiGroup[] = [...messages.groups]
    .sort((a, b) => a.order - b.order)
    .filter((g) => g.order !== COMPONENT_GROUP)
    .map((g) => ({ key: g.key, name: g.message, emoji: [] }));
  const byOrder = new Map(messages.groups.map((g) => [g.order, g.key]));
  const byHex = new Map<string, Emoji>();
  for (const e of [...own].sort((a, b) => (a.order ?? 0) - (b.order ?? 0))) {
    if (e.group === undefined || e.group === COMPONENT_GROUP) continue;
    const group = groups.find((g) => g.key === byOrder.get(e.group!));
    if (!group) continue;
    const terms = [e.label, ...(e.tags ?? []), ...(englishTerms.get(e.hexcode) ?? [])].map((t) => t.toLocaleLowerCase());
    const emoji: Emoji = {
      hexcode: e.hexcode,
      unicode: e.unicode,
      label: e.label,
      terms,
      skins: e.skins && e.skins.length === 5 ? e.skins.map((s) => s.unicode) : null,
    };
    group.emoji.push(emoji);
    byHex.set(e.hexcode, emoji);
  }
  return { groups: groups.filter((g) => g.emoji.length > 0), byHex };
}

/** Emoji whose names or keywords start with every word of `query`, best first (name matches), at most `limit`. */
export function searchEmoji(set: EmojiSet, query: string, limit = 120): Emoji[] {
  const words = query.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  const found: { emoji: Emoji; rank: number }[] = [];
  for (const group of set.groups) {
    for (const emoji of group.emoji) {
      const matches = (w: string) => emoji.terms.some((t) => t.startsWith(w) || t.split(/\s+/).some((p) => p.startsWith(w)));
      if (!words.every(matches)) continue;
      const rank = emoji.terms[0].startsWith(words[0]) ? 0 : 1;
      found.push({ emoji, rank });
    }
  }
  return found
    .sort((a, b) => a.rank - b.rank)
    .slice(0, limit)
    .map((f) => f.emoji);
}

/** The emoji in skin tone `tone` (0: none; 1-5 light to dark) where it has skins. */
export function inTone(emoji: Emoji, tone: number): string {
  return tone > 0 && emoji.skins ? emoji.skins[tone - 1] : emoji.unicode;
}

const RECENT_KEY = "outlast.emoji.recent";
const TONE_KEY = "outlast.emoji.tone";
const MAX_RECENT = 24;

/** The emoji picked last, newest first (hexcodes). */
export function recentEmoji(): string[] {
  try {
    const stored: unknown = JSON.parse(localStorage.getItem(RECENT_KEY) ?? "[]");
    return Array.isArray(stored) ? stored.filter((h): h is string => typeof h === "string").slice(0, MAX_RECENT) : [];
  } catch {
    return [];
  }
}

export function rememberEmoji(hexcode: string): void {
  const recent = [hexcode, ...recentEmoji().filter((h) => h !== hexcode)].slice(0, MAX_RECENT);
  localStorage.setItem(RECENT_KEY, JSON.stringify(recent));
}

export function skinTone(): number {
  const tone = Number(localStorage.getItem(TONE_KEY) ?? "0");
  return Number.isInteger(tone) && tone >= 0 && tone <= 5 ? tone : 0;
}

export function setSkinTone(tone: number): void {
  localStorage.setItem(TONE_KEY, String(tone));
}
