-- The raw purchase: the least a purchase must do, run by pgbench beside
-- the app's paths in BenchmarkPurchaseThroughput (make bench). Lock the
-- member's account, move its balance, append the ledger entry. The
-- benchmark sets merchant, program, earned and the members' id range.
\set member random(:first_member, :last_member)
BEGIN;
SELECT id AS account_id, balance + :earned AS balance FROM accounts
	WHERE merchant_id = :merchant AND program_id = :program AND member_id = :member FOR UPDATE \gset
UPDATE accounts SET balance = :balance, lifetime_earned = lifetime_earned + :earned, last_activity_at = now(), updated_at = now()
	WHERE merchant_id = :merchant AND id = :account_id;
INSERT INTO ledger_entries (merchant_id, program_id, account_id, member_id, kind, amount, balance_after,
		actor_name, reason, idempotency_key, created_at)
	VALUES (:merchant, :program, :account_id, :member, 'purchase_earn', :earned, :balance,
		'Benchmark', 'Purchase', 'pgbench:' || txid_current(), now());
END;
