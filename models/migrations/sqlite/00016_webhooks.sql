-- +goose Up
-- Endpoints a merchant's outbound webhooks go to. The secret signs each
-- delivery, so unlike an API key it must be kept as is; a rotated secret
-- keeps signing beside the new one until previous_secret_until.
CREATE TABLE webhook_endpoints (
    id                     INTEGER PRIMARY KEY,
    merchant_id            INTEGER     NOT NULL REFERENCES merchants (id),
    url                    TEXT        NOT NULL,
    events                 BIGINT      NOT NULL CHECK (events > 0),
    secret                 TEXT        NOT NULL,
    previous_secret        TEXT        NOT NULL DEFAULT '',
    previous_secret_until  DATETIME,
    disabled_at            DATETIME,
    created_at             DATETIME    NOT NULL,
    UNIQUE (merchant_id, id)
);
CREATE INDEX webhook_endpoints_merchant_idx ON webhook_endpoints (merchant_id);

-- The outbox: one row per event and subscribed endpoint, written in the
-- transaction of the change itself. next_attempt_at is also the lease: a
-- worker's claim pushes it ahead, so a crashed worker's claim lapses.
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    merchant_id      INTEGER     NOT NULL,
    endpoint_id      INTEGER     NOT NULL,
    message_id       TEXT        NOT NULL,
    event            TEXT        NOT NULL,
    payload          TEXT        NOT NULL,
    status           TEXT        NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at  DATETIME    NOT NULL,
    last_attempt_at  DATETIME,
    response_code    INTEGER     NOT NULL DEFAULT 0,
    last_error       TEXT        NOT NULL DEFAULT '',
    created_at       DATETIME    NOT NULL,
    FOREIGN KEY (merchant_id, endpoint_id) REFERENCES webhook_endpoints (merchant_id, id)
);
-- The worker's claim reads only what is still to deliver.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
-- An endpoint's delivery log, newest first.
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id);
-- The daily sweep deletes by age across merchants.
CREATE INDEX webhook_deliveries_created_idx ON webhook_deliveries (created_at);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
