package models_test

import (
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

func TestReportRangeOf(t *testing.T) {
	paris := mustZone(t, "Europe/Paris")
	auckland := mustZone(t, "Pacific/Auckland")
	at := func(loc *time.Location, s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name      string
		q         models.RangeQuery
		now       time.Time
		loc       *time.Location
		first     string
		from, to  string // the days, both included
		days      int
		prevFrom  string
		prevTo    string
		hoursLong float64 // To - From, when it is not days × 24
	}{
		{name: "default is 30 days", now: at(paris, "2026-12-01 10:00"), loc: paris,
			from: "2026-11-02", to: "2026-12-01", days: 30, prevFrom: "2026-10-03", prevTo: "2026-11-01"},
		{name: "7 days over the spring change", q: models.RangeQuery{Range: "7d"}, now: at(paris, "2026-03-30 12:00"), loc: paris,
			from: "2026-03-24", to: "2026-03-30", days: 7, prevFrom: "2026-03-17", prevTo: "2026-03-23", hoursLong: 7*24 - 1},
		{name: "90 days over the autumn change", q: models.RangeQuery{Range: "90d"}, now: at(paris, "2026-11-20 08:00"), loc: paris,
			from: "2026-08-23", to: "2026-11-20", days: 90, prevFrom: "2026-05-25", prevTo: "2026-08-22", hoursLong: 90*24 + 1},
		{name: "today is the merchant's, not UTC's", q: models.RangeQuery{Range: "7d"}, now: time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC), loc: auckland,
			from: "2026-11-26", to: "2026-12-02", days: 7, prevFrom: "2026-11-19", prevTo: "2026-11-25"},
		{name: "this month on its last day", q: models.RangeQuery{Range: "this-month"}, now: at(paris, "2026-01-31 23:59"), loc: paris,
			from: "2026-01-01", to: "2026-01-31", days: 31, prevFrom: "2025-12-01", prevTo: "2025-12-31"},
		{name: "this month on its first day", q: models.RangeQuery{Range: "this-month"}, now: at(paris, "2026-03-01 00:00"), loc: paris,
			from: "2026-03-01", to: "2026-03-01", days: 1, prevFrom: "2026-02-28", prevTo: "2026-02-28"},
		{name: "last month from January is December", q: models.RangeQuery{Range: "last-month"}, now: at(paris, "2026-01-15 09:00"), loc: paris,
			from: "2025-12-01", to: "2025-12-31", days: 31, prevFrom: "2025-10-31", prevTo: "2025-11-30"},
		{name: "last month is a leap February", q: models.RangeQuery{Range: "last-month"}, now: at(paris, "2028-03-31 09:00"), loc: paris,
			from: "2028-02-01", to: "2028-02-29", days: 29, prevFrom: "2028-01-03", prevTo: "2028-01-31"},
		{name: "this year", q: models.RangeQuery{Range: "this-year"}, now: at(paris, "2026-02-10 09:00"), loc: paris,
			from: "2026-01-01", to: "2026-02-10", days: 41, prevFrom: "2025-11-21", prevTo: "2025-12-31"},
		{name: "12 months", q: models.RangeQuery{Range: "12m"}, now: at(paris, "2026-12-01 09:00"), loc: paris,
			from: "2025-12-02", to: "2026-12-01", days: 365, prevFrom: "2024-12-02", prevTo: "2025-12-01"},
		{name: "12 months from 29 February", q: models.RangeQuery{Range: "12m"}, now: at(paris, "2028-02-29 09:00"), loc: paris,
			from: "2027-03-01", to: "2028-02-29", days: 366, prevFrom: "2026-02-28", prevTo: "2027-02-28"},
		{name: "all time from the first data day", q: models.RangeQuery{Range: "all"}, now: at(paris, "2026-12-01 09:00"), loc: paris, first: "2024-05-06",
			from: "2024-05-06", to: "2026-12-01", days: 940, prevFrom: "2021-10-09", prevTo: "2024-05-05", hoursLong: 940*24 + 1},
		{name: "all time without data is today", q: models.RangeQuery{Range: "all"}, now: at(paris, "2026-12-01 09:00"), loc: paris,
			from: "2026-12-01", to: "2026-12-01", days: 1, prevFrom: "2026-11-30", prevTo: "2026-11-30"},
		{name: "custom dates", q: models.RangeQuery{From: "2026-02-01", To: "2026-02-28"}, now: at(paris, "2026-12-01 09:00"), loc: paris,
			from: "2026-02-01", to: "2026-02-28", days: 28, prevFrom: "2026-01-04", prevTo: "2026-01-31"},
		{name: "custom dates named custom", q: models.RangeQuery{Range: "custom", From: "2026-12-01", To: "2026-12-01"}, now: at(paris, "2026-12-01 09:00"), loc: paris,
			from: "2026-12-01", to: "2026-12-01", days: 1, prevFrom: "2026-11-30", prevTo: "2026-11-30"},
		{name: "a preset wins over the dates the form also sent", q: models.RangeQuery{Range: "7d", From: "2020-01-01", To: "2020-01-31"}, now: at(paris, "2026-12-01 09:00"), loc: paris,
			from: "2026-11-25", to: "2026-12-01", days: 7, prevFrom: "2026-11-18", prevTo: "2026-11-24"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := models.ReportRangeOf(tc.q, tc.now, tc.loc, tc.first)
			if err != nil {
				t.Fatal(err)
			}
			if r.FromDay != tc.from || r.ToDay != tc.to || r.Days() != tc.days {
				t.Fatalf("range %s..%s (%d days), want %s..%s (%d)", r.FromDay, r.ToDay, r.Days(), tc.from, tc.to, tc.days)
			}
			// The instants are the local midnights that bound those days.
			if got := r.From.In(tc.loc); got.Format("2006-01-02 15:04") != tc.from+" 00:00" {
				t.Errorf("From %v, want midnight of %s", got, tc.from)
			}
			if got := r.To.In(tc.loc); got.Format("2006-01-02 15:04") != civilAfter(tc.to)+" 00:00" {
				t.Errorf("To %v, want midnight after %s", got, tc.to)
			}
			want := float64(tc.days * 24)
			if tc.hoursLong != 0 {
				want = tc.hoursLong
			}
			if got := r.To.Sub(r.From).Hours(); got != want {
				t.Errorf("range lasts %v hours, want %v", got, want)
			}
			p := r.Previous()
			if p.FromDay != tc.prevFrom || p.ToDay != tc.prevTo || p.Days() != tc.days || !p.To.Equal(r.From) {
				t.Errorf("previous %s..%s (%d days, ends %v), want %s..%s ending where %v starts",
					p.FromDay, p.ToDay, p.Days(), p.To, tc.prevFrom, tc.prevTo, r.From)
			}
		})
	}
}

func civilAfter(day string) string {
	d, _ := time.Parse("2006-01-02", day)
	return d.AddDate(0, 0, 1).Format("2006-01-02")
}

// Where a daylight-saving change skips midnight, the day starts at the
// change: every instant of 6 September in Santiago is in a range starting
// that day, and none of the 5th.
func TestReportRangeMidnightSkipped(t *testing.T) {
	santiago := mustZone(t, "America/Santiago")
	r, err := models.ReportRangeOf(models.RangeQuery{From: "2026-09-06", To: "2026-09-06"}, time.Date(2026, 9, 10, 12, 0, 0, 0, time.UTC), santiago, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.From.In(santiago); got.Format("2006-01-02 15:04") != "2026-09-06 01:00" {
		t.Errorf("the 6th starts at %v, want 01:00 (the clocks skip midnight)", got)
	}
	if r.From.Add(-time.Second).In(santiago).Day() != 5 || r.To.Sub(r.From) != 23*time.Hour {
		t.Errorf("range %v..%v is not the 23 hours of the 6th", r.From, r.To)
	}
}

func TestReportRangeRefusals(t *testing.T) {
	paris := mustZone(t, "Europe/Paris")
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, paris)
	cases := []struct {
		q    models.RangeQuery
		want string
	}{
		{models.RangeQuery{Range: "forever"}, `no range called "forever"`},
		{models.RangeQuery{From: "2026-11-01"}, "both a start date and an end date"},
		{models.RangeQuery{From: "2026-02-30", To: "2026-03-01"}, "The start date: 2026-02-30 does not exist: February 2026 has 28 days."},
		{models.RangeQuery{From: "2026-01-01", To: "1/2/2026"}, "The end date: Enter a date like"},
		{models.RangeQuery{From: "2026-11-30", To: "2026-11-01"}, "is after the end date"},
		{models.RangeQuery{From: "1999-12-31", To: "2026-11-01"}, "start at 2000-01-01 at the earliest"},
		{models.RangeQuery{From: "2026-11-01", To: "2026-12-02"}, "is in the future: choose 2026-12-01 (today) or earlier"},
		{models.RangeQuery{From: "99999-01-01", To: "2026-12-01"}, "Enter a date like"},
	}
	for _, tc := range cases {
		_, err := models.ReportRangeOf(tc.q, now, paris, "")
		if models.ErrorCode(err) != models.EINVALID || !strings.Contains(models.ErrorMessage(err), tc.want) {
			t.Errorf("%+v: got %v, want EINVALID saying %q", tc.q, err, tc.want)
		}
	}
}

// All time starts at the merchant's first member, purchase or entry, in
// its time zone, and another merchant's older data does not count.
func TestParseReportRangeAllTime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		paris := mustZone(t, "Europe/Paris")
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, paris)
		other := newShop(t, db, "older@example.com").db
		enrol(t, other, models.MemberInput{Name: "Early Bird"}, now.AddDate(-3, 0, 0))
		shop := newShop(t, db, "new@example.com").db
		all := models.RangeQuery{Range: "all"}
		r, err := models.ParseReportRange(shop, all, now, paris)
		if err != nil || r.FromDay != "2026-12-01" {
			t.Fatalf("no data: %+v, %v; want today", r, err)
		}
		// 23:30 UTC on 31 December is already 1 January in Paris.
		joined := time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC)
		enrol(t, shop, models.MemberInput{Name: "Ada"}, joined)
		r, err = models.ParseReportRange(shop, all, now, paris)
		if err != nil || r.FromDay != "2026-01-01" || r.ToDay != "2026-12-01" {
			t.Fatalf("all time %+v, %v; want 2026-01-01..2026-12-01", r, err)
		}
	})
}
