CREATE TABLE IF NOT EXISTS orders (
    id       bigserial PRIMARY KEY,
    item     text    NOT NULL,
    quantity int     NOT NULL,
    shipped  boolean NOT NULL DEFAULT false
);

-- A table created by an earlier version of the sample has no shipped column yet.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS shipped boolean NOT NULL DEFAULT false;
