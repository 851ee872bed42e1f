-- +goose Up
-- Paid membership (models/membership.go). A membership fee is recorded as
-- a purchase of kind 'membership', so the refund path and the receipt
-- serve it as they serve a sale, while the reports count product revenue
-- from kind 'sale' alone.
ALTER TABLE purchases ADD COLUMN kind TEXT NOT NULL DEFAULT 'sale' CHECK (kind IN ('sale', 'membership'));

-- A paid tier's owner settings: days of grace after the end before the
-- daily job lapses it, and whether its fee earns as a purchase does.
ALTER TABLE tiers ADD COLUMN grace_days INTEGER NOT NULL DEFAULT 0 CHECK (grace_days >= 0 AND grace_days <= 365);
ALTER TABLE tiers ADD COLUMN fee_earns BOOLEAN NOT NULL DEFAULT FALSE;

-- One membership per account: a member's hold on a paid tier of the
-- program. ends_at is anchored_at plus months, in the merchant's zone,
-- kept so the daily job and the renewal list find it by index.
CREATE TABLE memberships (
    id             INTEGER PRIMARY KEY,
    merchant_id    INTEGER  NOT NULL REFERENCES merchants (id),
    program_id     INTEGER  NOT NULL,
    account_id     INTEGER  NOT NULL,
    member_id      INTEGER  NOT NULL,
    tier_id        INTEGER  NOT NULL,
    status         TEXT     NOT NULL CHECK (status IN ('active', 'lapsed', 'cancelled')),
    since          DATETIME NOT NULL,
    anchored_at    DATETIME NOT NULL,
    months         INTEGER  NOT NULL CHECK (months > 0),
    ends_at        DATETIME NOT NULL,
    cancel_at_end  BOOLEAN  NOT NULL DEFAULT FALSE,
    ended_at       DATETIME,
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL,
    UNIQUE (merchant_id, account_id),
    FOREIGN KEY (merchant_id, account_id) REFERENCES accounts (merchant_id, id)
);
CREATE INDEX memberships_ends_idx ON memberships (merchant_id, status, ends_at);

-- Each sale or renewal: the fee's purchase and the stretch it paid for,
-- which a pro rata refund measures.
CREATE TABLE membership_periods (
    id             INTEGER PRIMARY KEY,
    merchant_id    INTEGER  NOT NULL REFERENCES merchants (id),
    membership_id  INTEGER  NOT NULL REFERENCES memberships (id),
    purchase_id    INTEGER  NOT NULL,
    starts_at      DATETIME NOT NULL,
    ends_at        DATETIME NOT NULL,
    created_at     DATETIME NOT NULL,
    UNIQUE (merchant_id, purchase_id)
);
CREATE INDEX membership_periods_idx ON membership_periods (merchant_id, membership_id);

-- +goose Down
DROP TABLE membership_periods;
DROP TABLE memberships;
ALTER TABLE tiers DROP COLUMN fee_earns;
ALTER TABLE tiers DROP COLUMN grace_days;
ALTER TABLE purchases DROP COLUMN kind;
