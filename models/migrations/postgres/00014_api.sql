-- +goose Up
-- Keys of the JSON API. Only the secret's SHA-256 is stored, so a copy of
-- the table opens nothing; the prefix is what the settings page shows to
-- tell keys apart.
CREATE TABLE api_keys (
    id            BIGSERIAL PRIMARY KEY,
    merchant_id   BIGINT      NOT NULL REFERENCES merchants (id),
    name          TEXT        NOT NULL,
    scope         TEXT        NOT NULL CHECK (scope IN ('read', 'read-write')),
    prefix        TEXT        NOT NULL,
    secret_hash   TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ,
    UNIQUE (merchant_id, id)
);
-- A request names no merchant: its key is found by its hash alone.
CREATE UNIQUE INDEX api_keys_hash_key ON api_keys (secret_hash);

-- The Idempotency-Key of an API request: claimed (running) before the
-- request runs, then holding its answer (done) for retries to replay.
CREATE TABLE idempotency_keys (
    id             BIGSERIAL PRIMARY KEY,
    merchant_id    BIGINT      NOT NULL,
    api_key_id     BIGINT      NOT NULL,
    key            TEXT        NOT NULL,
    request_hash   TEXT        NOT NULL,
    state          TEXT        NOT NULL CHECK (state IN ('running', 'done')),
    status         INTEGER     NOT NULL DEFAULT 0,
    response_body  TEXT        NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (merchant_id, api_key_id) REFERENCES api_keys (merchant_id, id)
);
CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (merchant_id, api_key_id, key);
-- The daily sweep deletes by age across merchants.
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE api_keys;
