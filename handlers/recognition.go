package handlers

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/components"
	"github.com/regularshq/regulars/views/pages"
)

const (
	recognitionURL     = "/recognition"
	recognitionFeedMax = 50
	recognitionPeople  = 200 // in the feed's person filter
	giveFormPeople     = 50  // in the give form before a search
)

var (
	participationLabels = map[models.Participation]string{
		models.PartBoth: "Gives and receives", models.PartGiver: "Gives only",
		models.PartReceiver: "Receives only", models.PartObserver: "Observer (reads the feed)",
	}
	scopeLabels = map[models.MemberScope]string{
		models.ScopeNone: "None", models.ScopeAll: "All members",
		models.ScopeTiers: "Members in chosen tiers", models.ScopeTag: "Members with a tag",
	}
	monthText = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)
)

func me(c echo.Context) models.Party { return models.Party{UserID: currentUser(c).ID} }

// feedFilter reads the feed's filters; a month that is not YYYY-MM is
// no filter.
func feedFilter(c echo.Context) (models.FeedFilter, pages.FeedFilters) {
	shown := pages.FeedFilters{Value: c.QueryParam("value"), Person: c.QueryParam("person"), Month: c.QueryParam("month")}
	if !monthText.MatchString(shown.Month) {
		shown.Month = ""
	}
	f := models.FeedFilter{Value: shown.Value, Person: models.ParseParty(shown.Person), Month: shown.Month, Limit: recognitionFeedMax}
	return f, shown
}

func freshGiveForm() pages.GiveForm {
	return pages.GiveForm{Action: recognitionURL, Title: "Recognise someone", Key: randomToken()}
}

func (a *App) recognitionPage(c echo.Context) error {
	form := freshGiveForm()
	return a.renderRecognition(c, http.StatusOK, form, "")
}

func personOptions(cs []models.Candidate, none string) []components.Option {
	opts := []components.Option{{Value: "", Label: none}}
	for _, p := range cs {
		opts = append(opts, components.Option{Value: p.Party.String(), Label: p.Name})
	}
	return opts
}

func valueOptions(values []string, none string) []components.Option {
	opts := []components.Option{{Value: "", Label: none}}
	for _, v := range values {
		opts = append(opts, components.Option{Value: v, Label: "#" + v})
	}
	return opts
}

func (a *App) renderRecognition(c echo.Context, status int, form pages.GiveForm, hideMessage string) error {
	db := a.tenant(c)
	s, err := models.GetRecognitionSettings(db)
	if err != nil {
		return err
	}
	canGive, err := models.MayGive(db, me(c))
	if err != nil {
		return err
	}
	receivers, err := models.Receivers(db, "", recognitionPeople)
	if err != nil {
		return err
	}
	d := pages.RecognitionData{Enabled: s.Enabled, CanGive: canGive, CanHide: may(c, models.RoleManager), Owner: may(c, models.RoleOwner), HideMessage: hideMessage}
	if err := a.fillGiveForm(c, me(c), &form, recognitionURL, s.Values()); err != nil {
		return err
	}
	d.Form = form
	filter, shown := feedFilter(c)
	// Whom a link filters by (a member's page links to their recognitions)
	// is named even when they are not among the people listed.
	if p, err := models.Person(db, filter.Person); err != nil {
		return err
	} else if p != nil && !slices.ContainsFunc(receivers, func(c models.Candidate) bool { return c.Party == p.Party }) {
		receivers = append([]models.Candidate{*p}, receivers...)
	}
	shown.Values, shown.People = valueOptions(s.Values(), "Any value"), personOptions(receivers, "Anyone")
	d.Filters = shown
	if d.Items, err = a.feedItems(c, filter); err != nil {
		return err
	}
	nudge, err := models.Nudge(db, a.now(), 10)
	if err != nil {
		return err
	}
	for _, n := range nudge {
		d.Nudge = append(d.Nudge, n.Name)
	}
	return render(c, status, pages.Recognition(a.shell(c, "Recognition"), d))
}

// fillGiveForm completes a give form on the page at pageURL: who the
// giver may recognise (as the page's ?who= search finds them), the values
// and what is left of the allowance.
func (a *App) fillGiveForm(c echo.Context, giver models.Party, f *pages.GiveForm, pageURL string, values []string) error {
	f.Who = strings.TrimSpace(c.QueryParam("who"))
	f.SearchURL, f.SearchHidden = searchTarget(pageURL)
	f.SearchHidden = append(f.SearchHidden, pages.HiddenField{Name: "giver", Value: giver.String()})
	var err error
	if f.Receivers, f.ReceiverHint, err = a.receiverOptions(c, giver, f.Who, f.Receiver); err != nil {
		return err
	}
	f.Values = valueOptions(values, "No value")
	f.Left, f.Allowance, err = models.Remaining(a.tenant(c), giver, a.now())
	return err
}

// searchTarget splits a page's URL into the path a plain search form is
// sent to and the query it must carry along (the till's member and
// program).
func searchTarget(pageURL string) (string, []pages.HiddenField) {
	path, query, _ := strings.Cut(pageURL, "?")
	vs, _ := url.ParseQuery(query)
	var hidden []pages.HiddenField
	for _, k := range slices.Sorted(maps.Keys(vs)) {
		hidden = append(hidden, pages.HiddenField{Name: k, Value: vs.Get(k)})
	}
	return path, hidden
}

// receiverOptions is the give form's "Who": whom a search finds among
// those allowed to receive (without one, the first by name), never the
// giver, and the one already chosen even when the search would not find
// them, with a hint saying what the list is.
func (a *App) receiverOptions(c echo.Context, giver models.Party, who, chosen string) ([]components.Option, string, error) {
	others, err := models.ReceiversFor(a.tenant(c), giver, who, models.ParseParty(chosen), giveFormPeople)
	if err != nil {
		return nil, "", err
	}
	switch {
	case who == "":
		return personOptions(others, "Choose someone"), "Search to find anyone else allowed to receive.", nil
	case len(others) == 0:
		return personOptions(nil, "Nobody allowed to receive matches “"+who+"”"), "Try part of a name, an email or a phone number.", nil
	}
	return personOptions(others, fmt.Sprintf("Choose someone (%d found)", len(others))), "", nil
}

// recognitionReceivers answers the give form's search as one types: the
// "Who" field for htmx; a plain request gets the feed with the search.
func (a *App) recognitionReceivers(c echo.Context) error {
	who := strings.TrimSpace(c.QueryParam("who"))
	c.Response().Header().Add("Vary", "HX-Request")
	if c.Request().Header.Get("HX-Request") != "true" {
		return c.Redirect(http.StatusSeeOther, recognitionURL+"?"+url.Values{"who": {who}}.Encode())
	}
	giver := models.ParseParty(c.QueryParam("giver"))
	if giver == (models.Party{}) {
		giver = me(c)
	}
	opts, hint, err := a.receiverOptions(c, giver, who, "")
	if err != nil {
		return err
	}
	return ok(c, pages.ReceiverField(pages.GiveForm{Receivers: opts, ReceiverHint: hint}))
}

func (a *App) feedItems(c echo.Context, f models.FeedFilter) ([]pages.RecognitionItem, error) {
	rs, err := models.ListRecognitions(a.tenant(c), f)
	if err != nil {
		return nil, err
	}
	return recognitionItems(c, rs), nil
}

func recognitionItems(c echo.Context, rs []models.Recognition) []pages.RecognitionItem {
	loc := currentMerchant(c).Location()
	items := make([]pages.RecognitionItem, len(rs))
	for i, r := range rs {
		items[i] = pages.RecognitionItem{
			ID: r.ID, Giver: r.GiverName, Receiver: r.ReceiverName, Points: r.Points, Value: r.Value,
			Message: r.Message, At: r.CreatedAt.In(loc).Format("2 Jan 2006 15:04"),
			HideURL: fmt.Sprintf("%s/%d/hide", recognitionURL, r.ID),
		}
	}
	return items
}

func (a *App) giveRecognition(c echo.Context) error {
	form, r, err := a.give(c, me(c))
	return a.answer(c, err, func(status int) error {
		return a.renderRecognition(c, status, form, "")
	}, func() string { return "Your recognition of " + r.ReceiverName + " is posted." }, recognitionURL)
}

// give records what the posted give form says, from giver.
func (a *App) give(c echo.Context, giver models.Party) (pages.GiveForm, *models.Recognition, error) {
	form := freshGiveForm()
	form.Receiver, form.Points, form.Message = c.FormValue("receiver"), c.FormValue("points"), c.FormValue("message")
	form.Value, form.Key = c.FormValue("value"), c.FormValue("idempotency_key")
	r, err := models.Give(a.tenant(c), actor(c), models.GiveInput{
		Giver: giver, Receiver: models.ParseParty(form.Receiver), Points: form.Points,
		Message: form.Message, Value: form.Value, Key: form.Key,
	}, a.now())
	if models.ErrorCode(err) == models.ENOTFOUND {
		err = models.Errorf(models.EINVALID, "%s", models.ErrorMessage(err))
	}
	if err != nil {
		form.Errors, form.Message2 = models.FieldErrors(err), models.ErrorMessage(err)
	}
	return form, r, err
}

// memberGives is the staff-assisted form of a member who thanks someone
// at the counter: the member gives, the staff member is the actor.
func (a *App) memberGives(c echo.Context) error {
	m, err := a.member(c)
	if err != nil {
		return err
	}
	form, r, err := a.give(c, models.Party{MemberID: m.ID})
	return a.answer(c, err, func(status int) error {
		return a.renderMember(c, m, memberView{status: status, give: &form})
	}, func() string { return m.Name + "'s recognition of " + r.ReceiverName + " is posted." }, memberURL(m.ID))
}

// tillGives is the same form at the till, for the member being served:
// refused, the till shows it again; given, the till comes back.
func (a *App) tillGives(c echo.Context) error {
	m, p, err := a.tillMemberProgram(c)
	if err != nil {
		return err
	}
	form, r, err := a.give(c, models.Party{MemberID: m.ID})
	return a.answer(c, err, func(status int) error {
		return a.renderTill(c, status, tillView{memberID: m.ID, programID: p.ID, give: &form})
	}, func() string { return m.Name + "'s recognition of " + r.ReceiverName + " is posted." }, tillURL(m.ID, p.ID, 0))
}

// tillGiveForm is memberGiveForm on the till, carrying the member and
// program back to it.
func (a *App) tillGiveForm(c echo.Context, memberID, programID int64, typed *pages.GiveForm) (*pages.GiveForm, error) {
	return a.memberGiveForm(c, memberID, typed, "/till/recognition", tillURL(memberID, programID, 0),
		pages.HiddenField{Name: "member_id", Value: strconv.FormatInt(memberID, 10)},
		pages.HiddenField{Name: "program_id", Value: strconv.FormatInt(programID, 10)})
}

// memberGiveForm is a member's give form when they may give, as typed
// back after a refusal or fresh, sent to action with the hidden fields.
func (a *App) memberGiveForm(c echo.Context, memberID int64, typed *pages.GiveForm, action, pageURL string, hidden ...pages.HiddenField) (*pages.GiveForm, error) {
	giver := models.Party{MemberID: memberID}
	db := a.tenant(c)
	if ok, err := models.MayGive(db, giver); err != nil || !ok && typed == nil {
		return nil, err // a refusal is shown with the form it refused
	}
	form := freshGiveForm()
	if typed != nil {
		form = *typed
	}
	form.Action, form.Title, form.Hidden = action, "Recognise someone for this member", hidden
	s, err := models.GetRecognitionSettings(db)
	if err != nil {
		return nil, err
	}
	return &form, a.fillGiveForm(c, giver, &form, pageURL, s.Values())
}

func (a *App) hideRecognition(c echo.Context) error {
	id, err := idParam(c, "recognitionID")
	if err != nil {
		return err
	}
	if _, err := models.GetRecognition(a.tenant(c), id); err != nil {
		return err
	}
	r, err := models.Hide(a.tenant(c), actor(c), id, c.FormValue("reason"), a.now())
	return a.answer(c, err, func(status int) error {
		msg := models.ErrorMessage(err)
		if m := models.FieldErrors(err)["reason"]; m != "" {
			msg = m
		}
		return a.renderRecognition(c, status, freshGiveForm(), msg)
	}, func() string { return "The recognition of " + r.ReceiverName + " is hidden and its points reversed." }, recognitionURL)
}

func leaderRows(rows []models.LeaderRow) []pages.LeaderRow {
	out := make([]pages.LeaderRow, len(rows))
	for i, r := range rows {
		out[i] = pages.LeaderRow(r)
	}
	return out
}

func (a *App) recognitionLeaderboard(c echo.Context) error {
	d := pages.LeaderboardData{AllTime: c.QueryParam("period") == "all", Owner: may(c, models.RoleOwner)}
	d.Month = a.now().In(currentMerchant(c).Location()).Format("2006-01")
	month := d.Month
	if d.AllTime {
		month = ""
	}
	board, err := models.RecognitionLeaders(a.tenant(c), month, 10)
	if err != nil {
		return err
	}
	d.Receivers, d.Givers, d.Values = leaderRows(board.Receivers), leaderRows(board.Givers), leaderRows(board.Values)
	return render(c, http.StatusOK, pages.RecognitionLeaderboard(a.shell(c, "Recognition leaderboard"), d))
}

// recognitionSettingsFields reads the posted settings; unticked boxes
// post nothing.
func recognitionSettingsFields(c echo.Context) models.RecognitionSettingsInput {
	form, _ := c.FormParams()
	return models.RecognitionSettingsInput{
		Enabled: c.FormValue("enabled") != "", ValueRequired: c.FormValue("value_required") != "",
		Values: c.FormValue("values"), MinMessageLength: c.FormValue("min_message_length"), RefusedWords: c.FormValue("refused_words"),
		OwnerRole: c.FormValue("owner_role"), ManagerRole: c.FormValue("manager_role"), StaffRole: c.FormValue("staff_role"),
		MemberGivers: c.FormValue("member_givers"), MemberGiverTag: c.FormValue("member_giver_tag"),
		MemberReceivers: c.FormValue("member_receivers"), MemberReceiverTag: c.FormValue("member_receiver_tag"),
		MemberGiverTiers: form["member_giver_tiers"], MemberReceiverTiers: form["member_receiver_tiers"],
		MonthlyAllowance: c.FormValue("monthly_allowance"), MaxPerRecognition: c.FormValue("max_per_recognition"),
		MaxPerPair: c.FormValue("max_per_pair"), ProgramID: c.FormValue("program_id"),
		OwnerAllowance: c.FormValue("owner_allowance"), ManagerAllowance: c.FormValue("manager_allowance"),
		StaffAllowance: c.FormValue("staff_allowance"),
	}
}

// blankIfNil shows an optional number in a form: blank when unset.
func blankIfNil(n *int64) string {
	if n == nil {
		return ""
	}
	return strconv.FormatInt(*n, 10)
}

func storedRecognitionSettings(s *models.RecognitionSettings) models.RecognitionSettingsInput {
	program := ""
	if s.ProgramID != nil {
		program = strconv.FormatInt(*s.ProgramID, 10)
	}
	return models.RecognitionSettingsInput{
		Enabled: s.Enabled, ValueRequired: s.ValueRequired, Values: s.RecognitionValues,
		MinMessageLength: fmt.Sprint(s.MinMessageLength), RefusedWords: s.RefusedWords,
		OwnerRole: string(s.OwnerRole), ManagerRole: string(s.ManagerRole), StaffRole: string(s.StaffRole),
		MemberGivers: string(s.MemberGivers), MemberGiverTag: s.MemberGiverTag,
		MemberReceivers: string(s.MemberReceivers), MemberReceiverTag: s.MemberReceiverTag,
		MemberGiverTiers: s.GiverTierIDs(), MemberReceiverTiers: s.ReceiverTierIDs(),
		MonthlyAllowance: fmt.Sprint(s.MonthlyAllowance), MaxPerRecognition: fmt.Sprint(s.MaxPerRecognition),
		MaxPerPair: fmt.Sprint(s.MaxPerPair), ProgramID: program,
		OwnerAllowance: blankIfNil(s.OwnerAllowance), ManagerAllowance: blankIfNil(s.ManagerAllowance),
		StaffAllowance: blankIfNil(s.StaffAllowance),
	}
}

func (a *App) recognitionSettingsPage(c echo.Context) error {
	s, err := models.GetRecognitionSettings(a.tenant(c))
	if err != nil {
		return err
	}
	return a.renderRecognitionSettings(c, http.StatusOK, storedRecognitionSettings(s), nil)
}

func (a *App) renderRecognitionSettings(c echo.Context, status int, in models.RecognitionSettingsInput, err error) error {
	f := pages.RecognitionSettingsForm{
		Enabled: in.Enabled, ValueRequired: in.ValueRequired, Values: in.Values, MinMessageLength: in.MinMessageLength,
		RefusedWords: in.RefusedWords, OwnerRole: in.OwnerRole, ManagerRole: in.ManagerRole, StaffRole: in.StaffRole,
		MemberGivers: in.MemberGivers, MemberGiverTag: in.MemberGiverTag, MemberReceivers: in.MemberReceivers,
		MemberReceiverTag: in.MemberReceiverTag, GiverTiers: in.MemberGiverTiers, ReceiverTiers: in.MemberReceiverTiers,
		MonthlyAllowance: in.MonthlyAllowance, MaxPerRecognition: in.MaxPerRecognition, MaxPerPair: in.MaxPerPair,
		OwnerAllowance: in.OwnerAllowance, ManagerAllowance: in.ManagerAllowance, StaffAllowance: in.StaffAllowance,
		ProgramID: in.ProgramID, Participations: choices(models.Participations, participationLabels),
		Scopes: choices(models.MemberScopes, scopeLabels),
	}
	if err != nil {
		f.Errors, f.Message = models.FieldErrors(err), models.ErrorMessage(err)
	}
	if err := a.settingsChoices(c, &f); err != nil {
		return err
	}
	return render(c, status, pages.RecognitionSettings(a.shell(c, "Recognition settings"), f))
}

// settingsChoices lists the programs, tiers and people the form offers.
func (a *App) settingsChoices(c echo.Context, f *pages.RecognitionSettingsForm) error {
	db := a.tenant(c)
	programs, err := models.ListPrograms(db)
	if err != nil {
		return err
	}
	f.Programs = []components.Option{{Value: "", Label: "None (members receive no points)"}}
	for _, p := range programs {
		f.Programs = append(f.Programs, components.Option{Value: strconv.FormatInt(p.ID, 10), Label: p.Name})
		tiers, err := models.ListTiers(db, p.ID)
		if err != nil {
			return err
		}
		for _, t := range tiers {
			f.Tiers = append(f.Tiers, components.Option{Value: strconv.FormatInt(t.ID, 10), Label: p.Name + " " + t.Name})
		}
	}
	users, err := models.ListUsers(db)
	if err != nil {
		return err
	}
	overrides, err := models.RecognitionOverrides(db)
	if err != nil {
		return err
	}
	for _, u := range users {
		f.People = append(f.People, pages.RecognitionPerson{UserID: strconv.FormatInt(u.ID, 10), Name: u.Name, Role: string(u.Role), Override: string(overrides[u.ID])})
	}
	return nil
}

func (a *App) saveRecognitionSettings(c echo.Context) error {
	in := recognitionSettingsFields(c)
	_, err := models.SaveRecognitionSettings(a.tenant(c), actor(c), in, a.now())
	return a.answer(c, err, func(status int) error {
		return a.renderRecognitionSettings(c, status, in, err)
	}, func() string { return "Recognition settings are saved." }, "/settings/recognition")
}

func (a *App) setRecognitionOverride(c echo.Context) error {
	err := models.SetRecognitionOverride(a.tenant(c), actor(c), formID(c, "user_id"), c.FormValue("participation"), a.now())
	return a.answer(c, err, func(status int) error {
		s, serr := models.GetRecognitionSettings(a.tenant(c))
		if serr != nil {
			return serr
		}
		return a.renderRecognitionSettings(c, status, storedRecognitionSettings(s), err)
	}, func() string { return "The person's recognition setting is saved." }, "/settings/recognition")
}

// recognitionHistory is what a party received and gave, for their page.
func (a *App) recognitionHistory(c echo.Context, p models.Party) (pages.RecognitionHistory, error) {
	h := pages.RecognitionHistory{FeedURL: recognitionURL + "?person=" + p.String(), ShowKudos: p.UserID != 0}
	rs, err := models.ListRecognitions(a.tenant(c), models.FeedFilter{Person: p, Limit: 20})
	if err != nil {
		return h, err
	}
	items := recognitionItems(c, rs)
	for i, r := range rs {
		if (r.ReceiverUserID != nil && *r.ReceiverUserID == p.UserID) || (r.ReceiverMemberID != nil && *r.ReceiverMemberID == p.MemberID) {
			h.Received = append(h.Received, items[i])
		} else {
			h.Given = append(h.Given, items[i])
		}
	}
	if h.ShowKudos {
		h.Kudos, err = models.KudosBalance(a.tenant(c), p.UserID)
	}
	return h, err
}
