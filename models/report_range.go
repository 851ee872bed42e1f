package models

import (
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// RangePreset is a named date range of the reports.
type RangePreset struct {
	Value string
	Label string
}

// DefaultRangePreset is the range a report opens with.
const DefaultRangePreset = "30d"

// rangeAll runs from the merchant's first data day.
const rangeAll = "all"

// RangePresets lists the presets in the order the range form offers them.
var RangePresets = []RangePreset{
	{"7d", "7 days"}, {"30d", "30 days"}, {"90d", "90 days"},
	{"this-month", "This month"}, {"last-month", "Last month"},
	{"this-year", "This year"}, {"12m", "12 months"}, {rangeAll, "All time"},
}

// earliestReportDay bounds a custom range: nothing a merchant brings in
// is older, and it keeps a mistyped year from asking for centuries.
const earliestReportDay = "2000-01-01"

// RangeQuery is a report range as asked for: a preset, or a custom
// From and To (ISO dates, both ends included).
type RangeQuery struct {
	Range string
	From  string
	To    string
}

// ReportRange is the period a report covers: the local days FromDay to
// ToDay, both included, in the merchant's time zone. From is the local
// midnight starting FromDay and To the one ending ToDay, so an instant t
// is in the range when From <= t < To.
type ReportRange struct {
	From, To       time.Time
	FromDay, ToDay string
	Preset         string // "" for a custom range
}

// ParseDay reads a day 'YYYY-MM-DD' as a UTC midnight, for day arithmetic
// that no daylight-saving change can bend; the zero time if it is not one.
func ParseDay(day string) time.Time {
	t, _ := time.Parse(dateLayout, day)
	return t
}

// newReportRange is the range of the calendar dates from and to (UTC
// midnights) in loc.
func newReportRange(from, to time.Time, loc *time.Location, preset string) ReportRange {
	return ReportRange{
		From:    StartOfDay(from, loc),
		To:      StartOfDay(to.AddDate(0, 0, 1), loc),
		FromDay: from.Format(dateLayout),
		ToDay:   to.Format(dateLayout),
		Preset:  preset,
	}
}

// StartOfDay is the first instant of the calendar date of day (its year,
// month and day) in loc. That is midnight, except where a daylight-saving
// change skips midnight (Santiago in September): time.Date then answers
// 23:00 the day before, and the day really starts at the change.
func StartOfDay(day time.Time, loc *time.Location) time.Time {
	t := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	if t.Day() != day.Day() {
		_, t = t.ZoneBounds()
	}
	return t
}

// Days is how many days the range covers.
func (r ReportRange) Days() int {
	return int(ParseDay(r.ToDay).Sub(ParseDay(r.FromDay))/(24*time.Hour)) + 1
}

// Previous is the period of the same number of days just before r, which
// figures are compared with.
func (r ReportRange) Previous() ReportRange {
	from := ParseDay(r.FromDay)
	return newReportRange(from.AddDate(0, 0, -r.Days()), from.AddDate(0, 0, -1), r.From.Location(), "")
}

// Label words the range for a heading: "1 Nov 2026 – 30 Nov 2026".
func (r ReportRange) Label() string {
	const layout = "2 Jan 2006"
	if r.FromDay == r.ToDay {
		return ParseDay(r.FromDay).Format(layout)
	}
	return ParseDay(r.FromDay).Format(layout) + " – " + ParseDay(r.ToDay).Format(layout)
}

// lastOfMonth is the date of the last day of the month of t.
func lastOfMonth(year int, month time.Month) time.Time {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC)
}

// presetStart is the first day of a preset range ending today; ok is
// false for an unknown preset.
func presetStart(preset string, today time.Time, firstDay string) (time.Time, bool) {
	y, m, d := today.Date()
	switch preset {
	case "7d":
		return today.AddDate(0, 0, -6), true
	case "30d":
		return today.AddDate(0, 0, -29), true
	case "90d":
		return today.AddDate(0, 0, -89), true
	case "this-month":
		return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC), true
	case "this-year":
		return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), true
	case "12m":
		// The day after the same date a year ago; 29 February's year-ago
		// date is the 28th, as AddDate would step into March.
		ago := lastOfMonth(y-1, m)
		if d < ago.Day() {
			ago = time.Date(y-1, m, d, 0, 0, 0, 0, time.UTC)
		}
		return ago.AddDate(0, 0, 1), true
	case rangeAll:
		if first := ParseDay(firstDay); firstDay != "" && first.Before(today) {
			return first, true
		}
		return today, true
	}
	return time.Time{}, false
}

// ReportRangeOf reads a range in the time zone loc at now. A preset wins
// over custom dates (the form sends both); without either it is the
// default preset. firstDay is the merchant's first data day, which "all"
// starts at ("" for none). Bad input is an EINVALID error saying what to
// change.
func ReportRangeOf(q RangeQuery, now time.Time, loc *time.Location, firstDay string) (ReportRange, error) {
	local := now.In(loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	preset := q.Range
	if preset == "" && q.From == "" && q.To == "" {
		preset = DefaultRangePreset
	}
	if preset == "last-month" {
		y, m, _ := today.Date()
		return newReportRange(time.Date(y, m-1, 1, 0, 0, 0, 0, time.UTC), lastOfMonth(y, m-1), loc, preset), nil
	}
	if preset != "" && preset != "custom" {
		from, ok := presetStart(preset, today, firstDay)
		if !ok {
			return ReportRange{}, Errorf(EINVALID, "There is no range called %q: choose one of the ranges offered, or enter dates.", preset)
		}
		return newReportRange(from, today, loc, preset), nil
	}
	return customRange(q, today, loc)
}

func customRange(q RangeQuery, today time.Time, loc *time.Location) (ReportRange, error) {
	if q.From == "" || q.To == "" {
		return ReportRange{}, Errorf(EINVALID, "Enter both a start date and an end date, like %s and %s.",
			today.AddDate(0, 0, -29).Format(dateLayout), today.Format(dateLayout))
	}
	for _, end := range []struct{ name, value string }{{"start", q.From}, {"end", q.To}} {
		if problem := dateProblem(end.value); problem != "" {
			return ReportRange{}, Errorf(EINVALID, "The %s date: %s", end.name, problem)
		}
	}
	from, to := ParseDay(q.From), ParseDay(q.To)
	switch {
	case to.Before(from):
		return ReportRange{}, Errorf(EINVALID, "The start date %s is after the end date %s: swap them.", q.From, q.To)
	case from.Before(ParseDay(earliestReportDay)):
		return ReportRange{}, Errorf(EINVALID, "Reports start at %s at the earliest: choose a later start date than %s.", earliestReportDay, q.From)
	case to.After(today):
		return ReportRange{}, Errorf(EINVALID, "The end date %s is in the future: choose %s (today) or earlier.", q.To, today.Format(dateLayout))
	}
	return newReportRange(from, to, loc, ""), nil
}

// ParseReportRange is ReportRangeOf for the scoped merchant, looking up
// its first data day only when the range asks for all time.
func ParseReportRange(db *gorm.DB, q RangeQuery, now time.Time, loc *time.Location) (ReportRange, error) {
	first := ""
	if q.Range == rangeAll {
		var err error
		if first, err = FirstDataDay(db, loc); err != nil {
			return ReportRange{}, err
		}
	}
	return ReportRangeOf(q, now, loc, first)
}

// FirstDataDay is the local day of the scoped merchant's earliest member,
// purchase or ledger entry; "" when it has none. Each is one step of an
// index on (merchant_id, time).
func FirstDataDay(db *gorm.DB, loc *time.Location) (string, error) {
	var first *time.Time
	for _, src := range []struct {
		model  any
		column string
	}{{&Member{}, "created_at"}, {&Purchase{}, "occurred_at"}, {&LedgerEntry{}, "created_at"}} {
		var t time.Time
		err := db.Model(src.model).Select(src.column).Order(src.column).Limit(1).Scan(&t).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return "", fmt.Errorf("report: first data day: %w", err)
		}
		if !t.IsZero() && (first == nil || t.Before(*first)) {
			first = &t
		}
	}
	if first == nil {
		return "", nil
	}
	return first.In(loc).Format(dateLayout), nil
}
