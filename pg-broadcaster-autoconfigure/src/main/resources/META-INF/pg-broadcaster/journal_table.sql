-- pg-broadcaster: the journal table (pg.broadcaster.journal.enabled=true).
--
-- One row per change: the id, the writing transaction (an xid8, which never wraps), the channel, the payload and
-- the time it was written. Listeners read it after a gap to replay what they missed; the index on xid serves those
-- reads and, with the channel and a hash of the payload, the writers' check for a row their transaction already
-- wrote; the one on created_at serves the deletion of old rows (pg.broadcaster.journal.retention).
--
-- The starter creates it when pg.broadcaster.journal.initialize-schema=always (the default). With never, run this
-- script, and journal_functions.sql, from your migrations (Flyway, Liquibase). It is written for the default name,
-- pg_broadcaster_journal, in the schema first on the search path; safe to run again.

CREATE TABLE IF NOT EXISTS pg_broadcaster_journal (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    channel text NOT NULL,
    payload text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX IF NOT EXISTS pg_broadcaster_journal_xid ON pg_broadcaster_journal (xid, channel, md5(payload));

CREATE INDEX IF NOT EXISTS pg_broadcaster_journal_created_at ON pg_broadcaster_journal (created_at);
