package handlers

import (
	"fmt"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/pages"
)

// The forms of a member's page that move balances: adjustments,
// redemptions, custom actions, vouchers and refunds. Each answers like
// every form: refused input re-draws the page with the message beside
// the form (422), a conflict the same with 409, success a flash and a
// redirect back to the member.

// asField turns "no such program" (or reward, or rule) about a value of
// the form into a refusal beside field: the page itself exists, so it is
// the choice that is wrong, not the address.
func asField(err error, field string) error {
	if models.ErrorCode(err) != models.ENOTFOUND {
		return err
	}
	msg := models.ErrorMessage(err)
	return &models.Error{Code: models.EINVALID, Message: msg, Fields: map[string]string{field: msg}}
}

func (a *App) adjustBalance(c echo.Context) error {
	m, err := a.member(c)
	if err != nil {
		return err
	}
	db := a.tenant(c)
	typed := pages.AdjustForm{
		ProgramID: c.FormValue("program_id"), Amount: c.FormValue("amount"), Reason: c.FormValue("reason"),
		Note: c.FormValue("note"), Key: orNewKey(c.FormValue("idempotency_key")),
	}
	e, err := models.Adjust(db, actor(c), currentUser(c).Role, models.AdjustInput{
		MemberID: m.ID, ProgramID: formID(c, "program_id"), Amount: typed.Amount, Reason: typed.Reason,
		Note: typed.Note, IdempotencyKey: typed.Key,
	}, a.now())
	err = asField(err, "program_id")
	var p *models.Program
	if err == nil {
		p, err = models.GetProgram(db, e.ProgramID)
	}
	return a.answer(c, err, func(status int) error {
		return a.renderMember(c, m, memberView{status: status, form: formAdjust, err: err, adjust: &typed})
	}, func() string {
		currency := currentMerchant(c).Currency
		verb, n := "Credited", e.Amount
		if n < 0 {
			verb, n = "Debited", -n
		}
		return fmt.Sprintf("%s %s (%s). %s now has %s.", verb, units(p, n, currency), e.Reason, m.Name, units(p, e.BalanceAfter, currency))
	}, memberURL(m.ID))
}

func (a *App) redeemReward(c echo.Context) error {
	m, err := a.member(c)
	if err != nil {
		return err
	}
	db := a.tenant(c)
	programID := formID(c, "program_id")
	v, replayed, err := a.redeem(c, models.RedeemInput{MemberID: m.ID, ProgramID: programID, RewardID: formID(c, "reward_id"),
		IdempotencyKey: c.FormValue("idempotency_key")})
	err = asField(err, "reward_id")
	var p *models.Program
	var r *models.Reward
	if err == nil {
		if p, err = models.GetProgram(db, v.ProgramID); err == nil {
			r, err = models.GetReward(db, p.ID, v.RewardID)
		}
	}
	return a.answer(c, err, func(status int) error {
		return a.renderMember(c, m, memberView{status: status, form: formProgram, programID: programID, err: err})
	}, func() string {
		if replayed {
			return fmt.Sprintf("%s was already redeemed: voucher %s.", r.Name, models.FormatCardCode(v.Code))
		}
		return fmt.Sprintf("%s redeemed for %s: voucher %s.", r.Name, units(p, v.Cost, currentMerchant(c).Currency), models.FormatCardCode(v.Code))
	}, memberURL(m.ID))
}

// redeemOnce runs a redemption, from the member's page, the till or the API,
// in db as actor. The same request sent twice (a double click, a retry)
// finds the voucher the first one issued under its key, and issues
// nothing: replayed is true.
func redeemOnce(db *gorm.DB, actor models.Actor, in models.RedeemInput, now time.Time) (*models.Voucher, bool, error) {
	in.IdempotencyKey = strings.TrimSpace(in.IdempotencyKey)
	v, err := models.Redeem(db, actor, in, now)
	if models.ErrorCode(err) == models.ECONFLICT {
		first, ferr := models.RedeemedWith(db, in.IdempotencyKey)
		if ferr != nil {
			return nil, false, ferr
		}
		if first != nil && first.MemberID == in.MemberID {
			return first, true, nil
		}
	}
	return v, false, err
}

// redeem is a page's redemption form, as the signed-in user.
func (a *App) redeem(c echo.Context, in models.RedeemInput) (*models.Voucher, bool, error) {
	return redeemOnce(a.tenant(c), actor(c), in, a.now())
}

func (a *App) awardAction(c echo.Context) error {
	m, err := a.member(c)
	if err != nil {
		return err
	}
	db := a.tenant(c)
	programID := formID(c, "program_id")
	e, err := models.AwardAction(db, actor(c), m.ID, programID, formID(c, "rule_id"),
		strings.TrimSpace(c.FormValue("idempotency_key")), a.now())
	err = asField(err, "rule_id")
	var p *models.Program
	if err == nil {
		p, err = models.GetProgram(db, e.ProgramID)
	}
	return a.answer(c, err, func(status int) error {
		return a.renderMember(c, m, memberView{status: status, form: formProgram, programID: programID, err: err})
	}, func() string {
		return fmt.Sprintf("%s earned %s for %s.", m.Name, units(p, e.Amount, currentMerchant(c).Currency), e.Reason)
	}, memberURL(m.ID))
}

// voucher loads the voucher named by the path and its member; another
// merchant's id is a 404.
func (a *App) voucher(c echo.Context) (*models.Voucher, *models.Member, error) {
	id, err := idParam(c, "voucherID")
	if err != nil {
		return nil, nil, err
	}
	db := a.tenant(c)
	v, err := models.GetVoucher(db, id)
	if err != nil {
		return nil, nil, err
	}
	m, err := models.GetMember(db, v.MemberID)
	if err != nil {
		return nil, nil, err
	}
	return v, m, nil
}

func (a *App) useVoucher(c echo.Context) error {
	stored, m, err := a.voucher(c)
	if err != nil {
		return err
	}
	v, err := models.MarkVoucherUsed(a.tenant(c), actor(c), stored.ID, a.now())
	return a.answer(c, err, func(status int) error {
		return a.renderMember(c, m, memberView{status: status, form: formVoucher, err: err})
	}, func() string {
		return fmt.Sprintf("Voucher %s is marked used.", models.FormatCardCode(v.Code))
	}, memberURL(m.ID))
}

func (a *App) cancelVoucher(c echo.Context) error {
	stored, m, err := a.voucher(c)
	if err != nil {
		return err
	}
	db := a.tenant(c)
	v, err := models.CancelVoucher(db, actor(c), stored.ID, a.now())
	var p *models.Program
	if err == nil {
		p, err = models.GetProgram(db, v.ProgramID)
	}
	return a.answer(c, err, func(status int) error {
		return a.renderMember(c, m, memberView{status: status, form: formVoucher, err: err})
	}, func() string {
		return fmt.Sprintf("Voucher %s is cancelled: %s went back to %s.",
			models.FormatCardCode(v.Code), units(p, v.Cost, currentMerchant(c).Currency), m.Name)
	}, memberURL(m.ID))
}

func (a *App) refundPurchase(c echo.Context) error {
	id, err := idParam(c, "purchaseID")
	if err != nil {
		return err
	}
	db := a.tenant(c)
	stored, err := models.GetPurchase(db, id)
	if err != nil {
		return err
	}
	amount, key := c.FormValue("amount"), c.FormValue("idempotency_key")
	pur, err := models.RefundPurchase(db, actor(c), stored.ID, amount, key, a.now())
	currency := currentMerchant(c).Currency
	msg := func() string {
		s := fmt.Sprintf("Refunded %s of the %s purchase.", money(pur.RefundedMinor-stored.RefundedMinor, currency), money(pur.AmountMinor, currency))
		if back := pur.ClawedBack - stored.ClawedBack; back > 0 {
			if p, perr := models.GetProgram(db, pur.ProgramID); perr == nil {
				s += " " + units(p, back, currency) + " taken back."
			}
		}
		return s
	}
	if stored.MemberID == nil {
		// An anonymous sale has no member page to go back to: refusals
		// take the error page, success the till.
		if err != nil {
			return err
		}
		return a.answer(c, nil, nil, msg, "/till")
	}
	m, merr := models.GetMember(db, *stored.MemberID)
	if merr != nil {
		return merr
	}
	return a.answer(c, err, func(status int) error {
		return a.renderMember(c, m, memberView{
			status: status, form: formRefund, purchaseID: stored.ID, err: err, refund: amount, refundKey: key,
		})
	}, msg, memberURL(m.ID))
}
