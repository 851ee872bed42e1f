-- The model's purchase: the transaction models.RecordPurchase sends for a
-- member's purchase on PostgreSQL, statement for statement as PostgreSQL
-- logs it (log_statement = all), run by pgbench beside the app's paths in
-- BenchmarkPurchaseThroughput (make bench). What the model's SQL costs by
-- itself, without Go: the model path's × sql is the model against this.
-- Read the merchant; read the member with their account, locked, and
-- reserve the purchase's id; then, in one statement, the ledger entry, the
-- rollup mark, the balance, the member's last activity and the purchase.
-- The benchmark sets merchant, program, earned, amount and the members'
-- id range. (pgbench reads a colon and a word as a variable, inside quotes
-- too: hence chr(58).)
\set member random(:first_member, :last_member)
BEGIN;
SELECT * FROM merchants WHERE merchants.id = :merchant LIMIT 1;
SELECT m.*, a.id AS account_id, a.balance + :earned AS balance, a.lifetime_earned + :earned AS lifetime,
		nextval(pg_get_serial_sequence('purchases', 'id')) AS purchase_id FROM members m
	LEFT JOIN LATERAL (SELECT * FROM accounts WHERE merchant_id = :merchant AND program_id = :program AND member_id = :member FOR UPDATE) a ON true
	WHERE m.merchant_id = :merchant AND m.id = :member \gset
WITH w0 AS (INSERT INTO ledger_entries (merchant_id, program_id, account_id, member_id, kind, amount, balance_after, expires_at,
			actor_user_id, actor_name, reason, note, purchase_id, voucher_id, corrects_id, idempotency_key, created_at)
		VALUES (:merchant, :program, :account_id, :member, 'purchase_earn', :earned, :balance, NULL,
			NULL, 'Benchmark', 'Purchase', '', :purchase_id, NULL, NULL,
			'purchase' || chr(58) || CAST(:purchase_id AS text) || chr(58) || 'purchase_earn', now()) RETURNING id),
	w1 AS (INSERT INTO rollup_marks (merchant_id, member_id, at) VALUES (:merchant, :member, now()) RETURNING id),
	w2 AS (UPDATE accounts SET balance = :balance, last_activity_at = now(), lifetime_earned = :lifetime, updated_at = now()
		WHERE merchant_id = :merchant AND id = :account_id),
	w3 AS (UPDATE members SET last_activity_at = now(), updated_at = now() WHERE merchant_id = :merchant AND id = :member),
	w4 AS (INSERT INTO purchases (merchant_id, program_id, kind, member_id, account_id, amount_minor, refunded_minor, earned,
			clawed_back, order_ref, channel, occurred_at, idempotency_key, actor_name, created_at, updated_at, id)
		VALUES (:merchant, :program, 'sale', :member, :account_id, :amount, 0, :earned,
			0, '', 'in_store', now(), 'pgbench' || chr(58) || CAST(:purchase_id AS text), 'Benchmark', now(), now(), :purchase_id) RETURNING id)
	SELECT * FROM w0;
END;
