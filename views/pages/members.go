package pages

import "github.com/regularshq/regulars/views/components"

// MemberRow is one member in the list.
type MemberRow struct {
	URL          string
	Name         string
	CardCode     string // formatted, like K7P2-9XQM
	Email        string
	Phone        string
	LastActivity string // a local date, or "never"
	Blocked      bool
	Balance      string // in MembersData.StandingIn, like "120 points"
	Tier         string // there, or "none"
}

// MemberFields is an enrolment or edit form as typed. Its fields match the
// model's input field for field, so handlers convert between the two
// directly.
type MemberFields struct {
	Name, Email, Phone, Birthday, ReferralCode string
	MarketingOptIn                             bool
}

// MemberForm is a member form's input and messages.
type MemberForm struct {
	Fields  MemberFields
	Errors  components.Errors
	Message string
}

// MembersData is the member list: the search, a page of results and the
// enrolment form.
type MembersData struct {
	Query    string
	Members  []MemberRow
	NextURL  string // the next page, when there is one
	FirstURL string // back to the first page, when not on it
	CSVURL   string // the same search as a CSV file
	// StandingIn names the program whose balance and tier the rows show;
	// empty without programs.
	StandingIn string
	Filter     MemberFilter
	Form       MemberForm
}

// MemberFilter narrows the member list: the chosen values, the choices,
// and what was wrong with them.
type MemberFilter struct {
	Program, Tier, Inactive, Tag string
	Programs, Tiers              []components.Option
	Errors                       components.Errors
}

// Active reports whether any filter is set, to open the filters.
func (f MemberFilter) Active() bool {
	return f.Program != "" || f.Tier != "" || f.Inactive != "" || f.Tag != "" || len(f.Errors) > 0
}

// phoneHint shows the one format every number is accepted in.
const phoneHint = "With the country code, like +33 6 12 34 56 78."
