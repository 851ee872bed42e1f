package models

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"gorm.io/gorm"
)

// Churn is asked for over an inactivity window the manager chooses, so no
// count per window can be kept. What a member contributes to a month's
// churn depends only on two days: their last visit before the month and
// their last visit in it. Both are read off one row per month visited:
// that month's last visit day and the next visited month's. The catch-up
// keeps those rows per member and their counts per pair of days; a churn
// figure then reads the counts, a few thousand rows whatever the number
// of members.

// MemberGap is a month a member visited in: LastDay is their last visit
// day in it, NextDay the last visit day of the next month they visited
// ("" for none yet). NextDay is exact only when LastDay is at most
// gapExactDays before that month starts; otherwise it is the month's
// first day, which answers every churn question the same (see gapsOf).
type MemberGap struct {
	MerchantID int64 `gorm:"primaryKey;autoIncrement:false"`
	MemberID   int64
	LastDay    string
	NextDay    string
}

// GapCount is how many member gaps share a pair of days.
type GapCount struct {
	MerchantID int64 `gorm:"primaryKey;autoIncrement:false"`
	LastDay    string
	NextDay    string
	Members    int64
}

// gapExactDays: a member whose last visit before a month is more than
// this many days before it is active at its start only for a window
// longer than any month, so they are active at its end whatever day of
// the month they came back on.
const gapExactDays = 30

// gapsOf turns a member's purchase times (in order) into their gaps.
func gapsOf(memberID int64, times []time.Time, loc *time.Location) []MemberGap {
	var lasts []string // the last visit day of each month visited, in order
	for _, t := range times {
		day := t.In(loc).Format(dayLayout)
		if n := len(lasts); n > 0 && lasts[n-1][:7] == day[:7] {
			lasts[n-1] = day
		} else {
			lasts = append(lasts, day)
		}
	}
	gaps := make([]MemberGap, len(lasts))
	for i, last := range lasts {
		gaps[i] = MemberGap{MemberID: memberID, LastDay: last}
		if i+1 < len(lasts) {
			next := lasts[i+1]
			first := next[:7] + "-01"
			if dayNumber(first)-dayNumber(last) > gapExactDays {
				next = first
			}
			gaps[i].NextDay = next
		}
	}
	return gaps
}

// dayNumber counts days since 1970-01-01 for a 'YYYY-MM-DD' date, so day
// differences are plain subtraction.
func dayNumber(day string) int {
	t, err := time.Parse(dayLayout, day)
	if err != nil {
		panic(fmt.Sprintf("churn: bad day %q", day))
	}
	return int(t.Unix() / 86400)
}

// dayOfNumber is the 'YYYY-MM-DD' date n days after 1970-01-01.
func dayOfNumber(n int) string { return time.Unix(int64(n)*86400, 0).UTC().Format(dayLayout) }

// gaps replaces a batch of members' gaps from their purchase times and
// moves the counts by the difference, so the counts stay the sum of the
// member rows without recounting them.
func (r rollup) gaps(ids []int64, times map[int64][]time.Time) error {
	if r.rebuilding {
		// Counted once at the end (saveSums, countGaps).
		var fresh []MemberGap
		for _, id := range ids {
			fresh = append(fresh, gapsOf(id, times[id], r.loc)...)
		}
		if err := r.tx.CreateInBatches(fresh, memberBatch).Error; err != nil && !errors.Is(err, gorm.ErrEmptySlice) {
			return fmt.Errorf("rollup: save gaps: %w", err)
		}
		return nil
	}
	var old []MemberGap
	if err := r.tx.Where("member_id IN ?", ids).Find(&old).Error; err != nil {
		return fmt.Errorf("rollup: gaps: %w", err)
	}
	type pair struct{ last, next string }
	change := map[pair]int64{}
	for _, g := range old {
		change[pair{g.LastDay, g.NextDay}]--
	}
	var fresh []MemberGap
	for _, id := range ids {
		for _, g := range gapsOf(id, times[id], r.loc) {
			fresh = append(fresh, g)
			change[pair{g.LastDay, g.NextDay}]++
		}
	}
	if err := r.tx.Where("member_id IN ?", ids).Delete(&MemberGap{}).Error; err != nil {
		return fmt.Errorf("rollup: clear gaps: %w", err)
	}
	if err := r.tx.CreateInBatches(fresh, memberBatch).Error; err != nil && !errors.Is(err, gorm.ErrEmptySlice) {
		return fmt.Errorf("rollup: save gaps: %w", err)
	}
	var moved []GapCount
	// Only a count that went down can reach zero; a rebuild, which only
	// adds, has none to drop.
	shrunk := map[string]bool{}
	for p, n := range change {
		if n != 0 {
			moved = append(moved, GapCount{LastDay: p.last, NextDay: p.next, Members: n})
		}
		if n < 0 {
			shrunk[p.last] = true
		}
	}
	if len(moved) == 0 {
		return nil
	}
	if err := r.addTo("gap_counts", moved, []string{"last_day", "next_day"}, "members"); err != nil {
		return err
	}
	return r.dropEmpty(&GapCount{}, "last_day", "members", slices.Sorted(maps.Keys(shrunk)))
}

// countGaps counts a rebuild's member gaps into gap_counts, which the
// rebuild emptied; the raw statement scopes its merchant itself.
func (r rollup) countGaps() error {
	err := r.tx.Exec(`INSERT INTO gap_counts (merchant_id, last_day, next_day, members)
		SELECT merchant_id, last_day, next_day, count(*) FROM member_gaps WHERE merchant_id = ?
		GROUP BY merchant_id, last_day, next_day`, r.m.ID).Error
	if err != nil {
		return fmt.Errorf("rollup: count gaps: %w", err)
	}
	return nil
}
