package pages

import (
	"fmt"

	"github.com/regularshq/regulars/views/components"
)

// AuditChange is one field an audited change touched.
type AuditChange struct {
	Field  string
	Before string
	After  string
}

// AuditRow is one entry of the audit log, its time in the business's zone.
type AuditRow struct {
	When    string
	Who     string
	Action  string
	What    string
	Summary string
	Changes []AuditChange
}

// AuditFilters are the log's filters as typed: a user id, an entity type
// and local dates.
type AuditFilters struct {
	Who, What, From, To string
}

// AuditData is the audit log page. OlderURL, when set, pages on to older
// entries with the same filters; NewestURL, when set, back to the newest.
type AuditData struct {
	Filters   AuditFilters
	People    []components.Option
	Types     []components.Option
	TimeZone  string
	Errors    components.Errors
	Message   string
	Rows      []AuditRow
	OlderURL  string
	NewestURL string
}

// changeCount heads an entry's fields: a new item's are set, a deleted
// one's removed, any other's changed.
func changeCount(action string, n int) string {
	verb := map[string]string{"create": "set", "delete": "removed"}[action]
	if verb == "" {
		verb = "changed"
	}
	if n == 1 {
		return "1 field " + verb
	}
	return fmt.Sprintf("%d fields %s", n, verb)
}
