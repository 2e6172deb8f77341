-- pg-broadcaster: the journal table (pg.broadcaster.journal.enabled=true).
--
-- One row per change: the id, the writing transaction (an xid8, which never wraps), the channel, the payload and
-- the time it was written. Listeners read it after a gap to replay what they missed; the index on xid serves those
-- reads and, unique with the channel and a hash of the payload, folds what one transaction writes twice, as NOTIFY
-- does; the one on created_at serves the deletion of old rows (pg.broadcaster.journal.retention).
--
-- pg_broadcaster_journal_write(channel, payload) is the table's writer: it adds a row and rings the table's
-- doorbell, a notification on the channel pg_broadcaster_journal_<oid of the table>, sent at commit like any NOTIFY,
-- that tells listeners the row's id, its transaction and its channel, and carries the payload when all of it fits
-- in NOTIFY's 7,999 bytes (listeners read the row otherwise). It returns the row's id. Like NOTIFY, it writes a
-- (channel, payload) pair once per transaction: writing it again returns the first row's id. Its statements name
-- the table, so PostgreSQL plans them once per session, not on every call.
--
-- The starter creates it when pg.broadcaster.journal.initialize-schema=always (the default), with the table's name
-- in place of pg_broadcaster_journal (a table "events" is written by events_write). With never, run this script,
-- and journal_functions.sql, from your migrations (Flyway, Liquibase). It is written for the default name,
-- pg_broadcaster_journal, in the schema first on the search path; safe to run again.

CREATE TABLE IF NOT EXISTS pg_broadcaster_journal (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    channel text NOT NULL,
    payload text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE UNIQUE INDEX IF NOT EXISTS pg_broadcaster_journal_xid ON pg_broadcaster_journal (xid, channel, md5(payload));

CREATE INDEX IF NOT EXISTS pg_broadcaster_journal_created_at ON pg_broadcaster_journal (created_at);

CREATE OR REPLACE FUNCTION pg_broadcaster_journal_write(channel text, payload text) RETURNS bigint
LANGUAGE plpgsql
AS $function$
DECLARE
    row_id bigint;
    writer xid8;
    journal oid;
    bell text;
BEGIN
    IF channel IS NULL OR payload IS NULL THEN
        RAISE EXCEPTION 'pg_broadcaster_journal_write() needs a channel and a payload (an empty one will do), got NULL';
    END IF;
    INSERT INTO pg_broadcaster_journal AS j (channel, payload) VALUES (channel, payload)
        ON CONFLICT DO NOTHING
        RETURNING j.id, j.xid, j.tableoid INTO row_id, writer, journal;
    IF row_id IS NULL THEN
        -- This transaction wrote the pair already; its doorbell rings at commit.
        SELECT j.id INTO row_id FROM pg_broadcaster_journal j
            WHERE j.xid = pg_current_xact_id() AND j.channel = $1 AND md5(j.payload) = md5($2);
        RETURN row_id;
    END IF;
    -- <id>/<transaction>/<length of the channel in characters>/<channel>, then the payload when it fits.
    bell := row_id || '/' || writer || '/' || length(channel) || '/' || channel;
    IF octet_length(bell) + octet_length(payload) < 7999 THEN
        PERFORM pg_notify('pg_broadcaster_journal_' || journal, 'P' || bell || payload);
    ELSE
        PERFORM pg_notify('pg_broadcaster_journal_' || journal, 'R' || bell);
    END IF;
    RETURN row_id;
END;
$function$;
