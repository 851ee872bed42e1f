package models

import (
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Paid membership: a member's hold on a paid tier for a period. The fee is
// a purchase of kind PurchaseMembership (so the refund path and receipts
// serve it, and the reports leave it out of product revenue); holding the
// tier is the account's tier_id, as for an earned tier, so every reader of
// tiers sees it; the membership row says until when.

// PurchaseKind tells product sales from membership fees.
type PurchaseKind string

const (
	PurchaseSale       PurchaseKind = "sale"
	PurchaseMembership PurchaseKind = "membership"
)

// productSales narrows a query on purchases to product sales: a
// membership fee is revenue, but not a visit, spend towards a tier or
// product revenue in the reports.
const productSales = "kind = 'sale'"

// MembershipStatus is where a membership stands.
type MembershipStatus string

const (
	MembershipActive    MembershipStatus = "active"
	MembershipLapsed    MembershipStatus = "lapsed"    // the daily job ended it past its end and grace
	MembershipCancelled MembershipStatus = "cancelled" // a manager ended it
)

// Membership is an account's hold on a paid tier. One per account: a
// lapsed or cancelled one starts again when sold again. EndsAt is
// AnchoredAt plus Months in the merchant's zone; counting months from one
// anchor keeps a 31 January membership on the last day of short months
// without drifting to the 28th after February.
type Membership struct {
	ID          int64
	MerchantID  int64
	ProgramID   int64
	AccountID   int64
	MemberID    int64
	TierID      int64
	Status      MembershipStatus
	Since       time.Time // the start of this unbroken hold
	AnchoredAt  time.Time
	Months      int64
	EndsAt      time.Time
	CancelAtEnd bool
	EndedAt     *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// MembershipPeriod is what one fee paid for: its purchase and the stretch
// of time it bought, which a pro rata refund measures.
type MembershipPeriod struct {
	ID           int64
	MerchantID   int64
	MembershipID int64
	PurchaseID   int64
	StartsAt     time.Time
	EndsAt       time.Time
	CreatedAt    time.Time
}

// Active reports whether the membership still holds its tier (in its
// grace days too: the daily job ends it after them).
func (ms *Membership) Active() bool { return ms != nil && ms.Status == MembershipActive }

// AddMonths is t plus n calendar months at the same wall-clock time in
// loc. A day the month lacks falls on its last day: 31 January plus one
// month is 28 February (29th in a leap year). Wall-clock arithmetic keeps
// a period ending at the hour it began across a DST change.
func AddMonths(t time.Time, n int64, loc *time.Location) time.Time {
	l := t.In(loc)
	y, m, d := l.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, loc)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), loc)
}

// LapsesAt is when the daily job ends a membership: at its end when it
// was cancelled for then, else its end plus the tier's days of grace, as
// local days (a DST change makes one of them 23 or 25 hours).
func (ms *Membership) LapsesAt(t *Tier, loc *time.Location) time.Time {
	if ms.CancelAtEnd || t == nil {
		return ms.EndsAt
	}
	return ms.EndsAt.In(loc).AddDate(0, 0, int(t.GraceDays))
}

// renew extends an active membership by months from where it ends, so a
// renewal before the end (or in the grace days) loses nothing; start
// begins a new hold now. Both return where the new stretch starts.
func (ms *Membership) renew(months int64, loc *time.Location) time.Time {
	from := ms.EndsAt
	ms.Months += months
	ms.EndsAt = AddMonths(ms.AnchoredAt, ms.Months, loc).UTC()
	ms.CancelAtEnd = false
	return from
}

func (ms *Membership) start(t *Tier, now time.Time, loc *time.Location) time.Time {
	now = now.UTC()
	ms.TierID, ms.Status, ms.Since, ms.AnchoredAt, ms.Months = t.ID, MembershipActive, now, now, t.PeriodMonths
	ms.EndsAt = AddMonths(now, t.PeriodMonths, loc).UTC()
	ms.CancelAtEnd, ms.EndedAt = false, nil
	return now
}

// TierBenefits is what an account's tiers give it. While a paid tier is
// held the member keeps the earned tier their value reaches too, and the
// better of each benefit applies: the higher multiplier (the paid tier's
// on a tie), the higher discount, free shipping from either.
type TierBenefits struct {
	Held       *Tier // the account's tier: the paid one while a membership holds it
	Earned     *Tier // the earned tier its value reaches beside a paid one; nil without one
	Multiplier *Tier // the tier whose earn multiplier applies; nil for none
	Discount   *Tier // the tier whose discount applies; nil for none
	Shipping   bool  // free shipping from either
}

// EffectiveTier is the one rule for which tier's benefits apply: the earn
// calculator, the member page and the till all read it.
func EffectiveTier(held, earned *Tier) TierBenefits {
	b := TierBenefits{Held: held, Multiplier: held, Discount: held}
	if held == nil || !held.Paid || earned == nil || earned.ID == held.ID {
		b.Shipping = held != nil && held.FreeShipping
		return b
	}
	b.Earned = earned
	if earned.EarnMultiplierMilli > held.EarnMultiplierMilli {
		b.Multiplier = earned
	}
	if earned.DiscountBasisPoints > held.DiscountBasisPoints {
		b.Discount = earned
	}
	b.Shipping = held.FreeShipping || earned.FreeShipping
	return b
}

// Perks are the perks of the tiers that apply, the held one first.
func (b TierBenefits) Perks() []string {
	var out []string
	for _, t := range []*Tier{b.Held, b.Earned} {
		if t != nil && t.Perks != "" {
			out = append(out, t.Perks)
		}
	}
	return out
}

// earnedTier is the earned tier an account's value reaches: where a
// lapse puts it, and what stands beside a paid tier. A calendar year
// counts the better of last year and this, as the downgrade does.
func earnedTier(tx *gorm.DB, a *Account, p *Program, ladder []Tier, now time.Time, loc *time.Location) (*Tier, error) {
	value := a.LifetimeEarned
	if !p.tierValueStored() {
		var err error
		if value, err = standingValue(tx, a, p, now, loc, false); err != nil {
			return nil, err
		}
	}
	return earnedTierFor(ladder, value), nil
}

// accountBenefits reads what a's tiers give it in p at now.
func accountBenefits(tx *gorm.DB, a *Account, p *Program, ladder []Tier, now time.Time, loc *time.Location) (TierBenefits, error) {
	held := TierByID(ladder, a.TierID)
	if held == nil || !held.Paid || a.ID == 0 {
		return EffectiveTier(held, nil), nil
	}
	earned, err := earnedTier(tx, a, p, ladder, now, loc)
	if err != nil {
		return TierBenefits{}, err
	}
	return EffectiveTier(held, earned), nil
}

// MembershipSale is a sale or renewal as the till or member page sends it.
type MembershipSale struct {
	ProgramID      int64
	MemberID       int64
	TierID         int64
	IdempotencyKey string
}

// MembershipResult is what a sale did. Replayed is true when the key was
// seen before and nothing new was sold.
type MembershipResult struct {
	Membership Membership
	Tier       *Tier
	Purchase   Purchase
	Renewed    bool // it extended a membership that was still held
	Replayed   bool
}

// SellMembership takes a paid tier's fee from a member and gives them the
// tier: from now to the end of its period, or, while they hold it still,
// for another period from where it ends. Exactly once per idempotency
// key: the fee's purchase row claims the key first, as a purchase does.
func SellMembership(db *gorm.DB, actor Actor, in MembershipSale, now time.Time) (*MembershipResult, error) {
	in.IdempotencyKey = strings.TrimSpace(in.IdempotencyKey)
	if in.IdempotencyKey == "" || utf8.RuneCountInString(in.IdempotencyKey) > 200 {
		return nil, fieldError("idempotency_key", "Every sale needs an idempotency key of at most 200 characters.")
	}
	var res *MembershipResult
	err := db.Transaction(func(tx *gorm.DB) error {
		m, err := GetMerchant(tx)
		if err != nil {
			return err
		}
		p, err := GetProgram(tx, in.ProgramID)
		if err != nil {
			return err
		}
		if !p.TakesActivity() {
			return Errorf(ECONFLICT, "%s is %s: it sells no membership.", p.Name, p.Status)
		}
		t, err := GetTier(tx, p.ID, in.TierID)
		if err != nil {
			return err
		}
		if !t.Paid {
			return fieldError("tier_id", fmt.Sprintf("%s is reached by earning, not sold. Choose a paid tier.", t.Name))
		}
		member, err := GetMember(tx, in.MemberID)
		if err != nil {
			return err
		}
		if member.Blocked {
			return Errorf(ECONFLICT, "%s is blocked. Unblock them before selling a membership.", member.Name)
		}
		pur := Purchase{
			Kind: PurchaseMembership, ProgramID: p.ID, AmountMinor: t.FeeMinor, Channel: ChannelInStore,
			OccurredAt: now.UTC(), IdempotencyKey: in.IdempotencyKey, ActorName: orSystem(actor.Name),
		}
		claim := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&pur)
		if claim.Error != nil {
			return fmt.Errorf("membership: record fee: %w", claim.Error)
		}
		if claim.RowsAffected == 0 {
			res, err = replayMembershipSale(tx, in, t)
			return err
		}
		res = &MembershipResult{Tier: t, Purchase: pur}
		return sellTo(tx, actor, m, p, t, member, &res.Purchase, res, now)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// sellTo gives the member the tier the fee pur paid for, under their
// account's lock, which the daily job's lapse takes too: whichever comes
// second sees what the first did.
func sellTo(tx *gorm.DB, actor Actor, m *Merchant, p *Program, t *Tier, member *Member, pur *Purchase, res *MembershipResult, now time.Time) error {
	loc := m.Location()
	a, err := lockAccount(tx, p.ID, member.ID, now)
	if err != nil {
		return err
	}
	ms, found, err := lockMembership(tx, a.ID)
	if err != nil {
		return err
	}
	before := *ms
	var from time.Time
	switch {
	case ms.Active() && ms.TierID != t.ID:
		held, err := GetTier(tx, p.ID, ms.TierID)
		if err != nil {
			return err
		}
		return Errorf(ECONFLICT, "%s holds %s until %s. Cancel it before selling %s.",
			member.Name, held.Name, ms.EndsAt.In(loc).Format(dateLayout), t.Name)
	case ms.Active():
		from, res.Renewed = ms.renew(t.PeriodMonths, loc), true
	default:
		ms.ProgramID, ms.AccountID, ms.MemberID = p.ID, a.ID, member.ID
		from = ms.start(t, now, loc)
	}
	var save *gorm.DB
	if found {
		save = tx.Save(ms)
	} else {
		save = tx.Create(ms)
	}
	if save.Error != nil {
		return fmt.Errorf("membership: save: %w", save.Error)
	}
	if err := tx.Create(&MembershipPeriod{MembershipID: ms.ID, PurchaseID: pur.ID, StartsAt: from.UTC(), EndsAt: ms.EndsAt, CreatedAt: now.UTC()}).Error; err != nil {
		return fmt.Errorf("membership: period: %w", err)
	}
	if a.TierID == nil || *a.TierID != t.ID {
		if err := moveTier(tx, a, t, "joined", now); err != nil {
			return err
		}
	}
	res.Membership = *ms
	if t.FeeEarns {
		// The fee earns as a purchase does, at the tier it just bought.
		if err := earnPurchase(tx, actor, m, p, member, pur, &PurchaseResult{}, now); err != nil {
			return err
		}
	} else {
		pur.MemberID, pur.AccountID = &member.ID, &a.ID
		if err := tx.Model(pur).Updates(map[string]any{"member_id": member.ID, "account_id": a.ID}).Error; err != nil {
			return fmt.Errorf("membership: link fee: %w", err)
		}
	}
	action, summary := "sell", "Sold %s to %s until %s"
	if res.Renewed {
		action, summary = "renew", "Renewed %s for %s until %s"
	}
	return recordAudit(tx, actor, action, "membership", ms.ID,
		fmt.Sprintf(summary, t.Name, member.Name, ms.EndsAt.In(loc).Format(dateLayout)), before, ms)
}

// lockMembership reads an account's membership for update; a fresh one
// (found false) when it has none. The account's lock is held already.
func lockMembership(tx *gorm.DB, accountID int64) (*Membership, bool, error) {
	var ms []Membership
	if err := tx.Clauses(lockingClause).Where("account_id = ?", accountID).Limit(1).Find(&ms).Error; err != nil {
		return nil, false, fmt.Errorf("membership: lock: %w", err)
	}
	if len(ms) == 0 {
		return &Membership{}, false, nil
	}
	return &ms[0], true, nil
}

// replayMembershipSale answers a retry with the first sale, refusing a key
// used for something else.
func replayMembershipSale(tx *gorm.DB, in MembershipSale, t *Tier) (*MembershipResult, error) {
	var first Purchase
	if err := tx.Where("idempotency_key = ?", in.IdempotencyKey).Take(&first).Error; err != nil {
		return nil, fmt.Errorf("membership: replay: %w", err)
	}
	if first.Kind != PurchaseMembership || first.ProgramID != in.ProgramID || first.MemberID == nil || *first.MemberID != in.MemberID {
		return nil, Errorf(ECONFLICT, "This idempotency key was already used for something else.")
	}
	res := &MembershipResult{Tier: t, Purchase: first, Replayed: true}
	if first.AccountID == nil {
		return nil, fmt.Errorf("membership: replay: fee %d has no account", first.ID)
	}
	if err := tx.Where("account_id = ?", *first.AccountID).Take(&res.Membership).Error; err != nil {
		return nil, fmt.Errorf("membership: replay membership: %w", err)
	}
	return res, nil
}

// GetMembership loads one of the scoped merchant's memberships.
func GetMembership(db *gorm.DB, id int64) (*Membership, error) {
	var ms Membership
	if err := db.Take(&ms, id).Error; err != nil {
		return nil, notFound(err, "No such membership.", "membership: get %d", id)
	}
	return &ms, nil
}

// MembershipOf is an account's membership; nil for none.
func MembershipOf(db *gorm.DB, accountID int64) (*Membership, error) {
	if accountID == 0 {
		return nil, nil
	}
	var ms []Membership
	if err := db.Where("account_id = ?", accountID).Limit(1).Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("membership: of account: %w", err)
	}
	if len(ms) == 0 {
		return nil, nil
	}
	return &ms[0], nil
}

// lapseMemberships is the daily job's part: it ends the program's
// memberships past their end and grace (or their end, when cancelled for
// then) and puts each member back in the earned tier their value
// reaches. An ended membership is no longer active, so a rerun changes
// nothing; each is re-read under its account's lock, so one renewed in
// the meantime is left as the renewal made it.
func lapseMemberships(tx *gorm.DB, m *Merchant, p *Program, now time.Time, rep *DailyReport) error {
	var candidates []Membership
	if err := tx.Where("program_id = ? AND status = ? AND ends_at <= ?", p.ID, MembershipActive, now.UTC()).
		Order("id").Find(&candidates).Error; err != nil {
		return fmt.Errorf("lapse: memberships: %w", err)
	}
	if len(candidates) == 0 {
		return nil
	}
	ladder, err := ListTiers(tx, p.ID)
	if err != nil {
		return err
	}
	loc := m.Location()
	for _, c := range candidates {
		a, err := lockAccount(tx, p.ID, c.MemberID, now)
		if err != nil {
			return err
		}
		ms, found, err := lockMembership(tx, a.ID)
		if err != nil {
			return err
		}
		if !found || !ms.Active() || now.Before(ms.LapsesAt(TierByID(ladder, &ms.TierID), loc)) {
			continue
		}
		status := MembershipLapsed
		if ms.CancelAtEnd {
			status = MembershipCancelled
		}
		if err := endMembership(tx, a, p, ms, ladder, status, "lapsed", now, loc); err != nil {
			return err
		}
		rep.Lapsed++
	}
	return nil
}

// endMembership ends an active membership and, while the account still
// holds its tier, moves it to the earned tier its value reaches.
func endMembership(tx *gorm.DB, a *Account, p *Program, ms *Membership, ladder []Tier, status MembershipStatus, reason string, now time.Time, loc *time.Location) error {
	ended := now.UTC()
	ms.Status, ms.EndedAt = status, &ended
	if ended.Before(ms.EndsAt) {
		ms.EndsAt = ended
	}
	if err := tx.Model(ms).Updates(map[string]any{"status": ms.Status, "ended_at": ended, "ends_at": ms.EndsAt}).Error; err != nil {
		return fmt.Errorf("membership: end: %w", err)
	}
	if a.TierID == nil || *a.TierID != ms.TierID {
		return nil
	}
	target, err := earnedTier(tx, a, p, ladder, now, loc)
	if err != nil {
		return err
	}
	return moveTier(tx, a, target, reason, now)
}

// Refund choices when a membership is cancelled.
const (
	RefundNone     = "none"
	RefundFull     = "full"
	RefundProRata  = "prorata"
	CancelNow      = "now"
	CancelAtPeriod = "end"
)

// MembershipCancel is a manager's cancellation as the member page sends it.
type MembershipCancel struct {
	When           string // CancelNow or CancelAtPeriod
	Refund         string // RefundNone, RefundFull or RefundProRata
	IdempotencyKey string
}

// CancelResult is what a cancellation did.
type CancelResult struct {
	Membership    Membership
	RefundedMinor int64
}

// CancelMembership ends a membership at once or at its period's end. A
// cancellation at once may refund the fees in full or for the time not
// used (pro rata), each through RefundPurchase, so the purchase records
// and their refunds say what was paid back.
func CancelMembership(db *gorm.DB, actor Actor, membershipID int64, in MembershipCancel, now time.Time) (*CancelResult, error) {
	v := Validation{}
	v.Check(in.When == CancelNow || in.When == CancelAtPeriod, "when", "Choose at once or at the period's end.")
	v.Check(in.Refund == RefundNone || in.Refund == RefundFull || in.Refund == RefundProRata, "refund", "Choose no refund, in full or pro rata.")
	v.Check(in.When != CancelAtPeriod || in.Refund == RefundNone, "refund",
		"A membership cancelled at its period's end is used to the end: cancel it at once to refund it.")
	in.IdempotencyKey = strings.TrimSpace(in.IdempotencyKey)
	v.Check(in.IdempotencyKey != "" && utf8.RuneCountInString(in.IdempotencyKey) <= 200, "idempotency_key",
		"Every cancellation needs an idempotency key of at most 200 characters.")
	if err := v.Err(); err != nil {
		return nil, err
	}
	res := &CancelResult{}
	err := db.Transaction(func(tx *gorm.DB) error {
		m, err := GetMerchant(tx)
		if err != nil {
			return err
		}
		found, err := GetMembership(tx, membershipID)
		if err != nil {
			return err
		}
		p, err := GetProgram(tx, found.ProgramID)
		if err != nil {
			return err
		}
		a, err := lockAccount(tx, p.ID, found.MemberID, now)
		if err != nil {
			return err
		}
		ms, _, err := lockMembership(tx, a.ID)
		if err != nil {
			return err
		}
		if !ms.Active() {
			return Errorf(ECONFLICT, "This membership has ended already.")
		}
		before := *ms
		ladder, err := ListTiers(tx, p.ID)
		if err != nil {
			return err
		}
		loc := m.Location()
		summary := "Cancelled at the period's end"
		if in.When == CancelAtPeriod {
			ms.CancelAtEnd = true
			if err := tx.Model(ms).Update("cancel_at_end", true).Error; err != nil {
				return fmt.Errorf("membership: cancel at end: %w", err)
			}
		} else {
			summary = "Cancelled at once"
			if err := endMembership(tx, a, p, ms, ladder, MembershipCancelled, "cancelled", now, loc); err != nil {
				return err
			}
			if res.RefundedMinor, err = refundMembership(tx, actor, m, ms, in, now); err != nil {
				return err
			}
			if res.RefundedMinor > 0 {
				summary += fmt.Sprintf(", refunded %s %s", FormatMoney(res.RefundedMinor, m.Currency), m.Currency)
			}
		}
		res.Membership = *ms
		return recordAudit(tx, actor, "cancel", "membership", ms.ID, summary, before, ms)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// refundMembership refunds the fees of a membership just cancelled: each
// period's fee in full, or the share of it after the cancellation (all of
// a period not begun, none of one over), less what was refunded before.
func refundMembership(tx *gorm.DB, actor Actor, m *Merchant, ms *Membership, in MembershipCancel, now time.Time) (int64, error) {
	if in.Refund == RefundNone {
		return 0, nil
	}
	var periods []MembershipPeriod
	if err := tx.Where("membership_id = ? AND starts_at >= ?", ms.ID, ms.Since.UTC()).Order("id").Find(&periods).Error; err != nil {
		return 0, fmt.Errorf("membership: periods: %w", err)
	}
	var total int64
	for _, per := range periods {
		pur, err := GetPurchase(tx, per.PurchaseID)
		if err != nil {
			return 0, err
		}
		owed := pur.AmountMinor
		if in.Refund == RefundProRata {
			owed = proRata(pur.AmountMinor, per.StartsAt, per.EndsAt, now)
		}
		owed -= pur.RefundedMinor
		if owed <= 0 {
			continue
		}
		k := fmt.Sprintf("%s:period:%d", in.IdempotencyKey, per.ID)
		if _, err := refundPurchase(tx, actor, pur.ID, PurchaseMembership, FormatMoney(owed, m.Currency), k, now); err != nil {
			return 0, err
		}
		total += owed
	}
	return total, nil
}

// proRata is the share of fee for the part of [start, end) after cut,
// rounded down: the refund never pays back more than the unused time.
func proRata(fee int64, start, end, cut time.Time) int64 {
	if !cut.After(start) {
		return fee
	}
	if !cut.Before(end) {
		return 0
	}
	left := new(big.Int).Mul(big.NewInt(fee), big.NewInt(int64(end.Sub(cut))))
	return left.Quo(left, big.NewInt(int64(end.Sub(start)))).Int64()
}

// EndingMembership is a membership on the renewal list, with its holder.
type EndingMembership struct {
	Membership Membership
	Member     Member
	Tier       Tier
}

// MaxEndingDays bounds how far ahead the renewal list looks.
const MaxEndingDays = 366

// ListMembershipsEnding lists the active memberships that end within
// days from now (and those in their grace days already), soonest first,
// for staff to offer renewal; at most limit.
func ListMembershipsEnding(db *gorm.DB, days int, now time.Time, limit int) ([]EndingMembership, error) {
	var ms []Membership
	if err := db.Where("status = ? AND ends_at <= ?", MembershipActive, now.AddDate(0, 0, days).UTC()).
		Order("ends_at, id").Limit(limit).Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("membership: ending: %w", err)
	}
	if len(ms) == 0 {
		return nil, nil
	}
	var memberIDs, tierIDs []int64
	for _, x := range ms {
		memberIDs, tierIDs = append(memberIDs, x.MemberID), append(tierIDs, x.TierID)
	}
	var members []Member
	if err := db.Where("id IN ?", memberIDs).Find(&members).Error; err != nil {
		return nil, fmt.Errorf("membership: ending members: %w", err)
	}
	var tiers []Tier
	if err := db.Where("id IN ?", tierIDs).Find(&tiers).Error; err != nil {
		return nil, fmt.Errorf("membership: ending tiers: %w", err)
	}
	byMember := make(map[int64]Member, len(members))
	for _, x := range members {
		byMember[x.ID] = x
	}
	byTier := make(map[int64]Tier, len(tiers))
	for _, x := range tiers {
		byTier[x.ID] = x
	}
	out := make([]EndingMembership, 0, len(ms))
	for _, x := range ms {
		out = append(out, EndingMembership{Membership: x, Member: byMember[x.MemberID], Tier: byTier[x.TierID]})
	}
	return out, nil
}

// PaidTiers keeps the paid tiers of a ladder: what a membership sells.
func PaidTiers(ladder []Tier) []Tier {
	var out []Tier
	for _, t := range ladder {
		if t.Paid {
			out = append(out, t)
		}
	}
	return out
}
