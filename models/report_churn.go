package models

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The churn report. A visit is a local day with a purchase by the member
// (refunded or not). A member is active at a moment when they visited in
// the window's days up to it: at the start of a month, in the Window days
// before its first day; at its end, in the Window days up to its last day
// (up to today while the month runs).

// The inactivity window, in days.
const (
	DefaultChurnWindow = 90
	MinChurnWindow     = 7
	MaxChurnWindow     = 730
	// OverduePageSize is how many overdue members a page lists.
	OverduePageSize = 50
)

// ParseChurnWindow reads the inactivity window as typed; empty is the
// default.
func ParseChurnWindow(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultChurnWindow, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < MinChurnWindow || n > MaxChurnWindow {
		return 0, Errorf(EINVALID, "The inactivity window is a whole number of days from %d to %d, like %d; %q is not.",
			MinChurnWindow, MaxChurnWindow, DefaultChurnWindow, s)
	}
	return n, nil
}

// ChurnQuery is what the churn report is asked for.
type ChurnQuery struct {
	Window   int       // days
	From, To time.Time // the range: From <= t < To
	After    int64     // the overdue member the previous page ended with; 0 for the first page
}

// ChurnReport is the churn page's figures.
type ChurnReport struct {
	Window    int
	Months    []ChurnMonth
	Buckets   ActivityBuckets
	Overdue   OverduePage
	Expansion []MonthExpansion // the same months as Months
}

// ChurnMonth is one month's churn: of the members active at its start,
// those inactive at its end.
type ChurnMonth struct {
	Month         string // YYYY-MM
	Through       string // the last day counted: the month's last, or today while it runs
	Partial       bool   // the month is still running
	ActiveAtStart int64
	Churned       int64
}

// Rate is Churned over ActiveAtStart; false with nobody active at the start.
func (c ChurnMonth) Rate() (float64, bool) {
	return ratio(c.Churned, c.ActiveAtStart)
}

func ratio(n, d int64) (float64, bool) {
	if d == 0 {
		return 0, false
	}
	return float64(n) / float64(d), true
}

// ActivityBuckets sorts today's members by their last visit: Active
// within ActiveDays (half the window), AtRisk within the window, Lapsed
// before it, Never without a purchase. Active + AtRisk are the members
// active now by the churn definition.
type ActivityBuckets struct {
	ActiveDays, Window            int
	Active, AtRisk, Lapsed, Never int64
}

// OverdueMember is a member away at least twice their usual gap between
// visits, with what they would lose.
type OverdueMember struct {
	ID                 int64
	Name, Email, Phone string
	LastVisitAt        time.Time
	DaysSince          int64 // local days since the last visit
	MedianGapDays      int64
	Balances           []MemberBalance // accounts with points, in program order
}

// Ratio is the days away over the usual gap: 2 or more is overdue.
func (o OverdueMember) Ratio() float64 {
	return float64(o.DaysSince) / float64(o.MedianGapDays)
}

// MemberBalance is a member's balance in one program.
type MemberBalance struct {
	MemberID  int64
	ProgramID int64
	Balance   int64
}

// OverduePage is a page of the overdue list, the most recently overdue
// first.
type OverduePage struct {
	Members []OverdueMember
	Total   int64
	Next    int64 // the After of the next page; 0 on the last
}

// Expansion is negative churn in a month: the members who spent in the
// month before, who spent more in this one or moved up a tier, and the
// revenue they kept. Spend is net of refunds, in the purchase's month.
type Expansion struct {
	Previous             int64 // members with net spend in the month before
	Returned             int64 // of them, with net spend in this month
	SpentMore            int64 // of them, who spent more this month than in the one before
	MovedUp              int64 // members who moved up a tier in this month
	Expanding            int64 // spent more or moved up (each member once)
	PreviousRevenueMinor int64 // what the Previous spent in the month before
	RetainedRevenueMinor int64 // what they spent in this month
}

// MonthExpansion is one month's negative churn against the month before.
type MonthExpansion struct {
	Month   string // YYYY-MM
	Partial bool   // the month is still running
	Expansion
}

// NetRevenueRetention is RetainedRevenueMinor over PreviousRevenueMinor;
// false when nobody spent in the month before.
func (e Expansion) NetRevenueRetention() (float64, bool) {
	return ratio(e.RetainedRevenueMinor, e.PreviousRevenueMinor)
}

// Churn computes the churn report of the scoped merchant at now.
func Churn(db *gorm.DB, q ChurnQuery, now time.Time) (*ChurnReport, error) {
	if err := CatchUpRollups(db, now); err != nil {
		return nil, err
	}
	m, err := GetMerchant(db)
	if err != nil {
		return nil, err
	}
	loc := m.Location()
	rep := &ChurnReport{Window: q.Window}
	if rep.Months, err = monthlyChurn(db, loc, q.Window, q.From, q.To, now); err != nil {
		return nil, err
	}
	if rep.Buckets, err = activityBuckets(db, loc, q.Window, now); err != nil {
		return nil, err
	}
	if rep.Overdue, err = OverdueMembers(db, q.After, OverduePageSize, now); err != nil {
		return nil, err
	}
	if rep.Expansion, err = monthlyExpansion(db, rep.Months); err != nil {
		return nil, err
	}
	return rep, nil
}

// localToday is now's local date as a UTC midnight, for day arithmetic.
func localToday(now time.Time, loc *time.Location) time.Time {
	l := now.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
}

// monthlyChurn is the churn of each month the range touches, up to the
// current one. It reads the gap counts from the earliest visit that can
// make a member active at the first month's start.
func monthlyChurn(db *gorm.DB, loc *time.Location, window int, from, to, now time.Time) ([]ChurnMonth, error) {
	today := localToday(now, loc)
	first := localToday(from, loc)
	last := localToday(to.Add(-time.Nanosecond), loc)
	if last.After(today) {
		last = today
	}
	start := time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(last.Year(), last.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	var counts []GapCount
	err := db.Where("last_day >= ? AND last_day < ?", start.AddDate(0, 0, -window).Format(dayLayout), end.Format(dayLayout)).
		Find(&counts).Error
	if err != nil {
		return nil, fmt.Errorf("report: churn: gaps: %w", err)
	}
	type gap struct {
		last, next int    // day numbers; next is -1 for none
		nextMonth  string // "" for none
		members    int64
	}
	gaps := make([]gap, len(counts))
	for i, c := range counts {
		gaps[i] = gap{last: dayNumber(c.LastDay), next: -1, members: c.Members}
		if c.NextDay != "" {
			gaps[i].next, gaps[i].nextMonth = dayNumber(c.NextDay), c.NextDay[:7]
		}
	}
	var months []ChurnMonth
	for mo := start; mo.Before(end); mo = mo.AddDate(0, 1, 0) {
		through := mo.AddDate(0, 1, -1)
		cm := ChurnMonth{Month: mo.Format(monthLayout)}
		if through.After(today) {
			through, cm.Partial = today, true
		}
		cm.Through = through.Format(dayLayout)
		// s is the month's first day and e the day after the last counted:
		// active at s means a visit in [s-window, s), at e in [e-window, e).
		s, e := dayNumber(mo.Format(dayLayout)), dayNumber(cm.Through)+1
		for _, g := range gaps {
			// g.last is the last visit before the month when the member's
			// next visited month is this one or later.
			if g.last >= s || s-g.last > window || (g.nextMonth != "" && g.nextMonth < cm.Month) {
				continue
			}
			cm.ActiveAtStart += g.members
			lastBeforeEnd := g.last
			if g.nextMonth == cm.Month {
				lastBeforeEnd = g.next
			}
			if e-lastBeforeEnd > window {
				cm.Churned += g.members
			}
		}
		months = append(months, cm)
	}
	return months, nil
}

// activityBuckets counts today's members by last visit, from the members
// alone (one pass over the merchant's members, no purchases).
func activityBuckets(db *gorm.DB, loc *time.Location, window int, now time.Time) (ActivityBuckets, error) {
	var b ActivityBuckets
	today := localToday(now, loc)
	// since(n) starts the last n local days, today included.
	since := func(n int) time.Time { return StartOfDay(today.AddDate(0, 0, 1-n), loc).UTC() }
	active, risk := since(window/2), since(window)
	err := db.Model(&Member{}).Select(`coalesce(sum(CASE WHEN last_visit_at >= ? THEN 1 ELSE 0 END), 0) AS active,
			coalesce(sum(CASE WHEN last_visit_at >= ? AND last_visit_at < ? THEN 1 ELSE 0 END), 0) AS at_risk,
			coalesce(sum(CASE WHEN last_visit_at < ? THEN 1 ELSE 0 END), 0) AS lapsed,
			coalesce(sum(CASE WHEN last_visit_at IS NULL THEN 1 ELSE 0 END), 0) AS never`,
		active, risk, active, risk).Scan(&b).Error
	if err != nil {
		return b, fmt.Errorf("report: churn: buckets: %w", err)
	}
	b.ActiveDays, b.Window = window/2, window
	return b, nil
}

// OverdueMembers is a page of the scoped merchant's overdue members (away
// twice their median gap or more at now), the most recently overdue
// first, after the member after (0 for the first page; another
// merchant's member is not found).
func OverdueMembers(db *gorm.DB, after int64, limit int, now time.Time) (OverduePage, error) {
	return overduePage(db, after, limit, now, true)
}

// overduePage is OverdueMembers, counting them all only when count is set.
func overduePage(db *gorm.DB, after int64, limit int, now time.Time, count bool) (OverduePage, error) {
	var page OverduePage
	m, err := GetMerchant(db)
	if err != nil {
		return page, err
	}
	overdue := func() *gorm.DB {
		return db.Model(&Member{}).Where("overdue_at IS NOT NULL AND overdue_at <= ?", now.UTC())
	}
	if count {
		if err := overdue().Count(&page.Total).Error; err != nil {
			return page, fmt.Errorf("report: overdue: count: %w", err)
		}
	}
	q := overdue()
	if after != 0 {
		var from []Member
		if err := db.Where("id = ?", after).Limit(1).Find(&from).Error; err != nil {
			return page, fmt.Errorf("report: overdue: after: %w", err)
		}
		if len(from) == 0 || from[0].OverdueAt == nil {
			return page, Errorf(ENOTFOUND, "That member is not on the overdue list.")
		}
		q = q.Where("(overdue_at < ? OR (overdue_at = ? AND id < ?))", *from[0].OverdueAt, *from[0].OverdueAt, after)
	}
	var ms []Member
	if err := q.Order("overdue_at DESC, id DESC").Limit(limit + 1).Find(&ms).Error; err != nil {
		return page, fmt.Errorf("report: overdue: %w", err)
	}
	if len(ms) > limit {
		ms = ms[:limit]
		page.Next = ms[limit-1].ID
	}
	balances, err := balancesOf(db, ms)
	if err != nil {
		return page, err
	}
	loc, today := m.Location(), localToday(now, m.Location())
	for _, mb := range ms {
		page.Members = append(page.Members, OverdueMember{
			ID: mb.ID, Name: mb.Name, Email: mb.Email, Phone: mb.Phone, LastVisitAt: *mb.LastVisitAt,
			DaysSince:     int64(today.Sub(localToday(*mb.LastVisitAt, loc)).Hours() / 24),
			MedianGapDays: mb.MedianGapDays, Balances: balances[mb.ID],
		})
	}
	return page, nil
}

// balancesOf is each member's non-zero balances, in program order.
func balancesOf(db *gorm.DB, ms []Member) (map[int64][]MemberBalance, error) {
	out := map[int64][]MemberBalance{}
	if len(ms) == 0 {
		return out, nil
	}
	ids := make([]int64, len(ms))
	for i, mb := range ms {
		ids[i] = mb.ID
	}
	var rows []MemberBalance
	err := db.Model(&Account{}).Select("member_id, program_id, balance").
		Where("member_id IN ? AND balance <> 0", ids).Order("program_id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("report: overdue: balances: %w", err)
	}
	for _, r := range rows {
		out[r.MemberID] = append(out[r.MemberID], r)
	}
	return out, nil
}

// monthlyExpansion is the negative churn of each of the months, read
// from the monthly sums (a row per month).
func monthlyExpansion(db *gorm.DB, months []ChurnMonth) ([]MonthExpansion, error) {
	if len(months) == 0 {
		return nil, nil
	}
	var rows []MonthlyExpansion
	err := db.Where("month >= ? AND month <= ?", months[0].Month, months[len(months)-1].Month).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("report: churn: expansion: %w", err)
	}
	kept := map[string]Expansion{}
	for _, r := range rows {
		kept[r.Month] = r.Expansion
	}
	out := make([]MonthExpansion, len(months))
	for i, m := range months {
		out[i] = MonthExpansion{Month: m.Month, Partial: m.Partial, Expansion: kept[m.Month]}
	}
	return out, nil
}

// EachOverdue hands every overdue member at now to fn, a page at a time,
// for the CSV export. It catches up first, as the page does.
func EachOverdue(db *gorm.DB, now time.Time, fn func([]OverdueMember) error) error {
	if err := CatchUpRollups(db, now); err != nil {
		return err
	}
	for after := int64(0); ; {
		page, err := overduePage(db, after, 1000, now, false)
		if err != nil {
			return err
		}
		if err := fn(page.Members); err != nil {
			return err
		}
		if page.Next == 0 {
			return nil
		}
		after = page.Next
	}
}
