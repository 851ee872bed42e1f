package handlers

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/regularshq/regulars/models"
)

// How values read on a page: money, a program's units, counts, rates,
// dates and waits. One file, so that every page words the same value the
// same way.

// money shows minor units with the currency, like "3.50 EUR".
func money(minor int64, currency string) string {
	return models.FormatMoney(minor, currency) + " " + currency
}

// quantity writes an amount of a unit, singular for exactly one of a
// plural English label: "1 point", "2.5 points". Labels are the owner's
// words, so this is a courtesy, not grammar.
func quantity(n, label string) string {
	if n == "1" && strings.HasSuffix(label, "s") && !strings.HasSuffix(label, "ss") {
		label = strings.TrimSuffix(label, "s")
	}
	return n + " " + label
}

// units writes an amount of a program's unit; cashback is credit in minor
// units of the currency, so it reads as money.
func units(p *models.Program, n int64, currency string) string {
	if p.Type == models.ProgramCashback {
		return money(n, currency) + " " + p.UnitLabel
	}
	return quantity(fmt.Sprint(n), p.UnitLabel)
}

// signed writes a change of balance with its sign: "+120 points", "−50
// points".
func signed(p *models.Program, n int64, currency string) string {
	if n < 0 {
		return "−" + units(p, -n, currency)
	}
	return "+" + units(p, n, currency)
}

// multiplierText writes an earn multiplier kept in thousandths: "1.25×".
func multiplierText(milli int64) string { return models.FormatRate(milli, 3) + "×" }

// threshold shows a tier's threshold in the program's metric.
func threshold(p *models.Program, v int64, currency string) string {
	switch p.TierMetric {
	case models.MetricSpend:
		return money(v, currency) + " spent"
	case models.MetricVisits:
		return quantity(fmt.Sprint(v), "visits")
	}
	return quantity(fmt.Sprint(v), p.UnitLabel) + " earned"
}

// localDate is a moment's day in the business's time zone, "never" for
// none: "3 Nov 2026".
func localDate(t *time.Time, loc *time.Location) string {
	if t == nil {
		return "never"
	}
	return t.In(loc).Format("2 Jan 2006")
}

// percent is a ratio as shown: "42.1%", or "—" without a denominator.
func percent(r models.Ratio) string {
	if !r.Valid() {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", r.Float()*100)
}

// percentCSV is a ratio for a spreadsheet: a percentage to 2 decimals,
// empty without a denominator.
func percentCSV(r models.Ratio) string {
	if !r.Valid() {
		return ""
	}
	return strconv.FormatFloat(r.Float()*100, 'f', 2, 64)
}

// shareText words a share with one decimal: 0.6667 → "66.7%".
func shareText(r float64) string {
	return strconv.FormatFloat(r*100, 'f', 1, 64) + "%"
}

// monthLabel words a YYYY-MM month: "Feb 2026".
func monthLabel(month string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return t.Format("Jan 2006")
}

// weekLabel is a week's Monday for a chart axis: "2 Mar".
func weekLabel(day string) string {
	t, err := time.Parse("2006-01-02", day)
	if err != nil {
		return day
	}
	return t.Format("2 Jan")
}

// bucketLabel names a run of days: "3 Nov", or "3–9 Nov".
func bucketLabel(b models.Bucket) string {
	from, to := models.ParseDay(b.FromDay), models.ParseDay(b.ToDay)
	switch {
	case b.FromDay == b.ToDay:
		return from.Format("2 Jan")
	case from.Month() == to.Month():
		return from.Format("2") + "–" + to.Format("2 Jan")
	}
	return from.Format("2 Jan") + " – " + to.Format("2 Jan")
}

// capitalise starts s with a capital, for a unit label heading a column.
func capitalise(s string) string {
	if s == "" {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

// yesNo words a flag for a table cell.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// humanWait words how long to wait before trying again, rounded up to
// whole minutes: "a minute", "12 minutes".
func humanWait(d time.Duration) string {
	if d <= time.Minute {
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", int(math.Ceil(d.Minutes())))
}
