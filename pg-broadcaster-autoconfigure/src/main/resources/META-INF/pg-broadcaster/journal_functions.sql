-- pg-broadcaster: the functions that write to the journal (pg.broadcaster.journal.enabled=true).
--
-- pg_broadcaster_journal_send(journal, channel, payload) writes one row to the journal table and rings its
-- doorbell: a notification on the channel pg_broadcaster_journal_<oid of the table>, sent at commit like any
-- NOTIFY, that tells listeners the row's id, its transaction and its channel, and carries the payload when all of
-- it fits in NOTIFY's 7,999 bytes (listeners read the row otherwise). It returns the row's id. Like NOTIFY, it
-- writes a (channel, payload) pair once per transaction: sending it again returns the first row's id.
--
-- pg_broadcaster_journal_notify() is the journal's version of pg_broadcaster_notify(): attach it as a
-- statement-level trigger, naming the channel as its first argument and, optionally, the journal table as its
-- second (by default pg_broadcaster_journal, found on the search path):
--
--   CREATE TRIGGER orders_broadcast
--       AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON orders
--       FOR EACH STATEMENT EXECUTE FUNCTION pg_broadcaster_journal_notify('backend.table_change');
--
-- Each statement writes {"schema": ..., "table": ..., "action": ...} to the journal for that channel.
--
-- Safe to run again: it replaces the functions in place.

CREATE OR REPLACE FUNCTION pg_broadcaster_journal_send(journal regclass, channel text, payload text) RETURNS bigint
LANGUAGE plpgsql
AS $function$
DECLARE
    writer xid8 := pg_current_xact_id();
    row_id bigint;
    bell text;
BEGIN
    IF channel IS NULL OR payload IS NULL THEN
        RAISE EXCEPTION 'pg_broadcaster_journal_send() needs a channel and a payload (an empty one will do), got NULL';
    END IF;
    EXECUTE format('SELECT id FROM %s WHERE xid = $1 AND channel = $2 AND md5(payload) = md5($3) AND payload = $3 LIMIT 1', journal)
        INTO row_id USING writer, channel, payload;
    IF row_id IS NOT NULL THEN
        RETURN row_id;
    END IF;
    EXECUTE format('INSERT INTO %s (xid, channel, payload) VALUES ($1, $2, $3) RETURNING id', journal)
        INTO row_id USING writer, channel, payload;
    -- <id>/<transaction>/<length of the channel in characters>/<channel>, then the payload when it fits.
    bell := row_id || '/' || writer || '/' || length(channel) || '/' || channel;
    IF octet_length(bell) + octet_length(payload) < 7999 THEN
        PERFORM pg_notify('pg_broadcaster_journal_' || journal::oid, 'P' || bell || payload);
    ELSE
        PERFORM pg_notify('pg_broadcaster_journal_' || journal::oid, 'R' || bell);
    END IF;
    RETURN row_id;
END;
$function$;

CREATE OR REPLACE FUNCTION pg_broadcaster_journal_notify() RETURNS trigger
LANGUAGE plpgsql
AS $function$
BEGIN
    IF TG_NARGS NOT IN (1, 2) THEN
        RAISE EXCEPTION 'pg_broadcaster_journal_notify() takes the channel name and, optionally, the journal table as its trigger arguments, got % arguments on %.%',
            TG_NARGS, TG_TABLE_SCHEMA, TG_TABLE_NAME;
    END IF;
    IF TG_LEVEL <> 'STATEMENT' THEN
        RAISE EXCEPTION 'pg_broadcaster_journal_notify() must be attached FOR EACH STATEMENT (on %.%)', TG_TABLE_SCHEMA, TG_TABLE_NAME;
    END IF;
    PERFORM pg_broadcaster_journal_send(
        (CASE WHEN TG_NARGS = 2 THEN TG_ARGV[1] ELSE 'pg_broadcaster_journal' END)::regclass,
        TG_ARGV[0],
        json_build_object('schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME, 'action', TG_OP)::text);
    RETURN NULL;
END;
$function$;
