package models

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
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
}

// PurchaseResult is what recording a purchase did. Replayed is true when
// the key was seen before and nothing new was credited.
type PurchaseResult struct {
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
	v.Check(!in.OccurredAt.After(now.Add(5*time.Minute)), "occurred_at", "A purchase cannot be in the future.")

	var res *PurchaseResult
	err := db.Transaction(func(tx *gorm.DB) error {
		m, err := GetMerchant(tx)
		if err != nil {
			return err
		}
		amount := moneyField(v, "amount", in.Amount, m.Currency, maxMoneyMinor)
		v.Check(amount > 0, "amount", "Enter an amount above 0.")
		if err := v.Err(); err != nil {
			return err
		}
		p, err := GetProgram(tx, in.ProgramID)
		if err != nil {
			return err
		}
		if !p.TakesActivity() {
			return Errorf(ECONFLICT, "%s is %s: it takes no purchases.", p.Name, p.Status)
		}
		purchase := Purchase{
			ProgramID: p.ID, AmountMinor: amount, OrderRef: in.OrderRef, Channel: in.Channel,
			OccurredAt: in.OccurredAt.UTC(), IdempotencyKey: in.IdempotencyKey, ActorName: orSystem(actor.Name),
		}
		// The key's row is claimed first: a retry, even one racing the
		// first attempt, finds it taken and returns the first result.
		claim := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&purchase)
		if claim.Error != nil {
			return fmt.Errorf("purchase: record: %w", claim.Error)
		}
		if claim.RowsAffected == 0 {
			res, err = replayPurchase(tx, in, amount)
			return err
		}
		res = &PurchaseResult{Purchase: purchase}
		if in.MemberID == 0 {
			return nil
		}
		return earnPurchase(tx, actor, m, p, in.MemberID, &res.Purchase, res, now)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func orSystem(name string) string {
	if name == "" {
		return "system"
	}
	return name
}

// earnPurchase credits a member's purchase: the calculator's units, the
// campaign bonus, and for stamps, a voucher per full card.
func earnPurchase(tx *gorm.DB, actor Actor, m *Merchant, p *Program, memberID int64, pur *Purchase, res *PurchaseResult, now time.Time) error {
	member, err := GetMember(tx, memberID)
	if err != nil {
		return err
	}
	if member.Blocked {
		return Errorf(ECONFLICT, "%s is blocked and earns nothing. Unblock them first.", member.Name)
	}
	a, err := lockAccount(tx, p.ID, member.ID, now)
	if err != nil {
		return err
	}
	var tier *Tier
	if a.TierID != nil {
		if tier, err = GetTier(tx, p.ID, *a.TierID); err != nil {
			return err
		}
	}
	campaigns, err := CampaignsRunningOn(tx, p.ID, pur.OccurredAt, m.Location())
	if err != nil {
		return err
	}
	b := CalculateEarn(EarnRequest{Program: p, Tier: tier, Campaigns: campaigns, AmountMinor: pur.AmountMinor,
		Currency: m.Currency, At: pur.OccurredAt, Location: m.Location()})
	res.Breakdown = b
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
		actorFields(e, actor)
		if err := credit(tx, a, p, e, now); err != nil {
			return err
		}
	}
	pur.MemberID, pur.AccountID, pur.Earned = &member.ID, &a.ID, b.Total
	if err := tx.Model(pur).Updates(map[string]any{"member_id": member.ID, "account_id": a.ID, "earned": b.Total}).Error; err != nil {
		return fmt.Errorf("purchase: link account: %w", err)
	}
	if p.Type == ProgramStamps {
		if res.Vouchers, err = fillStampCards(tx, actor, a, p, now); err != nil {
			return err
		}
	}
	if err := payReferral(tx, actor, m, p, member, pur, now); err != nil {
		return err
	}
	res.Account = a
	return nil
}

// replayPurchase answers a retry with the first result, refusing a key
// reused for a different purchase.
func replayPurchase(tx *gorm.DB, in PurchaseInput, amount int64) (*PurchaseResult, error) {
	var first Purchase
	if err := tx.Where("idempotency_key = ?", in.IdempotencyKey).Take(&first).Error; err != nil {
		return nil, fmt.Errorf("purchase: replay: %w", err)
	}
	sameMember := (first.MemberID == nil && in.MemberID == 0) || (first.MemberID != nil && *first.MemberID == in.MemberID)
	if first.ProgramID != in.ProgramID || first.AmountMinor != amount || !sameMember {
		return nil, Errorf(ECONFLICT, "This idempotency key was already used for a different purchase.")
	}
	res := &PurchaseResult{Purchase: first, Replayed: true}
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
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, Errorf(ENOTFOUND, "No such purchase.")
		}
		return nil, fmt.Errorf("purchase: get %d: %w", id, err)
	}
	return &p, nil
}

// RefundPurchase records a full or partial refund and claws back the
// purchase's units in proportion. The clawback is the one entry that may
// take a balance below zero; later earnings pay it back first.
func RefundPurchase(db *gorm.DB, actor Actor, purchaseID int64, amount, idempotencyKey string, now time.Time) (*Purchase, error) {
	var pur *Purchase
	err := db.Transaction(func(tx *gorm.DB) error {
		m, err := GetMerchant(tx)
		if err != nil {
			return err
		}
		if pur, err = GetPurchase(tx.Clauses(clause.Locking{Strength: "UPDATE"}), purchaseID); err != nil {
			return err
		}
		v := Validation{}
		refund := moneyField(v, "amount", amount, m.Currency, maxMoneyMinor)
		left := pur.AmountMinor - pur.RefundedMinor
		v.Check(refund > 0 && refund <= left, "amount",
			fmt.Sprintf("Enter an amount above 0 and at most the %s %s not yet refunded.", FormatMoney(left, m.Currency), m.Currency))
		v.Check(strings.TrimSpace(idempotencyKey) != "", "idempotency_key", "Every refund needs an idempotency key.")
		if err := v.Err(); err != nil {
			return err
		}
		refunded := pur.RefundedMinor + refund
		// What all refunds so far should have taken, minus what earlier
		// refunds took: proportional, rounded so that a full refund takes
		// exactly everything.
		owed := pur.Earned * refunded / pur.AmountMinor
		clawback := owed - pur.ClawedBack
		if clawback > 0 && pur.AccountID != nil {
			a, err := lockAccount(tx, pur.ProgramID, *pur.MemberID, now)
			if err != nil {
				return err
			}
			e := &LedgerEntry{Kind: KindRefundClawback, Amount: -clawback, Reason: "Refund", PurchaseID: &pur.ID,
				IdempotencyKey: key("refund:" + strings.TrimSpace(idempotencyKey))}
			actorFields(e, actor)
			if err := post(tx, a, e, now); err != nil {
				if errors.Is(err, errAlreadyPosted) {
					return Errorf(ECONFLICT, "This refund was already recorded.")
				}
				return err
			}
		}
		pur.RefundedMinor, pur.ClawedBack = refunded, pur.ClawedBack+max(clawback, 0)
		return tx.Model(pur).Updates(map[string]any{"refunded_minor": pur.RefundedMinor, "clawed_back": pur.ClawedBack}).Error
	})
	if err != nil {
		return nil, err
	}
	return pur, nil
}
