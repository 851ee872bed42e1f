package models

import (
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// EntryKind is what moved a balance.
type EntryKind string

const (
	KindPurchaseEarn     EntryKind = "purchase_earn"
	KindRuleEarn         EntryKind = "rule_earn"
	KindCampaignBonus    EntryKind = "campaign_bonus"
	KindManualCredit     EntryKind = "manual_credit"
	KindManualDebit      EntryKind = "manual_debit"
	KindRedemption       EntryKind = "redemption"
	KindRedemptionCancel EntryKind = "redemption_cancel"
	KindRefundClawback   EntryKind = "refund_clawback"
	KindExpiry           EntryKind = "expiry"
	KindOpeningBalance   EntryKind = "opening_balance"
	KindRecognition      EntryKind = "recognition"
)

// earns reports whether an entry of this kind is newly earned value: it
// counts towards tiers and expires under the program's policy. A cancelled
// redemption gives back what was spent; it is not new.
func (k EntryKind) earns() bool {
	switch k {
	case KindPurchaseEarn, KindRuleEarn, KindCampaignBonus, KindManualCredit, KindOpeningBalance, KindRecognition:
		return true
	}
	return false
}

// Account is one member's balance in one program. Balance always equals
// the sum of the account's ledger entries: it changes only in the same
// transaction that appends an entry, under a lock on this row.
type Account struct {
	ID             int64
	MerchantID     int64
	ProgramID      int64
	MemberID       int64
	Balance        int64
	LifetimeEarned int64
	TierID         *int64
	TierSince      *time.Time
	LastActivityAt *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// LedgerEntry is one change to one balance. Entries are never updated or
// deleted (the database refuses); a mistake is corrected by a new entry
// whose CorrectsID points at it.
type LedgerEntry struct {
	ID             int64
	MerchantID     int64
	ProgramID      int64
	AccountID      int64
	MemberID       int64
	Kind           EntryKind
	Amount         int64
	BalanceAfter   int64
	ExpiresAt      *time.Time
	ActorUserID    *int64
	ActorName      string
	Reason         string
	Note           string
	PurchaseID     *int64
	VoucherID      *int64
	CorrectsID     *int64
	IdempotencyKey *string
	CreatedAt      time.Time

	// passive marks an entry the member did nothing for (a birthday
	// treat): like an expiry, it is not activity, so it does not keep an
	// account alive under an inactivity policy. Not stored.
	passive bool
	// records is the purchase, its id reserved, that goes in with this
	// entry, in its one statement on PostgreSQL. Not stored.
	records *Purchase
}

// TierChange is one step of an account's tier history.
type TierChange struct {
	ID         int64
	MerchantID int64
	AccountID  int64
	FromTierID *int64
	ToTierID   *int64
	Reason     string
	CreatedAt  time.Time
}

// lockAccount returns the member's account in a program, creating it if
// needed, locked for the rest of the transaction: every posting to an
// account goes through this lock, which is what keeps concurrent
// redemptions from overspending.
func lockAccount(tx *gorm.DB, programID, memberID int64, now time.Time) (*Account, error) {
	a, err := lockOpenAccount(tx, programID, memberID)
	if err != nil || a != nil {
		return a, err
	}
	// First activity in this program: open the account. Two first
	// activities at once both insert; the loser's insert does nothing and
	// both then lock the one row.
	opened := now.UTC()
	fresh := &Account{ProgramID: programID, MemberID: memberID, LastActivityAt: &opened}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(fresh).Error; err != nil {
		return nil, fmt.Errorf("ledger: open account: %w", err)
	}
	if a, err = lockOpenAccount(tx, programID, memberID); err != nil || a == nil {
		return nil, fmt.Errorf("ledger: lock new account: %w", err)
	}
	return a, nil
}

// lockOpenAccount locks the member's account in a program if they have
// one; nil if not.
func lockOpenAccount(tx *gorm.DB, programID, memberID int64) (*Account, error) {
	var as []Account
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("program_id = ? AND member_id = ?", programID, memberID).Limit(1).Find(&as).Error
	if err != nil {
		return nil, fmt.Errorf("ledger: lock account: %w", err)
	}
	if len(as) == 0 {
		return nil, nil
	}
	return &as[0], nil
}

// post appends e to the locked account a and moves its balance with it.
func post(tx *gorm.DB, a *Account, e *LedgerEntry, now time.Time) error {
	now = now.UTC() // stored in UTC, as GORM stores its own times: SQLite compares them as text
	e.ProgramID, e.AccountID, e.MemberID = a.ProgramID, a.ID, a.MemberID
	e.CreatedAt = now
	wraps := func(total int64) bool { return addClamped(total, e.Amount) != total+e.Amount }
	if wraps(a.Balance) || e.Kind.earns() && wraps(a.LifetimeEarned) {
		return Errorf(ECONFLICT, "This would take the balance beyond what can be stored; nothing was recorded.")
	}
	a.Balance += e.Amount
	if e.Kind.earns() {
		a.LifetimeEarned += e.Amount
	}
	e.BalanceAfter = a.Balance
	activity := e.Kind != KindExpiry && !e.passive // lapsing is not something the member did
	if activity {
		a.LastActivityAt = &now
	}
	writes := []func(*gorm.DB) *gorm.DB{
		func(tx *gorm.DB) *gorm.DB { return tx.Create(e) },
		func(tx *gorm.DB) *gorm.DB { return tx.Create(&RollupMark{MemberID: &a.MemberID, At: now}) },
		func(tx *gorm.DB) *gorm.DB {
			return tx.Model(a).Updates(map[string]any{
				"balance": a.Balance, "lifetime_earned": a.LifetimeEarned, "last_activity_at": a.LastActivityAt,
			})
		},
	}
	if activity {
		writes = append(writes, func(tx *gorm.DB) *gorm.DB {
			return tx.Model(&Member{}).Where("id = ?", a.MemberID).Update("last_activity_at", now)
		})
	}
	if e.records != nil {
		writes = append(writes, func(tx *gorm.DB) *gorm.DB { return tx.Create(e.records) })
	}
	err := postWrites(tx, e, writes)
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		if e.records != nil { // its entry's key holds the purchase's fresh id: the purchase's key is taken
			return errPurchaseKeyTaken
		}
		return errAlreadyPosted
	}
	if err != nil {
		return fmt.Errorf("ledger: post %s: %w", e.Kind, err)
	}
	return nil
}

// postWrites sends a posting's writes, the entry's first: as one
// statement on PostgreSQL, one by one on SQLite (in process, where a
// statement costs no round trip, and whose WITH cannot hold writes).
func postWrites(tx *gorm.DB, e *LedgerEntry, writes []func(*gorm.DB) *gorm.DB) error {
	if DialectOf(tx) != Postgres {
		for _, w := range writes {
			if err := w(tx).Error; err != nil {
				return err
			}
		}
		return nil
	}
	parts := make([]dryWrite, len(writes))
	for i, w := range writes {
		var err error
		if parts[i], err = dry(tx, w); err != nil {
			return err
		}
	}
	return oneStatement(tx, &e.ID, parts...)
}

// errAlreadyPosted is what an idempotency key that was used before gives.
var errAlreadyPosted = Errorf(ECONFLICT, "This was already recorded.")

// errPurchaseKeyTaken is what a purchase that went in with its posting
// gives when its idempotency key was used before: RecordPurchase replays
// the first.
var errPurchaseKeyTaken = errors.New("purchase: idempotency key taken")

// expiryFor is when value earned now lapses under the program's policy;
// nil when it does not expire by itself.
func expiryFor(p *Program, now time.Time) *time.Time {
	if p.ExpiryPolicy != ExpireAfterEarning || p.ExpiryMonths <= 0 {
		return nil
	}
	t := now.AddDate(0, int(p.ExpiryMonths), 0).UTC()
	return &t
}

// credit posts newly earned value with its expiry. Callers re-check the
// tier once they have credited everything (promote).
func credit(tx *gorm.DB, a *Account, p *Program, e *LedgerEntry, now time.Time) error {
	e.ExpiresAt = expiryFor(p, now)
	return post(tx, a, e, now)
}

func actorFields(e *LedgerEntry, actor Actor) {
	e.ActorName = orSystem(actor.Name)
	if actor.UserID != 0 {
		id := actor.UserID
		e.ActorUserID = &id
	}
}

func key(s string) *string { return &s }

// payEnrolment pays the sign-up bonus of every active program to a new
// member, once each.
func payEnrolment(tx *gorm.DB, actor Actor, m *Member, now time.Time) error {
	var programs []Program
	if err := tx.Where("status = ? AND sign_up_bonus > 0", StatusActive).Find(&programs).Error; err != nil {
		return fmt.Errorf("ledger: programs for sign-up: %w", err)
	}
	if len(programs) == 0 {
		return nil
	}
	merchant, err := GetMerchant(tx)
	if err != nil {
		return err
	}
	for i := range programs {
		p := &programs[i]
		a, err := lockAccount(tx, p.ID, m.ID, now)
		if err != nil {
			return err
		}
		e := &LedgerEntry{Kind: KindRuleEarn, Amount: p.SignUpBonus, Reason: "Sign-up bonus",
			IdempotencyKey: key(fmt.Sprintf("signup:%d:%d", p.ID, m.ID))}
		actorFields(e, actor)
		if err := credit(tx, a, p, e, now); err != nil {
			return err
		}
		if err := promote(tx, a, p, merchant.Location(), now); err != nil {
			return err
		}
	}
	return nil
}

// opening is the first balance of a member who has no account in the
// program yet.
type opening struct {
	memberID, amount int64
	note, key        string
}

// openAccounts opens many accounts at once, each with its first entry, for
// an import. The entry is its account's only one, so the balance is its
// amount (ledger rule 2, docs/ledger.md) and the tier is the one that amount reaches, as promote
// would find for a new account.
func openAccounts(tx *gorm.DB, p *Program, actor Actor, openings []opening, now time.Time) error {
	if len(openings) == 0 {
		return nil
	}
	ladder, err := ListTiers(tx, p.ID)
	if err != nil {
		return err
	}
	now = now.UTC()
	accounts := make([]Account, len(openings))
	for i, o := range openings {
		a := &accounts[i]
		a.ProgramID, a.MemberID, a.Balance, a.LifetimeEarned, a.LastActivityAt = p.ID, o.memberID, o.amount, o.amount, &now
		value := int64(0)
		if p.tiersOnEarning() {
			value = o.amount
		}
		if t := earnedTierFor(ladder, value); t != nil {
			a.TierID, a.TierSince = &t.ID, &now
		}
	}
	if err := tx.Create(&accounts).Error; err != nil {
		return fmt.Errorf("ledger: open accounts: %w", err)
	}
	entries := make([]LedgerEntry, len(openings))
	var changes []TierChange
	for i, o := range openings {
		a := &accounts[i]
		e := &entries[i]
		*e = LedgerEntry{ProgramID: p.ID, AccountID: a.ID, MemberID: a.MemberID, Kind: KindOpeningBalance,
			Amount: o.amount, BalanceAfter: o.amount, ExpiresAt: expiryFor(p, now), Reason: "Opening balance",
			Note: o.note, IdempotencyKey: key(o.key), CreatedAt: now}
		actorFields(e, actor)
		if a.TierID != nil {
			changes = append(changes, TierChange{AccountID: a.ID, ToTierID: a.TierID, Reason: "promoted", CreatedAt: now})
		}
	}
	if err := tx.Create(&entries).Error; err != nil {
		return fmt.Errorf("ledger: post opening balances: %w", err)
	}
	if err := markRollup(tx, 0, now); err != nil {
		return err
	}
	if len(changes) > 0 {
		if err := tx.Create(&changes).Error; err != nil {
			return fmt.Errorf("tier: history: %w", err)
		}
	}
	return nil
}

// ListAccounts returns a member's accounts.
func ListAccounts(db *gorm.DB, memberID int64) ([]Account, error) {
	var as []Account
	if err := db.Where("member_id = ?", memberID).Order("program_id").Find(&as).Error; err != nil {
		return nil, fmt.Errorf("ledger: accounts: %w", err)
	}
	return as, nil
}

// ListEntries returns a member's ledger, newest first, a page at a time
// (entries before beforeID; 0 for the newest).
func ListEntries(db *gorm.DB, memberID, beforeID int64, limit int) ([]LedgerEntry, error) {
	q := db.Where("member_id = ?", memberID).Order("id DESC").Limit(limit)
	if beforeID != 0 {
		q = q.Where("id < ?", beforeID)
	}
	var es []LedgerEntry
	if err := q.Find(&es).Error; err != nil {
		return nil, fmt.Errorf("ledger: entries: %w", err)
	}
	return es, nil
}

// Imbalance is an account whose stored balance differs from its ledger:
// a member's account (Ledger "points") or a user's kudos account
// (Ledger "kudos").
type Imbalance struct {
	MerchantID int64
	Ledger     string
	AccountID  int64
	Balance    int64
	LedgerSum  int64
}

// VerifyBalances checks ledger rule 2 (docs/ledger.md) for every account
// of every merchant, and for every kudos account: the stored balance
// equals the sum of the account's entries. It returns the accounts that
// break it.
func VerifyBalances(db *gorm.DB) ([]Imbalance, error) {
	var bad []Imbalance
	err := db.Raw(`SELECT * FROM (
		SELECT a.merchant_id, 'points' AS ledger, a.id AS account_id, a.balance, COALESCE(SUM(e.amount), 0) AS ledger_sum
		FROM accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id
		GROUP BY a.merchant_id, a.id, a.balance
		HAVING a.balance <> COALESCE(SUM(e.amount), 0)
		UNION ALL
		SELECT k.merchant_id, 'kudos' AS ledger, k.id AS account_id, k.balance, COALESCE(SUM(e.amount), 0) AS ledger_sum
		FROM kudos_accounts k LEFT JOIN kudos_entries e ON e.account_id = k.id
		GROUP BY k.merchant_id, k.id, k.balance
		HAVING k.balance <> COALESCE(SUM(e.amount), 0)
	) bad ORDER BY ledger DESC, account_id`).Scan(&bad).Error
	if err != nil {
		return nil, fmt.Errorf("ledger: verify: %w", err)
	}
	return bad, nil
}
