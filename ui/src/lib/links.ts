// Finding web links in message text. The text is still rendered as text: this
// only says which runs of it are http(s) links, so they can be offered as
// buttons that ask the core to open them (never by navigating the web view).

/** A run of a message's text: plain, or a web link whose text is the URL itself. */
export type TextPart = { text: string; link: boolean };

/**
 * Where a link may start: "http://" or "https://" not glued to a word before
 * it, so "xhttp://" or a scheme hidden inside another one stays text.
 */
const LINK_START = /(?<![\p{L}\p{N}_+.-])https?:\/\//giu;

/**
 * What ends a link: white space, quotes and angle brackets (how links are
 * usually set off in text), and any control or format character, so a
 * direction override can never sit inside a link and disguise it.
 */
const LINK_END = /[\s\p{C}<>"`]/u;

/** Punctuation that ends a sentence rather than a link ("see https://a.example."). */
const TRAILING = new Set([".", ",", ":", ";", "!", "?", "'", "*", "…"]);

/** Closing brackets are part of a link only when it opened them (Wikipedia's "Foo_(bar)"). */
const OPENER: Record<string, string> = { ")": "(", "]": "[", "}": "{" };

function count(text: string, ch: string): number {
  let n = 0;
  for (const c of text) if (c === ch) n++;
  return n;
}

/** Drops sentence punctuation and unbalanced closing brackets from the end of a link. */
function trimLink(url: string): string {
  for (;;) {
    const last = url.at(-1);
    if (last === undefined) return url;
    const opener = OPENER[last];
    const unbalanced = opener !== undefined && count(url, opener) < count(url, last);
    if (!TRAILING.has(last) && !unbalanced) return url;
    url = url.slice(0, -1);
  }
}

/** A link needs a host: something other than punctuation between "://" and the path. */
function hasHost(url: string): boolean {
  const rest = url.slice(url.indexOf("://") + 3);
  const authority = rest.split(/[/?#]/, 1)[0];
  return /[\p{L}\p{N}]/u.test(authority);
}

/**
 * Splits text into plain runs and http(s) links, in order; joined, the parts
 * are the text unchanged. Nothing but http(s) URLs becomes a link (no
 * "javascript:", "file:", "mailto:" or bare domains).
 */
export function linkParts(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let plainFrom = 0;
  for (const match of text.matchAll(LINK_START)) {
    const start = match.index;
    if (start < plainFrom) continue; // inside the link just found
    const tail = text.slice(start);
    const end = tail.search(LINK_END);
    const url = trimLink(end < 0 ? tail : tail.slice(0, end));
    if (!hasHost(url)) continue;
    if (start > plainFrom) parts.push({ text: text.slice(plainFrom, start), link: false });
    parts.push({ text: url, link: true });
    plainFrom = start + url.length;
  }
  if (plainFrom < text.length) parts.push({ text: text.slice(plainFrom), link: false });
  return parts;
}
