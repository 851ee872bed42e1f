-- +goose Up
-- Reports read per-merchant aggregates instead of scanning the ledger.
-- Every write that changes what they count appends a mark (insert-only, so
-- concurrent purchases never wait on each other); the catch-up deletes the
-- marks it sees and recomputes those local days and members from the raw
-- rows. A merchant without a rollup_state row, or whose time zone changed
-- since, is rebuilt whole.
CREATE TABLE rollup_marks (
    id           INTEGER PRIMARY KEY,
    merchant_id  INTEGER      NOT NULL REFERENCES merchants (id),
    member_id    INTEGER,
    at           DATETIME NOT NULL
);
CREATE INDEX rollup_marks_merchant_idx ON rollup_marks (merchant_id, id);

CREATE TABLE rollup_states (
    merchant_id  INTEGER      PRIMARY KEY REFERENCES merchants (id),
    time_zone    TEXT        NOT NULL,
    built_at     DATETIME NOT NULL,
    caught_up_at DATETIME NOT NULL
);

CREATE TABLE daily_sales (
    merchant_id           INTEGER NOT NULL REFERENCES merchants (id),
    day                   TEXT   NOT NULL,
    purchases             INTEGER NOT NULL DEFAULT 0,
    member_purchases      INTEGER NOT NULL DEFAULT 0,
    revenue_minor         INTEGER NOT NULL DEFAULT 0,
    member_revenue_minor  INTEGER NOT NULL DEFAULT 0,
    refunded_minor        INTEGER NOT NULL DEFAULT 0,
    earning_purchases     INTEGER NOT NULL DEFAULT 0,
    visitors              INTEGER NOT NULL DEFAULT 0,
    new_members           INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, day)
);

CREATE TABLE daily_points (
    merchant_id  INTEGER NOT NULL REFERENCES merchants (id),
    program_id   INTEGER NOT NULL,
    day          TEXT   NOT NULL,
    kind         TEXT   NOT NULL,
    amount       INTEGER NOT NULL DEFAULT 0,
    entries      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, program_id, day, kind)
);

CREATE TABLE daily_rewards (
    merchant_id  INTEGER NOT NULL REFERENCES merchants (id),
    program_id   INTEGER NOT NULL,
    reward_id    INTEGER NOT NULL,
    day          TEXT   NOT NULL,
    redemptions  INTEGER NOT NULL DEFAULT 0,
    points       INTEGER NOT NULL DEFAULT 0,
    value_minor  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, program_id, day, reward_id)
);

CREATE TABLE daily_tiers (
    merchant_id  INTEGER NOT NULL REFERENCES merchants (id),
    program_id   INTEGER NOT NULL,
    tier_id      INTEGER NOT NULL,
    day          TEXT   NOT NULL,
    net          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, program_id, day, tier_id)
);

CREATE TABLE member_months (
    merchant_id  INTEGER NOT NULL REFERENCES merchants (id),
    month        TEXT   NOT NULL,
    cohort       TEXT   NOT NULL,
    member_id    INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, month, cohort, member_id)
);

CREATE TABLE monthly_cohorts (
    merchant_id  INTEGER NOT NULL REFERENCES merchants (id),
    cohort       TEXT   NOT NULL,
    month        TEXT   NOT NULL,
    members      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, cohort, month)
);

CREATE TABLE weekly_activity (
    merchant_id     INTEGER NOT NULL REFERENCES merchants (id),
    week            TEXT   NOT NULL,
    active_members  INTEGER NOT NULL DEFAULT 0,
    visits          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, week)
);

-- A member's visits, kept by the catch-up for the churn lists: overdue_at
-- is when the member has been away twice their usual gap.
ALTER TABLE members ADD COLUMN last_visit_at DATETIME;
ALTER TABLE members ADD COLUMN visit_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN median_gap_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN overdue_at DATETIME;
CREATE INDEX members_last_visit_idx ON members (merchant_id, last_visit_at);
CREATE INDEX members_overdue_idx ON members (merchant_id, overdue_at);
-- Covering: active members in a window are counted from the index alone,
-- and a member's visits are read in order.
CREATE INDEX purchases_member_time_idx ON purchases (merchant_id, member_id, occurred_at);
CREATE INDEX purchases_time_member_idx ON purchases (merchant_id, occurred_at, member_id);
DROP INDEX purchases_time_idx;
-- Each local day is recomputed from range scans of these.
CREATE INDEX members_created_idx ON members (merchant_id, created_at);
CREATE INDEX vouchers_created_idx ON vouchers (merchant_id, created_at);
CREATE INDEX tier_changes_created_idx ON tier_changes (merchant_id, created_at);

-- +goose Down
DROP INDEX tier_changes_created_idx;
DROP INDEX vouchers_created_idx;
DROP INDEX members_created_idx;
CREATE INDEX purchases_time_idx ON purchases (merchant_id, occurred_at);
DROP INDEX purchases_time_member_idx;
DROP INDEX purchases_member_time_idx;
DROP INDEX members_overdue_idx;
DROP INDEX members_last_visit_idx;
ALTER TABLE members DROP COLUMN overdue_at;
ALTER TABLE members DROP COLUMN median_gap_days;
ALTER TABLE members DROP COLUMN visit_count;
ALTER TABLE members DROP COLUMN last_visit_at;
DROP TABLE weekly_activity;
DROP TABLE monthly_cohorts;
DROP TABLE member_months;
DROP TABLE daily_tiers;
DROP TABLE daily_rewards;
DROP TABLE daily_points;
DROP TABLE daily_sales;
DROP TABLE rollup_states;
DROP TABLE rollup_marks;
