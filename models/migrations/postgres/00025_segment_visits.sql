-- +goose Up
-- Program economics over a range without grouping the range's purchases by
-- member per page view. member_visits keeps each local day a member bought
-- on with the day of their visit before it; segment_visits sums them per
-- program segment (tier, redeemed, as member_spend has them), day and
-- previous day. A range's customers are its visits whose previous visit is
-- before the range (models/rollup_visits.go). The key leads with what a
-- range reads and carries the sums, so a range is one index range scan.
CREATE TABLE member_visits (
    merchant_id    BIGINT NOT NULL REFERENCES merchants (id),
    member_id      BIGINT NOT NULL,
    day            TEXT   NOT NULL,
    prev_day       TEXT   NOT NULL DEFAULT '',
    purchases      BIGINT NOT NULL DEFAULT 0,
    revenue_minor  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, member_id, day)
);

CREATE TABLE segment_visits (
    merchant_id    BIGINT  NOT NULL REFERENCES merchants (id),
    program_id     BIGINT  NOT NULL,
    day            TEXT    NOT NULL,
    prev_day       TEXT    NOT NULL DEFAULT '',
    tier_id        BIGINT  NOT NULL DEFAULT 0,
    redeemed       BOOLEAN NOT NULL DEFAULT FALSE,
    visits         BIGINT  NOT NULL DEFAULT 0,
    purchases      BIGINT  NOT NULL DEFAULT 0,
    revenue_minor  BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, program_id, day, prev_day, tier_id, redeemed) INCLUDE (visits, purchases, revenue_minor)
);

-- Merchants built before these tables existed are rebuilt whole on their
-- next catch-up, which fills them.
DELETE FROM rollup_states;

-- +goose Down
DROP TABLE segment_visits;
DROP TABLE member_visits;
