package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
)

// actionBody is POST /actions: a custom earning rule to award a member;
// program_id defaults like a purchase's.
type actionBody struct {
	MemberID  *int64 `json:"member_id"`
	ProgramID *int64 `json:"program_id"`
	RuleID    *int64 `json:"rule_id"`
}

// apiAward is the ledger entry an award posted.
type apiAward struct {
	EntryID   int64     `json:"entry_id"`
	ProgramID int64     `json:"program_id"`
	MemberID  int64     `json:"member_id"`
	RuleID    int64     `json:"rule_id"`
	Points    int64     `json:"points"`
	Balance   int64     `json:"balance"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

// apiAwardAction awards a custom action through models.AwardAction, as
// the member page does: its cap (once, a day, a week…) holds whatever the
// Idempotency-Key, and an action without a cap is paid once per key.
func (a *App) apiAwardAction(c echo.Context) error {
	var body actionBody
	db, m, err := a.decodeForMerchant(c, &body)
	if err != nil {
		return err
	}
	v := models.Validation{}
	v.Check(body.MemberID != nil, "member_id", "Name the member who did it.")
	v.Check(body.RuleID != nil, "rule_id", "Name the custom action's earning rule.")
	if err := v.Err(); err != nil {
		return err
	}
	programID, err := programOrDefault(db, m, body.ProgramID, "award actions in")
	if err != nil {
		return err
	}
	e, err := models.AwardAction(db, apiActor(c), *body.MemberID, programID, *body.RuleID, requestKey(c, "api-action"), a.now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, apiAward{EntryID: e.ID, ProgramID: e.ProgramID, MemberID: *body.MemberID, RuleID: *body.RuleID,
		Points: e.Amount, Balance: e.BalanceAfter, Reason: e.Reason, CreatedAt: e.CreatedAt.UTC()})
}
