package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/pages"
)

func signUpForm(c echo.Context) pages.SignUpForm {
	return pages.SignUpForm{
		Business: businessFields(c.FormValue("business_name"), c.FormValue("currency"), c.FormValue("time_zone")),
		Name:     c.FormValue("name"),
		Email:    c.FormValue("email"),
	}
}

func (a *App) signUpPage(c echo.Context) error {
	return ok(c, pages.SignUp(a.shell(c, "Sign up"), signUpForm(c)))
}

func (a *App) signUp(c echo.Context) error {
	// The slot is taken before the work, so parallel sign-ups cannot all
	// pass the check; only a business actually created keeps it.
	ip := c.RealIP()
	wait, slot := a.limiters.signUpByIP.reserve(ip)
	if wait > 0 {
		return &tooManyRequests{retryAfter: wait, what: "sign-ups from your network"}
	}
	form := signUpForm(c)
	_, u, err := models.SignUp(c.Request().Context(), a.db, models.SignUpInput{
		MerchantInput: models.MerchantInput{Name: form.Business.Name, Currency: form.Business.Currency, TimeZone: form.Business.TimeZone},
		OwnerName:     form.Name,
		Email:         form.Email,
		Password:      c.FormValue("password"),
	})
	if err != nil {
		a.limiters.signUpByIP.release(ip, slot)
		if models.ErrorCode(err) != models.EINVALID {
			return err
		}
		form.Errors, form.Message = models.FieldErrors(err), models.ErrorMessage(err)
		return render(c, http.StatusUnprocessableEntity, pages.SignUp(a.shell(c, "Sign up"), form))
	}
	if err := a.startSession(c, u, "Welcome to Regulars! Your business is ready."); err != nil {
		return err
	}
	return redirect(c, "/dashboard")
}

func (a *App) loginPage(c echo.Context) error {
	return ok(c, pages.Login(a.shell(c, "Log in"), pages.LoginForm{Next: c.QueryParam("next")}))
}

// login takes a slot under both limits before checking the password, so
// a locked account cannot be probed and parallel guesses cannot all slip
// past the check before any is counted. Only failures keep their slots.
func (a *App) login(c echo.Context) error {
	form := pages.LoginForm{Email: c.FormValue("email"), Next: c.FormValue("next")}
	password := c.FormValue("password")
	ip, account := c.RealIP(), models.NormaliseEmail(form.Email)

	v := models.Validation{}
	v.Check(account != "", "email", "Enter your email address.")
	v.Check(password != "", "password", "Enter your password.")
	if err := v.Err(); err != nil {
		form.Errors, form.Message = models.FieldErrors(err), models.ErrorMessage(err)
		return render(c, http.StatusUnprocessableEntity, pages.Login(a.shell(c, "Log in"), form))
	}
	wait, ipSlot := a.limiters.byIP.reserve(ip)
	if wait > 0 {
		return &tooManyRequests{retryAfter: wait, what: "login attempts"}
	}
	wait, accountSlot := a.limiters.byAccount.reserve(account)
	if wait > 0 {
		a.limiters.byIP.release(ip, ipSlot)
		return &tooManyRequests{retryAfter: wait, what: "login attempts"}
	}
	u, err := models.Authenticate(c.Request().Context(), a.db, account, password)
	if err != nil {
		if models.ErrorCode(err) != models.EUNAUTHORIZED {
			a.limiters.byIP.release(ip, ipSlot)
			a.limiters.byAccount.release(account, accountSlot)
			return err
		}
		form.Message = models.ErrorMessage(err)
		return render(c, http.StatusUnauthorized, pages.Login(a.shell(c, "Log in"), form))
	}
	// A success gives back its own slots only: the failures stand for
	// their window, so guesses racing a right password still count.
	a.limiters.byIP.release(ip, ipSlot)
	a.limiters.byAccount.release(account, accountSlot)
	if err := a.startSession(c, u, ""); err != nil {
		return err
	}
	return redirect(c, localPath(form.Next))
}

func (a *App) logout(c echo.Context) error {
	if err := a.endSession(c, "info", "You have logged out."); err != nil {
		return err
	}
	return redirect(c, "/login")
}

func (a *App) setPasswordPage(c echo.Context) error {
	u, err := models.UserForToken(c.Request().Context(), a.db, c.Param("token"))
	if err != nil {
		return err
	}
	return ok(c, pages.SetPassword(a.shell(c, "Choose your password"), pages.SetPasswordForm{
		Token: c.Param("token"), UserName: u.Name, Email: u.Email,
	}))
}

func (a *App) setPassword(c echo.Context) error {
	ctx, token := c.Request().Context(), c.Param("token")
	u, err := models.UsePasswordToken(ctx, a.db, token, c.FormValue("password"), c.FormValue("confirm_password"))
	if err != nil {
		if models.ErrorCode(err) != models.EINVALID {
			return err
		}
		holder, lookupErr := models.UserForToken(ctx, a.db, token)
		if lookupErr != nil {
			return lookupErr
		}
		return render(c, http.StatusUnprocessableEntity, pages.SetPassword(a.shell(c, "Choose your password"), pages.SetPasswordForm{
			Token: token, UserName: holder.Name, Email: holder.Email,
			Errors: models.FieldErrors(err), Message: models.ErrorMessage(err),
		}))
	}
	if err := a.startSession(c, u, "Your password is set. Welcome!"); err != nil {
		return err
	}
	return redirect(c, "/dashboard")
}
