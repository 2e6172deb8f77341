CREATE TABLE IF NOT EXISTS orders (
    id       bigserial PRIMARY KEY,
    item     text NOT NULL,
    quantity int  NOT NULL
);

-- Statement-level: one notification per statement however many rows it touches, and PostgreSQL folds the
-- identical ones of a transaction. The channel must match pg.broadcaster.channel in application.yml.
-- Dropped first so that a restart against the same server does not fail.
DROP TRIGGER IF EXISTS orders_broadcast ON orders;
CREATE TRIGGER orders_broadcast
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON orders
    FOR EACH STATEMENT EXECUTE FUNCTION pg_broadcaster_notify('backend.table_change');
