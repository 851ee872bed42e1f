package handlers

import (
	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/pages"
)

// dashboard is where everyone lands after logging in: managers and owners
// on the report dashboard, staff on a page that points to the till.
func (a *App) dashboard(c echo.Context) error {
	if may(c, models.RoleManager) {
		return a.dashboardReport(c)
	}
	return ok(c, pages.Dashboard(a.shell(c, "Dashboard"), pages.DashboardData{BusinessName: currentMerchant(c).Name}))
}
