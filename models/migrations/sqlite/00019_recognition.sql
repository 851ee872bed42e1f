-- +goose Up
-- Recognition (models/recognition.go): public thank-yous with points.
-- One settings row per merchant, written by the owner (audited).
CREATE TABLE recognition_settings (
    id                     INTEGER PRIMARY KEY,
    merchant_id            INTEGER      NOT NULL REFERENCES merchants (id) UNIQUE,
    enabled                BOOLEAN     NOT NULL DEFAULT FALSE,
    recognition_values     TEXT        NOT NULL DEFAULT '',
    value_required         BOOLEAN     NOT NULL DEFAULT FALSE,
    min_message_length     INTEGER      NOT NULL DEFAULT 0 CHECK (min_message_length >= 0 AND min_message_length <= 500),
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
    monthly_allowance      INTEGER      NOT NULL DEFAULT 0 CHECK (monthly_allowance >= 0),
    max_per_recognition    INTEGER      NOT NULL DEFAULT 0 CHECK (max_per_recognition >= 0),
    max_per_pair           INTEGER      NOT NULL DEFAULT 0 CHECK (max_per_pair >= 0),
    program_id             INTEGER,
    created_at             DATETIME NOT NULL,
    updated_at             DATETIME NOT NULL
);

-- A person's own setting, over their role's default.
CREATE TABLE recognition_overrides (
    id             INTEGER PRIMARY KEY,
    merchant_id    INTEGER      NOT NULL REFERENCES merchants (id),
    user_id        INTEGER      NOT NULL REFERENCES users (id),
    participation  TEXT        NOT NULL CHECK (participation IN ('both', 'giver', 'receiver', 'observer')),
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL,
    UNIQUE (merchant_id, user_id)
);

-- What each giver gave in one local month (the merchant's zone): the row
-- every give locks, so concurrent gives never pass the allowance.
CREATE TABLE recognition_allowances (
    id           INTEGER PRIMARY KEY,
    merchant_id  INTEGER      NOT NULL REFERENCES merchants (id),
    giver        TEXT        NOT NULL,
    month        TEXT        NOT NULL,
    used         INTEGER      NOT NULL DEFAULT 0 CHECK (used >= 0),
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    UNIQUE (merchant_id, giver, month)
);

CREATE TABLE recognitions (
    id                  INTEGER PRIMARY KEY,
    merchant_id         INTEGER      NOT NULL REFERENCES merchants (id),
    giver_user_id       INTEGER,
    giver_member_id     INTEGER,
    receiver_user_id    INTEGER,
    receiver_member_id  INTEGER,
    giver_name          TEXT        NOT NULL,
    receiver_name       TEXT        NOT NULL,
    points              INTEGER      NOT NULL CHECK (points >= 0),
    value               TEXT        NOT NULL DEFAULT '',
    message             TEXT        NOT NULL,
    month               TEXT        NOT NULL,
    program_id          INTEGER,
    idempotency_key     TEXT        NOT NULL,
    hidden_at           DATETIME,
    hidden_by           TEXT        NOT NULL DEFAULT '',
    hide_reason         TEXT        NOT NULL DEFAULT '',
    created_at          DATETIME NOT NULL,
    UNIQUE (merchant_id, idempotency_key),
    CHECK ((giver_user_id IS NULL) <> (giver_member_id IS NULL)),
    CHECK ((receiver_user_id IS NULL) <> (receiver_member_id IS NULL))
);
CREATE INDEX recognitions_feed_idx ON recognitions (merchant_id, id);
CREATE INDEX recognitions_month_idx ON recognitions (merchant_id, month);

-- Staff kudos: the balance of points given to users, kept as a ledger of
-- its own under the same rules as accounts and ledger_entries.
CREATE TABLE kudos_accounts (
    id           INTEGER PRIMARY KEY,
    merchant_id  INTEGER      NOT NULL REFERENCES merchants (id),
    user_id      INTEGER      NOT NULL REFERENCES users (id),
    balance      INTEGER      NOT NULL DEFAULT 0,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    UNIQUE (merchant_id, user_id),
    UNIQUE (merchant_id, id)
);

CREATE TABLE kudos_entries (
    id               INTEGER PRIMARY KEY,
    merchant_id      INTEGER      NOT NULL,
    account_id       INTEGER      NOT NULL,
    user_id          INTEGER      NOT NULL,
    recognition_id   INTEGER      NOT NULL,
    amount           INTEGER      NOT NULL CHECK (amount <> 0),
    balance_after    INTEGER      NOT NULL,
    actor_name       TEXT        NOT NULL,
    reason           TEXT        NOT NULL DEFAULT '',
    corrects_id      INTEGER,
    idempotency_key  TEXT        NOT NULL,
    created_at       DATETIME NOT NULL,
    FOREIGN KEY (merchant_id, account_id) REFERENCES kudos_accounts (merchant_id, id)
);
CREATE UNIQUE INDEX kudos_entries_key ON kudos_entries (merchant_id, idempotency_key);
CREATE INDEX kudos_entries_account_idx ON kudos_entries (account_id, id);

-- +goose StatementBegin
CREATE TRIGGER kudos_entries_no_update BEFORE UPDATE ON kudos_entries
BEGIN
    SELECT RAISE(ABORT, 'kudos_entries is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER kudos_entries_no_delete BEFORE DELETE ON kudos_entries
BEGIN
    SELECT RAISE(ABORT, 'kudos_entries is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE kudos_entries;
DROP TABLE kudos_accounts;
DROP TABLE recognitions;
DROP TABLE recognition_allowances;
DROP TABLE recognition_overrides;
DROP TABLE recognition_settings;
