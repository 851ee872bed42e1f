package handlers

import "github.com/labstack/echo/v4"

// Temporary stubs for the members helper; delete each when implemented.
func (a *App) membersPage(c echo.Context) error    { return echo.ErrNotImplemented }
func (a *App) enrolMember(c echo.Context) error    { return echo.ErrNotImplemented }
func (a *App) memberPage(c echo.Context) error     { return echo.ErrNotImplemented }
func (a *App) updateMember(c echo.Context) error   { return echo.ErrNotImplemented }
func (a *App) blockMember(c echo.Context) error    { return echo.ErrNotImplemented }
func (a *App) unblockMember(c echo.Context) error  { return echo.ErrNotImplemented }
func (a *App) adjustBalance(c echo.Context) error  { return echo.ErrNotImplemented }
func (a *App) redeemReward(c echo.Context) error   { return echo.ErrNotImplemented }
func (a *App) awardAction(c echo.Context) error    { return echo.ErrNotImplemented }
func (a *App) useVoucher(c echo.Context) error     { return echo.ErrNotImplemented }
func (a *App) cancelVoucher(c echo.Context) error  { return echo.ErrNotImplemented }
func (a *App) refundPurchase(c echo.Context) error { return echo.ErrNotImplemented }
