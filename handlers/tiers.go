package handlers

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/pages"
)

func tiersURL(p *models.Program) string { return programURL(p.ID) + "/tiers" }

func tierURL(p *models.Program, id int64) string { return fmt.Sprintf("%s/%d", tiersURL(p), id) }

// tierColors suggest a colour for the next rank of a new ladder: bronze,
// silver, gold, platinum, then a neutral grey.
var tierColors = []string{"#cd7f32", "#a8a9ad", "#d4af37", "#5b7db1"}

func thresholdField(p *models.Program, currency string) pages.ThresholdField {
	label := map[models.TierMetric]string{
		models.MetricSpend: "Threshold (" + currency + " spent)", models.MetricVisits: "Threshold (visits)",
	}[p.TierMetric]
	if label == "" {
		label = "Threshold (" + p.UnitLabel + " earned)"
	}
	return pages.ThresholdField{Label: label, Hint: "0 for the first tier, where everyone starts. Paid tiers have none."}
}

// tierBenefits lists in words what members of a tier get.
func tierBenefits(p *models.Program, t *models.Tier) []string {
	var bs []string
	if t.EarnMultiplierMilli > 1000 {
		bs = append(bs, multiplierText(t.EarnMultiplierMilli)+" "+p.UnitLabel)
	}
	if t.DiscountBasisPoints > 0 {
		bs = append(bs, models.FormatRate(t.DiscountBasisPoints, 2)+"% off")
	}
	if t.FreeShipping {
		bs = append(bs, "free shipping")
	}
	if t.Perks != "" {
		bs = append(bs, t.Perks)
	}
	return bs
}

func tierRow(p *models.Program, t *models.Tier, currency string, canEdit bool) pages.TierRow {
	row := pages.TierRow{
		Name: t.Name, Color: t.Color, Rank: fmt.Sprint(t.Position),
		Threshold: threshold(p, t.Threshold, currency), Benefits: tierBenefits(p, t),
	}
	if t.Paid {
		row.Fee = fmt.Sprintf("%s every %s", money(t.FeeMinor, currency), quantity(fmt.Sprint(t.PeriodMonths), "months"))
	}
	if canEdit {
		row.EditURL = tierURL(p, t.ID)
	}
	return row
}

func tierInput(c echo.Context) models.TierInput {
	return models.TierInput{
		Name: c.FormValue("name"), Color: c.FormValue("color"), Position: c.FormValue("position"),
		Threshold: c.FormValue("threshold"), EarnMultiplier: c.FormValue("earn_multiplier"),
		Discount: c.FormValue("discount"), Perks: c.FormValue("perks"),
		FreeShipping: c.FormValue("free_shipping") != "", Paid: c.FormValue("paid") != "",
		Fee: c.FormValue("fee"), PeriodMonths: c.FormValue("period_months"),
		GraceDays: c.FormValue("grace_days"), FeeEarns: c.FormValue("fee_earns") != "",
	}
}

// refusedTierForm is a refused tier form: the input as typed, with why.
func refusedTierForm(in models.TierInput, err error) pages.TierForm {
	return pages.TierForm{Fields: pages.TierFields(in), Errors: models.FieldErrors(err), Message: models.ErrorMessage(err)}
}

// storedTierFields is a stored tier's form, without the fields its kind
// ignores: a ladder tier has no fee, a paid tier no threshold.
func storedTierFields(p *models.Program, t *models.Tier, currency string) pages.TierFields {
	f := pages.TierFields(t.FormInput(p, currency))
	if t.Paid {
		f.Threshold = ""
	} else {
		f.Fee, f.PeriodMonths, f.GraceDays = "", "", ""
	}
	return f
}

// newTierForm offers the next rank of the ladder, with a colour for it.
func newTierForm(ladder []models.Tier) pages.TierForm {
	next := int64(1)
	for _, t := range ladder {
		if !t.Paid && t.Position >= next {
			next = t.Position + 1
		}
	}
	color := "#9e9e9e"
	if int(next) <= len(tierColors) {
		color = tierColors[next-1]
	}
	f := pages.TierFields{Color: color, Position: fmt.Sprint(next), EarnMultiplier: "1", Discount: "0"}
	if next == 1 {
		f.Threshold = "0"
	}
	return pages.TierForm{Fields: f}
}

func (a *App) tiersPage(c echo.Context) error {
	p, err := a.program(c)
	if err != nil {
		return err
	}
	return a.renderTiers(c, p, http.StatusOK, nil)
}

// renderTiers shows the tiers page; a nil form is a fresh add form.
func (a *App) renderTiers(c echo.Context, p *models.Program, status int, form *pages.TierForm) error {
	tiers, err := models.ListTiers(a.tenant(c), p.ID)
	if err != nil {
		return err
	}
	currency, canEdit := currentMerchant(c).Currency, may(c, models.RoleOwner)
	d := pages.TiersData{
		Program: programCrumb(c, p), Rules: tierRules(p), CanEdit: canEdit,
		Threshold: thresholdField(p, currency),
	}
	for i := range tiers {
		row := tierRow(p, &tiers[i], currency, canEdit)
		if tiers[i].Paid {
			d.Paid = append(d.Paid, row)
		} else {
			d.Ladder = append(d.Ladder, row)
		}
	}
	if form != nil {
		d.Form = *form
	} else {
		d.Form = newTierForm(tiers)
	}
	return render(c, status, pages.Tiers(a.shell(c, p.Name+" tiers"), d))
}

func (a *App) createTier(c echo.Context) error {
	p, err := a.program(c)
	if err != nil {
		return err
	}
	in := tierInput(c)
	t, err := models.CreateTier(a.tenant(c), actor(c), p.ID, in)
	return a.answer(c, err, func(status int) error {
		form := refusedTierForm(in, err)
		return a.renderTiers(c, p, status, &form)
	}, func() string { return t.Name + " is added to " + p.Name + "." }, tiersURL(p))
}

func (a *App) renderTier(c echo.Context, p *models.Program, t *models.Tier, status int, form pages.TierForm) error {
	currency := currentMerchant(c).Currency
	return render(c, status, pages.Tier(a.shell(c, t.Name), pages.TierData{
		Program: programCrumb(c, p), Name: t.Name, URL: tierURL(p, t.ID),
		Form: form, Threshold: thresholdField(p, currency),
	}))
}

func (a *App) tierPage(c echo.Context) error {
	p, t, err := sectionItem(a, c, "tierID", models.GetTier)
	if err != nil {
		return err
	}
	form := pages.TierForm{Fields: storedTierFields(p, t, currentMerchant(c).Currency)}
	return a.renderTier(c, p, t, http.StatusOK, form)
}

func (a *App) updateTier(c echo.Context) error {
	p, stored, err := sectionItem(a, c, "tierID", models.GetTier)
	if err != nil {
		return err
	}
	in := tierInput(c)
	t, err := models.UpdateTier(a.tenant(c), actor(c), p.ID, stored.ID, in)
	return a.answer(c, err, func(status int) error {
		return a.renderTier(c, p, stored, status, refusedTierForm(in, err))
	}, func() string { return t.Name + " is saved." }, tiersURL(p))
}

// deleteTier removes a tier; a refusal (the base tier while others stand,
// a tier a reward or campaign names) shows the tier again with why.
func (a *App) deleteTier(c echo.Context) error {
	p, t, err := sectionItem(a, c, "tierID", models.GetTier)
	if err != nil {
		return err
	}
	err = models.DeleteTier(a.tenant(c), actor(c), p.ID, t.ID)
	return a.answer(c, err, func(status int) error {
		form := pages.TierForm{Fields: storedTierFields(p, t, currentMerchant(c).Currency), Message: models.ErrorMessage(err)}
		return a.renderTier(c, p, t, status, form)
	}, func() string { return t.Name + " is deleted." }, tiersURL(p))
}
