package models

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Reports read per-merchant aggregates, never the whole ledger. Every
// write that changes what they count appends a mark in its own
// transaction (markRollup): insert-only, so concurrent purchases never
// wait on a shared counter. The catch-up deletes the marks it sees and
// recomputes those local days, weeks, months and members from the raw
// rows. A mark becomes visible only with the write it describes, so the
// rows the catch-up reads after deleting a mark include that write: after
// a catch-up every aggregate equals what the raw rows say.

// RollupMark notes that what the reports count changed at At (for a
// member, when MemberID is set).
type RollupMark struct {
	ID         int64
	MerchantID int64
	MemberID   *int64
	At         time.Time
}

// RollupState says a merchant's aggregates were built, and in which time
// zone: a change of zone moves every day boundary, so it rebuilds them.
type RollupState struct {
	MerchantID int64 `gorm:"primaryKey;autoIncrement:false"`
	TimeZone   string
	BuiltAt    time.Time
	CaughtUpAt time.Time
}

// DailySales is one local day of purchases, by the day they happened.
// Revenue is net of refunds, counted on the purchase's own day.
type DailySales struct {
	MerchantID         int64 `gorm:"primaryKey;autoIncrement:false"`
	Day                string
	Purchases          int64
	MemberPurchases    int64
	RevenueMinor       int64
	MemberRevenueMinor int64
	FeeRevenueMinor    int64 // membership fees, net of refunds: not in RevenueMinor
	RefundedMinor      int64
	EarningPurchases   int64 // purchases that earned something: the till uses the program
	Visitors           int64 // distinct members with a purchase
	NewMembers         int64 // members whose enrolment (created_at) is this day
}

// DailyPoints sums one kind of ledger entry on one local day, signed as
// stored (redemptions, expiries and clawbacks are negative).
type DailyPoints struct {
	MerchantID int64 `gorm:"primaryKey;autoIncrement:false"`
	ProgramID  int64
	Day        string
	Kind       EntryKind
	Amount     int64
	Entries    int64
}

// DailyReward counts one reward's vouchers issued on a local day and not
// cancelled since: a cancelled redemption is not a redemption.
type DailyReward struct {
	MerchantID  int64 `gorm:"primaryKey;autoIncrement:false"`
	ProgramID   int64
	RewardID    int64
	Day         string
	Redemptions int64
	Points      int64
	ValueMinor  int64
}

// DailyTier is the net number of accounts that entered a tier on a local
// day; members in a tier at the end of a day are the sum up to it.
type DailyTier struct {
	MerchantID int64 `gorm:"primaryKey;autoIncrement:false"`
	ProgramID  int64
	TierID     int64
	Day        string
	Net        int64
}

// MemberMonth says a member made a purchase in Month; Cohort is the month
// the member joined.
type MemberMonth struct {
	MerchantID int64 `gorm:"primaryKey;autoIncrement:false"`
	Month      string
	Cohort     string
	MemberID   int64
}

// MonthlyCohort counts the members of a joining cohort active in a month.
type MonthlyCohort struct {
	MerchantID int64 `gorm:"primaryKey;autoIncrement:false"`
	Cohort     string
	Month      string
	Members    int64
}

// WeeklyActivity is one week (Monday to Sunday, local) of member visits.
type WeeklyActivity struct {
	MerchantID    int64  `gorm:"primaryKey;autoIncrement:false"`
	Week          string // the Monday, 'YYYY-MM-DD'
	ActiveMembers int64
	Visits        int64
}

func (WeeklyActivity) TableName() string { return "weekly_activity" }

const (
	dayLayout   = "2006-01-02"
	monthLayout = "2006-01"
	// memberBatch bounds an IN list and a VALUES list of members.
	memberBatch = 500
)

// markRollup notes, inside the writing transaction, that what the reports
// count changed at each of at (a purchase's occurred_at, an entry's or a
// member's created_at), for memberID when it is not 0.
func markRollup(tx *gorm.DB, memberID int64, at ...time.Time) error {
	marks := make([]RollupMark, len(at))
	for i, t := range at {
		marks[i].At = t.UTC()
		if memberID != 0 {
			marks[i].MemberID = &memberID
		}
	}
	return markRollups(tx, marks)
}

// markRollups is markRollup for many members at once (an import batch).
func markRollups(tx *gorm.DB, marks []RollupMark) error {
	if len(marks) == 0 {
		return nil
	}
	if err := tx.CreateInBatches(marks, memberBatch).Error; err != nil {
		return fmt.Errorf("rollup: mark: %w", err)
	}
	return nil
}

// markRewardValue marks the local days of a reward's vouchers when its
// value changes: redeemed rewards are counted at the reward's value, so
// those days change as a rebuild would see them.
func markRewardValue(tx *gorm.DB, m *Merchant, r *Reward, before int64) error {
	if r.ID == 0 || r.ValueMinor == before {
		return nil
	}
	var issued []time.Time
	if err := tx.Model(&Voucher{}).Where("reward_id = ? AND status <> ?", r.ID, VoucherCancelled).
		Order("created_at").Pluck("created_at", &issued).Error; err != nil {
		return fmt.Errorf("rollup: vouchers of reward %d: %w", r.ID, err)
	}
	loc, seen := m.Location(), map[string]bool{}
	var days []time.Time
	for _, at := range issued {
		if d := at.In(loc).Format(dayLayout); !seen[d] {
			seen[d] = true
			days = append(days, at)
		}
	}
	return markRollup(tx, 0, days...)
}

// CatchUpRollups brings the scoped merchant's aggregates up to date with
// every write committed before it: report pages call it first, so what
// they show is exact. With nothing to do it costs two indexed reads.
func CatchUpRollups(db *gorm.DB, now time.Time) error {
	m, err := GetMerchant(db)
	if err != nil {
		return err
	}
	var st []RollupState
	if err := db.Limit(1).Find(&st).Error; err != nil {
		return fmt.Errorf("rollup: state: %w", err)
	}
	var pending []int64
	if err := db.Model(&RollupMark{}).Limit(1).Pluck("id", &pending).Error; err != nil {
		return fmt.Errorf("rollup: marks: %w", err)
	}
	if len(st) == 1 && st[0].TimeZone == m.TimeZone && len(pending) == 0 {
		return nil
	}
	return db.Transaction(func(tx *gorm.DB) error {
		if err := lockMerchantJob(tx, "rollup", m.ID); err != nil {
			return err
		}
		return catchUp(tx, m, now, false)
	})
}

// RebuildRollups recomputes the scoped merchant's aggregates from the raw
// rows, whatever they say now.
func RebuildRollups(db *gorm.DB, now time.Time) error {
	m, err := GetMerchant(db)
	if err != nil {
		return err
	}
	return db.Transaction(func(tx *gorm.DB) error {
		if err := lockMerchantJob(tx, "rollup", m.ID); err != nil {
			return err
		}
		return catchUp(tx, m, now, true)
	})
}

// RunRollups catches up every merchant, for the background worker.
func RunRollups(db *gorm.DB, now time.Time) error {
	var ids []int64
	if err := CrossTenant(db).Model(&Merchant{}).Order("id").Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("rollup: merchants: %w", err)
	}
	for _, id := range ids {
		if err := CatchUpRollups(ForMerchant(db, id), now); err != nil {
			return fmt.Errorf("rollup: merchant %d: %w", id, err)
		}
	}
	return nil
}

// catchUp runs under the merchant's job lock.
func catchUp(tx *gorm.DB, m *Merchant, now time.Time, rebuild bool) error {
	var st []RollupState
	if err := tx.Limit(1).Find(&st).Error; err != nil {
		return fmt.Errorf("rollup: state: %w", err)
	}
	rebuild = rebuild || len(st) == 0 || st[0].TimeZone != m.TimeZone
	// The marks this run answers for: those committed before this
	// statement. Later ones stay for the next run.
	var marks []RollupMark
	if err := tx.Raw("DELETE FROM rollup_marks WHERE merchant_id = ? RETURNING member_id, at", m.ID).Scan(&marks).Error; err != nil {
		return fmt.Errorf("rollup: take marks: %w", err)
	}
	r := rollup{tx: tx, m: m, loc: m.Location()}
	var err error
	if rebuild {
		err = r.rebuild(now)
	} else {
		err = r.refresh(marks)
	}
	if err != nil {
		return err
	}
	state := RollupState{TimeZone: m.TimeZone, CaughtUpAt: now.UTC(), BuiltAt: now.UTC()}
	if !rebuild {
		state.BuiltAt = st[0].BuiltAt
	}
	err = tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "merchant_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"time_zone", "built_at", "caught_up_at"})}).Create(&state).Error
	if err != nil {
		return fmt.Errorf("rollup: save state: %w", err)
	}
	return nil
}

// lockMerchantJob serialises one kind of job for one merchant until the
// transaction ends. SQLite's single writer already does.
func lockMerchantJob(tx *gorm.DB, what string, merchantID int64) error {
	if DialectOf(tx) != Postgres {
		return nil
	}
	// Advisory keys are database-wide; the schema keeps installations
	// sharing a database apart.
	if err := tx.Exec("SELECT pg_advisory_xact_lock(?)",
		gorm.Expr("hashtextextended(current_schema() || ?, 0)", fmt.Sprintf(":%s:%d", what, merchantID))).Error; err != nil {
		return fmt.Errorf("%s: lock: %w", what, err)
	}
	return nil
}

// rollup recomputes one merchant's aggregates in its time zone.
type rollup struct {
	tx  *gorm.DB
	m   *Merchant
	loc *time.Location
	// rebuilding: the tables started empty, so sums kept by delta are
	// gathered in sums and written once at the end (saveSums): upserting
	// the same few rows batch after batch in one transaction piles up row
	// versions, and each batch gets slower than the last.
	rebuilding bool
	sums       *rebuildSums
}

// rebuildSums are a rebuild's sums kept by delta, until saveSums.
type rebuildSums struct {
	expansions map[string]Expansion
	segments   map[segment]SegmentTotal
	lots       map[lotKey]int64
}

// saveSums writes a rebuild's gathered sums and counts its gaps, spells
// and segment visits.
func (r rollup) saveSums() error {
	if err := r.countGaps(); err != nil {
		return err
	}
	if err := r.countSpells(); err != nil {
		return err
	}
	if err := r.countSegmentVisits(); err != nil {
		return err
	}
	if err := r.moveExpansion(r.sums.expansions); err != nil {
		return err
	}
	if err := r.moveSegments(r.sums.segments); err != nil {
		return err
	}
	return r.moveLots(r.sums.lots)
}

func (r rollup) day(t time.Time) string   { return t.In(r.loc).Format(dayLayout) }
func (r rollup) month(t time.Time) string { return t.In(r.loc).Format(monthLayout) }

// week is the Monday starting t's local week.
func (r rollup) week(t time.Time) string {
	l := t.In(r.loc)
	back := (int(l.Weekday()) + 6) % 7
	return time.Date(l.Year(), l.Month(), l.Day()-back, 0, 0, 0, 0, r.loc).Format(dayLayout)
}

// bounds is the instant range [from, to) of the local days from day on,
// days long (a DST day is 23 or 25 hours).
func (r rollup) bounds(day string, days int) (time.Time, time.Time) {
	d, _ := time.ParseInLocation(dayLayout, day, r.loc)
	return d.UTC(), time.Date(d.Year(), d.Month(), d.Day()+days, 0, 0, 0, 0, r.loc).UTC()
}

func (r rollup) refresh(marks []RollupMark) error {
	days, weeks, months := map[string]bool{}, map[string]bool{}, map[string]bool{}
	members := map[int64]bool{}
	for _, k := range marks {
		days[r.day(k.At)], weeks[r.week(k.At)], months[r.month(k.At)] = true, true, true
		if k.MemberID != nil {
			members[*k.MemberID] = true
		}
	}
	ids := make([]int64, 0, len(members))
	for id := range members {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for batch := range slices.Chunk(ids, memberBatch) {
		if err := r.members(batch); err != nil {
			return err
		}
	}
	return r.periods(days, weeks, months)
}

// periods recomputes the given days, weeks and months, in that order:
// cohorts count the member months the member refresh wrote.
func (r rollup) periods(days, weeks, months map[string]bool) error {
	for _, d := range sortedKeys(days) {
		if err := r.refreshDay(d); err != nil {
			return err
		}
	}
	for _, w := range sortedKeys(weeks) {
		if err := r.refreshWeek(w); err != nil {
			return err
		}
	}
	for _, mo := range sortedKeys(months) {
		if err := r.refreshCohortMonth(mo); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// rebuild recomputes everything from the merchant's first row to today.
func (r rollup) rebuild(now time.Time) error {
	for _, t := range rollupTables {
		if err := r.tx.Where("1 = 1").Delete(t).Error; err != nil {
			return fmt.Errorf("rollup: clear: %w", err)
		}
	}
	// Members in id order, a batch at a time: every member's visits.
	r.rebuilding = true
	r.sums = &rebuildSums{expansions: map[string]Expansion{}, segments: map[segment]SegmentTotal{}, lots: map[lotKey]int64{}}
	for after := int64(0); ; {
		var ids []int64
		if err := r.tx.Model(&Member{}).Where("id > ?", after).Order("id").Limit(memberBatch).Pluck("id", &ids).Error; err != nil {
			return fmt.Errorf("rollup: members: %w", err)
		}
		if len(ids) == 0 {
			break
		}
		if err := r.members(ids); err != nil {
			return err
		}
		after = ids[len(ids)-1]
	}
	if err := r.saveSums(); err != nil {
		return err
	}
	first, latest, ok, err := r.activity()
	if err != nil || !ok {
		return err
	}
	days, weeks, months := map[string]bool{}, map[string]bool{}, map[string]bool{}
	last := max(r.day(now), r.day(latest))
	for d := first.In(r.loc); ; d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, r.loc) {
		day := d.Format(dayLayout)
		if day > last {
			break
		}
		days[day], weeks[r.week(d)], months[r.month(d)] = true, true, true
	}
	return r.periods(days, weeks, months)
}

// activity is the span of instants any aggregate counts. It may end after
// now (a purchase from a till a few minutes ahead, a member stamped by the
// database's clock): a mark would refresh those days, so a rebuild must.
func (r rollup) activity() (first, last time.Time, ok bool, err error) {
	for _, q := range []struct{ table, column string }{
		{"members", "created_at"}, {"purchases", "occurred_at"}, {"ledger_entries", "created_at"},
		{"vouchers", "created_at"}, {"tier_changes", "created_at"},
	} {
		for _, order := range []string{q.column, q.column + " DESC"} {
			var ts []time.Time
			err := r.tx.Table(q.table).Where("merchant_id = ?", r.m.ID).Order(order).Limit(1).Pluck(q.column, &ts).Error
			if err != nil {
				return first, last, false, fmt.Errorf("rollup: span of %s: %w", q.table, err)
			}
			if len(ts) == 1 {
				if !ok || ts[0].Before(first) {
					first = ts[0]
				}
				if !ok || ts[0].After(last) {
					last = ts[0]
				}
				ok = true
			}
		}
	}
	return first, last, ok, nil
}

// refreshDay replaces one local day's sales, points, rewards and tiers.
func (r rollup) refreshDay(day string) error {
	from, to := r.bounds(day, 1)
	id := r.m.ID
	var sales DailySales
	err := r.tx.Raw(`SELECT count(*) AS purchases, count(member_id) AS member_purchases,
			coalesce(sum(amount_minor - refunded_minor), 0) AS revenue_minor,
			coalesce(sum(CASE WHEN member_id IS NOT NULL THEN amount_minor - refunded_minor ELSE 0 END), 0) AS member_revenue_minor,
			coalesce(sum(refunded_minor), 0) AS refunded_minor,
			coalesce(sum(CASE WHEN earned > 0 THEN 1 ELSE 0 END), 0) AS earning_purchases,
			count(DISTINCT member_id) AS visitors
		FROM purchases WHERE merchant_id = ? AND occurred_at >= ? AND occurred_at < ? AND `+productSales, id, from, to).Scan(&sales).Error
	if err != nil {
		return fmt.Errorf("rollup: sales of %s: %w", day, err)
	}
	err = r.tx.Model(&Purchase{}).Where("occurred_at >= ? AND occurred_at < ? AND kind = ?", from, to, PurchaseMembership).
		Select("coalesce(sum(amount_minor - refunded_minor), 0)").Scan(&sales.FeeRevenueMinor).Error
	if err != nil {
		return fmt.Errorf("rollup: fees of %s: %w", day, err)
	}
	if err := r.tx.Model(&Member{}).Where("created_at >= ? AND created_at < ?", from, to).Count(&sales.NewMembers).Error; err != nil {
		return fmt.Errorf("rollup: new members of %s: %w", day, err)
	}
	var points []DailyPoints
	err = r.tx.Raw(`SELECT program_id, kind, sum(amount) AS amount, count(*) AS entries FROM ledger_entries
		WHERE merchant_id = ? AND created_at >= ? AND created_at < ? GROUP BY program_id, kind`, id, from, to).Scan(&points).Error
	if err != nil {
		return fmt.Errorf("rollup: points of %s: %w", day, err)
	}
	var rewards []DailyReward
	err = r.tx.Raw(`SELECT v.program_id, v.reward_id, count(*) AS redemptions, sum(v.cost) AS points,
			sum(rw.value_minor) AS value_minor
		FROM vouchers v JOIN rewards rw ON rw.merchant_id = v.merchant_id AND rw.id = v.reward_id
		WHERE v.merchant_id = ? AND v.created_at >= ? AND v.created_at < ? AND v.status <> ?
		GROUP BY v.program_id, v.reward_id`, id, from, to, VoucherCancelled).Scan(&rewards).Error
	if err != nil {
		return fmt.Errorf("rollup: rewards of %s: %w", day, err)
	}
	var tiers []DailyTier
	err = r.tx.Raw(`SELECT a.program_id, t.tier_id, sum(t.n) AS net FROM (
			SELECT account_id, to_tier_id AS tier_id, 1 AS n FROM tier_changes
			WHERE merchant_id = ? AND created_at >= ? AND created_at < ? AND to_tier_id IS NOT NULL
			UNION ALL
			SELECT account_id, from_tier_id, -1 FROM tier_changes
			WHERE merchant_id = ? AND created_at >= ? AND created_at < ? AND from_tier_id IS NOT NULL
		) t JOIN accounts a ON a.merchant_id = ? AND a.id = t.account_id
		GROUP BY a.program_id, t.tier_id`, id, from, to, id, from, to, id).Scan(&tiers).Error
	if err != nil {
		return fmt.Errorf("rollup: tiers of %s: %w", day, err)
	}
	tiers = slices.DeleteFunc(tiers, func(t DailyTier) bool { return t.Net == 0 })
	for _, t := range []any{&DailySales{}, &DailyPoints{}, &DailyReward{}, &DailyTier{}} {
		if err := r.tx.Where("day = ?", day).Delete(t).Error; err != nil {
			return fmt.Errorf("rollup: clear %s: %w", day, err)
		}
	}
	if sales != (DailySales{}) {
		sales.Day = day
		if err := r.tx.Create(&sales).Error; err != nil {
			return fmt.Errorf("rollup: save sales of %s: %w", day, err)
		}
	}
	for i := range points {
		points[i].Day = day
	}
	for i := range rewards {
		rewards[i].Day = day
	}
	for i := range tiers {
		tiers[i].Day = day
	}
	for _, rows := range []any{points, rewards, tiers} {
		if err := r.tx.CreateInBatches(rows, memberBatch).Error; err != nil && !errors.Is(err, gorm.ErrEmptySlice) {
			return fmt.Errorf("rollup: save %s: %w", day, err)
		}
	}
	return r.refreshEngagementDay(day)
}

// refreshWeek replaces one week's distinct active members and visits.
func (r rollup) refreshWeek(week string) error {
	from, to := r.bounds(week, 7)
	var w WeeklyActivity
	err := r.tx.Raw(`SELECT count(DISTINCT member_id) AS active_members, count(member_id) AS visits FROM purchases
		WHERE merchant_id = ? AND occurred_at >= ? AND occurred_at < ? AND `+productSales, r.m.ID, from, to).Scan(&w).Error
	if err != nil {
		return fmt.Errorf("rollup: week %s: %w", week, err)
	}
	if err := r.tx.Where("week = ?", week).Delete(&WeeklyActivity{}).Error; err != nil {
		return fmt.Errorf("rollup: clear week %s: %w", week, err)
	}
	if w.Visits == 0 {
		return nil
	}
	w.Week = week
	if err := r.tx.Create(&w).Error; err != nil {
		return fmt.Errorf("rollup: save week %s: %w", week, err)
	}
	return nil
}

// refreshCohortMonth recounts each cohort's members active in month.
func (r rollup) refreshCohortMonth(month string) error {
	var rows []MonthlyCohort
	err := r.tx.Model(&MemberMonth{}).Select("cohort, month, count(*) AS members").
		Where("month = ?", month).Group("cohort, month").Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("rollup: cohorts of %s: %w", month, err)
	}
	if err := r.tx.Where("month = ?", month).Delete(&MonthlyCohort{}).Error; err != nil {
		return fmt.Errorf("rollup: clear cohorts of %s: %w", month, err)
	}
	if err := r.tx.CreateInBatches(rows, memberBatch).Error; err != nil && !errors.Is(err, gorm.ErrEmptySlice) {
		return fmt.Errorf("rollup: save cohorts of %s: %w", month, err)
	}
	return nil
}

// memberVisits is what one member's purchases say about their visits.
type memberVisits struct {
	id            int64
	last          *time.Time
	count         int64
	medianGapDays int64
	overdueAt     *time.Time
}

// visitsOf summarises purchase times (in order): a visit is a local day
// with a purchase; the gap is the median of the days between visits, and a
// member is overdue once away twice that.
func visitsOf(id int64, times []time.Time, loc *time.Location) memberVisits {
	v := memberVisits{id: id, count: int64(len(times))}
	if len(times) == 0 {
		return v
	}
	last := times[len(times)-1]
	v.last = &last
	var days []time.Time
	for _, t := range times {
		l := t.In(loc)
		d := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
		if len(days) == 0 || !days[len(days)-1].Equal(d) {
			days = append(days, d)
		}
	}
	if len(days) < 2 {
		return v
	}
	gaps := make([]int64, len(days)-1)
	for i := range gaps {
		gaps[i] = int64(days[i+1].Sub(days[i]).Hours() / 24)
	}
	slices.Sort(gaps)
	mid := len(gaps) / 2
	v.medianGapDays = gaps[mid]
	if len(gaps)%2 == 0 {
		v.medianGapDays = (gaps[mid-1] + gaps[mid]) / 2
	}
	due := last.AddDate(0, 0, int(2*v.medianGapDays)).UTC()
	v.overdueAt = &due
	return v
}

// members refreshes the visit fields, the purchase months and the monthly
// spend of a batch of members from their purchases.
func (r rollup) members(ids []int64) error {
	var joined []struct {
		ID            int64
		CreatedAt     time.Time
		LastVisitAt   *time.Time
		VisitCount    int64
		MedianGapDays int64
		OverdueAt     *time.Time
	}
	err := r.tx.Model(&Member{}).Select("id, created_at, last_visit_at, visit_count, median_gap_days, overdue_at").
		Where("id IN ?", ids).Scan(&joined).Error
	if err != nil {
		return fmt.Errorf("rollup: members: %w", err)
	}
	var bought []memberPurchase
	err = r.tx.Model(&Purchase{}).Select("member_id, occurred_at, amount_minor - refunded_minor AS net_minor").Where("member_id IN ?", ids).
		Where(productSales).Order("member_id, occurred_at").Scan(&bought).Error
	if err != nil {
		return fmt.Errorf("rollup: visits: %w", err)
	}
	times := map[int64][]time.Time{}
	for _, b := range bought {
		times[b.MemberID] = append(times[b.MemberID], b.OccurredAt)
	}
	visits := make([]memberVisits, 0, len(joined))
	var months []MemberMonth
	for _, j := range joined {
		// Only what changed is written: each member row rewritten costs
		// every index of members.
		v := visitsOf(j.ID, times[j.ID], r.loc)
		if !sameTime(v.last, j.LastVisitAt) || v.count != j.VisitCount || v.medianGapDays != j.MedianGapDays ||
			!sameTime(v.overdueAt, j.OverdueAt) {
			visits = append(visits, v)
		}
		cohort := r.month(j.CreatedAt)
		for _, t := range times[j.ID] {
			mo := r.month(t)
			if n := len(months); n == 0 || months[n-1].MemberID != j.ID || months[n-1].Month != mo {
				months = append(months, MemberMonth{Month: mo, Cohort: cohort, MemberID: j.ID})
			}
		}
	}
	if err := r.saveVisits(visits); err != nil {
		return err
	}
	if err := r.gaps(ids, times); err != nil {
		return err
	}
	if err := r.spells(ids, times); err != nil {
		return err
	}
	if err := r.expansion(ids, bought); err != nil {
		return err
	}
	// A purchase is never deleted, so a member month, once there, stays.
	if err := r.tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(months, memberBatch).Error; err != nil &&
		!errors.Is(err, gorm.ErrEmptySlice) {
		return fmt.Errorf("rollup: member months: %w", err)
	}
	return r.economics(ids, bought)
}

func sameTime(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}

// saveVisits writes a batch of members' visit fields in one statement.
func (r rollup) saveVisits(visits []memberVisits) error {
	if len(visits) == 0 {
		return nil
	}
	row := "(?, ?, ?, ?, ?)"
	if DialectOf(r.tx) == Postgres {
		row = "(?::bigint, ?::timestamptz, ?::bigint, ?::bigint, ?::timestamptz)"
	}
	values := make([]string, len(visits))
	args := make([]any, 0, 5*len(visits)+2)
	ids := make([]int64, len(visits))
	for i, v := range visits {
		values[i] = row
		args = append(args, v.id, v.last, v.count, v.medianGapDays, v.overdueAt)
		ids[i] = v.id
	}
	// The id list lets the planner read the rows by key rather than
	// scanning every member to join them.
	args = append(args, r.m.ID, ids)
	err := r.tx.Exec(`WITH v (id, last_visit_at, visit_count, median_gap_days, overdue_at) AS (VALUES `+strings.Join(values, ", ")+`)
		UPDATE members SET last_visit_at = v.last_visit_at, visit_count = v.visit_count,
			median_gap_days = v.median_gap_days, overdue_at = v.overdue_at
		FROM v WHERE members.id = v.id AND members.merchant_id = ? AND members.id IN ?`, args...).Error
	if err != nil {
		return fmt.Errorf("rollup: save visits: %w", err)
	}
	return nil
}
