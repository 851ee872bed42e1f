-- +goose Up
-- A signed-in session, so logging out ends it on the server: the cookie
-- carries a random token and this row its SHA-256, so a copy of the table
-- opens no session.
CREATE TABLE user_sessions (
    id          TEXT        PRIMARY KEY,
    merchant_id BIGINT      NOT NULL REFERENCES merchants (id),
    user_id     BIGINT      NOT NULL REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);

-- +goose Down
DROP TABLE user_sessions;
