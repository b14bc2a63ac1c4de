import type { ChatMessage } from "./ChatMessage";

export type ChatSummary = { chat_id: string, title: string, member_names: Array<string>, last_message: ChatMessage | null, unread_count: number, };
