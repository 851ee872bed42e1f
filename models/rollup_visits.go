package models

import (
	"fmt"
	"maps"
	"slices"
)

// The economics page splits a range's customers by where they stand in a
// program now (member_spend). Counting the members who bought in a range
// would group every purchase in it by member; instead each visit (a local
// day a member bought on) keeps the day of the member's visit before it,
// and a range's customers are its visits whose previous visit came before
// the range: each customer has exactly one, their first visit in it. The
// catch-up keeps those visits per member and their sums per segment, day
// and previous day, so a range reads one row per such triple.

// MemberVisit is a local day a member bought on: their purchases that day,
// net of refunds, and the day of their visit before it ("" for none).
type MemberVisit struct {
	MerchantID   int64  `gorm:"primaryKey;autoIncrement:false"`
	MemberID     int64  `gorm:"primaryKey;autoIncrement:false"`
	Day          string `gorm:"primaryKey"`
	PrevDay      string
	Purchases    int64
	RevenueMinor int64
}

// SegmentVisit sums MemberVisit over a program's customers in one segment
// (as member_spend places them), by day and previous day.
type SegmentVisit struct {
	MerchantID   int64  `gorm:"primaryKey;autoIncrement:false"`
	ProgramID    int64  `gorm:"primaryKey;autoIncrement:false"`
	Day          string `gorm:"primaryKey"`
	PrevDay      string `gorm:"primaryKey"`
	TierID       int64  `gorm:"primaryKey;autoIncrement:false"`
	Redeemed     bool   `gorm:"primaryKey"`
	Visits       int64
	Purchases    int64
	RevenueMinor int64
}

// visitsOfPurchases groups purchases (in member and time order) into
// each member's visits, in day order.
func (r rollup) visitsOfPurchases(bought []memberPurchase) map[int64][]MemberVisit {
	visits := map[int64][]MemberVisit{}
	for _, b := range bought {
		day, vs := r.day(b.OccurredAt), visits[b.MemberID]
		if n := len(vs); n == 0 || vs[n-1].Day != day {
			v := MemberVisit{MemberID: b.MemberID, Day: day}
			if n > 0 {
				v.PrevDay = vs[n-1].Day
			}
			vs = append(vs, v)
		}
		vs[len(vs)-1].Purchases++
		vs[len(vs)-1].RevenueMinor += b.NetMinor
		visits[b.MemberID] = vs
	}
	return visits
}

// segmentDay is one row of segment_visits.
type segmentDay struct {
	segment
	day, prev string
}

// segmentVisits replaces the members' visits and moves the segment sums
// by the difference: every old visit leaves each segment the member was
// in, every fresh one joins each they are in now.
func (r rollup) segmentVisits(ids []int64, oldSpend, freshSpend []MemberSpend, fresh map[int64][]MemberVisit) error {
	var saved []MemberVisit
	for _, id := range ids {
		saved = append(saved, fresh[id]...)
	}
	if r.rebuilding { // counted once at the end (saveSums, countSegmentVisits)
		return r.insert("visits", saved)
	}
	var oldRows []MemberVisit
	if err := r.tx.Where("member_id IN ?", ids).Find(&oldRows).Error; err != nil {
		return fmt.Errorf("rollup: visits: old: %w", err)
	}
	old := map[int64][]MemberVisit{}
	for _, v := range oldRows {
		old[v.MemberID] = append(old[v.MemberID], v)
	}
	if err := r.tx.Where("member_id IN ?", ids).Delete(&MemberVisit{}).Error; err != nil {
		return fmt.Errorf("rollup: visits: clear: %w", err)
	}
	if err := r.insert("visits", saved); err != nil {
		return err
	}
	delta := map[segmentDay]SegmentVisit{}
	move := func(spend []MemberSpend, visits map[int64][]MemberVisit, sign int64) {
		for _, s := range spend {
			for _, v := range visits[s.MemberID] {
				k := segmentDay{segment{s.ProgramID, s.TierID, s.Redeemed}, v.Day, v.PrevDay}
				d := delta[k]
				d.Visits += sign
				d.Purchases += sign * v.Purchases
				d.RevenueMinor += sign * v.RevenueMinor
				delta[k] = d
			}
		}
	}
	move(oldSpend, old, -1)
	move(freshSpend, fresh, 1)
	var moves []SegmentVisit
	days := map[string]bool{}
	for k, d := range delta {
		if d.Visits != 0 || d.Purchases != 0 || d.RevenueMinor != 0 {
			d.ProgramID, d.TierID, d.Redeemed, d.Day, d.PrevDay = k.program, k.tier, k.redeemed, k.day, k.prev
			moves = append(moves, d)
			days[k.day] = true
		}
	}
	if len(moves) == 0 {
		return nil
	}
	key := []string{"program_id", "day", "prev_day", "tier_id", "redeemed"}
	if err := r.addTo("segment_visits", moves, key, "visits", "purchases", "revenue_minor"); err != nil {
		return err
	}
	return r.dropEmpty(&SegmentVisit{}, "day", "visits", slices.Sorted(maps.Keys(days)))
}

// countSegmentVisits sums a rebuild's visits into segment_visits, which the
// rebuild emptied; the raw statement scopes its merchant itself.
func (r rollup) countSegmentVisits() error {
	err := r.tx.Exec(`INSERT INTO segment_visits (merchant_id, program_id, day, prev_day, tier_id, redeemed, visits, purchases, revenue_minor)
		SELECT v.merchant_id, s.program_id, v.day, v.prev_day, s.tier_id, s.redeemed, count(*), sum(v.purchases), sum(v.revenue_minor)
		FROM member_visits v JOIN member_spend s ON s.merchant_id = v.merchant_id AND s.member_id = v.member_id
		WHERE v.merchant_id = ?
		GROUP BY v.merchant_id, s.program_id, v.day, v.prev_day, s.tier_id, s.redeemed`, r.m.ID).Error
	if err != nil {
		return fmt.Errorf("rollup: count segment visits: %w", err)
	}
	return nil
}
