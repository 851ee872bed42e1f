-- +goose Up
-- A refund of a purchase. Its idempotency key is claimed before anything
-- moves, so a retried refund is refused even when it clawed nothing back
-- (an anonymous sale, a purchase below the minimum) and left no entry in
-- the ledger to hold the key.
CREATE TABLE refunds (
    id               INTEGER PRIMARY KEY,
    merchant_id      INTEGER     NOT NULL,
    purchase_id      INTEGER     NOT NULL,
    amount_minor     INTEGER     NOT NULL CHECK (amount_minor > 0),
    clawed_back      INTEGER     NOT NULL DEFAULT 0 CHECK (clawed_back >= 0),
    idempotency_key  TEXT        NOT NULL,
    actor_name       TEXT        NOT NULL,
    created_at       DATETIME    NOT NULL,
    FOREIGN KEY (merchant_id, purchase_id) REFERENCES purchases (merchant_id, id)
);
CREATE UNIQUE INDEX refunds_key ON refunds (merchant_id, idempotency_key);
CREATE INDEX refunds_purchase_idx ON refunds (merchant_id, purchase_id, id);

-- +goose Down
DROP TABLE refunds;
