// @mentions, by the same rule as the core's `outlast_core::mentions` (which decides that a mention
// of the user notifies in a muted chat): an "@" that starts a word, then exactly a display name,
// which ends there.

const WORD = /[\p{L}\p{N}_]/u;

/** Whether the "@" at `at` in `text` starts a word (it is not inside an address like a@b.com). */
function startsWord(text: string, at: number): boolean {
  const before = at > 0 ? text[at - 1] : "";
  return before === "" || (!WORD.test(before) && before !== ".");
}

/** Whether `name` stands on its own right after the "@" at `at`. */
function namedAt(text: string, at: number, name: string): boolean {
  if (!text.startsWith(name, at + 1)) return false;
  const after = text.slice(at + 1 + name.length, at + 3 + name.length);
  const next = after === "" ? "" : String.fromCodePoint(after.codePointAt(0)!);
  return next === "" || !WORD.test(next);
}

export type MentionPart = { text: string; mention: string | null };

/**
 * Splits `text` into plain runs and mentions of `names` (the chat's members), in order; joined,
 * the parts are the text unchanged. The longest name wins where two start alike.
 */
export function mentionParts(text: string, names: readonly string[]): MentionPart[] {
  const candidates = [...new Set(names.map((n) => n.trim()).filter((n) => n !== ""))].sort((a, b) => b.length - a.length);
  const parts: MentionPart[] = [];
  let plainFrom = 0;
  for (let at = text.indexOf("@"); at >= 0; at = text.indexOf("@", at + 1)) {
    if (at < plainFrom || !startsWord(text, at)) continue;
    const name = candidates.find((n) => namedAt(text, at, n));
    if (name === undefined) continue;
    if (at > plainFrom) parts.push({ text: text.slice(plainFrom, at), mention: null });
    parts.push({ text: `@${name}`, mention: name });
    plainFrom = at + 1 + name.length;
  }
  if (plainFrom < text.length || parts.length === 0) parts.push({ text: text.slice(plainFrom), mention: null });
  return parts;
}

/**
 * The mention being typed at `caret` in `text`: the "@" that starts it and what follows it so
 * far, or null when the caret is not in one (no "@" starting a word before it, or a line break
 * between them).
 */
export function typedMention(text: string, caret: number): { at: number; query: string } | null {
  const at = text.lastIndexOf("@", caret - 1);
  if (at < 0 || !startsWord(text, at)) return null;
  const query = text.slice(at + 1, caret);
  if (query.includes("\n") || query.length > 64) return null;
  return { at, query };
}
