package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
)

// purchaseBody is POST /purchases: at most one of member_id, card_code
// and email (none records an anonymous sale), the amount in minor units.
type purchaseBody struct {
	MemberID       *int64  `json:"member_id"`
	CardCode       *string `json:"card_code"`
	Email          *string `json:"email"`
	Amount         *int64  `json:"amount"`
	Currency       *string `json:"currency"`
	OrderReference string  `json:"order_reference"`
	Channel        string  `json:"channel"`
	OccurredAt     *string `json:"occurred_at"`
	ProgramID      *int64  `json:"program_id"`
}

// apiPurchase is a recorded purchase with what it did.
type apiPurchase struct {
	ID             int64         `json:"id"`
	ProgramID      int64         `json:"program_id"`
	MemberID       *int64        `json:"member_id"`
	Amount         int64         `json:"amount"`
	RefundedAmount int64         `json:"refunded_amount"`
	Currency       string        `json:"currency"`
	OrderReference string        `json:"order_reference"`
	Channel        string        `json:"channel"`
	OccurredAt     time.Time     `json:"occurred_at"`
	PointsEarned   int64         `json:"points_earned"`
	Breakdown      *apiBreakdown `json:"breakdown"` // null when replayed: the first answer's breakdown is not kept
	Balance        *int64        `json:"balance"`   // the account's balance now; null for an anonymous sale
	Tier           *apiTier      `json:"tier"`
	Vouchers       []apiVoucher  `json:"vouchers"`
	Replayed       bool          `json:"replayed"`
}

// apiBreakdown is how a purchase's points were reached; multipliers are in
// thousandths (1500 is ×1.5).
type apiBreakdown struct {
	Base                    int64  `json:"base"`
	Tier                    string `json:"tier,omitempty"`
	TierMultiplierMilli     int64  `json:"tier_multiplier_milli"`
	Campaign                string `json:"campaign,omitempty"`
	CampaignMultiplierMilli int64  `json:"campaign_multiplier_milli"`
	CampaignBonus           int64  `json:"campaign_bonus"`
	Total                   int64  `json:"total"`
}

type apiVoucher struct {
	ID       int64  `json:"id"`
	Code     string `json:"code"`
	RewardID int64  `json:"reward_id"`
}

// apiFieldNames maps the models' field names to the API's where they
// differ; "" drops a field the client never sent (the purchase's own key
// is derived from the order reference, whose message says it all).
var apiFieldNames = map[string]string{"order_ref": "order_reference", "idempotency_key": ""}

// apiFields renames a domain error's fields to the API's names.
func apiFields(err error) error {
	fields := models.FieldErrors(err)
	if len(fields) == 0 {
		return err
	}
	renamed := make(map[string]string, len(fields))
	for f, msg := range fields {
		if to, ok := apiFieldNames[f]; ok {
			f = to
		}
		if f != "" {
			renamed[f] = msg
		}
	}
	return &models.Error{Code: models.ErrorCode(err), Message: models.ErrorMessage(err), Fields: renamed}
}

// purchaseKey is the model's idempotency key of an API purchase: the order
// reference when there is one, so one order credits once whatever the
// Idempotency-Key; else the request's Idempotency-Key; else a fresh one.
func purchaseKey(c echo.Context, orderRef string) string {
	if ref := strings.TrimSpace(orderRef); ref != "" {
		return models.OrderKey(ref)
	}
	return requestKey(c, "api")
}

// requestKey derives a model idempotency key from the request's
// Idempotency-Key, hashed to a fixed length, or makes a fresh one.
func requestKey(c echo.Context, kind string) string {
	if k := c.Request().Header.Get(idempotencyHeader); k != "" {
		sum := sha256.Sum256([]byte(k))
		return fmt.Sprintf("%s:%d:%s", kind, apiKeyOf(c).ID, hex.EncodeToString(sum[:16]))
	}
	return kind + ":" + randomToken()
}

// purchaseInput checks what only the API sends (who, how much, which
// currency, when) and builds the model's input; everything else the model
// checks as it does for the till.
func (a *App) purchaseInput(c echo.Context, db *gorm.DB, m *models.Merchant, b purchaseBody) (models.PurchaseInput, error) {
	v := models.Validation{}
	in := models.PurchaseInput{OrderRef: b.OrderReference, Channel: models.Channel(b.Channel),
		IdempotencyKey: purchaseKey(c, b.OrderReference), ConfirmedLarge: true, // nobody at a till to ask; the maximum still holds
		Read: models.ReadRows{Merchant: m}}
	named := 0
	for _, given := range []bool{b.MemberID != nil, b.CardCode != nil, b.Email != nil} {
		if given {
			named++
		}
	}
	v.Check(named <= 1, "member_id", "Name the member once: member_id, card_code or email (none for an anonymous sale).")
	v.Check(b.Amount != nil, "amount", "Give the amount paid, in minor units (1250 for 12.50).")
	if b.Amount != nil {
		v.Check(*b.Amount > 0, "amount", "The amount must be above 0, in minor units.")
		in.Amount = models.FormatMoney(*b.Amount, m.Currency)
	}
	v.Check(b.Currency == nil || strings.EqualFold(*b.Currency, m.Currency), "currency", "This business takes "+m.Currency+".")
	if b.OccurredAt != nil {
		t, err := time.Parse(time.RFC3339, *b.OccurredAt)
		v.Check(err == nil, "occurred_at", "Give an RFC 3339 time, like 2026-05-17T14:30:00Z.")
		// The zero time would read as "now" in the model: refuse it here.
		v.Check(err != nil || !t.Before(models.EarliestPurchase), "occurred_at", models.EarliestPurchaseMessage)
		in.OccurredAt = t
	}
	if err := v.Err(); err != nil {
		return in, err
	}
	if err := purchaseMember(db, b, &in); err != nil {
		return in, err
	}
	return in, purchaseProgram(db, m, b, &in)
}

// purchaseMember finds the member a purchase names: an unknown card code
// or email is a field to correct. A member_id is left to the model, which
// reads the member with their account: an unknown one is not found there.
func purchaseMember(db *gorm.DB, b purchaseBody, in *models.PurchaseInput) error {
	switch {
	case b.MemberID != nil:
		if *b.MemberID <= 0 {
			return models.Errorf(models.ENOTFOUND, "No such member.")
		}
		in.MemberID = *b.MemberID // read with their account in the purchase's transaction
	case b.CardCode != nil, b.Email != nil:
		field, contact := "card_code", models.MemberContact{}
		if b.Email != nil {
			field, contact.Email = "email", *b.Email
		} else {
			contact.Card = *b.CardCode
		}
		mem, err := models.FindMemberByContact(db, contact)
		if models.ErrorCode(err) == models.ENOTFOUND {
			return invalidField(field, models.ErrorMessage(err))
		}
		if err != nil {
			return err
		}
		in.MemberID, in.Read.Member = mem.ID, mem
	}
	return nil
}

// purchaseProgram is the program a purchase names, else the default.
func purchaseProgram(db *gorm.DB, m *models.Merchant, b purchaseBody, in *models.PurchaseInput) error {
	var err error
	in.ProgramID, err = programOrDefault(db, m, b.ProgramID, "record purchases in")
	return err
}

// programOrDefault is the program a body names, else the one the till
// would start in without a session: the owner's default, else the first
// active. An id that cannot name a program is not found; without any
// active program, nothing can be done (what says what).
func programOrDefault(db *gorm.DB, m *models.Merchant, named *int64, what string) (int64, error) {
	if named != nil {
		if *named <= 0 {
			return 0, models.Errorf(models.ENOTFOUND, "No such program.")
		}
		return *named, nil
	}
	programs, err := models.ListPrograms(db)
	if err != nil {
		return 0, err
	}
	p := m.PreferredProgram(programs)
	if p == nil {
		return 0, models.Errorf(models.ECONFLICT, "This business has no active program to %s.", what)
	}
	return p.ID, nil
}

// decodeForMerchant decodes a body and gives the key's merchant (read with
// the key): the currency of its amounts, the default program.
func (a *App) decodeForMerchant(c echo.Context, body any) (*gorm.DB, *models.Merchant, error) {
	if err := decodeJSON(c, body); err != nil {
		return nil, nil, err
	}
	return a.apiTenant(c), currentMerchant(c), nil
}

func (a *App) apiRecordPurchase(c echo.Context) error {
	var body purchaseBody
	db, m, err := a.decodeForMerchant(c, &body)
	if err != nil {
		return err
	}
	in, err := a.purchaseInput(c, db, m, body)
	if err != nil {
		return err
	}
	res, err := models.RecordPurchase(db, apiActor(c), in, a.now())
	if models.ErrorCode(err) == models.ECONFLICT && models.IsOrderKey(in.IdempotencyKey) && len(models.FieldErrors(err)) == 0 {
		return models.Errorf(models.ECONFLICT, "Order reference %s was already recorded for a different purchase (another member, program or amount).", in.OrderRef)
	}
	if err != nil {
		return apiFields(err)
	}
	out, err := apiPurchaseOf(db, m, res)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if res.Replayed {
		status = http.StatusOK
	}
	return c.JSON(status, out)
}

func apiPurchaseOf(db *gorm.DB, m *models.Merchant, res *models.PurchaseResult) (apiPurchase, error) {
	p := res.Purchase
	out := apiPurchase{
		ID: p.ID, ProgramID: p.ProgramID, MemberID: p.MemberID, Amount: p.AmountMinor, RefundedAmount: p.RefundedMinor,
		Currency: m.Currency, OrderReference: p.OrderRef, Channel: string(p.Channel), OccurredAt: p.OccurredAt.UTC(),
		PointsEarned: p.Earned, Vouchers: []apiVoucher{}, Replayed: res.Replayed,
	}
	if !res.Replayed {
		b := res.Breakdown
		out.Breakdown = &apiBreakdown{Base: b.Base, Tier: b.TierName, TierMultiplierMilli: b.TierMultiplierMilli,
			Campaign: b.CampaignName, CampaignMultiplierMilli: b.CampaignMultiplierMilli, CampaignBonus: b.Bonus, Total: b.Total}
	}
	if a := res.Account; a != nil {
		out.Balance = &a.Balance
		if a.TierID != nil {
			t, err := models.GetTier(db, a.ProgramID, *a.TierID)
			if err != nil {
				return out, err
			}
			out.Tier = apiTierOf(t)
		}
	}
	for _, v := range res.Vouchers {
		out.Vouchers = append(out.Vouchers, apiVoucher{ID: v.ID, Code: v.Code, RewardID: v.RewardID})
	}
	return out, nil
}

// refundBody is POST /purchases/{id}/refunds: the amount in minor units,
// or none for all that is not yet refunded.
type refundBody struct {
	Amount *int64 `json:"amount"`
}

// apiRefundResult is the purchase after a refund.
type apiRefundResult struct {
	PurchaseID       int64 `json:"purchase_id"`
	Amount           int64 `json:"amount"`
	RefundedAmount   int64 `json:"refunded_amount"`
	PointsClawedBack int64 `json:"points_clawed_back"`
}

func (a *App) apiRefund(c echo.Context) error {
	id, err := idParam(c, "purchaseID")
	if err != nil {
		return err
	}
	var body refundBody
	db, m, err := a.decodeForMerchant(c, &body)
	if err != nil {
		return err
	}
	before, err := models.GetPurchase(db, id)
	if err != nil {
		return err
	}
	amount := before.AmountMinor - before.RefundedMinor
	if body.Amount != nil {
		amount = *body.Amount
	}
	if amount <= 0 {
		return invalidField("amount", "The amount must be above 0, in minor units; nothing is left to refund when the purchase is refunded in full.")
	}
	after, err := models.RefundPurchase(db, apiActor(c), id, models.FormatMoney(amount, m.Currency), requestKey(c, "api-refund"), a.now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, apiRefundResult{PurchaseID: after.ID, Amount: amount, RefundedAmount: after.RefundedMinor,
		PointsClawedBack: after.ClawedBack - before.ClawedBack})
}
