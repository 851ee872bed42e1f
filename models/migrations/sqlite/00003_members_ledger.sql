-- +goose Up
-- How far staff and managers may adjust a balance by hand in one go;
-- owners are unlimited.
ALTER TABLE merchants ADD COLUMN staff_adjust_limit INTEGER NOT NULL DEFAULT 500 CHECK (staff_adjust_limit >= 0);
ALTER TABLE merchants ADD COLUMN manager_adjust_limit INTEGER NOT NULL DEFAULT 5000 CHECK (manager_adjust_limit >= 0);

CREATE TABLE members (
    id                   INTEGER PRIMARY KEY,
    merchant_id          INTEGER      NOT NULL REFERENCES merchants (id),
    name                 TEXT        NOT NULL,
    email                TEXT        NOT NULL DEFAULT '',
    phone                TEXT        NOT NULL DEFAULT '',
    card_code            TEXT        NOT NULL,
    birthday             TEXT,
    birthday_changed_at  DATETIME   ,
    referred_by_id       INTEGER,
    marketing_opt_in     BOOLEAN     NOT NULL DEFAULT FALSE,
    blocked              BOOLEAN     NOT NULL DEFAULT FALSE,
    last_activity_at     DATETIME   ,
    created_at           DATETIME    NOT NULL,
    updated_at           DATETIME    NOT NULL,
    UNIQUE (merchant_id, id),
    FOREIGN KEY (merchant_id, referred_by_id) REFERENCES members (merchant_id, id)
);
CREATE UNIQUE INDEX members_card_key ON members (merchant_id, card_code);
CREATE UNIQUE INDEX members_email_key ON members (merchant_id, email) WHERE email <> '';
CREATE UNIQUE INDEX members_phone_key ON members (merchant_id, phone) WHERE phone <> '';
-- Prefix search: a range on these indexes (SQLite compares text bytewise).
CREATE INDEX members_name_search_idx ON members (merchant_id, lower(name), id);
CREATE INDEX members_email_search_idx ON members (merchant_id, email, id);
CREATE INDEX members_phone_search_idx ON members (merchant_id, phone, id);
CREATE INDEX members_card_search_idx ON members (merchant_id, card_code, id);
CREATE INDEX members_activity_idx ON members (merchant_id, last_activity_at, id);

CREATE TABLE member_tags (
    merchant_id  INTEGER NOT NULL,
    member_id    INTEGER NOT NULL,
    tag          TEXT   NOT NULL,
    PRIMARY KEY (member_id, tag),
    FOREIGN KEY (merchant_id, member_id) REFERENCES members (merchant_id, id)
);
CREATE INDEX member_tags_tag_idx ON member_tags (merchant_id, tag, member_id);

CREATE TABLE accounts (
    id                INTEGER PRIMARY KEY,
    merchant_id       INTEGER      NOT NULL,
    program_id        INTEGER      NOT NULL,
    member_id         INTEGER      NOT NULL,
    balance           INTEGER      NOT NULL DEFAULT 0,
    lifetime_earned   INTEGER      NOT NULL DEFAULT 0,
    tier_id           INTEGER,
    tier_since        DATETIME   ,
    last_activity_at  DATETIME   ,
    created_at        DATETIME    NOT NULL,
    updated_at        DATETIME    NOT NULL,
    UNIQUE (merchant_id, id),
    UNIQUE (program_id, member_id),
    FOREIGN KEY (merchant_id, program_id) REFERENCES programs (merchant_id, id),
    FOREIGN KEY (merchant_id, member_id) REFERENCES members (merchant_id, id),
    FOREIGN KEY (merchant_id, tier_id) REFERENCES tiers (merchant_id, id)
);
CREATE INDEX accounts_member_idx ON accounts (merchant_id, member_id);
CREATE INDEX accounts_tier_idx ON accounts (merchant_id, program_id, tier_id);

CREATE TABLE purchases (
    id               INTEGER PRIMARY KEY,
    merchant_id      INTEGER      NOT NULL,
    program_id       INTEGER      NOT NULL,
    member_id        INTEGER,
    account_id       INTEGER,
    amount_minor     INTEGER      NOT NULL CHECK (amount_minor > 0),
    refunded_minor   INTEGER      NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor),
    earned           INTEGER      NOT NULL DEFAULT 0,
    clawed_back      INTEGER      NOT NULL DEFAULT 0,
    order_ref        TEXT        NOT NULL DEFAULT '',
    channel          TEXT        NOT NULL CHECK (channel IN ('in_store', 'online')),
    occurred_at      DATETIME    NOT NULL,
    idempotency_key  TEXT        NOT NULL,
    actor_name       TEXT        NOT NULL,
    created_at       DATETIME    NOT NULL,
    updated_at       DATETIME    NOT NULL,
    UNIQUE (merchant_id, id),
    FOREIGN KEY (merchant_id, program_id) REFERENCES programs (merchant_id, id),
    FOREIGN KEY (merchant_id, account_id) REFERENCES accounts (merchant_id, id)
);
CREATE UNIQUE INDEX purchases_key ON purchases (merchant_id, idempotency_key);
CREATE INDEX purchases_account_idx ON purchases (merchant_id, account_id, occurred_at);
CREATE INDEX purchases_time_idx ON purchases (merchant_id, occurred_at);

CREATE TABLE vouchers (
    id            INTEGER PRIMARY KEY,
    merchant_id   INTEGER      NOT NULL,
    program_id    INTEGER      NOT NULL,
    account_id    INTEGER      NOT NULL,
    member_id     INTEGER      NOT NULL,
    reward_id     INTEGER      NOT NULL,
    code          TEXT        NOT NULL,
    cost          INTEGER      NOT NULL,
    status        TEXT        NOT NULL CHECK (status IN ('issued', 'used', 'cancelled')),
    expires_at    DATETIME   ,
    used_at       DATETIME   ,
    closed_by     TEXT        NOT NULL DEFAULT '',
    created_at    DATETIME    NOT NULL,
    updated_at    DATETIME    NOT NULL,
    UNIQUE (merchant_id, id),
    FOREIGN KEY (merchant_id, account_id) REFERENCES accounts (merchant_id, id),
    FOREIGN KEY (merchant_id, reward_id) REFERENCES rewards (merchant_id, id)
);
CREATE UNIQUE INDEX vouchers_code_key ON vouchers (merchant_id, code);
CREATE INDEX vouchers_member_idx ON vouchers (merchant_id, member_id, id);
CREATE INDEX vouchers_reward_idx ON vouchers (merchant_id, reward_id, member_id);

CREATE TABLE ledger_entries (
    id               INTEGER PRIMARY KEY,
    merchant_id      INTEGER      NOT NULL,
    program_id       INTEGER      NOT NULL,
    account_id       INTEGER      NOT NULL,
    member_id        INTEGER      NOT NULL,
    kind             TEXT        NOT NULL,
    amount           INTEGER      NOT NULL CHECK (amount <> 0),
    balance_after    INTEGER      NOT NULL,
    expires_at       DATETIME   ,
    actor_user_id    INTEGER,
    actor_name       TEXT        NOT NULL,
    reason           TEXT        NOT NULL DEFAULT '',
    note             TEXT        NOT NULL DEFAULT '',
    purchase_id      INTEGER,
    voucher_id       INTEGER,
    corrects_id      INTEGER,
    idempotency_key  TEXT,
    created_at       DATETIME    NOT NULL,
    FOREIGN KEY (merchant_id, account_id) REFERENCES accounts (merchant_id, id),
    FOREIGN KEY (merchant_id, purchase_id) REFERENCES purchases (merchant_id, id),
    FOREIGN KEY (merchant_id, voucher_id) REFERENCES vouchers (merchant_id, id)
);
CREATE UNIQUE INDEX ledger_entries_key ON ledger_entries (merchant_id, idempotency_key);
CREATE INDEX ledger_entries_account_idx ON ledger_entries (account_id, id);
CREATE INDEX ledger_entries_member_idx ON ledger_entries (merchant_id, member_id, id);
CREATE INDEX ledger_entries_merchant_time_idx ON ledger_entries (merchant_id, created_at);

-- The ledger is append-only: a mistake is corrected by a new entry.
-- +goose StatementBegin
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger_entries is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger_entries is append-only');
END;
-- +goose StatementEnd

CREATE TABLE tier_changes (
    id            INTEGER PRIMARY KEY,
    merchant_id   INTEGER      NOT NULL,
    account_id    INTEGER      NOT NULL,
    from_tier_id  INTEGER,
    to_tier_id    INTEGER,
    reason        TEXT        NOT NULL,
    created_at    DATETIME    NOT NULL,
    FOREIGN KEY (merchant_id, account_id) REFERENCES accounts (merchant_id, id)
);
CREATE INDEX tier_changes_account_idx ON tier_changes (account_id, id);

-- +goose Down
DROP TABLE tier_changes;
DROP TABLE ledger_entries;
DROP TABLE vouchers;
DROP TABLE purchases;
DROP TABLE accounts;
DROP TABLE member_tags;
DROP TABLE members;
ALTER TABLE merchants DROP COLUMN manager_adjust_limit;
ALTER TABLE merchants DROP COLUMN staff_adjust_limit;
