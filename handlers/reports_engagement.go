package handlers

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

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
		p, err := reportProgram(rq, c.QueryParam("program"), programs)
		if err != nil || p == nil {
			return reportPage{Body: pages.EngagementNoProgram()}, err
		}
		tierQ := models.GoalQuery{Within: c.QueryParam("tier_within"), Page: c.QueryParam("tier_page")}
		rewardQ := models.GoalQuery{Within: c.QueryParam("reward_within"), Page: c.QueryParam("reward_page")}
		perPage := goalPageSize
		if rq.CSV != "" {
			tierQ.Page, rewardQ.Page, perPage = "", "", goalCSVRows
		}
		nearTier, err := models.MembersNearTier(rq.DB, p, tierQ, perPage)
		if err != nil {
			return reportPage{}, err
		}
		nearReward, err := models.MembersNearReward(rq.DB, p, rewardQ, perPage, rq.Now)
		if err != nil {
			return reportPage{}, err
		}
		var ruleID int64
		if s := c.QueryParam("rule"); s != "" {
			if ruleID, err = strconv.ParseInt(s, 10, 64); err != nil || ruleID <= 0 {
				return reportPage{}, models.Errorf(models.EINVALID, "Choose a rule from the list of rules; %q is not one.", s)
			}
		}
		// Bad input is refused above, before the report's work; the
		// report catches the rollups up, which the rule's weeks then read.
		e, err := models.EngagementReport(rq.DB, p, rq.Range, rq.Now)
		if err != nil {
			return reportPage{}, err
		}
		var rule *models.EarningRule
		var ruleWeeks []models.RuleWeek
		if ruleID != 0 {
			if rule, ruleWeeks, err = models.RuleWeeks(rq.DB, p, ruleID, rq.Range); err != nil {
				return reportPage{}, err
			}
		}
		q := rq.Frame.Query
		q.Set("program", strconv.FormatInt(p.ID, 10))
		q.Set("tier_within", strconv.FormatInt(nearTier.Within, 10))
		q.Set("reward_within", strconv.FormatInt(nearReward.Within, 10))
		ruleParam := ""
		if rule != nil {
			ruleParam = strconv.FormatInt(rule.ID, 10)
			q.Set("rule", ruleParam)
		}
		options := make([]components.Option, len(programs))
		for i, o := range programs {
			options[i] = components.Option{Value: strconv.FormatInt(o.ID, 10), Label: o.Name}
		}
		rq.Frame.Controls = pages.EngagementControls(options, strconv.FormatInt(p.ID, 10),
			strconv.FormatInt(nearTier.Within, 10), strconv.FormatInt(nearReward.Within, 10), ruleParam, models.MaxGoalDistance)
		v := engagementView(*rq.Frame, p, e, rule, ruleWeeks)
		v.NearTier = goalListView(*rq.Frame, "near-tier", "Near their next tier", nearTier, p,
			"Qualifying value", "Next tier", "Threshold", "tier_page", nearTierNote(nearTier, p))
		v.NearReward = goalListView(*rq.Frame, "near-reward", "Near a reward", nearReward, p,
			"Balance", "Reward", "Cost", "reward_page", nearRewardNote(nearReward, p))
		return reportPage{Body: pages.EngagementReport(v), Tables: engagementTables(v)}, nil
	})
}

// reportProgram is the program a report page is about: the one asked
// for (another merchant's is a 404), else the merchant's preferred one,
// else the first; nil when there is none.
func reportProgram(rq *reportRequest, asked string, programs []models.Program) (*models.Program, error) {
	if asked = strings.TrimSpace(asked); asked != "" {
		id, err := strconv.ParseInt(asked, 10, 64)
		if err != nil || id <= 0 {
			return nil, models.Errorf(models.EINVALID, "Choose a program from the list; %q is not one.", asked)
		}
		return models.GetProgram(rq.DB, id)
	}
	if p := rq.Merchant.PreferredProgram(programs); p != nil {
		return p, nil
	}
	if len(programs) > 0 {
		return &programs[0], nil
	}
	return nil, nil
}

// weekLabel is a week's Monday for a chart axis: "2 Mar".
func weekLabel(day string) string {
	t, err := time.Parse("2006-01-02", day)
	if err != nil {
		return day
	}
	return t.Format("2 Jan")
}

func wholeWeek(complete bool) string {
	if complete {
		return "yes"
	}
	return "so far"
}

// engagementView lays the report out: figures, then each table with its
// chart and how it is computed, exactly as the model computes it.
func engagementView(f pages.ReportFrame, p *models.Program, e *models.Engagement, rule *models.EarningRule, ruleWeeks []models.RuleWeek) pages.EngagementView {
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
	v := pages.EngagementView{Frame: f, Program: p.Name, Figures: []pages.Figure{
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
	}}
	labels := make([]string, len(e.Weeks))
	var activeS, visitS, earnedS, redeemedS, rateS []int64
	activity := components.Table{ID: "activity-table", Caption: "By week, Monday to Sunday",
		Head: []string{"Week from", "Whole week", "Active members", "Visits", "Visits per active member"}}
	points := components.Table{ID: "points-table", Caption: "By week, Monday to Sunday",
		Head: []string{"Week from", "Whole week", "Earned", "Earn entries", "Redeemed", "Redemptions"}}
	rate := components.Table{ID: "earning-rate-table", Caption: "By week, Monday to Sunday",
		Head: []string{"Week from", "Whole week", "Purchases", "Purchases that earned", "Earning rate"}}
	for i, w := range e.Weeks {
		labels[i] = weekLabel(w.Week)
		activeS, visitS = append(activeS, w.ActiveMembers), append(visitS, w.Visits)
		earnedS, redeemedS = append(earnedS, w.Earned), append(redeemedS, w.Redeemed)
		rateS = append(rateS, pages.ShareBasisPoints(w.EarningPurchases, w.Purchases))
		activity.Rows = append(activity.Rows, []string{w.Week, wholeWeek(w.Complete), count(w.ActiveMembers), count(w.Visits),
			pages.Ratio(w.Visits, w.ActiveMembers)})
		points.Rows = append(points.Rows, []string{w.Week, wholeWeek(w.Complete), count(w.Earned), count(w.Earns),
			count(w.Redeemed), count(w.Redemptions)})
		rate.Rows = append(rate.Rows, []string{w.Week, wholeWeek(w.Complete), count(w.Purchases), count(w.EarningPurchases),
			pages.Share(w.EarningPurchases, w.Purchases)})
	}
	weeks := "Each week the range touches, counted whole, Monday to Sunday in the business's time zone; the current week so far."
	v.Activity = pages.EngagementSection{Name: "activity", Heading: "Active members and visits", Line: true, Table: activity,
		Note: weeks + " Active: members with a purchase that week, in any program. Visits: members' purchases.",
		Chart: &components.Chart{ID: "activity-chart", Title: "Active members and visits per week", Labels: labels,
			Desc:   "Weekly active members and their visits, one point per week.",
			Series: []components.Series{{Name: "Active members", Values: activeS}, {Name: "Visits", Values: visitS}}}}
	v.Points = pages.EngagementSection{Name: "points", Heading: "Earned and redeemed per week (" + unit + ")", Table: points,
		Note: weeks + " Earned and redeemed as in the figures above, by the day each entry was posted.",
		Chart: &components.Chart{ID: "points-chart", Title: "Earned and redeemed per week", Labels: labels,
			Desc:   "Units earned and redeemed in " + p.Name + " each week.",
			Series: []components.Series{{Name: "Earned", Values: earnedS}, {Name: "Redeemed", Values: redeemedS}}}}
	v.EarningRate = pages.EngagementSection{Name: "earning-rate", Heading: "Order earning rate per week", Line: true, Table: rate,
		Note: weeks + " Purchases that earned something in any program ÷ all purchases, members' and anonymous.",
		Chart: &components.Chart{ID: "earning-rate-chart", Title: "Share of purchases that earned, per week", Labels: labels,
			Desc: "The order earning rate each week.", Format: components.FormatBasisPoints,
			Series: []components.Series{{Name: "Earning rate", Values: rateS}}}}
	v.Rules = pages.LinkedTable{Name: "rules", Heading: "Completions per earning rule", NumCols: []int{2, 3}, Empty: "This program has no earning rules.",
		Head: []string{"Rule", "Kind", "Completions", "Paid (" + unit + ")"},
		Note: "On the range's days. A rule earning carries its rule in its ledger key (rule, member, period), the one field " +
			"every rule earning has and nothing rewrites; the reason is the rule's name at the time. Open a rule for its weeks."}
	for _, r := range e.Rules {
		link := ""
		if r.Exists {
			link = withParam(f, "rule", strconv.FormatInt(r.RuleID, 10))
		}
		v.Rules.Rows = append(v.Rules.Rows, []string{r.Name, r.Kind, count(r.Completions), count(r.Points)})
		v.Rules.Links = append(v.Rules.Links, link)
	}
	if rule != nil {
		t := components.Table{ID: "rule-weeks-table", Caption: "By week, Monday to Sunday", Head: []string{"Week from", "Completions", "Paid"}}
		var values []int64
		for _, w := range ruleWeeks {
			t.Rows = append(t.Rows, []string{w.Week, count(w.Completions), count(w.Points)})
			values = append(values, w.Completions)
		}
		v.Rule = &pages.EngagementSection{Name: "rule-weeks", Heading: rule.Name + ", week by week", Table: t, Note: weeks,
			Chart: &components.Chart{ID: "rule-weeks-chart", Title: rule.Name + " completions per week", Labels: labels,
				Desc: "Completions of the rule each week.", Series: []components.Series{{Name: "Completions", Values: values}}}}
	}
	v.Referrals = pages.LinkedTable{Name: "referrers", Heading: "Referrals by referrer", NumCols: []int{1, 2},
		Empty: "Nobody referred joined in this range.",
		Head:  []string{"Referrer", "Referred", "Converted", "Email", "Phone", "Marketing opt-in"},
		Note: fmt.Sprintf("Up to %d members who referred the most members joining in the range; converted: those referred who have "+
			"made a purchase since (to date).", models.MaxReferrers)}
	for _, r := range e.Referrers {
		link := ""
		if r.ReferrerIsMember {
			link = "/members/" + strconv.FormatInt(r.MemberID, 10)
		}
		v.Referrals.Rows = append(v.Referrals.Rows, []string{r.Name, count(r.Made), count(r.Converted), r.Email, r.Phone, yesNo(r.MarketingOptIn)})
		v.Referrals.Links = append(v.Referrals.Links, link)
	}
	staff := components.Table{ID: "adjustments-table", Caption: "By person, most adjustments first",
		Head: []string{"Person", "Adjustments", "Credited", "Debited", "Net"}}
	for _, s := range e.Adjustments {
		staff.Rows = append(staff.Rows, []string{s.Name, count(s.Entries), count(s.Credits), count(s.Debits), count(s.Credits - s.Debits)})
	}
	v.Adjustments = pages.EngagementSection{Name: "adjustments", Heading: "Manual adjustments per person (" + unit + ")", Table: staff,
		Note: "Credits and debits made by hand on the range's days, by the person who made them (named as the users list names them now; " +
			"entries without a user by the name they carry). Many or large adjustments by one person are worth a look."}
	return v
}

// withParam is the page's address with one parameter set.
func withParam(f pages.ReportFrame, key, value string) string {
	q := url.Values{}
	for k, vs := range f.Query {
		q[k] = vs
	}
	q.Set(key, value)
	return f.Path + "?" + q.Encode()
}

// goalListView lays out a goal list and its pager (pageKey).
func goalListView(f pages.ReportFrame, name, heading string, l *models.GoalList, p *models.Program,
	have, goal, need, pageKey, note string) pages.GoalListView {
	g := pages.GoalListView{LinkedTable: pages.LinkedTable{Name: name, Heading: heading, Note: note, NumCols: []int{1, 3, 4},
		Empty: "Nobody is this near right now: try a larger distance.",
		Head:  []string{"Member", "Distance", goal, have, need, "Email", "Phone", "Marketing opt-in"}},
		Unavailable: l.Unavailable}
	for _, m := range l.Members {
		g.Rows = append(g.Rows, []string{m.Name, components.FormatCount(m.Distance), m.Goal, components.FormatCount(m.Have),
			components.FormatCount(m.Need), m.Email, m.Phone, yesNo(m.MarketingOptIn)})
		g.Links = append(g.Links, "/members/"+strconv.FormatInt(m.MemberID, 10))
	}
	g.Summary = fmt.Sprintf("%s members within %s %s, nearest first.", components.FormatCount(l.Total),
		components.FormatCount(l.Within), p.UnitLabel)
	g.Page = fmt.Sprintf("Page %d of %d", l.Page, l.Pages)
	if l.Page > 1 {
		g.PrevURL = withParam(f, pageKey, strconv.Itoa(l.Page-1))
	}
	if l.Page < l.Pages {
		g.NextURL = withParam(f, pageKey, strconv.Itoa(l.Page+1))
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

// engagementTables is every table of the page as its CSV has it: what the
// page shows, with numbers written plain (1234, not 1,234).
func engagementTables(v pages.EngagementView) map[string]reportTable {
	tables := map[string]reportTable{}
	add := func(name string, head []string, rows [][]string, isNum func(int) bool) {
		t := reportTable{Header: head}
		for _, row := range rows {
			plain := slices.Clone(row)
			for i := range plain {
				if isNum(i) {
					plain[i] = strings.ReplaceAll(plain[i], ",", "")
				}
			}
			t.Rows = append(t.Rows, plain)
		}
		tables[name] = t
	}
	from := func(first int) func(int) bool { return func(i int) bool { return i >= first } }
	for _, s := range []pages.EngagementSection{v.Activity, v.Points, v.EarningRate} {
		add(s.Name, s.Table.Head, s.Table.Rows, from(2))
	}
	add(v.Adjustments.Name, v.Adjustments.Table.Head, v.Adjustments.Table.Rows, from(1))
	if v.Rule != nil {
		add(v.Rule.Name, v.Rule.Table.Head, v.Rule.Table.Rows, from(1))
	}
	for _, t := range []pages.LinkedTable{v.Rules, v.Referrals, v.NearTier.LinkedTable, v.NearReward.LinkedTable} {
		add(t.Name, t.Head, t.Rows, t.IsNum)
	}
	return tables
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
