-- pg-broadcaster: the functions that write to a journal named at the call (pg.broadcaster.journal.enabled=true).
--
-- pg_broadcaster_journal_send(journal, channel, payload) writes one row to the journal table through the table's
-- writer (pg_broadcaster_journal_write for the default table, <table>_write for another, from journal_table.sql)
-- and returns its id. Finding the writer costs a lookup and a planned call each time: applications that know their
-- table call its writer directly, as PgNotifier does.
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
    writer text;
    row_id bigint;
BEGIN
    SELECT format('%I.%I', n.nspname, c.relname || '_write') INTO writer
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = journal;
    IF writer IS NULL THEN
        RAISE EXCEPTION 'pg_broadcaster_journal_send() needs a journal table, got NULL';
    END IF;
    EXECUTE 'SELECT ' || writer || '($1, $2)' INTO row_id USING channel, payload;
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
