package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SeedOptions size a deterministic demo and benchmark data set.
type SeedOptions struct {
	Members          int
	EntriesPerMember int
	Now              time.Time
}

// SeedReport says what Seed made.
type SeedReport struct {
	MerchantID, ProgramID int64
	OwnerEmail            string
	Members, Entries      int64
}

// SeedPassword is the seeded owner's password, printed by `regulars seed`.
const SeedPassword = "seed-password-123"

// Seed creates a merchant with an active points program, three tiers, and
// opts.Members members each with opts.EntriesPerMember ledger entries,
// generated in the database with set-based SQL so a million members take
// minutes, not hours. The same options always give the same data.
func Seed(ctx context.Context, db *gorm.DB, opts SeedOptions) (*SeedReport, error) {
	if opts.Members < 1 || opts.EntriesPerMember < 0 {
		return nil, Errorf(EINVALID, "Seed at least one member.")
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now().UTC()
	}
	var n int64
	if err := CrossTenant(db.WithContext(ctx)).Model(&Merchant{}).Count(&n).Error; err != nil {
		return nil, fmt.Errorf("seed: count merchants: %w", err)
	}
	email := fmt.Sprintf("owner%d@seed.example", n+1)
	_, owner, err := SignUp(ctx, db, SignUpInput{
		MerchantInput: MerchantInput{Name: "Seed Coffee", Currency: "EUR", TimeZone: "Europe/Paris"},
		OwnerName:     "Seed Owner", Email: email, Password: SeedPassword,
	})
	if err != nil {
		return nil, fmt.Errorf("seed: sign up: %w", err)
	}
	scoped := ForMerchant(db.WithContext(ctx), owner.MerchantID)
	actor := ActorOf(owner)
	p, err := CreateProgram(scoped, actor, ProgramInput{Name: "Coffee Club", Type: "points", EarnRate: "1", Status: "active",
		TierWindow: string(WindowRolling12)})
	if err != nil {
		return nil, fmt.Errorf("seed: program: %w", err)
	}
	for i, t := range []TierInput{
		{Name: "Bronze", Position: "1", Threshold: "0", EarnMultiplier: "1", Color: "#b08d57"},
		{Name: "Silver", Position: "2", Threshold: "500", EarnMultiplier: "1.25", Color: "#a8a9ad"},
		{Name: "Gold", Position: "3", Threshold: "1500", EarnMultiplier: "1.5", Color: "#d4af37"},
	} {
		if _, err := CreateTier(scoped, actor, p.ID, t); err != nil {
			return nil, fmt.Errorf("seed: tier %d: %w", i+1, err)
		}
	}
	rep := &SeedReport{MerchantID: owner.MerchantID, ProgramID: p.ID, OwnerEmail: email}
	err = CrossTenant(db.WithContext(ctx)).Transaction(func(tx *gorm.DB) error {
		for _, q := range seedStatements(DialectOf(tx)) {
			if err := tx.Exec(q, seedArgs(rep, opts)...).Error; err != nil {
				return fmt.Errorf("seed: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Fresh statistics, or the planner guesses from an empty table and
	// scans ten million rows for one account's entries.
	if err := db.WithContext(ctx).Exec("ANALYZE").Error; err != nil {
		return nil, fmt.Errorf("seed: analyze: %w", err)
	}
	rep.Members, rep.Entries = int64(opts.Members), int64(opts.Members*opts.EntriesPerMember)
	return rep, nil
}

// seedArgs are the named parameters every seed statement takes.
func seedArgs(rep *SeedReport, opts SeedOptions) []any {
	return []any{map[string]any{
		"merchant": rep.MerchantID, "program": rep.ProgramID, "members": opts.Members,
		"entries": opts.EntriesPerMember, "now": opts.Now,
	}}
}

func seedStatements(d Dialect) []string {
	pad9, pad7 := "substr('000000000' || g.n, -9)", "substr('0000000' || g.n, -7)"
	// A seeded name is three ASCII words, so its folded key is lower(name)
	// and its terms start at the first, second and third word.
	second := "substr(name_key, instr(name_key, ' ') + 1)"
	third := "substr(" + second + ", instr(" + second + ", ' ') + 1)"
	if d == Postgres {
		pad9, pad7 = "lpad(g.n::text, 9, '0')", "lpad(g.n::text, 7, '0')"
		second = "split_part(name_key, ' ', 2) || ' ' || split_part(name_key, ' ', 3)"
		third = "split_part(name_key, ' ', 3)"
	}
	// Names cycle through first and last names so prefix searches hit a
	// realistic spread; card codes and phones are unique by construction.
	return []string{
		`WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < @members),
		named AS (SELECT g.n, CASE g.n % 8 WHEN 0 THEN 'Ada' WHEN 1 THEN 'Ben' WHEN 2 THEN 'Cleo' WHEN 3 THEN 'Dev'
				WHEN 4 THEN 'Eve' WHEN 5 THEN 'Finn' WHEN 6 THEN 'Gus' ELSE 'Hana' END || ' ' ||
			CASE (g.n / 8) % 8 WHEN 0 THEN 'Smith' WHEN 1 THEN 'Jones' WHEN 2 THEN 'Brown' WHEN 3 THEN 'Garcia'
				WHEN 4 THEN 'Martin' WHEN 5 THEN 'Dubois' WHEN 6 THEN 'Rossi' ELSE 'Novak' END || ' ' || g.n AS name,
			` + pad9 + ` AS national, ` + pad7 + ` AS card FROM g)
		INSERT INTO members (merchant_id, name, name_key, email, phone, phone_national, card_code, marketing_opt_in, blocked,
			last_activity_at, created_at, updated_at)
		SELECT @merchant, g.name, lower(g.name), 'member' || g.n || '@seed.example', '33' || g.national, g.national, 'S' || g.card,
			g.n % 3 = 0, FALSE, @now, @now, @now
		FROM named g`,
		`INSERT INTO member_search_terms (merchant_id, member_id, term, name_key)
		SELECT merchant_id, id, name_key, name_key FROM members WHERE merchant_id = @merchant
		UNION ALL SELECT merchant_id, id, ` + second + `, name_key FROM members WHERE merchant_id = @merchant
		UNION ALL SELECT merchant_id, id, ` + third + `, name_key FROM members WHERE merchant_id = @merchant`,
		`INSERT INTO accounts (merchant_id, program_id, member_id, balance, lifetime_earned, last_activity_at, created_at, updated_at)
		SELECT merchant_id, @program, id, 0, 0, @now, @now, @now FROM members WHERE merchant_id = @merchant`,
		`WITH RECURSIVE k(n) AS (SELECT 1 WHERE @entries > 0 UNION ALL SELECT n + 1 FROM k WHERE n < @entries)
		INSERT INTO ledger_entries (merchant_id, program_id, account_id, member_id, kind, amount, balance_after, actor_name, reason, created_at)
		SELECT a.merchant_id, a.program_id, a.id, a.member_id, 'purchase_earn', 5 + (a.id * 7 + k.n * 13) % 40,
			SUM(5 + (a.id * 7 + k.n * 13) % 40) OVER (PARTITION BY a.id ORDER BY k.n), 'seed', 'Seed purchase', @now
		FROM accounts a CROSS JOIN k WHERE a.merchant_id = @merchant AND a.program_id = @program`,
		`UPDATE accounts SET
			balance = COALESCE((SELECT SUM(e.amount) FROM ledger_entries e WHERE e.account_id = accounts.id), 0),
			lifetime_earned = COALESCE((SELECT SUM(e.amount) FROM ledger_entries e WHERE e.account_id = accounts.id), 0)
		WHERE merchant_id = @merchant AND program_id = @program`,
		// Everyone sits in the tier their points reach, as promotion would
		// have put them.
		`UPDATE accounts SET tier_id = (SELECT t.id FROM tiers t WHERE t.program_id = accounts.program_id AND NOT t.paid
				AND t.threshold <= accounts.lifetime_earned ORDER BY t.position DESC LIMIT 1), tier_since = @now
		WHERE merchant_id = @merchant AND program_id = @program`,
	}
}
