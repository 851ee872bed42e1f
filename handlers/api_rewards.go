package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
)

// apiRewardsPage is how many rewards a page of /rewards holds.
const apiRewardsPage = 50

// apiReward is a reward of the catalog: what it costs in its program's
// unit, what it gives (value in minor units; a percent off in basis
// points) and who may have it. Nil stock or limit is unlimited; active
// dates are the business's local dates, inclusive.
type apiReward struct {
	ID                 int64    `json:"id"`
	ProgramID          int64    `json:"program_id"`
	Name               string   `json:"name"`
	Description        string   `json:"description"`
	Cost               int64    `json:"cost"`
	Type               string   `json:"type"`
	Gives              string   `json:"gives"`
	Value              int64    `json:"value"`
	PercentBasisPoints int64    `json:"percent_basis_points"`
	Stock              *int64   `json:"stock"`
	MinTier            *apiTier `json:"min_tier"`
	PerMemberLimit     *int64   `json:"per_member_limit"`
	ActiveFrom         *string  `json:"active_from"`
	ActiveTo           *string  `json:"active_to"`
	// With ?member_id=: whether that member may redeem it now and, if not,
	// the units they lack and any other reason (models.StandingFor).
	Redeemable *bool   `json:"redeemable,omitempty"`
	Short      *int64  `json:"short,omitempty"`
	Barred     *string `json:"barred,omitempty"`
}

// rewardQuery is what GET /rewards may be asked: ids that name nothing
// are 404s, as in a path.
type rewardQuery struct {
	programID, memberID, after int64
}

func parseRewardQuery(c echo.Context) (rewardQuery, error) {
	var q rewardQuery
	var err error
	if q.after, err = cursorParam(c); err != nil {
		return q, err
	}
	for name, to := range map[string]*int64{"program_id": &q.programID, "member_id": &q.memberID} {
		if v := c.QueryParam(name); v != "" {
			if *to, err = strconv.ParseInt(v, 10, 64); err != nil || *to <= 0 {
				return q, models.Errorf(models.ENOTFOUND, "No such %s.", name[:len(name)-3])
			}
		}
	}
	return q, nil
}

func (a *App) apiRewards(c echo.Context) error {
	q, err := parseRewardQuery(c)
	if err != nil {
		return err
	}
	db, m := a.apiTenant(c), currentMerchant(c)
	if q.programID != 0 {
		if _, err := models.GetProgram(db, q.programID); err != nil {
			return err
		}
	}
	standings, err := a.standingsOf(db, q.memberID)
	if err != nil {
		return err
	}
	rs, err := models.CatalogPage(db, q.programID, q.after, apiRewardsPage+1)
	if err != nil {
		return err
	}
	rs, next := pageOf(rs, apiRewardsPage, func(r models.Reward) int64 { return r.ID })
	tiers, err := models.TiersOf(db, programIDsOf(rs))
	if err != nil {
		return err
	}
	list := apiList[apiReward]{Data: make([]apiReward, 0, len(rs)), NextCursor: next}
	for i := range rs {
		r := &rs[i]
		out := apiRewardOf(r, m.Currency, models.TierByID(tiers[r.ProgramID], r.MinTierID))
		if standings != nil {
			withStanding(&out, standings[r.ID])
		}
		list.Data = append(list.Data, out)
	}
	return c.JSON(http.StatusOK, list)
}

// standingsOf is a member's standing for every reward on offer, from the
// member page's read-model; nil without a member.
func (a *App) standingsOf(db *gorm.DB, memberID int64) (map[int64]*models.RewardStanding, error) {
	if memberID == 0 {
		return nil, nil
	}
	ov, err := models.MemberOverview(db, memberID, a.now())
	if err != nil {
		return nil, err
	}
	out := map[int64]*models.RewardStanding{}
	for i := range ov.Programs {
		for j := range ov.Programs[i].Rewards {
			s := &ov.Programs[i].Rewards[j]
			out[s.Reward.ID] = s
		}
	}
	return out, nil
}

func programIDsOf(rs []models.Reward) []int64 {
	seen := map[int64]bool{}
	var ids []int64
	for _, r := range rs {
		if !seen[r.ProgramID] {
			seen[r.ProgramID] = true
			ids = append(ids, r.ProgramID)
		}
	}
	return ids
}

func apiRewardOf(r *models.Reward, currency string, minTier *models.Tier) apiReward {
	return apiReward{
		ID: r.ID, ProgramID: r.ProgramID, Name: r.Name, Description: r.Description, Cost: r.Cost,
		Type: string(r.Type), Gives: rewardGives(r, currency), Value: r.ValueMinor, PercentBasisPoints: r.PercentBasisPoints,
		Stock: r.Stock, MinTier: apiTierOf(minTier), PerMemberLimit: r.PerMemberLimit, ActiveFrom: r.ActiveFrom, ActiveTo: r.ActiveTo,
	}
}

// withStanding adds a member's standing; a reward of a program the member
// cannot act in has none, and is barred.
func withStanding(out *apiReward, s *models.RewardStanding) {
	redeemable, short, barred := false, int64(0), "Its program takes no activity."
	if s != nil {
		redeemable, short, barred = s.Redeemable(), s.Short, ""
		if s.Barred != nil {
			barred = models.ErrorMessage(s.Barred)
		}
	}
	out.Redeemable, out.Short, out.Barred = &redeemable, &short, orNull(barred)
}

// redemptionBody is POST /redemptions; program_id defaults like a
// purchase's.
type redemptionBody struct {
	MemberID  *int64 `json:"member_id"`
	ProgramID *int64 `json:"program_id"`
	RewardID  *int64 `json:"reward_id"`
}

// apiRedemption is the voucher a redemption issued and the balance the
// debit left.
type apiRedemption struct {
	apiVoucherDetail
	Balance  int64 `json:"balance"`
	Replayed bool  `json:"replayed"`
}

func (b redemptionBody) check() error {
	v := models.Validation{}
	v.Check(b.MemberID != nil, "member_id", "Name the member who redeems.")
	v.Check(b.RewardID != nil, "reward_id", "Name the reward to redeem (GET /api/v1/rewards lists them).")
	if err := v.Err(); err != nil {
		return err
	}
	if *b.MemberID <= 0 || *b.RewardID <= 0 {
		return models.Errorf(models.ENOTFOUND, "No such member or reward.")
	}
	return nil
}

// errInsufficientBalance answers a redemption the balance does not cover.
func errInsufficientBalance(err error, short int64) error {
	return &apiError{status: http.StatusConflict, kind: "insufficient-balance",
		detail: models.ErrorMessage(err) + " " + strconv.FormatInt(short, 10) + " more are needed."}
}

func (a *App) apiRedeem(c echo.Context) error {
	var body redemptionBody
	db, m, err := a.decodeForMerchant(c, &body)
	if err != nil {
		return err
	}
	if err := body.check(); err != nil {
		return err
	}
	programID, err := programOrDefault(db, m, body.ProgramID, "redeem in")
	if err != nil {
		return err
	}
	v, replayed, err := redeemOnce(db, apiActor(c), models.RedeemInput{MemberID: *body.MemberID, ProgramID: programID,
		RewardID: *body.RewardID, IdempotencyKey: requestKey(c, "api-redeem")}, a.now())
	var short *models.InsufficientBalance
	if errors.As(err, &short) {
		return errInsufficientBalance(err, short.Short)
	}
	if err != nil {
		return err
	}
	e, err := models.RedemptionEntry(db, v)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if replayed {
		status = http.StatusOK
	}
	c.Response().Header().Set(echo.HeaderLocation, apiVoucherURL(v))
	return c.JSON(status, apiRedemption{apiVoucherDetail: a.apiVoucherDetailOf(v), Balance: e.BalanceAfter, Replayed: replayed})
}
