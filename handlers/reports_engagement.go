package handlers

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/components"
	"github.com/regularshq/regulars/views/pages"
)

// goalPageSize is a goal list's page; goalCSVRows the most its CSV holds.
const (
	goalPageSize = 25
	goalCSVRows  = 10_000
)

// engagementReport is /reports/engagement: how members use one program.
func (a *App) engagementReport(c echo.Context) error {
	return a.serveReport(c, "engagement", "Engagement", func(rq *reportRequest) (reportPage, error) {
		programs, err := models.ListPrograms(rq.DB)
		if err != nil {
			return reportPage{}, err
		}
		p, err := reportProgram(c.QueryParam("program"), rq.Merchant, programs)
		if err != nil || p == nil {
			return reportPage{Body: pages.EngagementNoProgram()}, err
		}
		in, err := engagementParams(c, rq.CSV != "")
		if err != nil {
			return reportPage{}, err
		}
		d, err := loadEngagement(rq, p, in)
		if err != nil {
			return reportPage{}, err
		}
		return d.page(rq.Frame, programs), nil
	})
}

// engagementInput is what the page's address asks of the report.
type engagementInput struct {
	tier, reward models.GoalQuery
	perPage      int
	ruleID       int64 // 0: no rule opened
}

// engagementParams reads the goal lists' distances and pages and the
// rule opened; a CSV has the lists' first goalCSVRows members.
func engagementParams(c echo.Context, csv bool) (engagementInput, error) {
	in := engagementInput{
		tier:    models.GoalQuery{Within: c.QueryParam("tier_within"), Page: c.QueryParam("tier_page")},
		reward:  models.GoalQuery{Within: c.QueryParam("reward_within"), Page: c.QueryParam("reward_page")},
		perPage: goalPageSize,
	}
	if csv {
		in.tier.Page, in.reward.Page, in.perPage = "", "", goalCSVRows
	}
	if s := c.QueryParam("rule"); s != "" {
		id, err := parseID(s)
		if err != nil {
			return in, models.Errorf(models.EINVALID, "Choose a rule from the list of rules; %q is not one.", s)
		}
		in.ruleID = id
	}
	return in, nil
}

// engagementData is everything the page draws, loaded.
type engagementData struct {
	p                    *models.Program
	e                    *models.Engagement
	rule                 *models.EarningRule // nil when none is opened
	ruleWeeks            []models.RuleWeek
	nearTier, nearReward *models.GoalList
	recognition          *models.RecognitionUse // nil while recognition is off
}

func loadEngagement(rq *reportRequest, p *models.Program, in engagementInput) (*engagementData, error) {
	d := &engagementData{p: p}
	var err error
	// The goal lists refuse a bad distance or page before the report's
	// work; the report catches the rollups up, which the rule's weeks
	// then read.
	if d.nearTier, err = models.MembersNearTier(rq.DB, p, in.tier, in.perPage); err != nil {
		return nil, err
	}
	if d.nearReward, err = models.MembersNearReward(rq.DB, p, in.reward, in.perPage, rq.Now); err != nil {
		return nil, err
	}
	if d.e, err = models.EngagementReport(rq.DB, p, rq.Range, rq.Now); err != nil {
		return nil, err
	}
	if in.ruleID != 0 {
		if d.rule, d.ruleWeeks, err = models.RuleWeeks(rq.DB, p, in.ruleID, rq.Range); err != nil {
			return nil, err
		}
	}
	if d.recognition, err = models.RecognitionReport(rq.DB, rq.Now); err != nil {
		return nil, err
	}
	return d, nil
}

// page lays the loaded report out; the frame's query then asks for the
// same report again, which the page's links and forms keep.
func (d *engagementData) page(f *pages.ReportFrame, programs []models.Program) reportPage {
	p, q := d.p, f.Query
	q.Set("program", strconv.FormatInt(p.ID, 10))
	q.Set("tier_within", strconv.FormatInt(d.nearTier.Within, 10))
	q.Set("reward_within", strconv.FormatInt(d.nearReward.Within, 10))
	if d.rule != nil {
		q.Set("rule", strconv.FormatInt(d.rule.ID, 10))
	}
	tables := engagementTables(p, d.e, d.rule, d.ruleWeeks, d.nearTier, d.nearReward)
	v := engagementView(*f, p, d.e, tables)
	if d.recognition != nil {
		tables["recognition-pairs"] = reciprocalTable(d.recognition)
		v.Recognition = recognitionUseView(d.recognition, tables["recognition-pairs"])
	}
	for _, o := range programs {
		v.Programs = append(v.Programs, pages.ProgramChoice{Name: o.Name, Active: o.ID == p.ID,
			URL: f.With("program", strconv.FormatInt(o.ID, 10), "rule", "", "tier_page", "", "reward_page", "")})
	}
	if d.rule != nil {
		v.Rule = ruleSection(p, d.rule, d.ruleWeeks, tables["rule-weeks"])
	}
	v.NearTier = goalListView(*f, "near-tier", "Near their next tier", d.nearTier, p, tables["near-tier"],
		"tier_page", nearTierNote(d.nearTier, p))
	v.NearReward = goalListView(*f, "near-reward", "Near a reward", d.nearReward, p, tables["near-reward"],
		"reward_page", nearRewardNote(d.nearReward, p))
	v.Goals = goalForm(f, d.nearTier.Within, d.nearReward.Within)
	return reportPage{Body: pages.EngagementReport(v), Tables: tables}
}

// goalForm asks for the goal lists' distances, keeping the page's other
// parameters.
func goalForm(f *pages.ReportFrame, tierWithin, rewardWithin int64) pages.GoalForm {
	g := pages.GoalForm{Path: f.Path, TierWithin: strconv.FormatInt(tierWithin, 10),
		RewardWithin: strconv.FormatInt(rewardWithin, 10), Max: strconv.FormatInt(models.MaxGoalDistance, 10)}
	for _, k := range slices.Sorted(maps.Keys(f.Query)) {
		if k != "tier_within" && k != "reward_within" {
			g.Keep = append(g.Keep, components.Option{Label: k, Value: f.Query.Get(k)})
		}
	}
	return g
}

func wholeWeek(complete bool) string {
	if complete {
		return "yes"
	}
	return "so far"
}

// weeksNote says how every weekly table counts its weeks.
const weeksNote = "Each week the range touches, counted whole, Monday to Sunday in the business's time zone; the current week so far."

// engagementTables is every table of the page, as drawn and as its CSV.
func engagementTables(p *models.Program, e *models.Engagement, rule *models.EarningRule, ruleWeeks []models.RuleWeek,
	nearTier, nearReward *models.GoalList) map[string]reportTable {
	byWeek := "By week, Monday to Sunday"
	activity := reportTable{Caption: byWeek, Head: []string{"Week from", "Whole week", "Active members", "Visits", "Visits per active member"}}
	points := reportTable{Caption: byWeek, Head: []string{"Week from", "Whole week", "Earned", "Earn entries", "Redeemed", "Redemptions"}}
	rate := reportTable{Caption: byWeek, Head: []string{"Week from", "Whole week", "Purchases", "Purchases that earned", "Earning rate"}}
	for _, w := range e.Weeks {
		week, whole := textCell(w.Week), textCell(wholeWeek(w.Complete))
		activity.Rows = append(activity.Rows, []reportCell{week, whole, countCell(w.ActiveMembers), countCell(w.Visits),
			textCell(pages.Ratio(w.Visits, w.ActiveMembers))})
		points.Rows = append(points.Rows, []reportCell{week, whole, countCell(w.Earned), countCell(w.Earns),
			countCell(w.Redeemed), countCell(w.Redemptions)})
		rate.Rows = append(rate.Rows, []reportCell{week, whole, countCell(w.Purchases), countCell(w.EarningPurchases),
			textCell(pages.Share(w.EarningPurchases, w.Purchases))})
	}
	rules := reportTable{Head: []string{"Rule", "Kind", "Completions", "Paid (" + p.UnitLabel + ")"}}
	for _, r := range e.Rules {
		rules.Rows = append(rules.Rows, []reportCell{textCell(r.Name), textCell(r.Kind), countCell(r.Completions), countCell(r.Points)})
	}
	referrers := reportTable{Head: []string{"Referrer", "Referred", "Converted", "Email", "Phone", "Marketing opt-in"}}
	for _, r := range e.Referrers {
		referrers.Rows = append(referrers.Rows, []reportCell{textCell(r.Name), countCell(r.Made), countCell(r.Converted),
			textCell(r.Email), textCell(r.Phone), textCell(yesNo(r.MarketingOptIn))})
	}
	staff := reportTable{Caption: "By person, most adjustments first", Head: []string{"Person", "Adjustments", "Credited", "Debited", "Net"}}
	for _, s := range e.Adjustments {
		staff.Rows = append(staff.Rows, []reportCell{textCell(s.Name), countCell(s.Entries), countCell(s.Credits),
			countCell(s.Debits), countCell(s.Credits - s.Debits)})
	}
	tables := map[string]reportTable{"activity": activity, "points": points, "earning-rate": rate, "rules": rules,
		"referrers": referrers, "adjustments": staff,
		"near-tier":   goalTable(nearTier, "Next tier", "Qualifying value", "Threshold"),
		"near-reward": goalTable(nearReward, "Reward", "Balance", "Cost")}
	if rule != nil {
		t := reportTable{Caption: byWeek, Head: []string{"Week from", "Completions", "Paid"}}
		for _, w := range ruleWeeks {
			t.Rows = append(t.Rows, []reportCell{textCell(w.Week), countCell(w.Completions), countCell(w.Points)})
		}
		tables["rule-weeks"] = t
	}
	return tables
}

func goalTable(l *models.GoalList, goal, have, need string) reportTable {
	t := reportTable{Head: []string{"Member", "Distance", goal, have, need, "Email", "Phone", "Marketing opt-in"}}
	for _, m := range l.Members {
		t.Rows = append(t.Rows, []reportCell{textCell(m.Name), countCell(m.Distance), textCell(m.Goal), countCell(m.Have),
			countCell(m.Need), textCell(m.Email), textCell(m.Phone), textCell(yesNo(m.MarketingOptIn))})
	}
	return t
}

// linked is a table as the page shows it, with a link per row.
func linked(t reportTable, name, heading, note, empty string, links []string) pages.LinkedTable {
	v := t.view(name + "-table")
	v.Links, v.Empty, v.Stacked = links, empty, true
	return pages.LinkedTable{Name: name, Heading: heading, Note: note, Table: v}
}

// engagementView lays the report out: figures, then each table with its
// chart and how it is computed, exactly as the model computes it.
func engagementView(f pages.ReportFrame, p *models.Program, e *models.Engagement, tables map[string]reportTable) pages.EngagementView {
	v := pages.EngagementView{Frame: f, Program: p.Name, Figures: engagementFigures(p, e)}
	v.Activity, v.Points, v.EarningRate = weeklySections(p, e, tables)
	v.Rules, v.Referrals = linkedSections(f, e, tables)
	v.Adjustments = pages.EngagementSection{Name: "adjustments", Heading: "Manual adjustments per person (" + p.UnitLabel + ")",
		Table: tables["adjustments"].view("adjustments-table"),
		Note: "Credits and debits made by hand on the range's days, by the person who made them (named as the users list names them now; " +
			"entries without a user by the name they carry). Many or large adjustments by one person are worth a look."}
	return v
}

// engagementFigures are the page's headline numbers.
func engagementFigures(p *models.Program, e *models.Engagement) []pages.Figure {
	count, unit := components.FormatCount, p.UnitLabel
	active, visits, complete := e.ActiveAverage()
	over := fmt.Sprintf("averaged over the %d whole weeks the range touches; the current week is left out until it ends", complete)
	if complete == 0 {
		over = "in the current week so far, as the range touches no whole week"
	}
	var completions int64
	for _, r := range e.Rules {
		completions += r.Completions
	}
	var adjusted, net int64
	for _, s := range e.Adjustments {
		adjusted, net = adjusted+s.Entries, net+s.Credits-s.Debits
	}
	return []pages.Figure{
		{Label: "Weekly active members", Value: strconv.FormatFloat(active, 'f', 1, 64), TestID: "weekly-active",
			Note: "Members with at least one purchase in a Monday-to-Sunday week, in any program, " + over + "."},
		{Label: "Visits per active member", Value: strconv.FormatFloat(visits, 'f', 2, 64), TestID: "visits-per-active",
			Note: "Members' purchases in those weeks ÷ the weeks' active members, added up over the same weeks."},
		{Label: "Earned (" + unit + ")", Value: count(e.Earned), TestID: "earned",
			Note: fmt.Sprintf("%s entries. What purchases, earning rules, campaigns and recognition paid on the range's days, less refund clawbacks; "+
				"manual credits and opening balances are staff's doing and are under adjustments.", count(e.Earns))},
		{Label: "Redeemed (" + unit + ")", Value: count(e.Redeemed), TestID: "redeemed",
			Note: fmt.Sprintf("%s redemptions. Spent on rewards and store credit on the range's days, less the redemptions cancelled on them: "+
				"a cancel counts on the day it is made.", count(e.Redemptions))},
		{Label: "Rule completions", Value: count(completions), TestID: "completions",
			Note: "Awards of earning rules and the sign-up bonus on the range's days; a referral that pays both members is one."},
		{Label: "Referrals converted", Value: count(e.ReferralsConverted) + " of " + count(e.ReferralsMade), TestID: "referrals",
			Note: "Members who joined in the range referred by another member, and how many of them have made a purchase since (to date)."},
		{Label: "Order earning rate", Value: pages.Share(e.EarningPurchases, e.Purchases), TestID: "earning-rate",
			Note: fmt.Sprintf("%s of %s purchases on the range's days earned something in any program; anonymous sales count and earn nothing. "+
				"A low rate means the till is not asking for the card.", count(e.EarningPurchases), count(e.Purchases))},
		{Label: "Manual adjustments", Value: count(adjusted), TestID: "adjustments",
			Note: fmt.Sprintf("Credits and debits by hand on the range's days, net %+d %s; by person below.", net, unit)},
	}
}

// weeklySections are the week-by-week tables with their charts.
func weeklySections(p *models.Program, e *models.Engagement, tables map[string]reportTable) (activity, points, rate pages.EngagementSection) {
	labels := make([]string, len(e.Weeks))
	var activeS, visitS, earnedS, redeemedS, rateS []int64
	for i, w := range e.Weeks {
		labels[i] = weekLabel(w.Week)
		activeS, visitS = append(activeS, w.ActiveMembers), append(visitS, w.Visits)
		earnedS, redeemedS = append(earnedS, w.Earned), append(redeemedS, w.Redeemed)
		rateS = append(rateS, pages.ShareBasisPoints(w.EarningPurchases, w.Purchases))
	}
	activity = pages.EngagementSection{Name: "activity", Heading: "Active members and visits", Line: true,
		Table: tables["activity"].view("activity-table"),
		Note:  weeksNote + " Active: members with a purchase that week, in any program. Visits: members' purchases.",
		Chart: &components.Chart{ID: "activity-chart", Title: "Active members and visits per week", Labels: labels,
			Desc:   "Weekly active members and their visits, one point per week.",
			Series: []components.Series{{Name: "Active members", Values: activeS}, {Name: "Visits", Values: visitS}}}}
	points = pages.EngagementSection{Name: "points", Heading: "Earned and redeemed per week (" + p.UnitLabel + ")",
		Table: tables["points"].view("points-table"),
		Note:  weeksNote + " Earned and redeemed as in the figures above, by the day each entry was posted.",
		Chart: &components.Chart{ID: "points-chart", Title: "Earned and redeemed per week", Labels: labels,
			Desc:   "Units earned and redeemed in " + p.Name + " each week.",
			Series: []components.Series{{Name: "Earned", Values: earnedS}, {Name: "Redeemed", Values: redeemedS}}}}
	rate = pages.EngagementSection{Name: "earning-rate", Heading: "Order earning rate per week", Line: true,
		Table: tables["earning-rate"].view("earning-rate-table"),
		Note:  weeksNote + " Purchases that earned something in any program ÷ all purchases, members' and anonymous.",
		Chart: &components.Chart{ID: "earning-rate-chart", Title: "Share of purchases that earned, per week", Labels: labels,
			Desc: "The order earning rate each week.", Format: components.FormatBasisPoints,
			Series: []components.Series{{Name: "Earning rate", Values: rateS}}}}
	return activity, points, rate
}

// linkedSections are the rules, each opening its weeks, and the
// referrers, each opening their member page.
func linkedSections(f pages.ReportFrame, e *models.Engagement, tables map[string]reportTable) (rules, referrals pages.LinkedTable) {
	links := make([]string, len(e.Rules))
	for i, r := range e.Rules {
		if r.Exists {
			links[i] = f.With("rule", strconv.FormatInt(r.RuleID, 10))
		}
	}
	rules = linked(tables["rules"], "rules", "Completions per earning rule",
		"On the range's days. A rule earning carries its rule in its ledger key (rule, member, period), the one field "+
			"every rule earning has and nothing rewrites; the reason is the rule's name at the time. Open a rule for its weeks.",
		"This program has no earning rules.", links)
	links = make([]string, len(e.Referrers))
	for i, r := range e.Referrers {
		if r.ReferrerIsMember {
			links[i] = "/members/" + strconv.FormatInt(r.MemberID, 10)
		}
	}
	referrals = linked(tables["referrers"], "referrers", "Referrals by referrer",
		fmt.Sprintf("Up to %d members who referred the most members joining in the range; converted: those referred who have "+
			"made a purchase since (to date).", models.MaxReferrers), "Nobody referred joined in this range.", links)
	return rules, referrals
}

// ruleSection is one rule's completions, week by week.
func ruleSection(p *models.Program, rule *models.EarningRule, weeks []models.RuleWeek, t reportTable) *pages.EngagementSection {
	labels := make([]string, len(weeks))
	values := make([]int64, len(weeks))
	for i, w := range weeks {
		labels[i], values[i] = weekLabel(w.Week), w.Completions
	}
	return &pages.EngagementSection{Name: "rule-weeks", Heading: rule.Name + ", week by week", Table: t.view("rule-weeks-table"),
		Note: weeksNote + " What the rule paid in " + p.UnitLabel + ".",
		Chart: &components.Chart{ID: "rule-weeks-chart", Title: rule.Name + " completions per week", Labels: labels,
			Desc: "Completions of the rule each week.", Series: []components.Series{{Name: "Completions", Values: values}}}}
}

// goalListView lays out a goal list and its pager (pageKey).
func goalListView(f pages.ReportFrame, name, heading string, l *models.GoalList, p *models.Program, t reportTable,
	pageKey, note string) pages.GoalListView {
	links := make([]string, len(l.Members))
	for i, m := range l.Members {
		links[i] = "/members/" + strconv.FormatInt(m.MemberID, 10)
	}
	g := pages.GoalListView{LinkedTable: linked(t, name, heading, note, "Nobody is this near right now: try a larger distance.",
		links), Unavailable: l.Unavailable}
	g.Summary = fmt.Sprintf("%s within %s, nearest first.", quantity(components.FormatCount(l.Total), "members"),
		quantity(components.FormatCount(l.Within), p.UnitLabel))
	g.Page = fmt.Sprintf("Page %d of %d", l.Page, l.Pages)
	if l.Page > 1 {
		g.PrevURL = f.With(pageKey, strconv.Itoa(l.Page-1))
	}
	if l.Page < l.Pages {
		g.NextURL = f.With(pageKey, strconv.Itoa(l.Page+1))
	}
	return g
}

func nearTierNote(l *models.GoalList, p *models.Program) string {
	return fmt.Sprintf("Members with an account in %s whose qualifying value (%s earned over the lifetime, the value tiers count) is "+
		"within %d of the threshold of their next tier: the first earned tier above both their tier and their value. Members of a paid "+
		"tier or the top tier, and blocked members, are not listed. As of now: the range does not apply. The CSV holds the nearest %s.",
		p.Name, p.UnitLabel, l.Within, components.FormatCount(goalCSVRows))
}

func nearRewardNote(l *models.GoalList, p *models.Program) string {
	return fmt.Sprintf("Members with an account in %s whose balance is within %d %s of the cheapest reward they cannot yet afford, "+
		"among the rewards in the catalog today, in stock and open to their tier (a per-member limit is not checked). Blocked members "+
		"are not listed. As of now: the range does not apply. The CSV holds the nearest %s.",
		p.Name, l.Within, p.UnitLabel, components.FormatCount(goalCSVRows))
}

func reciprocalTable(u *models.RecognitionUse) reportTable {
	t := reportTable{Head: []string{"Person", "Gave", "Person", "Gave back"}}
	for _, r := range u.Reciprocal {
		t.Rows = append(t.Rows, []reportCell{textCell(r.A), countCell(r.AToB), textCell(r.B), countCell(r.BToA)})
	}
	return t
}

// recognitionUseView is recognition's part of the page: as of now, like
// the goal lists, since the settings say who is allowed today.
func recognitionUseView(u *models.RecognitionUse, pairs reportTable) *pages.RecognitionUseView {
	count := components.FormatCount
	asOf := "As of now: the range does not apply. "
	t := pairs.view("recognition-pairs-table")
	t.Empty = "No two people gave each other more than half of the monthly allowance this month."
	return &pages.RecognitionUseView{
		Figures: []pages.Figure{
			{Label: "Givers who gave", Value: pages.Share(u.Gave, u.Givers), TestID: "recognition-givers",
				Note: fmt.Sprintf("%s%s of the %s people the settings allow to give gave a recognition in the last 30 days; hidden ones do not count.",
					asOf, count(u.Gave), count(u.Givers))},
			{Label: "Receivers recognised", Value: pages.Share(u.Received, u.Receivers), TestID: "recognition-receivers",
				Note: fmt.Sprintf("%s%s of the %s people allowed to receive were recognised in the last 30 days; the feed's nudge names the others.",
					asOf, count(u.Received), count(u.Receivers))},
			{Label: "Allowance used", Value: pages.Share(u.AllowanceUsed, u.AllowanceTotal), TestID: "recognition-allowance",
				Note: fmt.Sprintf("%s of %s points this month (%s): what givers gave, including recognitions hidden since, over the sum of "+
					"each allowed giver's monthly allowance (their role's, where set; else %s).", count(u.AllowanceUsed), count(u.AllowanceTotal), u.Month, count(u.Allowance))},
		},
		Pairs: pages.EngagementSection{Name: "recognition-pairs", Heading: "Points going back and forth", Table: t,
			Note: fmt.Sprintf("Pairs who each gave the other more than half of the monthly allowance (%s points) this month (%s), "+
				"hidden recognitions left out: worth a look, as the per-pair maximum is there against trading points.", count(u.Allowance), u.Month)},
	}
}
