import type { MessageState } from "./MessageState";

export type ChatMessage = { client_msg_id: string | null, msg_id: string | null, chat_id: string, sender_id: string, sender_name: string, body: string, sent_at_ms: number, seq: number | null, state: MessageState, failure: string | null, own: boolean, };
