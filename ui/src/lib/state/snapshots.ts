// Snapshots and the events around them. The store subscribes to core events before it reads any
// snapshot (the session, the chat list, a chat's history, read marks); events that arrive while a
// read is under way are held and replayed on top of it afterwards, so a snapshot never overwrites
// something newer (applying an event is idempotent).
import type { CoreEvent } from "../bindings/CoreEvent";

/** Core events that carry message content; the shell withholds them while locked. */
export const CONTENT_EVENTS: ReadonlySet<CoreEvent["type"]> = new Set([
  "message_added",
  "message_updated",
  "message_removed",
  "chat_updated",
  "chat_removed",
]);

export class Snapshots {
  /** Snapshot loads in flight; events are queued meanwhile and replayed after. */
  #loads = 0;
  #queued: CoreEvent[] = [];
  readonly #apply: (event: CoreEvent) => void;

  /** `apply` applies one core event to the state. */
  constructor(apply: (event: CoreEvent) => void) {
    this.#apply = apply;
  }

  /** A core event arrived: applied now, or after the snapshots being read. */
  receive(event: CoreEvent): void {
    if (this.#loads > 0) this.#queued.push(event);
    else this.#apply(event);
  }

  /**
   * Fetches a snapshot and applies it, holding back events that arrive in the
   * meantime; they are replayed on top afterwards.
   */
  async take<T>(fetch: () => Promise<T>, applySnapshot: (value: T) => void): Promise<T> {
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
        for (const event of queued) this.#apply(event);
      }
    }
  }

  /** Forgets held events that carry content (the app locked or signed out: nothing of it is kept). */
  dropContent(): void {
    this.#queued = this.#queued.filter((e) => !CONTENT_EVENTS.has(e.type));
  }
}
