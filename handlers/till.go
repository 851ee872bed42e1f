package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/pages"
)

// The till: staff find the customer (a scanned card code goes straight to
// them), record a purchase while a preview says what it earns, and read
// its receipt, all without a mouse.

const tillSearchLimit = 10

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

// tillID reads an optional id from a query or form value: empty is 0;
// anything but a positive integer names nothing here.
func tillID(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, models.Errorf(models.ENOTFOUND, "There is nothing here.")
	}
	return id, nil
}

// tillIDs reads the named optional ids, stopping at the first bad one.
func tillIDs(get func(string) string, names ...string) ([]int64, error) {
	ids := make([]int64, len(names))
	for i, n := range names {
		id, err := tillID(get(n))
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
}

// keyTillProgram is the session's memory of the program the till last
// worked in, so the next customer starts there.
const keyTillProgram = "till_program"

// tillDefault is the program the till starts in: the one last used in this
// session, else the merchant's preferred one.
func (a *App) tillDefault(c echo.Context, programs []models.Program) *models.Program {
	last, _ := a.session(c).Values[keyTillProgram].(int64)
	return currentMerchant(c).PreferredProgram(programs, last)
}

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
	// The purchase form's key rides in the address (app.js puts it there):
	// pages behind login are never stored, so Back draws the form anew,
	// and the key in the URL is what makes an unsure second Enter replay
	// the first purchase instead of crediting it twice.
	if key := c.QueryParam("key"); isFormKey(key) {
		v.key = key
	}
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
	r, err := a.tillResults(c, q, ids[0])
	if err != nil {
		return err
	}
	return ok(c, pages.TillResultsFragment(r))
}

func (a *App) tillResults(c echo.Context, q string, programID int64) (pages.TillResults, error) {
	r := pages.TillResults{Query: q, EnrolURL: "/members"}
	if q == "" {
		return r, nil
	}
	ms, err := models.SearchMembers(a.tenant(c), models.MemberQuery{Text: q, Limit: tillSearchLimit})
	if err != nil {
		return r, err
	}
	for _, m := range ms {
		r.Members = append(r.Members, pages.TillResult{
			URL: tillURL(m.ID, programID, 0), Name: m.Name, Card: models.FormatCardCode(m.CardCode),
			Phone: models.FormatPhone(m.Phone), Email: m.Email, Blocked: m.Blocked,
		})
	}
	return r, nil
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
	p, err := models.GetProgram(db, programID)
	if err != nil {
		return err
	}
	if memberID != 0 {
		if _, err := models.GetMember(db, memberID); err != nil {
			return err
		}
	}
	in := models.PurchaseInput{
		ProgramID: programID, MemberID: memberID, Amount: c.FormValue("amount"),
		Channel: models.ChannelInStore, IdempotencyKey: c.FormValue("idempotency_key"),
		ConfirmedLarge: c.FormValue(models.FieldConfirmLarge) == "yes",
	}
	res, err := models.RecordPurchase(db, actor(c), in, a.now())
	if status, refused := refusal(err); refused {
		v := tillView{memberID: memberID, programID: programID, amount: in.Amount, key: in.IdempotencyKey, sale: memberID == 0}
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
		return a.renderTill(c, status, v)
	}
	if err != nil {
		return err
	}
	a.rememberTillProgram(c, p)
	if res.Replayed {
		at := res.Purchase.OccurredAt.In(currentMerchant(c).Location()).Format("15:04")
		a.flash(c, "info", "This purchase was already recorded at "+at+"; it was not credited again.")
	}
	return redirect(c, tillURL(memberID, 0, res.Purchase.ID))
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
	if status, refused := refusal(err); refused {
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
	rewardID, err := tillID(c.FormValue("reward_id"))
	if err != nil {
		return err
	}
	v, replayed, err := a.redeem(c, m.ID, p.ID, rewardID)
	if status, refused := refusal(err); refused {
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
	if status, refused := refusal(err); refused {
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
	db, currency := a.tenant(c), currentMerchant(c).Currency
	d := pages.TillData{Message: v.message}
	programs, err := models.ListPrograms(db)
	if err != nil {
		return d, err
	}
	var active []*models.Program
	for i := range programs {
		if programs[i].TakesActivity() {
			active = append(active, &programs[i])
		}
	}

	var receipt *models.Receipt
	if v.receiptID != 0 {
		if receipt, err = models.GetReceipt(db, v.receiptID); err != nil {
			return d, err
		}
		if pm := receipt.Purchase.MemberID; (pm == nil) != (v.memberID == 0) || pm != nil && *pm != v.memberID {
			return d, models.Errorf(models.ENOTFOUND, "No such purchase.")
		}
		v.programID = receipt.Purchase.ProgramID
	}
	var paid *models.LedgerEntry
	if v.paidID != 0 {
		if paid, err = models.GetCreditPayment(db, v.paidID); err != nil {
			return d, err
		}
		if paid.MemberID != v.memberID {
			return d, models.Errorf(models.ENOTFOUND, "No such payment.")
		}
		v.programID = paid.ProgramID
	}

	// The program: the one asked for, or the one the till starts in.
	def := a.tillDefault(c, programs)
	p := def
	if v.programID != 0 {
		p = nil
		for i := range programs {
			if programs[i].ID == v.programID {
				p = &programs[i]
			}
		}
		if p == nil {
			return d, models.Errorf(models.ENOTFOUND, "No such program.")
		}
	}
	// Links carry the program only when it is not the default one.
	programParam := func(id int64) int64 {
		if def != nil && def.ID == id {
			return 0
		}
		return id
	}
	var pid int64
	if p != nil {
		pid = programParam(p.ID)
	}
	if len(active) > 1 || p != nil && !p.TakesActivity() {
		for _, ap := range active {
			d.Programs = append(d.Programs, pages.TillProgram{
				Name: ap.Name, URL: tillURL(v.memberID, programParam(ap.ID), 0), Current: p != nil && ap.ID == p.ID,
			})
		}
		if p != nil && !p.TakesActivity() {
			d.Programs = append(d.Programs, pages.TillProgram{
				Name: p.Name + " (" + string(p.Status) + ")", URL: tillURL(v.memberID, p.ID, 0), Current: true,
			})
		}
	}

	d.Search = pages.TillSearch{Query: v.query, Autofocus: true}
	if pid != 0 {
		d.Search.ProgramID = strconv.FormatInt(pid, 10)
	}
	if v.query != "" && v.memberID == 0 {
		r, err := a.tillResults(c, v.query, pid)
		if err != nil {
			return d, err
		}
		d.Search.Results = &r
	}

	noProgram := "No program takes purchases yet: an owner activates one on the Programs page."
	form := func(memberID int64) *pages.TillPurchase {
		f := &pages.TillPurchase{
			ProgramID: strconv.FormatInt(p.ID, 10), Key: v.key, Currency: currency,
			Amount: v.amount, Error: v.amountErr, Confirm: v.confirm,
		}
		if f.Key == "" {
			f.Key = randomToken()
		}
		if memberID != 0 {
			f.MemberID = strconv.FormatInt(memberID, 10)
		}
		return f
	}

	switch {
	case receipt != nil:
		if d.Receipt, err = a.tillReceipt(c, receipt, p, pid); err != nil {
			return d, err
		}
	case v.memberID != 0:
		member, err := models.GetMember(db, v.memberID)
		if err != nil {
			return d, err
		}
		if d.Member, err = a.tillMember(c, member, p, programs, programParam); err != nil {
			return d, err
		}
		if paid != nil {
			m := currentMerchant(c)
			d.Paid = &pages.TillPaid{
				Amount: money(-paid.Amount, currency), Member: member.Name, Program: p.Name,
				At: paid.CreatedAt.In(m.Location()).Format("15:04"), Credit: units(p, paid.BalanceAfter, currency),
			}
		}
		switch {
		case member.Blocked:
			d.Notice = member.Name + " is blocked: they earn and redeem nothing until a manager unblocks them on their member page."
		case p == nil:
			d.Notice = noProgram
		case !p.TakesActivity():
			d.Notice = fmt.Sprintf("%s is %s: it takes no purchases.", p.Name, p.Status)
		default:
			d.Purchase = form(member.ID)
			d.Purchase.Autofocus, d.Search.Autofocus = v.confirm == "" && v.credit == nil, false
			d.Purchase.PreviewURL = "/till/preview?" + url.Values{
				"program_id": {strconv.FormatInt(p.ID, 10)}, "member_id": {strconv.FormatInt(member.ID, 10)},
			}.Encode()
			d.Purchase.Preview = v.preview
			if err := a.tillOffers(c, d.Member, member, p, v); err != nil {
				return d, err
			}
		}
	case p == nil:
		d.Notice = noProgram
	case !p.TakesActivity():
		d.Notice = fmt.Sprintf("%s is %s: it takes no purchases.", p.Name, p.Status)
	default:
		d.Sale = form(0)
		d.Sale.Sale, d.Sale.Open = true, v.sale
	}
	return d, nil
}

// tillMember is a member's card in a program (nil when there is none),
// with their balance in each program they belong to.
func (a *App) tillMember(c echo.Context, m *models.Member, p *models.Program, programs []models.Program, programParam func(int64) int64) (*pages.TillMember, error) {
	out := &pages.TillMember{
		Name: m.Name, Card: models.FormatCardCode(m.CardCode), Phone: models.FormatPhone(m.Phone), Blocked: m.Blocked,
		MemberURL: fmt.Sprintf("/members/%d", m.ID), Balance: "—",
	}
	db, currency := a.tenant(c), currentMerchant(c).Currency
	accounts, err := models.ListAccounts(db, m.ID)
	if err != nil {
		return nil, err
	}
	balances := make(map[int64]int64, len(accounts))
	for _, acc := range accounts {
		balances[acc.ProgramID] = acc.Balance
	}
	for i := range programs {
		q := &programs[i]
		if _, has := balances[q.ID]; !has && !q.TakesActivity() {
			continue
		}
		out.Balances = append(out.Balances, pages.TillBalance{
			Program: q.Name, Balance: units(q, balances[q.ID], currency), URL: tillURL(m.ID, programParam(q.ID), 0),
			Current: p != nil && q.ID == p.ID,
		})
	}
	if len(out.Balances) < 2 {
		out.Balances = nil // the one balance is the card's own
	}
	if p == nil {
		return out, nil
	}
	out.Program = p.Name
	out.Balance = units(p, balances[p.ID], currency)
	var tierID *int64
	for _, acc := range accounts {
		if acc.ProgramID == p.ID {
			tierID = acc.TierID
		}
	}
	if out.Tier, err = a.tillTier(c, p, tierID); err != nil {
		return nil, err
	}
	return out, nil
}

// tillOffers adds what the member can do in an active program besides
// buying: redeem what they can afford, use their vouchers, pay with
// store credit.
func (a *App) tillOffers(c echo.Context, out *pages.TillMember, m *models.Member, p *models.Program, v tillView) error {
	db, merchant := a.tenant(c), currentMerchant(c)
	var acc models.Account
	accounts, err := models.ListAccounts(db, m.ID)
	if err != nil {
		return err
	}
	for _, x := range accounts {
		if x.ProgramID == p.ID {
			acc = x
		}
	}
	ladder, err := models.ListTiers(db, p.ID)
	if err != nil {
		return err
	}
	rewards, err := models.ListRewards(db, p.ID, true)
	if err != nil {
		return err
	}
	standings, err := models.RewardStandings(db, &acc, rewards, ladder, a.localToday(c))
	if err != nil {
		return err
	}
	names := make(map[int64]string, len(rewards))
	for i, s := range standings {
		r := &rewards[i]
		names[r.ID] = r.Name
		if s.Redeemable() {
			out.Rewards = append(out.Rewards, pages.TillReward{
				MemberID: strconv.FormatInt(m.ID, 10), ProgramID: strconv.FormatInt(p.ID, 10), RewardID: strconv.FormatInt(r.ID, 10),
				Name: r.Name, Cost: units(p, r.Cost, merchant.Currency), Key: randomToken(),
			})
		}
	}
	vouchers, err := models.ListVouchers(db, m.ID)
	if err != nil {
		return err
	}
	now := a.now()
	for i := range vouchers {
		vo := &vouchers[i]
		if vo.ProgramID != p.ID || vo.Status != models.VoucherIssued || vo.Expired(now) {
			continue
		}
		row := pages.TillVoucherUse{
			Code: models.FormatCardCode(vo.Code), Reward: names[vo.RewardID], Program: p.Name,
			UseURL: fmt.Sprintf("/till/vouchers/%d/use", vo.ID),
		}
		if vo.ExpiresAt != nil {
			row.Expires = vo.ExpiresAt.In(merchant.Location()).Format("2 Jan 2006")
		}
		out.Vouchers = append(out.Vouchers, row)
	}
	if p.Type == models.ProgramCashback {
		f := &pages.TillCredit{}
		if v.credit != nil {
			*f = *v.credit
		}
		f.ProgramID, f.MemberID = strconv.FormatInt(p.ID, 10), strconv.FormatInt(m.ID, 10)
		f.Currency, f.Available = merchant.Currency, money(max(acc.Balance, 0), merchant.Currency)
		if f.Key == "" {
			f.Key = randomToken()
		}
		out.Credit = f
	}
	return nil
}

// tillTier names an account's tier: "none" before its first, "" when the
// program has no tiers at all, so the page does not mention them.
func (a *App) tillTier(c echo.Context, p *models.Program, tierID *int64) (string, error) {
	ladder, err := models.ListTiers(a.tenant(c), p.ID)
	if err != nil || len(ladder) == 0 {
		return "", err
	}
	if tierID != nil {
		if name := tierNames(ladder)[*tierID]; name != "" {
			return name, nil
		}
	}
	return "none", nil
}

// tillReceipt words what a purchase did, read back from the ledger.
func (a *App) tillReceipt(c echo.Context, r *models.Receipt, p *models.Program, pid int64) (*pages.TillReceipt, error) {
	m := currentMerchant(c)
	pur := r.Purchase
	out := &pages.TillReceipt{
		Amount: money(pur.AmountMinor, m.Currency), Program: p.Name,
		At: pur.OccurredAt.In(m.Location()).Format("15:04"),
	}
	if r.Account == nil {
		out.Earned = "Sale recorded"
		out.Note = "No member: nothing was earned."
		return out, nil
	}
	member, err := models.GetMember(a.tenant(c), r.Account.MemberID)
	if err != nil {
		return nil, err
	}
	out.Member, out.Card = member.Name, models.FormatCardCode(member.CardCode)
	out.AgainURL, out.MemberURL = tillURL(member.ID, pid, 0), fmt.Sprintf("/members/%d", member.ID)
	out.Earned = "+" + units(p, pur.Earned, m.Currency)
	if pur.Earned == 0 && pur.AmountMinor < p.MinPurchaseMinor {
		out.Note = fmt.Sprintf("Below the minimum purchase of %s: nothing was earned.", money(p.MinPurchaseMinor, m.Currency))
	}
	out.Balance = units(p, r.BalanceAfter, m.Currency)
	if out.Tier, err = a.tillTier(c, p, r.Account.TierID); err != nil {
		return nil, err
	}
	if r.PromotedTo != nil {
		t, err := models.GetTier(a.tenant(c), p.ID, *r.PromotedTo)
		if err != nil {
			return nil, err
		}
		out.Promoted = "Promoted to " + t.Name + "!"
		if t.Threshold == 0 && !t.Paid { // the ladder's first step: everyone starts there
			out.Promoted = "Joined " + t.Name + "."
		}
	}
	rewards := map[int64]string{}
	for _, e := range r.Entries {
		switch {
		case e.VoucherID != nil:
			rewards[*e.VoucherID] = e.Reason
		case e.PurchaseID == nil && e.Amount > 0:
			out.Extras = append(out.Extras, "+"+units(p, e.Amount, m.Currency)+": "+e.Reason)
		}
	}
	for _, v := range r.Vouchers {
		tv := pages.TillVoucher{Code: models.FormatCardCode(v.Code), Reward: rewards[v.ID]}
		if v.ExpiresAt != nil {
			tv.Expires = v.ExpiresAt.In(m.Location()).Format("2 Jan 2006")
		}
		out.Vouchers = append(out.Vouchers, tv)
	}
	return out, nil
}
