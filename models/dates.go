package models

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// usZones are the time zones of the United States outside US/*, where a
// date like 01/02/1980 is January 2; elsewhere it is 1 February.
var usZones = map[string]bool{
	"America/New_York": true, "America/Detroit": true, "America/Chicago": true, "America/Denver": true,
	"America/Phoenix": true, "America/Los_Angeles": true, "America/Anchorage": true, "Pacific/Honolulu": true,
	"America/Boise": true, "America/Menominee": true, "America/Juneau": true, "America/Sitka": true,
	"America/Metlakatla": true, "America/Yakutat": true, "America/Nome": true, "America/Adak": true,
	"America/Indianapolis": true, "America/Fort_Wayne": true, "America/Louisville": true,
	"America/Knox_IN": true, "America/Atka": true, "America/Shiprock": true, "Navajo": true,
	"America/Puerto_Rico": true, "America/St_Thomas": true,
}

// MonthFirst reports whether a merchant in time zone tz writes dates
// month first: the one rule for reading a date like 01/02/1980.
func MonthFirst(tz string) bool {
	return usZones[tz] || strings.HasPrefix(tz, "US/") || strings.HasPrefix(tz, "America/Indiana/") ||
		strings.HasPrefix(tz, "America/Kentucky/") || strings.HasPrefix(tz, "America/North_Dakota/")
}

var (
	isoDate     = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})$`)
	writtenDate = regexp.MustCompile(`^(\d{1,2})([/.-])(\d{1,2})([/.-])(\d{4})$`)
)

// checkDate says whether year, month and day name a day of the calendar.
func checkDate(year, month, day int) bool {
	d := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	return d.Year() == year && int(d.Month()) == month && d.Day() == day
}

// dateProblem says why s, meant as a date like 1990-05-17, is not one: ""
// when it is a day of the calendar.
func dateProblem(s string) string {
	m := isoDate.FindStringSubmatch(s)
	if m == nil || len(s) != len(dateLayout) {
		return "Enter a date like 1990-05-17."
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	switch {
	case mo < 1 || mo > 12:
		return fmt.Sprintf("%s does not exist: there is no month %d.", s, mo)
	case !checkDate(y, mo, d):
		days := time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC).Day()
		return fmt.Sprintf("%s does not exist: %s %d has %d days.", s, time.Month(mo), y, days)
	}
	return ""
}

// importDate reads a date as spreadsheets write it: ISO (1980-12-31), day
// first (31/12/1980, 31.12.1980, 31-12-1980) or month first (12/31/1980).
// When both readings are dates (01/02/1980), monthFirst (the merchant's
// locale, MonthFirst) decides. It returns the date in ISO form, or what
// is wrong with it.
func importDate(s string, monthFirst bool) (iso, problem string) {
	if s == "" {
		return "", ""
	}
	example := "1980-12-31 or 31/12/1980"
	if monthFirst {
		example = "1980-12-31 or 12/31/1980"
	}
	var y, mo, d int
	if m := isoDate.FindStringSubmatch(s); m != nil {
		y, _ = strconv.Atoi(m[1])
		mo, _ = strconv.Atoi(m[2])
		d, _ = strconv.Atoi(m[3])
	} else if m := writtenDate.FindStringSubmatch(s); m != nil && m[2] == m[4] {
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[3])
		y, _ = strconv.Atoi(m[5])
		d, mo = a, b
		if a <= 12 && (b > 12 || monthFirst) {
			d, mo = b, a
		}
	} else {
		return "", "Write the date like " + example + "."
	}
	if !checkDate(y, mo, d) {
		return "", fmt.Sprintf("%s is not a date: check the day and the month (like %s).", s, example)
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, mo, d), ""
}
