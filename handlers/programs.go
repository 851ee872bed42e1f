package handlers

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/components"
	"github.com/regularshq/regulars/views/pages"
)

func programURL(id int64) string { return fmt.Sprintf("/programs/%d", id) }

// program loads the program named by the path; another merchant's id is a
// 404 like any unknown one.
func (a *App) program(c echo.Context) (*models.Program, error) {
	id, err := idParam(c, "programID")
	if err != nil {
		return nil, err
	}
	return models.GetProgram(a.tenant(c), id)
}

// choiceLabels words the stored values of the settings' selects.
var choiceLabels = map[string]string{
	"points": "Points", "stamps": "Stamps", "cashback": "Cashback",
	"draft": "Draft", "active": "Active", "paused": "Paused", "archived": "Archived",
	"never": "Never", "after_earning": "Some months after each earning", "inactivity": "After some months without activity",
	"points_earned": "Points earned", "spend": "Spend", "visits": "Visits",
	"lifetime": "Lifetime", "rolling_12_months": "Rolling 12 months", "calendar_year": "Calendar year",
	"end_of_window": "At the end of the window", "grace": "After a grace period",
}

// programChoices fills a program form's selects; the card reward select
// lists the program's rewards, keeping the current one even if archived so
// that saving cannot drop it unnoticed.
func programChoices(db *gorm.DB, p *models.Program, currency string) (pages.ProgramChoices, error) {
	ch := pages.ProgramChoices{
		Types: choices(models.ProgramTypes, choiceLabels), Statuses: choices(models.ProgramStatuses, choiceLabels),
		ExpiryPolicies: choices(models.ExpiryPolicies, choiceLabels), TierMetrics: choices(models.TierMetrics, choiceLabels),
		TierWindows: choices(models.TierWindows, choiceLabels), DowngradePolicies: choices(models.DowngradePolicies, choiceLabels),
		Currency: currency,
	}
	if p == nil || p.Type != models.ProgramStamps {
		return ch, nil
	}
	rewards, err := models.ListRewards(db, p.ID, true)
	if err != nil {
		return ch, err
	}
	ch.CardRewards = []components.Option{{Value: "", Label: "None"}}
	for _, r := range rewards {
		current := p.CardRewardID != nil && *p.CardRewardID == r.ID
		if r.Archived && !current {
			continue
		}
		label := r.Name
		if r.Archived {
			label += " (archived)"
		}
		ch.CardRewards = append(ch.CardRewards, components.Option{Value: fmt.Sprint(r.ID), Label: label})
	}
	return ch, nil
}

// earns says in words what a program gives for a purchase.
func earns(p *models.Program, currency string) string {
	var s string
	switch p.Type {
	case models.ProgramStamps:
		s = "card of " + quantity(fmt.Sprint(p.StampsPerCard), p.UnitLabel)
	case models.ProgramCashback:
		s = models.FormatRate(p.CashbackBasisPoints, 2) + "% back"
	default:
		s = quantity(models.FormatRate(p.EarnRateHundredths, 2), p.UnitLabel) + " per " + currency
	}
	if p.MinPurchaseMinor > 0 {
		s += ", from " + money(p.MinPurchaseMinor, currency)
	}
	return s
}

// tierRules says how members move between a program's tiers.
func tierRules(p *models.Program) string {
	metric := map[models.TierMetric]string{
		models.MetricPointsEarned: p.UnitLabel + " earned", models.MetricSpend: "spend", models.MetricVisits: "visits",
	}[p.TierMetric]
	window := map[models.TierWindow]string{
		models.WindowLifetime: "over their lifetime", models.WindowRolling12: "over the last 12 months",
		models.WindowCalendarYear: "in the calendar year",
	}[p.TierWindow]
	down := "They never move down."
	switch p.DowngradePolicy {
	case models.DowngradeEndOfWindow:
		down = "Those who no longer qualify move down when the window ends."
	case models.DowngradeGrace:
		down = fmt.Sprintf("Those who no longer qualify move down after %d days of grace.", p.DowngradeGraceDays)
	}
	return fmt.Sprintf("Members qualify by %s %s. %s", metric, window, down)
}

func expiryText(p *models.Program) string {
	var s string
	switch p.ExpiryPolicy {
	case models.ExpireAfterEarning:
		s = fmt.Sprintf("%d months after each earning", p.ExpiryMonths)
	case models.ExpireInactivity:
		s = fmt.Sprintf("after %d months without activity", p.ExpiryMonths)
	default:
		return "Never"
	}
	if p.ReminderDays > 0 {
		s += fmt.Sprintf("; members are reminded %d days before", p.ReminderDays)
	}
	return s
}

// definition is the read-only account of a program's settings for those
// who may not change them.
func definition(p *models.Program, currency string) []pages.Term {
	terms := []pages.Term{
		{Term: "Earns", Value: earns(p, currency)},
		{Term: "Unit", Value: p.UnitLabel},
		{Term: "Sign-up bonus", Value: units(p, p.SignUpBonus, currency)},
	}
	if p.PointValueMilli > 0 {
		c, _ := models.LookupCurrency(currency)
		terms = append(terms, pages.Term{Term: "Value of one unit", Value: models.FormatRate(p.PointValueMilli, c.MinorDigits+3) + " " + currency})
	}
	return append(terms,
		pages.Term{Term: "Expiry", Value: expiryText(p)},
		pages.Term{Term: "Tiers", Value: tierRules(p)},
	)
}

func programRow(p *models.Program, currency string) pages.ProgramRow {
	return pages.ProgramRow{
		URL: programURL(p.ID), Name: p.Name, Type: string(p.Type), Status: string(p.Status), Earns: earns(p, currency),
	}
}

// programInput reads a program form. The overview sends no type: it
// cannot change.
func programInput(c echo.Context) models.ProgramInput {
	return models.ProgramInput{
		Name: c.FormValue("name"), Type: c.FormValue("type"), UnitLabel: c.FormValue("unit_label"), Status: c.FormValue("status"),
		EarnRate: c.FormValue("earn_rate"), MinPurchase: c.FormValue("min_purchase"),
		MaxPurchase: c.FormValue("max_purchase"), LargePurchase: c.FormValue("large_purchase"),
		StampsPerCard: c.FormValue("stamps_per_card"), Cashback: c.FormValue("cashback"),
		CardRewardID: c.FormValue("card_reward_id"),
		SignUpBonus:  c.FormValue("sign_up_bonus"), PointValue: c.FormValue("point_value"),
		ExpiryPolicy: c.FormValue("expiry_policy"), ExpiryMonths: c.FormValue("expiry_months"), ReminderDays: c.FormValue("reminder_days"),
		TierMetric: c.FormValue("tier_metric"), TierWindow: c.FormValue("tier_window"),
		DowngradePolicy: c.FormValue("downgrade_policy"), DowngradeGraceDays: c.FormValue("downgrade_grace_days"),
	}
}

// refusedForm is a refused program form: the input as typed, with why.
func refusedForm(in models.ProgramInput, err error) pages.ProgramForm {
	return pages.ProgramForm{Fields: pages.ProgramFields(in), Errors: models.FieldErrors(err), Message: models.ErrorMessage(err)}
}

func (a *App) programsPage(c echo.Context) error {
	return a.renderPrograms(c, http.StatusOK, pages.ProgramForm{Fields: pages.ProgramFields{
		Type: string(models.ProgramPoints), Status: string(models.StatusActive), EarnRate: "1",
		StampsPerCard: "10", Cashback: "5", MinPurchase: "0", SignUpBonus: "0",
	}}, "")
}

// renderPrograms draws the list with the new-program form and the choice
// of the till's default program (defaultErr: why that choice was refused).
func (a *App) renderPrograms(c echo.Context, status int, form pages.ProgramForm, defaultErr string) error {
	db, currency := a.tenant(c), currentMerchant(c).Currency
	programs, err := models.ListPrograms(db)
	if err != nil {
		return err
	}
	rows := make([]pages.ProgramRow, 0, len(programs))
	for i := range programs {
		rows = append(rows, programRow(&programs[i], currency))
	}
	choices, err := programChoices(db, nil, currency)
	if err != nil {
		return err
	}
	def := pages.DefaultProgramForm{Error: defaultErr}
	var first string
	for i := range programs {
		if p := &programs[i]; p.TakesActivity() {
			def.Options = append(def.Options, components.Option{Value: fmt.Sprint(p.ID), Label: p.Name})
			if first == "" {
				first = fmt.Sprint(p.ID)
			}
		}
	}
	def.Selected = first
	if id := currentMerchant(c).DefaultProgramID; id != nil {
		def.Selected = fmt.Sprint(*id)
	}
	return render(c, status, pages.Programs(a.shell(c, "Programs"), pages.ProgramsData{
		Programs: rows, CanEdit: may(c, models.RoleOwner), Form: form, Choices: choices, Default: def,
	}))
}

// setDefaultProgram chooses the program the till starts in.
func (a *App) setDefaultProgram(c echo.Context) error {
	m, err := models.SetDefaultProgram(a.tenant(c), actor(c), formID(c, "default_program_id"))
	return a.answer(c, err, func(status int) error {
		return a.renderPrograms(c, status, pages.ProgramForm{Fields: pages.ProgramFields{
			Type: string(models.ProgramPoints), Status: string(models.StatusActive),
		}}, models.FieldErrors(err)["default_program_id"])
	}, func() string {
		p, perr := models.GetProgram(a.tenant(c), *m.DefaultProgramID)
		if perr != nil {
			return "The till's default program is saved."
		}
		return "The till starts in " + p.Name + " now."
	}, "/programs")
}

func (a *App) createProgram(c echo.Context) error {
	in := programInput(c)
	p, err := models.CreateProgram(a.tenant(c), actor(c), in)
	var to string
	if err == nil {
		to = programURL(p.ID)
	}
	return a.answer(c, err, func(status int) error {
		return a.renderPrograms(c, status, refusedForm(in, err), "")
	}, func() string {
		return p.Name + " is created. Set its tiers, rewards and expiry here."
	}, to)
}

// programData is the overview of p as stored, with an empty preview.
func (a *App) programData(c echo.Context, p *models.Program) (pages.ProgramData, error) {
	db, currency := a.tenant(c), currentMerchant(c).Currency
	choices, err := programChoices(db, p, currency)
	if err != nil {
		return pages.ProgramData{}, err
	}
	tiers, err := models.ListTiers(db, p.ID)
	if err != nil {
		return pages.ProgramData{}, err
	}
	return pages.ProgramData{
		Program:    programCrumb(c, p),
		CanEdit:    may(c, models.RoleOwner),
		Form:       pages.ProgramForm{Fields: pages.ProgramFields(p.FormInput(currency))},
		Choices:    choices,
		Definition: definition(p, currency),
		Preview: pages.PreviewData{
			URL:      programURL(p.ID) + "/preview",
			Tiers:    append([]components.Option{{Value: "", Label: "No tier"}}, tierOptions(tiers)...),
			Currency: currency,
		},
	}, nil
}

func (a *App) programPage(c echo.Context) error {
	p, err := a.program(c)
	if err != nil {
		return err
	}
	d, err := a.programData(c, p)
	if err != nil {
		return err
	}
	return ok(c, pages.Program(a.shell(c, p.Name), d))
}

// updateProgram saves the settings; a refused form shows again under the
// program's stored name, with the input as typed.
func (a *App) updateProgram(c echo.Context) error {
	p, err := a.program(c)
	if err != nil {
		return err
	}
	in := programInput(c)
	saved, err := models.UpdateProgram(a.tenant(c), actor(c), p.ID, in)
	return a.answer(c, err, func(status int) error {
		d, derr := a.programData(c, p)
		if derr != nil {
			return derr
		}
		d.Form = refusedForm(in, err)
		return render(c, status, pages.Program(a.shell(c, p.Name), d))
	}, func() string { return saved.Name + "'s settings are saved." }, programURL(p.ID))
}

// previewEarn answers the overview's earn preview: the fragment for htmx,
// which swaps only a 200, or the whole page for a plain form submit.
func (a *App) previewEarn(c echo.Context) error {
	p, err := a.program(c)
	if err != nil {
		return err
	}
	amount, tier := c.QueryParam("amount"), c.QueryParam("tier")
	result, err := a.preview(c, p, amount, tier)
	if err != nil {
		return err
	}
	c.Response().Header().Add("Vary", "HX-Request")
	if c.Request().Header.Get("HX-Request") == "true" {
		return ok(c, pages.PreviewFragment(result))
	}
	d, err := a.programData(c, p)
	if err != nil {
		return err
	}
	d.Preview.Amount, d.Preview.TierID, d.Preview.Result = amount, tier, result
	status := http.StatusOK
	if result.Error != "" {
		status = http.StatusUnprocessableEntity
	}
	return render(c, status, pages.Program(a.shell(c, p.Name), d))
}

// preview runs the calculator for typed input; input it refuses becomes
// the result's message, only a failure of ours an error.
func (a *App) preview(c echo.Context, p *models.Program, amount, tier string) (*pages.PreviewResult, error) {
	var tierID int64
	if tier != "" {
		id, err := parseID(tier)
		if err != nil {
			return &pages.PreviewResult{Error: "Choose one of this program's tiers."}, nil
		}
		tierID = id
	}
	b, err := models.PreviewEarn(a.tenant(c), p.ID, tierID, amount, a.now())
	switch models.ErrorCode(err) {
	case "":
	case models.EINVALID:
		return &pages.PreviewResult{Error: models.FieldErrors(err)["amount"]}, nil
	case models.ENOTFOUND: // the program is loaded, so it is the tier
		return &pages.PreviewResult{Error: "Choose one of this program's tiers."}, nil
	default:
		return nil, err
	}
	r := &pages.PreviewResult{}
	if !p.TakesActivity() {
		r.Inactive = fmt.Sprintf("%s is %s: purchases earn nothing until it is active. This is what they would earn.", p.Name, p.Status)
	}
	if !b.Qualifies {
		r.Reason = b.Reason
		return r, nil
	}
	currency := currentMerchant(c).Currency
	r.Base, r.Total = units(p, b.Base, currency), units(p, b.Total, currency)
	if b.TierName != "" {
		r.Tier = b.TierName + " " + multiplierText(b.TierMultiplierMilli)
	}
	if b.CampaignName != "" {
		r.Campaign = b.CampaignName + " " + multiplierText(b.CampaignMultiplierMilli)
	}
	if b.Bonus > 0 {
		r.Bonus = "+" + units(p, b.Bonus, currency) + " (" + strings.Join(b.BonusCampaigns, ", ") + ")"
	}
	return r, nil
}
