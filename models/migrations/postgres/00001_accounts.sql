-- +goose Up
CREATE TABLE merchants (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT        NOT NULL,
    currency    CHAR(3)     NOT NULL,
    time_zone   TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id             BIGSERIAL PRIMARY KEY,
    merchant_id    BIGINT      NOT NULL REFERENCES merchants (id),
    name           TEXT        NOT NULL,
    email          TEXT        NOT NULL,
    role           TEXT        NOT NULL CHECK (role IN ('owner', 'manager', 'staff')),
    password_hash  TEXT        NOT NULL DEFAULT '',
    active         BOOLEAN     NOT NULL DEFAULT TRUE,
    session_epoch  BIGINT      NOT NULL DEFAULT 1,
    last_login_at  TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
-- A person signs in with their email alone, so it is unique across merchants.
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_merchant_name_idx ON users (merchant_id, name);

CREATE TABLE password_tokens (
    id           BIGSERIAL PRIMARY KEY,
    merchant_id  BIGINT      NOT NULL REFERENCES merchants (id),
    user_id      BIGINT      NOT NULL REFERENCES users (id),
    token_hash   TEXT        NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    used_at      TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX password_tokens_hash_key ON password_tokens (token_hash);
CREATE INDEX password_tokens_user_idx ON password_tokens (merchant_id, user_id);

-- +goose Down
DROP TABLE password_tokens;
DROP TABLE users;
DROP TABLE merchants;
