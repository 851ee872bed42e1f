-- +goose Up
-- Active members over 30 and 90 days, on any day, without reading the
-- purchases of the window per page view. A member is active on a day when
-- they made a purchase on one of the window's days up to it; member_spells
-- keeps each member's runs of such days per window (visits at most a
-- window apart join into one run), and daily_active the runs starting on
-- each local day less those ending: the members active on a day are the
-- sum of the nets up to it. The catch-up keeps daily_active equal to
-- member_spells by applying each member's change as it replaces their rows
-- (models/rollup_active.go).
CREATE TABLE member_spells (
    merchant_id  BIGINT  NOT NULL REFERENCES merchants (id),
    member_id    BIGINT  NOT NULL,
    window_days  INTEGER NOT NULL,
    from_day     TEXT    NOT NULL,
    until_day    TEXT    NOT NULL,
    PRIMARY KEY (merchant_id, member_id, window_days, from_day)
);

CREATE TABLE daily_active (
    merchant_id  BIGINT  NOT NULL REFERENCES merchants (id),
    window_days  INTEGER NOT NULL,
    day          TEXT    NOT NULL,
    net          BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, window_days, day)
);

-- Merchants built before these tables existed are rebuilt whole on their
-- next catch-up, which fills them.
DELETE FROM rollup_states;

-- +goose Down
DROP TABLE daily_active;
DROP TABLE member_spells;
