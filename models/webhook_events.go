package models

import "time"

// The data of each event: small, like the JSON API's answers (snake_case,
// amounts in minor units, ids integers). A receiver wanting more reads it
// from the API by these ids.

// MemberEventData is member.created's data.
type MemberEventData struct {
	MemberID     int64  `json:"member_id"`
	CardCode     string `json:"card_code"`
	ReferredByID *int64 `json:"referred_by_id"`
}

// memberCreated is member.created's data for m, enrolled or imported.
func memberCreated(m *Member) MemberEventData {
	return MemberEventData{MemberID: m.ID, CardCode: m.CardCode, ReferredByID: m.ReferredByID}
}

// PurchaseEventData is purchase.recorded's and purchase.refunded's data.
// RefundAmount and PointsClawedBack are a refund's; Balance is null for an
// anonymous sale and for a refund that took no points.
type PurchaseEventData struct {
	PurchaseID       int64     `json:"purchase_id"`
	ProgramID        int64     `json:"program_id"`
	MemberID         *int64    `json:"member_id"`
	Amount           int64     `json:"amount"`
	RefundedAmount   int64     `json:"refunded_amount"`
	Currency         string    `json:"currency"`
	OrderReference   string    `json:"order_reference"`
	Channel          Channel   `json:"channel"`
	OccurredAt       time.Time `json:"occurred_at"`
	PointsEarned     int64     `json:"points_earned"`
	RefundAmount     int64     `json:"refund_amount,omitempty"`
	PointsClawedBack int64     `json:"points_clawed_back,omitempty"`
	Balance          *int64    `json:"balance"`
}

// PointsEventData is points.adjusted's and points.expired's data: Points
// is signed (an expiry is negative).
type PointsEventData struct {
	EntryID   int64  `json:"entry_id"`
	MemberID  int64  `json:"member_id"`
	ProgramID int64  `json:"program_id"`
	Points    int64  `json:"points"`
	Balance   int64  `json:"balance"`
	Reason    string `json:"reason"`
}

// VoucherEventData is redemption.created's, voucher.used's and
// voucher.cancelled's data; Points is what the redemption cost or the
// cancellation gave back, Balance the account's after it.
type VoucherEventData struct {
	VoucherID int64  `json:"voucher_id"`
	Code      string `json:"code"`
	MemberID  int64  `json:"member_id"`
	ProgramID int64  `json:"program_id"`
	RewardID  int64  `json:"reward_id"`
	Points    int64  `json:"points"`
	Balance   *int64 `json:"balance"`
}

// TierEventData is tier.changed's data; a null tier is no tier.
type TierEventData struct {
	MemberID   int64  `json:"member_id"`
	ProgramID  int64  `json:"program_id"`
	FromTierID *int64 `json:"from_tier_id"`
	ToTierID   *int64 `json:"to_tier_id"`
	Reason     string `json:"reason"`
}

func purchaseEvent(pur *Purchase, currency string, balance *int64) PurchaseEventData {
	return PurchaseEventData{PurchaseID: pur.ID, ProgramID: pur.ProgramID, MemberID: pur.MemberID, Amount: pur.AmountMinor,
		RefundedAmount: pur.RefundedMinor, Currency: currency, OrderReference: pur.OrderRef, Channel: pur.Channel,
		OccurredAt: pur.OccurredAt.UTC(), PointsEarned: pur.Earned, Balance: balance}
}

func pointsEvent(e *LedgerEntry) PointsEventData {
	return PointsEventData{EntryID: e.ID, MemberID: e.MemberID, ProgramID: e.ProgramID, Points: e.Amount, Balance: e.BalanceAfter, Reason: e.Reason}
}

func voucherEvent(v *Voucher, points int64, balance *int64) VoucherEventData {
	return VoucherEventData{VoucherID: v.ID, Code: v.Code, MemberID: v.MemberID, ProgramID: v.ProgramID, RewardID: v.RewardID,
		Points: points, Balance: balance}
}
