package handlers

import (
	"net/http"
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

// auditPageSize is how many entries one page of the log shows.
const auditPageSize = 50

// auditFilter reads the log's filters from the query. Dates are the
// business's local days: from is the start of its day, to the start of the
// day after, so a one-day range covers the whole day wherever the server is.
func auditFilter(q url.Values, loc *time.Location) (models.AuditFilter, error) {
	var f models.AuditFilter
	v := models.Validation{}
	if who := q.Get("who"); who != "" {
		id, err := parseID(who)
		v.Check(err == nil, "who", "Choose a person from the list.")
		f.ActorID = id
	}
	f.EntityType = q.Get("what")
	v.Check(f.EntityType == "" || slices.Contains(models.AuditEntityTypes, f.EntityType), "what", "Choose what changed from the list.")
	from, fromOK := localDay(v, q.Get("from"), "from", loc)
	to, toOK := localDay(v, q.Get("to"), "to", loc)
	if fromOK && toOK && !from.IsZero() && !to.IsZero() {
		v.Check(!to.Before(from), "to", "The end date is before the start date.")
	}
	f.From = from
	if !to.IsZero() {
		f.To = to.AddDate(0, 0, 1)
	}
	if err := v.Err(); err != nil {
		return f, err
	}
	if before := q.Get("before"); before != "" {
		id, err := parseID(before)
		if err != nil {
			return f, models.Errorf(models.EINVALID, "That page of the log does not exist. Start again from the newest entries.")
		}
		f.BeforeID = id
	}
	return f, nil
}

// localDay reads an optional date as the start of that day in loc.
func localDay(v models.Validation, s, field string, loc *time.Location) (time.Time, bool) {
	if s = strings.TrimSpace(s); s == "" {
		return time.Time{}, true
	}
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	v.Check(err == nil, field, "Enter a date like 2026-03-01.")
	return t, err == nil
}

// auditTypeLabels words what the log records, for its filter and table.
var auditTypeLabels = map[string]string{
	"business": "Business", "user": "Team member", "program": "Program", "tier": "Tier",
	"reward": "Reward", "earning_rule": "Earning rule", "campaign": "Campaign", "adjustment": "Balance adjustment", "member": "Member", "import": "Member import",
	"recognition": "Recognition (hidden)", "recognition_settings": "Recognition settings",
}

func auditTypeLabel(t string) string {
	if l, ok := auditTypeLabels[t]; ok {
		return l
	}
	return t
}

func auditChoices(users []models.User) (people, types []components.Option) {
	people = []components.Option{{Value: "", Label: "Anyone"}}
	for _, u := range users {
		label := u.Name
		if !u.Active {
			label += " (deactivated)"
		}
		people = append(people, components.Option{Value: strconv.FormatInt(u.ID, 10), Label: label})
	}
	types = []components.Option{{Value: "", Label: "Anything"}}
	for _, t := range models.AuditEntityTypes {
		types = append(types, components.Option{Value: t, Label: auditTypeLabel(t)})
	}
	return people, types
}

func auditRow(e *models.AuditEntry, loc *time.Location, currency string) pages.AuditRow {
	row := pages.AuditRow{
		When: e.CreatedAt.In(loc).Format("2 Jan 2006 15:04"), Who: e.ActorName, Action: e.Action,
		What: auditTypeLabel(e.EntityType) + " #" + strconv.FormatInt(e.EntityID, 10), Summary: e.Summary,
	}
	for _, ch := range e.Changes() {
		row.Changes = append(row.Changes, pages.AuditChange{
			Field:  auditFieldLabel(ch.Field),
			Before: auditValue(ch.Field, ch.Before, currency),
			After:  auditValue(ch.Field, ch.After, currency),
		})
	}
	return row
}

// auditURL is the log with the same filters, from an entry on (0 for the
// newest).
func auditURL(q url.Values, before int64) string {
	out := url.Values{}
	for _, k := range []string{"who", "what", "from", "to"} {
		if v := q.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	if before != 0 {
		out.Set("before", strconv.FormatInt(before, 10))
	}
	if len(out) == 0 {
		return "/settings/audit"
	}
	return "/settings/audit?" + out.Encode()
}

// auditPage shows the log, a page at a time, newest first. Refused filters
// show the form again with why, and no entries.
func (a *App) auditPage(c echo.Context) error {
	db, m, q := a.tenant(c), currentMerchant(c), c.QueryParams()
	users, err := models.ListUsers(db)
	if err != nil {
		return err
	}
	d := pages.AuditData{
		Filters:  pages.AuditFilters{Who: q.Get("who"), What: q.Get("what"), From: q.Get("from"), To: q.Get("to")},
		TimeZone: m.TimeZone,
	}
	d.People, d.Types = auditChoices(users)
	shell := a.shell(c, "Audit log")
	f, err := auditFilter(q, m.Location())
	if err != nil {
		status, refused := formRefusal(c, err)
		if !refused {
			return err
		}
		d.Errors, d.Message = models.FieldErrors(err), models.ErrorMessage(err)
		return render(c, status, pages.Audit(shell, d))
	}
	// One more than a page tells whether older entries exist.
	f.Limit = auditPageSize + 1
	entries, err := models.ListAudit(db, f)
	if err != nil {
		return err
	}
	if len(entries) > auditPageSize {
		entries = entries[:auditPageSize]
		d.OlderURL = auditURL(q, entries[len(entries)-1].ID)
	}
	if f.BeforeID != 0 {
		d.NewestURL = auditURL(q, 0)
	}
	for i := range entries {
		d.Rows = append(d.Rows, auditRow(&entries[i], m.Location(), m.Currency))
	}
	return render(c, http.StatusOK, pages.Audit(shell, d))
}

// The log keeps exact stored values under the models' field names; these
// turn them into what an owner reads: labels, money, rates and percents.
var auditFieldLabels = map[string]string{
	"ActiveFrom": "Available from", "ActiveTo": "Available until", "BonusPoints": "Bonus",
	"CardRewardID": "Card reward (id)", "CashbackBasisPoints": "Cashback", "DiscountBasisPoints": "Discount",
	"DowngradeGraceDays": "Grace days", "DowngradePolicy": "Downgrade", "EarnMultiplierMilli": "Earn multiplier",
	"EarnRateHundredths": "Earn rate per currency unit", "EndsOn": "Ends", "ExpiryMonths": "Expiry months",
	"ExpiryPolicy": "Expiry", "FeeMinor": "Fee", "MinPurchaseMinor": "Minimum purchase", "MinTierID": "Minimum tier (id)",
	"MultiplierMilli": "Multiplier", "PercentBasisPoints": "Percent off", "PerMemberLimit": "Per-member limit",
	"PeriodMonths": "Period months", "PointValueMilli": "Value of one unit", "ReferredPoints": "Points for the new member",
	"ReminderDays": "Reminder days", "SignUpBonus": "Sign-up bonus", "StampsPerCard": "Stamps per card",
	"StartsOn": "Starts", "TierIDs": "Tiers (ids)", "TierMetric": "Tier metric", "TierWindow": "Tier window",
	"TimeZone": "Time zone", "UnitLabel": "Unit", "ValueMinor": "Value", "WindowDays": "Window days",
	"Position": "Rank or order", "FreeShipping": "Free shipping",
}

func auditFieldLabel(field string) string {
	if l, ok := auditFieldLabels[field]; ok {
		return l
	}
	return field
}

// auditValue formats a stored value by what its field holds.
func auditValue(field, v, currency string) string {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return v
	}
	c, _ := models.LookupCurrency(currency)
	switch {
	case strings.HasSuffix(field, "Minor"):
		return models.FormatMoney(n, currency) + " " + currency
	case strings.HasSuffix(field, "Hundredths"):
		return models.FormatRate(n, 2)
	case strings.HasSuffix(field, "BasisPoints"):
		return models.FormatRate(n, 2) + "%"
	case field == "PointValueMilli":
		return models.FormatRate(n, c.MinorDigits+3) + " " + currency
	case strings.HasSuffix(field, "Milli"):
		return models.FormatRate(n, 3) + "×"
	}
	return v
}
