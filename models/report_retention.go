package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The retention report follows the members who joined (were enrolled) in
// the range's months: month by month since joining, and by how many
// purchases they made.

// RepeatDepth is how far repeat drop-off goes: purchase 1 to 2, ... 5 to 6.
const RepeatDepth = 5

// Cohort is the members who joined in one month and, for each month since
// (0 = the joining month, up to the current month), how many of them made
// a purchase in it.
type Cohort struct {
	Month  string // YYYY-MM
	Size   int64
	Active []int64
}

// Share is the part of the cohort that bought in its k-th month.
func (c Cohort) Share(k int) (float64, bool) {
	return ratio(c.Active[k], c.Size)
}

// RepeatStats counts the range's joiners by their purchases so far:
// ByCount[n] have made exactly n purchases, for n < RepeatDepth+1, and
// ByCount[RepeatDepth+1] that many or more.
type RepeatStats struct {
	ByCount [RepeatDepth + 2]int64
}

// Members is everyone counted.
func (r RepeatStats) Members() int64 { return r.AtLeast(0) }

// AtLeast is the members with n purchases or more.
func (r RepeatStats) AtLeast(n int) int64 {
	var sum int64
	for _, c := range r.ByCount[n:] {
		sum += c
	}
	return sum
}

// RepeatRate is the members with 2 purchases or more over those with 1
// or more.
func (r RepeatStats) RepeatRate() (float64, bool) {
	return ratio(r.AtLeast(2), r.AtLeast(1))
}

// DropOff is, of the members who made n purchases, the share who have not
// made purchase n+1 (1 <= n <= RepeatDepth).
func (r RepeatStats) DropOff(n int) (float64, bool) {
	return ratio(r.ByCount[n], r.AtLeast(n))
}

// RetentionReport is the retention page's figures.
type RetentionReport struct {
	Cohorts []Cohort
	Repeat  RepeatStats
}

// Retention computes the retention report of the members who joined in
// the months from's and to's range touches (From <= t < To), at now.
func Retention(db *gorm.DB, from, to, now time.Time) (*RetentionReport, error) {
	if err := CatchUpRollups(db, now); err != nil {
		return nil, err
	}
	m, err := GetMerchant(db)
	if err != nil {
		return nil, err
	}
	loc := m.Location()
	rep := &RetentionReport{}
	if rep.Cohorts, err = cohorts(db, loc, from, to, now); err != nil {
		return nil, err
	}
	if rep.Repeat, err = repeatStats(db, from, to); err != nil {
		return nil, err
	}
	return rep, nil
}

// cohorts reads the sizes from daily_sales.new_members and the active
// counts from monthly_cohorts: a few rows per month, whatever the number
// of members.
func cohorts(db *gorm.DB, loc *time.Location, from, to, now time.Time) ([]Cohort, error) {
	today := localToday(now, loc)
	first, last := localToday(from, loc), localToday(to.Add(-time.Nanosecond), loc)
	if last.After(today) {
		last = today
	}
	start := time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(last.Year(), last.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	var sizes []struct {
		Month   string
		Members int64
	}
	err := db.Model(&DailySales{}).Select("substr(day, 1, 7) AS month, sum(new_members) AS members").
		Where("day >= ? AND day < ?", start.Format(dayLayout), end.Format(dayLayout)).
		Group("substr(day, 1, 7)").Scan(&sizes).Error
	if err != nil {
		return nil, fmt.Errorf("report: retention: cohort sizes: %w", err)
	}
	var active []MonthlyCohort
	err = db.Where("cohort >= ? AND cohort < ?", start.Format(monthLayout), end.Format(monthLayout)).Find(&active).Error
	if err != nil {
		return nil, fmt.Errorf("report: retention: cohorts: %w", err)
	}
	current := monthIndex(today.Format(monthLayout))
	var out []Cohort
	at := map[string]int{}
	for mo := start; mo.Before(end); mo = mo.AddDate(0, 1, 0) {
		key := mo.Format(monthLayout)
		at[key] = len(out)
		out = append(out, Cohort{Month: key, Active: make([]int64, current-monthIndex(key)+1)})
	}
	for _, s := range sizes {
		out[at[s.Month]].Size = s.Members
	}
	for _, a := range active {
		c := &out[at[a.Cohort]]
		// A purchase before joining (history brought in) has no column.
		if k := monthIndex(a.Month) - monthIndex(a.Cohort); k >= 0 && k < len(c.Active) {
			c.Active[k] = a.Members
		}
	}
	return out, nil
}

// monthIndex numbers a 'YYYY-MM' month, so months since is a subtraction.
func monthIndex(month string) int {
	t, err := time.Parse(monthLayout, month)
	if err != nil {
		panic(fmt.Sprintf("retention: bad month %q", month))
	}
	return t.Year()*12 + int(t.Month()) - 1
}

// repeatStats counts the members who joined in the range by purchases,
// from the (merchant_id, created_at, visit_count) index alone.
func repeatStats(db *gorm.DB, from, to time.Time) (RepeatStats, error) {
	var r RepeatStats
	var rows []struct {
		N       int
		Members int64
	}
	err := db.Model(&Member{}).Select("CASE WHEN visit_count > ? THEN ? ELSE visit_count END AS n, count(*) AS members",
		RepeatDepth, RepeatDepth+1).
		Where("created_at >= ? AND created_at < ?", from.UTC(), to.UTC()).Group("n").Scan(&rows).Error
	if err != nil {
		return r, fmt.Errorf("report: retention: repeat: %w", err)
	}
	for _, row := range rows {
		r.ByCount[row.N] = row.Members
	}
	return r, nil
}
