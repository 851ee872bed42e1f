package models_test

import (
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

func readTill(t *testing.T, s shop, q models.TillQuery, now time.Time) *models.TillOverview {
	t.Helper()
	o, err := models.ReadTill(s.db, s.m, q, now)
	if err != nil {
		t.Fatalf("read till %+v: %v", q, err)
	}
	return o
}

func redeemNow(t *testing.T, s loyal, memberID, rewardID int64, now time.Time) *models.Voucher {
	t.Helper()
	v, err := models.Redeem(s.db, testActor, models.RedeemInput{MemberID: memberID, ProgramID: s.p.ID, RewardID: rewardID}, now)
	if err != nil {
		t.Fatalf("redeem %d: %v", rewardID, err)
	}
	return v
}

func rewardNames(rs []models.Reward) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func TestReadTillMember(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s := newLoyal(t, db, "owner@till-read.example.com", pointsInput("Coffee"))
		stamps := createProgram(t, s.db, stampsInput("Stamps"))
		tiers := ladder(t, s.db, s.p.ID, []string{"Bronze", "Gold"}, []int{0, 1000})
		latte := createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Latte", Type: "free_item", Cost: "100"})
		cake := createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Cake", Type: "free_item", Cost: "101"})
		createReward(t, s.db, s.p.ID, models.RewardInput{Name: "Gold lunch", Type: "free_item", Cost: "10", MinTierID: itoa(tiers[1].ID)})
		ann := enrolNamed(t, s.db, "Ann Till")
		grant(t, s.db, s.p.ID, ann.ID, 300, day0)
		expired := redeemNow(t, s, ann.ID, latte.ID, day0)
		live := redeemNow(t, s, ann.ID, latte.ID, day0.Add(time.Hour))
		used := redeemNow(t, s, ann.ID, latte.ID, day0.Add(2*time.Hour))
		if _, err := models.MarkVoucherUsed(s.db, testActor, used.ID, day0.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		grant(t, s.db, s.p.ID, ann.ID, 100, day0) // 100: exactly a latte, one short of the cake
		now := expired.ExpiresAt.Add(time.Minute)

		o := readTill(t, s.shop, models.TillQuery{MemberID: ann.ID, ProgramID: s.p.ID, Text: "Ann"}, now)
		if o.Program == nil || o.Program.ID != s.p.ID || o.Default == nil || o.Default.ID != s.p.ID || len(o.Active()) != 2 {
			t.Fatalf("programs: shown %v, default %v, %d active; want Coffee, Coffee, 2", o.Program, o.Default, len(o.Active()))
		}
		if o.Matches != nil || o.Receipt != nil || o.Paid != nil {
			t.Errorf("with a member chosen: matches %v, receipt %v, paid %v; want none", o.Matches, o.Receipt, o.Paid)
		}
		m := o.Member
		if m == nil || m.Member.ID != ann.ID || m.Account.Balance != 100 || !m.Tiered || m.Tier == nil || m.Tier.Name != "Bronze" {
			t.Fatalf("member = %+v, want Ann with 100 in Bronze", m)
		}
		if len(m.Balances) != 2 || m.Balances[0].Program.ID != s.p.ID || m.Balances[0].Balance != 100 ||
			m.Balances[1].Program.ID != stamps.ID || m.Balances[1].Balance != 0 {
			t.Errorf("balances = %+v, want Coffee 100 and Stamps 0", m.Balances)
		}
		if got := rewardNames(m.Rewards); len(got) != 1 || got[0] != "Latte" {
			t.Errorf("redeemable = %v, want Latte only (exactly enough; the cake is 1 short, the lunch needs Gold)", got)
		}
		if len(m.Vouchers) != 1 || m.Vouchers[0].Voucher.ID != live.ID || m.Vouchers[0].Reward != "Latte" {
			t.Errorf("vouchers = %+v, want only the live latte voucher %d (not the expired or the used one)", m.Vouchers, live.ID)
		}
		if m.Credit != nil {
			t.Errorf("credit = %d in a points program, want none", *m.Credit)
		}
		// The redemption agrees with the display on both edges.
		_, err := models.Redeem(s.db, testActor, models.RedeemInput{MemberID: ann.ID, ProgramID: s.p.ID, RewardID: cake.ID}, now)
		wantCode(t, err, models.ECONFLICT)
		redeemNow(t, s, ann.ID, latte.ID, now)

		// In another program: its own balance, no tiers; no member: the search.
		o = readTill(t, s.shop, models.TillQuery{MemberID: ann.ID, ProgramID: stamps.ID}, now)
		if o.Program.ID != stamps.ID || o.Member.Account.Balance != 0 || o.Member.Tiered || len(o.Member.Vouchers) != 0 {
			t.Errorf("in Stamps: %+v, want a zero balance, no tiers, no vouchers", o.Member)
		}
		o = readTill(t, s.shop, models.TillQuery{Text: "till"}, now)
		if o.Member != nil || len(o.Matches) != 1 || o.Matches[0].ID != ann.ID || o.Program.ID != s.p.ID {
			t.Errorf("search: member %v, matches %v, program %v; want Ann found in Coffee", o.Member, o.Matches, o.Program)
		}

		// A blocked member's card shows no offers, even those they could afford.
		grant(t, s.db, s.p.ID, ann.ID, 500, now)
		if _, err := models.SetMemberBlocked(s.db, testActor, ann.ID, true); err != nil {
			t.Fatal(err)
		}
		o = readTill(t, s.shop, models.TillQuery{MemberID: ann.ID, ProgramID: s.p.ID}, now)
		if m := o.Member; m.Account.Balance != 500 || len(m.Rewards) != 0 || len(m.Vouchers) != 0 {
			t.Errorf("blocked: balance %d, rewards %v, vouchers %v; want 500 and no offers", m.Account.Balance, rewardNames(m.Rewards), m.Vouchers)
		}
	})
}

func TestReadTillReceiptAndScope(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s, ann := creditShop(t, db, "owner@till-receipt.example.com") // cashback 10%: 1000 of credit
		o := readTill(t, s.shop, models.TillQuery{MemberID: ann.ID}, day0)
		if c := o.Member.Credit; c == nil || *c != 1000 {
			t.Errorf("store credit = %v, want 1000", c)
		}

		res := buy(t, s.db, s.p.ID, ann.ID, "20", "till-receipt", day0)
		o = readTill(t, s.shop, models.TillQuery{MemberID: ann.ID, ReceiptID: res.Purchase.ID}, day0)
		r := o.Receipt
		if o.Member != nil || r == nil || r.Member == nil || r.Member.ID != ann.ID || r.Purchase.Earned != 200 || r.BalanceAfter != 1200 ||
			r.BelowMinimum || r.Tiered || o.Program.ID != s.p.ID {
			t.Fatalf("receipt = %+v (card %v), want Ann's purchase earning 200 to 1200", r, o.Member)
		}
		sale := buy(t, s.db, s.p.ID, 0, "20", "till-sale", day0)
		if r := readTill(t, s.shop, models.TillQuery{ReceiptID: sale.Purchase.ID}, day0).Receipt; r.Member != nil || r.Account != nil {
			t.Errorf("a sale's receipt names member %v, account %v; want none", r.Member, r.Account)
		}
		e, _, err := spend(s, ann.ID, "3", "till-paid")
		if err != nil {
			t.Fatal(err)
		}
		o = readTill(t, s.shop, models.TillQuery{MemberID: ann.ID, PaidID: e.ID}, day0)
		if o.Paid == nil || o.Paid.ID != e.ID || o.Member == nil || *o.Member.Credit != 900 {
			t.Errorf("payment %v, card %+v; want the payment with 900 left", o.Paid, o.Member)
		}

		// Not this member's, or another merchant's: not found.
		other := newShop(t, db, "owner@till-other.example.com")
		bob := enrolNamed(t, s.db, "Bob")
		for name, q := range map[string]models.TillQuery{
			"receipt of another member":  {MemberID: bob.ID, ReceiptID: res.Purchase.ID},
			"receipt without its member": {ReceiptID: res.Purchase.ID},
			"sale for a member":          {MemberID: ann.ID, ReceiptID: sale.Purchase.ID},
			"payment of another member":  {MemberID: bob.ID, PaidID: e.ID},
		} {
			if _, err := models.ReadTill(s.db, s.m, q, day0); models.ErrorCode(err) != models.ENOTFOUND {
				t.Errorf("%s: err = %v, want ENOTFOUND", name, err)
			}
		}
		for name, q := range map[string]models.TillQuery{
			"member":  {MemberID: ann.ID},
			"program": {ProgramID: s.p.ID},
			"receipt": {MemberID: ann.ID, ReceiptID: res.Purchase.ID},
			"payment": {MemberID: ann.ID, PaidID: e.ID},
		} {
			if _, err := models.ReadTill(other.db, other.m, q, day0); models.ErrorCode(err) != models.ENOTFOUND {
				t.Errorf("another merchant's %s: err = %v, want ENOTFOUND", name, err)
			}
		}
	})
}
