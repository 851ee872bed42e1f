-- +goose Up
-- Negative churn compares each local month with the one before it, read
-- from monthly sums instead of every purchase of the range and the period
-- before it. member_month_spend keeps each member's net spend per month
-- (refunds netted on the purchase's month) and whether they moved up a
-- tier in it; monthly_expansion sums what those rows say of each month,
-- and the catch-up moves it by each member's change as it replaces their
-- rows (models/rollup_expansion.go).
CREATE TABLE member_month_spend (
    merchant_id  BIGINT NOT NULL REFERENCES merchants (id),
    member_id    BIGINT NOT NULL,
    month        TEXT    NOT NULL,
    spent_minor  BIGINT NOT NULL DEFAULT 0,
    moved_up     BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (merchant_id, member_id, month)
);

CREATE TABLE monthly_expansion (
    merchant_id             BIGINT NOT NULL REFERENCES merchants (id),
    month                   TEXT   NOT NULL,
    previous                BIGINT NOT NULL DEFAULT 0, -- net spend in the month before
    returned                BIGINT NOT NULL DEFAULT 0, -- of them, net spend in this one
    spent_more              BIGINT NOT NULL DEFAULT 0, -- of them, more than the month before
    moved_up                BIGINT NOT NULL DEFAULT 0, -- moved up a tier in this month
    expanding               BIGINT NOT NULL DEFAULT 0, -- spent more or moved up
    previous_revenue_minor  BIGINT NOT NULL DEFAULT 0,
    retained_revenue_minor  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, month)
);

-- Merchants built before these tables existed are rebuilt whole on their
-- next catch-up, which fills them.
DELETE FROM rollup_states;

-- +goose Down
DROP TABLE monthly_expansion;
DROP TABLE member_month_spend;
