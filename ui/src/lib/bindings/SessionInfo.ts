import type { Profile } from "./Profile";
import type { ConnectionState } from "./ConnectionState";

export type SessionInfo = { user: Profile, server: string, connection: ConnectionState, };
