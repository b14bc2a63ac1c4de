import type { ChatMessage } from "./ChatMessage";
import type { ChatSummary } from "./ChatSummary";
import type { ConnectionState } from "./ConnectionState";

export type CoreEvent = { "type": "message_added", message: ChatMessage, } | { "type": "message_updated", message: ChatMessage, } | { "type": "chat_updated", chat: ChatSummary, } | { "type": "connection_changed", state: ConnectionState, };
