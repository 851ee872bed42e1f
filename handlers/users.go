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

func roleOptions() []components.Option {
	opts := make([]components.Option, 0, len(models.Roles))
	for _, r := range models.Roles {
		opts = append(opts, components.Option{Value: string(r), Label: string(r)})
	}
	return opts
}

func userURL(id int64) string { return fmt.Sprintf("/settings/users/%d", id) }

// userRow shows a user; times are in the business's time zone.
func userRow(u *models.User, me *models.User, loc *time.Location) pages.UserRow {
	status := "active"
	switch {
	case !u.Active:
		status = "deactivated"
	case !u.PasswordSet():
		status = "invited"
	}
	lastLogin := "never"
	if u.LastLoginAt != nil {
		lastLogin = u.LastLoginAt.In(loc).Format("2 Jan 2006 15:04 MST")
	}
	return pages.UserRow{
		ID: u.ID, Name: u.Name, Email: u.Email, Role: string(u.Role), Status: status,
		LastLogin: lastLogin, IsYou: u.ID == me.ID, ManageURL: userURL(u.ID),
	}
}

func (a *App) renderUsers(c echo.Context, status int, form pages.AddUserForm) error {
	users, err := models.ListUsers(a.tenant(c))
	if err != nil {
		return err
	}
	me := currentUser(c)
	rows := make([]pages.UserRow, 0, len(users))
	for i := range users {
		rows = append(rows, userRow(&users[i], me, currentMerchant(c).Location()))
	}
	return render(c, status, pages.Users(a.shell(c, "Team"), pages.UsersData{Users: rows, Form: form, Roles: roleOptions()}))
}

func (a *App) usersPage(c echo.Context) error {
	return a.renderUsers(c, http.StatusOK, pages.AddUserForm{Role: string(models.RoleStaff)})
}

func (a *App) addUser(c echo.Context) error {
	form := pages.AddUserForm{Name: c.FormValue("name"), Email: c.FormValue("email"), Role: c.FormValue("role")}
	u, token, err := models.AddUser(a.tenant(c), models.ActorOf(currentUser(c)), models.AddUserInput{
		Name: form.Name, Email: form.Email, Role: models.Role(form.Role), Password: c.FormValue("password"),
	})
	if err != nil {
		if models.ErrorCode(err) != models.EINVALID {
			return err
		}
		form.Errors, form.Message = models.FieldErrors(err), models.ErrorMessage(err)
		return a.renderUsers(c, http.StatusUnprocessableEntity, form)
	}
	msg := fmt.Sprintf("%s can log in now.", u.Name)
	if token != "" {
		msg = fmt.Sprintf("%s was added. Give them the link below to choose a password.", u.Name)
	}
	return a.afterUserChange(c, u, token, msg)
}

// afterUserChange flashes a message and shows the user's page; a fresh
// set-password link rides along in the session to be shown exactly once.
func (a *App) afterUserChange(c echo.Context, u *models.User, token, msg string) error {
	s := a.session(c)
	if token != "" {
		s.Values[keyLink] = fmt.Sprintf("%d|%s/set-password/%s", u.ID, a.baseURL, token)
	}
	addFlash(s, "success", msg)
	a.saveAfterWrite(c, s)
	return redirect(c, userURL(u.ID))
}

func (a *App) userPage(c echo.Context) error {
	return a.renderUser(c, http.StatusOK, "", "")
}

func (a *App) renderUser(c echo.Context, status int, roleErr, message string) error {
	id, err := idParam(c, "userID")
	if err != nil {
		return err
	}
	u, err := models.GetUser(a.tenant(c), id)
	if err != nil {
		return err
	}
	data := pages.UserData{User: userRow(u, currentUser(c), currentMerchant(c).Location()), Roles: roleOptions(), RoleError: roleErr, Message: message}
	if data.Recognition, err = a.recognitionHistory(c, models.Party{UserID: u.ID}); err != nil {
		return err
	}
	s := a.session(c)
	if link, ok := s.Values[keyLink].(string); ok {
		if owner, url, _ := strings.Cut(link, "|"); owner == strconv.FormatInt(u.ID, 10) {
			data.PasswordLink = url
			delete(s.Values, keyLink)
			if err := a.saveSession(c, s); err != nil {
				return err
			}
		}
	}
	return render(c, status, pages.User(a.shell(c, u.Name), data))
}

// userChange runs one of the owner's changes to a user and answers the
// way each outcome needs: a refused change re-renders the page with why.
func (a *App) userChange(c echo.Context, change func(id int64) (*models.User, error), msg string) error {
	id, err := idParam(c, "userID")
	if err != nil {
		return err
	}
	u, err := change(id)
	if status, refused := formRefusal(c, err); refused {
		return a.renderUser(c, status, models.FieldErrors(err)["role"], models.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	// A change to yourself ends your own session too; keep you signed in
	// unless you deactivated yourself.
	if me := currentUser(c); u.ID == me.ID {
		if !u.Active {
			return a.endSessionAndLogin(c)
		}
		if err := a.startSession(c, u, ""); err != nil {
			return err
		}
	}
	return a.afterUserChange(c, u, "", fmt.Sprintf(msg, u.Name))
}

func (a *App) endSessionAndLogin(c echo.Context) error {
	if err := a.endSession(c, "info", "You deactivated your own account."); err != nil {
		return err
	}
	return redirect(c, "/login")
}

func (a *App) changeRole(c echo.Context) error {
	role := models.Role(c.FormValue("role"))
	return a.userChange(c, func(id int64) (*models.User, error) {
		return models.ChangeRole(a.tenant(c), models.ActorOf(currentUser(c)), id, role)
	}, "%s's role is saved.")
}

func (a *App) deactivateUser(c echo.Context) error {
	return a.userChange(c, func(id int64) (*models.User, error) {
		return models.SetActive(a.tenant(c), models.ActorOf(currentUser(c)), id, false)
	}, "%s is deactivated and logged out everywhere.")
}

func (a *App) reactivateUser(c echo.Context) error {
	return a.userChange(c, func(id int64) (*models.User, error) {
		return models.SetActive(a.tenant(c), models.ActorOf(currentUser(c)), id, true)
	}, "%s can log in again.")
}

func (a *App) passwordLink(c echo.Context) error {
	id, err := idParam(c, "userID")
	if err != nil {
		return err
	}
	u, token, err := models.CreatePasswordLink(a.tenant(c), models.ActorOf(currentUser(c)), id)
	if models.ErrorCode(err) == models.ECONFLICT {
		return a.renderUser(c, http.StatusConflict, "", models.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	return a.afterUserChange(c, u, token, fmt.Sprintf("A new set-password link for %s is below; older links no longer work.", u.Name))
}
