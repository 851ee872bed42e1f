package handlers

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/pages"
)

var (
	ruleKindLabels = map[models.RuleKind]string{
		models.RuleBirthday: "Birthday", models.RuleReferral: "Referral", models.RuleAction: "Custom action",
	}
	ruleCapLabels = map[models.RuleCap]string{
		models.CapOnce: "once ever", models.CapDay: "once a day", models.CapWeek: "once a week",
		models.CapMonth: "once a month", models.CapYear: "once a year", models.CapUnlimited: "every time",
	}
)

func rulesURL(p *models.Program) string { return programURL(p.ID) + "/rules" }

func ruleURL(p *models.Program, id int64) string { return fmt.Sprintf("%s/%d", rulesURL(p), id) }

// ruleRow words a rule, leaving empty what its kind does not use.
func ruleRow(r *models.EarningRule, p *models.Program, currency string) pages.RuleRow {
	row := pages.RuleRow{
		ID: r.ID, Kind: ruleKindLabels[r.Kind], Name: r.Name, Points: units(p, r.Points, currency),
		Cap: ruleCapLabels[r.Cap], Active: r.Active, EditURL: ruleURL(p, r.ID),
	}
	switch r.Kind {
	case models.RuleBirthday:
		row.Window = "on the day"
		if r.WindowDays > 0 {
			row.Window = fmt.Sprintf("up to %d days after", r.WindowDays)
		}
	case models.RuleReferral:
		row.Cap = "each referral"
		row.ReferredPoints = units(p, r.ReferredPoints, currency)
		row.MinPurchase = "any purchase"
		if r.MinPurchaseMinor > 0 {
			row.MinPurchase = money(r.MinPurchaseMinor, currency)
		}
	}
	return row
}

// ruleFieldsOf reads a posted rule form; an unticked checkbox posts
// nothing, so absence means inactive.
func ruleFieldsOf(c echo.Context) pages.RuleFields {
	return pages.RuleFields{
		Kind: c.FormValue("kind"), Name: c.FormValue("name"), Points: c.FormValue("points"),
		ReferredPoints: c.FormValue("referred_points"), MinPurchase: c.FormValue("min_purchase"),
		WindowDays: c.FormValue("window_days"), Cap: c.FormValue("cap"), Active: c.FormValue("active") != "",
	}
}

// ruleInput hands the form to the model; the structs share their fields.
func ruleInput(f pages.RuleFields) models.EarningRuleInput { return models.EarningRuleInput(f) }

func completeRuleForm(f *pages.RuleForm) {
	f.Kinds = choices(models.RuleKinds, ruleKindLabels)
	f.Caps = choices(models.ActionCaps, ruleCapLabels)
	f.Suggested = models.SuggestedActions
}

func (a *App) rulesPage(c echo.Context) error {
	p, err := a.program(c)
	if err != nil {
		return err
	}
	fields := pages.RuleFields{Kind: string(models.RuleAction), Cap: string(models.CapOnce), Active: true}
	return a.renderRules(c, p, http.StatusOK, pages.RuleForm{Fields: fields})
}

func (a *App) renderRules(c echo.Context, p *models.Program, status int, form pages.RuleForm) error {
	currency := currentMerchant(c).Currency
	rules, err := models.ListEarningRules(a.tenant(c), p.ID)
	if err != nil {
		return err
	}
	bonus := "none"
	if p.SignUpBonus > 0 {
		bonus = units(p, p.SignUpBonus, currency)
	}
	data := pages.RulesData{Program: programCrumb(c, p), SignUpBonus: bonus, CanEdit: may(c, models.RoleOwner), Form: form}
	for i := range rules {
		data.Rules = append(data.Rules, ruleRow(&rules[i], p, currency))
	}
	data.Form.Action = rulesURL(p)
	completeRuleForm(&data.Form)
	return render(c, status, pages.Rules(a.shell(c, p.Name+" earning rules"), data))
}

func (a *App) createRule(c echo.Context) error {
	p, err := a.program(c)
	if err != nil {
		return err
	}
	fields := ruleFieldsOf(c)
	r, err := models.SaveEarningRule(a.tenant(c), actor(c), p.ID, 0, ruleInput(fields))
	return a.answer(c, err, func(status int) error {
		form := pages.RuleForm{Fields: fields, Errors: models.FieldErrors(err), Message: models.ErrorMessage(err)}
		return a.renderRules(c, p, status, form)
	}, func() string { return r.Name + " is added." }, rulesURL(p))
}

func (a *App) rulePage(c echo.Context) error {
	p, r, err := sectionItem(a, c, "ruleID", models.GetEarningRule)
	if err != nil {
		return err
	}
	return a.renderRule(c, p, r, http.StatusOK, storedRuleForm(c, r))
}

// storedRuleForm is the edit form showing the rule as stored.
func storedRuleForm(c echo.Context, r *models.EarningRule) pages.RuleForm {
	return pages.RuleForm{Fields: pages.RuleFields(r.FormInput(currentMerchant(c).Currency))}
}

func (a *App) renderRule(c echo.Context, p *models.Program, r *models.EarningRule, status int, form pages.RuleForm) error {
	form.Action, form.FixedKind, form.KindLabel = ruleURL(p, r.ID), string(r.Kind), ruleKindLabels[r.Kind]
	completeRuleForm(&form)
	data := pages.RuleData{Program: programCrumb(c, p), Rule: ruleRow(r, p, currentMerchant(c).Currency), Form: form}
	return render(c, status, pages.Rule(a.shell(c, r.Name), data))
}

func (a *App) updateRule(c echo.Context) error {
	p, stored, err := sectionItem(a, c, "ruleID", models.GetEarningRule)
	if err != nil {
		return err
	}
	fields := ruleFieldsOf(c)
	r, err := models.SaveEarningRule(a.tenant(c), actor(c), p.ID, stored.ID, ruleInput(fields))
	return a.answer(c, err, func(status int) error {
		form := pages.RuleForm{Fields: fields, Errors: models.FieldErrors(err), Message: models.ErrorMessage(err)}
		return a.renderRule(c, p, stored, status, form)
	}, func() string { return r.Name + " is saved." }, rulesURL(p))
}

func (a *App) deleteRule(c echo.Context) error {
	p, r, err := sectionItem(a, c, "ruleID", models.GetEarningRule)
	if err != nil {
		return err
	}
	err = models.DeleteEarningRule(a.tenant(c), actor(c), p.ID, r.ID)
	return a.answer(c, err, func(status int) error {
		form := storedRuleForm(c, r)
		form.Message = models.ErrorMessage(err)
		return a.renderRule(c, p, r, status, form)
	}, func() string { return r.Name + " is deleted." }, rulesURL(p))
}
