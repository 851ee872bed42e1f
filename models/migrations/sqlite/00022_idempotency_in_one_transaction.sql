-- +goose Up
-- An Idempotency-Key's answer is now written in the transaction of its
-- request's work, so a key is never stored half done: the running state
-- goes. A claim left running by the old code holds no answer; forgetting
-- it lets its retry run (a purchase behind it has its own key).
DELETE FROM idempotency_keys WHERE state <> 'done';
ALTER TABLE idempotency_keys DROP COLUMN state;

-- +goose Down
ALTER TABLE idempotency_keys ADD COLUMN state TEXT NOT NULL DEFAULT 'done' CHECK (state IN ('running', 'done'));
