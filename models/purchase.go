package models

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"
)

// Channel is where a purchase happened.
type Channel string

const (
	ChannelInStore Channel = "in_store"
	ChannelOnline  Channel = "online"
)

// Purchase is a sale, of a member or anonymous (for the member versus
// non-member reports). Earned is what it credited; ClawedBack what its
// refunds took back.
type Purchase struct {
	ID             int64
	MerchantID     int64
	ProgramID      int64
	Kind           PurchaseKind `gorm:"default:sale"` // a sale, or a membership fee (models/membership.go)
	MemberID       *int64
	AccountID      *int64
	AmountMinor    int64
	RefundedMinor  int64
	Earned         int64
	ClawedBack     int64
	OrderRef       string
	Channel        Channel
	OccurredAt     time.Time
	IdempotencyKey string
	ActorName      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// EarliestPurchase bounds how far back a purchase that earns may be
// dated: before it is a typo (year 0001 from a zero time, 1926 for 2026).
var EarliestPurchase = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// EarliestPurchaseMessage is the refusal of a date before EarliestPurchase.
const EarliestPurchaseMessage = "A purchase cannot be dated before 2000."

// PurchaseInput is a purchase as a till or an integration sends it. The
// idempotency key makes a retry return the first result instead of
// crediting again.
type PurchaseInput struct {
	ProgramID      int64
	MemberID       int64 // 0 for an anonymous purchase
	Amount         string
	OrderRef       string
	Channel        Channel
	OccurredAt     time.Time // zero means now
	IdempotencyKey string
	// ConfirmedLarge says the person at the till confirmed an amount above
	// the program's large-purchase threshold.
	ConfirmedLarge bool
	// Read, which a caller that looked them up for the request passes on:
	// the transaction does not read them again (it would read them
	// without a lock just the same; the account lock orders purchases).
	Read ReadRows
}

// ReadRows are rows a request has read already; each one the transaction
// uses must be the scoped merchant's and the one the input names, else it
// is read again.
type ReadRows struct {
	Merchant *Merchant
	Program  *Program
	Member   *Member
}

func (r ReadRows) merchant(tx *gorm.DB) (*Merchant, error) {
	if id, ok := MerchantOf(tx); ok && r.Merchant != nil && r.Merchant.ID == id {
		return r.Merchant, nil
	}
	return GetMerchant(tx)
}

func (r ReadRows) program(tx *gorm.DB, m *Merchant, id int64) (*Program, error) {
	if r.Program != nil && r.Program.ID == id && r.Program.MerchantID == m.ID {
		return r.Program, nil
	}
	return GetProgram(tx, id)
}

// buyer is the member a purchase names, with what recording it needs.
type buyer struct {
	member  *Member
	account *Account // theirs in the purchase's program, locked; nil before their first activity there
	// purchaseID is reserved for the purchase on PostgreSQL, so that it
	// can go in with its first posting, one statement fewer; 0 elsewhere.
	purchaseID int64
}

// buyer reads the member a purchase names and locks their account.
// Unless the request read the member already, PostgreSQL gives both, and
// the purchase's id, in one statement.
func (r ReadRows) buyer(tx *gorm.DB, m *Merchant, programID, memberID int64) (buyer, error) {
	b := buyer{member: r.Member}
	if b.member == nil || b.member.ID != memberID || b.member.MerchantID != m.ID {
		if DialectOf(tx) == Postgres {
			return readBuyer(tx, m.ID, programID, memberID)
		}
		var err error
		if b.member, err = GetMember(tx, memberID); err != nil {
			return b, err
		}
	}
	var err error
	b.account, err = lockOpenAccount(tx, programID, memberID)
	return b, err
}

// buyerRow is a member with their account, each column prefixed, and a
// reserved purchase id.
type buyerRow struct {
	Member     Member  `gorm:"embedded;embeddedPrefix:m_"`
	Account    Account `gorm:"embedded;embeddedPrefix:a_"`
	PurchaseID int64
}

// buyerSQL reads a member (merchant, id) with their account in a program
// (merchant, program, member), locked as lockOpenAccount locks it, and
// reserves a purchase id: raw SQL, so it names its merchant itself.
var buyerSQL = sync.OnceValue(func() string {
	columns := func(model any, alias string) string {
		s, err := schema.Parse(model, &sync.Map{}, schema.NamingStrategy{})
		if err != nil {
			panic(fmt.Sprintf("purchase: parse %T: %v", model, err))
		}
		cols := make([]string, len(s.DBNames))
		for i, c := range s.DBNames {
			cols[i] = fmt.Sprintf("%s.%q AS %q", alias, c, alias+"_"+c)
		}
		return strings.Join(cols, ", ")
	}
	return "SELECT " + columns(&Member{}, "m") + ", " + columns(&Account{}, "a") +
		`, nextval(pg_get_serial_sequence('purchases', 'id')) AS purchase_id FROM members m
		LEFT JOIN LATERAL (SELECT * FROM accounts WHERE merchant_id = ? AND program_id = ? AND member_id = ? FOR UPDATE) a ON true
		WHERE m.merchant_id = ? AND m.id = ?`
})

func readBuyer(tx *gorm.DB, merchantID, programID, memberID int64) (buyer, error) {
	var rows []buyerRow
	if err := tx.Raw(buyerSQL(), merchantID, programID, memberID, merchantID, memberID).Find(&rows).Error; err != nil {
		return buyer{}, fmt.Errorf("purchase: member %d with account: %w", memberID, err)
	}
	if len(rows) == 0 {
		return buyer{}, Errorf(ENOTFOUND, "No such member.")
	}
	row := &rows[0]
	b := buyer{member: &row.Member, purchaseID: row.PurchaseID}
	if row.Account.ID != 0 { // else no account: the LEFT JOIN's columns are all NULL
		b.account = &row.Account
	}
	return b, nil
}

// FieldConfirmLarge is the field a purchase above its program's
// large-purchase threshold is refused on until it is confirmed.
const FieldConfirmLarge = "confirm_large"

// checkPurchaseLimits refuses an amount above the program's maximum, and
// one above its large-purchase threshold unless confirmed: a mistyped
// amount must not mint units.
func checkPurchaseLimits(p *Program, amount int64, currency string, confirmed bool) error {
	if amount > p.MaxPurchaseMinor {
		return fieldError("amount", fmt.Sprintf("%s takes purchases of at most %s %s. Check the amount; an owner can change the limit on the program's page.",
			p.Name, FormatMoney(p.MaxPurchaseMinor, currency), currency))
	}
	if amount > p.LargePurchaseMinor && !confirmed {
		msg := fmt.Sprintf("Record %s %s? That is more than usual.", FormatMoney(amount, currency), currency)
		return &Error{Code: EINVALID, Message: msg, Fields: map[string]string{FieldConfirmLarge: msg}}
	}
	return nil
}

// PurchaseResult is what recording a purchase did. Replayed is true when
// the key was seen before and nothing new was credited.
type PurchaseResult struct {
	Program   *Program
	Purchase  Purchase
	Breakdown EarnBreakdown
	Account   *Account
	Vouchers  []Voucher // a full stamp card issues its reward
	Replayed  bool
}

// RecordPurchase records a purchase and credits what the earn calculator
// gives, exactly once per idempotency key.
func RecordPurchase(db *gorm.DB, actor Actor, in PurchaseInput, now time.Time) (*PurchaseResult, error) {
	v := Validation{}
	in.IdempotencyKey = strings.TrimSpace(in.IdempotencyKey)
	v.Check(in.IdempotencyKey != "" && utf8.RuneCountInString(in.IdempotencyKey) <= 200, "idempotency_key",
		"Every purchase needs an idempotency key of at most 200 characters.")
	in.OrderRef = strings.TrimSpace(in.OrderRef)
	v.Check(utf8.RuneCountInString(in.OrderRef) <= 100, "order_ref", "Use at most 100 characters.")
	if in.Channel == "" {
		in.Channel = ChannelInStore
	}
	v.Check(in.Channel == ChannelInStore || in.Channel == ChannelOnline, "channel", "Choose in-store or online.")
	if in.OccurredAt.IsZero() {
		in.OccurredAt = now
	}
	v.Check(!in.OccurredAt.Before(EarliestPurchase), "occurred_at", EarliestPurchaseMessage)
	v.Check(!in.OccurredAt.After(now.Add(5*time.Minute)), "occurred_at", "A purchase cannot be in the future.")

	var res *PurchaseResult
	err := db.Transaction(func(tx *gorm.DB) error {
		m, err := in.Read.merchant(tx)
		if err != nil {
			return err
		}
		tx = withConfig(tx, m)
		// Another merchant's program is a 404 whatever else is wrong.
		p, err := in.Read.program(tx, m, in.ProgramID)
		if err != nil {
			return err
		}
		// So is another merchant's member.
		var b buyer
		if in.MemberID != 0 {
			if b, err = in.Read.buyer(tx, m, p.ID, in.MemberID); err != nil {
				return err
			}
		}
		amount := purchaseAmount(v, in.Amount, m.Currency)
		if err := v.Err(); err != nil {
			return err
		}
		if !p.TakesActivity() {
			return takesNoPurchases(p)
		}
		if err := checkPurchaseLimits(p, amount, m.Currency, in.ConfirmedLarge); err != nil {
			return err
		}
		purchase := Purchase{
			ID: b.purchaseID, Kind: PurchaseSale, ProgramID: p.ID, AmountMinor: amount, OrderRef: in.OrderRef, Channel: in.Channel,
			OccurredAt: in.OccurredAt.UTC(), IdempotencyKey: in.IdempotencyKey, ActorName: orSystem(actor.Name),
		}
		res = &PurchaseResult{Program: p}
		// What it earns goes in with the purchase, in one statement. A
		// blocked member is refused after the claim: a retry of what was
		// recorded before the block still gets the first answer.
		member, account := b.member, b.account
		if member != nil && !member.Blocked {
			if account, res.Breakdown, err = purchaseAccount(tx, m, p, member, account, &purchase, now); err != nil {
				return err
			}
			purchase.MemberID, purchase.AccountID, purchase.Earned = &member.ID, &account.ID, res.Breakdown.Total
		}
		credited := res.Breakdown.Multiplied > 0 || res.Breakdown.Bonus > 0
		// The key's row is claimed before anything is credited: a retry,
		// even one racing the first attempt, finds it taken and returns
		// the first result. With its id reserved, the purchase goes in
		// with its first posting instead, which a taken key fails whole.
		withPosting := purchase.ID != 0 && credited
		if !withPosting {
			claim := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&purchase)
			if claim.Error != nil {
				return fmt.Errorf("purchase: record: %w", claim.Error)
			}
			if claim.RowsAffected == 0 {
				res, err = replayPurchase(tx, in, p, amount)
				return err
			}
		}
		res.Purchase = purchase
		var balance *int64
		if member != nil {
			if member.Blocked {
				return blockedFromEarning(member)
			}
			if err := creditPurchase(tx, actor, m, p, member, account, &res.Purchase, !withPosting, res, now); err != nil {
				return err
			}
			balance = &res.Account.Balance
		}
		// The purchase's moment needs its rollups rebuilt; a credit of
		// its own posted now has marked that very moment for the member.
		if in.MemberID == 0 || !credited || !purchase.OccurredAt.Equal(now.UTC()) {
			if err := markRollup(tx, in.MemberID, purchase.OccurredAt); err != nil {
				return err
			}
		}
		return enqueueEvent(tx, EventPurchaseRecorded, purchaseEvent(&res.Purchase, m.Currency, balance), now)
	})
	if errors.Is(err, errPurchaseKeyTaken) {
		// The statement that found the key taken failed the transaction
		// (or its savepoint): the first result is read in another.
		p, amount := res.Program, res.Purchase.AmountMinor
		err = db.Transaction(func(tx *gorm.DB) error {
			res, err = replayPurchase(tx, in, p, amount)
			return err
		})
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// earnPurchase credits a member's purchase recorded already (a membership
// fee that earns): the calculator's units, the campaign bonus, and for
// stamps, a voucher per full card.
func earnPurchase(tx *gorm.DB, actor Actor, m *Merchant, p *Program, member *Member, pur *Purchase, res *PurchaseResult, now time.Time) error {
	if member.Blocked {
		return blockedFromEarning(member)
	}
	a, b, err := purchaseAccount(tx, m, p, member, nil, pur, now)
	if err != nil {
		return err
	}
	res.Breakdown = b
	pur.MemberID, pur.AccountID, pur.Earned = &member.ID, &a.ID, b.Total
	if err := tx.Model(pur).Updates(map[string]any{"member_id": member.ID, "account_id": a.ID, "earned": b.Total}).Error; err != nil {
		return fmt.Errorf("purchase: link account: %w", err)
	}
	return creditPurchase(tx, actor, m, p, member, a, pur, true, res, now)
}

// purchaseAccount says what the purchase earns on the member's account,
// locked already (a) or locked now, opened if need be.
func purchaseAccount(tx *gorm.DB, m *Merchant, p *Program, member *Member, a *Account, pur *Purchase, now time.Time) (*Account, EarnBreakdown, error) {
	if a == nil {
		var err error
		if a, err = lockAccount(tx, p.ID, member.ID, now); err != nil {
			return nil, EarnBreakdown{}, err
		}
	}
	b, err := purchaseEarn(tx, m, p, a, pur.AmountMinor, pur.OccurredAt)
	return a, b, err
}

// creditPurchase posts what a purchase linked to the locked account a
// earns (res.Breakdown), then moves the tier, fills stamp cards and pays
// a referral. The link comes first: on the spend and visits metrics the
// purchase counts towards its own promotion, even when it earns nothing.
// Unless recorded, the purchase goes in with the first posting.
func creditPurchase(tx *gorm.DB, actor Actor, m *Merchant, p *Program, member *Member, a *Account, pur *Purchase, recorded bool, res *PurchaseResult, now time.Time) error {
	b := res.Breakdown
	for _, part := range []struct {
		kind   EntryKind
		amount int64
		reason string
	}{
		{KindPurchaseEarn, b.Multiplied, "Purchase"},
		{KindCampaignBonus, b.Bonus, "Campaign bonus"},
	} {
		if part.amount <= 0 {
			continue
		}
		e := &LedgerEntry{Kind: part.kind, Amount: part.amount, Reason: part.reason, PurchaseID: &pur.ID,
			IdempotencyKey: key(fmt.Sprintf("purchase:%d:%s", pur.ID, part.kind))}
		if !recorded {
			e.records, recorded = pur, true
		}
		actorFields(e, actor)
		if err := credit(tx, a, p, e, now); err != nil {
			return err
		}
	}
	if err := promote(tx, a, p, m.Location(), now); err != nil {
		return err
	}
	var err error
	if p.Type == ProgramStamps {
		if res.Vouchers, err = fillStampCards(tx, actor, a, p, now); err != nil {
			return err
		}
	}
	if err := payReferral(tx, actor, m, p, member, a, pur, now); err != nil {
		return err
	}
	res.Account = a
	return nil
}

// purchaseAmount reads the amount paid: moneyField's message offers 0,
// which a purchase refuses, so one message says what is wanted.
func purchaseAmount(v Validation, s, currency string) int64 {
	msg := "Enter the amount paid, above 0, like 12.50."
	if c, _ := LookupCurrency(currency); c.MinorDigits == 0 {
		msg = "Enter the amount paid, a whole number above 0."
	}
	parsed := Validation{}
	amount := moneyField(parsed, "amount", s, currency, maxMoneyMinor)
	v.Check(len(parsed) == 0 && amount > 0, "amount", msg)
	return amount
}

func takesNoPurchases(p *Program) error {
	return Errorf(ECONFLICT, "%s is %s: it takes no purchases.", p.Name, p.Status)
}

func blockedFromEarning(m *Member) error {
	return Errorf(ECONFLICT, "%s is blocked and earns nothing. Unblock them first.", m.Name)
}

// purchaseEarn runs the calculator for a purchase on an account (nil for
// one not opened yet): its tier, the campaigns running at the purchase's
// moment. Recording and previewing both go through here, so a preview
// says exactly what the ledger will credit.
func purchaseEarn(tx *gorm.DB, m *Merchant, p *Program, a *Account, amountMinor int64, at time.Time) (EarnBreakdown, error) {
	var tier *Tier
	if a != nil && a.TierID != nil {
		ladder, err := ListTiers(tx, p.ID)
		if err != nil {
			return EarnBreakdown{}, err
		}
		if TierByID(ladder, a.TierID) == nil {
			return EarnBreakdown{}, Errorf(ENOTFOUND, "No such tier.")
		}
		b, err := accountBenefits(tx, a, p, ladder, at, m.Location())
		if err != nil {
			return EarnBreakdown{}, err
		}
		tier = b.Multiplier
	}
	campaigns, err := CampaignsRunningOn(tx, p.ID, at, m.Location())
	if err != nil {
		return EarnBreakdown{}, err
	}
	return CalculateEarn(EarnRequest{Program: p, Tier: tier, Campaigns: campaigns, AmountMinor: amountMinor,
		Currency: m.Currency, At: at, Location: m.Location()}), nil
}

// PreviewPurchase says what RecordPurchase would credit a member for a
// purchase of amount now, writing nothing: the same refusals in the same
// order, the account's tier and the campaigns running now.
func PreviewPurchase(db *gorm.DB, programID, memberID int64, amount string, now time.Time) (EarnBreakdown, error) {
	m, err := GetMerchant(db)
	if err != nil {
		return EarnBreakdown{}, err
	}
	v := Validation{}
	minor := purchaseAmount(v, amount, m.Currency)
	if err := v.Err(); err != nil {
		return EarnBreakdown{}, err
	}
	p, err := GetProgram(db, programID)
	if err != nil {
		return EarnBreakdown{}, err
	}
	if !p.TakesActivity() {
		return EarnBreakdown{}, takesNoPurchases(p)
	}
	// The maximum refuses here as it will there; the confirmation of a
	// large amount comes when it is recorded.
	if err := checkPurchaseLimits(p, minor, m.Currency, true); err != nil {
		return EarnBreakdown{}, err
	}
	member, err := GetMember(db, memberID)
	if err != nil {
		return EarnBreakdown{}, err
	}
	if member.Blocked {
		return EarnBreakdown{}, blockedFromEarning(member)
	}
	var as []Account
	if err := db.Where("program_id = ? AND member_id = ?", p.ID, member.ID).Limit(1).Find(&as).Error; err != nil {
		return EarnBreakdown{}, fmt.Errorf("purchase: preview account: %w", err)
	}
	var a *Account
	if len(as) == 1 {
		a = &as[0]
	}
	return purchaseEarn(db, m, p, a, minor, now.UTC())
}

// Receipt is what a recorded purchase did, read back from the ledger, so
// that a retry shows the first attempt's receipt.
type Receipt struct {
	Purchase Purchase
	Account  *Account // the member's account as it is now; nil for an anonymous sale
	// Entries are what the purchase posted to the account, in order: its
	// earnings, the debits of the stamp cards it filled, a referral welcome.
	Entries      []LedgerEntry
	Vouchers     []Voucher // the rewards of the stamp cards it filled
	BalanceAfter int64     // the balance right after the purchase
	PromotedTo   *int64    // the tier the purchase moved the account up to, while it is still there
}

// GetReceipt reads back one of the scoped merchant's purchases with what
// it posted. Its transaction held the account's lock, so whatever else it
// posted to the account follows its own entries directly, at the same
// moment: the stamp cards it filled (keyless debits) and a referral
// welcome.
func GetReceipt(db *gorm.DB, purchaseID int64) (*Receipt, error) {
	pur, err := GetPurchase(db, purchaseID)
	if err != nil {
		return nil, err
	}
	r := &Receipt{Purchase: *pur}
	if pur.AccountID == nil {
		return r, nil
	}
	var a Account
	if err := db.Take(&a, *pur.AccountID).Error; err != nil {
		return nil, fmt.Errorf("purchase: receipt account: %w", err)
	}
	r.Account, r.BalanceAfter = &a, a.Balance
	// By account first: no index leads with purchase_id, and an account's
	// entries are few.
	if err := db.Where("account_id = ? AND purchase_id = ?", a.ID, pur.ID).Order("id").Find(&r.Entries).Error; err != nil {
		return nil, fmt.Errorf("purchase: receipt entries: %w", err)
	}
	if len(r.Entries) == 0 {
		return r, nil // it earned nothing: below the minimum
	}
	at := r.Entries[0].CreatedAt
	var next []LedgerEntry
	if err := db.Where("account_id = ? AND id > ?", a.ID, r.Entries[len(r.Entries)-1].ID).Order("id").Limit(100).
		Find(&next).Error; err != nil {
		return nil, fmt.Errorf("purchase: receipt follow-ups: %w", err)
	}
	var voucherIDs []int64
	for _, e := range next {
		card := e.Kind == KindRedemption && e.VoucherID != nil && e.IdempotencyKey == nil
		welcome := e.Kind == KindRuleEarn && e.IdempotencyKey != nil && strings.HasPrefix(*e.IdempotencyKey, "referral:")
		if !e.CreatedAt.Equal(at) || e.PurchaseID != nil || !card && !welcome {
			break
		}
		r.Entries = append(r.Entries, e)
		if card {
			voucherIDs = append(voucherIDs, *e.VoucherID)
		}
	}
	r.BalanceAfter = r.Entries[len(r.Entries)-1].BalanceAfter
	if len(voucherIDs) > 0 {
		if err := db.Where("id IN ?", voucherIDs).Order("id").Find(&r.Vouchers).Error; err != nil {
			return nil, fmt.Errorf("purchase: receipt vouchers: %w", err)
		}
	}
	if a.TierID != nil && a.TierSince != nil && a.TierSince.Equal(at) {
		r.PromotedTo = a.TierID
	}
	return r, nil
}

// OrderKey is the idempotency key of a purchase with an order reference:
// one order is one purchase, whether the web shop sent it through the API
// or it came again in a history import.
func OrderKey(ref string) string { return orderKeyPrefix + ref }

const orderKeyPrefix = "order:"

// IsOrderKey tells whether a purchase key is an order reference's.
func IsOrderKey(key string) bool { return strings.HasPrefix(key, orderKeyPrefix) }

// replayPurchase answers a retry with the first result, refusing a key
// reused for a different purchase.
func replayPurchase(tx *gorm.DB, in PurchaseInput, p *Program, amount int64) (*PurchaseResult, error) {
	var first Purchase
	if err := tx.Where("idempotency_key = ?", in.IdempotencyKey).Take(&first).Error; err != nil {
		return nil, fmt.Errorf("purchase: replay: %w", err)
	}
	sameMember := (first.MemberID == nil && in.MemberID == 0) || (first.MemberID != nil && *first.MemberID == in.MemberID)
	if first.Kind != PurchaseSale || first.ProgramID != in.ProgramID || first.AmountMinor != amount || !sameMember {
		return nil, Errorf(ECONFLICT, "This idempotency key was already used for a different purchase.")
	}
	res := &PurchaseResult{Program: p, Purchase: first, Replayed: true}
	res.Breakdown.Total = first.Earned
	if first.AccountID != nil {
		var a Account
		if err := tx.Take(&a, *first.AccountID).Error; err != nil {
			return nil, fmt.Errorf("purchase: replay account: %w", err)
		}
		res.Account = &a
	}
	return res, nil
}

// GetPurchase loads one of the scoped merchant's purchases.
func GetPurchase(db *gorm.DB, id int64) (*Purchase, error) {
	var p Purchase
	if err := db.Take(&p, id).Error; err != nil {
		return nil, notFound(err, "No such purchase.", "purchase: get %d", id)
	}
	return &p, nil
}

// Refund is one refund of a purchase, once per idempotency key: the key
// is claimed here, so a retry is refused even when the refund clawed
// nothing back and left no entry in the ledger.
type Refund struct {
	ID             int64
	MerchantID     int64
	PurchaseID     int64
	AmountMinor    int64
	ClawedBack     int64
	IdempotencyKey string
	ActorName      string
	CreatedAt      time.Time
}

// RefundsDirectly tells whether the purchase is refunded on its own: a
// membership fee is refunded only by cancelling the membership, so that
// the tier it paid for ends with the money.
func (p *Purchase) RefundsDirectly() bool { return p.Kind != PurchaseMembership }

// RefundPurchase records a full or partial refund and claws back the
// purchase's units in proportion. The clawback is the one entry that may
// take a balance below zero; later earnings pay it back first. A refund's
// idempotency key is used once: a retry is refused.
func RefundPurchase(db *gorm.DB, actor Actor, purchaseID int64, amount, idempotencyKey string, now time.Time) (*Purchase, error) {
	return refundPurchase(db, actor, purchaseID, PurchaseSale, amount, idempotencyKey, now)
}

// refundPurchase refunds a purchase of the kind the caller refunds:
// sales through RefundPurchase, fees through CancelMembership.
func refundPurchase(db *gorm.DB, actor Actor, purchaseID int64, kind PurchaseKind, amount, idempotencyKey string, now time.Time) (*Purchase, error) {
	var pur *Purchase
	err := db.Transaction(func(tx *gorm.DB) error {
		m, err := GetMerchant(tx)
		if err != nil {
			return err
		}
		if pur, err = GetPurchase(tx.Clauses(clause.Locking{Strength: "UPDATE"}), purchaseID); err != nil {
			return err
		}
		if pur.Kind != kind {
			return Errorf(EINVALID, "A membership fee is refunded by cancelling the membership on the member's page, so that the tier ends with it.")
		}
		// A retry is told it was recorded, even when what is left to
		// refund no longer allows its amount (a full refund retried).
		var used int64
		if err := tx.Model(&Refund{}).Where("idempotency_key = ?", strings.TrimSpace(idempotencyKey)).Count(&used).Error; err != nil {
			return fmt.Errorf("refund: check key: %w", err)
		}
		if used > 0 {
			return Errorf(ECONFLICT, "This refund was already recorded.")
		}
		v := Validation{}
		refund := moneyField(Validation{}, "amount", amount, m.Currency, maxMoneyMinor) // one message below says what is wanted
		left := pur.AmountMinor - pur.RefundedMinor
		v.Check(refund > 0 && refund <= left, "amount",
			fmt.Sprintf("Enter an amount above 0 and at most the %s %s not yet refunded.", FormatMoney(left, m.Currency), m.Currency))
		v.Check(strings.TrimSpace(idempotencyKey) != "", "idempotency_key", "Every refund needs an idempotency key.")
		if err := v.Err(); err != nil {
			return err
		}
		refunded := pur.RefundedMinor + refund
		clawback := refundClawback(pur.Earned, pur.AmountMinor, refunded, pur.ClawedBack)
		if pur.AccountID == nil {
			clawback = 0
		}
		k := strings.TrimSpace(idempotencyKey)
		claim := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&Refund{PurchaseID: pur.ID, AmountMinor: refund,
			ClawedBack: max(clawback, 0), IdempotencyKey: k, ActorName: orSystem(actor.Name), CreatedAt: now.UTC()})
		if claim.Error != nil {
			return fmt.Errorf("refund: record: %w", claim.Error)
		}
		if claim.RowsAffected == 0 {
			return Errorf(ECONFLICT, "This refund was already recorded.")
		}
		var balance *int64
		if clawback > 0 {
			a, err := lockAccount(tx, pur.ProgramID, *pur.MemberID, now)
			if err != nil {
				return err
			}
			e := &LedgerEntry{Kind: KindRefundClawback, Amount: -clawback, Reason: "Refund", PurchaseID: &pur.ID,
				IdempotencyKey: key("refund:" + k)}
			actorFields(e, actor)
			if err := post(tx, a, e, now); err != nil {
				if errors.Is(err, errAlreadyPosted) {
					return Errorf(ECONFLICT, "This refund was already recorded.")
				}
				return err
			}
			balance = &a.Balance
		}
		pur.RefundedMinor, pur.ClawedBack = refunded, pur.ClawedBack+max(clawback, 0)
		// Revenue is net of refunds on the purchase's own day, and in
		// the member's spend.
		var buyer int64
		if pur.MemberID != nil {
			buyer = *pur.MemberID
		}
		if err := markRollup(tx, buyer, pur.OccurredAt); err != nil {
			return err
		}
		if err := tx.Model(pur).Updates(map[string]any{"refunded_minor": pur.RefundedMinor, "clawed_back": pur.ClawedBack}).Error; err != nil {
			return fmt.Errorf("refund: record on purchase: %w", err)
		}
		ev := purchaseEvent(pur, m.Currency, balance)
		ev.RefundAmount, ev.PointsClawedBack = refund, max(clawback, 0)
		return enqueueEvent(tx, EventPurchaseRefunded, ev, now)
	})
	if err != nil {
		return nil, err
	}
	return pur, nil
}

// refundClawback is what all refunds so far (refunded of amount) should
// have taken of what the purchase earned, minus what earlier refunds took:
// proportional, rounded so that a full refund takes exactly everything.
// Big integers: earned times refunded overflows 64 bits on the largest
// purchases.
func refundClawback(earned, amount, refunded, clawedBack int64) int64 {
	if amount <= 0 {
		return 0
	}
	owed := new(big.Int).Mul(big.NewInt(earned), big.NewInt(refunded))
	owed.Quo(owed, big.NewInt(amount))
	return clampInt64(owed.Sub(owed, big.NewInt(clawedBack)))
}

// ListAccountPurchases returns the latest purchases credited to some
// accounts (a member's), newest first.
func ListAccountPurchases(db *gorm.DB, accountIDs []int64, limit int) ([]Purchase, error) {
	if len(accountIDs) == 0 {
		return nil, nil
	}
	var ps []Purchase
	if err := db.Where("account_id IN ?", accountIDs).Order("occurred_at DESC, id DESC").Limit(limit).Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("purchase: list: %w", err)
	}
	return ps, nil
}
