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
-- Safe to run again: it replaces the function in place.

CREATE OR REPLACE FUNCTION pg_broadcaster_notify() RETURNS trigger
LANGUAGE plpgsql
AS $function$
BEGIN
    IF TG_NARGS <> 1 THEN
        RAISE EXCEPTION 'pg_broadcaster_notify() takes the channel name as its one trigger argument, got % arguments on %.%',
            TG_NARGS, TG_TABLE_SCHEMA, TG_TABLE_NAME;
    END IF;
    IF TG_LEVEL <> 'STATEMENT' THEN
        RAISE EXCEPTION 'pg_broadcaster_notify() must be attached FOR EACH STATEMENT (on %.%)', TG_TABLE_SCHEMA, TG_TABLE_NAME;
    END IF;
    PERFORM pg_notify(TG_ARGV[0], json_build_object('schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME, 'action', TG_OP)::text);
    RETURN NULL;
END;
$function$;
