// Who is signed in, and where the app is: starting, on the sign-in screen, running, or unable to
// start. The connection and the services have their own module; the store fills both from the
// same session snapshot.
import * as backend from "../backend";
import type { SessionInfo } from "../bindings/SessionInfo";
import type { SignInHint } from "../bindings/SignInHint";

export const DEFAULT_SERVER = "http://127.0.0.1:7710";

/** Where the app is: starting up, needing a sign-in, running, or unable to start. */
export type Phase = "starting" | "signed_out" | "ready" | "failed";

export class Session {
  phase = $state<Phase>("starting");
  startError = $state<string | null>(null);
  /** The session, or null when nobody is signed in. */
  info = $state<SessionInfo | null>(null);
  /** Server address to prefill on the sign-in screen. */
  lastServer = $state(DEFAULT_SERVER);
  /** Why the server wants a fresh sign-in, or null. The chats stay readable meanwhile. */
  signInRequired = $state<string | null>(null);
  /** What the sign-in screen prefills, and a notice to show above it. */
  signInHint = $state<SignInHint | null>(null);
  /** The user closed the "sign-in won't be kept" notice for this session. */
  rememberNoticeDismissed = $state(false);

  /** A session was read or signed in to. */
  set(info: SessionInfo): void {
    this.info = info;
    this.lastServer = info.server;
    this.signInRequired = null;
  }

  /** The session is gone: the sign-in screen shows, with `notice` above the form (or the hint's). */
  signedOut(notice: string | null): void {
    if (this.info) this.lastServer = this.info.server;
    this.info = null;
    this.signInRequired = null;
    this.rememberNoticeDismissed = false;
    this.signInHint = notice === null ? null : { server: null, username: null, notice };
    this.phase = "signed_out";
    void this.loadHint(notice);
  }

  /**
   * Signs out here and on the server; resolves with the notice to show on the sign-in screen. A
   * `keyring_error` (signed out, but the kept sign-in could not be forgotten) is that notice; any
   * other error rejects (the settings panel shows it).
   */
  async signOutOnServer(): Promise<string | null> {
    try {
      await backend.signOut();
      return null;
    } catch (error) {
      const e = backend.toIpcError(error);
      if (e.code !== "keyring_error") throw e;
      return e.message;
    }
  }

  /** Reads what the sign-in screen can prefill; `notice` (if any) is shown instead of the hint's. */
  async loadHint(notice: string | null = null): Promise<void> {
    try {
      const hint = await backend.signInHint();
      if (this.phase !== "signed_out" && this.phase !== "starting") return;
      this.signInHint = { ...hint, notice: notice ?? hint.notice };
      if (hint.server) this.lastServer = hint.server;
    } catch {
      /* nothing to prefill */
    }
  }
}
