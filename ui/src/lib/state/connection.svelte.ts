// The connection as the core reports it: its state and since when, the outage it may be in, the
// backend's services, and a catch-up under way after reconnecting.
import * as backend from "../backend";
import type { ConnectionState } from "../bindings/ConnectionState";
import type { ServiceHealth } from "../bindings/ServiceHealth";

/** A connected `ConnectionState`. */
export type Connected = Extract<ConnectionState, { state: "connected" }>;

/** A period without a connection (waiting or connecting), from its start until connected again. */
export type Outage = {
  /** Date.now() when the connection was lost. */
  since: number;
  /** How the connection was just before (to keep describing it during a short blip). */
  before: Connected | null;
  /** An ordinary wait (not a session renewal) happened during this outage. */
  waited: boolean;
};

/** A catch-up after reconnecting that is still under way ("Updating… 3,200 of 10,000"). */
export type SyncProgress = {
  done: number;
  total: number;
  /** Date.now() when this catch-up was first reported (the banner waits before mentioning it). */
  since: number;
};

/** Nothing known yet: what the UI assumes before the core lists the backend's services. */
export function unknownServices(): ServiceHealth {
  return [];
}

/**
 * True for the wait while the core renews the session's token (the account is
 * still signed in; the sign-in service has to answer first).
 */
export function isRenewingSession(state: ConnectionState): boolean {
  return state.state === "waiting" && state.why.includes("renewing the session");
}

export class Connection {
  state = $state<ConnectionState>({ state: "signed_out" });
  /** Date.now() when `state` last changed (for the retry countdown). */
  since = $state(0);
  /** The current period without a connection, or null while connected or signed out. */
  outage = $state<Outage | null>(null);
  /** Which backend services are up, down or degraded. */
  services = $state<ServiceHealth>(unknownServices());
  /** A catch-up in progress, or null when there is none (or it has finished). */
  sync = $state<SyncProgress | null>(null);

  /** The connection changed (a snapshot or `connection_changed`). */
  set(state: ConnectionState): void {
    const previous = this.state;
    this.state = state;
    this.since = Date.now();
    // A catch-up runs while connected; losing the connection ends it (the next one reports anew).
    if (state.state !== "connected") this.sync = null;
    if (state.state !== "waiting" && state.state !== "connecting") {
      this.outage = null;
      return;
    }
    if (!this.outage) {
      this.outage = {
        since: this.since,
        before: previous.state === "connected" ? previous : null,
        waited: false,
      };
    }
    if (state.state === "waiting" && !isRenewingSession(state)) this.outage.waited = true;
  }

  /** `sync_progress`: a catch-up went on, or ended. */
  progress(done: number, total: number): void {
    if (total <= 0 || done >= total) this.sync = null;
    else this.sync = { done, total, since: this.sync?.since ?? Date.now() };
  }

  /** Signed out: no outage, nothing known about the services, no catch-up. */
  reset(): void {
    this.outage = null;
    this.services = unknownServices();
    this.sync = null;
  }

  /**
   * Asks the core to stop waiting and connect now. Failures are not shown:
   * the connection state that follows says how it went.
   */
  async reconnectNow(): Promise<void> {
    try {
      await backend.reconnectNow();
    } catch {
      /* the banner keeps showing the current state */
    }
  }
}
