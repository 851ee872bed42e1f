package components

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Charts are drawn on the server as SVG: no script, no inline style (the
// Content-Security-Policy forbids both), colours from CSS classes. Each
// chart computes its marks here in user units of a fixed viewBox, and one
// template draws them; the SVG scales to its container's width.

// Series is one named run of values, aligned with its chart's Labels.
type Series struct {
	Name   string
	Values []int64
}

// Chart is what LineChart, BarChart, HorizontalBarChart and
// StackedBarChart draw: Series over shared category Labels (days, weeks,
// months, rewards), formatted by the caller.
type Chart struct {
	ID     string // unique on the page; the SVG's title and desc ids derive from it
	Title  string
	Desc   string
	Labels []string
	Series []Series
	// Format writes a value for axis ticks, tooltips and the data table,
	// like money from minor units; nil groups thousands: 12,345.
	Format func(int64) string
}

// HeatGrid is what HeatMap draws: a share in basis points (0..10000) per
// row and column, like the share of a monthly cohort (row) that bought in
// each month since joining (column). A nil cell is drawn as "no data";
// cells past a row's end are not drawn, which leaves a cohort triangle.
type HeatGrid struct {
	ID     string
	Title  string
	Desc   string
	Rows   []string
	Cols   []string
	Cells  [][]*int64
	Format func(int64) string // nil: a percentage, "37.5%"
}

// Trend is what Sparkline draws: a tile's recent values, oldest first.
type Trend struct {
	ID     string
	Title  string
	Desc   string
	Values []int64
}

// Table is the numbers of a chart as text: the first column names the
// row, the others are numbers (right-aligned) but for TextCols.
type Table struct {
	ID      string
	Caption string // none when ""
	Head    []string
	Rows    [][]string
	// Links, when set, makes each row's first cell a link to its address
	// ("" for a row without one): a member's page, a rule's weeks.
	Links []string
	// TextCols are the columns after the first that hold words, like an
	// email, left-aligned.
	TextCols []int
	Empty    string // what a table without rows says; "" for noData
	// Stacked tables are lists of people or things: on a phone each row
	// becomes a block of labelled values rather than scrolling sideways.
	Stacked bool
}

func (t Table) isNum(col int) bool { return col > 0 && !slices.Contains(t.TextCols, col) }

// link is the address row r's first cell opens, "" for none.
func (t Table) link(r int) string {
	if r < len(t.Links) {
		return t.Links[r]
	}
	return ""
}

// label names a stacked cell by its column.
func (t Table) label(col int) string {
	if col >= len(t.Head) {
		return ""
	}
	return t.Head[col]
}

func (t Table) empty() string {
	if t.Empty != "" {
		return t.Empty
	}
	return noData
}

// Geometry of the viewBox, in user units. Width is small so that text
// stays readable when a phone scales the chart down to ~360 px.
const (
	chartW      = 360.0
	chartH      = 200.0
	fontSize    = 12.0
	charW       = fontSize * 0.6 // a generous average glyph width
	labelGap    = 8.0            // least space between two axis labels
	pad         = 6.0
	rowH        = 24.0 // a horizontal bar's row
	cellH       = 22.0 // a heat-map row
	paletteSize = 6    // series-1..series-6 in app.css
	maxValue    = int64(1e18)
	// A line gets a dot per point, its tooltip; past dotsShownUpTo points
	// the dots would merge into a smear and show only under the pointer,
	// past dotsUpTo they are left out (the table has the numbers).
	dotsShownUpTo = 12
	dotsUpTo      = 62
)

// noData is the placeholder of every empty chart and table.
const noData = "No data for this range"

// plot is one chart's drawing: primitives the template writes out.
type plot struct {
	W, H  float64
	Class string
	// Frame is the value axis of line, bar and stacked charts, drawn
	// under their marks by chartFrame.
	Frame  axes
	Segs   []seg
	Rects  []mark
	Lines  []polyline
	Dots   []dot
	Texts  []label
	Legend []legendItem
	Empty  bool
}

type seg struct {
	X1, Y1, X2, Y2 float64
	Class          string
}

type mark struct {
	X, Y, W, H float64
	Class, Tip string
}

type polyline struct {
	Points string
	Class  string
}

type dot struct {
	X, Y       float64
	Class, Tip string
}

type label struct {
	X, Y   float64
	Anchor string // start, middle or end
	Class  string
	Text   string
	Size   float64 // font size, when not the chart's
}

func textAt(x, y float64, anchor, class, s string) label {
	return label{X: x, Y: y, Anchor: anchor, Class: class, Text: s}
}

// legendItem is one entry of the HTML legend under a chart; Line draws
// its swatch as a stroke rather than a block.
type legendItem struct {
	Class, Text string
	Line        bool
}

func (p plot) viewBox() string { return "0 0 " + num(p.W) + " " + num(p.H) }

// num writes a coordinate with one decimal at most.
func num(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

// FormatCount groups thousands: -1234567 → "-1,234,567".
func FormatCount(v int64) string {
	s := strconv.FormatInt(v, 10)
	digits := strings.TrimPrefix(s, "-")
	var b strings.Builder
	b.WriteString(s[:len(s)-len(digits)])
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// FormatBasisPoints writes a share as a percentage with at most one
// decimal: 3750 → "37.5%", 10000 → "100%".
func FormatBasisPoints(bp int64) string {
	return strconv.FormatFloat(math.Round(float64(bp)/10)/10, 'f', -1, 64) + "%"
}

// textW estimates a label's width in user units.
func textW(s string) float64 { return float64(utf8.RuneCountInString(s)) * charW }

func widest(ss []string) float64 {
	w := 0.0
	for _, s := range ss {
		w = max(w, textW(s))
	}
	return w
}

// fit shortens s with an ellipsis to at most w user units.
func fit(s string, w float64) string {
	n := int(w / charW)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n < 2 {
		return ""
	}
	return string([]rune(s)[:n-1]) + "…"
}

// thinStep is how many labels apart the shown ones are, so that labels of
// width w never overlap in slots of width slot.
func thinStep(slot, w float64) int {
	if slot <= 0 {
		return 1
	}
	return max(1, int(math.Ceil((w+labelGap)/slot)))
}

// shown says whether label i of n is drawn at step: counted back from the
// last, which is the most recent period and the one a reader looks for.
func shown(i, n, step int) bool { return (n-1-i)%step == 0 }

// scale maps values onto an axis whose ticks are "nice" steps (1, 2, 2.5
// or 5 times a power of ten) from lo to hi; zero is always on it.
type scale struct{ lo, hi, step int64 }

// maxIntervals is the most tick intervals an axis gets, one more when it
// crosses zero.
const maxIntervals = 5

func clampValue(v int64) int64 { return min(max(v, -maxValue), maxValue) }

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// niceScale is the axis for values from lo to hi.
func niceScale(lo, hi int64) scale {
	lo, hi = min(clampValue(lo), 0), max(clampValue(hi), 0)
	if lo == hi {
		return scale{0, 1, 1}
	}
	for mag := int64(1); ; mag *= 10 {
		steps := []int64{mag, 2 * mag, 5 * mag}
		if mag >= 10 { // 2.5 is a whole step from 25 up
			steps = []int64{mag, 2 * mag, 5 * mag / 2, 5 * mag}
		}
		for _, step := range steps {
			up, down := ceilDiv(hi, step), ceilDiv(-lo, step)
			if up+down <= maxIntervals || up > 0 && down > 0 && up+down <= maxIntervals+1 {
				return scale{-down * step, up * step, step}
			}
		}
	}
}

func (s scale) ticks() []int64 {
	var t []int64
	for v := s.lo; v <= s.hi; v += s.step {
		t = append(t, v)
	}
	return t
}

// frac is where v lies on the axis, 0 at lo and 1 at hi.
func (s scale) frac(v int64) float64 {
	return float64(clampValue(v)-s.lo) / float64(s.hi-s.lo)
}

func (c Chart) format(v int64) string {
	if c.Format != nil {
		return c.Format(v)
	}
	return FormatCount(v)
}

// value is series k's value at label i, if it has one.
func (c Chart) value(k, i int) (int64, bool) {
	vs := c.Series[k].Values
	if i >= len(vs) {
		return 0, false
	}
	return vs[i], true
}

func (c Chart) empty() bool {
	for _, s := range c.Series {
		if len(s.Values) > 0 && len(c.Labels) > 0 {
			return false
		}
	}
	return true
}

// tip is the hover text of one value: "Mar 2026 · Revenue: 1,234".
func (c Chart) tip(k, i int, v int64) string {
	t := c.Labels[i]
	if name := c.Series[k].Name; name != "" {
		t += " · " + name
	}
	return t + ": " + c.format(v)
}

func seriesClass(k int) string { return "series-" + strconv.Itoa(k%paletteSize+1) }

// legend lists the series when there is more than one to tell apart.
func (c Chart) legend(line bool) []legendItem {
	if len(c.Series) < 2 {
		return nil
	}
	items := make([]legendItem, len(c.Series))
	for k, s := range c.Series {
		items[k] = legendItem{Class: seriesClass(k), Text: s.Name, Line: line}
	}
	return items
}

// valueRange is the least and greatest value drawn; stacked sums the
// positive and the negative values of each label apart.
func (c Chart) valueRange(stacked bool) (lo, hi int64) {
	for i := range c.Labels {
		var pos, neg int64
		for k := range c.Series {
			v, ok := c.value(k, i)
			if !ok {
				continue
			}
			v = clampValue(v)
			if !stacked {
				lo, hi = min(lo, v), max(hi, v)
				continue
			}
			if v > 0 {
				pos += v
			} else {
				neg += v
			}
		}
		lo, hi = min(lo, neg), max(hi, pos)
	}
	return lo, hi
}

// frame is the plot area of a chart with a vertical value axis.
type frame struct {
	left, top, right, bottom float64
	s                        scale
	n                        int
}

func (f frame) slot() float64        { return (f.right - f.left) / float64(f.n) }
func (f frame) center(i int) float64 { return f.left + (float64(i)+0.5)*f.slot() }
func (f frame) y(v int64) float64    { return f.bottom - f.s.frac(v)*(f.bottom-f.top) }
func (c Chart) frame(stacked bool) frame {
	s := niceScale(c.valueRange(stacked))
	var tickLabels []string
	for _, t := range s.ticks() {
		tickLabels = append(tickLabels, c.format(t))
	}
	return frame{
		left: widest(tickLabels) + 2*pad, top: fontSize + pad,
		// The last label, centred on its slot, must not overhang the edge.
		right: chartW - max(pad, widest(c.Labels)/2), bottom: chartH - fontSize - 2*pad,
		s: s, n: len(c.Labels),
	}
}

// axes is a chart's frame: grid lines with the zero line, value ticks,
// and the category labels under the plot.
type axes struct {
	Lines []seg
	Ticks []label
}

// axes draws the value ticks with their grid lines, the zero line, and
// the category labels thinned to fit.
func (c Chart) axes(f frame) axes {
	var a axes
	for _, t := range f.s.ticks() {
		y := f.y(t)
		class := "chart-grid"
		if t == 0 {
			class = "chart-axis"
		}
		a.Lines = append(a.Lines, seg{f.left, y, f.right, y, class})
		a.Ticks = append(a.Ticks, textAt(f.left-pad, y+fontSize*0.35, "end", "chart-tick", c.format(t)))
	}
	step := thinStep(f.slot(), widest(c.Labels))
	for i, l := range c.Labels {
		if !shown(i, f.n, step) {
			continue
		}
		// An edge label may overhang its slot; keep it inside the picture.
		half := textW(l) / 2
		x := min(max(f.center(i), half), chartW-half)
		a.Ticks = append(a.Ticks, textAt(x, chartH-pad, "middle", "chart-tick", l))
	}
	return a
}

// framedPlot is the drawing of a chart over a value axis: the frame that
// line, bar and stacked charts share, then the marks draw adds, then the
// legend (line swatches for a line chart). stacked scales the axis to
// each label's sums.
func (c Chart) framedPlot(class string, stacked, line bool, draw func(f frame, p *plot)) plot {
	if c.empty() {
		return emptyPlot()
	}
	f := c.frame(stacked)
	p := plot{W: chartW, H: chartH, Class: class, Frame: c.axes(f)}
	draw(f, &p)
	p.Legend = c.legend(line)
	return p
}

// linePlot draws one polyline per series, with hover dots while few.
func (c Chart) linePlot() plot {
	return c.framedPlot("chart-lines", false, true, func(f frame, p *plot) {
		dotClass := "chart-dot "
		if f.n > dotsShownUpTo {
			dotClass = "chart-dot chart-dot-hover "
		}
		for k := range c.Series {
			var pts []string
			for i := range c.Labels {
				v, ok := c.value(k, i)
				if !ok {
					break
				}
				x, y := f.center(i), f.y(v)
				pts = append(pts, num(x)+","+num(y))
				if f.n <= dotsUpTo {
					p.Dots = append(p.Dots, dot{x, y, dotClass + seriesClass(k), c.tip(k, i, v)})
				}
			}
			if len(pts) > 1 {
				p.Lines = append(p.Lines, polyline{strings.Join(pts, " "), "chart-line " + seriesClass(k)})
			}
		}
	})
}

// barPlot draws the series side by side in each label's slot; a lone
// series gets its values printed over the bars when they fit.
func (c Chart) barPlot() plot {
	return c.framedPlot("chart-bars", false, false, func(f frame, p *plot) {
		group := f.slot() * 0.8
		w := group / float64(len(c.Series))
		for i := range c.Labels {
			for k := range c.Series {
				v, ok := c.value(k, i)
				if !ok {
					continue
				}
				x := f.center(i) - group/2 + float64(k)*w
				top, base := f.y(max(v, 0)), f.y(min(v, 0))
				p.Rects = append(p.Rects, mark{x, top, w, base - top, "chart-bar " + seriesClass(k), c.tip(k, i, v)})
				if text := c.format(v); len(c.Series) == 1 && textW(text) <= f.slot() {
					y := top - pad/2
					if v < 0 {
						y = base + fontSize
					}
					p.Texts = append(p.Texts, textAt(x+w/2, y, "middle", "chart-value", text))
				}
			}
		}
	})
}

// stackedPlot piles each label's positive values up from zero and its
// negative values down from it.
func (c Chart) stackedPlot() plot {
	return c.framedPlot("chart-bars", true, false, func(f frame, p *plot) {
		w := f.slot() * 0.7
		for i := range c.Labels {
			var pos, neg int64
			for k := range c.Series {
				v, ok := c.value(k, i)
				if !ok || v == 0 {
					continue
				}
				v = clampValue(v)
				from := &pos
				if v < 0 {
					from = &neg
				}
				a, b := f.y(*from), f.y(*from+v)
				*from += v
				p.Rects = append(p.Rects, mark{f.center(i) - w/2, min(a, b), w, math.Abs(a - b), "chart-bar " + seriesClass(k), c.tip(k, i, v)})
			}
		}
	})
}

// horizontalPlot is a ranked list: one row per label, bars growing right
// from the labels, each value printed at its bar's end.
func (c Chart) horizontalPlot() plot {
	if c.empty() {
		return emptyPlot()
	}
	s := niceScale(c.valueRange(false))
	n := len(c.Labels)
	var values []string
	for k := range c.Series {
		for i := range c.Labels {
			if v, ok := c.value(k, i); ok {
				values = append(values, c.format(v))
			}
		}
	}
	labelW := min(widest(c.Labels), chartW*0.4)
	left, right := labelW+2*pad, chartW-widest(values)-2*pad
	x := func(v int64) float64 { return left + s.frac(v)*(right-left) }
	p := plot{W: chartW, H: float64(n)*rowH + 2*pad, Class: "chart-bars"}
	thick := rowH * 0.7 / float64(len(c.Series))
	for i, l := range c.Labels {
		top := pad + float64(i)*rowH
		p.Texts = append(p.Texts, textAt(left-pad, top+rowH/2+fontSize*0.35, "end", "chart-tick", fit(l, labelW)))
		for k := range c.Series {
			v, ok := c.value(k, i)
			if !ok {
				continue
			}
			a, b := x(min(v, 0)), x(max(v, 0))
			y := top + rowH*0.15 + float64(k)*thick
			p.Rects = append(p.Rects, mark{a, y, b - a, thick, "chart-bar " + seriesClass(k), c.tip(k, i, v)})
			p.Texts = append(p.Texts, textAt(b+pad/2, y+thick/2+fontSize*0.35, "start", "chart-value", c.format(v)))
		}
	}
	zero := x(0)
	p.Segs = append(p.Segs, seg{zero, pad, zero, p.H - pad, "chart-axis"})
	p.Legend = c.legend(false)
	return p
}

func emptyPlot() plot {
	p := plot{W: chartW, H: chartH / 2, Class: "chart-empty", Empty: true}
	p.Texts = []label{textAt(chartW/2, chartH/4+fontSize*0.35, "middle", "chart-empty-text", noData)}
	return p
}

// Table is the chart's numbers: one row per label, one column per series
// after the first, which is headed first (what the labels are: "Month").
func (c Chart) Table(first string) Table {
	t := Table{ID: c.ID + "-table", Caption: c.Title, Head: []string{first}}
	for _, s := range c.Series {
		t.Head = append(t.Head, s.Name)
	}
	if c.empty() {
		return t
	}
	for i, l := range c.Labels {
		row := []string{l}
		for k := range c.Series {
			cell := ""
			if v, ok := c.value(k, i); ok {
				cell = c.format(v)
			}
			row = append(row, cell)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// Heat buckets: 0 is its own shade, then five bands of 20 points.
const heatBuckets = 5

// heatBucket is the shade of a share: 0 for none at all, then 1..5 for up
// to 20%, 40%, 60%, 80% and 100%.
func heatBucket(bp int64) int {
	bp = min(max(bp, 0), 10000)
	if bp == 0 {
		return 0
	}
	return 1 + int((bp-1)*heatBuckets/10000)
}

// cellPercent is a share as a cell prints it, a whole percentage without
// its sign (the legend and tooltip have it): 3750 → "38".
func cellPercent(bp int64) string { return strconv.FormatInt((min(max(bp, 0), 10000)+50)/100, 10) }

func (h HeatGrid) format(bp int64) string {
	if h.Format != nil {
		return h.Format(bp)
	}
	return FormatBasisPoints(bp)
}

func (h HeatGrid) empty() bool {
	for _, row := range h.Cells {
		if len(row) > 0 && len(h.Cols) > 0 {
			return false
		}
	}
	return true
}

// cell is the value at row r, column c; ok is false past the row's end.
func (h HeatGrid) cell(r, c int) (v *int64, ok bool) {
	if r >= len(h.Cells) || c >= len(h.Cells[r]) || c >= len(h.Cols) {
		return nil, false
	}
	return h.Cells[r][c], true
}

// heatPlot draws a cell per value, its number inside when it fits, row
// labels on the left and thinned column labels on top.
func (h HeatGrid) heatPlot() plot {
	if h.empty() {
		return emptyPlot()
	}
	labelW := min(widest(h.Rows), chartW*0.3)
	left, top := labelW+2*pad, fontSize+2*pad
	cellW := (chartW - left - pad) / float64(len(h.Cols))
	p := plot{W: chartW, H: top + float64(len(h.Rows))*cellH + pad, Class: "chart-heat"}
	step := thinStep(cellW, widest(h.Cols))
	// Cells print their share ("100" the widest, digits ~0.65 em), in the
	// largest font up to 11 that fits, or not at all below 8.
	cellFont := min(11, (cellW-4)/(3*0.65))
	if cellFont < 8 {
		cellFont = 0
	}
	for c, col := range h.Cols {
		if shown(c, len(h.Cols), step) {
			p.Texts = append(p.Texts, textAt(left+(float64(c)+0.5)*cellW, top-pad, "middle", "chart-tick", col))
		}
	}
	for r, row := range h.Rows {
		y := top + float64(r)*cellH
		p.Texts = append(p.Texts, textAt(left-pad, y+cellH/2+fontSize*0.35, "end", "chart-tick", fit(row, labelW)))
		for c, col := range h.Cols {
			v, ok := h.cell(r, c)
			if !ok {
				continue
			}
			x := left + float64(c)*cellW
			tip := row + " · " + col + ": "
			if v == nil {
				p.Rects = append(p.Rects, mark{x + 1, y + 1, cellW - 2, cellH - 2, "heat-none", tip + "no data"})
				continue
			}
			b := heatBucket(*v)
			p.Rects = append(p.Rects, mark{x + 1, y + 1, cellW - 2, cellH - 2, "heat-" + strconv.Itoa(b), tip + h.format(*v)})
			if cellFont > 0 {
				l := textAt(x+cellW/2, y+cellH/2+cellFont*0.35, "middle", "heat-text heat-text-"+strconv.Itoa(b), cellPercent(*v))
				l.Size = cellFont
				p.Texts = append(p.Texts, l)
			}
		}
	}
	for b, text := range []string{"0%", "up to 20%", "up to 40%", "up to 60%", "up to 80%", "up to 100%"} {
		p.Legend = append(p.Legend, legendItem{Class: "heat-" + strconv.Itoa(b), Text: text})
	}
	p.Legend = append(p.Legend, legendItem{Class: "heat-none", Text: "no data"})
	return p
}

// Table is the grid's numbers, the rows headed first ("Cohort"); a cell
// without data reads "–".
func (h HeatGrid) Table(first string) Table {
	t := Table{ID: h.ID + "-table", Caption: h.Title, Head: append([]string{first}, h.Cols...)}
	if h.empty() {
		return t
	}
	for r, name := range h.Rows {
		row := []string{name}
		for c := range h.Cols {
			v, ok := h.cell(r, c)
			switch {
			case !ok:
				row = append(row, "")
			case v == nil:
				row = append(row, "–")
			default:
				row = append(row, h.format(*v))
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// Sparkline geometry: the viewBox stretches to the tile (no axes, no text).
const sparkW, sparkH = 100.0, 24.0

// sparkInset keeps the line's stroke off the box's top and bottom edges.
const sparkInset = 2.0

// points is the trend's line, scaled from its least to its greatest value
// so that the shape shows even when the values lie close together. The
// values are clamped to what a scale holds (±maxValue) first: then no
// difference between two of them overflows, and every point lies inside
// the box.
func (t Trend) points() string {
	n := len(t.Values)
	if n == 0 {
		return ""
	}
	lo, hi := clampValue(t.Values[0]), clampValue(t.Values[0])
	for _, v := range t.Values {
		lo, hi = min(lo, clampValue(v)), max(hi, clampValue(v))
	}
	y := func(v int64) float64 {
		if hi == lo {
			return sparkH / 2
		}
		return sparkH - sparkInset - float64(clampValue(v)-lo)/float64(hi-lo)*(sparkH-2*sparkInset)
	}
	if n == 1 {
		return "0," + num(y(t.Values[0])) + " " + num(sparkW) + "," + num(y(t.Values[0]))
	}
	pts := make([]string, n)
	for i, v := range t.Values {
		pts[i] = num(float64(i)*sparkW/float64(n-1)) + "," + num(y(v))
	}
	return strings.Join(pts, " ")
}

// area closes the line down to the bottom edge, for a faint fill.
func (t Trend) area() string {
	return "0," + num(sparkH) + " " + t.points() + " " + num(sparkW) + "," + num(sparkH)
}

func (t Trend) desc() string {
	if len(t.Values) == 0 {
		return noData
	}
	return t.Desc
}

func svgLabelledBy(id string) string { return id + "-title " + id + "-desc" }
