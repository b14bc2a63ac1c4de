//! The database schema, as numbered migrations. `PRAGMA user_version` records how many have run;
//! a database from a newer Outlast (a higher number) is refused, never modified.

/// Each entry moves the schema from version `index` to `index + 1`. Append only.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE chats (
        chat_id          TEXT PRIMARY KEY,
        title            TEXT NOT NULL,
        member_names     TEXT NOT NULL,          -- JSON array of display names
        muted            INTEGER NOT NULL DEFAULT 0,
        pinned           INTEGER NOT NULL DEFAULT 0,
        unread_count     INTEGER NOT NULL DEFAULT 0,
        last_activity_ms INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE messages (
        id            INTEGER PRIMARY KEY,
        msg_id        TEXT UNIQUE,               -- server id; NULL until acknowledged
        client_msg_id TEXT UNIQUE,               -- our idempotency key, for own messages
        chat_id       TEXT NOT NULL REFERENCES chats(chat_id) ON DELETE CASCADE,
        sender_id     TEXT NOT NULL,
        sender_name   TEXT NOT NULL,
        body          TEXT NOT NULL,
        sent_at_ms    INTEGER NOT NULL,
        seq           INTEGER,
        state         TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
        failure       TEXT,
        own           INTEGER NOT NULL
    );
    CREATE INDEX messages_by_chat ON messages (chat_id, sent_at_ms, id);
    -- Full-text index over message bodies only (names, titles and ids are not indexed).
    -- Prefix indexes for 1-3 characters: a Korean word is often two syllables, and search runs
    -- as you type.
    CREATE VIRTUAL TABLE messages_fts USING fts5 (
        body, content = 'messages', content_rowid = 'id', tokenize = 'unicode61',
        prefix = '1 2 3'
    );
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
        INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
    END;
    CREATE TABLE sync_state (
        key   TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    );
    CREATE TABLE read_watermarks (
        chat_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        msg_id  TEXT NOT NULL,
        PRIMARY KEY (chat_id, user_id)
    );
    CREATE TABLE gaps (
        id             INTEGER PRIMARY KEY,
        after_seq      INTEGER NOT NULL,
        resumes_at_seq INTEGER NOT NULL,
        filled         INTEGER NOT NULL DEFAULT 0
    );
    -- Messages written here and not yet stored by the server, in the order they were written.
    CREATE TABLE outbox (
        position      INTEGER PRIMARY KEY AUTOINCREMENT,
        client_msg_id TEXT NOT NULL UNIQUE,
        chat_id       TEXT NOT NULL,
        body          TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        state         TEXT NOT NULL CHECK (state IN ('pending', 'failed')),
        attempts      INTEGER NOT NULL DEFAULT 0,
        failure       TEXT
    );
    CREATE TABLE attachments (
        media_id      TEXT PRIMARY KEY,
        client_msg_id TEXT,
        name          TEXT NOT NULL,
        size          INTEGER NOT NULL,
        mime          TEXT NOT NULL,
        local_path    TEXT,
        state         TEXT NOT NULL
    );
    "#,
    // 2: the full-text index is filled per batch by the store (one statement per transaction)
    // instead of per row by a trigger: catch-up pages ingest faster.
    r#"
    DROP TRIGGER messages_fts_insert;
    "#,
    // 3: one prefix index (two characters: most Korean words, and where English typing has
    // narrowed enough) instead of three. Other prefix lengths scan the term range, inside the
    // search budget; four index entries per word made catch-up ingest a third slower.
    r#"
    DROP TABLE messages_fts;
    CREATE VIRTUAL TABLE messages_fts USING fts5 (
        body, content = 'messages', content_rowid = 'id', tokenize = 'unicode61', prefix = '2'
    );
    INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
    "#,
    // 4: the client id is unique only where there is one (own messages): messages from others,
    // nearly all of them, no longer each add an index entry for NULL. SQLite cannot change a
    // column constraint, so the table is rebuilt (ids, and so the full-text index, unchanged).
    r#"
    CREATE TABLE messages_v4 (
        id            INTEGER PRIMARY KEY,
        msg_id        TEXT UNIQUE,
        client_msg_id TEXT,
        chat_id       TEXT NOT NULL REFERENCES chats(chat_id) ON DELETE CASCADE,
        sender_id     TEXT NOT NULL,
        sender_name   TEXT NOT NULL,
        body          TEXT NOT NULL,
        sent_at_ms    INTEGER NOT NULL,
        seq           INTEGER,
        state         TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
        failure       TEXT,
        own           INTEGER NOT NULL
    );
    INSERT INTO messages_v4 SELECT id, msg_id, client_msg_id, chat_id, sender_id, sender_name,
        body, sent_at_ms, seq, state, failure, own FROM messages;
    DROP TABLE messages;
    ALTER TABLE messages_v4 RENAME TO messages;
    CREATE UNIQUE INDEX messages_by_client_id ON messages (client_msg_id)
        WHERE client_msg_id IS NOT NULL;
    CREATE INDEX messages_by_chat ON messages (chat_id, sent_at_ms, id);
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
        INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
    END;
    "#,
    // 5: a catch-up stores messages first and indexes them for search just after, off the
    // transactions that carry the cursor (the index is most of an insert's cost). Rows not yet
    // indexed are listed in `fts_pending`; the index triggers leave them alone (an external
    // content table must never be told to delete a row it does not have).
    r#"
    CREATE TABLE fts_pending (id INTEGER PRIMARY KEY);
    DROP TRIGGER messages_fts_delete;
    DROP TRIGGER messages_fts_update;
    -- One trigger, so the marker is looked at before it is removed.
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body)
            SELECT 'delete', old.id, old.body
            WHERE NOT EXISTS (SELECT 1 FROM fts_pending WHERE id = old.id);
        DELETE FROM fts_pending WHERE id = old.id;
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages
    WHEN NOT EXISTS (SELECT 1 FROM fts_pending WHERE id = old.id) BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
        INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
    END;
    "#,
    // 6: read watermarks carry the read message's time (marks only move forward), and the
    // user's own marks wait in `read_outbox` until the server has them: one row per chat, so
    // only the highest is ever sent. (The old watermark table was never written.)
    r#"
    DROP TABLE read_watermarks;
    CREATE TABLE read_watermarks (
        chat_id    TEXT NOT NULL,
        user_id    TEXT NOT NULL,
        msg_id     TEXT NOT NULL,
        sent_at_ms INTEGER NOT NULL,
        PRIMARY KEY (chat_id, user_id)
    );
    CREATE TABLE read_outbox (
        chat_id    TEXT PRIMARY KEY,
        msg_id     TEXT NOT NULL,
        sent_at_ms INTEGER NOT NULL
    );
    "#,
    // 7: history gaps per chat, where scrolling back must ask the server: "messages newer than
    // this one (up to the next one cached) may be missing". The old table, in event sequence
    // numbers, was never written. A chat whose oldest message the server has confirmed is
    // complete: scrolling back past the cache asks nobody.
    r#"
    DROP TABLE gaps;
    CREATE TABLE history_gaps (
        chat_id TEXT NOT NULL REFERENCES chats(chat_id) ON DELETE CASCADE,
        msg_id  TEXT NOT NULL,
        PRIMARY KEY (chat_id, msg_id)
    );
    ALTER TABLE chats ADD COLUMN history_complete INTEGER NOT NULL DEFAULT 0;
    -- Earlier versions kept history pages without noting whether they joined on to the rest:
    -- every message cached so far may have a hole above it, until a page from the server shows
    -- otherwise (a page fills the gaps of the messages it contains).
    INSERT INTO history_gaps (chat_id, msg_id)
        SELECT chat_id, msg_id FROM messages WHERE msg_id IS NOT NULL;
    -- Within one millisecond the server's ids keep its order (local row ids do not: history
    -- pages arrive after newer live messages), so chats read in (time, server id) order.
    DROP INDEX messages_by_chat;
    CREATE INDEX messages_by_chat ON messages (chat_id, sent_at_ms, msg_id);
    "#,
    // 8: attachments. A message's files travel with it as JSON (name, size, type, media id);
    // files written here wait in `outbox_files` (a private copy, so moving or deleting the
    // original cannot lose them) until uploaded. The old table was never written.
    r#"
    DROP TABLE attachments;
    ALTER TABLE messages ADD COLUMN attachments TEXT;
    CREATE TABLE outbox_files (
        client_msg_id TEXT NOT NULL REFERENCES outbox(client_msg_id) ON DELETE CASCADE,
        position      INTEGER NOT NULL,
        local_path    TEXT NOT NULL,
        name          TEXT NOT NULL,
        size          INTEGER NOT NULL,
        mime          TEXT NOT NULL,
        media_id      TEXT,
        PRIMARY KEY (client_msg_id, position)
    );
    -- Each new message asks whether its chat is held; a long offline queue must not make that
    -- a scan of the whole outbox.
    CREATE INDEX outbox_by_chat ON outbox (chat_id, position);
    "#,
    // 9: what the user started typing in each chat, kept across restarts (local only).
    r#"
    CREATE TABLE drafts (
        chat_id    TEXT PRIMARY KEY REFERENCES chats(chat_id) ON DELETE CASCADE,
        body       TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    "#,
    // 10: members by id, so per-message read counts (who has not read it yet) can be shown from
    // the cache; `read_watermarks` already holds how far each member has read.
    r#"
    ALTER TABLE chats ADD COLUMN member_ids TEXT NOT NULL DEFAULT '[]';
    "#,
    // 11: chats the user started that the server has not made yet (the chat itself is in
    // `chats` from the start, so it is listed and can be written in offline). The chat id is the
    // client's choice and the request's idempotency key.
    r#"
    CREATE TABLE chat_outbox (
        chat_id       TEXT PRIMARY KEY,
        title         TEXT NOT NULL,
        member_ids    TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        failure       TEXT
    );
    "#,
    // 12: chat renames the server has not confirmed: one per chat (the newest title wins),
    // under the operation's key, with the title to show again if the server refuses it. The
    // chat's row already shows the new title.
    r#"
    CREATE TABLE rename_outbox (
        chat_id       TEXT PRIMARY KEY,
        op_id         TEXT NOT NULL,
        title         TEXT NOT NULL,
        previous      TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL
    );
    "#,
];

/// The schema version this build writes.
pub(super) fn latest() -> u32 {
    MIGRATIONS.len() as u32
}
