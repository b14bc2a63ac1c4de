// Mock mode only: the tester panel's levers on the embedded mock backend (faults, scenarios),
// and the connection timeline beside them, recorded from start-up on.
import * as backend from "../backend";
import type { ConnectionState } from "../bindings/ConnectionState";
import type { CoreEvent } from "../bindings/CoreEvent";
import type { ServiceHealth } from "../bindings/ServiceHealth";
import type { SessionInfo } from "../bindings/SessionInfo";
import type { TesterStatus } from "../bindings/TesterStatus";
import { i18n } from "../locale.svelte";
import {
  TIMELINE_MAX,
  describeConnection,
  describeGap,
  describeSync,
  serviceChanges,
  type TimelineEntry,
  type TimelineKind,
} from "../timeline";
import { unknownServices } from "./connection.svelte";

export class Tester {
  /** The embedded mock backend's levers (mock mode only; null: not running with it). */
  status = $state<TesterStatus | null>(null);
  /** The tester panel is open. */
  open = $state(false);
  /** What happened to the connection, newest first, from start-up on (the tester panel shows it). */
  timeline = $state<TimelineEntry[]>([]);
  /** tester_status was asked (once per run: the answer does not change). */
  #checked = false;
  #timelineId = 0;
  /** The timeline entry of the catch-up under way (updated in place), or null. */
  #syncEntry: number | null = null;
  /** The services as the timeline last described them (it notes only changes). */
  #services: ServiceHealth = unknownServices();

  /** Asks once whether the app runs with the embedded mock backend; only then is there a tester panel. */
  async check(): Promise<void> {
    if (this.#checked) return;
    this.#checked = true;
    try {
      this.status = await backend.testerStatus();
    } catch {
      /* not mock mode: no tester panel */
    }
  }

  /** Reads the tester status again (a scenario moves the faults); failures keep what is shown. */
  async refresh(): Promise<void> {
    if (this.status === null) return;
    try {
      this.status = await backend.testerStatus();
    } catch {
      /* shown as it was; the next refresh tries again */
    }
  }

  /** Sets a fault ("gw-a1" → "blackhole"); rejects with an `IpcError` (the panel shows it). */
  async setFault(target: string, fault: string): Promise<void> {
    this.status = await backend.testerSetFault(target, fault);
    this.#note("tester", () => i18n.t.tl.youSet(target, fault));
  }

  /** Plays a shipped scenario; rejects with an `IpcError`. */
  async play(name: string, timeScale: number): Promise<void> {
    this.status = await backend.testerPlay(name, timeScale);
    this.#note("tester", () => i18n.t.tl.youPlayed(name, timeScale));
  }

  /** Stops the scenario playing; rejects with an `IpcError`. */
  async stop(): Promise<void> {
    const playing = this.status?.playing ?? null;
    this.status = await backend.testerStop();
    this.#note("tester", () => i18n.t.tl.youStopped(playing));
  }

  /** A session was read or signed in to: the timeline says how it is connected. */
  sessionStarted(info: SessionInfo): void {
    this.#services = info.services;
    const connection = info.connection;
    this.#note("connection", () => i18n.t.tl.session(describeConnection(connection)), connection.state);
  }

  /** Notes what a core event says about the connection (as it arrives, even while locked or loading). */
  record(event: CoreEvent): void {
    switch (event.type) {
      case "connection_changed":
        this.#note("connection", () => describeConnection(event.state), event.state.state);
        break;
      case "services_changed":
        for (const line of serviceChanges(this.#services, event.services)) this.#note("services", line);
        this.#services = event.services;
        break;
      case "sync_progress": {
        // One line per catch-up, counting up, rather than hundreds.
        const { done, total } = event;
        const text = () => describeSync(done, total);
        const finished = event.total <= 0 || event.done >= event.total;
        const top = this.timeline[0];
        if (top !== undefined && top.id === this.#syncEntry) this.timeline[0] = { ...top, at: Date.now(), text };
        else if (finished && event.total <= 0) break; // nothing was missed: not worth a line
        else this.#note("sync", text);
        this.#syncEntry = finished ? null : this.timeline[0].id;
        break;
      }
      case "history_gap":
        this.#note("gap", () => describeGap(event.after_seq, event.resumes_at_seq));
        break;
    }
  }

  /** Adds an entry at the top of the timeline, dropping the oldest beyond TIMELINE_MAX. */
  #note(kind: TimelineKind, text: () => string, state?: ConnectionState["state"]): void {
    const entry: TimelineEntry = { id: ++this.#timelineId, at: Date.now(), kind, text };
    if (state !== undefined) entry.state = state;
    this.timeline = [entry, ...this.timeline.slice(0, TIMELINE_MAX - 1)];
  }
}
