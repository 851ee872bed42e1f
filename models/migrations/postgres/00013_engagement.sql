-- +goose Up
-- The engagement report's per-rule and per-staff aggregates, kept by the
-- rollup catch-up like the others (models/rollup_engagement.go).
CREATE TABLE daily_rule_earns (
    merchant_id  BIGINT NOT NULL REFERENCES merchants (id),
    program_id   BIGINT NOT NULL,
    rule_id      BIGINT NOT NULL, -- 0: the program's sign-up bonus
    day          TEXT   NOT NULL,
    completions  BIGINT NOT NULL DEFAULT 0,
    points       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, program_id, day, rule_id)
);

CREATE TABLE daily_adjustments (
    merchant_id    BIGINT NOT NULL REFERENCES merchants (id),
    program_id     BIGINT NOT NULL,
    actor_user_id  BIGINT NOT NULL, -- 0: no user (the API, the system)
    actor_name     TEXT   NOT NULL,
    day            TEXT   NOT NULL,
    credits        BIGINT NOT NULL DEFAULT 0,
    debits         BIGINT NOT NULL DEFAULT 0,
    entries        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, program_id, day, actor_user_id, actor_name)
);

-- Goal-gradient lists: members a little below a reward's cost or a tier's
-- threshold are range scans in the order of the list, read from the index
-- alone (the tier is part of a band's condition); blocked members, few,
-- are left out by their own index.
CREATE INDEX accounts_balance_idx ON accounts (merchant_id, program_id, balance, member_id, tier_id);
CREATE INDEX accounts_lifetime_idx ON accounts (merchant_id, program_id, lifetime_earned, member_id, tier_id);
CREATE INDEX members_blocked_idx ON members (merchant_id, id) WHERE blocked;
-- Referrals made in a range and whether they converted, from the index
-- alone, without reading every member who joined then.
CREATE INDEX members_referred_created_idx ON members (merchant_id, created_at, referred_by_id, visit_count)
    WHERE referred_by_id IS NOT NULL;

-- Merchants built before these tables existed are rebuilt whole on their
-- next catch-up, which fills them.
DELETE FROM rollup_states;

-- +goose Down
DROP INDEX members_referred_created_idx;
DROP INDEX members_blocked_idx;
DROP INDEX accounts_lifetime_idx;
DROP INDEX accounts_balance_idx;
DROP TABLE daily_adjustments;
DROP TABLE daily_rule_earns;
