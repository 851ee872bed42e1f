package handlers

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/components"
	"github.com/regularshq/regulars/views/pages"
)

const membersPageSize = 25

func memberURL(id int64) string { return fmt.Sprintf("/members/%d", id) }

// member loads the member named by the path; another merchant's id is a
// 404 like any unknown one.
func (a *App) member(c echo.Context) (*models.Member, error) {
	id, err := idParam(c, "memberID")
	if err != nil {
		return nil, err
	}
	return models.GetMember(a.tenant(c), id)
}

func memberRow(m *models.Member, loc *time.Location) pages.MemberRow {
	return pages.MemberRow{
		URL: memberURL(m.ID), Name: m.Name, CardCode: models.FormatCardCode(m.CardCode),
		Email: m.Email, Phone: models.FormatPhone(m.Phone), LastActivity: localDate(m.LastActivityAt, loc), Blocked: m.Blocked,
	}
}

// memberFieldsOf reads a posted enrolment or edit form; an unticked
// checkbox posts nothing.
func memberFieldsOf(c echo.Context) pages.MemberFields {
	return pages.MemberFields{
		Name: c.FormValue("name"), Email: c.FormValue("email"), Phone: c.FormValue("phone"),
		Birthday: c.FormValue("birthday"), ReferralCode: c.FormValue("referral_code"),
		MarketingOptIn: c.FormValue("marketing_opt_in") != "",
	}
}

// memberInput hands the form to the model; the structs share their fields.
func memberInput(f pages.MemberFields) models.MemberInput { return models.MemberInput(f) }

// storedMemberFields is the edit form showing the member as stored.
func storedMemberFields(m *models.Member) pages.MemberFields {
	f := pages.MemberFields{Name: m.Name, Email: m.Email, Phone: models.FormatPhone(m.Phone), MarketingOptIn: m.MarketingOptIn}
	if m.Birthday != nil {
		f.Birthday = *m.Birthday
	}
	return f
}

func refusedMemberForm(f pages.MemberFields, err error) pages.MemberForm {
	return pages.MemberForm{Fields: f, Errors: models.FieldErrors(err), Message: models.ErrorMessage(err)}
}

// membersURL is the member list for a search, from a member on (keyset:
// the member's place in the search's order).
func membersURL(f memberFilter, after models.MemberCursor) string {
	v := f.values()
	if after.ID != 0 {
		if after.Part != 0 {
			v.Set("after_part", strconv.Itoa(after.Part))
			v.Set("after_term", after.Term)
		}
		v.Set("after_name", after.NameKey)
		v.Set("after_id", strconv.FormatInt(after.ID, 10))
	}
	if len(v) == 0 {
		return "/members"
	}
	return "/members?" + v.Encode()
}

// cursorOf reads a next-page link's place; a mangled one starts over.
func cursorOf(c echo.Context) models.MemberCursor {
	id, err := parseID(c.QueryParam("after_id"))
	part, perr := strconv.Atoi(c.QueryParam("after_part"))
	if err != nil || id == 0 {
		return models.MemberCursor{}
	}
	if perr != nil || part < 0 || part > 2 {
		part = 0
	}
	return models.MemberCursor{Part: part, Term: c.QueryParam("after_term"), NameKey: c.QueryParam("after_name"), ID: id}
}

// memberFilter is the member list's search and filters as the query
// string gives them; the CSV export takes the same.
type memberFilter struct {
	Text, Program, Tier, Inactive, Tag string
}

func memberFilterOf(c echo.Context) memberFilter {
	return memberFilter{
		Text: strings.TrimSpace(c.QueryParam("q")), Program: c.QueryParam("program"), Tier: c.QueryParam("tier"),
		Inactive: strings.TrimSpace(c.QueryParam("inactive")), Tag: strings.TrimSpace(c.QueryParam("tag")),
	}
}

func (f memberFilter) values() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"q": f.Text, "program": f.Program, "tier": f.Tier, "inactive": f.Inactive, "tag": f.Tag} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v
}

// query checks the filters and turns them into a model query.
func (f memberFilter) query(now time.Time) (models.MemberQuery, error) {
	v := models.Validation{}
	id := func(field, s string) int64 {
		n, err := parseID(s)
		v.Check(err == nil, field, "Choose from the list.")
		return n
	}
	q := models.MemberQuery{Text: f.Text, ProgramID: id("program", f.Program), TierID: id("tier", f.Tier), Tag: f.Tag, Now: now}
	if f.Inactive != "" {
		days, err := strconv.Atoi(f.Inactive)
		v.Check(err == nil && days >= 1 && days <= 3650, "inactive", "Enter a number of days from 1 to 3650.")
		q.InactiveDays = days
	}
	return q, v.Err()
}

func (a *App) membersPage(c echo.Context) error {
	return a.renderMembers(c, http.StatusOK, pages.MemberForm{})
}

// renderMembers shows a page of the search in the query string (the first
// page of everyone without one) and the enrolment form.
func (a *App) renderMembers(c echo.Context, status int, form pages.MemberForm) error {
	filter := memberFilterOf(c)
	after := cursorOf(c)
	loc := currentMerchant(c).Location()
	data := pages.MembersData{Query: filter.Text, Form: form, CSVURL: "/members/export?" + filter.values().Encode(),
		Filter: pages.MemberFilter{Program: filter.Program, Tier: filter.Tier, Inactive: filter.Inactive, Tag: filter.Tag}}
	programs, tiers, err := a.filterChoices(c, &data.Filter)
	if err != nil {
		return err
	}
	query, err := filter.query(a.now())
	if err != nil {
		data.Filter.Errors = models.FieldErrors(err)
		return render(c, http.StatusUnprocessableEntity, pages.Members(a.shell(c, "Members"), data))
	}
	query.After, query.Limit = after, membersPageSize+1
	found, err := models.SearchMembers(a.tenant(c), query)
	if err != nil {
		return err
	}
	if len(found) > membersPageSize {
		found = found[:membersPageSize]
		data.NextURL = membersURL(filter, found[len(found)-1].SearchCursor())
	}
	if after.ID != 0 {
		data.FirstURL = membersURL(filter, models.MemberCursor{})
	}
	for i := range found {
		data.Members = append(data.Members, memberRow(&found[i], loc))
	}
	if err := a.memberStandings(c, &data, found, currentMerchant(c).ListedProgram(programs, query.ProgramID), tiers); err != nil {
		return err
	}
	return render(c, status, pages.Members(a.shell(c, "Members"), data))
}

// memberStandings adds each listed member's balance and tier in p, read
// for the whole page at once.
func (a *App) memberStandings(c echo.Context, data *pages.MembersData, found []models.Member, p *models.Program, tiers map[int64]string) error {
	if p == nil {
		return nil
	}
	ids := make([]int64, len(found))
	for i := range found {
		ids[i] = found[i].ID
	}
	accounts, err := models.MembersAccounts(a.tenant(c), p.ID, ids)
	if err != nil {
		return err
	}
	data.StandingIn = p.Name
	currency := currentMerchant(c).Currency
	for i := range data.Members {
		acc := accounts[found[i].ID]
		row := &data.Members[i]
		row.Balance, row.Tier = units(p, acc.Balance, currency), "none"
		if acc.TierID != nil {
			row.Tier = tiers[*acc.TierID]
		}
	}
	return nil
}

// filterChoices offers the merchant's programs and tiers to filter by,
// and returns the programs and the tiers' names by id.
func (a *App) filterChoices(c echo.Context, f *pages.MemberFilter) ([]models.Program, map[int64]string, error) {
	programs, err := models.ListPrograms(a.tenant(c))
	if err != nil {
		return nil, nil, err
	}
	names := map[int64]string{}
	f.Programs = []components.Option{{Value: "", Label: "Any program"}}
	f.Tiers = []components.Option{{Value: "", Label: "Any tier"}}
	for _, p := range programs {
		f.Programs = append(f.Programs, components.Option{Value: strconv.FormatInt(p.ID, 10), Label: p.Name})
		tiers, err := models.ListTiers(a.tenant(c), p.ID)
		if err != nil {
			return nil, nil, err
		}
		for _, t := range tiers {
			names[t.ID] = t.Name
			f.Tiers = append(f.Tiers, components.Option{Value: strconv.FormatInt(t.ID, 10), Label: p.Name + " · " + t.Name})
		}
	}
	return programs, names, nil
}

func (a *App) enrolMember(c echo.Context) error {
	fields := memberFieldsOf(c)
	m, err := models.EnrolMember(a.tenant(c), actor(c), memberInput(fields), a.now())
	var to string
	if err == nil {
		to = memberURL(m.ID)
	}
	return a.answer(c, err, func(status int) error {
		return a.renderMembers(c, status, refusedMemberForm(fields, err))
	}, func() string {
		return fmt.Sprintf("%s is enrolled. Their card code is %s.", m.Name, models.FormatCardCode(m.CardCode))
	}, to)
}

func (a *App) memberPage(c echo.Context) error {
	m, err := a.member(c)
	if err != nil {
		return err
	}
	return a.renderMember(c, m, memberView{status: http.StatusOK, pageKey: addressKey(c)})
}

func (a *App) updateMember(c echo.Context) error {
	stored, err := a.member(c)
	if err != nil {
		return err
	}
	fields := memberFieldsOf(c)
	fields.ReferralCode = "" // set at enrolment only
	m, err := models.UpdateMember(a.tenant(c), actor(c), stored.ID, memberInput(fields), a.now())
	return a.answer(c, err, func(status int) error {
		return a.renderMember(c, stored, memberView{status: status, form: formEdit, err: err, edit: &fields})
	}, func() string { return m.Name + "'s details are saved." }, memberURL(stored.ID))
}

func (a *App) tagMember(c echo.Context) error {
	stored, err := a.member(c)
	if err != nil {
		return err
	}
	typed := c.FormValue("tags")
	_, err = models.SetMemberTags(a.tenant(c), actor(c), stored.ID, typed)
	return a.answer(c, err, func(status int) error {
		return a.renderMember(c, stored, memberView{status: status, form: formTags, err: err, tags: typed})
	}, func() string { return stored.Name + "'s tags are saved." }, memberURL(stored.ID))
}

func (a *App) blockMember(c echo.Context) error { return a.setMemberBlocked(c, true) }

func (a *App) unblockMember(c echo.Context) error { return a.setMemberBlocked(c, false) }

func (a *App) setMemberBlocked(c echo.Context, blocked bool) error {
	stored, err := a.member(c)
	if err != nil {
		return err
	}
	m, err := models.SetMemberBlocked(a.tenant(c), actor(c), stored.ID, blocked)
	return a.answer(c, err, func(status int) error {
		return a.renderMember(c, stored, memberView{status: status, form: formBlock, err: err})
	}, func() string {
		if blocked {
			return m.Name + " is blocked: no earning or redeeming until a manager unblocks them."
		}
		return m.Name + " is unblocked."
	}, memberURL(stored.ID))
}

// The forms of a member's page, to put a refusal beside the one that was
// sent.
const (
	formEdit    = "edit"
	formBlock   = "block"
	formAdjust  = "adjust"
	formProgram = "program" // a redemption or an action, in one program
	formVoucher = "voucher"
	formRefund  = "refund"
	formTags    = "tags"
)

// memberView is how to draw a member's page: the status, and after a
// refused form, which one it was, why, and what was typed.
type memberView struct {
	status     int
	form       string
	err        error
	programID  int64 // formProgram
	purchaseID int64 // formRefund
	edit       *pages.MemberFields
	adjust     *pages.AdjustForm
	refund     string // the amount typed
	refundKey  string
	tags       string          // formTags: what was typed
	pageKey    string          // the key in the address (addressKey); "" for a fresh one
	give       *pages.GiveForm // a refused staff-assisted recognition, as typed
}

// renderMember draws a member's page.
func (a *App) renderMember(c echo.Context, m *models.Member, v memberView) error {
	data, err := a.memberData(c, m, v)
	if err != nil {
		return err
	}
	return render(c, v.status, pages.Member(a.shell(c, m.Name), data))
}

// memberData maps a member's overview to their page; a refusal in v goes
// beside the form it is about, or on top when that form is not on the
// page.
func (a *App) memberData(c echo.Context, m *models.Member, v memberView) (pages.MemberData, error) {
	before, _ := parseID(c.QueryParam("before")) // a mangled page starts at the newest
	ov, err := models.MemberOverviewBefore(a.tenant(c), m.ID, before, a.now())
	if err != nil {
		return pages.MemberData{}, err
	}
	merchant := currentMerchant(c)
	loc, currency := merchant.Location(), merchant.Currency
	data := pages.MemberData{
		Member: memberHeader(&ov.Member, loc), CanManage: may(c, models.RoleManager),
		Tags: ov.Tags, TagsValue: strings.Join(ov.Tags, ", "), MultiProgram: len(ov.Programs) > 1,
		Referrals: referralRows(ov, loc, currency), ReferralsMore: ov.ReferralsTotal - int64(len(ov.Referrals)),
		Adjust: adjustChoices(c, ov.Programs), Edit: pages.MemberForm{Fields: storedMemberFields(&ov.Member)},
	}
	if r := ov.Referrer; r != nil {
		data.Member.ReferredBy, data.Member.ReferredByURL = r.Name, memberURL(r.ID)
	}
	if v.pageKey == "" {
		v.pageKey = randomToken()
	}
	for i := range ov.Programs {
		data.Programs = append(data.Programs, programCard(c, &ov.Programs[i], &ov.Member, v.pageKey, a.now()))
	}
	for i := range ov.Vouchers {
		data.Vouchers = append(data.Vouchers, voucherRow(c, &ov.Vouchers[i], ov, loc, a.now()))
	}
	memberLedger(c, ov, before, &data)
	for i := range ov.Purchases {
		data.Purchases = append(data.Purchases, purchaseRow(&ov.Purchases[i], ov, currency, loc, data.CanManage))
	}
	placeRefusal(&data, v)
	if data.Recognition, err = a.recognitionHistory(c, models.Party{MemberID: m.ID}); err != nil {
		return data, err
	}
	data.Recognition.Give, err = a.memberGiveForm(c, m.ID, v.give, memberURL(m.ID)+"/recognition", memberURL(m.ID))
	return data, err
}

// referralRows lists the members this one referred, and what each
// referral paid them, naming the program when the merchant runs several.
func referralRows(ov *models.MemberSummary, loc *time.Location, currency string) []pages.ReferralRow {
	var rows []pages.ReferralRow
	for _, r := range ov.Referrals {
		row := pages.ReferralRow{URL: memberURL(r.Member.ID), Name: r.Member.Name, Since: localDate(&r.Member.CreatedAt, loc), Paid: r.Paid}
		for _, pay := range r.Payouts {
			paid, in := fmt.Sprint(pay.ReferrerPoints), ""
			if p := ov.Program(pay.ProgramID); p != nil {
				paid, in = units(p, pay.ReferrerPoints, currency), " in "+p.Name
			}
			if len(ov.Catalog) > 1 {
				paid += in
			}
			row.Payouts = append(row.Payouts, paid)
		}
		rows = append(rows, row)
	}
	return rows
}

// placeRefusal puts a refused form's message beside the form, with what
// was typed. A refusal of a form not on the page (a block, a purchase too
// old to list, a program no longer shown) goes on top, in full; so does a
// refused tags field's, which also shows beside the field.
func placeRefusal(data *pages.MemberData, v memberView) {
	if v.err == nil {
		return
	}
	message := models.ErrorMessage(v.err)
	if v.form == formTags {
		data.TagsValue, data.TagsError = v.tags, models.FieldErrors(v.err)["tags"]
		message = ""
	} else if placeBeside(data, v, message) {
		return
	}
	data.Message = message
	for _, msg := range models.FieldErrors(v.err) {
		data.Message += " " + msg
	}
}

// placeBeside puts a refusal beside its form, and reports whether that
// form is on the page.
func placeBeside(data *pages.MemberData, v memberView, message string) bool {
	switch v.form {
	case formProgram:
		for i := range data.Programs {
			if data.Programs[i].ID == v.programID {
				data.Programs[i].Message = message
				return true
			}
		}
	case formVoucher:
		data.VoucherMessage = message
		return true
	case formRefund:
		for i := range data.Purchases {
			if row := &data.Purchases[i]; row.ID == v.purchaseID && row.RefundURL != "" {
				row.Typed, row.Key = v.refund, orNewKey(v.refundKey)
				row.Error, row.Message = models.FieldErrors(v.err)["amount"], message
				return true
			}
		}
	case formAdjust:
		if v.adjust != nil && len(data.Adjust.Programs) > 0 {
			typed := *v.adjust
			typed.Programs, typed.Reasons, typed.Hint = data.Adjust.Programs, data.Adjust.Reasons, data.Adjust.Hint
			typed.Errors, typed.Message = models.FieldErrors(v.err), message
			data.Adjust = typed
			return true
		}
	case formEdit:
		if v.edit != nil {
			data.Edit = refusedMemberForm(*v.edit, v.err)
			return true
		}
	}
	return false
}

func memberHeader(m *models.Member, loc *time.Location) pages.MemberHeader {
	h := pages.MemberHeader{
		URL: memberURL(m.ID), Name: m.Name, CardCode: models.FormatCardCode(m.CardCode),
		Email: m.Email, Phone: models.FormatPhone(m.Phone), Since: localDate(&m.CreatedAt, loc),
		LastActivity: localDate(m.LastActivityAt, loc), MarketingOptIn: m.MarketingOptIn, Blocked: m.Blocked,
	}
	// The QR holds the bare code, which the till's search takes as typed.
	if qr, err := components.NewQRCode(m.CardCode); err == nil {
		h.CardQR = qr
	}
	if m.Birthday != nil {
		h.Birthday = *m.Birthday
		if d, err := time.Parse(time.DateOnly, *m.Birthday); err == nil {
			h.Birthday = d.Format("2 January 2006")
		}
	}
	return h
}

// programCard is a member's standing in one program.
func programCard(c echo.Context, ps *models.ProgramSummary, m *models.Member, pageKey string, now time.Time) pages.MemberProgram {
	p, merchant := ps.Program, currentMerchant(c)
	loc, currency := merchant.Location(), merchant.Currency
	card := pages.MemberProgram{
		ID: p.ID, Name: p.Name, Status: string(p.Status), Active: p.TakesActivity(),
		Balance: units(p, ps.Account.Balance, currency),
	}
	tierProgress(&card, ps, currency)
	card.Membership = membershipPanel(c, membershipSource{
		program: p, memberID: m.ID, blocked: m.Blocked, tiers: ps.Tiers,
		benefits: ps.Benefits, membership: ps.Membership, sellURL: memberURL(m.ID) + "/membership", pageKey: pageKey,
	}, now)
	for _, e := range ps.Expiring {
		row := pages.ExpiringRow{Amount: units(p, e.Amount, currency), On: localDate(&e.On, loc)}
		if p.ExpiryPolicy == models.ExpireInactivity {
			row.Note = "unless they earn or redeem before"
		}
		card.Expiring = append(card.Expiring, row)
	}
	for _, s := range ps.Rewards {
		if r := s.Reward; s.Redeemable() {
			card.Rewards = append(card.Rewards, pages.AffordableReward{
				ID: r.ID, Name: r.Name, Cost: units(p, r.Cost, currency), Gives: rewardGives(r, currency), Key: randomToken(),
			})
		}
	}
	card.Saving = savingFor(ps, currency)
	for _, r := range ps.Actions {
		card.Actions = append(card.Actions, pages.ActionButton{
			ID: r.ID, Name: r.Name, Points: units(p, r.Points, currency), Cap: ruleCapLabels[r.Cap], Key: randomToken(),
		})
	}
	return card
}

// savingShown is how many rewards a card lists as saved for.
const savingShown = 3

// savingFor lists the rewards only points stand between the member and,
// the nearest first, with how far each is.
func savingFor(ps *models.ProgramSummary, currency string) []pages.SavingReward {
	var near []models.RewardStanding
	for _, s := range ps.Rewards {
		if s.Saving() {
			near = append(near, s)
		}
	}
	slices.SortStableFunc(near, func(a, b models.RewardStanding) int { return cmp.Compare(a.Short, b.Short) })
	var out []pages.SavingReward
	for _, s := range near[:min(len(near), savingShown)] {
		r := s.Reward
		out = append(out, pages.SavingReward{
			Name: r.Name, Cost: units(ps.Program, r.Cost, currency), Gives: rewardGives(r, currency), ToGo: units(ps.Program, s.Short, currency),
		})
	}
	return out
}

// tierProgress names the member's tier and how far the next one is, in
// the program's metric: "120 points to Gold", "45.00 EUR to Gold".
func tierProgress(card *pages.MemberProgram, ps *models.ProgramSummary, currency string) {
	if len(ps.Tiers) == 0 {
		return
	}
	if t := ps.Tier; t != nil {
		card.Tier, card.TierColor = t.Name, t.Color
		if t.Paid {
			card.Progress = "paid tier"
			return
		}
	}
	switch next, value := ps.NextTier, ps.Qualifying; {
	case next != nil:
		left := next.Threshold - value
		var amount string
		switch ps.Program.TierMetric {
		case models.MetricSpend:
			amount = money(left, currency)
		case models.MetricVisits:
			amount = quantity(fmt.Sprint(left), "visits")
		default:
			amount = units(ps.Program, left, currency)
		}
		card.Progress = amount + " to " + next.Name
		card.ProgressValue, card.ProgressMax = max(value, 0), next.Threshold
	case ps.Tier != nil:
		card.Progress = "top tier"
	}
}

var voucherStatusWords = map[models.VoucherStatus]string{
	models.VoucherIssued: "issued", models.VoucherUsed: "used", models.VoucherCancelled: "cancelled",
}

func voucherRow(c echo.Context, v *models.Voucher, ov *models.MemberSummary, loc *time.Location, now time.Time) pages.VoucherRow {
	row := pages.VoucherRow{
		ID: v.ID, Code: models.FormatCardCode(v.Code),
		Status: voucherStatusWords[v.Status], Issued: localDate(&v.CreatedAt, loc), ClosedBy: v.ClosedBy,
		Expires: "—",
	}
	if r := ov.Reward(v.RewardID); r != nil {
		row.Reward = r.Name
	}
	if p := ov.Program(v.ProgramID); p != nil {
		row.Program = p.Name
	}
	if v.ExpiresAt != nil && v.Status == models.VoucherIssued {
		row.Expires = localDate(v.ExpiresAt, loc)
	}
	if v.Status == models.VoucherIssued {
		if v.Expired(now) {
			row.Status = "expired"
		} else {
			row.UseURL = voucherURL(v.ID) + "/use"
		}
		if may(c, models.RoleManager) {
			row.CancelURL = voucherURL(v.ID) + "/cancel"
		}
	}
	return row
}

func voucherURL(id int64) string { return fmt.Sprintf("/vouchers/%d", id) }

func purchaseURL(id int64) string { return fmt.Sprintf("/purchases/%d", id) }

func purchaseRow(pur *models.Purchase, ov *models.MemberSummary, currency string, loc *time.Location, canRefund bool) pages.PurchaseRow {
	row := pages.PurchaseRow{
		ID: pur.ID, When: pur.OccurredAt.In(loc).Format("2 Jan 2006 15:04"),
		Amount: money(pur.AmountMinor, currency), OrderRef: pur.OrderRef,
	}
	if !pur.RefundsDirectly() {
		row.OrderRef, canRefund = "Membership fee (refunded by cancelling the membership)", false
	}
	if p := ov.Program(pur.ProgramID); p != nil {
		row.Program = p.Name
		row.Earned = units(p, pur.Earned, currency)
		if pur.ClawedBack > 0 {
			row.Earned += " (" + units(p, pur.ClawedBack, currency) + " back)"
		}
	}
	if pur.RefundedMinor > 0 {
		row.Refunded = money(pur.RefundedMinor, currency)
	}
	if left := pur.AmountMinor - pur.RefundedMinor; canRefund && left > 0 {
		row.RefundURL, row.Key = purchaseURL(pur.ID)+"/refund", randomToken()
		row.Left, row.Currency = models.FormatMoney(left, currency), currency
	}
	return row
}

// orNewKey keeps the idempotency key a refused form was sent with, so
// sending it again after a correction still counts once.
func orNewKey(k string) string {
	if strings.TrimSpace(k) == "" {
		return randomToken()
	}
	return k
}

var entryKindWords = map[models.EntryKind]string{
	models.KindPurchaseEarn: "Purchase", models.KindRuleEarn: "Bonus", models.KindCampaignBonus: "Campaign bonus",
	models.KindManualCredit: "Manual credit", models.KindManualDebit: "Manual debit",
	models.KindRedemption: "Redemption", models.KindRedemptionCancel: "Redemption cancelled",
	models.KindRefundClawback: "Refund", models.KindExpiry: "Expiry",
	models.KindOpeningBalance: "Opening balance", models.KindRecognition: "Recognition",
}

// memberLedger fills the overview's page of the member's history, newest
// first, the one from ?before= on, with the links to the pages around it.
func memberLedger(c echo.Context, ov *models.MemberSummary, before int64, data *pages.MemberData) {
	merchant := currentMerchant(c)
	loc, currency := merchant.Location(), merchant.Currency
	if ov.OlderEntries {
		data.OlderURL = fmt.Sprintf("%s?before=%d#history", memberURL(ov.Member.ID), ov.Entries[len(ov.Entries)-1].ID)
	}
	if before > 0 {
		data.NewestURL = memberURL(ov.Member.ID) + "#history"
	}
	for i := range ov.Entries {
		e := &ov.Entries[i]
		row := pages.EntryRow{
			When: e.CreatedAt.In(loc).Format("2 Jan 2006 15:04"), Kind: entryKindWords[e.Kind],
			Credit: e.Amount >= 0, Actor: e.ActorName, Reason: e.Reason, Note: e.Note,
			Amount: fmt.Sprintf("%+d", e.Amount), BalanceAfter: fmt.Sprint(e.BalanceAfter),
		}
		if row.Kind == "" {
			row.Kind = string(e.Kind)
		}
		if row.Reason == row.Kind {
			row.Reason = "" // a purchase's reason is "Purchase": say it once
		}
		if p := ov.Program(e.ProgramID); p != nil {
			row.Program = p.Name
			row.Amount = signed(p, e.Amount, currency)
			row.BalanceAfter = units(p, e.BalanceAfter, currency)
		}
		data.Entries = append(data.Entries, row)
	}
}

// adjustChoices is the empty adjustment form: the programs that take
// activity, the reasons, and the signed-in role's limit.
func adjustChoices(c echo.Context, shown []models.ProgramSummary) pages.AdjustForm {
	f := pages.AdjustForm{Key: randomToken()}
	cashback := false
	for _, ps := range shown {
		if p := ps.Program; p.TakesActivity() {
			f.Programs = append(f.Programs, components.Option{Value: strconv.FormatInt(p.ID, 10), Label: p.Name})
			cashback = cashback || p.Type == models.ProgramCashback
		}
	}
	if len(f.Programs) > 0 {
		f.ProgramID = f.Programs[0].Value
	}
	f.Reasons = []components.Option{{Value: "", Label: "Choose…"}}
	for _, r := range models.AdjustReasons {
		f.Reasons = append(f.Reasons, components.Option{Value: r, Label: r})
	}
	role := currentUser(c).Role
	f.Hint = "Positive to credit, negative to debit, like 50 or -20."
	if limit, limited := currentMerchant(c).AdjustLimit(role); limited {
		f.Hint += fmt.Sprintf(" As %s you may adjust by up to %d at a time.", role, limit)
	} else {
		f.Hint += " Owners have no limit."
	}
	if cashback {
		f.Hint += " Credit counts in minor units: 500 is " + money(500, currentMerchant(c).Currency) + "."
	}
	return f
}
