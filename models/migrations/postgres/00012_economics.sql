-- +goose Up
-- Program economics reads these instead of replaying the ledger: the
-- rollup catch-up recomputes a refreshed member's rows from the raw ones.
-- member_lots is what is left of each member's earnings (spent oldest
-- first, ledger rule 5) by the local month they were earned; lot_months
-- is its sum per program, kept by adding each member's change, so the
-- liability's age is a few dozen rows.
CREATE TABLE member_lots (
    merchant_id   BIGINT NOT NULL REFERENCES merchants (id),
    member_id     BIGINT NOT NULL,
    program_id    BIGINT NOT NULL,
    earned_month  TEXT   NOT NULL,
    remaining     BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, member_id, program_id, earned_month)
);

CREATE TABLE lot_months (
    merchant_id   BIGINT NOT NULL REFERENCES merchants (id),
    program_id    BIGINT NOT NULL,
    earned_month  TEXT   NOT NULL,
    remaining     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, program_id, earned_month)
);

-- A member's purchases over all time (revenue net of refunds), and the
-- programs they redeemed in (vouchers not cancelled): "all time" spend by
-- segment reads one row per customer, not every purchase.
CREATE TABLE member_spend (
    merchant_id    BIGINT NOT NULL REFERENCES merchants (id),
    member_id      BIGINT NOT NULL,
    purchases      BIGINT NOT NULL,
    revenue_minor  BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, member_id)
);

CREATE TABLE member_redeemers (
    merchant_id  BIGINT NOT NULL REFERENCES merchants (id),
    member_id    BIGINT NOT NULL,
    program_id   BIGINT NOT NULL,
    redemptions  BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, member_id, program_id)
);

-- +goose Down
DROP TABLE member_redeemers;
DROP TABLE member_spend;
DROP TABLE lot_months;
DROP TABLE member_lots;
