-- +goose Up
-- Churn over any inactivity window, exact and without reading purchases
-- per page view. A member is active at a month boundary when their last
-- visit day before it lies within the window; what decides each month is
-- the member's last visit day before it and their last visit day in it.
-- member_gaps keeps, per member and month visited, that month's last
-- visit day and the next visited month's (kept to the day only when a
-- churn figure can depend on it); gap_counts counts members per pair, and
-- the catch-up keeps it equal to member_gaps by applying each member's
-- change as it replaces their rows.
CREATE TABLE member_gaps (
    merchant_id  BIGINT NOT NULL REFERENCES merchants (id),
    member_id    BIGINT NOT NULL,
    last_day     TEXT   NOT NULL,
    next_day     TEXT   NOT NULL DEFAULT '',
    PRIMARY KEY (merchant_id, member_id, last_day)
);

CREATE TABLE gap_counts (
    merchant_id  BIGINT NOT NULL REFERENCES merchants (id),
    last_day     TEXT   NOT NULL,
    next_day     TEXT   NOT NULL DEFAULT '',
    members      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, last_day, next_day)
);

-- Repeat drop-off counts the members who joined in a range by their
-- number of purchases from the index alone; it also serves every lookup
-- the (merchant_id, created_at) index did.
CREATE INDEX members_joined_visits_idx ON members (merchant_id, created_at, visit_count);
DROP INDEX members_created_idx;

-- Negative churn sums each member's spend over the range and the period
-- before it: with the amounts in the index it reads the index alone.
DROP INDEX purchases_time_member_idx;
CREATE INDEX purchases_time_member_idx ON purchases (merchant_id, occurred_at, member_id) INCLUDE (amount_minor, refunded_minor);

-- +goose Down
DROP INDEX purchases_time_member_idx;
CREATE INDEX purchases_time_member_idx ON purchases (merchant_id, occurred_at, member_id);
CREATE INDEX members_created_idx ON members (merchant_id, created_at);
DROP INDEX members_joined_visits_idx;
DROP TABLE gap_counts;
DROP TABLE member_gaps;
