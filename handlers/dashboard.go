package handlers

import (
	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/pages"
)

func (a *App) dashboard(c echo.Context) error {
	staff, err := models.CountActiveUsers(a.tenant(c))
	if err != nil {
		return err
	}
	m := currentMerchant(c)
	return ok(c, pages.Dashboard(a.shell(c, "Dashboard"), pages.DashboardData{
		BusinessName: m.Name,
		Currency:     m.Currency,
		TimeZone:     m.TimeZone,
		ActiveStaff:  int(staff),
		IsOwner:      currentUser(c).Role == models.RoleOwner,
	}))
}
