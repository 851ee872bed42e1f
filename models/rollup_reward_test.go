package models_test

import (
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// What redeemed rewards cost is counted at the reward's value: a new
// value restates the days its vouchers were issued on, as a rebuild
// would, instead of leaving the old value in the days caught up before.
func TestRollupRewardValueChangeRestatesItsDays(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		l := newLoyal(t, db, "rollup-reward@example.com", pointsInput("Coffee"))
		in := models.RewardInput{Name: "Cake", Type: "free_item", Cost: "5", Value: "3.50"}
		cake := createReward(t, l.db, l.p.ID, in)
		ann := enrolNamed(t, l.db, "Ann")
		buy(t, l.db, l.p.ID, ann.ID, "20.00", "k1", day0)
		for i, at := range []time.Time{day0, day0.Add(30 * time.Hour)} {
			if _, err := models.Redeem(l.db, testActor, models.RedeemInput{MemberID: ann.ID, ProgramID: l.p.ID, RewardID: cake.ID,
				IdempotencyKey: itoa(int64(i))}, at); err != nil {
				t.Fatal(err)
			}
		}
		later := day0.Add(72 * time.Hour)
		if err := models.CatchUpRollups(l.db, later); err != nil {
			t.Fatal(err)
		}
		in.Value = "4.00"
		if _, err := models.SaveReward(l.db, testActor, l.p.ID, cake.ID, in); err != nil {
			t.Fatal(err)
		}
		if err := models.CatchUpRollups(l.db, later); err != nil {
			t.Fatal(err)
		}
		checkRollupsExact(t, "after the value change", l.db, l.m.Location())
		var value int64
		if err := l.db.Model(&models.DailyReward{}).Select("coalesce(sum(value_minor), 0)").Scan(&value).Error; err != nil || value != 800 {
			t.Fatalf("value of the redemptions = %d (%v), want 800", value, err)
		}
	})
}
