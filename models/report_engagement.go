package models

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The engagement report: how members use the program, week by week, read
// from the rollups (rollup.go, rollup_engagement.go) and, for the goal
// lists, from accounts by index.

// EngagementWeek is one Monday-to-Sunday local week, counted whole.
type EngagementWeek struct {
	Week     string // the Monday
	Complete bool   // it ended before today
	// From weekly_activity (every program).
	ActiveMembers, Visits int64
	// From daily_points of the program: points earned net of refund
	// clawbacks and the earn entries; points redeemed net of cancels and
	// the redemptions net of cancels.
	Earned, Earns, Redeemed, Redemptions int64
	// From daily_sales (every program).
	Purchases, EarningPurchases int64
}

// RuleCompletions is what one earning rule paid in the range.
type RuleCompletions struct {
	RuleID      int64 // SignUpRuleID, OtherRuleID, or an earning rule
	Name        string
	Kind        string // the rule's kind, "sign-up" or "other"
	Exists      bool   // the rule is still configured (it can be opened)
	Completions int64
	Points      int64
}

// Referrer is a member whose referrals joined in the range.
type Referrer struct {
	MemberID         int64
	Name             string
	Made, Converted  int64
	Email, Phone     string
	MarketingOptIn   bool
	ReferrerIsMember bool // false when the referring member was deleted
}

// StaffAdjustments is one person's manual credits and debits in the range.
type StaffAdjustments struct {
	ActorUserID     int64 // 0 for entries no user made
	Name            string
	Entries         int64
	Credits, Debits int64 // both positive
}

// Engagement is the engagement report of one program over a range.
type Engagement struct {
	Weeks []EngagementWeek
	// Over the range's own days.
	Earned, Earns, Redeemed, Redemptions int64
	Purchases, EarningPurchases          int64
	Rules                                []RuleCompletions
	ReferralsMade, ReferralsConverted    int64
	Referrers                            []Referrer
	Adjustments                          []StaffAdjustments
}

// engagementEarnKinds are what a member earns by doing something: a
// purchase, a rule, a campaign, recognition. Manual credits and opening
// balances are staff's doing and show under adjustments.
var engagementEarnKinds = []EntryKind{KindPurchaseEarn, KindRuleEarn, KindCampaignBonus, KindRecognition}

// MaxReferrers bounds the referrer table.
const MaxReferrers = 20

// weekOf is the Monday of a local day's week.
func weekOf(day string) string {
	d := ParseDay(day)
	return d.AddDate(0, 0, -(int(d.Weekday())+6)%7).Format(dateLayout)
}

// addDays is day moved by n calendar days.
func addDays(day string, n int) string { return ParseDay(day).AddDate(0, 0, n).Format(dateLayout) }

// ActiveAverage is the average of weekly active members over the complete
// weeks, and visits per active member over them; weeks is how many there
// were (0: only the current week, which the averages then use).
func (e *Engagement) ActiveAverage() (active, visitsPerActive float64, weeks int) {
	var members, visits int64
	for _, w := range e.Weeks {
		if w.Complete {
			members, visits, weeks = members+w.ActiveMembers, visits+w.Visits, weeks+1
		}
	}
	n := weeks
	if n == 0 && len(e.Weeks) > 0 {
		last := e.Weeks[len(e.Weeks)-1]
		members, visits, n = last.ActiveMembers, last.Visits, 1
	}
	if n == 0 || members == 0 {
		return 0, 0, weeks
	}
	return float64(members) / float64(n), float64(visits) / float64(members), weeks
}

// EngagementReport reads the program's engagement over rng, after
// catching the rollups up.
func EngagementReport(db *gorm.DB, p *Program, rng ReportRange, now time.Time) (*Engagement, error) {
	if err := CatchUpRollups(db, now); err != nil {
		return nil, err
	}
	e := &Engagement{}
	if err := e.readWeeks(db, p, rng, now); err != nil {
		return nil, err
	}
	var err error
	if e.Rules, err = ruleCompletions(db, p, rng.FromDay, rng.ToDay); err != nil {
		return nil, err
	}
	if err := e.readReferrals(db, rng); err != nil {
		return nil, err
	}
	if e.Adjustments, err = staffAdjustments(db, p, rng); err != nil {
		return nil, err
	}
	return e, nil
}

// readWeeks fills the weeks the range touches, whole, and the range's
// own totals.
func (e *Engagement) readWeeks(db *gorm.DB, p *Program, rng ReportRange, now time.Time) error {
	first, last := weekOf(rng.FromDay), weekOf(rng.ToDay)
	end := addDays(last, 6)
	local := now.In(rng.From.Location())
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC).Format(dateLayout)
	index := map[string]*EngagementWeek{}
	for w := first; w <= last; w = addDays(w, 7) {
		e.Weeks = append(e.Weeks, EngagementWeek{Week: w, Complete: addDays(w, 6) < today})
	}
	for i := range e.Weeks {
		index[e.Weeks[i].Week] = &e.Weeks[i]
	}
	var activity []WeeklyActivity
	if err := db.Where("week >= ? AND week <= ?", first, last).Find(&activity).Error; err != nil {
		return fmt.Errorf("report: engagement: weeks: %w", err)
	}
	for _, a := range activity {
		w := index[a.Week]
		w.ActiveMembers, w.Visits = a.ActiveMembers, a.Visits
	}
	inRange := func(day string) bool { return day >= rng.FromDay && day <= rng.ToDay }
	var points []DailyPoints
	kinds := append(slices.Clone(engagementEarnKinds), KindRefundClawback, KindRedemption, KindRedemptionCancel)
	if err := db.Where("program_id = ? AND day >= ? AND day <= ? AND kind IN ?", p.ID, first, end, kinds).
		Find(&points).Error; err != nil {
		return fmt.Errorf("report: engagement: points: %w", err)
	}
	for _, d := range points {
		var earned, earns, redeemed, redemptions int64
		switch d.Kind {
		case KindRefundClawback:
			earned = d.Amount
		case KindRedemption:
			redeemed, redemptions = -d.Amount, d.Entries
		case KindRedemptionCancel:
			redeemed, redemptions = -d.Amount, -d.Entries
		default:
			earned, earns = d.Amount, d.Entries
		}
		w := index[weekOf(d.Day)]
		w.Earned, w.Earns, w.Redeemed, w.Redemptions = w.Earned+earned, w.Earns+earns, w.Redeemed+redeemed, w.Redemptions+redemptions
		if inRange(d.Day) {
			e.Earned, e.Earns, e.Redeemed, e.Redemptions = e.Earned+earned, e.Earns+earns, e.Redeemed+redeemed, e.Redemptions+redemptions
		}
	}
	var sales []DailySales
	if err := db.Select("day, purchases, earning_purchases").Where("day >= ? AND day <= ?", first, end).
		Find(&sales).Error; err != nil {
		return fmt.Errorf("report: engagement: sales: %w", err)
	}
	for _, s := range sales {
		w := index[weekOf(s.Day)]
		w.Purchases, w.EarningPurchases = w.Purchases+s.Purchases, w.EarningPurchases+s.EarningPurchases
		if inRange(s.Day) {
			e.Purchases, e.EarningPurchases = e.Purchases+s.Purchases, e.EarningPurchases+s.EarningPurchases
		}
	}
	return nil
}

// ruleCompletions lists every rule of the program, with what each paid
// from fromDay to toDay (both included): configured rules first, by kind
// and name, even those nobody completed; then the sign-up bonus, deleted
// rules and unattributed earnings that paid something.
func ruleCompletions(db *gorm.DB, p *Program, fromDay, toDay string) ([]RuleCompletions, error) {
	var sums []DailyRuleEarn
	if err := db.Model(&DailyRuleEarn{}).Select("rule_id, sum(completions) AS completions, sum(points) AS points").
		Where("program_id = ? AND day >= ? AND day <= ?", p.ID, fromDay, toDay).Group("rule_id").
		Find(&sums).Error; err != nil {
		return nil, fmt.Errorf("report: engagement: rules: %w", err)
	}
	paid := map[int64]DailyRuleEarn{}
	for _, s := range sums {
		paid[s.RuleID] = s
	}
	rules, err := ListEarningRules(db, p.ID)
	if err != nil {
		return nil, err
	}
	out := make([]RuleCompletions, 0, len(rules)+len(sums)+1)
	for _, r := range rules {
		s := paid[r.ID]
		delete(paid, r.ID)
		out = append(out, RuleCompletions{RuleID: r.ID, Name: r.Name, Kind: string(r.Kind), Exists: true,
			Completions: s.Completions, Points: s.Points})
	}
	if s, ok := paid[SignUpRuleID]; ok || p.SignUpBonus > 0 {
		delete(paid, SignUpRuleID)
		out = append(out, RuleCompletions{RuleID: SignUpRuleID, Name: "Sign-up bonus", Kind: "sign-up",
			Completions: s.Completions, Points: s.Points})
	}
	for _, s := range sums {
		if _, ok := paid[s.RuleID]; !ok {
			continue
		}
		name, kind := fmt.Sprintf("Deleted rule #%d", s.RuleID), "deleted"
		if s.RuleID == OtherRuleID {
			name, kind = "Rule earnings naming no rule", "other"
		}
		out = append(out, RuleCompletions{RuleID: s.RuleID, Name: name, Kind: kind, Completions: s.Completions, Points: s.Points})
	}
	return out, nil
}

// RuleWeek is one week of one rule's completions.
type RuleWeek struct {
	Week                string
	Completions, Points int64
}

// RuleWeeks is one configured rule's completions in each week rng
// touches, counted whole. Another program's rule is ENOTFOUND.
func RuleWeeks(db *gorm.DB, p *Program, ruleID int64, rng ReportRange) (*EarningRule, []RuleWeek, error) {
	rule, err := GetEarningRule(db, p.ID, ruleID)
	if err != nil {
		return nil, nil, err
	}
	first, last := weekOf(rng.FromDay), weekOf(rng.ToDay)
	var days []DailyRuleEarn
	if err := db.Where("program_id = ? AND rule_id = ? AND day >= ? AND day <= ?", p.ID, rule.ID, first, addDays(last, 6)).
		Find(&days).Error; err != nil {
		return nil, nil, fmt.Errorf("report: engagement: rule weeks: %w", err)
	}
	var weeks []RuleWeek
	index := map[string]int{}
	for w := first; w <= last; w = addDays(w, 7) {
		index[w] = len(weeks)
		weeks = append(weeks, RuleWeek{Week: w})
	}
	for _, d := range days {
		w := &weeks[index[weekOf(d.Day)]]
		w.Completions, w.Points = w.Completions+d.Completions, w.Points+d.Points
	}
	return rule, weeks, nil
}

// readReferrals counts the members who joined in the range referred by
// another, those of them who have made a purchase since (visit_count, kept
// by the catch-up), and the referrers who brought the most.
func (e *Engagement) readReferrals(db *gorm.DB, rng ReportRange) error {
	referred := func() *gorm.DB {
		return db.Model(&Member{}).Where("referred_by_id IS NOT NULL AND created_at >= ? AND created_at < ?", rng.From.UTC(), rng.To.UTC())
	}
	// One pass: the top referrers, and over every group the totals.
	var top []struct {
		Referrer
		TotalMade, TotalConverted int64
	}
	converted := "coalesce(sum(CASE WHEN visit_count > 0 THEN 1 ELSE 0 END), 0)"
	if err := referred().Select("referred_by_id AS member_id, count(*) AS made, " + converted + " AS converted, " +
		"CAST(sum(count(*)) OVER () AS BIGINT) AS total_made, CAST(sum(" + converted + ") OVER () AS BIGINT) AS total_converted").
		Group("referred_by_id").Order("made DESC, converted DESC, referred_by_id").Limit(MaxReferrers).Scan(&top).Error; err != nil {
		return fmt.Errorf("report: engagement: referrals: %w", err)
	}
	if len(top) == 0 {
		return nil
	}
	e.ReferralsMade, e.ReferralsConverted = top[0].TotalMade, top[0].TotalConverted
	ids := make([]int64, len(top))
	for i, r := range top {
		ids[i] = r.MemberID
		e.Referrers = append(e.Referrers, r.Referrer)
	}
	var members []Member
	if err := db.Select("id, name, email, phone, marketing_opt_in").Where("id IN ?", ids).Find(&members).Error; err != nil {
		return fmt.Errorf("report: engagement: referrer names: %w", err)
	}
	byID := map[int64]Member{}
	for _, m := range members {
		byID[m.ID] = m
	}
	for i := range e.Referrers {
		r := &e.Referrers[i]
		m, ok := byID[r.MemberID]
		r.Name, r.Email, r.Phone, r.MarketingOptIn, r.ReferrerIsMember = m.Name, m.Email, m.Phone, m.MarketingOptIn, ok
		if !ok {
			r.Name = fmt.Sprintf("Member #%d (deleted)", r.MemberID)
		}
	}
	return nil
}

// staffAdjustments sums manual credits and debits per person over the
// range, most entries first. A user is named as the users list names them
// now; entries without a user by the name they carry.
func staffAdjustments(db *gorm.DB, p *Program, rng ReportRange) ([]StaffAdjustments, error) {
	var rows []DailyAdjustment
	if err := db.Model(&DailyAdjustment{}).
		Select("actor_user_id, actor_name, sum(credits) AS credits, sum(debits) AS debits, sum(entries) AS entries").
		Where("program_id = ? AND day >= ? AND day <= ?", p.ID, rng.FromDay, rng.ToDay).
		Group("actor_user_id, actor_name").Order("actor_user_id, actor_name").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("report: engagement: adjustments: %w", err)
	}
	var ids []int64
	for _, r := range rows {
		if r.ActorUserID != 0 {
			ids = append(ids, r.ActorUserID)
		}
	}
	names := map[int64]string{}
	if len(ids) > 0 {
		var users []User
		if err := db.Select("id, name").Where("id IN ?", ids).Find(&users).Error; err != nil {
			return nil, fmt.Errorf("report: engagement: adjusting users: %w", err)
		}
		for _, u := range users {
			names[u.ID] = u.Name
		}
	}
	var out []StaffAdjustments
	index := map[string]int{}
	for _, r := range rows {
		k, name := fmt.Sprintf("u%d", r.ActorUserID), r.ActorName
		if r.ActorUserID == 0 {
			k = "n" + r.ActorName
		} else if n, ok := names[r.ActorUserID]; ok {
			name = n
		}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, StaffAdjustments{ActorUserID: r.ActorUserID, Name: name})
		}
		s := &out[i]
		s.Entries, s.Credits, s.Debits = s.Entries+r.Entries, s.Credits+r.Credits, s.Debits+r.Debits
	}
	slices.SortStableFunc(out, func(a, b StaffAdjustments) int {
		return cmp.Or(cmp.Compare(b.Entries, a.Entries), strings.Compare(a.Name, b.Name))
	})
	return out, nil
}

// GoalMember is a member a little short of a goal.
type GoalMember struct {
	MemberID       int64
	Name           string
	Email, Phone   string
	MarketingOptIn bool
	Have           int64 // the balance, or the qualifying value
	GoalID         int64 // the tier or reward
	Goal           string
	Need           int64 // the threshold or cost
	Distance       int64 // Need - Have
}

// GoalList is a page of members within Within of a goal, nearest first.
type GoalList struct {
	Within      int64
	Total       int64
	Page, Pages int
	Members     []GoalMember
	// Unavailable says why there is no list for this program ("" when
	// there is one).
	Unavailable string
}

// GoalQuery is a goal list as asked for: the distance and the page, as
// typed ("" for the defaults).
type GoalQuery struct {
	Within, Page string
}

// MaxGoalDistance bounds the distance a goal list is asked for.
const MaxGoalDistance = maxUnits

// maxGoalPage bounds the page asked for; a page past the end shows the last.
const maxGoalPage = 1_000_000

// goalBand is the members whose value lies in [From, Need) and who meet
// Cond: their next goal is GoalID, Need away.
type goalBand struct {
	cond   string
	args   []any
	from   int64
	need   int64
	goalID int64
}

// parseGoal reads a goal query; what names the list in messages.
func parseGoal(q GoalQuery, what string, def int64) (within int64, page int, err error) {
	within, page = def, 1
	if s := strings.TrimSpace(q.Within); s != "" {
		n, perr := strconv.ParseInt(s, 10, 64)
		if perr != nil || n < 1 || n > MaxGoalDistance {
			return 0, 0, Errorf(EINVALID, "The distance to %s must be a whole number from 1 to %s; %q is not.",
				what, groupThousands(strconv.Itoa(MaxGoalDistance)), s)
		}
		within = n
	}
	if s := strings.TrimSpace(q.Page); s != "" {
		n, perr := strconv.Atoi(s)
		if perr != nil || n < 1 || n > maxGoalPage {
			return 0, 0, Errorf(EINVALID, "The page of the list near %s must be a whole number from 1 to %s; %q is not.",
				what, groupThousands(strconv.Itoa(maxGoalPage)), s)
		}
		page = n
	}
	return within, page, nil
}

// TiersListable reports whether the next-tier list can be drawn for the
// program: its qualifying value must be stored on the account.
func TiersListable(p *Program) bool { return p.tierValueStored() }

// MembersNearTier lists the program's members whose qualifying value is
// within the asked distance of their next earned tier (the first above
// both their tier and their value), a page of perPage at a time. Only a
// lifetime count of units earned is stored on the account (QualifyingValue
// reads it from there); any other tier rule is read from each member's
// history, which no list over every member can afford, so such a program
// gets no list and says why.
func MembersNearTier(db *gorm.DB, p *Program, q GoalQuery, perPage int) (*GoalList, error) {
	ladder, err := ListTiers(db, p.ID)
	if err != nil {
		return nil, err
	}
	var earned []Tier
	for _, t := range ladder {
		if !t.Paid {
			earned = append(earned, t)
		}
	}
	def := int64(1)
	if len(earned) > 1 {
		def = max(1, earned[1].Threshold/5)
	}
	within, page, err := parseGoal(q, "the next tier", def)
	if err != nil {
		return nil, err
	}
	switch {
	case !p.tierValueStored():
		return &GoalList{Within: within, Unavailable: "This program's tiers count " + tierRuleWords(p) +
			": each member's progress is summed from their history, which is too slow to do for every member, so there is no list. " +
			"It is drawn for programs whose tiers count points earned over the lifetime."}, nil
	case len(earned) < 2:
		return &GoalList{Within: within, Unavailable: "This program has no tier above its base tier."}, nil
	}
	// Tier i is next for a member below its threshold whose tier is below
	// it, and who has passed tier i-1's threshold or holds tier i-1.
	var bands []goalBand
	for i := 1; i < len(earned); i++ {
		below := make([]int64, i)
		for j := range below {
			below[j] = earned[j].ID
		}
		bands = append(bands, goalBand{
			cond: "(a.tier_id IS NULL OR a.tier_id IN ?) AND (a.lifetime_earned >= ? OR a.tier_id = ?)",
			args: []any{below, earned[i-1].Threshold, earned[i-1].ID},
			from: earned[i].Threshold - within, need: earned[i].Threshold, goalID: earned[i].ID,
		})
	}
	names := map[int64]string{}
	for _, t := range earned {
		names[t.ID] = t.Name
	}
	return goalMembers(db, p, "lifetime_earned", bands, names, within, page, perPage)
}

// tierRuleWords names a program's tier rule for a sentence.
func tierRuleWords(p *Program) string {
	metric := map[TierMetric]string{MetricPointsEarned: "points earned", MetricSpend: "spend", MetricVisits: "visits"}[p.TierMetric]
	window := map[TierWindow]string{WindowLifetime: "over the lifetime", WindowRolling12: "over the last 12 months",
		WindowCalendarYear: "over the calendar year"}[p.TierWindow]
	return metric + " " + window
}

// MembersNearReward lists the program's members whose balance is within
// the asked distance of the cheapest reward they cannot yet afford, among
// the rewards in the catalog today, in stock and open to their tier; a
// per-member limit is not considered.
func MembersNearReward(db *gorm.DB, p *Program, q GoalQuery, perPage int, now time.Time) (*GoalList, error) {
	m, err := GetMerchant(db)
	if err != nil {
		return nil, err
	}
	rewards, err := ListRewards(db, p.ID, false)
	if err != nil {
		return nil, err
	}
	today := now.In(m.Location()).Format(dateLayout)
	rewards = slices.DeleteFunc(rewards, func(r Reward) bool {
		return !r.ActiveOn(today) || r.Stock != nil && *r.Stock <= 0 || r.Cost <= 0
	})
	slices.SortStableFunc(rewards, func(a, b Reward) int { return cmp.Compare(a.Cost, b.Cost) })
	def := int64(1)
	if len(rewards) > 0 {
		def = max(1, rewards[0].Cost/5)
	}
	within, page, err := parseGoal(q, "a reward", def)
	if err != nil {
		return nil, err
	}
	if len(rewards) == 0 {
		return &GoalList{Within: within, Unavailable: "No reward of this program is in the catalog and in stock today."}, nil
	}
	ladder, err := ListTiers(db, p.ID)
	if err != nil {
		return nil, err
	}
	// Members with no tier, then each tier: the rewards open to them, as
	// redeemable checks. Tiers with the same rewards share their bands.
	groups := map[string][]*int64{}
	var order []string
	catalog := map[string][]Reward{}
	for _, tier := range append([]*Tier{nil}, tierPointers(ladder)...) {
		var open []Reward
		var sig strings.Builder
		for _, r := range rewards {
			need := TierByID(ladder, r.MinTierID)
			if need == nil || tier != nil && (tier.Paid || tier.Position >= need.Position) {
				open = append(open, r)
				fmt.Fprintf(&sig, "%d,", r.ID)
			}
		}
		k := sig.String()
		if _, seen := groups[k]; !seen {
			order = append(order, k)
			catalog[k] = open
		}
		var id *int64
		if tier != nil {
			id = &tier.ID
		}
		groups[k] = append(groups[k], id)
	}
	var bands []goalBand
	names := map[int64]string{}
	for _, k := range order {
		cond, args := tierGroupCond(groups[k], len(order) == 1)
		floor := int64(-1 << 62)
		for _, r := range catalog[k] {
			if r.Cost <= floor {
				continue // a reward of the same cost is already the goal
			}
			names[r.ID] = r.Name
			bands = append(bands, goalBand{cond: cond + " AND a.balance >= ?", args: append(slices.Clone(args), floor),
				from: r.Cost - within, need: r.Cost, goalID: r.ID})
			floor = r.Cost
		}
	}
	return goalMembers(db, p, "balance", bands, names, within, page, perPage)
}

func tierPointers(ladder []Tier) []*Tier {
	out := make([]*Tier, len(ladder))
	for i := range ladder {
		out[i] = &ladder[i]
	}
	return out
}

// tierGroupCond is the condition that an account holds one of tiers (nil
// for no tier); everyone when all is true.
func tierGroupCond(tiers []*int64, all bool) (string, []any) {
	if all {
		return "1 = 1", nil
	}
	var ids []int64
	none := false
	for _, t := range tiers {
		if t == nil {
			none = true
		} else {
			ids = append(ids, *t)
		}
	}
	switch {
	case none && len(ids) > 0:
		return "(a.tier_id IS NULL OR a.tier_id IN ?)", []any{ids}
	case none:
		return "a.tier_id IS NULL", nil
	}
	return "a.tier_id IN ?", []any{ids}
}

// goalMembers reads a page of the members in any of bands (which are
// disjoint), nearest first, with the count of all of them. Blocked members
// are left out: they can neither earn nor redeem, and are few. Each band
// is a range of the value's index, which also carries the member and the
// tier, so the count reads the index alone and a page merges each band's
// nearest rows: about a page per band, not the whole list.
func goalMembers(db *gorm.DB, p *Program, column string, bands []goalBand, names map[int64]string,
	within int64, page, perPage int) (*GoalList, error) {
	value := "a." + column
	band := func(b goalBand) (string, []any) {
		return fmt.Sprintf(`a.merchant_id = ? AND a.program_id = ? AND %s >= ? AND %s < ? AND %s
			AND a.member_id NOT IN (SELECT id FROM members WHERE merchant_id = ? AND blocked)`, value, value, b.cond),
			append(append([]any{p.MerchantID, p.ID, b.from, b.need}, b.args...), p.MerchantID)
	}
	counts := make([]string, len(bands))
	var countArgs []any
	for i, b := range bands {
		cond, args := band(b)
		counts[i] = "SELECT a.member_id FROM accounts a WHERE " + cond
		countArgs = append(countArgs, args...)
	}
	list := &GoalList{Within: within}
	if err := db.Raw("SELECT count(*) FROM ("+strings.Join(counts, " UNION ALL ")+") n", countArgs...).
		Scan(&list.Total).Error; err != nil {
		return nil, fmt.Errorf("report: goal list: count: %w", err)
	}
	list.Pages = max(1, int((list.Total+int64(perPage)-1)/int64(perPage)))
	list.Page = min(page, list.Pages)
	if list.Total == 0 {
		return list, nil
	}
	offset := (list.Page - 1) * perPage
	// Nearest first; among equals, the index's own order (the newest
	// member first), so no band needs sorting.
	parts := make([]string, len(bands))
	var args []any
	for i, b := range bands {
		cond, condArgs := band(b)
		parts[i] = fmt.Sprintf(`SELECT * FROM (SELECT a.member_id, %s AS have, CAST(? AS BIGINT) - %s AS distance,
			CAST(? AS BIGINT) AS goal_id FROM accounts a WHERE %s ORDER BY %s DESC, a.member_id DESC LIMIT ?) b%d`,
			value, value, cond, value, i)
		args = append(append(append(args, b.need, b.goalID), condArgs...), offset+perPage)
	}
	var rows []struct {
		ID             int64
		Name           string
		Email, Phone   string
		MarketingOptIn bool
		Have           int64
		Distance       int64
		GoalID         int64
	}
	args = append(args, perPage, offset, p.MerchantID)
	err := db.Raw(`SELECT m.id, m.name, m.email, m.phone, m.marketing_opt_in, n.have, n.distance, n.goal_id
		FROM (SELECT * FROM (`+strings.Join(parts, " UNION ALL ")+`) u ORDER BY distance, member_id DESC LIMIT ? OFFSET ?) n
		JOIN members m ON m.id = n.member_id AND m.merchant_id = ? ORDER BY n.distance, n.member_id DESC`, args...).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("report: goal list: %w", err)
	}
	for _, r := range rows {
		list.Members = append(list.Members, GoalMember{MemberID: r.ID, Name: r.Name, Email: r.Email, Phone: r.Phone,
			MarketingOptIn: r.MarketingOptIn, Have: r.Have, GoalID: r.GoalID, Goal: names[r.GoalID],
			Need: r.Have + r.Distance, Distance: r.Distance})
	}
	return list, nil
}
