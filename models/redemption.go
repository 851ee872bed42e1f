package models

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// VoucherLifetime is how long an issued voucher can be used.
const VoucherLifetime = 90 * 24 * time.Hour

// VoucherStatus is where a voucher is in its life.
type VoucherStatus string

const (
	VoucherIssued    VoucherStatus = "issued"
	VoucherUsed      VoucherStatus = "used"
	VoucherCancelled VoucherStatus = "cancelled"
)

// Voucher is what a redemption issues: a unique code that staff mark used,
// or cancel to give the units back.
type Voucher struct {
	ID         int64
	MerchantID int64
	ProgramID  int64
	AccountID  int64
	MemberID   int64
	RewardID   int64
	Code       string
	Cost       int64
	Status     VoucherStatus
	ExpiresAt  *time.Time
	UsedAt     *time.Time
	ClosedBy   string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Expired reports whether an issued voucher can no longer be used.
func (v *Voucher) Expired(now time.Time) bool {
	return v.Status == VoucherIssued && v.ExpiresAt != nil && !now.Before(*v.ExpiresAt)
}

// RedeemInput asks to spend a member's balance on a reward.
type RedeemInput struct {
	MemberID       int64
	ProgramID      int64
	RewardID       int64
	IdempotencyKey string
}

// Redeem checks balance, tier, stock, the per-member limit and the
// reward's dates, then debits, takes stock and issues a voucher, all in
// one transaction under the account's lock: however many arrive at once,
// the balance never goes below zero and stock never below nothing.
func Redeem(db *gorm.DB, actor Actor, in RedeemInput, now time.Time) (*Voucher, error) {
	var voucher *Voucher
	err := db.Transaction(func(tx *gorm.DB) error {
		m, err := GetMerchant(tx)
		if err != nil {
			return err
		}
		member, p, err := activeMemberProgram(tx, in.MemberID, in.ProgramID)
		if err != nil {
			return err
		}
		a, err := lockAccount(tx, p.ID, member.ID, now)
		if err != nil {
			return err
		}
		reward, err := GetReward(tx.Clauses(clause.Locking{Strength: "UPDATE"}), p.ID, in.RewardID)
		if err != nil {
			return err
		}
		if err := redeemable(tx, a, reward, now.In(m.Location()).Format(dateLayout)); err != nil {
			return err
		}
		voucher, err = issueVoucher(tx, actor, a, reward, KindRedemption, strings.TrimSpace(in.IdempotencyKey), now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return voucher, nil
}

// activeMemberProgram loads a member who may redeem or earn in a program
// that takes activity.
func activeMemberProgram(tx *gorm.DB, memberID, programID int64) (*Member, *Program, error) {
	member, err := GetMember(tx, memberID)
	if err != nil {
		return nil, nil, err
	}
	if member.Blocked {
		return nil, nil, Errorf(ECONFLICT, "%s is blocked. Unblock them first.", member.Name)
	}
	p, err := GetProgram(tx, programID)
	if err != nil {
		return nil, nil, err
	}
	if !p.TakesActivity() {
		return nil, nil, Errorf(ECONFLICT, "%s is %s: it takes no activity.", p.Name, p.Status)
	}
	return member, p, nil
}

// redeemable says why a locked account cannot have a reward, if it cannot
// (StandingFor, with the ladder and count it needs read from tx).
func redeemable(tx *gorm.DB, a *Account, r *Reward, today string) error {
	var ladder []Tier
	if r.MinTierID != nil {
		var err error
		if ladder, err = ListTiers(tx, r.ProgramID); err != nil {
			return err
		}
	}
	var redeemed int64
	if r.PerMemberLimit != nil {
		counts, err := RedeemedCounts(tx, a.MemberID, []int64{r.ID})
		if err != nil {
			return fmt.Errorf("redeem: %w", err)
		}
		redeemed = counts[r.ID]
	}
	return StandingFor(r, a, ladder, redeemed, today).Refusal()
}

// issueVoucher debits a locked account for a reward, takes stock and
// creates the voucher, and tells the webhooks: a redemption asked for and
// a full stamp card's reward are both redemption.created. kind is a
// redemption, or the card's own debit for a full stamp card.
func issueVoucher(tx *gorm.DB, actor Actor, a *Account, r *Reward, kind EntryKind, idemKey string, now time.Time) (*Voucher, error) {
	if r.Stock != nil {
		res := tx.Model(r).Where("stock > 0").Update("stock", gorm.Expr("stock - 1"))
		if res.Error != nil {
			return nil, fmt.Errorf("redeem: take stock: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return nil, Errorf(ECONFLICT, "%s is out of stock.", r.Name)
		}
	}
	code, err := newCardCode()
	if err != nil {
		return nil, err
	}
	expires := now.Add(VoucherLifetime)
	v := &Voucher{ProgramID: a.ProgramID, AccountID: a.ID, MemberID: a.MemberID, RewardID: r.ID,
		Code: code, Cost: r.Cost, Status: VoucherIssued, ExpiresAt: &expires, CreatedAt: now.UTC()}
	if err := tx.Create(v).Error; err != nil {
		return nil, fmt.Errorf("redeem: voucher: %w", err)
	}
	e := &LedgerEntry{Kind: kind, Amount: -r.Cost, Reason: r.Name, VoucherID: &v.ID}
	if idemKey != "" {
		e.IdempotencyKey = key("redeem:" + idemKey)
	}
	actorFields(e, actor)
	if err := post(tx, a, e, now); err != nil {
		if errors.Is(err, errAlreadyPosted) {
			return nil, Errorf(ECONFLICT, "This redemption was already recorded.")
		}
		return nil, err
	}
	if err := enqueueEvent(tx, EventRedemptionCreated, voucherEvent(v, r.Cost, &a.Balance), now); err != nil {
		return nil, err
	}
	return v, nil
}

// fillStampCards issues the card reward for every full card on a locked
// stamps account, starting a new card each time.
func fillStampCards(tx *gorm.DB, actor Actor, a *Account, p *Program, now time.Time) ([]Voucher, error) {
	if p.CardRewardID == nil || p.StampsPerCard <= 0 {
		return nil, nil
	}
	reward, err := GetReward(tx.Clauses(clause.Locking{Strength: "UPDATE"}), p.ID, *p.CardRewardID)
	if err != nil {
		return nil, err
	}
	card := *reward
	card.Cost, card.Stock = p.StampsPerCard, nil // a full card is the price, whatever the catalog says
	var issued []Voucher
	for a.Balance >= p.StampsPerCard {
		v, err := issueVoucher(tx, actor, a, &card, KindRedemption, "", now)
		if err != nil {
			return nil, err
		}
		issued = append(issued, *v)
	}
	return issued, nil
}

// GetVoucher loads a voucher by id.
func GetVoucher(db *gorm.DB, id int64) (*Voucher, error) {
	var v Voucher
	if err := db.Take(&v, id).Error; err != nil {
		return nil, notFound(err, "No such voucher.", "voucher: get %d", id)
	}
	return &v, nil
}

// MarkVoucherUsed closes an issued, unexpired voucher as used.
func MarkVoucherUsed(db *gorm.DB, actor Actor, id int64, now time.Time) (*Voucher, error) {
	var v *Voucher
	err := db.Transaction(func(tx *gorm.DB) error {
		var err error
		if v, err = GetVoucher(tx.Clauses(clause.Locking{Strength: "UPDATE"}), id); err != nil {
			return err
		}
		switch {
		case v.Status != VoucherIssued:
			return Errorf(ECONFLICT, "Voucher %s is already %s.", FormatCardCode(v.Code), v.Status)
		case v.Expired(now):
			return Errorf(ECONFLICT, "Voucher %s expired on %s.", FormatCardCode(v.Code), v.ExpiresAt.Format("2 Jan 2006"))
		}
		v.Status, v.UsedAt, v.ClosedBy = VoucherUsed, &now, orSystem(actor.Name)
		if err := tx.Model(v).Updates(map[string]any{"status": v.Status, "used_at": now, "closed_by": v.ClosedBy}).Error; err != nil {
			return fmt.Errorf("voucher: use %d: %w", id, err)
		}
		return enqueueEvent(tx, EventVoucherUsed, voucherEvent(v, 0, nil), now)
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// CancelVoucher cancels an issued voucher: the units come back with an
// entry that points at the redemption, and so does the stock.
func CancelVoucher(db *gorm.DB, actor Actor, id int64, now time.Time) (*Voucher, error) {
	var v *Voucher
	err := db.Transaction(func(tx *gorm.DB) error {
		var err error
		if v, err = GetVoucher(tx, id); err != nil {
			return err
		}
		a, err := lockAccount(tx, v.ProgramID, v.MemberID, now)
		if err != nil {
			return err
		}
		if v, err = GetVoucher(tx.Clauses(clause.Locking{Strength: "UPDATE"}), id); err != nil {
			return err
		}
		if v.Status != VoucherIssued {
			return Errorf(ECONFLICT, "Voucher %s is already %s.", FormatCardCode(v.Code), v.Status)
		}
		redemption, err := RedemptionEntry(tx, v)
		if err != nil {
			return err
		}
		e := &LedgerEntry{Kind: KindRedemptionCancel, Amount: v.Cost, Reason: "Voucher cancelled", VoucherID: &v.ID,
			CorrectsID: &redemption.ID, IdempotencyKey: key(fmt.Sprintf("cancel:%d", v.ID))}
		actorFields(e, actor)
		if err := post(tx, a, e, now); err != nil {
			return err
		}
		if err := tx.Model(&Reward{}).Where("id = ? AND stock IS NOT NULL", v.RewardID).
			Update("stock", gorm.Expr("stock + 1")).Error; err != nil {
			return fmt.Errorf("voucher: return stock: %w", err)
		}
		v.Status, v.ClosedBy = VoucherCancelled, orSystem(actor.Name)
		// The redemption no longer counts on the day it was made.
		if err := markRollup(tx, 0, v.CreatedAt); err != nil {
			return err
		}
		if err := tx.Model(v).Updates(map[string]any{"status": v.Status, "closed_by": v.ClosedBy}).Error; err != nil {
			return fmt.Errorf("voucher: cancel %d: %w", id, err)
		}
		return enqueueEvent(tx, EventVoucherCancelled, voucherEvent(v, v.Cost, &a.Balance), now)
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// RedemptionEntry is the debit that issued a voucher. The account bounds
// the search to its own entries (the (account_id, id) index): no index
// leads with voucher_id.
func RedemptionEntry(db *gorm.DB, v *Voucher) (*LedgerEntry, error) {
	var e LedgerEntry
	if err := db.Where("account_id = ? AND voucher_id = ? AND amount < 0", v.AccountID, v.ID).Take(&e).Error; err != nil {
		return nil, fmt.Errorf("voucher: find redemption: %w", err)
	}
	return &e, nil
}

// GetVoucherByCode loads a voucher by its code, as printed (K7P2-9XQM) or
// typed bare, in any case; anything that cannot be a code is not found.
func GetVoucherByCode(db *gorm.DB, code string) (*Voucher, error) {
	code = normaliseCardCode(code)
	if !maybeCode(code) {
		return nil, Errorf(ENOTFOUND, "No such voucher.")
	}
	var v Voucher
	if err := db.Where("code = ?", code).Take(&v).Error; err != nil {
		return nil, notFound(err, "No such voucher.", "voucher: get by code")
	}
	return &v, nil
}

// ListVouchers returns a member's vouchers, newest first.
func ListVouchers(db *gorm.DB, memberID int64) ([]Voucher, error) {
	var vs []Voucher
	if err := db.Where("member_id = ?", memberID).Order("id DESC").Limit(100).Find(&vs).Error; err != nil {
		return nil, fmt.Errorf("voucher: list: %w", err)
	}
	return vs, nil
}

// RedeemedWith returns the voucher a redemption with this idempotency key
// issued, or nil when the key has not been used: a form posted twice finds
// its first result.
func RedeemedWith(db *gorm.DB, idemKey string) (*Voucher, error) {
	idemKey = strings.TrimSpace(idemKey)
	if idemKey == "" {
		return nil, nil
	}
	var es []LedgerEntry
	if err := db.Where("idempotency_key = ?", "redeem:"+idemKey).Limit(1).Find(&es).Error; err != nil {
		return nil, fmt.Errorf("redeem: find key: %w", err)
	}
	if len(es) == 0 || es[0].VoucherID == nil {
		return nil, nil
	}
	return GetVoucher(db, *es[0].VoucherID)
}

// SpendCreditInput asks to pay part of a purchase with a cashback
// program's store credit.
type SpendCreditInput struct {
	MemberID       int64
	ProgramID      int64
	Amount         string // in the currency, like 3.20
	IdempotencyKey string
}

// SpendCredit debits store credit under the account's lock, like every
// redemption: however many arrive at once, the credit never goes below
// zero, and a key posts once (a retry returns the first entry with
// replayed true). Staff adjustment limits do not apply: it is the
// member's own money.
func SpendCredit(db *gorm.DB, actor Actor, in SpendCreditInput, now time.Time) (e *LedgerEntry, replayed bool, err error) {
	k := strings.TrimSpace(in.IdempotencyKey)
	err = db.Transaction(func(tx *gorm.DB) error {
		m, err := GetMerchant(tx)
		if err != nil {
			return err
		}
		v := Validation{}
		parsed := Validation{} // moneyField's message offers 0, which a payment refuses
		amount := moneyField(parsed, "amount", in.Amount, m.Currency, maxMoneyMinor)
		v.Check(len(parsed) == 0 && amount > 0, "amount", "Enter the amount to pay with credit, above 0.")
		v.Check(k != "" && len(k) <= 200, "idempotency_key", "Every payment needs an idempotency key of at most 200 characters.")
		if err := v.Err(); err != nil {
			return err
		}
		member, p, err := activeMemberProgram(tx, in.MemberID, in.ProgramID)
		if err != nil {
			return err
		}
		if p.Type != ProgramCashback {
			return Errorf(ECONFLICT, "%s is not a cashback program: it holds no store credit.", p.Name)
		}
		a, err := lockAccount(tx, p.ID, member.ID, now)
		if err != nil {
			return err
		}
		// Under the lock a retry, even one racing the first, finds the
		// first payment's entry.
		var first []LedgerEntry
		if err := tx.Where("idempotency_key = ?", "credit:"+k).Limit(1).Find(&first).Error; err != nil {
			return fmt.Errorf("credit: find key: %w", err)
		}
		if len(first) == 1 {
			if first[0].AccountID != a.ID || first[0].Amount != -amount {
				return Errorf(ECONFLICT, "This idempotency key was already used for a different payment.")
			}
			e, replayed = &first[0], true
			return nil
		}
		if a.Balance < amount {
			return fieldError("amount", fmt.Sprintf("%s has %s %s of store credit: pay at most that.",
				member.Name, FormatMoney(max(a.Balance, 0), m.Currency), m.Currency))
		}
		e = &LedgerEntry{Kind: KindRedemption, Amount: -amount, Reason: "Paid with store credit", IdempotencyKey: key("credit:" + k)}
		actorFields(e, actor)
		if err := post(tx, a, e, now); err != nil {
			if errors.Is(err, errAlreadyPosted) {
				return Errorf(ECONFLICT, "This payment was already recorded.")
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return e, replayed, nil
}

// GetCreditPayment loads a store-credit payment of the scoped merchant by
// its entry id, for its receipt.
func GetCreditPayment(db *gorm.DB, entryID int64) (*LedgerEntry, error) {
	var e LedgerEntry
	err := db.Where("kind = ? AND voucher_id IS NULL AND idempotency_key LIKE ?", KindRedemption, "credit:%").Take(&e, entryID).Error
	if err != nil {
		return nil, notFound(err, "No such payment.", "credit: get %d", entryID)
	}
	return &e, nil
}
