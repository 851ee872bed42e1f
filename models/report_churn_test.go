package models_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// The known-answer history: a dozen members of a Paris shop over the first
// half of 2026, "now" being 15 June, 14:00 in Paris. Every purchase is
// 10.00 (10 points) at 10:00 UTC unless said otherwise. Tiers: Bronze
// (everyone's start), Silver at 50 points, Gold at 200.
//
//	member joined  visits (local days)                         purchases
//	A      Jan 5   Jan 5, Feb 2, Mar 1, Apr 1*, May 1, Jun 1   6  (*31 Mar 22:30 UTC)
//	B      Jan 10  Jan 10, Jan 20                              2
//	C      Jan 15  Jan 15                                      1
//	D      Feb 3   Feb 3, Feb 28, Apr 20                       3
//	E      Feb 10  -                                           0
//	F      Feb 14  Feb 14, Mar 14, Mar 30, Apr 3, May 29       5
//	G      Mar 2   Mar 2, Mar 3, Mar 4, Jun 10                 4
//	H      Mar 20  Mar 20, Apr 5 (twice)                       3
//	I      Apr 1   Apr 1, 2, 3, 4, 5, 6                        6
//	J      Apr 15  Apr 15                                      1
//	K      May 5   May 5, May 25 (60.00)                       2
//	L      May 20  -                                           0
//
// A's 1 June purchase is refunded 4.00 on 2 June. Promotions to Silver
// (the 50th point): I on Apr 5, A on May 1, K on May 25, F on May 29.
var (
	historyNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	joined     = map[string]string{
		"A": "01-05", "B": "01-10", "C": "01-15", "D": "02-03", "E": "02-10", "F": "02-14",
		"G": "03-02", "H": "03-20", "I": "04-01", "J": "04-15", "K": "05-05", "L": "05-20",
	}
	visits = map[string][]string{
		"A": {"01-05", "02-02", "03-01", "04-01", "05-01", "06-01"},
		"B": {"01-10", "01-20"},
		"C": {"01-15"},
		"D": {"02-03", "02-28", "04-20"},
		"F": {"02-14", "03-14", "03-30", "04-03", "05-29"},
		"G": {"03-02", "03-03", "03-04", "06-10"},
		"H": {"03-20", "04-05", "04-05"},
		"I": {"04-01", "04-02", "04-03", "04-04", "04-05", "04-06"},
		"J": {"04-15"},
		"K": {"05-05", "05-25"},
	}
)

// knownHistory is the shop above, its members by letter.
type knownHistory struct {
	loyal
	members map[string]*models.Member
	byID    map[int64]string
}

func at2026(monthDay string, hour, minute int) time.Time {
	t, err := time.Parse("2006-01-02", "2026-"+monthDay)
	if err != nil {
		panic(err)
	}
	return t.Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
}

// newKnownHistory writes the history in time order, catching the rollups up
// at the end of every month, so the counts are built incrementally.
func newKnownHistory(t *testing.T, db *gorm.DB) knownHistory {
	t.Helper()
	h := knownHistory{loyal: newLoyal(t, db, "knownHistory@example.com", pointsInput("Coffee")),
		members: map[string]*models.Member{}, byID: map[int64]string{}}
	ladder(t, h.db, h.p.ID, []string{"Bronze", "Silver", "Gold"}, []int{0, 50, 200})
	type event struct {
		at     time.Time
		who    string
		amount string // "" to enrol
	}
	var events []event
	for who, day := range joined {
		events = append(events, event{at: at2026(day, 8, 0), who: who})
	}
	for who, days := range visits {
		for i, day := range days {
			e := event{at: at2026(day, 10, 0), who: who, amount: "10.00"}
			switch {
			case who == "A" && day == "04-01":
				e.at = at2026("03-31", 22, 30)
			case who == "H" && i == 2:
				e.at = at2026(day, 15, 0)
			case who == "K" && day == "05-25":
				e.amount = "60.00"
			}
			events = append(events, e)
		}
	}
	slices.SortFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
	month := events[0].at.Month()
	var refundable int64
	for i, e := range events {
		if e.at.Month() != month {
			if err := models.CatchUpRollups(h.db, e.at); err != nil {
				t.Fatal(err)
			}
			month = e.at.Month()
		}
		if e.amount == "" {
			m := enrol(t, h.db, models.MemberInput{Name: "Member " + e.who,
				Email: "m" + e.who + "@example.com", Phone: "+33 6 12 34 56 " + fmt.Sprint(10+len(h.members))}, e.at)
			h.members[e.who], h.byID[m.ID] = m, e.who
			continue
		}
		res := buy(t, h.db, h.p.ID, h.members[e.who].ID, e.amount, fmt.Sprint("k", i), e.at)
		if e.who == "A" && e.at.Month() == time.June {
			refundable = res.Purchase.ID
		}
	}
	if _, err := models.RefundPurchase(h.db, testActor, refundable, "4.00", "refund-a", at2026("06-02", 10, 0)); err != nil {
		t.Fatal(err)
	}
	return h
}

// paris is the report range of the local days from and to (both included).
func paris(from, to string) (time.Time, time.Time) {
	loc, _ := time.LoadLocation("Europe/Paris")
	f, _ := time.ParseInLocation("2006-01-02", "2026-"+from, loc)
	e, _ := time.ParseInLocation("2006-01-02", "2026-"+to, loc)
	return f, e.AddDate(0, 0, 1)
}

func churnOf(t *testing.T, h knownHistory, window int, from, to time.Time) *models.ChurnReport {
	t.Helper()
	rep, err := models.Churn(h.db, models.ChurnQuery{Window: window, From: from, To: to}, historyNow)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestChurnKnownAnswers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newKnownHistory(t, db)
		from, to := paris("01-01", "06-15")
		// Window 30: active at a month's start = a visit in the 30 days
		// before its first day; inactive at its end = none in the 30 days
		// up to its last (or up to today, 15 June).
		//  Jan: nobody visited in December.
		//  Feb: active A (Jan 5), B (Jan 20), C (Jan 15); at the end (Jan 30 -
		//       Feb 28) only A came: B and C churned.                     2/3
		//  Mar: active A (Feb 2), D (Feb 28), F (Feb 14); by Mar 31 (Mar 2 -
		//       Mar 31) A last came Mar 1, D Feb 28: churned; F came Mar 30.
		//       A's "1 April" purchase is 00:30 in Paris: April, not March. 2/3
		//  Apr: active F (Mar 30), G (Mar 4), H (Mar 20); by Apr 30 G has not
		//       come back; F (Apr 3) and H (Apr 5) have.                   1/3
		//  May: active A (Apr 1), D (Apr 20), F (Apr 3), H (Apr 5), I (Apr 6),
		//       J (Apr 15); in May 2 - May 31 only F came (May 29).         5/6
		//  Jun: active F (May 29), K (May 25), not A (May 1 is 31 days
		//       before June 1); both within 30 days of June 15.            0/2
		want := []models.ChurnMonth{
			{Month: "2026-01", Through: "2026-01-31"},
			{Month: "2026-02", Through: "2026-02-28", ActiveAtStart: 3, Churned: 2},
			{Month: "2026-03", Through: "2026-03-31", ActiveAtStart: 3, Churned: 2},
			{Month: "2026-04", Through: "2026-04-30", ActiveAtStart: 3, Churned: 1},
			{Month: "2026-05", Through: "2026-05-31", ActiveAtStart: 6, Churned: 5},
			{Month: "2026-06", Through: "2026-06-15", Partial: true, ActiveAtStart: 2, Churned: 0},
		}
		rep := churnOf(t, h, 30, from, to)
		if !reflect.DeepEqual(rep.Months, want) {
			t.Errorf("window 30:\n got %+v\nwant %+v", rep.Months, want)
		}
		// Window 7, where coming back within the month is not enough:
		//  Apr: active F (Mar 30); F came Apr 3 but not in Apr 24 - 30.    1/1
		//  Jun: active F (May 29), K (May 25); neither in Jun 9 - 15.      2/2
		rep7 := churnOf(t, h, 7, from, to)
		if got := rep7.Months[3]; got.ActiveAtStart != 1 || got.Churned != 1 {
			t.Errorf("window 7, April: %+v, want 1 of 1", got)
		}
		if got := rep7.Months[5]; got.ActiveAtStart != 2 || got.Churned != 2 {
			t.Errorf("window 7, June: %+v, want 2 of 2", got)
		}
		// Every window agrees with the definition applied to the raw visits.
		for _, w := range []int{7, 13, 16, 29, 30, 31, 32, 45, 59, 60, 61, 90, 400, 730} {
			got := churnOf(t, h, w, from, to).Months
			for i, m := range got {
				if a, c := bruteChurn(m.Month, m.Through, w); m.ActiveAtStart != a || m.Churned != c {
					t.Errorf("window %d, %s: %d of %d, the visits say %d of %d", w, m.Month, m.Churned, m.ActiveAtStart, c, a)
				}
				if m.Month != want[i].Month {
					t.Errorf("window %d: month %d is %s", w, i, m.Month)
				}
			}
		}

		// Buckets at 15 June, window 30: active = a visit since Jun 1 (15
		// days, today included): A, G; at risk = since May 17: F, K;
		// lapsed: B, C, D, H, I, J; never bought: E, L.
		if b := rep.Buckets; b != (models.ActivityBuckets{ActiveDays: 15, Window: 30, Active: 2, AtRisk: 2, Lapsed: 6, Never: 2}) {
			t.Errorf("buckets = %+v", b)
		}

		// Overdue (away >= 2 median gaps between visit days):
		//  B: gap 10, last Jan 20: due Feb 9, 146 days away.
		//  D: gaps 25, 51, median 38: due Jul 5, not yet.  F: gaps 28, 16,
		//  4, 56, median 22: due Jul 12.  A: median 30, due Jul 31.  K: 20,
		//  due Jul 4.
		//  G: gaps 1, 1, 98, median 1: due Jun 12, 5 days away.
		//  H: one gap of 16 (two purchases Apr 5 are one visit): due May 7.
		//  I: gaps of 1: due Apr 8, 70 days away.
		// Most recently overdue first: G, H, I, B; balances 40, 30, 60, 20.
		type row struct {
			who            string
			days, gap, bal int64
		}
		wantRows := []row{{"G", 5, 1, 40}, {"H", 71, 16, 30}, {"I", 70, 1, 60}, {"B", 146, 10, 20}}
		var gotRows []row
		for after := int64(0); ; {
			page, err := models.OverdueMembers(h.db, after, 3, historyNow)
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != 4 {
				t.Fatalf("overdue total = %d", page.Total)
			}
			for _, m := range page.Members {
				var bal int64
				for _, b := range m.Balances {
					bal += b.Balance
				}
				gotRows = append(gotRows, row{h.byID[m.ID], m.DaysSince, m.MedianGapDays, bal})
				if m.Email != "m"+strings.ToLower(h.byID[m.ID])+"@example.com" || m.Phone == "" {
					t.Errorf("contact of %s: %q %q", h.byID[m.ID], m.Email, m.Phone)
				}
			}
			if after = page.Next; after == 0 {
				break
			}
		}
		if !reflect.DeepEqual(gotRows, wantRows) {
			t.Errorf("overdue = %+v, want %+v", gotRows, wantRows)
		}
		if g := rep.Overdue.Members[0]; g.Ratio() != 5 {
			t.Errorf("G's ratio = %v", g.Ratio())
		}

		// Expansion, each month against the one before, spend net of
		// refunds in local months (10.00 = 1000):
		//  member  Jan   Feb   Mar   Apr   May   Jun
		//  A       1000  1000  1000  1000* 1000  600 (1000 - 400 refunded)
		//  B       2000
		//  C       1000
		//  D             2000        1000
		//  F             1000  2000  1000  1000
		//  G                   3000              1000
		//  H                   1000  2000
		//  I                         6000
		//  J                         1000
		//  K                               7000 (1000 + 6000)
		// (*A's 31 Mar 22:30 UTC is 1 April in Paris.) Moves up to Silver:
		// I in April; A, K, F in May.
		//  Jan: nobody spent in December.
		//  Feb: A, B, C spent 4000 in Jan; only A came back (1000, not more).
		//  Mar: A, D, F spent 4000 in Feb; A 1000 and F 2000 (more) came back.
		//  Apr: A, F, G, H spent 7000 in Mar; A, F, H came back with 1000,
		//       1000, 2000 (H more); I moved up: H and I expanding.
		//  May: A, D, F, H, I, J spent 12000 in Apr; A, F came back with 1000
		//       each, neither more; A, K, F moved up.
		//  Jun: A, F, K spent 9000 in May; A came back with 600.
		wantE := []models.MonthExpansion{
			{Month: "2026-01"},
			{Month: "2026-02", Expansion: models.Expansion{Previous: 3, Returned: 1, PreviousRevenueMinor: 4000, RetainedRevenueMinor: 1000}},
			{Month: "2026-03", Expansion: models.Expansion{Previous: 3, Returned: 2, SpentMore: 1, Expanding: 1,
				PreviousRevenueMinor: 4000, RetainedRevenueMinor: 3000}},
			{Month: "2026-04", Expansion: models.Expansion{Previous: 4, Returned: 3, SpentMore: 1, MovedUp: 1, Expanding: 2,
				PreviousRevenueMinor: 7000, RetainedRevenueMinor: 4000}},
			{Month: "2026-05", Expansion: models.Expansion{Previous: 6, Returned: 2, MovedUp: 3, Expanding: 3,
				PreviousRevenueMinor: 12000, RetainedRevenueMinor: 2000}},
			{Month: "2026-06", Partial: true, Expansion: models.Expansion{Previous: 3, Returned: 1,
				PreviousRevenueMinor: 9000, RetainedRevenueMinor: 600}},
		}
		if !reflect.DeepEqual(rep.Expansion, wantE) {
			t.Errorf("expansion:\n got %+v\nwant %+v", rep.Expansion, wantE)
		}
		if nrr, ok := rep.Expansion[4].NetRevenueRetention(); !ok || nrr != 2000.0/12000 {
			t.Errorf("May's net revenue retention = %v, %v", nrr, ok)
		}
		if _, ok := rep.Expansion[0].NetRevenueRetention(); ok {
			t.Error("January has a net revenue retention with nobody spending in December")
		}
		// A range of 16 May - 15 June touches May and June: the same rows.
		cur, end := paris("05-16", "06-15")
		if e := churnOf(t, h, 30, cur, end).Expansion; !reflect.DeepEqual(e, wantE[4:]) {
			t.Errorf("expansion of 16 May - 15 June = %+v, want %+v", e, wantE[4:])
		}

		// The counts kept incrementally equal the member rows and a rebuild.
		incremental := gapCounts(t, h.db)
		var fromRows []models.GapCount
		if err := h.db.Model(&models.MemberGap{}).Select("last_day, next_day, count(*) AS members").
			Group("last_day, next_day").Order("last_day, next_day").Scan(&fromRows).Error; err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(stripMerchant(incremental), stripMerchant(fromRows)) {
			t.Errorf("counts %v, member rows say %v", incremental, fromRows)
		}
		if err := models.RebuildRollups(h.db, historyNow); err != nil {
			t.Fatal(err)
		}
		if rebuilt := gapCounts(t, h.db); !reflect.DeepEqual(stripMerchant(incremental), stripMerchant(rebuilt)) {
			t.Errorf("incremental %v, rebuilt %v", incremental, rebuilt)
		}
	})
}

// bruteChurn applies the definition to the visits table: active at a
// boundary day b = a visit in [b-window, b).
func bruteChurn(month, through string, window int) (active, churned int64) {
	start, _ := time.Parse("2006-01", month)
	end, _ := time.Parse("2006-01-02", through)
	end = end.AddDate(0, 0, 1)
	activeAt := func(days []string, b time.Time) bool {
		for _, d := range days {
			v, _ := time.Parse("2006-01-02", "2026-"+d)
			if !v.Before(b.AddDate(0, 0, -window)) && v.Before(b) {
				return true
			}
		}
		return false
	}
	for _, days := range visits {
		if activeAt(days, start) {
			active++
			if !activeAt(days, end) {
				churned++
			}
		}
	}
	return active, churned
}

func gapCounts(t *testing.T, db *gorm.DB) []models.GapCount {
	t.Helper()
	var cs []models.GapCount
	if err := db.Order("last_day, next_day").Find(&cs).Error; err != nil {
		t.Fatal(err)
	}
	return cs
}

func stripMerchant(cs []models.GapCount) []models.GapCount {
	out := slices.Clone(cs)
	for i := range out {
		out[i].MerchantID = 0
	}
	return out
}

func TestParseChurnWindow(t *testing.T) {
	for in, want := range map[string]int{"": 90, "7": 7, " 45 ": 45, "730": 730} {
		if got, err := models.ParseChurnWindow(in); err != nil || got != want {
			t.Errorf("%q: %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"0", "6", "731", "100000", "ninety", "30.5", "-30"} {
		if _, err := models.ParseChurnWindow(in); models.ErrorCode(err) != models.EINVALID {
			t.Errorf("%q: %v, want invalid", in, err)
		}
	}
}
