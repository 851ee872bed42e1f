package components

import (
	"context"
	"encoding/xml"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/a-h/templ"
)

// node is any element of a rendered chart, for walking the parsed tree.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Nodes   []node     `xml:",any"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n node) hasClass(class string) bool {
	return slices.Contains(strings.Fields(n.attr("class")), class)
}

// all lists n and every element under it named tag.
func (n node) all(tag string) []node {
	var out []node
	if n.XMLName.Local == tag {
		out = append(out, n)
	}
	for _, c := range n.Nodes {
		out = append(out, c.all(tag)...)
	}
	return out
}

// render writes a component and proves the output is well-formed XML
// that keeps to the Content-Security-Policy.
func render(t *testing.T, c templ.Component) (string, node) {
	t.Helper()
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, banned := range []string{"<script", "style="} {
		if strings.Contains(strings.ToLower(out), banned) {
			t.Errorf("output has %q: %s", banned, out)
		}
	}
	var root node
	d := xml.NewDecoder(strings.NewReader(out))
	d.Strict = true
	if err := d.Decode(&root); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, out)
	}
	return out, root
}

// checkSVG proves the chart's SVG is an image named by its title and desc.
func checkSVG(t *testing.T, root node, id, title, desc string) node {
	t.Helper()
	var svg node
	for _, s := range root.all("svg") {
		if s.attr("id") == id {
			svg = s
		}
	}
	if svg.XMLName.Local == "" {
		t.Fatalf("no svg#%s", id)
	}
	if svg.attr("role") != "img" || svg.attr("aria-labelledby") != id+"-title "+id+"-desc" {
		t.Errorf("svg role %q aria-labelledby %q", svg.attr("role"), svg.attr("aria-labelledby"))
	}
	if !strings.HasPrefix(svg.attr("viewBox"), "0 0 ") {
		t.Errorf("viewBox %q", svg.attr("viewBox"))
	}
	if len(svg.Nodes) < 2 || svg.Nodes[0].XMLName.Local != "title" || svg.Nodes[1].XMLName.Local != "desc" {
		t.Fatalf("svg does not open with title and desc: %+v", svg.Nodes)
	}
	if n := svg.Nodes[0]; n.attr("id") != id+"-title" || n.Text != title {
		t.Errorf("title #%s %q, want %q", n.attr("id"), n.Text, title)
	}
	if n := svg.Nodes[1]; n.attr("id") != id+"-desc" || n.Text != desc {
		t.Errorf("desc #%s %q, want %q", n.attr("id"), n.Text, desc)
	}
	return svg
}

func texts(svg node, class string) []string {
	var out []string
	for _, n := range svg.all("text") {
		if n.hasClass(class) {
			out = append(out, n.Text)
		}
	}
	return out
}

func withClass(svg node, tag, class string) []node {
	var out []node
	for _, n := range svg.all(tag) {
		if n.hasClass(class) {
			out = append(out, n)
		}
	}
	return out
}

func coord(t *testing.T, n node, name string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(n.attr(name), 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, n.attr(name), err)
	}
	return f
}

func TestNiceScale(t *testing.T) {
	for _, tc := range []struct {
		lo, hi int64
		want   []int64
	}{
		{0, 937, []int64{0, 200, 400, 600, 800, 1000}},
		{0, 1000, []int64{0, 200, 400, 600, 800, 1000}},
		{0, 1001, []int64{0, 250, 500, 750, 1000, 1250}},
		{0, 5, []int64{0, 1, 2, 3, 4, 5}},
		{0, 7, []int64{0, 2, 4, 6, 8}},
		{3, 7, []int64{0, 2, 4, 6, 8}},                    // the axis starts at zero
		{0, 0, []int64{0, 1}},                             // all zero: still an axis
		{-30, 100, []int64{-50, -25, 0, 25, 50, 75, 100}}, // one more interval across zero
		{-40, 937, []int64{-200, 0, 200, 400, 600, 800, 1000}},
		{-937, 0, []int64{-1000, -800, -600, -400, -200, 0}},
		{0, 123_456_789, []int64{0, 25_000_000, 50_000_000, 75_000_000, 100_000_000, 125_000_000}},
	} {
		if got := niceScale(tc.lo, tc.hi).ticks(); !slices.Equal(got, tc.want) {
			t.Errorf("niceScale(%d, %d) ticks %v, want %v", tc.lo, tc.hi, got, tc.want)
		}
	}
	// Values past ±10^18 are clamped rather than overflow the axis.
	s := niceScale(-1<<63, 1<<63-1)
	if s.lo != -maxValue || s.hi != maxValue || s.frac(1<<63-1) != 1 {
		t.Errorf("huge values: %+v", s)
	}
}

func TestFormats(t *testing.T) {
	for v, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567", 100000: "100,000"} {
		if got := FormatCount(v); got != want {
			t.Errorf("FormatCount(%d) = %q, want %q", v, got, want)
		}
	}
	for v, want := range map[int64]string{0: "0%", 3750: "37.5%", 3333: "33.3%", 10000: "100%", 5: "0.1%"} {
		if got := FormatBasisPoints(v); got != want {
			t.Errorf("FormatBasisPoints(%d) = %q, want %q", v, got, want)
		}
	}
}

func TestLineChart(t *testing.T) {
	c := Chart{
		ID: "visits", Title: "Visits <script>alert(1)</script>", Desc: "Visits per day, members and guests.",
		Labels: []string{"Mon", "Tue", "Wed", "Thu"},
		Series: []Series{{Name: "Members", Values: []int64{120, 937, 400, 0}}, {Name: "Guests", Values: []int64{10, 20, 30, 40}}},
	}
	out, root := render(t, LineChart(c))
	svg := checkSVG(t, root, "visits", c.Title, c.Desc)
	if got, want := texts(svg, "chart-tick"), []string{"0", "200", "400", "600", "800", "1,000", "Mon", "Tue", "Wed", "Thu"}; !slices.Equal(got, want) {
		t.Errorf("axis labels %v, want %v", got, want)
	}
	lines := svg.all("polyline")
	if len(lines) != 2 || !lines[0].hasClass("series-1") || !lines[1].hasClass("series-2") {
		t.Fatalf("lines %+v", lines)
	}
	if pts := strings.Fields(lines[0].attr("points")); len(pts) != 4 {
		t.Errorf("points %v", pts)
	}
	dots := svg.all("circle")
	if len(dots) != 8 || dots[1].Nodes[0].Text != "Tue · Members: 937" {
		t.Errorf("dots %d, second tip %+v", len(dots), dots[1].Nodes)
	}
	// 937 of 1,000 lies 93.7% up the plot from the zero line.
	zero := coord(t, withClass(svg, "line", "chart-axis")[0], "y1")
	top := coord(t, withClass(svg, "line", "chart-grid")[4], "y1")
	if y := coord(t, dots[1], "cy"); fmt.Sprintf("%.0f", (zero-y)/(zero-top)*1000) != "937" {
		t.Errorf("937 drawn at %.1f between zero %.1f and 1,000 %.1f", y, zero, top)
	}
	if legend := root.all("li"); len(legend) != 2 || !strings.Contains(out, `data-testid="legend-visits"`) {
		t.Errorf("legend %+v", legend)
	}

	c.Series = c.Series[:1]
	if _, root := render(t, LineChart(c)); len(root.all("ul")) != 0 {
		t.Error("a single series has a legend")
	}
}

// Thirty dates cannot all fit under the axis: every ninth is shown,
// counted back from the last, and none overlaps the next.
func TestLineChartThinsLabels(t *testing.T) {
	c := Chart{ID: "daily", Title: "Daily", Desc: "d", Series: []Series{{Name: "Sales", Values: make([]int64, 30)}}}
	for i := range 30 {
		c.Labels = append(c.Labels, fmt.Sprintf("2026-01-%02d", i+1))
		c.Series[0].Values[i] = int64(i * 31)
	}
	_, root := render(t, LineChart(c))
	svg := checkSVG(t, root, "daily", "Daily", "d")
	var shown []node
	for _, n := range withClass(svg, "text", "chart-tick") {
		if strings.HasPrefix(n.Text, "2026-") {
			shown = append(shown, n)
		}
	}
	var got []string
	for i, n := range shown {
		got = append(got, n.Text)
		if i > 0 && coord(t, n, "x")-coord(t, shown[i-1], "x") < textW(n.Text) {
			t.Errorf("%s overlaps %s", n.Text, shown[i-1].Text)
		}
		if x := coord(t, n, "x"); x-textW(n.Text)/2 < 0 || x+textW(n.Text)/2 > chartW {
			t.Errorf("%s at %.1f overhangs the picture", n.Text, x)
		}
	}
	if want := []string{"2026-01-03", "2026-01-12", "2026-01-21", "2026-01-30"}; !slices.Equal(got, want) {
		t.Errorf("shown %v, want %v", got, want)
	}
	if thinStep(50, 20) != 1 || thinStep(10, 72) != 8 || thinStep(0, 10) != 1 {
		t.Errorf("thinStep: %d %d %d", thinStep(50, 20), thinStep(10, 72), thinStep(0, 10))
	}
}

func TestBarChartNegative(t *testing.T) {
	c := Chart{ID: "net", Title: "Net points", Desc: "Issued less clawed back.",
		Labels: []string{"Jan", "Feb", "Mar"}, Series: []Series{{Name: "Net", Values: []int64{100, -30, 60}}},
		Format: func(v int64) string { return FormatCount(v) + " pt" }}
	_, root := render(t, BarChart(c))
	svg := checkSVG(t, root, "net", c.Title, c.Desc)
	if got, want := texts(svg, "chart-tick")[:7], []string{"-50 pt", "-25 pt", "0 pt", "25 pt", "50 pt", "75 pt", "100 pt"}; !slices.Equal(got, want) {
		t.Errorf("ticks %v, want %v", got, want)
	}
	zero := coord(t, withClass(svg, "line", "chart-axis")[0], "y1")
	bars := withClass(svg, "rect", "chart-bar")
	if len(bars) != 3 {
		t.Fatalf("bars %d", len(bars))
	}
	if y, h := coord(t, bars[0], "y"), coord(t, bars[0], "height"); y+h != zero || h <= 0 {
		t.Errorf("positive bar y %.1f h %.1f, zero line %.1f", y, h, zero)
	}
	if y, h := coord(t, bars[1], "y"), coord(t, bars[1], "height"); y != zero || h <= 0 {
		t.Errorf("negative bar y %.1f h %.1f, zero line %.1f", y, h, zero)
	}
	if got := texts(svg, "chart-value"); !slices.Equal(got, []string{"100 pt", "-30 pt", "60 pt"}) {
		t.Errorf("bar values %v", got)
	}
	if tip := bars[1].Nodes[0].Text; tip != "Feb · Net: -30 pt" {
		t.Errorf("tip %q", tip)
	}
	for _, r := range svg.all("rect") {
		if coord(t, r, "height") < 0 || coord(t, r, "width") < 0 {
			t.Errorf("negative size %+v", r.Attrs)
		}
	}
}

func TestStackedBarChart(t *testing.T) {
	c := Chart{ID: "rev", Title: "Revenue", Desc: "Members and guests.",
		Labels: []string{"Jan", "Feb"},
		Series: []Series{{Name: "Members", Values: []int64{600, 300}}, {Name: "Guests", Values: []int64{337, 0}}}}
	_, root := render(t, StackedBarChart(c))
	svg := checkSVG(t, root, "rev", c.Title, c.Desc)
	// The stack of Jan (937) sets the axis, not its largest part.
	if got := texts(svg, "chart-tick"); got[5] != "1,000" {
		t.Errorf("ticks %v", got)
	}
	bars := withClass(svg, "rect", "chart-bar")
	if len(bars) != 3 { // Feb's zero guests draw nothing
		t.Fatalf("bars %d", len(bars))
	}
	// Guests sit on top of members in Jan.
	if m, g := bars[0], bars[1]; math.Abs(coord(t, g, "y")+coord(t, g, "height")-coord(t, m, "y")) > 0.11 || !g.hasClass("series-2") {
		t.Errorf("guests %+v not on members %+v", g.Attrs, m.Attrs)
	}
	if len(root.all("li")) != 2 {
		t.Error("no legend")
	}
}

// Line, bar and stacked charts draw one frame, the same one: grid lines,
// zero line and every tick inside a single group under the marks.
func TestChartsShareOneFrame(t *testing.T) {
	c := Chart{ID: "f", Title: "F", Desc: "d", Labels: []string{"Jan", "Feb"},
		Series: []Series{{Name: "A", Values: []int64{40, -10}}, {Name: "B", Values: []int64{20, 30}}}}
	var frames []string
	for name, chart := range map[string]func(Chart) templ.Component{"line": LineChart, "bar": BarChart, "stacked": StackedBarChart} {
		_, root := render(t, chart(c))
		svg := checkSVG(t, root, "f", "F", "d")
		var groups []node
		for _, g := range svg.all("g") {
			if g.attr("data-testid") == "chart-frame" {
				groups = append(groups, g)
			}
		}
		if len(groups) != 1 {
			t.Fatalf("%s: %d frames", name, len(groups))
		}
		g := groups[0]
		if len(withClass(g, "line", "chart-axis")) != 1 || len(withClass(g, "line", "chart-grid")) == 0 ||
			len(texts(g, "chart-tick")) != len(texts(svg, "chart-tick")) || len(withClass(svg, "line", "chart-grid")) != len(withClass(g, "line", "chart-grid")) {
			t.Errorf("%s: grid or ticks outside the frame: %+v", name, g)
		}
		if name != "stacked" { // the stacked axis is scaled to the sums
			out, _ := xmlString(g)
			frames = append(frames, out)
		}
	}
	if len(frames) != 2 || frames[0] != frames[1] {
		t.Errorf("line and bar frames differ:\n%s\n%s", frames[0], frames[1])
	}
	_, root := render(t, HorizontalBarChart(c))
	if len(root.all("g")) != 0 {
		t.Error("a horizontal bar chart draws the value frame")
	}
}

func xmlString(n node) (string, error) {
	b, err := xml.Marshal(n)
	return string(b), err
}

func TestHorizontalBarChart(t *testing.T) {
	c := Chart{ID: "top", Title: "Top rewards", Desc: "Redemptions per reward.",
		Labels: []string{"Free flat white with oat milk and an extra shot", "Cake"},
		Series: []Series{{Name: "Redeemed", Values: []int64{42, 7}}}}
	_, root := render(t, HorizontalBarChart(c))
	svg := checkSVG(t, root, "top", c.Title, c.Desc)
	labels := texts(svg, "chart-tick")
	if len(labels) != 2 || !strings.HasSuffix(labels[0], "…") || labels[1] != "Cake" {
		t.Errorf("labels %q", labels)
	}
	bars := withClass(svg, "rect", "chart-bar")
	if len(bars) != 2 || bars[0].Nodes[0].Text != c.Labels[0]+" · Redeemed: 42" {
		t.Fatalf("bars %+v", bars)
	}
	if w0, w1 := coord(t, bars[0], "width"), coord(t, bars[1], "width"); w1 >= w0 || coord(t, bars[1], "y") <= coord(t, bars[0], "y") {
		t.Errorf("ranked bars out of order: %.1f then %.1f", w0, w1)
	}
	if got := texts(svg, "chart-value"); !slices.Equal(got, []string{"42", "7"}) {
		t.Errorf("values %v", got)
	}
}

func TestEmptyCharts(t *testing.T) {
	for name, c := range map[string]Chart{
		"no labels": {ID: "e", Title: "Sales", Desc: "x", Series: []Series{{Name: "a", Values: []int64{1}}}},
		"no series": {ID: "e", Title: "Sales", Desc: "x", Labels: []string{"Jan"}},
		"no values": {ID: "e", Title: "Sales", Desc: "x", Labels: []string{"Jan"}, Series: []Series{{Name: "a"}}},
	} {
		for kind, comp := range map[string]templ.Component{"line": LineChart(c), "bar": BarChart(c), "stacked": StackedBarChart(c), "horizontal": HorizontalBarChart(c)} {
			t.Run(name+"/"+kind, func(t *testing.T) {
				_, root := render(t, comp)
				svg := checkSVG(t, root, "e", "Sales", noData)
				if got := texts(svg, "chart-empty-text"); !slices.Equal(got, []string{noData}) || !svg.hasClass("chart-empty") {
					t.Errorf("placeholder %v", got)
				}
				if len(svg.all("rect")) != 1 || len(svg.all("polyline")) != 0 {
					t.Error("an empty chart draws marks")
				}
			})
		}
		_, root := render(t, DataTable(c.Table("Month")))
		if rows := root.all("tr"); len(rows) != 2 || rows[1].attr("data-testid") != "table-empty" || rows[1].Nodes[0].Text != noData {
			t.Errorf("%s: empty table rows %+v", name, rows)
		}
	}
	_, root := render(t, HeatMap(HeatGrid{ID: "h", Title: "Retention", Desc: "x", Rows: []string{"2026-01"}, Cols: []string{"0"}}))
	checkSVG(t, root, "h", "Retention", noData)
}

func TestHeatBuckets(t *testing.T) {
	for bp, want := range map[int64]int{-5: 0, 0: 0, 1: 1, 2000: 1, 2001: 2, 4000: 2, 5000: 3, 7999: 4, 8001: 5, 10000: 5, 12000: 5} {
		if got := heatBucket(bp); got != want {
			t.Errorf("heatBucket(%d) = %d, want %d", bp, got, want)
		}
	}
}

func bp(v int64) *int64 { return &v }

func TestHeatMap(t *testing.T) {
	h := HeatGrid{ID: "cohorts", Title: "Retention by cohort", Desc: "Share of each month's new members buying n months later.",
		Rows: []string{"2026-01", "2026-02", "2026-03"}, Cols: []string{"0", "1", "2"},
		Cells: [][]*int64{{bp(10000), bp(3750), bp(0)}, {bp(9000), nil}, {bp(1500)}}}
	_, root := render(t, HeatMap(h))
	svg := checkSVG(t, root, "cohorts", h.Title, h.Desc)
	cells := svg.all("rect")
	if len(cells) != 6 { // the triangle: 3 + 2 + 1
		t.Fatalf("cells %d", len(cells))
	}
	var classes, tips []string
	for _, c := range cells {
		classes = append(classes, c.attr("class"))
		tips = append(tips, c.Nodes[0].Text)
	}
	if want := []string{"heat-5", "heat-2", "heat-0", "heat-5", "heat-none", "heat-1"}; !slices.Equal(classes, want) {
		t.Errorf("shades %v, want %v", classes, want)
	}
	if tips[1] != "2026-01 · 1: 37.5%" || tips[4] != "2026-02 · 1: no data" {
		t.Errorf("tips %q", tips)
	}
	if got, want := texts(svg, "heat-text"), []string{"100", "38", "0", "90", "15"}; !slices.Equal(got, want) {
		t.Errorf("numbers in cells %v, want %v", got, want)
	}
	if got := texts(svg, "heat-text-5"); len(got) != 2 {
		t.Errorf("dark cells' numbers %v", got)
	}
	if got := texts(svg, "chart-tick"); !slices.Equal(got, []string{"0", "1", "2", "2026-01", "2026-02", "2026-03"}) {
		t.Errorf("labels %v", got)
	}
	if len(root.all("li")) != 7 {
		t.Errorf("legend %d entries", len(root.all("li")))
	}

	// Twenty-four months leave no room for numbers in the cells: the
	// tooltips and the table carry them.
	wide := HeatGrid{ID: "wide", Title: "t", Desc: "d", Rows: []string{"2024-01"}}
	for i := range 24 {
		wide.Cols = append(wide.Cols, strconv.Itoa(i))
	}
	wide.Cells = [][]*int64{make([]*int64, 24)}
	for i := range wide.Cells[0] {
		wide.Cells[0][i] = bp(int64(i * 400))
	}
	_, root = render(t, HeatMap(wide))
	svg = checkSVG(t, root, "wide", "t", "d")
	if got := texts(svg, "heat-text"); len(got) != 0 {
		t.Errorf("numbers squeezed into cells: %v", got)
	}
	if cols := texts(svg, "chart-tick"); len(cols) >= 25 || cols[len(cols)-2] != "23" {
		t.Errorf("column labels not thinned to end on 23: %v", cols)
	}
}

func TestSparkline(t *testing.T) {
	tr := Trend{ID: "members-trend", Title: "New members", Desc: "New members per week, last 12 weeks.", Values: []int64{5, 9, 7}}
	out, root := render(t, Sparkline(tr))
	svg := checkSVG(t, root, "members-trend", tr.Title, tr.Desc)
	if svg.attr("preserveAspectRatio") != "none" || !strings.Contains(out, `data-testid="sparkline-members-trend"`) {
		t.Errorf("sparkline attrs %+v", svg.Attrs)
	}
	if pts := svg.all("polyline")[0].attr("points"); pts != "0,22 50,2 100,12" {
		t.Errorf("points %q", pts)
	}
	if len(svg.all("text")) != 0 || len(svg.all("line")) != 0 {
		t.Error("a sparkline has axes or text")
	}
	_, root = render(t, Sparkline(Trend{ID: "none", Title: "Revenue", Desc: "x"}))
	svg = checkSVG(t, root, "none", "Revenue", noData)
	if len(svg.all("polyline")) != 0 || len(withClass(svg, "line", "sparkline-none")) != 1 {
		t.Error("empty sparkline draws a trend")
	}
	if p := (Trend{Values: []int64{4}}).points(); p != "0,12 100,12" {
		t.Errorf("one value: %q", p)
	}
	// Values past the scale, whose difference overflows int64, still
	// draw inside the box.
	for _, vs := range [][]int64{{math.MinInt64, 0, math.MaxInt64}, {math.MaxInt64, math.MaxInt64 - 1}, {-3e18, 5, 7e18}} {
		for _, pt := range strings.Fields((Trend{Values: vs}).points()) {
			x, y, _ := strings.Cut(pt, ",")
			fx, errX := strconv.ParseFloat(x, 64)
			fy, errY := strconv.ParseFloat(y, 64)
			if errX != nil || errY != nil || fx < 0 || fx > sparkW || fy < 0 || fy > sparkH {
				t.Errorf("%v: point %s outside 0,0–%v,%v", vs, pt, sparkW, sparkH)
			}
		}
	}
}

func TestDataTable(t *testing.T) {
	c := Chart{ID: "rev", Title: "Revenue", Labels: []string{"Jan", "Feb"},
		Series: []Series{{Name: "Members", Values: []int64{1200, 300}}, {Name: "Guests", Values: []int64{5}}}}
	out, root := render(t, DataTable(c.Table("Month")))
	if !strings.Contains(out, `data-testid="table-rev-table"`) || root.all("p")[0].Text != "Revenue" || root.all("table")[0].attr("aria-labelledby") != "rev-table-caption" {
		t.Errorf("table id or caption: %s", out)
	}
	heads := root.all("thead")[0].all("th")
	if len(heads) != 3 || heads[0].Text != "Month" || heads[2].Text != "Guests" || heads[0].attr("scope") != "col" || !heads[1].hasClass("num") {
		t.Errorf("head %+v", heads)
	}
	rows := root.all("tbody")[0].all("tr")
	if len(rows) != 2 || rows[0].attr("data-testid") != "table-row" {
		t.Fatalf("rows %+v", rows)
	}
	var got [][]string
	for _, r := range rows {
		var cells []string
		for _, c := range r.Nodes {
			cells = append(cells, c.Text)
		}
		got = append(got, cells)
		if r.Nodes[0].XMLName.Local != "th" || r.Nodes[0].attr("scope") != "row" || !r.Nodes[1].hasClass("num") {
			t.Errorf("row cells %+v", r.Nodes)
		}
	}
	if want := [][]string{{"Jan", "1,200", "5"}, {"Feb", "300", ""}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows %q, want %q", got, want)
	}

	// Rows may link from their first cell; word columns are not numbers.
	linked := Table{ID: "people", Head: []string{"Member", "Distance", "Email"}, Rows: [][]string{{"Ada", "5", "ada@example.com"}, {"Bo", "7", ""}},
		Links: []string{"/members/1", ""}, TextCols: []int{2}}
	_, root = render(t, DataTable(linked))
	if a := root.all("a"); len(a) != 1 || a[0].attr("href") != "/members/1" || a[0].Text != "Ada" || len(root.all("p")) != 0 {
		t.Errorf("links %+v, captions %d", a, len(root.all("p")))
	}
	if cells := root.all("tbody")[0].all("td"); !cells[0].hasClass("num") || cells[1].hasClass("num") {
		t.Errorf("cell classes %+v", cells)
	}
	linked.Rows, linked.Empty = nil, "Nobody is near."
	if _, root := render(t, DataTable(linked)); root.all("td")[0].Text != "Nobody is near." {
		t.Errorf("empty text %+v", root.all("td"))
	}

	h := HeatGrid{ID: "c", Title: "Cohorts", Rows: []string{"2026-01", "2026-02"}, Cols: []string{"0", "1"},
		Cells: [][]*int64{{bp(10000), nil}, {bp(2500)}}}
	if tb := h.Table("Cohort"); fmt.Sprint(tb.Head, tb.Rows) != "[Cohort 0 1] [[2026-01 100% –] [2026-02 25% ]]" {
		t.Errorf("heat table %v %v", tb.Head, tb.Rows)
	}
}
