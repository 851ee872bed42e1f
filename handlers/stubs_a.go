package handlers

import "github.com/labstack/echo/v4"

// Temporary stubs for helper A; delete each when implemented.
func (a *App) auditPage(c echo.Context) error     { return echo.ErrNotImplemented }
func (a *App) programsPage(c echo.Context) error  { return echo.ErrNotImplemented }
func (a *App) createProgram(c echo.Context) error { return echo.ErrNotImplemented }
func (a *App) programPage(c echo.Context) error   { return echo.ErrNotImplemented }
func (a *App) updateProgram(c echo.Context) error { return echo.ErrNotImplemented }
func (a *App) previewEarn(c echo.Context) error   { return echo.ErrNotImplemented }
func (a *App) tiersPage(c echo.Context) error     { return echo.ErrNotImplemented }
func (a *App) createTier(c echo.Context) error    { return echo.ErrNotImplemented }
func (a *App) tierPage(c echo.Context) error      { return echo.ErrNotImplemented }
func (a *App) updateTier(c echo.Context) error    { return echo.ErrNotImplemented }
func (a *App) deleteTier(c echo.Context) error    { return echo.ErrNotImplemented }
