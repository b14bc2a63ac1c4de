// Per-message read counts (the small number beside a message: how many of the
// chat's other members have not read it yet), from how far each has read.
import type { ChatMessage } from "./bindings/ChatMessage";
import type { MemberRead } from "./bindings/MemberRead";

/** No one: the same array every time, so a row whose message everyone has read has nothing to update. */
const NO_ONE: readonly MemberRead[] = Object.freeze([]);

/**
 * The members who have not read `message`. Message ids sort as strings in the
 * server's order, so a member has read it when their mark is at or after it.
 * Its sender does not count, and a message the server has not given an id
 * (pending or failed) has no count at all.
 */
export function unreadBy(
  message: Pick<ChatMessage, "msg_id" | "sender_id">,
  reads: readonly MemberRead[] | undefined,
): readonly MemberRead[] {
  const id = message.msg_id;
  if (id === null || reads === undefined) return NO_ONE;
  const members = reads.filter((r) => r.user_id !== message.sender_id && (r.read_up_to === null || r.read_up_to < id));
  return members.length === 0 ? NO_ONE : members;
}

/**
 * `unreadBy` for the rows of one list, answering the very array it answered
 * last time for a message while the same members have not read it: the rows
 * drawn are worked out again whenever the list changes, and a row handed an
 * equal but new array would be updated for nothing.
 */
export class UnreadCounts {
  #last = new WeakMap<ChatMessage, readonly MemberRead[]>();

  of(message: ChatMessage, reads: readonly MemberRead[] | undefined): readonly MemberRead[] {
    const members = unreadBy(message, reads);
    const before = this.#last.get(message);
    if (before !== undefined && sameMembers(before, members)) return before;
    this.#last.set(message, members);
    return members;
  }
}

function sameMembers(a: readonly MemberRead[], b: readonly MemberRead[]): boolean {
  return (
    a.length === b.length && a.every((m, i) => m.user_id === b[i].user_id && m.display_name === b[i].display_name)
  );
}

/**
 * `reads` with `userId` moved on to `msgId`: the same array when that is no
 * move forward (marks never go back, and a late or repeated event must not
 * undo a newer one) or the member is not listed.
 */
export function moveMark(reads: readonly MemberRead[], userId: string, msgId: string): readonly MemberRead[] {
  const at = reads.findIndex((r) => r.user_id === userId);
  if (at < 0) return reads;
  const before = reads[at].read_up_to;
  if (before !== null && before >= msgId) return reads;
  const next = reads.slice();
  next[at] = { ...reads[at], read_up_to: msgId };
  return next;
}

/**
 * A fresh list of marks, kept no further back than marks already known (an
 * answer may have been read before an event that moved one on arrived).
 */
export function mergeMarks(fresh: readonly MemberRead[], known: readonly MemberRead[] | undefined): readonly MemberRead[] {
  if (!known) return fresh;
  const before = new Map(known.map((k) => [k.user_id, k.read_up_to]));
  let merged: MemberRead[] | null = null;
  fresh.forEach((member, i) => {
    const had = before.get(member.user_id) ?? null;
    if (had === null || (member.read_up_to !== null && member.read_up_to >= had)) return;
    merged ??= fresh.slice();
    merged[i] = { ...member, read_up_to: had };
  });
  return merged ?? fresh;
}
