-- +goose Up
-- Membership fees are revenue of their own (the dashboard's "Membership
-- fees"): a local day's fees, net of refunds, beside its product revenue.
ALTER TABLE daily_sales ADD COLUMN fee_revenue_minor BIGINT NOT NULL DEFAULT 0;

-- Fees sold before this column existed: their days are summed again at
-- the next catch-up.
INSERT INTO rollup_marks (merchant_id, member_id, at)
SELECT merchant_id, member_id, occurred_at FROM purchases WHERE kind = 'membership';

-- Active members count product sales alone (models.ActiveMembers): the
-- index carries the kind so the count is still read from it alone.
DROP INDEX purchases_time_member_idx;
CREATE INDEX purchases_time_member_idx ON purchases (merchant_id, occurred_at, member_id) INCLUDE (amount_minor, refunded_minor, kind);

-- +goose Down
DROP INDEX purchases_time_member_idx;
CREATE INDEX purchases_time_member_idx ON purchases (merchant_id, occurred_at, member_id) INCLUDE (amount_minor, refunded_minor);
ALTER TABLE daily_sales DROP COLUMN fee_revenue_minor;
