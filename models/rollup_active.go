package models

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Active members are counted from spells, not from purchases. A member is
// active over a window on a local day when they made a purchase on one of
// the window's days up to and including it: each visit makes them active
// from its day for window days, and visits at most a window apart join
// into one spell. The catch-up keeps each member's spells and, per window,
// the net number of spells starting on each local day less those ending:
// the members active on a day are the sum of the nets up to it, one row a
// day whatever the number of members.

// ActiveWindows are the windows, in days, members are counted active over.
var ActiveWindows = []int{30, 90}

// MemberSpell is a run of local days on which a member was active over a
// window: from a visit's day to the day before UntilDay, the last visit of
// the run plus the window.
type MemberSpell struct {
	MerchantID int64 `gorm:"primaryKey;autoIncrement:false"`
	MemberID   int64
	WindowDays int
	FromDay    string
	UntilDay   string
}

// DailyActive is, for one window, the spells starting on a local day less
// those ending on it.
type DailyActive struct {
	MerchantID int64 `gorm:"primaryKey;autoIncrement:false"`
	WindowDays int
	Day        string
	Net        int64
}

func (DailyActive) TableName() string { return "daily_active" }

// spellsOf turns a member's purchase times (in order) into their spells
// over every window.
func spellsOf(memberID int64, times []time.Time, loc *time.Location) []MemberSpell {
	var visits []int // local day numbers, each once, in order
	for _, t := range times {
		if d := dayNumber(t.In(loc).Format(dayLayout)); len(visits) == 0 || visits[len(visits)-1] != d {
			visits = append(visits, d)
		}
	}
	var spells []MemberSpell
	for _, window := range ActiveWindows {
		for first := 0; first < len(visits); {
			last := first
			for last+1 < len(visits) && visits[last+1]-visits[last] <= window {
				last++
			}
			spells = append(spells, MemberSpell{MemberID: memberID, WindowDays: window,
				FromDay: dayOfNumber(visits[first]), UntilDay: dayOfNumber(visits[last] + window)})
			first = last + 1
		}
	}
	return spells
}

// spells replaces a batch of members' spells from their purchase times and
// moves the daily nets by the difference, so the nets stay the sum of the
// member rows without recounting them.
func (r rollup) spells(ids []int64, times map[int64][]time.Time) error {
	var fresh []MemberSpell
	for _, id := range ids {
		fresh = append(fresh, spellsOf(id, times[id], r.loc)...)
	}
	if r.rebuilding { // counted once at the end (saveSums, countSpells)
		return r.insert("spells", fresh)
	}
	var old []MemberSpell
	if err := r.tx.Where("member_id IN ?", ids).Find(&old).Error; err != nil {
		return fmt.Errorf("rollup: spells: %w", err)
	}
	type edge struct {
		window int
		day    string
	}
	change := map[edge]int64{}
	for _, s := range old {
		change[edge{s.WindowDays, s.FromDay}]--
		change[edge{s.WindowDays, s.UntilDay}]++
	}
	for _, s := range fresh {
		change[edge{s.WindowDays, s.FromDay}]++
		change[edge{s.WindowDays, s.UntilDay}]--
	}
	if err := r.tx.Where("member_id IN ?", ids).Delete(&MemberSpell{}).Error; err != nil {
		return fmt.Errorf("rollup: clear spells: %w", err)
	}
	if err := r.insert("spells", fresh); err != nil {
		return err
	}
	var moved []DailyActive
	touched := map[string]bool{}
	for e, n := range change {
		if n != 0 {
			moved = append(moved, DailyActive{WindowDays: e.window, Day: e.day, Net: n})
			touched[e.day] = true
		}
	}
	if len(moved) == 0 {
		return nil
	}
	if err := r.addTo("daily_active", moved, []string{"window_days", "day"}, "net"); err != nil {
		return err
	}
	return r.dropEmpty(&DailyActive{}, "day", "net", slices.Sorted(maps.Keys(touched)))
}

// insert writes rows (a slice, maybe empty) in batches.
func (r rollup) insert(what string, rows any) error {
	if err := r.tx.CreateInBatches(rows, memberBatch).Error; err != nil && !errors.Is(err, gorm.ErrEmptySlice) {
		return fmt.Errorf("rollup: save %s: %w", what, err)
	}
	return nil
}

// countSpells nets a rebuild's spells into daily_active, which the rebuild
// emptied; the raw statement scopes its merchant itself.
func (r rollup) countSpells() error {
	err := r.tx.Exec(`INSERT INTO daily_active (merchant_id, window_days, day, net)
		SELECT merchant_id, window_days, day, sum(net) FROM (
			SELECT merchant_id, window_days, from_day AS day, 1 AS net FROM member_spells WHERE merchant_id = ?
			UNION ALL
			SELECT merchant_id, window_days, until_day AS day, -1 AS net FROM member_spells WHERE merchant_id = ?
		) AS edges
		GROUP BY merchant_id, window_days, day HAVING sum(net) <> 0`, r.m.ID, r.m.ID).Error
	if err != nil {
		return fmt.Errorf("rollup: count spells: %w", err)
	}
	return nil
}

// ActiveMembers counts the scoped merchant's members with a purchase on
// one of the days local days up to and including each of on
// ('YYYY-MM-DD'), as the last catch-up left them, in one read of the
// nets; days is one of ActiveWindows.
func ActiveMembers(db *gorm.DB, days int, on ...string) ([]int64, error) {
	if !slices.Contains(ActiveWindows, days) {
		return nil, fmt.Errorf("rollup: active members over %d days: only %v are kept", days, ActiveWindows)
	}
	counts := make([]int64, len(on))
	if len(on) == 0 {
		return counts, nil
	}
	var nets []DailyActive
	err := db.Select("day, net").Where("window_days = ? AND day <= ?", days, slices.Max(on)).Order("day").Find(&nets).Error
	if err != nil {
		return nil, fmt.Errorf("rollup: active members: %w", err)
	}
	order := make([]int, len(on))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(on[a], on[b]) })
	var active int64
	next := 0
	for _, i := range order {
		for ; next < len(nets) && nets[next].Day <= on[i]; next++ {
			active += nets[next].Net
		}
		counts[i] = active
	}
	return counts, nil
}
