// A user action that runs once at a time (a second click while it runs does nothing) and keeps
// the words for its last failure, shown next to the control that started it.
import { toIpcError } from "./backend";

export class BusyAction {
  running = $state(false);
  error = $state<string | null>(null);

  /** Runs `action` unless it is running already; a failure's message goes through `failure`. */
  async run(action: () => Promise<unknown>, failure: (message: string) => string): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.error = null;
    try {
      await action();
    } catch (e) {
      this.error = failure(toIpcError(e).message);
    } finally {
      this.running = false;
    }
  }

  /** Forgets the last failure (e.g. another chat is shown). */
  clear(): void {
    this.error = null;
  }
}
