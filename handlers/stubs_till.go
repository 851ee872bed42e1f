package handlers

import "github.com/labstack/echo/v4"

// Temporary stubs for the till helper; delete each when implemented.
func (a *App) tillPage(c echo.Context) error     { return echo.ErrNotImplemented }
func (a *App) tillSearch(c echo.Context) error   { return echo.ErrNotImplemented }
func (a *App) tillPreview(c echo.Context) error  { return echo.ErrNotImplemented }
func (a *App) tillPurchase(c echo.Context) error { return echo.ErrNotImplemented }
