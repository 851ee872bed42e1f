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

-- A customer's purchases over all time (revenue net of refunds), with
-- where they stand in a program (tier, 0 for none; whether they ever
-- redeemed: vouchers not cancelled). Program 0 is every customer; a
-- program has rows only for its customers with a tier or a redemption.
-- segment_totals sums it per program and segment, kept by adding each
-- member's change, so "all time" spend by segment is a few rows. A
-- bounded range looks its purchases' members up in it.
CREATE TABLE member_spend (
    merchant_id    BIGINT   NOT NULL REFERENCES merchants (id),
    program_id     BIGINT   NOT NULL,
    member_id      BIGINT   NOT NULL,
    tier_id        BIGINT   NOT NULL,
    redeemed       BOOLEAN  NOT NULL,
    purchases      BIGINT   NOT NULL,
    revenue_minor  BIGINT   NOT NULL,
    PRIMARY KEY (merchant_id, member_id, program_id)
);
CREATE INDEX member_spend_program_idx ON member_spend (merchant_id, program_id, member_id);

CREATE TABLE segment_totals (
    merchant_id    BIGINT   NOT NULL REFERENCES merchants (id),
    program_id     BIGINT   NOT NULL,
    tier_id        BIGINT   NOT NULL,
    redeemed       BOOLEAN  NOT NULL,
    customers      BIGINT   NOT NULL DEFAULT 0,
    purchases      BIGINT   NOT NULL DEFAULT 0,
    revenue_minor  BIGINT   NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, program_id, tier_id, redeemed)
);

-- +goose Down
DROP TABLE segment_totals;
DROP TABLE member_spend;
DROP TABLE lot_months;
DROP TABLE member_lots;
