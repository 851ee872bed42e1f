package models

import (
	"fmt"

	"gorm.io/gorm"
)

// RewardStanding is whether an account can redeem a reward now, and if
// not, why. It is the one answer to "can this member have this reward?":
// Redeem refuses with it and every "can afford" display reads it, so the
// page never offers what the redemption would refuse.
type RewardStanding struct {
	Reward *Reward
	// Short is the points the balance lacks; 0 when it covers the cost.
	Short int64
	// Barred is a refusal other than the balance (not on offer today, out
	// of stock, below the tier, the per-member limit reached); nil if none.
	Barred error
}

// Redeemable reports whether the reward can be redeemed now.
func (s RewardStanding) Redeemable() bool { return s.Barred == nil && s.Short == 0 }

// Saving reports whether only points stand between the member and the
// reward: a display shows it with the distance.
func (s RewardStanding) Saving() bool { return s.Barred == nil && s.Short > 0 }

// Refusal is the error a redemption answers with; nil when redeemable.
func (s RewardStanding) Refusal() error {
	if s.Barred != nil {
		return s.Barred
	}
	if s.Short > 0 {
		return &InsufficientBalance{Short: s.Short,
			err: Errorf(ECONFLICT, "The balance of %d is below the %d this reward costs.", s.Reward.Cost-s.Short, s.Reward.Cost)}
	}
	return nil
}

// InsufficientBalance is a refusal for the balance alone: a conflict like
// any other refusal (ErrorCode, ErrorMessage see through it), which a
// caller that must tell it apart (the JSON API) finds with errors.As.
type InsufficientBalance struct {
	Short int64 // the units the balance lacks
	err   *Error
}

func (e *InsufficientBalance) Error() string { return e.err.Error() }
func (e *InsufficientBalance) Unwrap() error { return e.err }

// StandingFor applies the redemption rule to an account: ladder is the
// reward's program's tiers, redeemed the member's vouchers of this reward
// that were not cancelled, today the merchant's local date (YYYY-MM-DD).
// A paid tier passes any tier requirement.
func StandingFor(r *Reward, a *Account, ladder []Tier, redeemed int64, today string) RewardStanding {
	s := RewardStanding{Reward: r, Short: max(r.Cost-a.Balance, 0)}
	need, have := TierByID(ladder, r.MinTierID), TierByID(ladder, a.TierID)
	switch {
	case !r.ActiveOn(today):
		s.Barred = Errorf(ECONFLICT, "%s is not available today.", r.Name)
	case r.Stock != nil && *r.Stock <= 0:
		s.Barred = Errorf(ECONFLICT, "%s is out of stock.", r.Name)
	case need != nil && (have == nil || (!have.Paid && have.Position < need.Position)):
		s.Barred = Errorf(ECONFLICT, "%s needs the %s tier.", r.Name, need.Name)
	case r.PerMemberLimit != nil && redeemed >= *r.PerMemberLimit:
		s.Barred = Errorf(ECONFLICT, "%s can be redeemed %d time(s) per member; this member has reached that.", r.Name, *r.PerMemberLimit)
	}
	return s
}

// RedeemedCounts is how many vouchers, not cancelled, a member holds of
// each reward: the per-member limit's count, one query for a whole page.
func RedeemedCounts(db *gorm.DB, memberID int64, rewardIDs []int64) (map[int64]int64, error) {
	out := make(map[int64]int64, len(rewardIDs))
	if len(rewardIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		RewardID int64
		N        int64
	}
	err := db.Model(&Voucher{}).Select("reward_id, count(*) AS n").
		Where("member_id = ? AND reward_id IN ? AND status <> ?", memberID, rewardIDs, VoucherCancelled).
		Group("reward_id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("rewards: redeemed counts: %w", err)
	}
	for _, r := range rows {
		out[r.RewardID] = r.N
	}
	return out, nil
}

// RewardStandings is StandingFor each of a program's rewards, for one
// account, with the member's redeemed counts read in one query.
func RewardStandings(db *gorm.DB, a *Account, rewards []Reward, ladder []Tier, today string) ([]RewardStanding, error) {
	ids := make([]int64, len(rewards))
	for i := range rewards {
		ids[i] = rewards[i].ID
	}
	redeemed, err := RedeemedCounts(db, a.MemberID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]RewardStanding, len(rewards))
	for i := range rewards {
		out[i] = StandingFor(&rewards[i], a, ladder, redeemed[rewards[i].ID], today)
	}
	return out, nil
}
