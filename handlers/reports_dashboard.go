package handlers

import (
	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/views/pages"
)

// dashboardReport is the manager's landing page, at /dashboard and
// /reports.
func (a *App) dashboardReport(c echo.Context) error {
	return a.serveReport(c, "dashboard", currentMerchant(c).Name, func(rq *reportRequest) (reportPage, error) {
		return reportPage{Body: pages.DashboardReport(*rq.Frame)}, nil
	})
}
