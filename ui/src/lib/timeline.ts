// The connection timeline the tester panel shows beside its levers: what the
// core reported (connection, services, catch-up, gaps) and what the tester did,
// each in one line of words. No state here; the store keeps the entries.
import type { ConnectionState } from "./bindings/ConnectionState";
import type { NamedService } from "./bindings/NamedService";
import type { ServiceHealth } from "./bindings/ServiceHealth";
import { formatNumber } from "./format";
import { i18n } from "./locale.svelte";

/** What an entry is about (the panel marks each kind with its own colour). */
export type TimelineKind = "connection" | "services" | "sync" | "gap" | "tester";

export type TimelineEntry = {
  /** Unique and increasing (the list's key). */
  id: number;
  /** Date.now() when it happened (for a catch-up: when it was last reported). */
  at: number;
  kind: TimelineKind;
  /** Its line, in the UI's language at the time it is shown (a change of language rewrites the timeline). */
  text: () => string;
  /** For a connection entry: the state it reports. */
  state?: ConnectionState["state"];
};

/** The timeline keeps this many entries, dropping the oldest. */
export const TIMELINE_MAX = 200;


function where(endpoint: string | null, region: string | null): string {
  const inRegion = region === null ? "" : i18n.t.tl.region(region);
  if (endpoint === null) return inRegion;
  return inRegion === "" ? endpoint : `${endpoint} ${inRegion}`;
}

/** "Connected to ws://… (region a) over the gateway", "Waiting 4 s: gw-a1 refused", … (the whys are the core's). */
export function describeConnection(state: ConnectionState): string {
  const tl = i18n.t.tl;
  switch (state.state) {
    case "signed_out":
      return tl.signedOut;
    case "connecting":
      return tl.connecting(where(state.endpoint, state.region), transportName(state.transport), state.why);
    case "connected":
      return tl.connected(where(state.endpoint, state.region), transportName(state.transport), !state.preferred_region);
    case "waiting": {
      const seconds = Math.max(0, Math.round(state.retry_in_ms / 1000));
      return tl.waiting(seconds, where(state.endpoint, state.region), state.why);
    }
  }
}

function transportName(transport: "gateway" | "rest"): string {
  return transport === "rest" ? i18n.t.tl.viaRest : i18n.t.tl.viaGateway;
}

/** One line per service whose state changed between `before` and `after`: "Media down: 503". */
export function serviceChanges(before: ServiceHealth, after: ServiceHealth): (() => string)[] {
  const lines: (() => string)[] = [];
  for (const service of after) {
    const was = before.find((s) => s.id === service.id);
    if (was?.status.state === service.status.state) continue;
    if (!was && service.status.state === "unknown") continue;
    const { state, detail } = service.status;
    lines.push(() => i18n.t.tl.serviceChanged(serviceName(service), state, detail));
  }
  return lines;
}

/** A service's name: the app's translation for one it knows, else the backend's own. */
function serviceName(service: NamedService): string {
  const known: Record<string, string> = i18n.t.tl.service;
  return known[service.id] ?? service.name;
}

/** A catch-up's progress: "Catching up: 3,200 of 10,000 events", or done. */
export function describeSync(done: number, total: number): string {
  if (total <= 0 || done >= total) return i18n.t.tl.caughtUp(formatNumber(Math.max(done, total)));
  return i18n.t.tl.catchingUp(formatNumber(done), formatNumber(total));
}

/** The core skipped events: "History gap: events 120 to 169 skipped". */
export function describeGap(afterSeq: number, resumesAtSeq: number): string {
  const first = afterSeq + 1;
  const last = resumesAtSeq - 1;
  if (last <= first) return i18n.t.tl.gapAfter(afterSeq);
  return i18n.t.tl.gapSkipped(formatNumber(first), formatNumber(last));
}
