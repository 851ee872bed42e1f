-- +goose Up
-- Child rows name their merchant and their parent together, so a row can
-- never hang under another merchant's program.
CREATE TABLE programs (
    id                    INTEGER PRIMARY KEY,
    merchant_id           INTEGER      NOT NULL REFERENCES merchants (id),
    name                  TEXT        NOT NULL,
    type                  TEXT        NOT NULL CHECK (type IN ('points', 'stamps', 'cashback')),
    unit_label            TEXT        NOT NULL,
    status                TEXT        NOT NULL CHECK (status IN ('draft', 'active', 'paused', 'archived')),
    earn_rate_hundredths  INTEGER      NOT NULL DEFAULT 0 CHECK (earn_rate_hundredths >= 0),
    min_purchase_minor    INTEGER      NOT NULL DEFAULT 0 CHECK (min_purchase_minor >= 0),
    stamps_per_card       INTEGER      NOT NULL DEFAULT 0 CHECK (stamps_per_card >= 0),
    card_reward_id        INTEGER,
    cashback_basis_points INTEGER      NOT NULL DEFAULT 0 CHECK (cashback_basis_points BETWEEN 0 AND 10000),
    sign_up_bonus         INTEGER      NOT NULL DEFAULT 0 CHECK (sign_up_bonus >= 0),
    point_value_milli     INTEGER      NOT NULL DEFAULT 0 CHECK (point_value_milli >= 0),
    expiry_policy         TEXT        NOT NULL CHECK (expiry_policy IN ('never', 'after_earning', 'inactivity')),
    expiry_months         INTEGER      NOT NULL DEFAULT 0 CHECK (expiry_months >= 0),
    reminder_days         INTEGER      NOT NULL DEFAULT 0 CHECK (reminder_days >= 0),
    tier_metric           TEXT        NOT NULL CHECK (tier_metric IN ('points_earned', 'spend', 'visits')),
    tier_window           TEXT        NOT NULL CHECK (tier_window IN ('lifetime', 'rolling_12_months', 'calendar_year')),
    downgrade_policy      TEXT        NOT NULL CHECK (downgrade_policy IN ('never', 'end_of_window', 'grace')),
    downgrade_grace_days  INTEGER      NOT NULL DEFAULT 0 CHECK (downgrade_grace_days >= 0),
    created_at            DATETIME    NOT NULL,
    updated_at            DATETIME    NOT NULL
);
CREATE UNIQUE INDEX programs_merchant_id_key ON programs (merchant_id, id);
CREATE UNIQUE INDEX programs_name_key ON programs (merchant_id, lower(name));

CREATE TABLE tiers (
    id                     INTEGER PRIMARY KEY,
    merchant_id            INTEGER      NOT NULL,
    program_id             INTEGER      NOT NULL,
    name                   TEXT        NOT NULL,
    color                  TEXT        NOT NULL,
    position               INTEGER      NOT NULL CHECK (position >= 1),
    threshold              INTEGER      NOT NULL DEFAULT 0 CHECK (threshold >= 0),
    earn_multiplier_milli  INTEGER      NOT NULL DEFAULT 1000 CHECK (earn_multiplier_milli >= 1000),
    discount_basis_points  INTEGER      NOT NULL DEFAULT 0 CHECK (discount_basis_points BETWEEN 0 AND 10000),
    free_shipping          BOOLEAN     NOT NULL DEFAULT FALSE,
    perks                  TEXT        NOT NULL DEFAULT '',
    paid                   BOOLEAN     NOT NULL DEFAULT FALSE,
    fee_minor              INTEGER      NOT NULL DEFAULT 0 CHECK (fee_minor >= 0),
    period_months          INTEGER      NOT NULL DEFAULT 0 CHECK (period_months >= 0),
    created_at             DATETIME    NOT NULL,
    updated_at             DATETIME    NOT NULL,
    FOREIGN KEY (merchant_id, program_id) REFERENCES programs (merchant_id, id)
);
CREATE UNIQUE INDEX tiers_merchant_id_key ON tiers (merchant_id, id);
CREATE UNIQUE INDEX tiers_name_key ON tiers (program_id, lower(name));
CREATE UNIQUE INDEX tiers_position_key ON tiers (program_id, paid, position);

CREATE TABLE rewards (
    id                  INTEGER PRIMARY KEY,
    merchant_id         INTEGER      NOT NULL,
    program_id          INTEGER      NOT NULL,
    name                TEXT        NOT NULL,
    description         TEXT        NOT NULL DEFAULT '',
    type                TEXT        NOT NULL CHECK (type IN ('free_item', 'amount_off', 'percent_off', 'store_credit', 'service')),
    cost                INTEGER      NOT NULL CHECK (cost > 0),
    value_minor         INTEGER      NOT NULL DEFAULT 0 CHECK (value_minor >= 0),
    percent_basis_points INTEGER     NOT NULL DEFAULT 0 CHECK (percent_basis_points BETWEEN 0 AND 10000),
    min_tier_id         INTEGER,
    stock               INTEGER      CHECK (stock >= 0),
    per_member_limit    INTEGER      CHECK (per_member_limit >= 1),
    active_from         TEXT,
    active_to           TEXT,
    archived            BOOLEAN     NOT NULL DEFAULT FALSE,
    position            INTEGER      NOT NULL DEFAULT 0,
    created_at          DATETIME    NOT NULL,
    updated_at          DATETIME    NOT NULL,
    FOREIGN KEY (merchant_id, program_id) REFERENCES programs (merchant_id, id),
    FOREIGN KEY (merchant_id, min_tier_id) REFERENCES tiers (merchant_id, id)
);
CREATE UNIQUE INDEX rewards_merchant_id_key ON rewards (merchant_id, id);
CREATE INDEX rewards_program_idx ON rewards (merchant_id, program_id, archived, position);

CREATE TABLE earning_rules (
    id                  INTEGER PRIMARY KEY,
    merchant_id         INTEGER      NOT NULL,
    program_id          INTEGER      NOT NULL,
    kind                TEXT        NOT NULL CHECK (kind IN ('birthday', 'referral', 'action')),
    name                TEXT        NOT NULL,
    points              INTEGER      NOT NULL CHECK (points >= 0),
    referred_points     INTEGER      NOT NULL DEFAULT 0 CHECK (referred_points >= 0),
    min_purchase_minor  INTEGER      NOT NULL DEFAULT 0 CHECK (min_purchase_minor >= 0),
    window_days         INTEGER      NOT NULL DEFAULT 0 CHECK (window_days >= 0),
    cap                 TEXT        NOT NULL CHECK (cap IN ('once', 'day', 'week', 'month', 'year', 'unlimited')),
    active              BOOLEAN     NOT NULL DEFAULT TRUE,
    created_at          DATETIME    NOT NULL,
    updated_at          DATETIME    NOT NULL,
    FOREIGN KEY (merchant_id, program_id) REFERENCES programs (merchant_id, id)
);
CREATE UNIQUE INDEX earning_rules_name_key ON earning_rules (program_id, lower(name));
CREATE INDEX earning_rules_program_idx ON earning_rules (merchant_id, program_id);

CREATE TABLE campaigns (
    id                  INTEGER PRIMARY KEY,
    merchant_id         INTEGER      NOT NULL,
    program_id          INTEGER      NOT NULL,
    name                TEXT        NOT NULL,
    starts_on           TEXT        NOT NULL,
    ends_on             TEXT        NOT NULL,
    multiplier_milli    INTEGER      NOT NULL DEFAULT 1000 CHECK (multiplier_milli >= 1000),
    bonus_points        INTEGER      NOT NULL DEFAULT 0 CHECK (bonus_points >= 0),
    min_purchase_minor  INTEGER      NOT NULL DEFAULT 0 CHECK (min_purchase_minor >= 0),
    weekdays            INTEGER      NOT NULL DEFAULT 0 CHECK (weekdays BETWEEN 0 AND 127),
    tier_ids            TEXT        NOT NULL DEFAULT '',
    created_at          DATETIME    NOT NULL,
    updated_at          DATETIME    NOT NULL,
    CHECK (ends_on >= starts_on),
    FOREIGN KEY (merchant_id, program_id) REFERENCES programs (merchant_id, id)
);
CREATE UNIQUE INDEX campaigns_name_key ON campaigns (program_id, lower(name));
CREATE INDEX campaigns_dates_idx ON campaigns (merchant_id, program_id, ends_on);

CREATE TABLE audit_entries (
    id            INTEGER PRIMARY KEY,
    merchant_id   INTEGER      NOT NULL REFERENCES merchants (id),
    actor_id      INTEGER,
    actor_name    TEXT        NOT NULL,
    action        TEXT        NOT NULL,
    entity_type   TEXT        NOT NULL,
    entity_id     INTEGER      NOT NULL,
    summary       TEXT        NOT NULL,
    before_json   TEXT        NOT NULL DEFAULT '',
    after_json    TEXT        NOT NULL DEFAULT '',
    created_at    DATETIME    NOT NULL
);
CREATE INDEX audit_entries_merchant_idx ON audit_entries (merchant_id, id DESC);
CREATE INDEX audit_entries_actor_idx ON audit_entries (merchant_id, actor_id, id DESC);
CREATE INDEX audit_entries_entity_idx ON audit_entries (merchant_id, entity_type, id DESC);

-- The audit log is append-only: the database itself refuses edits.
-- +goose StatementBegin
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit_entries is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN
    SELECT RAISE(ABORT, 'audit_entries is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_entries;
DROP TABLE campaigns;
DROP TABLE earning_rules;
DROP TABLE rewards;
DROP TABLE tiers;
DROP TABLE programs;
