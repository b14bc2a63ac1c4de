export type Profile = { user_id: string, display_name: string, };
