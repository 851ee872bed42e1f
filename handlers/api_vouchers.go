package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
)

// apiVoucherDetail is a voucher with where it is in its life. code is as
// stored; printed_code as the till and the member page print it. Either
// names it in a path.
type apiVoucherDetail struct {
	apiVoucher
	PrintedCode string     `json:"printed_code"`
	ProgramID   int64      `json:"program_id"`
	MemberID    int64      `json:"member_id"`
	Cost        int64      `json:"cost"`
	Status      string     `json:"status"`
	Expired     bool       `json:"expired"`
	ExpiresAt   *time.Time `json:"expires_at"`
	UsedAt      *time.Time `json:"used_at"`
	ClosedBy    string     `json:"closed_by"`
	CreatedAt   time.Time  `json:"created_at"`
}

func apiVoucherURL(v *models.Voucher) string { return apiPrefix + "/vouchers/" + v.Code }

func (a *App) apiVoucherDetailOf(v *models.Voucher) apiVoucherDetail {
	return apiVoucherDetail{
		apiVoucher:  apiVoucher{ID: v.ID, Code: v.Code, RewardID: v.RewardID},
		PrintedCode: models.FormatCardCode(v.Code), ProgramID: v.ProgramID, MemberID: v.MemberID, Cost: v.Cost,
		Status: string(v.Status), Expired: v.Expired(a.now()), ExpiresAt: utcOrNil(v.ExpiresAt), UsedAt: utcOrNil(v.UsedAt),
		ClosedBy: v.ClosedBy, CreatedAt: v.CreatedAt.UTC(),
	}
}

// apiVoucherOf loads the voucher the path's code names; another
// merchant's code is not found.
func (a *App) apiVoucherOf(c echo.Context) (*models.Voucher, error) {
	return models.GetVoucherByCode(a.apiTenant(c), c.Param("code"))
}

func (a *App) apiGetVoucher(c echo.Context) error {
	v, err := a.apiVoucherOf(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.apiVoucherDetailOf(v))
}

// apiUseVoucher marks a voucher used, as staff do at the till.
func (a *App) apiUseVoucher(c echo.Context) error {
	return a.closeVoucher(c, models.MarkVoucherUsed)
}

// apiCancelVoucher cancels a voucher, giving its units and stock back. On
// the pages only a manager or the owner may; a read-write key acts for
// the owner who made it.
func (a *App) apiCancelVoucher(c echo.Context) error {
	return a.closeVoucher(c, models.CancelVoucher)
}

// closeVoucher runs a voucher's use or cancel; the body, if any, is an
// empty object.
func (a *App) closeVoucher(c echo.Context, close func(*gorm.DB, models.Actor, int64, time.Time) (*models.Voucher, error)) error {
	if err := decodeNothing(c); err != nil {
		return err
	}
	stored, err := a.apiVoucherOf(c)
	if err != nil {
		return err
	}
	v, err := close(a.apiTenant(c), apiActor(c), stored.ID, a.now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.apiVoucherDetailOf(v))
}
