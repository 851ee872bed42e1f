package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/pages"
)

// Paid membership: staff sell and renew a paid tier at the till and on
// the member page; managers cancel it; staff list the memberships ending
// soon to offer renewal. The rules live in models/membership.go.

// membershipSource is what a membership panel is drawn from, the same on
// the till and the member page.
type membershipSource struct {
	program    *models.Program
	memberID   int64
	blocked    bool
	tiers      []models.Tier // the program's ladder
	benefits   models.TierBenefits
	membership *models.Membership
	sellURL    string
	pageKey    string // the page's key (pageKey), which the forms' keys derive from
}

// membershipPanel words a member's membership in a program; nil when the
// program has no paid tier.
func membershipPanel(c echo.Context, s membershipSource, now time.Time) *pages.MembershipPanel {
	paid := models.PaidTiers(s.tiers)
	if len(paid) == 0 {
		return nil
	}
	merchant := currentMerchant(c)
	loc, currency := merchant.Location(), merchant.Currency
	out := &pages.MembershipPanel{
		SellURL: s.sellURL, MemberID: strconv.FormatInt(s.memberID, 10), ProgramID: strconv.FormatInt(s.program.ID, 10), PageKey: s.pageKey,
	}
	ms := s.membership
	var held *models.Tier
	if ms != nil {
		held = models.TierByID(s.tiers, &ms.TierID)
	}
	if ms != nil && held != nil && (ms.Active() || ms.EndedAt != nil) {
		out.Tier, out.Held = held.Name, ms.Active()
		out.Since, out.Until = localDate(&ms.Since, loc), localDate(&ms.EndsAt, loc)
		out.Status = membershipStatus(ms, held, loc, now)
	}
	out.Benefits, out.Applies = benefitWords(s.benefits, s.program, currency)
	if s.blocked || !s.program.TakesActivity() {
		return out
	}
	out.Offers = membershipOffers(paid, ms, out.Held, currency, s.pageKey)
	if out.Held && may(c, models.RoleManager) {
		out.Cancel = &pages.MembershipCancelForm{URL: fmt.Sprintf("/memberships/%d/cancel", ms.ID), Key: s.pageKey + ":cancel"}
	}
	return out
}

// membershipOffers are the sale buttons: every paid tier, or while one is
// held its renewal alone (one paid tier at a time: cancel it to sell
// another). Each key is the page's with the tier: Back draws the page
// anew from its address, and a second press of the same button replays
// the sale instead of selling another period.
func membershipOffers(paid []models.Tier, ms *models.Membership, held bool, currency, pageKey string) []pages.MembershipOffer {
	var out []pages.MembershipOffer
	for i := range paid {
		t := &paid[i]
		renew := held && ms.TierID == t.ID
		if held && !renew {
			continue
		}
		verb := "Sell"
		if renew {
			verb = "Renew"
		}
		out = append(out, pages.MembershipOffer{
			TierID: strconv.FormatInt(t.ID, 10), Renew: renew, Key: fmt.Sprintf("%s:membership:%d", pageKey, t.ID),
			Label: fmt.Sprintf("%s %s · %s for %s", verb, t.Name, money(t.FeeMinor, currency), quantity(fmt.Sprint(t.PeriodMonths), "months")),
		})
	}
	return out
}

// membershipStatus words where a membership stands at now.
func membershipStatus(ms *models.Membership, t *models.Tier, loc *time.Location, now time.Time) string {
	switch {
	case ms.Status == models.MembershipLapsed:
		return "lapsed on " + localDate(ms.EndedAt, loc)
	case ms.Status == models.MembershipCancelled:
		return "cancelled on " + localDate(ms.EndedAt, loc)
	case ms.CancelAtEnd:
		return "cancelled: ends " + localDate(&ms.EndsAt, loc)
	case !now.Before(ms.EndsAt):
		lapses := ms.LapsesAt(t, loc)
		return "ended: in grace until " + localDate(&lapses, loc)
	}
	return "active"
}

// benefitWords lists the benefits that apply and, when an earned and a
// paid tier both apply, which multiplier wins.
func benefitWords(b models.TierBenefits, p *models.Program, currency string) ([]string, string) {
	var out []string
	if t := b.Multiplier; t != nil && t.EarnMultiplierMilli > 1000 {
		out = append(out, fmt.Sprintf("%s %s (%s)", multiplierText(t.EarnMultiplierMilli), p.UnitLabel, t.Name))
	}
	if t := b.Discount; t != nil && t.DiscountBasisPoints > 0 {
		out = append(out, fmt.Sprintf("%s%% off (%s)", models.FormatRate(t.DiscountBasisPoints, 2), t.Name))
	}
	if b.Shipping {
		out = append(out, "free shipping")
	}
	out = append(out, b.Perks()...)
	if b.Earned == nil || b.Held == nil {
		return out, ""
	}
	if b.Multiplier == b.Earned {
		return out, fmt.Sprintf("Earns at %s's %s (earned): better than %s's %s.", b.Earned.Name,
			multiplierText(b.Earned.EarnMultiplierMilli), b.Held.Name, multiplierText(b.Held.EarnMultiplierMilli))
	}
	return out, fmt.Sprintf("Earns at %s's %s (paid); their earned tier is %s (%s).", b.Held.Name,
		multiplierText(b.Held.EarnMultiplierMilli), b.Earned.Name, multiplierText(b.Earned.EarnMultiplierMilli))
}

// sellMembership records a sale or renewal from a form; the flash says
// what it did.
func (a *App) sellMembership(c echo.Context, memberID, programID int64) (*models.MembershipResult, error) {
	res, err := models.SellMembership(a.tenant(c), actor(c), models.MembershipSale{
		ProgramID: programID, MemberID: memberID, TierID: formID(c, "tier_id"),
		IdempotencyKey: c.FormValue("idempotency_key"),
	}, a.now())
	if err != nil {
		return nil, asField(err, "tier_id")
	}
	until := localDate(&res.Membership.EndsAt, currentMerchant(c).Location())
	switch {
	case res.Replayed:
		a.flash(c, "success", fmt.Sprintf("That sale was already recorded: %s until %s.", res.Tier.Name, until))
	case res.Renewed:
		a.flash(c, "success", fmt.Sprintf("%s renewed until %s.", res.Tier.Name, until))
	default:
		a.flash(c, "success", fmt.Sprintf("%s sold: held until %s.", res.Tier.Name, until))
	}
	return res, nil
}

// tillMembership sells or renews at the till and comes back to the member.
func (a *App) tillMembership(c echo.Context) error {
	m, p, err := a.tillMemberProgram(c)
	if err != nil {
		return err
	}
	_, err = a.sellMembership(c, m.ID, p.ID)
	if status, refused := formRefusal(c, err); refused {
		return a.renderTill(c, status, tillView{memberID: m.ID, programID: p.ID, message: refusalText(err)})
	}
	if err != nil {
		return err
	}
	return redirect(c, tillURL(m.ID, p.ID, 0))
}

// memberMembership sells or renews on the member page.
func (a *App) memberMembership(c echo.Context) error {
	m, err := a.member(c)
	if err != nil {
		return err
	}
	programID := formID(c, "program_id")
	_, err = a.sellMembership(c, m.ID, programID)
	err = asField(err, "program_id")
	if status, refused := formRefusal(c, err); refused {
		return a.renderMember(c, m, memberView{status: status, form: formProgram, programID: programID, err: err})
	}
	if err != nil {
		return err
	}
	return redirect(c, memberURL(m.ID))
}

// refusalText is a refusal's message with its fields' messages.
func refusalText(err error) string {
	msg := models.ErrorMessage(err)
	for _, f := range models.FieldErrors(err) {
		if f != msg {
			msg += " " + f
		}
	}
	return msg
}

// cancelMembership cancels a membership (managers), at once or at the
// period's end, with a refund if asked, and comes back to the member.
func (a *App) cancelMembership(c echo.Context) error {
	id, err := idParam(c, "membershipID")
	if err != nil {
		return err
	}
	db := a.tenant(c)
	ms, err := models.GetMembership(db, id)
	if err != nil {
		return err
	}
	m, err := models.GetMember(db, ms.MemberID)
	if err != nil {
		return err
	}
	res, err := models.CancelMembership(db, actor(c), ms.ID, models.MembershipCancel{
		When: c.FormValue("when"), Refund: c.FormValue("refund"), IdempotencyKey: c.FormValue("idempotency_key"),
	}, a.now())
	if status, refused := formRefusal(c, err); refused {
		return a.renderMember(c, m, memberView{status: status, form: formProgram, programID: ms.ProgramID,
			err: models.Errorf(models.ErrorCode(err), "%s", refusalText(err))})
	}
	if err != nil {
		return err
	}
	merchant := currentMerchant(c)
	msg := "Membership cancelled."
	if res.Membership.Active() {
		msg = "Membership cancelled: it ends on " + localDate(&res.Membership.EndsAt, merchant.Location()) + "."
	}
	if res.RefundedMinor > 0 {
		msg += " Refunded " + money(res.RefundedMinor, merchant.Currency) + "."
	}
	a.flash(c, "success", msg)
	return redirect(c, memberURL(m.ID))
}

// membershipsListLimit bounds the renewal list.
const membershipsListLimit = 200

// membershipsPage lists the memberships ending in the next days (30
// unless asked), soonest first.
func (a *App) membershipsPage(c echo.Context) error {
	d := pages.MembershipsData{Days: strings.TrimSpace(c.QueryParam("days"))}
	days := 30
	if d.Days != "" {
		n, err := strconv.Atoi(d.Days)
		if err != nil || n < 0 || n > models.MaxEndingDays {
			d.Error = fmt.Sprintf("Enter a number of days from 0 to %d.", models.MaxEndingDays)
			return render(c, http.StatusUnprocessableEntity, pages.Memberships(a.shell(c, "Memberships"), d))
		}
		days = n
	} else {
		d.Days = strconv.Itoa(days)
	}
	now := a.now()
	rows, err := models.ListMembershipsEnding(a.tenant(c), days, now, membershipsListLimit+1)
	if err != nil {
		return err
	}
	if len(rows) > membershipsListLimit {
		rows, d.Limited = rows[:membershipsListLimit], true
	}
	loc := currentMerchant(c).Location()
	for _, r := range rows {
		d.Rows = append(d.Rows, pages.MembershipRow{
			Member: r.Member.Name, URL: tillURL(r.Member.ID, r.Membership.ProgramID, 0), Tier: r.Tier.Name,
			Until: localDate(&r.Membership.EndsAt, loc), InGrace: !now.Before(r.Membership.EndsAt), CancelAt: r.Membership.CancelAtEnd,
		})
	}
	return render(c, http.StatusOK, pages.Memberships(a.shell(c, "Memberships"), d))
}
