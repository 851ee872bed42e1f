package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// A database at version 8 already holds purchases, refunds, ledger
// entries, vouchers and tier changes when migration 9 adds the rollups
// empty: the first catch-up finds no state, rebuilds, and the figures
// are exact from the first report on.
func TestUpgradeToRollupsBuildsThemOnTheFirstCatchUp(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			db := migratedTo(t, d, 8)
			ctx := context.Background()
			// Rows as version 8 wrote them, inserted as they are stored:
			// the functions that write them now also write rollup marks.
			m := &models.Merchant{Name: "Café", Currency: "EUR", TimeZone: "Europe/Paris"}
			if err := models.CrossTenant(db).Create(m).Error; err != nil {
				t.Fatal(err)
			}
			s := models.ForMerchant(db, m.ID)
			create := func(rows ...any) {
				t.Helper()
				for _, r := range rows {
					// Columns added after version 8 are not there yet.
					q := s
					switch r.(type) {
					case *models.Tier:
						q = s.Omit("GraceDays", "FeeEarns")
					case *models.Purchase:
						q = s.Omit("Kind")
					}
					if err := q.Create(r).Error; err != nil {
						t.Fatalf("create %T: %v", r, err)
					}
				}
			}
			prog := &models.Program{Name: "Club", Type: models.ProgramPoints, UnitLabel: "points", Status: models.StatusActive,
				ExpiryPolicy: models.ExpireNever, TierMetric: models.MetricPointsEarned, TierWindow: models.WindowLifetime,
				DowngradePolicy: models.DowngradeNever, EarnRateHundredths: 100}
			create(prog)
			tier := &models.Tier{ProgramID: prog.ID, Name: "Silver", Position: 1, Threshold: 10, EarnMultiplierMilli: 1000}
			reward := &models.Reward{ProgramID: prog.ID, Name: "Cake", Type: models.RewardFreeItem, Cost: 5, ValueMinor: 350}
			create(tier, reward)
			// Late on a Paris evening in winter, and in summer time.
			joined := time.Date(2025, 11, 3, 22, 40, 0, 0, time.UTC)
			ann := &models.Member{Name: "Ann", CardCode: "AAAA2222", CreatedAt: joined}
			bob := &models.Member{Name: "Bob", CardCode: "BBBB3333", CreatedAt: joined.AddDate(0, 5, 0)}
			create(ann, bob)
			acc := &models.Account{ProgramID: prog.ID, MemberID: ann.ID, Balance: 12, LifetimeEarned: 22, TierID: &tier.ID}
			create(acc)
			at := func(days int) time.Time { return joined.Add(time.Duration(days*24+1) * time.Hour) }
			for i, p := range []models.Purchase{
				{MemberID: &ann.ID, AccountID: &acc.ID, AmountMinor: 1200, Earned: 12, OccurredAt: at(0)},
				{MemberID: &ann.ID, AccountID: &acc.ID, AmountMinor: 1000, RefundedMinor: 400, Earned: 10, ClawedBack: 4, OccurredAt: at(9)},
				{MemberID: &bob.ID, AmountMinor: 500, OccurredAt: at(160)},
				{AmountMinor: 800, OccurredAt: at(9)},
			} {
				p.ProgramID, p.Channel, p.ActorName, p.IdempotencyKey = prog.ID, models.ChannelInStore, "till", "old-"+itoa(int64(i))
				create(&p)
			}
			voucher := &models.Voucher{ProgramID: prog.ID, AccountID: acc.ID, MemberID: ann.ID, RewardID: reward.ID, Code: "CCCC4444",
				Cost: 5, Status: models.VoucherUsed, CreatedAt: at(12)}
			cancelled := &models.Voucher{ProgramID: prog.ID, AccountID: acc.ID, MemberID: ann.ID, RewardID: reward.ID, Code: "DDDD5555",
				Cost: 5, Status: models.VoucherCancelled, CreatedAt: at(12)}
			create(voucher, cancelled)
			for _, e := range []models.LedgerEntry{
				{Kind: models.KindPurchaseEarn, Amount: 12, BalanceAfter: 12, CreatedAt: at(0)},
				{Kind: models.KindPurchaseEarn, Amount: 10, BalanceAfter: 22, CreatedAt: at(9)},
				{Kind: models.KindRefundClawback, Amount: -4, BalanceAfter: 18, CreatedAt: at(10)},
				{Kind: models.KindRedemption, Amount: -5, BalanceAfter: 13, VoucherID: &voucher.ID, CreatedAt: at(12)},
				{Kind: models.KindRedemption, Amount: -5, BalanceAfter: 8, VoucherID: &cancelled.ID, CreatedAt: at(12)},
				{Kind: models.KindRedemptionCancel, Amount: 5, BalanceAfter: 13, VoucherID: &cancelled.ID, CreatedAt: at(13)},
				{Kind: models.KindManualDebit, Amount: -1, BalanceAfter: 12, CreatedAt: at(14)},
			} {
				e.ProgramID, e.AccountID, e.MemberID, e.ActorName, e.Reason = prog.ID, acc.ID, ann.ID, "till", "old"
				create(&e)
			}
			create(&models.TierChange{AccountID: acc.ID, ToTierID: &tier.ID, Reason: "promoted", CreatedAt: at(9)})

			if _, err := models.Migrate(ctx, db); err != nil {
				t.Fatal(err)
			}
			if st := rollupStates(t, s); st != "" {
				t.Fatalf("state before the first catch-up: %s", st)
			}
			now := at(200)
			if err := models.CatchUpRollups(s, now); err != nil {
				t.Fatal(err)
			}
			checkRollupsExact(t, "after the upgrade", s, m.Location())
			if st := rollupState(t, s); st.TimeZone != "Europe/Paris" || !st.BuiltAt.Equal(now) {
				t.Fatalf("state = %+v, want built at %s", st, now)
			}
			// Not vacuous: the old rows are counted.
			var sales []models.DailySales
			if err := s.Where("purchases > 0").Order("day").Find(&sales).Error; err != nil || len(sales) != 3 ||
				sales[1].RevenueMinor != 1400 || sales[1].Visitors != 1 {
				t.Fatalf("sales = %+v (%v)", sales, err)
			}
			var got models.Member
			if err := s.Take(&got, ann.ID).Error; err != nil || got.VisitCount != 2 || got.MedianGapDays != 9 {
				t.Fatalf("Ann's visits = %d, gap %d (%v)", got.VisitCount, got.MedianGapDays, err)
			}
		})
	}
}
