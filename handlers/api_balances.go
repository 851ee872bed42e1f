package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
)

// apiBalance is a member's standing in one program, read from
// models.MemberOverview like the member page.
type apiBalance struct {
	Program        apiProgram     `json:"program"`
	Balance        int64          `json:"balance"`
	LifetimeEarned int64          `json:"lifetime_earned"`
	Tier           *apiTier       `json:"tier"`
	NextTier       *apiNextTier   `json:"next_tier"`
	Expiring       []apiExpiring  `json:"expiring"`
	Redeemable     []apiRewardRef `json:"redeemable_rewards"`
}

type apiProgram struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

type apiTier struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// apiNextTier is the progress towards the next tier, in the program's
// tier metric (points earned, spend in minor units, or visits).
type apiNextTier struct {
	apiTier
	Metric     string `json:"metric"`
	Threshold  int64  `json:"threshold"`
	Qualifying int64  `json:"qualifying"`
	Remaining  int64  `json:"remaining"`
}

// apiExpiring is what lapses on a day unless spent: the program's
// reminder period ahead, 30 days without one.
type apiExpiring struct {
	Amount int64     `json:"amount"`
	On     time.Time `json:"on"`
}

type apiRewardRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Cost int64  `json:"cost"`
}

func apiTierOf(t *models.Tier) *apiTier {
	if t == nil {
		return nil
	}
	return &apiTier{ID: t.ID, Name: t.Name}
}

func apiBalanceOf(ps *models.ProgramSummary) apiBalance {
	p := ps.Program
	b := apiBalance{
		Program: apiProgram{ID: p.ID, Name: p.Name, Type: string(p.Type)}, Balance: ps.Account.Balance,
		LifetimeEarned: ps.Account.LifetimeEarned, Tier: apiTierOf(ps.Tier),
		Expiring: []apiExpiring{}, Redeemable: []apiRewardRef{},
	}
	if t := ps.NextTier; t != nil {
		b.NextTier = &apiNextTier{apiTier: *apiTierOf(t), Metric: string(p.TierMetric), Threshold: t.Threshold,
			Qualifying: ps.Qualifying, Remaining: max(t.Threshold-ps.Qualifying, 0)}
	}
	for _, e := range ps.Expiring {
		b.Expiring = append(b.Expiring, apiExpiring{Amount: e.Amount, On: e.On.UTC()})
	}
	for _, r := range ps.Rewards {
		if r.Redeemable() {
			b.Redeemable = append(b.Redeemable, apiRewardRef{ID: r.Reward.ID, Name: r.Reward.Name, Cost: r.Reward.Cost})
		}
	}
	return b
}

func (a *App) apiBalances(c echo.Context) error {
	id, err := idParam(c, "memberID")
	if err != nil {
		return err
	}
	ov, err := models.MemberOverview(a.apiTenant(c), id, a.now())
	if err != nil {
		return err
	}
	list := apiList[apiBalance]{Data: make([]apiBalance, 0, len(ov.Programs))}
	for i := range ov.Programs {
		list.Data = append(list.Data, apiBalanceOf(&ov.Programs[i]))
	}
	return c.JSON(http.StatusOK, list)
}
