-- +goose Up
-- Program economics reads these instead of replaying the ledger: the
-- rollup catch-up recomputes a refreshed member's rows from the raw ones.
-- member_lots is what is left of each member's earnings (spent oldest
-- first, ledger rule 5) by the local month they were earned; lot_months
-- is its sum per program, kept by adding each member's change, so the
-- liability's age is a few dozen rows.
CREATE TABLE member_lots (
    merchant_id   INTEGER NOT NULL REFERENCES merchants (id),
    member_id     INTEGER NOT NULL,
    program_id    INTEGER NOT NULL,
    earned_month  TEXT   NOT NULL,
    remaining     INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, member_id, program_id, earned_month)
);

CREATE TABLE lot_months (
    merchant_id   INTEGER NOT NULL REFERENCES merchants (id),
    program_id    INTEGER NOT NULL,
    earned_month  TEXT   NOT NULL,
    remaining     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, program_id, earned_month)
);

-- A member's purchases over all time (revenue net of refunds), and the
-- programs they redeemed in (vouchers not cancelled): "all time" spend by
-- segment reads one row per customer, not every purchase.
CREATE TABLE member_spend (
    merchant_id    INTEGER NOT NULL REFERENCES merchants (id),
    member_id      INTEGER NOT NULL,
    purchases      INTEGER NOT NULL,
    revenue_minor  INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, member_id)
);

CREATE TABLE member_redeemers (
    merchant_id  INTEGER NOT NULL REFERENCES merchants (id),
    member_id    INTEGER NOT NULL,
    program_id   INTEGER NOT NULL,
    redemptions  INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, member_id, program_id)
);

-- +goose Down
DROP TABLE member_redeemers;
DROP TABLE member_spend;
DROP TABLE lot_months;
DROP TABLE member_lots;
