package handlers

import "github.com/labstack/echo/v4"

// Temporary stubs for helper B; delete each when implemented.
func (a *App) catalogPage(c echo.Context) error    { return echo.ErrNotImplemented }
func (a *App) rewardsPage(c echo.Context) error    { return echo.ErrNotImplemented }
func (a *App) createReward(c echo.Context) error   { return echo.ErrNotImplemented }
func (a *App) rewardPage(c echo.Context) error     { return echo.ErrNotImplemented }
func (a *App) updateReward(c echo.Context) error   { return echo.ErrNotImplemented }
func (a *App) archiveReward(c echo.Context) error  { return echo.ErrNotImplemented }
func (a *App) restoreReward(c echo.Context) error  { return echo.ErrNotImplemented }
func (a *App) rulesPage(c echo.Context) error      { return echo.ErrNotImplemented }
func (a *App) createRule(c echo.Context) error     { return echo.ErrNotImplemented }
func (a *App) rulePage(c echo.Context) error       { return echo.ErrNotImplemented }
func (a *App) updateRule(c echo.Context) error     { return echo.ErrNotImplemented }
func (a *App) deleteRule(c echo.Context) error     { return echo.ErrNotImplemented }
func (a *App) campaignsPage(c echo.Context) error  { return echo.ErrNotImplemented }
func (a *App) createCampaign(c echo.Context) error { return echo.ErrNotImplemented }
func (a *App) campaignPage(c echo.Context) error   { return echo.ErrNotImplemented }
func (a *App) updateCampaign(c echo.Context) error { return echo.ErrNotImplemented }
func (a *App) deleteCampaign(c echo.Context) error { return echo.ErrNotImplemented }
