package handlers

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/components"
	"github.com/regularshq/regulars/views/pages"
)

// economicsReport is the program economics page, for one program at a
// time (?program=…; the merchant's default program when none is asked).
func (a *App) economicsReport(c echo.Context) error {
	return a.serveReport(c, "economics", "Program economics", func(rq *reportRequest) (reportPage, error) {
		programs, err := models.ListPrograms(rq.DB)
		if err != nil {
			return reportPage{}, err
		}
		id, err := economicsProgramID(rq.Merchant, programs, c.QueryParam("program"))
		if len(programs) > 0 {
			options := make([]components.Option, len(programs))
			for i, p := range programs {
				options[i] = components.Option{Value: strconv.FormatInt(p.ID, 10), Label: p.Name}
			}
			rq.Frame.Controls = components.SelectField(components.Select{Label: "Program", Name: "program",
				Options: options, Selected: strconv.FormatInt(id, 10)})
		}
		if err != nil {
			return reportPage{}, err
		}
		if id == 0 {
			return reportPage{Body: pages.EconomicsReport(*rq.Frame, pages.EconomicsView{
				Empty: "There is no program yet: once the owner creates one on the Programs page, its economics show here."})}, nil
		}
		rq.Frame.Query.Set("program", strconv.FormatInt(id, 10))
		e, err := models.GetEconomics(rq.DB, id, rq.Range, rq.Now)
		if err != nil {
			return reportPage{}, err
		}
		v, tables := economicsView(e)
		return reportPage{Body: pages.EconomicsReport(*rq.Frame, v), Tables: tables}, nil
	})
}

// economicsProgramID is the program asked for, or without one the
// merchant's preferred program (its default, else the first active one,
// else the first); 0 when there is none. An id of another merchant is
// left to GetEconomics, which does not find it.
func economicsProgramID(m *models.Merchant, programs []models.Program, param string) (int64, error) {
	param = strings.TrimSpace(param)
	if param != "" {
		id, err := strconv.ParseInt(param, 10, 64)
		if err != nil || id <= 0 {
			return 0, models.Errorf(models.EINVALID, "Choose a program from the list: %q is not one.", param)
		}
		return id, nil
	}
	if p := m.PreferredProgram(programs); p != nil {
		return p.ID, nil
	}
	if len(programs) > 0 {
		return programs[0].ID, nil
	}
	return 0, nil
}

// economicsView formats the figures for the page and its CSV tables,
// which keep every digit the page rounds.
func economicsView(e *models.Economics) (pages.EconomicsView, map[string]reportTable) {
	f := economicsFormat{e: e, cur: e.Currency, unit: e.Program.UnitLabel, tables: map[string]reportTable{}}
	v := pages.EconomicsView{Program: e.Program.Name, Figures: f.figures()}
	v.Aging, v.AgingBars = f.aging()
	v.Statement, v.StatementMoney, v.Closing = f.statement()
	v.Segments = f.segments()
	v.Rewards = f.rewards()
	return v, f.tables
}

// economicsFormat words one program's economics, collecting the CSV
// tables as it goes.
type economicsFormat struct {
	e         *models.Economics
	cur, unit string
	tables    map[string]reportTable
}

func (f economicsFormat) points(n int64) string { return components.FormatCount(n) + " " + f.unit }
func (f economicsFormat) value(n int64) string  { return f.e.Value(n) + " " + f.cur }

func (f economicsFormat) percent(bp int64, ok bool) string {
	return f.orDash(components.FormatBasisPoints(bp), ok)
}

// table is a table of the page, and csv its download.
func (f economicsFormat) table(name, caption, note string, head []string, rows [][]string, csv reportTable) pages.EconomicsTable {
	f.tables[name] = csv
	return pages.EconomicsTable{Name: name, Note: note, Table: components.Table{ID: "economics-table-" + name, Caption: caption, Head: head, Rows: rows}}
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

func (f economicsFormat) aging() (pages.EconomicsTable, components.Chart) {
	var rows, csv [][]string
	bars := components.Series{Name: "Outstanding " + f.unit}
	var labels []string
	for _, b := range f.e.Aging {
		rows = append(rows, []string{b.Label, components.FormatCount(b.Points), f.value(b.Points)})
		csv = append(csv, []string{b.Label, strconv.FormatInt(b.Points, 10), f.e.Value(b.Points)})
		labels = append(labels, b.Label)
		bars.Values = append(bars.Values, b.Points)
	}
	t := f.table("aging", "Liability by age",
		"Outstanding "+f.unit+" today by the calendar month (in the business's time zone) they were earned, counted back from this month: 0–3 months is this month and the two before, 3–6 the three before those, then 6–12, and 12+ is a year ago or more.",
		[]string{"Earned", "Outstanding " + f.unit, "Value"}, rows,
		reportTable{Header: []string{"earned", f.unit, "value_" + f.cur}, Rows: csv})
	return t, components.Chart{ID: "economics-aging", Title: "Outstanding " + f.unit + " by age",
		Desc: "Bars: outstanding " + f.unit + " for each age band, oldest on the right.", Labels: labels, Series: []components.Series{bars}}
}

// statement is the month-end statement in points (the table), in money
// (a second table) and its closing balances (a line); its CSV has both.
func (f economicsFormat) statement() (pages.EconomicsTable, components.Table, components.Chart) {
	var rows, moneyRows, csv [][]string
	closing := components.Series{Name: "Closing balance"}
	var months []string
	for _, s := range f.e.Statement {
		lines := []int64{s.Opening, s.Issued, s.Reversed, s.Redeemed, s.Expired, s.Closing}
		row, moneyRow, csvRow := []string{s.Month}, []string{s.Month}, []string{s.Month}
		for _, n := range lines {
			row = append(row, components.FormatCount(n))
			moneyRow = append(moneyRow, f.e.Value(n))
			csvRow = append(csvRow, strconv.FormatInt(n, 10))
		}
		csvRow = append(csvRow, moneyRow[1:]...)
		rows, moneyRows, csv = append(rows, row), append(moneyRows, moneyRow), append(csv, csvRow)
		months = append(months, s.Month)
		closing.Values = append(closing.Values, s.Closing)
	}
	lines := []string{"Opening", "Issued", "Reversed", "Redeemed", "Expired", "Closing"}
	csvHead := []string{"month"}
	for _, u := range []string{f.unit, f.cur} {
		for _, l := range lines {
			csvHead = append(csvHead, strings.ToLower(l)+"_"+u)
		}
	}
	head := append([]string{"Month"}, lines...)
	t := f.table("statement", "Month-end liability statement ("+f.unit+")",
		fmt.Sprintf("Each calendar month the range touches, from the program's first month with entries; this month runs to today. Opening is the month before's closing. Issued = earning entries (purchases, rules, campaigns, manual credits, opening balances, recognition). Reversed = refund clawbacks and manual debits. Redeemed = redemptions less cancelled redemptions. Expired = expiries. Closing = opening + issued − reversed − redeemed − expired = the sum of every balance at the month's end (one below zero included, so it can differ from the outstanding %s above). Money = %s × the value of one today (%s), exact.", f.unit, f.unit, f.value(1)),
		head, rows, reportTable{Header: csvHead, Rows: csv})
	return t, components.Table{ID: "economics-table-statement-money", Caption: "The same in " + f.cur, Head: head, Rows: moneyRows},
		components.Chart{ID: "economics-closing", Title: "Closing balance by month",
			Desc: "Line: the " + f.unit + " outstanding at each month's end.", Labels: months, Series: []components.Series{closing}}
}

func (f economicsFormat) segments() pages.EconomicsTable {
	cur := f.cur
	var rows, csv [][]string
	for _, s := range f.e.Segments {
		aov, aovOK := s.AverageOrderMinor()
		ppc, ppcOK := s.PurchasesPerCustomer()
		spc, spcOK := s.SpendPerCustomerMinor()
		customers, customersCSV := components.FormatCount(s.Customers), strconv.FormatInt(s.Customers, 10)
		if s.Customers < 0 {
			customers, customersCSV = "—", ""
		}
		rows = append(rows, []string{s.Name, customers, components.FormatCount(s.Purchases), money(s.RevenueMinor, cur),
			f.orDash(money(aov, cur), aovOK), f.orDash(models.FormatRate(ppc, 2), ppcOK), f.orDash(money(spc, cur), spcOK)})
		csv = append(csv, []string{s.Name, customersCSV, strconv.FormatInt(s.Purchases, 10), models.FormatMoney(s.RevenueMinor, cur),
			f.orEmpty(models.FormatMoney(aov, cur), aovOK), f.orEmpty(models.FormatRate(ppc, 2), ppcOK), f.orEmpty(models.FormatMoney(spc, cur), spcOK)})
	}
	return f.table("segments", "Customers by segment",
		"Purchases on days in the range; revenue is each purchase's amount less its refunds. A member's segment is where they stand today: their tier in this program, and whether they ever redeemed in it (a voucher not cancelled). Customers = members with a purchase in the range; sales to non-members have no customer to count. Average order = revenue ÷ purchases; purchases per customer = purchases ÷ customers; spend per customer = revenue ÷ customers; rounded to the minor unit. The two redemption rows together are every member customer, and so are the tier rows.",
		[]string{"Segment", "Customers", "Purchases", "Revenue", "Average order", "Purchases per customer", "Spend per customer"}, rows,
		reportTable{Header: []string{"segment", "customers", "purchases", "revenue_" + cur, "average_order_" + cur,
			"purchases_per_customer", "spend_per_customer_" + cur}, Rows: csv})
}

func (f economicsFormat) rewards() pages.EconomicsTable {
	var rows, csv [][]string
	for _, r := range f.e.Rewards {
		cost, costCSV := money(r.ValueMinor, f.cur), models.FormatMoney(r.ValueMinor, f.cur)
		if r.ValueUnknown {
			cost, costCSV = "no value set", ""
		}
		rows = append(rows, []string{r.Name, components.FormatCount(r.Redemptions), components.FormatCount(r.Points), cost})
		csv = append(csv, []string{r.Name, strconv.FormatInt(r.Redemptions, 10), strconv.FormatInt(r.Points, 10), costCSV})
	}
	return f.table("rewards", "Cost of rewards redeemed",
		"Vouchers issued on days in the range and not cancelled, by reward: how many, the "+f.unit+" they cost the members, and the value set on the reward times the number redeemed (what they cost the business).",
		[]string{"Reward", "Redemptions", "Spent (" + f.unit + ")", "Cost"}, rows,
		reportTable{Header: []string{"reward", "redemptions", f.unit, "cost_" + f.cur}, Rows: csv})
}

// orDash is s, or a dash where there is no figure.
func (economicsFormat) orDash(s string, ok bool) string {
	if !ok {
		return "—"
	}
	return s
}

// orEmpty is s, or an empty CSV cell where there is no figure.
func (economicsFormat) orEmpty(s string, ok bool) string {
	if !ok {
		return ""
	}
	return s
}
