package handlers

import (
	"fmt"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/components"
	"github.com/regularshq/regulars/views/pages"
)

// economicsReport is the program economics page, for one program at a
// time (?program=…; the merchant's preferred program when none is asked).
func (a *App) economicsReport(c echo.Context) error {
	return a.serveReport(c, "economics", "Program economics", func(rq *reportRequest) (reportPage, error) {
		programs, err := models.ListPrograms(rq.DB)
		if err != nil {
			return reportPage{}, err
		}
		p, err := reportProgram(c.QueryParam("program"), rq.Merchant, programs)
		if err != nil || p == nil {
			return reportPage{Body: pages.EconomicsNoProgram()}, err
		}
		rq.Frame.Query.Set("program", strconv.FormatInt(p.ID, 10))
		e, err := models.GetEconomics(rq.DB, p.ID, rq.Range, rq.Now)
		if err != nil {
			return reportPage{}, err
		}
		v, tables := economicsView(e)
		v.Frame = *rq.Frame
		for _, o := range programs {
			v.Programs = append(v.Programs, pages.ProgramChoice{Name: o.Name, Active: o.ID == p.ID,
				URL: rq.Frame.With("program", strconv.FormatInt(o.ID, 10))})
		}
		return reportPage{Body: pages.EconomicsReport(v), Tables: tables}, nil
	})
}

// economicsView words the figures and the tables, which the page draws
// and the CSV sends from the same cells.
func economicsView(e *models.Economics) (pages.EconomicsView, map[string]reportTable) {
	f := economicsFormat{e: e, cur: e.Currency, unit: e.Program.UnitLabel, tables: map[string]reportTable{}}
	v := pages.EconomicsView{Program: e.Program.Name, Figures: f.figures()}
	v.Aging = f.aging()
	v.Statement, v.StatementMoney = f.statement()
	v.Segments = f.segments()
	v.Rewards = f.rewards()
	return v, f.tables
}

// economicsFormat words one program's economics, collecting the tables
// by their CSV names as it goes.
type economicsFormat struct {
	e         *models.Economics
	cur, unit string
	tables    map[string]reportTable
}

func (f economicsFormat) points(n int64) string { return components.FormatCount(n) + " " + f.unit }
func (f economicsFormat) value(n int64) string  { return f.e.Value(n) + " " + f.cur }

// valueCell is points at the program's value of one, exact.
func (f economicsFormat) valueCell(n int64) reportCell {
	return reportCell{Text: f.value(n), CSV: f.e.Value(n)}
}

func (economicsFormat) percent(bp int64, ok bool) string {
	return orNone(textCell(components.FormatBasisPoints(bp)), ok).Text
}

// orNone is c, or where there is no figure a dash on the page and an
// empty CSV cell.
func orNone(c reportCell, ok bool) reportCell {
	if !ok {
		return reportCell{Text: "—", CSV: ""}
	}
	return c
}

// section keeps t as the table name and frames it for the page.
func (f economicsFormat) section(name, heading, note string, t reportTable) pages.EngagementSection {
	f.tables[name] = t
	return pages.EngagementSection{Name: name, Heading: heading, Note: note, Table: t.view("economics-table-" + name)}
}

const economicsIssuedWords = "Issued = purchase earnings, rule and campaign bonuses, manual credits, opening balances and recognition, less refund clawbacks."

func (f economicsFormat) figures() []pages.Figure {
	e, unit := f.e, f.unit
	rangeWords := "in the range"
	if e.AllTime {
		rangeWords = "over all time"
	}
	var rewardsCost, redemptions int64
	for _, r := range e.Rewards {
		rewardsCost += r.ValueMinor
		redemptions += r.Redemptions
	}
	inRange, rangeOK := e.InRange.Breakage()
	life, lifeOK := e.Lifetime.Breakage()
	return []pages.Figure{
		{Label: "Outstanding " + unit, Value: f.points(e.Outstanding), TestID: "outstanding",
			Note: fmt.Sprintf("Today (%s), whatever the range: what is left of every earning after spending oldest first — redemptions, debits and clawbacks take from the oldest earnings, an expiry from the lapsed ones, a cancelled redemption gives back to the earnings it took from. A balance below zero counts as nothing.", e.Today)},
		{Label: "Liability", Value: f.value(e.Outstanding), TestID: "liability",
			Note: fmt.Sprintf("Outstanding %s × the value of one (%s), exact.", unit, f.value(1))},
		{Label: "Forecast cost of the liability", Value: money(e.ForecastMinor(), f.cur), TestID: "forecast",
			Note: fmt.Sprintf("Outstanding %s × (1 − lifetime breakage %s) × %s, rounded to the minor unit: as much of today's balance is expected to lapse as has lapsed of everything issued so far; the rest to be redeemed at its value.", unit, f.percent(life, lifeOK), f.value(1))},
		{Label: "Breakage " + rangeWords, Value: f.percent(inRange, rangeOK), TestID: "breakage-range",
			Note: fmt.Sprintf("Expired (%s) ÷ issued (%s), entries dated in the range. %s It can pass 100%% when what lapses in the range was issued before it.", f.points(e.InRange.Expired), f.points(e.InRange.Issued), economicsIssuedWords)},
		{Label: "Breakage, lifetime", Value: f.percent(life, lifeOK), TestID: "breakage-lifetime",
			Note: fmt.Sprintf("Expired (%s) ÷ issued (%s), every entry of the program. %s", f.points(e.Lifetime.Expired), f.points(e.Lifetime.Issued), economicsIssuedWords)},
		{Label: "Cost of rewards redeemed", Value: money(rewardsCost, f.cur), TestID: "rewards-cost",
			Note: fmt.Sprintf("%s redemptions %s: the value set on each reward redeemed, for vouchers issued on days in the range and not cancelled (used or still open). Rewards without a value (percent off) count as nothing.", components.FormatCount(redemptions), rangeWords)},
	}
}

func (f economicsFormat) aging() pages.EngagementSection {
	t := reportTable{Head: []string{"Earned", "Outstanding " + f.unit, "Value (" + f.cur + ")"}}
	bars := components.Series{Name: "Outstanding " + f.unit}
	var labels []string
	for _, b := range f.e.Aging {
		t.Rows = append(t.Rows, []reportCell{textCell(b.Label), countCell(b.Points), f.valueCell(b.Points)})
		labels = append(labels, b.Label)
		bars.Values = append(bars.Values, b.Points)
	}
	s := f.section("aging", "Liability by age",
		"Outstanding "+f.unit+" today by the calendar month (in the business's time zone) they were earned, counted back from this month: 0–3 months is this month and the two before, 3–6 the three before those, then 6–12, and 12+ is a year ago or more.", t)
	s.Chart = &components.Chart{ID: "economics-aging", Title: "Outstanding " + f.unit + " by age",
		Desc: "Bars: outstanding " + f.unit + " for each age band, oldest on the right.", Labels: labels, Series: []components.Series{bars}}
	return s
}

// statement is the month-end statement in points, with its closing
// balances as a line, and the same in money.
func (f economicsFormat) statement() (pages.EngagementSection, pages.EngagementSection) {
	lines := []string{"Opening", "Issued", "Reversed", "Redeemed", "Expired", "Closing"}
	inPoints := reportTable{Caption: "In " + f.unit, Head: append([]string{"Month"}, lines...)}
	inMoney := reportTable{Caption: "In " + f.cur, Head: []string{"Month"}}
	for _, l := range lines {
		inMoney.Head = append(inMoney.Head, l+" ("+f.cur+")")
	}
	closing := components.Series{Name: "Closing balance"}
	var months []string
	for _, s := range f.e.Statement {
		row, moneyRow := []reportCell{textCell(s.Month)}, []reportCell{textCell(s.Month)}
		for _, n := range []int64{s.Opening, s.Issued, s.Reversed, s.Redeemed, s.Expired, s.Closing} {
			row, moneyRow = append(row, countCell(n)), append(moneyRow, f.valueCell(n))
		}
		inPoints.Rows, inMoney.Rows = append(inPoints.Rows, row), append(inMoney.Rows, moneyRow)
		months = append(months, s.Month)
		closing.Values = append(closing.Values, s.Closing)
	}
	points := f.section("statement", "Month-end liability statement",
		fmt.Sprintf("Each calendar month the range touches, from the program's first month with entries; this month runs to today. Opening is the month before's closing. Issued = earning entries (purchases, rules, campaigns, manual credits, opening balances, recognition). Reversed = refund clawbacks and manual debits. Redeemed = redemptions less cancelled redemptions. Expired = expiries. Closing = opening + issued − reversed − redeemed − expired = the sum of every balance at the month's end (one below zero included, so it can differ from the outstanding %s above).", f.unit),
		inPoints)
	if len(months) > 1 {
		points.Chart, points.Line = &components.Chart{ID: "economics-closing", Title: "Closing balance by month",
			Desc: "Line: the " + f.unit + " outstanding at each month's end.", Labels: months, Series: []components.Series{closing}}, true
	}
	money := f.section("statement-money", "Month-end liability statement in "+f.cur,
		fmt.Sprintf("The statement above, each line × the value of one %s today (%s), exact.", f.unit, f.value(1)), inMoney)
	return points, money
}

func (f economicsFormat) segments() pages.EngagementSection {
	cur := f.cur
	t := reportTable{Head: []string{"Segment", "Customers", "Purchases", "Revenue (" + cur + ")", "Average order (" + cur + ")",
		"Purchases per customer", "Spend per customer (" + cur + ")"}}
	for _, s := range f.e.Segments {
		aov, aovOK := s.AverageOrderMinor()
		ppc, ppcOK := s.PurchasesPerCustomer()
		spc, spcOK := s.SpendPerCustomerMinor()
		rate := models.FormatRate(ppc, 2)
		t.Rows = append(t.Rows, []reportCell{textCell(s.Name), orNone(countCell(s.Customers), s.Customers >= 0),
			countCell(s.Purchases), moneyCell(s.RevenueMinor, cur), orNone(moneyCell(aov, cur), aovOK),
			orNone(textCell(rate), ppcOK), orNone(moneyCell(spc, cur), spcOK)})
	}
	return f.section("segments", "Customers by segment",
		"Purchases on days in the range; revenue is each purchase's amount less its refunds. A member's segment is where they stand today: their tier in this program, and whether they ever redeemed in it (a voucher not cancelled). Customers = members with a purchase in the range; sales to non-members have no customer to count. Average order = revenue ÷ purchases; purchases per customer = purchases ÷ customers; spend per customer = revenue ÷ customers; rounded to the minor unit. The two redemption rows together are every member customer, and so are the tier rows.", t)
}

func (f economicsFormat) rewards() pages.EngagementSection {
	t := reportTable{Head: []string{"Reward", "Redemptions", "Spent (" + f.unit + ")", "Cost (" + f.cur + ")"}}
	for _, r := range f.e.Rewards {
		cost := moneyCell(r.ValueMinor, f.cur)
		if r.ValueUnknown {
			cost = reportCell{Text: "no value set", CSV: ""}
		}
		t.Rows = append(t.Rows, []reportCell{textCell(r.Name), countCell(r.Redemptions), countCell(r.Points), cost})
	}
	return f.section("rewards", "Cost of rewards redeemed",
		"Vouchers issued on days in the range and not cancelled, by reward: how many, the "+f.unit+" they cost the members, and the value set on the reward times the number redeemed (what they cost the business).", t)
}
