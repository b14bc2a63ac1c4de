export type MessageState = "pending" | "sent" | "failed";
