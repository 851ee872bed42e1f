package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/components"
	"github.com/regularshq/regulars/views/pages"
)

// weekOrder is how the week reads in the forms and the table: Monday
// first, though the stored bits count from Sunday (time.Weekday).
var weekOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

func weekdayOptions() []components.Option {
	opts := make([]components.Option, 0, len(weekOrder))
	for _, d := range weekOrder {
		opts = append(opts, components.Option{Value: strconv.Itoa(int(d)), Label: d.String()[:3]})
	}
	return opts
}

func campaignsURL(p *models.Program) string { return programURL(p.ID) + "/campaigns" }

func campaignURL(p *models.Program, id int64) string {
	return fmt.Sprintf("%s/%d", campaignsURL(p), id)
}

func campaignDays(cp *models.Campaign) string {
	if cp.Weekdays == 0 {
		return "every day"
	}
	var days []string
	for _, d := range weekOrder {
		if cp.OnWeekday(d) {
			days = append(days, d.String()[:3])
		}
	}
	return strings.Join(days, ", ")
}

// campaignTiers names the tiers a campaign is limited to. Tiers in use
// cannot be deleted, so a missing name is only a guard.
func campaignTiers(cp *models.Campaign, names map[int64]string) string {
	ids := cp.TierIDList()
	if len(ids) == 0 {
		return "all tiers"
	}
	var tiers []string
	for _, id := range ids {
		if name, ok := names[id]; ok {
			tiers = append(tiers, name)
		} else {
			tiers = append(tiers, "a removed tier")
		}
	}
	return strings.Join(tiers, ", ")
}

// campaignBoost says what a campaign adds: a multiplier, a bonus, or both.
func campaignBoost(cp *models.Campaign, p *models.Program, currency string) string {
	var boost []string
	if cp.MultiplierMilli > 1000 {
		boost = append(boost, multiplierText(cp.MultiplierMilli))
	}
	if cp.BonusPoints > 0 {
		boost = append(boost, "+"+units(p, cp.BonusPoints, currency))
	}
	return strings.Join(boost, ", ")
}

func campaignRow(cp *models.Campaign, p *models.Program, currency string, tiers map[int64]string, today string) pages.CampaignRow {
	row := pages.CampaignRow{
		ID: cp.ID, Name: cp.Name, StartsOn: cp.StartsOn, EndsOn: cp.EndsOn, Status: cp.Status(today),
		Days: campaignDays(cp), Tiers: campaignTiers(cp, tiers), EditURL: campaignURL(p, cp.ID),
	}
	row.Boost = campaignBoost(cp, p, currency)
	if cp.MinPurchaseMinor > 0 {
		row.MinPurchase = money(cp.MinPurchaseMinor, currency)
	}
	return row
}

// campaignFieldsOf reads a posted campaign form; checkboxes post one value
// per ticked box.
func campaignFieldsOf(c echo.Context) (pages.CampaignFields, error) {
	form, err := c.FormParams()
	if err != nil {
		return pages.CampaignFields{}, err
	}
	return pages.CampaignFields{
		Name: form.Get("name"), StartsOn: form.Get("starts_on"), EndsOn: form.Get("ends_on"),
		Multiplier: form.Get("multiplier"), BonusPoints: form.Get("bonus_points"), MinPurchase: form.Get("min_purchase"),
		Weekdays: form["weekdays"], TierIDs: form["tier_ids"],
	}, nil
}

// campaignInput hands the form to the model; the structs share their
// fields.
func campaignInput(f pages.CampaignFields) models.CampaignInput { return models.CampaignInput(f) }

func completeCampaignForm(f *pages.CampaignForm, tiers []models.Tier) {
	f.Weekdays, f.Tiers = weekdayOptions(), tierOptions(tiers)
}

func (a *App) campaignsPage(c echo.Context) error {
	p, err := a.program(c)
	if err != nil {
		return err
	}
	return a.renderCampaigns(c, p, http.StatusOK, pages.CampaignForm{Fields: pages.CampaignFields{Multiplier: "2"}})
}

func (a *App) renderCampaigns(c echo.Context, p *models.Program, status int, form pages.CampaignForm) error {
	db, currency, today := a.tenant(c), currentMerchant(c).Currency, a.localToday(c)
	campaigns, err := models.ListCampaigns(db, p.ID)
	if err != nil {
		return err
	}
	tiers, err := models.ListTiers(db, p.ID)
	if err != nil {
		return err
	}
	data := pages.CampaignsData{Program: programCrumb(c, p), CanManage: may(c, models.RoleManager), Form: form}
	names := tierNames(tiers)
	for i := range campaigns {
		data.Campaigns = append(data.Campaigns, campaignRow(&campaigns[i], p, currency, names, today))
	}
	data.Form.Action = campaignsURL(p)
	completeCampaignForm(&data.Form, tiers)
	return render(c, status, pages.Campaigns(a.shell(c, p.Name+" campaigns"), data))
}

func (a *App) createCampaign(c echo.Context) error {
	p, err := a.program(c)
	if err != nil {
		return err
	}
	fields, err := campaignFieldsOf(c)
	if err != nil {
		return err
	}
	cp, err := models.SaveCampaign(a.tenant(c), actor(c), p.ID, 0, campaignInput(fields), a.now())
	return a.answer(c, err, func(status int) error {
		form := pages.CampaignForm{Fields: fields, Errors: models.FieldErrors(err), Message: models.ErrorMessage(err)}
		return a.renderCampaigns(c, p, status, form)
	}, func() string { return campaignSaved(cp, a.localToday(c)) }, campaignsURL(p))
}

// campaignSaved says where a new campaign stands: running now or
// scheduled for later.
func campaignSaved(cp *models.Campaign, today string) string {
	if cp.Status(today) == models.CampaignRunning {
		return cp.Name + " is running."
	}
	return cp.Name + " is scheduled."
}

func (a *App) campaignPage(c echo.Context) error {
	p, cp, err := sectionItem(a, c, "campaignID", models.GetCampaign)
	if err != nil {
		return err
	}
	return a.renderCampaign(c, p, cp, http.StatusOK, storedCampaignForm(c, cp))
}

// storedCampaignForm is the edit form showing the campaign as stored.
func storedCampaignForm(c echo.Context, cp *models.Campaign) pages.CampaignForm {
	return pages.CampaignForm{Fields: pages.CampaignFields(cp.FormInput(currentMerchant(c).Currency))}
}

func (a *App) renderCampaign(c echo.Context, p *models.Program, cp *models.Campaign, status int, form pages.CampaignForm) error {
	tiers, err := models.ListTiers(a.tenant(c), p.ID)
	if err != nil {
		return err
	}
	form.Action = campaignURL(p, cp.ID)
	completeCampaignForm(&form, tiers)
	data := pages.CampaignData{
		Program: programCrumb(c, p), Form: form,
		Campaign: campaignRow(cp, p, currentMerchant(c).Currency, tierNames(tiers), a.localToday(c)),
	}
	return render(c, status, pages.Campaign(a.shell(c, cp.Name), data))
}

func (a *App) updateCampaign(c echo.Context) error {
	p, stored, err := sectionItem(a, c, "campaignID", models.GetCampaign)
	if err != nil {
		return err
	}
	fields, err := campaignFieldsOf(c)
	if err != nil {
		return err
	}
	cp, err := models.SaveCampaign(a.tenant(c), actor(c), p.ID, stored.ID, campaignInput(fields), a.now())
	return a.answer(c, err, func(status int) error {
		form := pages.CampaignForm{Fields: fields, Errors: models.FieldErrors(err), Message: models.ErrorMessage(err)}
		return a.renderCampaign(c, p, stored, status, form)
	}, func() string { return cp.Name + " is saved." }, campaignsURL(p))
}

func (a *App) deleteCampaign(c echo.Context) error {
	p, cp, err := sectionItem(a, c, "campaignID", models.GetCampaign)
	if err != nil {
		return err
	}
	err = models.DeleteCampaign(a.tenant(c), actor(c), p.ID, cp.ID)
	return a.answer(c, err, func(status int) error {
		form := storedCampaignForm(c, cp)
		form.Message = models.ErrorMessage(err)
		return a.renderCampaign(c, p, cp, status, form)
	}, func() string { return cp.Name + " is deleted." }, campaignsURL(p))
}
