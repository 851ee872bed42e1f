package models

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Program economics: what the points a program has issued are worth to
// the business, read from the rollups (daily_points, daily_rewards,
// daily_sales, lot_months, segment_totals, segment_visits), never the ledger.

// Economics is the program economics page's figures.
type Economics struct {
	Program  Program
	Currency string
	Today    string // the local day the figures are as of
	Range    ReportRange
	// AllTime is the "all time" range: it reads the lifetime rollups.
	AllTime bool
	// Aging is the outstanding points now, by how long ago they were
	// earned; Outstanding is their sum.
	Aging       []AgeBucket
	Outstanding int64
	// InRange and Lifetime are the points issued and expired in the range
	// and over all time.
	InRange, Lifetime PointsFlow
	Rewards           []RewardCost
	Segments          []Segment
	Statement         []StatementMonth
}

// AgeBucket is the outstanding points earned MinMonths to MaxMonths
// (excluded; 0 for no end) calendar months before this one.
type AgeBucket struct {
	Label                string
	MinMonths, MaxMonths int
	Points               int64
}

// PointsFlow is points issued (earning kinds less clawbacks) and expired.
type PointsFlow struct{ Issued, Expired int64 }

// RewardCost is one reward's redemptions in the range, cancelled ones
// excluded, and what they cost the business (the reward's value).
type RewardCost struct {
	RewardID     int64
	Name         string
	Redemptions  int64
	Points       int64
	ValueMinor   int64
	ValueUnknown bool // the reward has no value set
}

// Segment is one group of customers' purchases in the range, revenue net
// of refunds. Customers is -1 where they cannot be told apart (sales to
// non-members).
type Segment struct {
	Name                    string
	Customers               int64
	Purchases, RevenueMinor int64
}

// StatementMonth is one month of the liability statement, in points:
// Closing = Opening + Issued - Reversed - Redeemed - Expired.
type StatementMonth struct {
	Month                                                 string
	Opening, Issued, Reversed, Redeemed, Expired, Closing int64
}

// ageBuckets are the liability's ages, in whole calendar months.
var ageBuckets = []AgeBucket{
	{Label: "0–3 months", MinMonths: 0, MaxMonths: 3},
	{Label: "3–6 months", MinMonths: 3, MaxMonths: 6},
	{Label: "6–12 months", MinMonths: 6, MaxMonths: 12},
	{Label: "12+ months", MinMonths: 12},
}

// GetEconomics catches the rollups up and reads the scoped merchant's
// program economics. Another merchant's program is not found.
func GetEconomics(db *gorm.DB, programID int64, r ReportRange, now time.Time) (*Economics, error) {
	m, err := GetMerchant(db)
	if err != nil {
		return nil, err
	}
	p, err := GetProgram(db, programID)
	if err != nil {
		return nil, err
	}
	if err := CatchUpRollups(db, now); err != nil {
		return nil, err
	}
	loc := m.Location()
	e := &Economics{Program: *p, Currency: m.Currency, Today: now.In(loc).Format(dayLayout), Range: r, AllTime: r.Preset == rangeAll}
	if err := e.readAging(db, now.In(loc)); err != nil {
		return nil, err
	}
	if err := e.readPoints(db); err != nil {
		return nil, err
	}
	if err := e.readRewards(db); err != nil {
		return nil, err
	}
	if err := e.readSegments(db); err != nil {
		return nil, err
	}
	return e, nil
}

// inRange limits a query on a day column to the range's days.
func (e *Economics) inRange(q *gorm.DB) *gorm.DB {
	if e.AllTime {
		return q
	}
	return q.Where("day >= ? AND day <= ?", e.Range.FromDay, e.Range.ToDay)
}

func (e *Economics) readAging(db *gorm.DB, now time.Time) error {
	var months []LotMonth
	if err := db.Where("program_id = ? AND remaining <> 0", e.Program.ID).Find(&months).Error; err != nil {
		return fmt.Errorf("report: economics: aging: %w", err)
	}
	e.Aging = slices.Clone(ageBuckets)
	this := now.Year()*12 + int(now.Month()) - 1
	for _, mo := range months {
		t, err := time.Parse(monthLayout, mo.EarnedMonth)
		if err != nil {
			return fmt.Errorf("report: economics: month %q: %w", mo.EarnedMonth, err)
		}
		age := max(this-(t.Year()*12+int(t.Month())-1), 0)
		for i := range e.Aging {
			if age >= e.Aging[i].MinMonths && (e.Aging[i].MaxMonths == 0 || age < e.Aging[i].MaxMonths) {
				e.Aging[i].Points += mo.Remaining
			}
		}
		e.Outstanding += mo.Remaining
	}
	return nil
}

// kindTotal is a sum of ledger amounts of one kind (in one month).
type kindTotal struct {
	Month  string
	Kind   EntryKind
	Amount int64
}

// flowOf adds up issued and expired points from signed sums by kind.
func flowOf(rows []kindTotal) PointsFlow {
	var f PointsFlow
	for _, r := range rows {
		switch {
		case r.Kind.earns(), r.Kind == KindRefundClawback:
			f.Issued += r.Amount
		case r.Kind == KindExpiry:
			f.Expired -= r.Amount
		}
	}
	return f
}

// readPoints reads the points flows: by month and kind over all time (a
// few hundred rows) for the lifetime figures and the statement, and by
// kind over the range's days for breakage.
func (e *Economics) readPoints(db *gorm.DB) error {
	var byMonth []kindTotal
	err := db.Model(&DailyPoints{}).Select("substr(day, 1, 7) AS month, kind, sum(amount) AS amount").
		Where("program_id = ?", e.Program.ID).Group("substr(day, 1, 7), kind").Order("month").Scan(&byMonth).Error
	if err != nil {
		return fmt.Errorf("report: economics: points by month: %w", err)
	}
	e.Lifetime = flowOf(byMonth)
	var inRange []kindTotal
	err = e.inRange(db.Model(&DailyPoints{}).Select("kind, sum(amount) AS amount").Where("program_id = ?", e.Program.ID)).
		Group("kind").Scan(&inRange).Error
	if err != nil {
		return fmt.Errorf("report: economics: points in range: %w", err)
	}
	e.InRange = flowOf(inRange)
	e.Statement = statement(byMonth, e.Range, e.AllTime, e.Today[:7])
	return nil
}

// statement is the month-end liability statement for every month the
// range touches, from the first month with points to this one. Every
// kind of entry lands on exactly one line, so it ties out: cancelled
// redemptions are netted in Redeemed; clawbacks and manual debits are
// Reversed.
func statement(byMonth []kindTotal, r ReportRange, allTime bool, thisMonth string) []StatementMonth {
	if len(byMonth) == 0 {
		return nil
	}
	first, last := byMonth[0].Month, thisMonth
	if !allTime {
		first, last = max(first, r.FromDay[:7]), min(last, r.ToDay[:7])
	}
	var out []StatementMonth
	var balance int64
	i := 0
	for _, r := range byMonth { // what came before the first month
		if r.Month >= first {
			break
		}
		balance += r.Amount
		i++
	}
	for month := first; month <= last; month = nextMonth(month) {
		s := StatementMonth{Month: month, Opening: balance}
		for ; i < len(byMonth) && byMonth[i].Month == month; i++ {
			r := byMonth[i]
			switch {
			case r.Kind.earns():
				s.Issued += r.Amount
			case r.Kind == KindRedemption, r.Kind == KindRedemptionCancel:
				s.Redeemed -= r.Amount
			case r.Kind == KindExpiry:
				s.Expired -= r.Amount
			default: // clawbacks, manual debits: what takes issued points back
				s.Reversed -= r.Amount
			}
			balance += r.Amount
		}
		s.Closing = balance
		out = append(out, s)
	}
	return out
}

func nextMonth(month string) string {
	t, _ := time.Parse(monthLayout, month)
	return t.AddDate(0, 1, 0).Format(monthLayout)
}

func (e *Economics) readRewards(db *gorm.DB) error {
	err := e.inRange(db.Model(&DailyReward{}).Select("reward_id, sum(redemptions) AS redemptions, sum(points) AS points, sum(value_minor) AS value_minor").
		Where("program_id = ?", e.Program.ID)).Group("reward_id").Scan(&e.Rewards).Error
	if err != nil {
		return fmt.Errorf("report: economics: rewards: %w", err)
	}
	rewards, err := ListRewards(db, e.Program.ID, true)
	if err != nil {
		return err
	}
	for i := range e.Rewards {
		r := &e.Rewards[i]
		r.Name = fmt.Sprintf("Reward %d (deleted)", r.RewardID)
		for _, rw := range rewards {
			if rw.ID == r.RewardID {
				r.Name, r.ValueUnknown = rw.Name, rw.ValueMinor == 0
			}
		}
	}
	slices.SortFunc(e.Rewards, func(a, b RewardCost) int {
		if a.ValueMinor != b.ValueMinor {
			return int(b.ValueMinor - a.ValueMinor)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return nil
}

// readSegments splits the range's purchases by customer. A member's
// segment is where they are now: their tier in the program and whether
// they ever redeemed in it, kept on member_spend. All time reads the
// segment sums; a range reads the segment visits of its days, counting a
// customer at their first visit in it (rollup_visits.go).
func (e *Economics) readSegments(db *gorm.DB) error {
	var sales struct{ Purchases, MemberPurchases, RevenueMinor, MemberRevenueMinor int64 }
	err := e.inRange(db.Model(&DailySales{}).Select(`coalesce(sum(purchases), 0) AS purchases,
		coalesce(sum(member_purchases), 0) AS member_purchases, coalesce(sum(revenue_minor), 0) AS revenue_minor,
		coalesce(sum(member_revenue_minor), 0) AS member_revenue_minor`)).Scan(&sales).Error
	if err != nil {
		return fmt.Errorf("report: economics: sales: %w", err)
	}
	programs := []int64{0, e.Program.ID}
	var rows []SegmentTotal
	if e.AllTime {
		err = db.Where("program_id IN ? AND customers <> 0", programs).Find(&rows).Error
	} else {
		err = e.inRange(db.Model(&SegmentVisit{}).Select(`program_id, tier_id, redeemed,
			sum(CASE WHEN prev_day < ? THEN visits ELSE 0 END) AS customers, sum(purchases) AS purchases,
			sum(revenue_minor) AS revenue_minor`, e.Range.FromDay).Where("program_id IN ?", programs)).
			Group("program_id, tier_id, redeemed").Scan(&rows).Error
	}
	if err != nil {
		return fmt.Errorf("report: economics: segments: %w", err)
	}
	rows = withRest(rows)
	tiers, err := ListTiers(db, e.Program.ID)
	if err != nil {
		return err
	}
	e.Segments = segments(sales.Purchases-sales.MemberPurchases, sales.RevenueMinor-sales.MemberRevenueMinor, rows, tiers)
	return nil
}

// withRest turns every customer's sum (program 0) into the program's
// customers without a tier or a redemption in it: every customer less
// the program's own rows.
func withRest(rows []SegmentTotal) []SegmentTotal {
	var out []SegmentTotal
	var rest SegmentTotal
	for _, r := range rows {
		if r.ProgramID == 0 {
			rest.Customers += r.Customers
			rest.Purchases += r.Purchases
			rest.RevenueMinor += r.RevenueMinor
			continue
		}
		out = append(out, r)
		rest.Customers -= r.Customers
		rest.Purchases -= r.Purchases
		rest.RevenueMinor -= r.RevenueMinor
	}
	// The program's own untiered non-redeemers do not exist (no row), so
	// rest lands on its own key.
	return append(out, rest)
}

// segments groups the per tier and redemption rows: non-members, members
// who never redeemed, members who did, then each tier in ladder order
// (members without a tier last, when there are any).
func segments(anonPurchases, anonRevenue int64, rows []SegmentTotal, tiers []Tier) []Segment {
	out := []Segment{
		{Name: "Non-members", Customers: -1, Purchases: anonPurchases, RevenueMinor: anonRevenue},
		{Name: "Members who never redeemed"},
		{Name: "Members who redeemed"},
	}
	byTier := map[int64]*Segment{}
	for _, t := range tiers {
		out = append(out, Segment{Name: "Tier " + t.Name})
	}
	for i, t := range tiers {
		byTier[t.ID] = &out[3+i]
	}
	var untiered, formerly Segment
	add := func(s *Segment, r SegmentTotal) {
		s.Customers += r.Customers
		s.Purchases += r.Purchases
		s.RevenueMinor += r.RevenueMinor
	}
	for _, r := range rows {
		if r.Redeemed {
			add(&out[2], r)
		} else {
			add(&out[1], r)
		}
		switch s, ok := byTier[r.TierID]; {
		case ok:
			add(s, r)
		case r.TierID == 0:
			add(&untiered, r)
		default:
			add(&formerly, r)
		}
	}
	if len(tiers) > 0 && untiered.Customers > 0 {
		untiered.Name = "No tier"
		out = append(out, untiered)
	}
	if formerly.Customers > 0 {
		formerly.Name = "A deleted tier"
		out = append(out, formerly)
	}
	return out
}

// AverageOrderMinor is revenue per purchase, rounded to the minor unit.
func (s Segment) AverageOrderMinor() (int64, bool) { return divRound(s.RevenueMinor, s.Purchases) }

// SpendPerCustomerMinor is revenue per customer, rounded to the minor unit.
func (s Segment) SpendPerCustomerMinor() (int64, bool) {
	if s.Customers < 0 {
		return 0, false
	}
	return divRound(s.RevenueMinor, s.Customers)
}

// PurchasesPerCustomer is purchases per customer in hundredths.
func (s Segment) PurchasesPerCustomer() (int64, bool) {
	if s.Customers < 0 {
		return 0, false
	}
	return divRound(100*s.Purchases, s.Customers)
}

// divRound is n / d rounded half away from zero; false when d is 0.
func divRound(n, d int64) (int64, bool) {
	if d <= 0 {
		return 0, false
	}
	q, r := n/d, n%d
	if 2*abs64(r) >= d {
		if n < 0 {
			q--
		} else {
			q++
		}
	}
	return q, true
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// Breakage is the share of issued points that expired, in hundredths of
// a percent; false when nothing was issued.
func (f PointsFlow) Breakage() (int64, bool) { return divRound(10000*f.Expired, f.Issued) }

// Value is points at the program's point value, exact: every digit of the
// value's precision, at least the currency's minor digits.
func (e *Economics) Value(points int64) string {
	c, _ := LookupCurrency(e.Currency)
	v := new(big.Int).Mul(big.NewInt(points), big.NewInt(e.Program.PointValueMilli))
	return exactDecimal(v, c.MinorDigits+3, c.MinorDigits)
}

// ForecastMinor is what the outstanding points should cost, in minor
// units: outstanding × (1 − lifetime breakage) × point value, rounded to
// the minor unit. Without any points issued yet, nothing is expected to
// lapse.
func (e *Economics) ForecastMinor() int64 {
	kept, issued := int64(1), int64(1)
	if e.Lifetime.Issued > 0 {
		kept, issued = e.Lifetime.Issued-e.Lifetime.Expired, e.Lifetime.Issued
	}
	num := new(big.Int).Mul(big.NewInt(e.Outstanding), big.NewInt(kept))
	num.Mul(num, big.NewInt(e.Program.PointValueMilli))
	den := new(big.Int).Mul(big.NewInt(issued), big.NewInt(1000))
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Mul(r.Abs(r), big.NewInt(2)).Cmp(den) >= 0 { // half away from zero
		q.Add(q, big.NewInt(int64(num.Sign())))
	}
	return q.Int64()
}

// exactDecimal writes v scaled by 10^scale with trailing zeros dropped down
// to keep digits: exactDecimal(61750, 5, 2) is "0.6175".
func exactDecimal(v *big.Int, scale, keep int) string {
	s := new(big.Int).Abs(v).String()
	if len(s) <= scale {
		s = strings.Repeat("0", scale-len(s)+1) + s
	}
	whole, frac := s[:len(s)-scale], strings.TrimRight(s[len(s)-scale:], "0")
	if len(frac) < keep {
		frac += strings.Repeat("0", keep-len(frac))
	}
	if v.Sign() < 0 {
		whole = "-" + whole
	}
	if frac == "" {
		return whole
	}
	return whole + "." + frac
}
