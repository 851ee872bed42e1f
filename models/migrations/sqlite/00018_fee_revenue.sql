-- +goose Up
-- Membership fees are revenue of their own (the dashboard's "Membership
-- fees"): a local day's fees, net of refunds, beside its product revenue.
ALTER TABLE daily_sales ADD COLUMN fee_revenue_minor INTEGER NOT NULL DEFAULT 0;

-- Fees sold before this column existed: their days are summed again at
-- the next catch-up.
INSERT INTO rollup_marks (merchant_id, member_id, at)
SELECT merchant_id, member_id, occurred_at FROM purchases WHERE kind = 'membership';

-- +goose Down
ALTER TABLE daily_sales DROP COLUMN fee_revenue_minor;
