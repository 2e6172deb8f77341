-- pg-broadcaster: the trigger function that announces table changes.
--
-- Attach it as a statement-level trigger, naming the channel as the trigger's argument:
--
--   CREATE TRIGGER orders_broadcast
--       AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON orders
--       FOR EACH STATEMENT EXECUTE FUNCTION pg_broadcaster_notify('backend.table_change');
--
-- Each statement sends {"schema": ..., "table": ..., "action": ...} on that channel when its transaction
-- commits. PostgreSQL folds identical notifications of one transaction into one, so a transaction that
-- inserts into a table a thousand times sends one INSERT notification for it. Nothing is suppressed across
-- transactions: two transactions that change the same table at the same time each send their own.
--
-- On a logical replication subscriber, whose apply worker runs with session_replication_role = replica,
-- statement-level triggers on INSERT, UPDATE and DELETE never fire, and other triggers only when enabled ALWAYS.
-- There, attach it row by row for those three (TRUNCATE has no row-level triggers, and its statement-level ones do
-- fire), both enabled ALWAYS:
--
--   CREATE TRIGGER orders_broadcast
--       AFTER INSERT OR UPDATE OR DELETE ON orders
--       FOR EACH ROW EXECUTE FUNCTION pg_broadcaster_notify('backend.table_change');
--   ALTER TABLE orders ENABLE ALWAYS TRIGGER orders_broadcast;
--   CREATE TRIGGER orders_broadcast_truncate
--       AFTER TRUNCATE ON orders
--       FOR EACH STATEMENT EXECUTE FUNCTION pg_broadcaster_notify('backend.table_change');
--   ALTER TABLE orders ENABLE ALWAYS TRIGGER orders_broadcast_truncate;
--
-- The payload is the same (the row's values are not in it); each row calls pg_notify(), and the folding of
-- identical notifications makes a statement, or a transaction, that changes a thousand rows send one notification
-- per action all the same. Those calls cost time in the writing (or applying) transaction.
--
-- Safe to run again: it replaces the function in place.

CREATE OR REPLACE FUNCTION pg_broadcaster_notify() RETURNS trigger
LANGUAGE plpgsql
AS $function$
BEGIN
    IF TG_NARGS <> 1 THEN
        RAISE EXCEPTION 'pg_broadcaster_notify() takes the channel name as its one trigger argument, got % arguments on %.%',
            TG_NARGS, TG_TABLE_SCHEMA, TG_TABLE_NAME;
    END IF;
    IF TG_WHEN <> 'AFTER' THEN
        RAISE EXCEPTION 'pg_broadcaster_notify() must be attached AFTER the change (on %.%)', TG_TABLE_SCHEMA, TG_TABLE_NAME;
    END IF;
    PERFORM pg_notify(TG_ARGV[0], json_build_object('schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME, 'action', TG_OP)::text);
    RETURN NULL;
END;
$function$;
