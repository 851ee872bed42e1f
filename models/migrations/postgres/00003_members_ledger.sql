-- +goose Up
-- How far staff and managers may adjust a balance by hand in one go;
-- owners are unlimited.
ALTER TABLE merchants ADD COLUMN staff_adjust_limit BIGINT NOT NULL DEFAULT 500 CHECK (staff_adjust_limit >= 0);
ALTER TABLE merchants ADD COLUMN manager_adjust_limit BIGINT NOT NULL DEFAULT 5000 CHECK (manager_adjust_limit >= 0);

CREATE TABLE members (
    id                   BIGSERIAL PRIMARY KEY,
    merchant_id          BIGINT      NOT NULL REFERENCES merchants (id),
    name                 TEXT        NOT NULL,
    email                TEXT        NOT NULL DEFAULT '',
    phone                TEXT        NOT NULL DEFAULT '',
    card_code            TEXT        NOT NULL,
    birthday             TEXT,
    birthday_changed_at  TIMESTAMPTZ,
    referred_by_id       BIGINT,
    marketing_opt_in     BOOLEAN     NOT NULL DEFAULT FALSE,
    blocked              BOOLEAN     NOT NULL DEFAULT FALSE,
    last_activity_at     TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    UNIQUE (merchant_id, id),
    FOREIGN KEY (merchant_id, referred_by_id) REFERENCES members (merchant_id, id)
);
CREATE UNIQUE INDEX members_card_key ON members (merchant_id, card_code);
CREATE UNIQUE INDEX members_email_key ON members (merchant_id, email) WHERE email <> '';
CREATE UNIQUE INDEX members_phone_key ON members (merchant_id, phone) WHERE phone <> '';
-- Prefix search: LIKE 'abc%' uses these indexes; the name's "C" collation
-- also gives the list its order, so a page reads only its own rows.
CREATE INDEX members_name_search_idx ON members (merchant_id, (lower(name) COLLATE "C"), id);
CREATE INDEX members_email_search_idx ON members (merchant_id, email text_pattern_ops, id);
CREATE INDEX members_phone_search_idx ON members (merchant_id, phone text_pattern_ops, id);
CREATE INDEX members_card_search_idx ON members (merchant_id, card_code text_pattern_ops, id);
CREATE INDEX members_activity_idx ON members (merchant_id, last_activity_at, id);

CREATE TABLE member_tags (
    merchant_id  BIGINT NOT NULL,
    member_id    BIGINT NOT NULL,
    tag          TEXT   NOT NULL,
    PRIMARY KEY (member_id, tag),
    FOREIGN KEY (merchant_id, member_id) REFERENCES members (merchant_id, id)
);
CREATE INDEX member_tags_tag_idx ON member_tags (merchant_id, tag, member_id);

CREATE TABLE accounts (
    id                BIGSERIAL PRIMARY KEY,
    merchant_id       BIGINT      NOT NULL,
    program_id        BIGINT      NOT NULL,
    member_id         BIGINT      NOT NULL,
    balance           BIGINT      NOT NULL DEFAULT 0,
    lifetime_earned   BIGINT      NOT NULL DEFAULT 0,
    tier_id           BIGINT,
    tier_since        TIMESTAMPTZ,
    last_activity_at  TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    UNIQUE (merchant_id, id),
    UNIQUE (program_id, member_id),
    FOREIGN KEY (merchant_id, program_id) REFERENCES programs (merchant_id, id),
    FOREIGN KEY (merchant_id, member_id) REFERENCES members (merchant_id, id),
    FOREIGN KEY (merchant_id, tier_id) REFERENCES tiers (merchant_id, id)
);
CREATE INDEX accounts_member_idx ON accounts (merchant_id, member_id);
CREATE INDEX accounts_tier_idx ON accounts (merchant_id, program_id, tier_id);

CREATE TABLE purchases (
    id               BIGSERIAL PRIMARY KEY,
    merchant_id      BIGINT      NOT NULL,
    program_id       BIGINT      NOT NULL,
    member_id        BIGINT,
    account_id       BIGINT,
    amount_minor     BIGINT      NOT NULL CHECK (amount_minor > 0),
    refunded_minor   BIGINT      NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor),
    earned           BIGINT      NOT NULL DEFAULT 0,
    clawed_back      BIGINT      NOT NULL DEFAULT 0,
    order_ref        TEXT        NOT NULL DEFAULT '',
    channel          TEXT        NOT NULL CHECK (channel IN ('in_store', 'online')),
    occurred_at      TIMESTAMPTZ NOT NULL,
    idempotency_key  TEXT        NOT NULL,
    actor_name       TEXT        NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (merchant_id, id),
    FOREIGN KEY (merchant_id, program_id) REFERENCES programs (merchant_id, id),
    FOREIGN KEY (merchant_id, account_id) REFERENCES accounts (merchant_id, id)
);
CREATE UNIQUE INDEX purchases_key ON purchases (merchant_id, idempotency_key);
CREATE INDEX purchases_account_idx ON purchases (merchant_id, account_id, occurred_at);
CREATE INDEX purchases_time_idx ON purchases (merchant_id, occurred_at);

CREATE TABLE vouchers (
    id            BIGSERIAL PRIMARY KEY,
    merchant_id   BIGINT      NOT NULL,
    program_id    BIGINT      NOT NULL,
    account_id    BIGINT      NOT NULL,
    member_id     BIGINT      NOT NULL,
    reward_id     BIGINT      NOT NULL,
    code          TEXT        NOT NULL,
    cost          BIGINT      NOT NULL,
    status        TEXT        NOT NULL CHECK (status IN ('issued', 'used', 'cancelled')),
    expires_at    TIMESTAMPTZ,
    used_at       TIMESTAMPTZ,
    closed_by     TEXT        NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (merchant_id, id),
    FOREIGN KEY (merchant_id, account_id) REFERENCES accounts (merchant_id, id),
    FOREIGN KEY (merchant_id, reward_id) REFERENCES rewards (merchant_id, id)
);
CREATE UNIQUE INDEX vouchers_code_key ON vouchers (merchant_id, code);
CREATE INDEX vouchers_member_idx ON vouchers (merchant_id, member_id, id);
CREATE INDEX vouchers_reward_idx ON vouchers (merchant_id, reward_id, member_id);

CREATE TABLE ledger_entries (
    id               BIGSERIAL PRIMARY KEY,
    merchant_id      BIGINT      NOT NULL,
    program_id       BIGINT      NOT NULL,
    account_id       BIGINT      NOT NULL,
    member_id        BIGINT      NOT NULL,
    kind             TEXT        NOT NULL,
    amount           BIGINT      NOT NULL CHECK (amount <> 0),
    balance_after    BIGINT      NOT NULL,
    expires_at       TIMESTAMPTZ,
    actor_user_id    BIGINT,
    actor_name       TEXT        NOT NULL,
    reason           TEXT        NOT NULL DEFAULT '',
    note             TEXT        NOT NULL DEFAULT '',
    purchase_id      BIGINT,
    voucher_id       BIGINT,
    corrects_id      BIGINT,
    idempotency_key  TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
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
CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_entries is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();

CREATE TABLE tier_changes (
    id            BIGSERIAL PRIMARY KEY,
    merchant_id   BIGINT      NOT NULL,
    account_id    BIGINT      NOT NULL,
    from_tier_id  BIGINT,
    to_tier_id    BIGINT,
    reason        TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (merchant_id, account_id) REFERENCES accounts (merchant_id, id)
);
CREATE INDEX tier_changes_account_idx ON tier_changes (account_id, id);

-- +goose Down
DROP TABLE tier_changes;
DROP TABLE ledger_entries;
DROP FUNCTION ledger_entries_append_only();
DROP TABLE vouchers;
DROP TABLE purchases;
DROP TABLE accounts;
DROP TABLE member_tags;
DROP TABLE members;
ALTER TABLE merchants DROP COLUMN manager_adjust_limit;
ALTER TABLE merchants DROP COLUMN staff_adjust_limit;
