package models

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"sort"
	"time"

	"gorm.io/gorm"
)

// The report dashboard: the figures a manager lands on, each against the
// previous period of the same length, with a trend over the range. All
// of it is read from the rollups (see rollup.go), never from the ledger.

// trendBuckets is at most how many points a figure's trend has: a range
// longer than that many days is cut into buckets of equal whole days.
const trendBuckets = 31

// topRewards is how many rewards the dashboard lists.
const topRewards = 10

// Compared is a figure in the range, in the previous period, and its
// trend over the range (one value per bucket, see Dashboard.Buckets).
type Compared struct {
	Current, Previous int64
	Trend             []int64
}

// Ratio is a share as its parts, so that nothing is rounded before it is
// shown and a zero denominator stays visible.
type Ratio struct{ Num, Den int64 }

// Valid reports whether the ratio has a denominator.
func (r Ratio) Valid() bool { return r.Den != 0 }

// Float is the ratio's value; 0 without a denominator.
func (r Ratio) Float() float64 {
	if r.Den == 0 {
		return 0
	}
	return float64(r.Num) / float64(r.Den)
}

// ComparedRatio is a share in the range, in the previous period, and per
// bucket.
type ComparedRatio struct {
	Current, Previous Ratio
	Trend             []Ratio
}

// Bucket is a run of days the trends sum over, both ends included.
type Bucket struct{ FromDay, ToDay string }

// TierCount is how many members are in a tier at the end of the range
// and at the end of the previous period.
type TierCount struct {
	TierID            int64
	Name              string
	Current, Previous int64
}

// RewardCount is a reward's redemptions in the range (vouchers issued and
// not cancelled), with the points they cost and the value they gave.
type RewardCount struct {
	RewardID    int64
	Name        string
	Redemptions int64
	Previous    int64 // redemptions in the previous period
	Points      int64
	ValueMinor  int64
}

// Dashboard is the report dashboard of one merchant over one range.
type Dashboard struct {
	Range, Previous ReportRange
	Buckets         []Bucket

	Members    Compared // at the end of each period (and bucket)
	NewMembers Compared
	// Members with a purchase on one of the 30 and 90 local days up to the
	// end of each period (and bucket).
	Active30, Active90 Compared

	Purchases, MemberPurchases, NonMemberPurchases Compared
	Revenue, MemberRevenue, NonMemberRevenue       Compared // minor units, net of refunds
	MembershipRate                                 ComparedRatio
	MemberRevenueShare                             Ratio
	// MembershipFees are paid-membership fees, net of refunds: money the
	// program itself takes, kept out of Revenue (product sales).
	MembershipFees Compared

	// Points, in Program's units; all zero when Program is nil.
	Program                   *Program
	Issued, Redeemed, Expired Compared
	RedemptionRate            ComparedRatio
	Outstanding               Compared // at the end of each period (and bucket)
	LiabilityMinor            Compared // Outstanding × the program's point value
	Tiers                     []TierCount
	TopRewards                []RewardCount
}

// DashboardQuery asks for the dashboard over Range; ProgramID is the
// program of the points figures (0 for none).
type DashboardQuery struct {
	Range     ReportRange
	ProgramID int64
	Now       time.Time
}

// dayFigures is what one rollup day adds to the dashboard.
type dayFigures struct {
	newMembers, purchases, memberPurchases, revenue, memberRevenue, fees int64
	issued, redeemed, expired, net                                       int64
}

// ReportDashboard computes the dashboard of the scoped merchant, catching
// the rollups up first so that it is exact.
func ReportDashboard(db *gorm.DB, q DashboardQuery) (*Dashboard, error) {
	if err := CatchUpRollups(db, q.Now); err != nil {
		return nil, fmt.Errorf("report: dashboard: %w", err)
	}
	d := &Dashboard{Range: q.Range, Previous: q.Range.Previous(), Buckets: bucketsOf(q.Range)}
	if q.ProgramID != 0 {
		p, err := GetProgram(db, q.ProgramID)
		if err != nil {
			return nil, err
		}
		d.Program = p
	}
	days, err := d.loadDays(db)
	if err != nil {
		return nil, fmt.Errorf("report: dashboard: %w", err)
	}
	before, err := d.loadOpening(db)
	if err != nil {
		return nil, fmt.Errorf("report: dashboard: %w", err)
	}
	d.sumDays(days, before)
	if err := d.loadActive(db); err != nil {
		return nil, err
	}
	if d.Program != nil {
		if err := d.loadTiers(db); err != nil {
			return nil, fmt.Errorf("report: dashboard: %w", err)
		}
		if err := d.loadRewards(db); err != nil {
			return nil, fmt.Errorf("report: dashboard: %w", err)
		}
	}
	return d, nil
}

// bucketsOf cuts r into at most trendBuckets runs of equal whole days;
// the last may be shorter.
func bucketsOf(r ReportRange) []Bucket {
	n := r.Days()
	size := (n + trendBuckets - 1) / trendBuckets
	var out []Bucket
	for start := ParseDay(r.FromDay); ; start = start.AddDate(0, 0, size) {
		from := start.Format(dateLayout)
		if from > r.ToDay {
			return out
		}
		to := start.AddDate(0, 0, size-1).Format(dateLayout)
		out = append(out, Bucket{FromDay: from, ToDay: min(to, r.ToDay)})
	}
}

// issuedKinds are the entries that issue points: what is earned, less
// what a refund claws back.
var issuedKinds = []EntryKind{KindPurchaseEarn, KindRuleEarn, KindCampaignBonus, KindManualCredit,
	KindOpeningBalance, KindRecognition, KindRefundClawback}

// loadDays reads the rollup days of the previous period and the range.
func (d *Dashboard) loadDays(db *gorm.DB) (map[string]*dayFigures, error) {
	days := map[string]*dayFigures{}
	at := func(day string) *dayFigures {
		f := days[day]
		if f == nil {
			f = &dayFigures{}
			days[day] = f
		}
		return f
	}
	var sales []DailySales
	if err := db.Where("day >= ? AND day <= ?", d.Previous.FromDay, d.Range.ToDay).Find(&sales).Error; err != nil {
		return nil, fmt.Errorf("sales: %w", err)
	}
	for _, s := range sales {
		f := at(s.Day)
		f.newMembers, f.purchases, f.memberPurchases = s.NewMembers, s.Purchases, s.MemberPurchases
		f.revenue, f.memberRevenue, f.fees = s.RevenueMinor, s.MemberRevenueMinor, s.FeeRevenueMinor
	}
	if d.Program == nil {
		return days, nil
	}
	var points []DailyPoints
	err := db.Where("program_id = ? AND day >= ? AND day <= ?", d.Program.ID, d.Previous.FromDay, d.Range.ToDay).
		Find(&points).Error
	if err != nil {
		return nil, fmt.Errorf("points: %w", err)
	}
	for _, p := range points {
		f := at(p.Day)
		f.net += p.Amount
		switch {
		case p.Kind == KindRedemption || p.Kind == KindRedemptionCancel:
			f.redeemed -= p.Amount
		case p.Kind == KindExpiry:
			f.expired -= p.Amount
		case slices.Contains(issuedKinds, p.Kind):
			f.issued += p.Amount
		}
	}
	return days, nil
}

// dashboardOpening is what stands before the previous period starts: the members
// enrolled and the points outstanding.
type dashboardOpening struct{ members, outstanding int64 }

func (d *Dashboard) loadOpening(db *gorm.DB) (dashboardOpening, error) {
	var o dashboardOpening
	err := db.Model(&DailySales{}).Where("day < ?", d.Previous.FromDay).
		Select("coalesce(sum(new_members), 0)").Scan(&o.members).Error
	if err != nil {
		return o, fmt.Errorf("members before: %w", err)
	}
	if d.Program == nil {
		return o, nil
	}
	err = db.Model(&DailyPoints{}).Where("program_id = ? AND day < ?", d.Program.ID, d.Previous.FromDay).
		Select("coalesce(sum(amount), 0)").Scan(&o.outstanding).Error
	if err != nil {
		return o, fmt.Errorf("points before: %w", err)
	}
	return o, nil
}

// sumDays adds the days up into the periods and the buckets. Flows sum
// over their days; stocks (members, outstanding points) run on from the
// opening and are read at each end.
func (d *Dashboard) sumDays(days map[string]*dayFigures, o dashboardOpening) {
	flows := []struct {
		c   *Compared
		get func(*dayFigures) int64
	}{
		{&d.NewMembers, func(f *dayFigures) int64 { return f.newMembers }},
		{&d.Purchases, func(f *dayFigures) int64 { return f.purchases }},
		{&d.MemberPurchases, func(f *dayFigures) int64 { return f.memberPurchases }},
		{&d.NonMemberPurchases, func(f *dayFigures) int64 { return f.purchases - f.memberPurchases }},
		{&d.Revenue, func(f *dayFigures) int64 { return f.revenue }},
		{&d.MemberRevenue, func(f *dayFigures) int64 { return f.memberRevenue }},
		{&d.NonMemberRevenue, func(f *dayFigures) int64 { return f.revenue - f.memberRevenue }},
		{&d.MembershipFees, func(f *dayFigures) int64 { return f.fees }},
		{&d.Issued, func(f *dayFigures) int64 { return f.issued }},
		{&d.Redeemed, func(f *dayFigures) int64 { return f.redeemed }},
		{&d.Expired, func(f *dayFigures) int64 { return f.expired }},
	}
	for _, fl := range flows {
		fl.c.Trend = make([]int64, len(d.Buckets))
	}
	d.Members.Trend = make([]int64, len(d.Buckets))
	d.Outstanding.Trend = make([]int64, len(d.Buckets))
	members, outstanding := o.members, o.outstanding
	bucket := 0
	for day := ParseDay(d.Previous.FromDay); ; day = day.AddDate(0, 0, 1) {
		key := day.Format(dateLayout)
		if key > d.Range.ToDay {
			break
		}
		f := days[key]
		if f == nil {
			f = &dayFigures{}
		}
		members += f.newMembers
		outstanding += f.net
		current := key >= d.Range.FromDay
		for _, fl := range flows {
			if current {
				fl.c.Current += fl.get(f)
				fl.c.Trend[bucket] += fl.get(f)
			} else {
				fl.c.Previous += fl.get(f)
			}
		}
		switch {
		case key == d.Previous.ToDay:
			d.Members.Previous, d.Outstanding.Previous = members, outstanding
		case current:
			d.Members.Trend[bucket], d.Outstanding.Trend[bucket] = members, outstanding
		}
		if current && key == d.Buckets[bucket].ToDay {
			bucket++
		}
	}
	d.Members.Current, d.Outstanding.Current = members, outstanding
	d.MembershipRate = ComparedRatio{
		Current:  Ratio{d.MemberPurchases.Current, d.Purchases.Current},
		Previous: Ratio{d.MemberPurchases.Previous, d.Purchases.Previous},
	}
	d.RedemptionRate = ComparedRatio{
		Current:  Ratio{d.Redeemed.Current, d.Issued.Current},
		Previous: Ratio{d.Redeemed.Previous, d.Issued.Previous},
	}
	for i := range d.Buckets {
		d.MembershipRate.Trend = append(d.MembershipRate.Trend, Ratio{d.MemberPurchases.Trend[i], d.Purchases.Trend[i]})
		d.RedemptionRate.Trend = append(d.RedemptionRate.Trend, Ratio{d.Redeemed.Trend[i], d.Issued.Trend[i]})
	}
	d.MemberRevenueShare = Ratio{d.MemberRevenue.Current, d.Revenue.Current}
	d.LiabilityMinor = Compared{Current: d.pointsValue(d.Outstanding.Current), Previous: d.pointsValue(d.Outstanding.Previous)}
	for _, v := range d.Outstanding.Trend {
		d.LiabilityMinor.Trend = append(d.LiabilityMinor.Trend, d.pointsValue(v))
	}
}

// pointsValue is what points are worth in minor units, rounded half away
// from zero (the product may pass int64 on the way: a point may be worth
// up to a billion); 0 without a program.
func (d *Dashboard) pointsValue(points int64) int64 {
	if d.Program == nil {
		return 0
	}
	v := new(big.Int).Mul(big.NewInt(points), big.NewInt(d.Program.PointValueMilli))
	half := big.NewInt(500)
	if v.Sign() < 0 {
		half.Neg(half)
	}
	v.Quo(v.Add(v, half), big.NewInt(1000))
	if !v.IsInt64() {
		return math.MaxInt64 * int64(v.Sign())
	}
	return v.Int64()
}

// loadActive counts the members with a purchase on one of the 30 and 90
// local days up to each period's last day, and each bucket's.
func (d *Dashboard) loadActive(db *gorm.DB) error {
	on := []string{d.Range.ToDay, d.Previous.ToDay}
	for _, b := range d.Buckets {
		on = append(on, b.ToDay)
	}
	for _, a := range []struct {
		c    *Compared
		days int
	}{{&d.Active30, 30}, {&d.Active90, 90}} {
		n, err := ActiveMembers(db, a.days, on...)
		if err != nil {
			return fmt.Errorf("report: dashboard: %w", err)
		}
		a.c.Current, a.c.Previous, a.c.Trend = n[0], n[1], n[2:]
	}
	return nil
}

// loadTiers counts the members in each of the program's tiers at the end
// of each period: the running sum of the tier changes.
func (d *Dashboard) loadTiers(db *gorm.DB) error {
	tiers, err := ListTiers(db, d.Program.ID)
	if err != nil {
		return err
	}
	var rows []struct {
		TierID            int64
		Current, Previous int64
	}
	err = db.Model(&DailyTier{}).
		Select("tier_id, coalesce(sum(net), 0) AS current, coalesce(sum(CASE WHEN day <= ? THEN net ELSE 0 END), 0) AS previous", d.Previous.ToDay).
		Where("program_id = ? AND day <= ?", d.Program.ID, d.Range.ToDay).Group("tier_id").Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("tiers: %w", err)
	}
	counts := map[int64][2]int64{}
	for _, r := range rows {
		counts[r.TierID] = [2]int64{r.Current, r.Previous}
	}
	for _, t := range tiers {
		c := counts[t.ID]
		d.Tiers = append(d.Tiers, TierCount{TierID: t.ID, Name: t.Name, Current: c[0], Previous: c[1]})
	}
	return nil
}

// loadRewards lists the program's most redeemed rewards in the range.
func (d *Dashboard) loadRewards(db *gorm.DB) error {
	var rows []RewardCount
	err := db.Model(&DailyReward{}).
		Select(`reward_id,
			coalesce(sum(CASE WHEN day >= ? THEN redemptions ELSE 0 END), 0) AS redemptions,
			coalesce(sum(CASE WHEN day < ? THEN redemptions ELSE 0 END), 0) AS previous,
			coalesce(sum(CASE WHEN day >= ? THEN points ELSE 0 END), 0) AS points,
			coalesce(sum(CASE WHEN day >= ? THEN value_minor ELSE 0 END), 0) AS value_minor`,
			d.Range.FromDay, d.Range.FromDay, d.Range.FromDay, d.Range.FromDay).
		Where("program_id = ? AND day >= ? AND day <= ?", d.Program.ID, d.Previous.FromDay, d.Range.ToDay).
		Group("reward_id").Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("rewards: %w", err)
	}
	rewards, err := ListRewards(db, d.Program.ID, true)
	if err != nil {
		return err
	}
	names := make(map[int64]string, len(rewards))
	for _, r := range rewards {
		names[r.ID] = r.Name
	}
	for _, r := range rows {
		if r.Redemptions > 0 {
			r.Name = names[r.RewardID]
			d.TopRewards = append(d.TopRewards, r)
		}
	}
	sort.SliceStable(d.TopRewards, func(i, j int) bool {
		a, b := d.TopRewards[i], d.TopRewards[j]
		if a.Redemptions != b.Redemptions {
			return a.Redemptions > b.Redemptions
		}
		return a.RewardID < b.RewardID
	})
	if len(d.TopRewards) > topRewards {
		d.TopRewards = d.TopRewards[:topRewards]
	}
	return nil
}
