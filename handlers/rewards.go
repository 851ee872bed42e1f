package handlers

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/components"
	"github.com/regularshq/regulars/views/pages"
)

var rewardTypeLabels = map[models.RewardType]string{
	models.RewardFreeItem:    "Free item",
	models.RewardAmountOff:   "Amount off",
	models.RewardPercentOff:  "Percent off",
	models.RewardStoreCredit: "Store credit",
	models.RewardService:     "Service",
}

// rewardGives says in words what a member gets.
func rewardGives(r *models.Reward, currency string) string {
	switch r.Type {
	case models.RewardAmountOff:
		return money(r.ValueMinor, currency) + " off"
	case models.RewardPercentOff:
		return models.FormatRate(r.PercentBasisPoints, 2) + "% off"
	case models.RewardStoreCredit:
		return money(r.ValueMinor, currency) + " store credit"
	}
	label := rewardTypeLabels[r.Type]
	if r.ValueMinor > 0 {
		label += ", worth " + money(r.ValueMinor, currency)
	}
	return label
}

// rewardTiming marks a reward offered on other days than today.
func rewardTiming(r *models.Reward, today string) string {
	switch {
	case r.Archived || r.ActiveOn(today):
		return ""
	case r.ActiveFrom != nil && today < *r.ActiveFrom:
		return "not yet"
	}
	return "ended"
}

func rewardURL(p *models.Program, id int64) string {
	return fmt.Sprintf("%s/rewards/%d", programURL(p.ID), id)
}

func rewardsURL(p *models.Program) string { return programURL(p.ID) + "/rewards" }

func rewardRow(r *models.Reward, p *models.Program, currency string, tiers map[int64]string, today string) pages.RewardRow {
	row := pages.RewardRow{
		ID: r.ID, Name: r.Name, Description: r.Description,
		Cost:  units(p, r.Cost, currency),
		Gives: rewardGives(r, currency), Stock: "unlimited", Limit: "no limit",
		Timing: rewardTiming(r, today), Archived: r.Archived,
		EditURL: rewardURL(p, r.ID),
	}
	if r.ActiveFrom != nil {
		row.From = *r.ActiveFrom
	}
	if r.ActiveTo != nil {
		row.To = *r.ActiveTo
	}
	if r.MinTierID != nil {
		row.MinTier = tiers[*r.MinTierID]
	}
	if r.Stock != nil {
		row.Stock = fmt.Sprintf("%d left", *r.Stock)
	}
	if r.PerMemberLimit != nil {
		row.Limit = fmt.Sprintf("%d per member", *r.PerMemberLimit)
	}
	return row
}

// rewardFieldsOf reads a posted reward form.
func rewardFieldsOf(c echo.Context) pages.RewardFields {
	return pages.RewardFields{
		Name: c.FormValue("name"), Description: c.FormValue("description"), Type: c.FormValue("type"),
		Cost: c.FormValue("cost"), Value: c.FormValue("value"), Percent: c.FormValue("percent"),
		MinTierID: c.FormValue("min_tier_id"), Stock: c.FormValue("stock"), PerMemberLimit: c.FormValue("per_member_limit"),
		ActiveFrom: c.FormValue("active_from"), ActiveTo: c.FormValue("active_to"), Position: c.FormValue("position"),
	}
}

// rewardInput hands the form to the model; the two structs have the same
// fields, so a change to either fails to compile here.
func rewardInput(f pages.RewardFields) models.RewardInput { return models.RewardInput(f) }

// completeRewardForm adds the choices a reward form offers.
func completeRewardForm(f *pages.RewardForm, p *models.Program, currency string, tiers []models.Tier) {
	if p.Type == models.ProgramCashback {
		f.CostHint = "Credit counts in minor units: 500 is " + money(500, currency) + "."
	}
	f.Types = choices(models.RewardTypes, rewardTypeLabels)
	f.Tiers = append([]components.Option{{Value: "", Label: "No minimum"}}, tierOptions(tiers)...)
}

// catalogPage lists what members can spend on today, program by program,
// for the till. Archived programs and rewards are left out.
func (a *App) catalogPage(c echo.Context) error {
	db, currency, today := a.tenant(c), currentMerchant(c).Currency, a.localToday(c)
	programs, err := models.ListPrograms(db)
	if err != nil {
		return err
	}
	data := pages.CatalogData{Today: today, CanManage: may(c, models.RoleManager)}
	for i := range programs {
		p := &programs[i]
		if p.Status == models.StatusArchived {
			continue
		}
		sec, err := catalogSection(c, db, p, currency, today)
		if err != nil {
			return err
		}
		if len(sec.Rewards) > 0 {
			data.Sections = append(data.Sections, sec)
		}
	}
	return ok(c, pages.Catalog(a.shell(c, "Rewards"), data))
}

func catalogSection(c echo.Context, db *gorm.DB, p *models.Program, currency, today string) (pages.CatalogSection, error) {
	sec := pages.CatalogSection{Program: programCrumb(c, p)}
	rewards, err := models.ListRewards(db, p.ID, false)
	if err != nil || len(rewards) == 0 {
		return sec, err
	}
	tiers, err := models.ListTiers(db, p.ID)
	if err != nil {
		return sec, err
	}
	names := tierNames(tiers)
	for i := range rewards {
		sec.Rewards = append(sec.Rewards, rewardRow(&rewards[i], p, currency, names, today))
	}
	return sec, nil
}

func (a *App) rewardsPage(c echo.Context) error {
	p, err := a.program(c)
	if err != nil {
		return err
	}
	return a.renderRewards(c, p, http.StatusOK, pages.RewardForm{Fields: pages.RewardFields{Type: string(models.RewardFreeItem)}})
}

func (a *App) renderRewards(c echo.Context, p *models.Program, status int, form pages.RewardForm) error {
	db, currency, today := a.tenant(c), currentMerchant(c).Currency, a.localToday(c)
	rewards, err := models.ListRewards(db, p.ID, true)
	if err != nil {
		return err
	}
	tiers, err := models.ListTiers(db, p.ID)
	if err != nil {
		return err
	}
	data := pages.RewardsData{Program: programCrumb(c, p), CanManage: may(c, models.RoleManager), Form: form}
	names := tierNames(tiers)
	for i := range rewards {
		row := rewardRow(&rewards[i], p, currency, names, today)
		if row.Archived {
			data.Archived = append(data.Archived, row)
		} else {
			data.Active = append(data.Active, row)
		}
	}
	data.Form.Action = rewardsURL(p)
	completeRewardForm(&data.Form, p, currency, tiers)
	return render(c, status, pages.Rewards(a.shell(c, p.Name+" rewards"), data))
}

func (a *App) createReward(c echo.Context) error {
	p, err := a.program(c)
	if err != nil {
		return err
	}
	fields := rewardFieldsOf(c)
	r, err := models.SaveReward(a.tenant(c), actor(c), p.ID, 0, rewardInput(fields))
	return a.answer(c, err, func(status int) error {
		form := pages.RewardForm{Fields: fields, Errors: models.FieldErrors(err), Message: models.ErrorMessage(err)}
		return a.renderRewards(c, p, status, form)
	}, func() string { return r.Name + " is in the catalog." }, rewardsURL(p))
}

func (a *App) rewardPage(c echo.Context) error {
	p, r, err := sectionItem(a, c, "rewardID", models.GetReward)
	if err != nil {
		return err
	}
	return a.renderReward(c, p, r, http.StatusOK, storedRewardForm(c, r))
}

// storedRewardForm is the edit form showing the reward as stored.
func storedRewardForm(c echo.Context, r *models.Reward) pages.RewardForm {
	return pages.RewardForm{Fields: pages.RewardFields(r.FormInput(currentMerchant(c).Currency))}
}

// renderReward shows a reward's edit page with form.
func (a *App) renderReward(c echo.Context, p *models.Program, r *models.Reward, status int, form pages.RewardForm) error {
	currency := currentMerchant(c).Currency
	tiers, err := models.ListTiers(a.tenant(c), p.ID)
	if err != nil {
		return err
	}
	form.Action = rewardURL(p, r.ID)
	completeRewardForm(&form, p, currency, tiers)
	data := pages.RewardData{
		Program: programCrumb(c, p), Form: form,
		Reward: rewardRow(r, p, currency, tierNames(tiers), a.localToday(c)),
	}
	return render(c, status, pages.Reward(a.shell(c, r.Name), data))
}

func (a *App) updateReward(c echo.Context) error {
	p, stored, err := sectionItem(a, c, "rewardID", models.GetReward)
	if err != nil {
		return err
	}
	fields := rewardFieldsOf(c)
	r, err := models.SaveReward(a.tenant(c), actor(c), p.ID, stored.ID, rewardInput(fields))
	return a.answer(c, err, func(status int) error {
		form := pages.RewardForm{Fields: fields, Errors: models.FieldErrors(err), Message: models.ErrorMessage(err)}
		return a.renderReward(c, p, stored, status, form)
	}, func() string { return r.Name + " is saved." }, rewardsURL(p))
}

func (a *App) archiveReward(c echo.Context) error { return a.setRewardArchived(c, true) }

func (a *App) restoreReward(c echo.Context) error { return a.setRewardArchived(c, false) }

// setRewardArchived archives or restores; a refusal (the reward a full
// stamp card gives, a name now taken) shows the edit page with why.
func (a *App) setRewardArchived(c echo.Context, archived bool) error {
	p, stored, err := sectionItem(a, c, "rewardID", models.GetReward)
	if err != nil {
		return err
	}
	r, err := models.SetRewardArchived(a.tenant(c), actor(c), p.ID, stored.ID, archived)
	return a.answer(c, err, func(status int) error {
		form := storedRewardForm(c, stored)
		form.Message = models.ErrorMessage(err)
		return a.renderReward(c, p, stored, status, form)
	}, func() string {
		if archived {
			return r.Name + " is archived: it is out of the catalog."
		}
		return r.Name + " is back in the catalog."
	}, rewardsURL(p))
}
