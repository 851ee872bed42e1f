package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
)

// apiEntriesPage is how many ledger entries a page of /entries holds.
const apiEntriesPage = 50

// apiMember is a member as the API shows them: the phone with its
// country code (E.164), times in UTC.
type apiMember struct {
	ID             int64     `json:"id"`
	Name           string    `json:"name"`
	Email          *string   `json:"email"`
	Phone          *string   `json:"phone"`
	CardCode       string    `json:"card_code"`
	Birthday       *string   `json:"birthday"`
	MarketingOptIn bool      `json:"marketing_opt_in"`
	Blocked        bool      `json:"blocked"`
	ReferredByID   *int64    `json:"referred_by_id"`
	CreatedAt      time.Time `json:"created_at"`
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func apiMemberOf(m *models.Member) apiMember {
	out := apiMember{
		ID: m.ID, Name: m.Name, Email: orNull(m.Email), CardCode: m.CardCode, Birthday: m.Birthday,
		MarketingOptIn: m.MarketingOptIn, Blocked: m.Blocked, ReferredByID: m.ReferredByID, CreatedAt: m.CreatedAt.UTC(),
	}
	if m.Phone != "" {
		out.Phone = orNull("+" + m.Phone)
	}
	return out
}

// apiList is every list the API answers: a page and the cursor of the
// next one (null at the end).
type apiList[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

func apiMemberURL(id int64) string { return fmt.Sprintf("%s/members/%d", apiPrefix, id) }

// memberBody is a member as POST and PATCH take it; in a PATCH a field
// left out stays as it is, and "" clears an optional one.
type memberBody struct {
	Name           *string `json:"name"`
	Email          *string `json:"email"`
	Phone          *string `json:"phone"`
	Birthday       *string `json:"birthday"`
	MarketingOptIn *bool   `json:"marketing_opt_in"`
	ReferralCode   *string `json:"referral_code"`
}

// over lays the body's fields over in.
func (b memberBody) over(in models.MemberInput) models.MemberInput {
	for _, f := range []struct {
		from *string
		to   *string
	}{{b.Name, &in.Name}, {b.Email, &in.Email}, {b.Phone, &in.Phone}, {b.Birthday, &in.Birthday}, {b.ReferralCode, &in.ReferralCode}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	if b.MarketingOptIn != nil {
		in.MarketingOptIn = *b.MarketingOptIn
	}
	return in
}

func (a *App) apiEnrolMember(c echo.Context) error {
	var body memberBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	m, err := models.EnrolMember(a.apiTenant(c), apiActor(c), body.over(models.MemberInput{}), a.now())
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, apiMemberURL(m.ID))
	return c.JSON(http.StatusCreated, apiMemberOf(m))
}

func (a *App) apiMember(c echo.Context) (*models.Member, error) {
	id, err := idParam(c, "memberID")
	if err != nil {
		return nil, err
	}
	return models.GetMember(a.apiTenant(c), id)
}

func (a *App) apiGetMember(c echo.Context) error {
	m, err := a.apiMember(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, apiMemberOf(m))
}

func (a *App) apiUpdateMember(c echo.Context) error {
	m, err := a.apiMember(c)
	if err != nil {
		return err
	}
	var body memberBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if body.ReferralCode != nil {
		return invalidField("referral_code", "A referral is given at enrolment; it cannot change.")
	}
	in := body.over(memberInput(storedMemberFields(m)))
	if m, err = models.UpdateMember(a.apiTenant(c), apiActor(c), m.ID, in, a.now()); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, apiMemberOf(m))
}

// apiFindMembers finds the member with exactly one email, phone or card
// code: a list of at most one.
func (a *App) apiFindMembers(c echo.Context) error {
	var given []string
	for _, name := range []string{"email", "phone", "card"} {
		if c.QueryParams().Has(name) {
			given = append(given, name)
		}
	}
	if len(given) != 1 {
		return invalidField("query", "Give exactly one of email, phone or card, like ?email=ada@example.com.")
	}
	q := c.QueryParam(given[0])
	contact := map[string]models.MemberContact{"email": {Email: q}, "phone": {Phone: q}, "card": {Card: q}}[given[0]]
	list := apiList[apiMember]{Data: []apiMember{}}
	m, err := models.FindMemberByContact(a.apiTenant(c), contact)
	switch models.ErrorCode(err) {
	case "":
		list.Data = append(list.Data, apiMemberOf(m))
	case models.ENOTFOUND:
	default:
		return err
	}
	return c.JSON(http.StatusOK, list)
}

// apiEntry is one ledger entry.
type apiEntry struct {
	ID           int64      `json:"id"`
	ProgramID    int64      `json:"program_id"`
	Kind         string     `json:"kind"`
	Amount       int64      `json:"amount"`
	BalanceAfter int64      `json:"balance_after"`
	Reason       string     `json:"reason"`
	Actor        string     `json:"actor"`
	PurchaseID   *int64     `json:"purchase_id"`
	VoucherID    *int64     `json:"voucher_id"`
	CorrectsID   *int64     `json:"corrects_id"`
	ExpiresAt    *time.Time `json:"expires_at"`
	CreatedAt    time.Time  `json:"created_at"`
}

func utcOrNil(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// apiEntries pages a member's ledger newest first; the cursor is the id
// of the last entry shown.
func (a *App) apiEntries(c echo.Context) error {
	m, err := a.apiMember(c)
	if err != nil {
		return err
	}
	var before int64
	if cur := c.QueryParam("cursor"); cur != "" {
		if before, err = strconv.ParseInt(cur, 10, 64); err != nil || before <= 0 {
			return invalidField("cursor", "Pass back the next_cursor of the previous page, as it was.")
		}
	}
	es, err := models.ListEntries(a.apiTenant(c), m.ID, before, apiEntriesPage+1)
	if err != nil {
		return err
	}
	list := apiList[apiEntry]{Data: make([]apiEntry, 0, len(es))}
	if len(es) > apiEntriesPage {
		es = es[:apiEntriesPage]
		list.NextCursor = orNull(strconv.FormatInt(es[len(es)-1].ID, 10))
	}
	for _, e := range es {
		list.Data = append(list.Data, apiEntry{
			ID: e.ID, ProgramID: e.ProgramID, Kind: string(e.Kind), Amount: e.Amount, BalanceAfter: e.BalanceAfter,
			Reason: e.Reason, Actor: e.ActorName, PurchaseID: e.PurchaseID, VoucherID: e.VoucherID, CorrectsID: e.CorrectsID,
			ExpiresAt: utcOrNil(e.ExpiresAt), CreatedAt: e.CreatedAt.UTC(),
		})
	}
	return c.JSON(http.StatusOK, list)
}
