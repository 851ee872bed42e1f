package handlers

import (
	"fmt"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/views/components"
	"github.com/regularshq/regulars/views/pages"
)

// dashboardReport is the manager's landing page, at /dashboard and
// /reports.
func (a *App) dashboardReport(c echo.Context) error {
	return a.serveReport(c, "dashboard", currentMerchant(c).Name, func(rq *reportRequest) (reportPage, error) {
		programs, err := models.ListPrograms(rq.DB)
		if err != nil {
			return reportPage{}, err
		}
		program, err := reportProgram(c.QueryParam("program"), rq.Merchant, programs)
		if err != nil {
			return reportPage{}, err
		}
		q := models.DashboardQuery{Range: rq.Range, Now: rq.Now}
		if program != nil {
			q.ProgramID = program.ID
			rq.Frame.Query.Set("program", strconv.FormatInt(program.ID, 10))
		}
		d, err := models.ReportDashboard(rq.DB, q)
		if err != nil {
			return reportPage{}, err
		}
		v := dashboardView{d: d, currency: rq.Merchant.Currency}
		tables := v.tables()
		data := v.data(rq.Frame, programs, tables)
		data.CanCreate = may(c, models.RoleOwner)
		return reportPage{Body: pages.DashboardReport(*rq.Frame, data), Tables: tables}, nil
	})
}

// reportProgram is the program a report's points figures are in: the one
// asked for (another merchant's, or none, is a 404), else the merchant's
// preferred one, else its first; nil when it has none.
func reportProgram(asked string, m *models.Merchant, programs []models.Program) (*models.Program, error) {
	if asked != "" {
		id, err := parseID(asked)
		for i := range programs {
			if err == nil && programs[i].ID == id {
				return &programs[i], nil
			}
		}
		return nil, models.Errorf(models.ENOTFOUND, "There is no such program.")
	}
	if p := m.PreferredProgram(programs); p != nil {
		return p, nil
	}
	if len(programs) > 0 {
		return &programs[0], nil
	}
	return nil, nil
}

// dashboardView words a dashboard for the page and its CSV.
type dashboardView struct {
	d        *models.Dashboard
	currency string
}

func (v dashboardView) data(f *pages.ReportFrame, programs []models.Program, tables map[string]reportTable) pages.DashboardReportData {
	d := v.d
	data := pages.DashboardReportData{
		Compare: fmt.Sprintf("Changes compare with %s, the %d days before.", d.Previous.Label(), d.Previous.Days()),
		Tiers:   tables["tiers"].view("tiers"), Rewards: tables["rewards"].view("rewards"),
		Figures: tables["figures"].view("figures"), Trend: tables["trend"].view("trend"),
		RevenueChart: components.Chart{
			ID: "revenue-split", Title: "Revenue, members and non-members",
			Desc:   "Revenue net of refunds in each part of the range, split between purchases by members and anonymous ones.",
			Labels: v.bucketLabels(),
			Series: []components.Series{
				{Name: "Members", Values: d.MemberRevenue.Trend},
				{Name: "Non-members", Values: d.NonMemberRevenue.Trend},
			},
			Format: func(n int64) string { return money(n, v.currency) },
		},
		Notes: pages.DashboardNotes{
			Tiers: "Members in each tier at the end of the range and of the previous period, from the tier changes. " +
				"A member enters the first tier with their first earning.",
			Rewards: "Vouchers issued in the range and not cancelled since, by reward: how many, the points they cost " +
				"and the reward's value. The ten most redeemed.",
			Trend: "Each row sums its days; members, active members and outstanding points are as they stand at the row's last day.",
		},
	}
	for _, g := range v.groups() {
		group := pages.FigureGroup{Title: g.title, TestID: g.testID}
		for _, f := range g.figures {
			group.Figures = append(group.Figures, f.tile())
		}
		data.Groups = append(data.Groups, group)
	}
	if d.Program != nil {
		data.Program = d.Program.Name
		for _, p := range programs {
			data.Programs = append(data.Programs, pages.ProgramChoice{
				Name: p.Name, URL: f.With("program", strconv.FormatInt(p.ID, 10)), Active: p.ID == d.Program.ID,
			})
		}
	}
	return data
}

// dashboardFigure is one figure of the dashboard: its tile on the page
// and its row of the figures table (and CSV) are both made from it.
type dashboardFigure struct {
	id, label, note string
	unit            string // the table row's unit: a currency, the program's units, "%"; "" for a count
	c               models.Compared
	cell            func(int64) reportCell
	ratio           *models.ComparedRatio // a share, instead of c and cell
	// unset, when not "", is why the tile has no value (its note); the
	// table row keeps the numbers.
	unset string
}

// dashboardGroup is a heading of figures.
type dashboardGroup struct {
	title, testID string
	figures       []dashboardFigure
}

// groups are every figure of the dashboard, in page order: members,
// sales, and the program's points when there is a program.
func (v dashboardView) groups() []dashboardGroup {
	groups := []dashboardGroup{v.people(), v.sales()}
	if v.d.Program != nil {
		groups = append(groups, v.points())
	}
	return groups
}

func (v dashboardView) people() dashboardGroup {
	d := v.d
	return dashboardGroup{"Members", "people", []dashboardFigure{
		v.count("members", "Members", d.Members,
			"Members who had joined by the range's last day; the change is against the previous period's last day."),
		v.count("new-members", "New members", d.NewMembers, "Members whose joining day is in the range."),
		v.count("active-30", "Active in the last 30 days", d.Active30,
			"Members with a purchase on one of the 30 days up to and including the range's last day (the business's days)."),
		v.count("active-90", "Active in the last 90 days", d.Active90,
			"Members with a purchase on one of the 90 days up to and including the range's last day (the business's days)."),
	}}
}

func (v dashboardView) sales() dashboardGroup {
	d := v.d
	revenueNote := "Amounts less what has been refunded of them so far, on the day of the purchase"
	figures := []dashboardFigure{
		v.money("revenue", "Revenue", d.Revenue, revenueNote+": all product sales (membership fees are not in it)."),
		v.money("member-revenue", "Revenue from members", d.MemberRevenue, revenueNote+": purchases by a member."),
		v.money("non-member-revenue", "Revenue from non-members", d.NonMemberRevenue, revenueNote+": anonymous purchases."),
		v.count("purchases", "Purchases", d.Purchases,
			"By the day they happened; a refunded purchase still counts once."),
		v.count("member-purchases", "Purchases by members", d.MemberPurchases, "Purchases in the range with a member attached."),
		v.count("non-member-purchases", "Purchases by non-members", d.NonMemberPurchases, "Purchases in the range without a member."),
		v.share("membership-rate", "Membership rate", d.MembershipRate, fmt.Sprintf(
			"Purchases by members ÷ all purchases in the range. By revenue, members made %s.", percent(d.MemberRevenueShare))),
	}
	// Only a business that sells paid memberships has fees to show.
	if f := d.MembershipFees; f.Current != 0 || f.Previous != 0 {
		figures = append(figures, v.money("membership-fees", "Membership fees", f,
			"Paid-membership fees sold in the range, less what cancellations refunded of them; apart from revenue."))
	}
	return dashboardGroup{"Sales", "sales", figures}
}

func (v dashboardView) points() dashboardGroup {
	d := v.d
	p := d.Program
	liability := v.money("liability", "Liability", d.LiabilityMinor, fmt.Sprintf(
		"Outstanding %s × the value of one (%s %s), rounded to the minor unit.", p.UnitLabel, models.FormatRate(p.PointValueMilli, v.digits()+3), v.currency))
	if p.PointValueMilli == 0 {
		liability.unset = "The program gives its " + p.UnitLabel + " no money value: set the value of one on the program's page."
	}
	return dashboardGroup{"Points", "points", []dashboardFigure{
		v.units("issued", "Issued", d.Issued, "Earned (purchases, earning rules, campaigns, recognition, manual "+
			"credits, opening balances) less what refunds clawed back. Manual debits are not counted."),
		v.units("redeemed", "Redeemed", d.Redeemed, "Spent on rewards and store credit, less what cancelled "+
			"vouchers gave back on the day of the cancel: a cancelled redemption is not a redemption."),
		v.units("expired", "Expired", d.Expired, "Expired in the range under the program's expiry rule."),
		v.share("redemption-rate", "Redemption rate", d.RedemptionRate, "Redeemed ÷ issued, both in the range."),
		v.units("outstanding", "Outstanding", d.Outstanding, "All balances at the range's last day: "+
			"every ledger entry up to then, manual debits and clawbacks included."),
		liability,
	}}
}

func (v dashboardView) digits() int {
	c, _ := models.LookupCurrency(v.currency)
	return c.MinorDigits
}

// count is a figure counting things.
func (v dashboardView) count(id, label string, c models.Compared, note string) dashboardFigure {
	return dashboardFigure{id: id, label: label, note: note, c: c, cell: countCell}
}

func (v dashboardView) money(id, label string, c models.Compared, note string) dashboardFigure {
	return dashboardFigure{id: id, label: label, note: note, unit: v.currency, c: c, cell: v.moneyCell}
}

// units is a figure in the program's units.
func (v dashboardView) units(id, label string, c models.Compared, note string) dashboardFigure {
	return dashboardFigure{id: id, label: label, note: note, unit: v.d.Program.UnitLabel, c: c, cell: v.unitCell}
}

func (v dashboardView) share(id, label string, r models.ComparedRatio, note string) dashboardFigure {
	return dashboardFigure{id: id, label: label, note: note, unit: "%", ratio: &r}
}

func (v dashboardView) moneyCell(minor int64) reportCell { return moneyCell(minor, v.currency) }

// unitCell writes an amount of the program's units: a cashback program's
// are minor units of money, the others' a count.
func (v dashboardView) unitCell(n int64) reportCell {
	if v.d.Program.Type == models.ProgramCashback {
		return v.moneyCell(n)
	}
	return countCell(n)
}

// row is the figure in the figures table: the range against the
// previous period.
func (f dashboardFigure) row() []reportCell {
	name := f.label
	if f.unit != "" {
		name += " (" + f.unit + ")"
	}
	if f.ratio != nil {
		return []reportCell{textCell(name), ratioCell(f.ratio.Current), ratioCell(f.ratio.Previous)}
	}
	return []reportCell{textCell(name), f.cell(f.c.Current), f.cell(f.c.Previous)}
}

// tile is the figure on the page, with its change and trend.
func (f dashboardFigure) tile() pages.Figure {
	switch {
	case f.unset != "":
		return pages.Figure{Label: f.label, Value: "—", TestID: f.id, Note: f.unset}
	case f.ratio != nil:
		return f.shareTile()
	}
	format := func(n int64) string { return f.cell(n).Text }
	fig := pages.Figure{Label: f.label, Value: format(f.c.Current), TestID: f.id, Note: f.note}
	fig.Change, fig.Trend = change(f.c.Current, f.c.Previous, format)
	if f.c.Trend != nil {
		fig.Chart = components.Sparkline(components.Trend{ID: "trend-" + f.id, Title: f.label + " over the range",
			Desc: "One point per row of the trend table.", Values: f.c.Trend})
	}
	return fig
}

func (f dashboardFigure) shareTile() pages.Figure {
	r := f.ratio
	fig := pages.Figure{Label: f.label, Value: percent(r.Current), TestID: f.id, Note: f.note}
	if r.Current.Valid() && r.Previous.Valid() {
		diff := (r.Current.Float() - r.Previous.Float()) * 100
		fig.Change, fig.Trend = fmt.Sprintf("%s %.1f points", arrow(diff), abs(diff)), direction(diff)
		if fmt.Sprintf("%.1f", abs(diff)) == "0.0" {
			fig.Change, fig.Trend = "No change", "flat"
		}
	}
	values := make([]int64, len(r.Trend))
	for i, t := range r.Trend {
		values[i] = int64(t.Float() * 10000)
	}
	fig.Chart = components.Sparkline(components.Trend{ID: "trend-" + f.id, Title: f.label + " over the range",
		Desc: "In hundredths of a percent, one point per row of the trend table.", Values: values})
	return fig
}

// change words current against previous: "▲ 2 (+100%)".
func change(current, previous int64, format func(int64) string) (string, string) {
	diff := current - previous
	switch {
	case diff == 0:
		return "No change", "flat"
	case previous == 0:
		return fmt.Sprintf("%s %s (none before)", arrow(float64(diff)), format(absInt(diff))), direction(float64(diff))
	}
	pct := float64(diff) / float64(absInt(previous)) * 100
	return fmt.Sprintf("%s %s (%+.0f%%)", arrow(float64(diff)), format(absInt(diff)), pct), direction(float64(diff))
}

func arrow(d float64) string {
	if d < 0 {
		return "▼"
	}
	return "▲"
}

func direction(d float64) string {
	if d < 0 {
		return "down"
	}
	return "up"
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func absInt(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func ratioCell(r models.Ratio) reportCell { return reportCell{Text: percent(r), CSV: percentCSV(r)} }

func (v dashboardView) bucketLabels() []string {
	labels := make([]string, len(v.d.Buckets))
	for i, b := range v.d.Buckets {
		labels[i] = bucketLabel(b)
	}
	return labels
}

// tables are the dashboard's tables by their CSV names.
func (v dashboardView) tables() map[string]reportTable {
	d, cur := v.d, v.currency
	tables := map[string]reportTable{}

	figures := reportTable{Caption: "Figures", Head: []string{"Figure", "Range", "Previous period"}}
	for _, g := range v.groups() {
		for _, f := range g.figures {
			figures.Rows = append(figures.Rows, f.row())
		}
	}
	trend := reportTable{Caption: "Trend", Head: []string{"Days", "New members", "Members", "Active (30 days)", "Active (90 days)",
		"Purchases", "By members", "Revenue (" + cur + ")", "From members (" + cur + ")"}}
	if d.Program != nil {
		trend.Head = append(trend.Head, "Issued", "Redeemed", "Expired", "Outstanding")
		tables["tiers"] = v.tierTable()
		tables["rewards"] = v.rewardTable()
	}
	for i, b := range d.Buckets {
		days := b.FromDay
		if b.ToDay != b.FromDay {
			days += " to " + b.ToDay
		}
		row := []reportCell{textCell(days), countCell(d.NewMembers.Trend[i]), countCell(d.Members.Trend[i]),
			countCell(d.Active30.Trend[i]), countCell(d.Active90.Trend[i]), countCell(d.Purchases.Trend[i]), countCell(d.MemberPurchases.Trend[i]),
			moneyCell(d.Revenue.Trend[i], cur), moneyCell(d.MemberRevenue.Trend[i], cur)}
		if d.Program != nil {
			row = append(row, v.unitCell(d.Issued.Trend[i]), v.unitCell(d.Redeemed.Trend[i]),
				v.unitCell(d.Expired.Trend[i]), v.unitCell(d.Outstanding.Trend[i]))
		}
		trend.Rows = append(trend.Rows, row)
	}
	tables["figures"], tables["trend"] = figures, trend
	return tables
}

func (v dashboardView) tierTable() reportTable {
	t := reportTable{Caption: "Members per tier", Head: []string{"Tier", "Members", "Previous period", "Change"}}
	for _, tc := range v.d.Tiers {
		t.Rows = append(t.Rows, []reportCell{textCell(tc.Name), countCell(tc.Current), countCell(tc.Previous), signedCell(tc.Current - tc.Previous)})
	}
	return t
}

func (v dashboardView) rewardTable() reportTable {
	cur := v.currency
	t := reportTable{Caption: "Top rewards", Head: []string{"Reward", "Redemptions", "Previous period", capitalise(v.d.Program.UnitLabel) + " spent", "Value (" + cur + ")"}}
	for _, r := range v.d.TopRewards {
		t.Rows = append(t.Rows, []reportCell{textCell(r.Name), countCell(r.Redemptions), countCell(r.Previous), v.unitCell(r.Points), moneyCell(r.ValueMinor, cur)})
	}
	return t
}

// signedCell is a change with its sign: "+2", "-1", "0".
func signedCell(n int64) reportCell {
	s := components.FormatCount(n)
	if n > 0 {
		s = "+" + s
	}
	return reportCell{Text: s, CSV: strconv.FormatInt(n, 10)}
}
