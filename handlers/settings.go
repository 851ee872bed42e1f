package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/pages"
)

func (a *App) settings(c echo.Context) error {
	return redirect(c, "/settings/business")
}

func businessFields(name, currency, timeZone string) pages.BusinessFields {
	return pages.BusinessFields{
		Name: name, Currency: currency, TimeZone: timeZone,
		Currencies: models.CurrencyCodes(), TimeZones: models.CommonTimeZones(),
	}
}

// currencyLock says why the merchant's currency is fixed, or "" while it
// is not.
func (a *App) currencyLock(c echo.Context) (string, error) {
	locked, err := models.CurrencyLocked(a.tenant(c))
	if err != nil || !locked {
		return "", err
	}
	return currentMerchant(c).CurrencyLockedMessage(), nil
}

func (a *App) businessPage(c echo.Context) error {
	m := currentMerchant(c)
	b := businessFields(m.Name, m.Currency, m.TimeZone)
	var err error
	if b.CurrencyLocked, err = a.currencyLock(c); err != nil {
		return err
	}
	return ok(c, pages.BusinessSettings(a.shell(c, "Business settings"), pages.BusinessForm{Business: b}))
}

func (a *App) updateBusiness(c echo.Context) error {
	b := businessFields(c.FormValue("business_name"), c.FormValue("currency"), c.FormValue("time_zone"))
	form := pages.BusinessForm{Business: b}
	m, err := models.UpdateMerchant(a.tenant(c), models.ActorOf(currentUser(c)), models.MerchantInput{Name: b.Name, Currency: b.Currency, TimeZone: b.TimeZone})
	if err != nil {
		if models.ErrorCode(err) != models.EINVALID {
			return err
		}
		form.Errors, form.Message = models.FieldErrors(err), models.ErrorMessage(err)
		if form.Business.CurrencyLocked, err = a.currencyLock(c); err != nil {
			return err
		}
		if form.Business.CurrencyLocked != "" {
			// The locked field shows the currency kept, not the one typed.
			form.Business.Currency = currentMerchant(c).Currency
		}
		return render(c, http.StatusUnprocessableEntity, pages.BusinessSettings(a.shell(c, "Business settings"), form))
	}
	a.flash(c, "success", "Business settings saved for "+m.Name+".")
	return redirect(c, "/settings/business")
}

func (a *App) passwordPage(c echo.Context) error {
	return ok(c, pages.ChangePassword(a.shell(c, "Change password"), pages.PasswordForm{}))
}

// changePassword ends every other session of the user and re-issues this
// one with the new epoch, so the person at the screen stays signed in.
func (a *App) changePassword(c echo.Context) error {
	u, err := models.ChangePassword(a.tenant(c), currentUser(c).ID, models.ChangePasswordInput{
		Current: c.FormValue("current_password"),
		New:     c.FormValue("new_password"),
		Confirm: c.FormValue("confirm_password"),
	})
	if err != nil {
		if models.ErrorCode(err) != models.EINVALID {
			return err
		}
		return render(c, http.StatusUnprocessableEntity, pages.ChangePassword(a.shell(c, "Change password"), pages.PasswordForm{
			Errors: models.FieldErrors(err), Message: models.ErrorMessage(err),
		}))
	}
	if err := a.startSession(c, u, "Your password is changed. Your other sessions have ended."); err != nil {
		return err
	}
	return redirect(c, "/dashboard")
}
