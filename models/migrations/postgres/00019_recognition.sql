-- +goose Up
-- Recognition (models/recognition.go): public thank-yous with points.
-- One settings row per merchant, written by the owner (audited).
CREATE TABLE recognition_settings (
    id                     BIGSERIAL PRIMARY KEY,
    merchant_id            BIGINT      NOT NULL REFERENCES merchants (id) UNIQUE,
    enabled                BOOLEAN     NOT NULL DEFAULT FALSE,
    recognition_values     TEXT        NOT NULL DEFAULT '',
    value_required         BOOLEAN     NOT NULL DEFAULT FALSE,
    min_message_length     BIGINT      NOT NULL DEFAULT 0 CHECK (min_message_length >= 0 AND min_message_length <= 500),
    refused_words          TEXT        NOT NULL DEFAULT '',
    owner_role             TEXT        NOT NULL DEFAULT 'both' CHECK (owner_role IN ('both', 'giver', 'receiver', 'observer')),
    manager_role           TEXT        NOT NULL DEFAULT 'both' CHECK (manager_role IN ('both', 'giver', 'receiver', 'observer')),
    staff_role             TEXT        NOT NULL DEFAULT 'both' CHECK (staff_role IN ('both', 'giver', 'receiver', 'observer')),
    member_givers          TEXT        NOT NULL DEFAULT 'none' CHECK (member_givers IN ('none', 'all', 'tiers', 'tag')),
    member_giver_tiers     TEXT        NOT NULL DEFAULT '',
    member_giver_tag       TEXT        NOT NULL DEFAULT '',
    member_receivers       TEXT        NOT NULL DEFAULT 'none' CHECK (member_receivers IN ('none', 'all', 'tiers', 'tag')),
    member_receiver_tiers  TEXT        NOT NULL DEFAULT '',
    member_receiver_tag    TEXT        NOT NULL DEFAULT '',
    monthly_allowance      BIGINT      NOT NULL DEFAULT 0 CHECK (monthly_allowance >= 0),
    max_per_recognition    BIGINT      NOT NULL DEFAULT 0 CHECK (max_per_recognition >= 0),
    max_per_pair           BIGINT      NOT NULL DEFAULT 0 CHECK (max_per_pair >= 0),
    program_id             BIGINT,
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL
);

-- A person's own setting, over their role's default.
CREATE TABLE recognition_overrides (
    id             BIGSERIAL PRIMARY KEY,
    merchant_id    BIGINT      NOT NULL REFERENCES merchants (id),
    user_id        BIGINT      NOT NULL REFERENCES users (id),
    participation  TEXT        NOT NULL CHECK (participation IN ('both', 'giver', 'receiver', 'observer')),
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (merchant_id, user_id)
);

-- What each giver gave in one local month (the merchant's zone): the row
-- every give locks, so concurrent gives never pass the allowance.
CREATE TABLE recognition_allowances (
    id           BIGSERIAL PRIMARY KEY,
    merchant_id  BIGINT      NOT NULL REFERENCES merchants (id),
    giver        TEXT        NOT NULL,
    month        TEXT        NOT NULL,
    used         BIGINT      NOT NULL DEFAULT 0 CHECK (used >= 0),
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (merchant_id, giver, month)
);

CREATE TABLE recognitions (
    id                  BIGSERIAL PRIMARY KEY,
    merchant_id         BIGINT      NOT NULL REFERENCES merchants (id),
    giver_user_id       BIGINT,
    giver_member_id     BIGINT,
    receiver_user_id    BIGINT,
    receiver_member_id  BIGINT,
    giver_name          TEXT        NOT NULL,
    receiver_name       TEXT        NOT NULL,
    points              BIGINT      NOT NULL CHECK (points >= 0),
    value               TEXT        NOT NULL DEFAULT '',
    message             TEXT        NOT NULL,
    month               TEXT        NOT NULL,
    program_id          BIGINT,
    idempotency_key     TEXT        NOT NULL,
    hidden_at           TIMESTAMPTZ,
    hidden_by           TEXT        NOT NULL DEFAULT '',
    hide_reason         TEXT        NOT NULL DEFAULT '',
    created_at          TIMESTAMPTZ NOT NULL,
    UNIQUE (merchant_id, idempotency_key),
    CHECK ((giver_user_id IS NULL) <> (giver_member_id IS NULL)),
    CHECK ((receiver_user_id IS NULL) <> (receiver_member_id IS NULL))
);
CREATE INDEX recognitions_feed_idx ON recognitions (merchant_id, id);
CREATE INDEX recognitions_month_idx ON recognitions (merchant_id, month);

-- Staff kudos: the balance of points given to users, kept as a ledger of
-- its own under the same rules as accounts and ledger_entries.
CREATE TABLE kudos_accounts (
    id           BIGSERIAL PRIMARY KEY,
    merchant_id  BIGINT      NOT NULL REFERENCES merchants (id),
    user_id      BIGINT      NOT NULL REFERENCES users (id),
    balance      BIGINT      NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (merchant_id, user_id),
    UNIQUE (merchant_id, id)
);

CREATE TABLE kudos_entries (
    id               BIGSERIAL PRIMARY KEY,
    merchant_id      BIGINT      NOT NULL,
    account_id       BIGINT      NOT NULL,
    user_id          BIGINT      NOT NULL,
    recognition_id   BIGINT      NOT NULL,
    amount           BIGINT      NOT NULL CHECK (amount <> 0),
    balance_after    BIGINT      NOT NULL,
    actor_name       TEXT        NOT NULL,
    reason           TEXT        NOT NULL DEFAULT '',
    corrects_id      BIGINT,
    idempotency_key  TEXT        NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (merchant_id, account_id) REFERENCES kudos_accounts (merchant_id, id)
);
CREATE UNIQUE INDEX kudos_entries_key ON kudos_entries (merchant_id, idempotency_key);
CREATE INDEX kudos_entries_account_idx ON kudos_entries (account_id, id);

-- +goose StatementBegin
CREATE FUNCTION kudos_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'kudos_entries is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER kudos_entries_no_update BEFORE UPDATE OR DELETE ON kudos_entries
    FOR EACH ROW EXECUTE FUNCTION kudos_entries_append_only();

-- +goose Down
DROP TABLE kudos_entries;
DROP FUNCTION kudos_entries_append_only();
DROP TABLE kudos_accounts;
DROP TABLE recognitions;
DROP TABLE recognition_allowances;
DROP TABLE recognition_overrides;
DROP TABLE recognition_settings;
