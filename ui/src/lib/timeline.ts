// The connection timeline the tester panel shows beside its levers: what the
// core reported (connection, services, catch-up, gaps) and what the tester did,
// each in one line of words. No state here; the store keeps the entries.
import type { ConnectionState } from "./bindings/ConnectionState";
import type { Service } from "./bindings/Service";
import type { ServiceHealth } from "./bindings/ServiceHealth";

/** What an entry is about (the panel marks each kind with its own colour). */
export type TimelineKind = "connection" | "services" | "sync" | "gap" | "tester";

export type TimelineEntry = {
  /** Unique and increasing (the list's key). */
  id: number;
  /** Date.now() when it happened (for a catch-up: when it was last reported). */
  at: number;
  kind: TimelineKind;
  text: string;
  /** For a connection entry: the state it reports. */
  state?: ConnectionState["state"];
};

/** The timeline keeps this many entries, dropping the oldest. */
export const TIMELINE_MAX = 200;

const SERVICE_NAMES: Record<Service, string> = {
  gateway: "Gateway",
  api: "API",
  auth: "Auth",
  media: "Media",
  discovery: "Discovery",
};

function where(endpoint: string | null, region: string | null): string {
  if (endpoint === null) return region === null ? "" : ` (region ${region})`;
  return region === null ? ` ${endpoint}` : ` ${endpoint} (region ${region})`;
}

/** "Connected to ws://… (region a) over the gateway", "Waiting 4 s: gw-a1 refused", … */
export function describeConnection(state: ConnectionState): string {
  switch (state.state) {
    case "signed_out":
      return "Signed out";
    case "connecting":
      return `Connecting to${where(state.endpoint, state.region)} over ${transportName(state.transport)}: ${state.why}`;
    case "connected": {
      const backup = state.preferred_region ? "" : ", a backup region";
      return `Connected to${where(state.endpoint, state.region)} over ${transportName(state.transport)}${backup}`;
    }
    case "waiting": {
      const seconds = Math.max(0, Math.round(state.retry_in_ms / 1000));
      const last = state.endpoint === null && state.region === null ? "" : `, last tried${where(state.endpoint, state.region)}`;
      return `Waiting ${seconds} s before trying again${last}: ${state.why}`;
    }
  }
}

function transportName(transport: "gateway" | "rest"): string {
  return transport === "rest" ? "REST (limited)" : "the gateway";
}

/** One line per service whose state changed between `before` and `after`: "Media down: 503". */
export function serviceChanges(before: ServiceHealth, after: ServiceHealth): string[] {
  const lines: string[] = [];
  for (const service of Object.keys(SERVICE_NAMES) as Service[]) {
    const was = before[service];
    const now = after[service];
    if (!now || was?.state === now.state) continue;
    lines.push(`${SERVICE_NAMES[service]} ${now.state}${now.detail ? `: ${now.detail}` : ""}`);
  }
  return lines;
}

const counts = new Intl.NumberFormat("en-GB");

/** A catch-up's progress: "Catching up: 3,200 of 10,000 events", or done. */
export function describeSync(done: number, total: number): string {
  if (total <= 0 || done >= total) return `Caught up (${counts.format(Math.max(done, total))} events)`;
  return `Catching up: ${counts.format(done)} of ${counts.format(total)} events`;
}

/** The core skipped events: "History gap: events 120 to 169 skipped". */
export function describeGap(afterSeq: number, resumesAtSeq: number): string {
  const first = afterSeq + 1;
  const last = resumesAtSeq - 1;
  if (last <= first) return `History gap after event ${afterSeq}; the open chat is read again`;
  return `History gap: events ${counts.format(first)} to ${counts.format(last)} skipped; the open chat is read again`;
}
