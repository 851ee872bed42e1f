package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/pages"
)

// The till: staff find the customer (a scanned card code goes straight to
// them), record a purchase while a preview says what it earns, and read
// its receipt, all without a mouse.

// tillURL is the till for a member (0 for none), in a program (0 for the
// default one), showing a receipt (0 for none).
func tillURL(memberID, programID, receiptID int64) string {
	q := url.Values{}
	for k, id := range map[string]int64{"member": memberID, "program": programID, "receipt": receiptID} {
		if id != 0 {
			q.Set(k, strconv.FormatInt(id, 10))
		}
	}
	if len(q) == 0 {
		return "/till"
	}
	return "/till?" + q.Encode()
}

// tillIDs reads the named optional ids (parseID), stopping at the first
// bad one.
func tillIDs(get func(string) string, names ...string) ([]int64, error) {
	ids := make([]int64, len(names))
	for i, n := range names {
		id, err := parseID(get(n))
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

// tillView is what a till page is asked to show.
type tillView struct {
	query     string
	memberID  int64
	programID int64 // 0: the first active program
	receiptID int64
	amount    string // a purchase form's input as typed
	amountErr string
	key       string // the refused form's idempotency key, kept; empty for a fresh one
	message   string // why the last purchase was refused
	confirm   string // the large amount to confirm before it is recorded
	sale      bool   // the refused form was a sale without a member
	preview   *pages.TillPreview
	paidID    int64 // a store-credit payment's receipt
	credit    *pages.TillCredit
	give      *pages.GiveForm // a refused recognition by the member, as typed
}

// keyTillProgram is the session's memory of the program the till last
// worked in, so the next customer starts there.
const keyTillProgram = "till_program"

// rememberTillProgram makes p the program the till starts in for the rest
// of the session.
func (a *App) rememberTillProgram(c echo.Context, p *models.Program) {
	s := a.session(c)
	if id, _ := s.Values[keyTillProgram].(int64); id == p.ID || !p.TakesActivity() {
		return
	}
	s.Values[keyTillProgram] = p.ID
	a.saveAfterWrite(c, s)
}

func (a *App) tillPage(c echo.Context) error {
	ids, err := tillIDs(c.QueryParam, "member", "program", "receipt", "paid")
	if err != nil {
		return err
	}
	v := tillView{query: strings.TrimSpace(c.QueryParam("q")), memberID: ids[0], programID: ids[1], receiptID: ids[2], paidID: ids[3]}
	if v.programID != 0 {
		p, err := models.GetProgram(a.tenant(c), v.programID)
		if err != nil {
			return err
		}
		a.rememberTillProgram(c, p)
	}
	v.key = addressKey(c)
	if v.query != "" && v.memberID == 0 {
		id, err := a.tillMatch(c, v.query)
		if err != nil {
			return err
		}
		if id != 0 {
			return redirect(c, tillURL(id, v.programID, 0))
		}
	}
	return a.renderTill(c, http.StatusOK, v)
}

// addressKey is the page key in the address, "" when there is none: the
// till's and the member page's form keys ride there (app.js puts them
// there). Pages behind login are never stored, so Back draws the forms
// anew, and the key in the URL is what makes an unsure second Enter replay
// the first purchase or sale instead of recording it twice.
func addressKey(c echo.Context) string {
	if key := c.QueryParam("key"); isFormKey(key) {
		return key
	}
	return ""
}

// isFormKey tells a key randomToken made from anything else a URL holds.
func isFormKey(s string) bool {
	if len(s) != 43 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func (a *App) renderTill(c echo.Context, status int, v tillView) error {
	d, err := a.tillData(c, v)
	if err != nil {
		return err
	}
	return render(c, status, pages.Till(a.shell(c, "Till"), d))
}

// tillMatch finds the one member a submitted search means: the holder of
// a card code typed or scanned exactly, else the only member it matches;
// 0 when it means several or none.
func (a *App) tillMatch(c echo.Context, q string) (int64, error) {
	db := a.tenant(c)
	m, err := models.FindMemberByCard(db, q)
	switch models.ErrorCode(err) {
	case "":
		return m.ID, nil
	case models.ENOTFOUND:
	default:
		return 0, err
	}
	ms, err := models.SearchMembers(db, models.MemberQuery{Text: q, Limit: 2})
	if err != nil || len(ms) != 1 {
		return 0, err
	}
	return ms[0].ID, nil
}

// tillSearch answers the search box as one types: the list for htmx, the
// till page for a plain request.
func (a *App) tillSearch(c echo.Context) error {
	ids, err := tillIDs(c.QueryParam, "program")
	if err != nil {
		return err
	}
	q := strings.TrimSpace(c.QueryParam("q"))
	c.Response().Header().Add("Vary", "HX-Request")
	if c.Request().Header.Get("HX-Request") != "true" {
		return a.renderTill(c, http.StatusOK, tillView{query: q, programID: ids[0]})
	}
	ms, err := models.TillSearch(a.tenant(c), q)
	if err != nil {
		return err
	}
	return ok(c, pages.TillResultsFragment(tillResults(q, ms, ids[0])))
}

// tillResults lists the members a search found, each linking to the
// till for them in the program shown.
func tillResults(q string, ms []models.Member, programID int64) pages.TillResults {
	r := pages.TillResults{Query: q, EnrolURL: "/members"}
	for _, m := range ms {
		r.Members = append(r.Members, pages.TillResult{
			URL: tillURL(m.ID, programID, 0), Name: m.Name, Card: models.FormatCardCode(m.CardCode),
			Phone: models.FormatPhone(m.Phone), Email: m.Email, Blocked: m.Blocked,
		})
	}
	return r
}

// tillPreview answers the amount as one types: what it will earn, the
// fragment for htmx, the till page with it for a plain request.
func (a *App) tillPreview(c echo.Context) error {
	ids, err := tillIDs(c.QueryParam, "program_id", "member_id")
	if err != nil {
		return err
	}
	programID, memberID := ids[0], ids[1]
	if programID == 0 || memberID == 0 {
		return models.Errorf(models.ENOTFOUND, "There is nothing here.")
	}
	db := a.tenant(c)
	p, err := models.GetProgram(db, programID)
	if err != nil {
		return err
	}
	if _, err := models.GetMember(db, memberID); err != nil {
		return err
	}
	amount := c.QueryParam("amount")
	result, err := a.tillPreviewResult(c, p, memberID, amount)
	if err != nil {
		return err
	}
	c.Response().Header().Add("Vary", "HX-Request")
	if c.Request().Header.Get("HX-Request") == "true" {
		return ok(c, pages.TillPreviewFragment(result))
	}
	status := http.StatusOK
	if result != nil && result.Error != "" {
		status = http.StatusUnprocessableEntity
	}
	return a.renderTill(c, status, tillView{memberID: memberID, programID: programID, amount: amount, preview: result})
}

// tillPreviewResult runs the ledger's own calculation for a typed amount;
// input it refuses becomes the preview's message, nothing typed yet none.
func (a *App) tillPreviewResult(c echo.Context, p *models.Program, memberID int64, amount string) (*pages.TillPreview, error) {
	if strings.TrimSpace(amount) == "" {
		return nil, nil
	}
	b, err := models.PreviewPurchase(a.tenant(c), p.ID, memberID, amount, a.now())
	switch models.ErrorCode(err) {
	case "":
	case models.EINVALID:
		return &pages.TillPreview{Error: models.FieldErrors(err)["amount"]}, nil
	case models.ECONFLICT:
		return &pages.TillPreview{Error: models.ErrorMessage(err)}, nil
	default:
		return nil, err
	}
	if !b.Qualifies {
		return &pages.TillPreview{Reason: b.Reason}, nil
	}
	currency := currentMerchant(c).Currency
	r := &pages.TillPreview{Total: "+" + units(p, b.Total, currency)}
	tier := b.TierName != "" && b.TierMultiplierMilli > 1000 // a tier at 1× changes nothing: no need to say it
	if tier || b.CampaignName != "" || b.Bonus > 0 {
		r.Parts = append(r.Parts, units(p, b.Base, currency)+" base")
		if tier {
			r.Parts = append(r.Parts, b.TierName+" "+multiplierText(b.TierMultiplierMilli))
		}
		if b.CampaignName != "" {
			r.Parts = append(r.Parts, b.CampaignName+" "+multiplierText(b.CampaignMultiplierMilli))
		}
		if b.Bonus > 0 {
			r.Parts = append(r.Parts, "+"+units(p, b.Bonus, currency)+" "+strings.Join(b.BonusCampaigns, ", "))
		}
	}
	return r, nil
}

// tillPurchase records a purchase. Another merchant's member or program
// is a 404 whatever else the form says; refused input shows the till
// again with the amount as typed; success shows the receipt. The same
// idempotency key again shows the first receipt and credits nothing.
func (a *App) tillPurchase(c echo.Context) error {
	ids, err := tillIDs(c.FormValue, "program_id", "member_id")
	if err != nil {
		return err
	}
	programID, memberID := ids[0], ids[1]
	if programID == 0 {
		return models.Errorf(models.ENOTFOUND, "No such program.")
	}
	db := a.tenant(c)
	// The program (from the merchant's configuration copy) and the member
	// are read inside the purchase's transaction; another merchant's is a
	// 404 there.
	in := models.PurchaseInput{
		ProgramID: programID, MemberID: memberID, Amount: c.FormValue("amount"),
		Channel: models.ChannelInStore, IdempotencyKey: c.FormValue("idempotency_key"),
		ConfirmedLarge: c.FormValue(models.FieldConfirmLarge) == "yes", Read: models.ReadRows{Merchant: currentMerchant(c)},
	}
	res, err := models.RecordPurchase(db, actor(c), in, a.now())
	if status, refused := formRefusal(c, err); refused {
		return a.renderTill(c, status, purchaseRefused(in, err))
	}
	if err != nil {
		return err
	}
	a.rememberTillProgram(c, res.Program)
	if res.Replayed {
		at := res.Purchase.OccurredAt.In(currentMerchant(c).Location()).Format("15:04")
		a.flash(c, "info", "This purchase was already recorded at "+at+"; it was not credited again.")
	}
	return redirect(c, tillURL(memberID, 0, res.Purchase.ID))
}

// purchaseRefused is the till again after a refused purchase: the form as
// typed, with why.
func purchaseRefused(in models.PurchaseInput, err error) tillView {
	v := tillView{memberID: in.MemberID, programID: in.ProgramID, amount: in.Amount, key: in.IdempotencyKey, sale: in.MemberID == 0}
	fields := models.FieldErrors(err)
	v.amountErr, v.confirm = fields["amount"], fields[models.FieldConfirmLarge]
	if v.amountErr == "" && v.confirm == "" {
		v.message = models.ErrorMessage(err)
		if msg := fields["idempotency_key"]; msg != "" {
			v.message = msg
		}
	}
	if models.ErrorCode(err) == models.ECONFLICT || fields["idempotency_key"] != "" {
		v.key = "" // this key cannot record a purchase: the form gets a fresh one
	}
	return v
}

// tillMemberProgram loads the member and program a till form names;
// another merchant's id, or none, is a 404 whatever else the form says.
func (a *App) tillMemberProgram(c echo.Context) (*models.Member, *models.Program, error) {
	ids, err := tillIDs(c.FormValue, "member_id", "program_id")
	if err != nil {
		return nil, nil, err
	}
	if ids[0] == 0 || ids[1] == 0 {
		return nil, nil, models.Errorf(models.ENOTFOUND, "There is nothing here.")
	}
	db := a.tenant(c)
	m, err := models.GetMember(db, ids[0])
	if err != nil {
		return nil, nil, err
	}
	p, err := models.GetProgram(db, ids[1])
	if err != nil {
		return nil, nil, err
	}
	return m, p, nil
}

// tillCredit pays with a cashback program's store credit: its receipt on
// the till, or the form again with why not.
func (a *App) tillCredit(c echo.Context) error {
	m, p, err := a.tillMemberProgram(c)
	if err != nil {
		return err
	}
	typed := &pages.TillCredit{Amount: c.FormValue("amount"), Key: c.FormValue("idempotency_key")}
	e, replayed, err := models.SpendCredit(a.tenant(c), actor(c), models.SpendCreditInput{
		MemberID: m.ID, ProgramID: p.ID, Amount: typed.Amount, IdempotencyKey: typed.Key,
	}, a.now())
	if status, refused := formRefusal(c, err); refused {
		v := tillView{memberID: m.ID, programID: p.ID, credit: typed}
		if typed.Error = models.FieldErrors(err)["amount"]; typed.Error == "" {
			v.message, typed.Key = models.ErrorMessage(err), ""
		}
		return a.renderTill(c, status, v)
	}
	if err != nil {
		return err
	}
	a.rememberTillProgram(c, p)
	if replayed {
		a.flash(c, "info", "This payment was already recorded; no credit was taken again.")
	}
	return redirect(c, tillURL(m.ID, 0, 0)+"&paid="+strconv.FormatInt(e.ID, 10))
}

// tillRedeem redeems a reward from the till and comes back to it.
func (a *App) tillRedeem(c echo.Context) error {
	m, p, err := a.tillMemberProgram(c)
	if err != nil {
		return err
	}
	rewardID, err := parseID(c.FormValue("reward_id"))
	if err != nil {
		return err
	}
	v, replayed, err := a.redeem(c, models.RedeemInput{MemberID: m.ID, ProgramID: p.ID, RewardID: rewardID,
		IdempotencyKey: c.FormValue("idempotency_key")})
	if status, refused := formRefusal(c, err); refused {
		return a.renderTill(c, status, tillView{memberID: m.ID, programID: p.ID, message: models.ErrorMessage(err)})
	}
	if err != nil {
		return err
	}
	r, err := models.GetReward(a.tenant(c), p.ID, v.RewardID)
	if err != nil {
		return err
	}
	a.rememberTillProgram(c, p)
	msg := fmt.Sprintf("%s redeemed for %s: voucher %s.", r.Name, units(p, v.Cost, currentMerchant(c).Currency), models.FormatCardCode(v.Code))
	if replayed {
		msg = fmt.Sprintf("%s was already redeemed: voucher %s.", r.Name, models.FormatCardCode(v.Code))
	}
	a.flash(c, "success", msg)
	return redirect(c, tillURL(m.ID, 0, 0))
}

// tillUseVoucher marks a voucher used from the till and comes back to it.
func (a *App) tillUseVoucher(c echo.Context) error {
	stored, m, err := a.voucher(c)
	if err != nil {
		return err
	}
	v, err := models.MarkVoucherUsed(a.tenant(c), actor(c), stored.ID, a.now())
	if status, refused := formRefusal(c, err); refused {
		return a.renderTill(c, status, tillView{memberID: m.ID, programID: stored.ProgramID, message: models.ErrorMessage(err)})
	}
	if err != nil {
		return err
	}
	a.flash(c, "success", fmt.Sprintf("Voucher %s is marked used.", models.FormatCardCode(v.Code)))
	return redirect(c, tillURL(m.ID, stored.ProgramID, 0))
}

// tillData builds the till page for what was asked.
func (a *App) tillData(c echo.Context, v tillView) (pages.TillData, error) {
	m := currentMerchant(c)
	remembered, _ := a.session(c).Values[keyTillProgram].(int64)
	o, err := models.ReadTill(a.tenant(c), m, models.TillQuery{
		Text: v.query, MemberID: v.memberID, ProgramID: v.programID, Remembered: remembered,
		ReceiptID: v.receiptID, PaidID: v.paidID,
	}, a.now())
	if err != nil {
		return pages.TillData{}, err
	}
	if v.key == "" {
		v.key = randomToken()
	}
	t := tillPage{o: o, v: v, currency: m.Currency, loc: m.Location()}
	d := pages.TillData{Message: v.message, Programs: t.programs(), Search: t.search()}
	switch {
	case o.Receipt != nil:
		d.Receipt = t.receipt()
	case o.Member != nil:
		t.member(&d)
		if tm := o.Member; o.Program != nil {
			d.Member.Membership = membershipPanel(c, membershipSource{
				program: o.Program, memberID: tm.Member.ID, blocked: tm.Member.Blocked, tiers: tm.PaidTiers,
				benefits: tm.Benefits, membership: tm.Membership, sellURL: "/till/membership", pageKey: v.key,
			}, a.now())
			if d.Member.Give, err = a.tillGiveForm(c, tm.Member.ID, o.Program.ID, v.give); err != nil {
				return pages.TillData{}, err
			}
		}
	default:
		if d.Notice = t.closed(); d.Notice == "" {
			d.Sale = t.form(0)
			d.Sale.Sale, d.Sale.Open = true, v.sale
		}
	}
	return d, nil
}

// tillPage maps the till's read-model to its view: words, amounts, links
// and the forms, with what a refused form had typed.
type tillPage struct {
	o        *models.TillOverview
	v        tillView
	currency string
	loc      *time.Location
}

// param is a program as links carry it: not at all when it is the
// default one.
func (t tillPage) param(id int64) int64 {
	if t.o.Default != nil && t.o.Default.ID == id {
		return 0
	}
	return id
}

// shown is the program shown, as links carry it.
func (t tillPage) shown() int64 {
	if t.o.Program == nil {
		return 0
	}
	return t.param(t.o.Program.ID)
}

func (t tillPage) current(id int64) bool { return t.o.Program != nil && t.o.Program.ID == id }

// programs is the switcher: the active programs when there are several,
// and the one shown when it takes no activity.
func (t tillPage) programs() []pages.TillProgram {
	active, p := t.o.Active(), t.o.Program
	inactive := p != nil && !p.TakesActivity()
	if len(active) < 2 && !inactive {
		return nil
	}
	var out []pages.TillProgram
	for _, ap := range active {
		out = append(out, pages.TillProgram{Name: ap.Name, URL: tillURL(t.v.memberID, t.param(ap.ID), 0), Current: t.current(ap.ID)})
	}
	if inactive {
		out = append(out, pages.TillProgram{Name: p.Name + " (" + string(p.Status) + ")", URL: tillURL(t.v.memberID, p.ID, 0), Current: true})
	}
	return out
}

func (t tillPage) search() pages.TillSearch {
	s := pages.TillSearch{Query: t.v.query, Autofocus: true}
	if pid := t.shown(); pid != 0 {
		s.ProgramID = strconv.FormatInt(pid, 10)
	}
	if t.v.query != "" && t.v.memberID == 0 {
		r := tillResults(t.v.query, t.o.Matches, t.shown())
		s.Results = &r
	}
	return s
}

// closed says why the till's program takes no purchase; "" when it does.
func (t tillPage) closed() string {
	switch p := t.o.Program; {
	case p == nil:
		return "No program takes purchases yet: an owner activates one on the Programs page."
	case !p.TakesActivity():
		return fmt.Sprintf("%s is %s: it takes no purchases.", p.Name, p.Status)
	}
	return ""
}

// form is a purchase form in the shown program, for a member or (0) a
// sale without one, with what a refused one had typed.
func (t tillPage) form(memberID int64) *pages.TillPurchase {
	f := &pages.TillPurchase{
		ProgramID: strconv.FormatInt(t.o.Program.ID, 10), Key: t.v.key, Currency: t.currency,
		Amount: t.v.amount, Error: t.v.amountErr, Confirm: t.v.confirm,
	}
	if memberID != 0 {
		f.MemberID = strconv.FormatInt(memberID, 10)
	}
	return f
}

// member fills in the chosen member: their card, a payment just made,
// and the purchase form with their offers when they can buy.
func (t tillPage) member(d *pages.TillData) {
	tm, p := t.o.Member, t.o.Program
	d.Member = t.card()
	if t.o.Paid != nil {
		d.Paid = &pages.TillPaid{
			Amount: money(-t.o.Paid.Amount, t.currency), Member: tm.Member.Name, Program: p.Name,
			At: t.o.Paid.CreatedAt.In(t.loc).Format("15:04"), Credit: units(p, t.o.Paid.BalanceAfter, t.currency),
		}
	}
	if tm.Member.Blocked {
		d.Notice = tm.Member.Name + " is blocked: they earn and redeem nothing until a manager unblocks them on their member page."
		return
	}
	if d.Notice = t.closed(); d.Notice != "" {
		return
	}
	d.Purchase = t.form(tm.Member.ID)
	d.Purchase.Autofocus, d.Search.Autofocus = t.v.confirm == "" && t.v.credit == nil, false
	d.Purchase.PreviewURL = "/till/preview?" + url.Values{
		"program_id": {strconv.FormatInt(p.ID, 10)}, "member_id": {strconv.FormatInt(tm.Member.ID, 10)},
	}.Encode()
	d.Purchase.Preview = t.v.preview
	t.offers(d.Member)
}

// card is the member's card in the shown program, with their balance in
// each program when they have several.
func (t tillPage) card() *pages.TillMember {
	tm, p := t.o.Member, t.o.Program
	m := &tm.Member
	out := &pages.TillMember{
		Name: m.Name, Card: models.FormatCardCode(m.CardCode), Phone: models.FormatPhone(m.Phone), Blocked: m.Blocked,
		MemberURL: fmt.Sprintf("/members/%d", m.ID), Balance: "—",
	}
	if len(tm.Balances) > 1 { // the one balance is the card's own
		for _, b := range tm.Balances {
			out.Balances = append(out.Balances, pages.TillBalance{
				Program: b.Program.Name, Balance: units(b.Program, b.Balance, t.currency),
				URL: tillURL(m.ID, t.param(b.Program.ID), 0), Current: t.current(b.Program.ID),
			})
		}
	}
	if p != nil {
		out.Program, out.Balance = p.Name, units(p, tm.Account.Balance, t.currency)
		out.Tier = tierLabel(tm.Tiered, tm.Tier)
	}
	return out
}

// offers adds what the member can do besides buying: redeem, use their
// vouchers, pay with store credit.
func (t tillPage) offers(out *pages.TillMember) {
	tm, p := t.o.Member, t.o.Program
	memberID, programID := strconv.FormatInt(tm.Member.ID, 10), strconv.FormatInt(p.ID, 10)
	for _, r := range tm.Rewards {
		out.Rewards = append(out.Rewards, pages.TillReward{
			MemberID: memberID, ProgramID: programID, RewardID: strconv.FormatInt(r.ID, 10),
			Name: r.Name, Cost: units(p, r.Cost, t.currency), Key: randomToken(),
		})
	}
	for _, tv := range tm.Vouchers {
		row := pages.TillVoucherUse{
			Code: models.FormatCardCode(tv.Voucher.Code), Reward: tv.Reward, Program: p.Name,
			UseURL: fmt.Sprintf("/till/vouchers/%d/use", tv.Voucher.ID),
		}
		if tv.Voucher.ExpiresAt != nil {
			row.Expires = localDate(tv.Voucher.ExpiresAt, t.loc)
		}
		out.Vouchers = append(out.Vouchers, row)
	}
	if tm.Credit != nil {
		f := &pages.TillCredit{}
		if t.v.credit != nil {
			*f = *t.v.credit
		}
		f.ProgramID, f.MemberID, f.Currency, f.Available = programID, memberID, t.currency, money(*tm.Credit, t.currency)
		if f.Key == "" {
			f.Key = randomToken()
		}
		out.Credit = f
	}
}

// tierLabel names a tier: "none" before the first, "" when the program
// has no tiers at all, so the page does not mention them.
func tierLabel(tiered bool, t *models.Tier) string {
	switch {
	case !tiered:
		return ""
	case t == nil:
		return "none"
	}
	return t.Name
}

// receipt words what a purchase did, read back from the ledger.
func (t tillPage) receipt() *pages.TillReceipt {
	r, p := t.o.Receipt, t.o.Program
	out := &pages.TillReceipt{
		Amount: money(r.Purchase.AmountMinor, t.currency), Program: p.Name,
		At: r.Purchase.OccurredAt.In(t.loc).Format("15:04"),
	}
	if r.Member == nil {
		out.Earned, out.Note = "Sale recorded", "No member: nothing was earned."
		return out
	}
	out.Member, out.Card = r.Member.Name, models.FormatCardCode(r.Member.CardCode)
	out.AgainURL, out.MemberURL = tillURL(r.Member.ID, t.shown(), 0), fmt.Sprintf("/members/%d", r.Member.ID)
	out.Earned, out.Balance = "+"+units(p, r.Purchase.Earned, t.currency), units(p, r.BalanceAfter, t.currency)
	if r.BelowMinimum {
		out.Note = fmt.Sprintf("Below the minimum purchase of %s: nothing was earned.", money(p.MinPurchaseMinor, t.currency))
	}
	out.Tier = tierLabel(r.Tiered, r.Tier)
	if r.Promoted != nil {
		out.Promoted = "Promoted to " + r.Promoted.Name + "!"
		if r.Promoted.Base() {
			out.Promoted = "Joined " + r.Promoted.Name + "."
		}
	}
	for _, e := range r.Extras {
		out.Extras = append(out.Extras, "+"+units(p, e.Amount, t.currency)+": "+e.Reason)
	}
	for _, cv := range r.Cards {
		tv := pages.TillVoucher{Code: models.FormatCardCode(cv.Voucher.Code), Reward: cv.Reward}
		if cv.Voucher.ExpiresAt != nil {
			tv.Expires = localDate(cv.Voucher.ExpiresAt, t.loc)
		}
		out.Vouchers = append(out.Vouchers, tv)
	}
	return out
}
