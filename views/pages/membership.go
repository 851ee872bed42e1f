package pages

// MembershipPanel is a member's paid membership in one program, as the
// till and the member page show it: what they hold, until when, which
// tier's benefits apply, and the forms to sell, renew or cancel it.
type MembershipPanel struct {
	Tier    string // the paid tier held; empty for none
	Since   string
	Until   string
	Status  string // like "active", "in grace until 3 Mar", "cancelled, ends 28 Feb", "lapsed on 3 Mar"
	Held    bool   // the membership holds its tier now
	Applies string // which tier's multiplier applies and why, when both apply
	// Benefits are the benefits that apply, in words.
	Benefits []string
	// Offers are the sale forms: one per paid tier, the held one as a
	// renewal; none for a blocked member or a program not taking activity.
	Offers    []MembershipOffer
	SellURL   string
	MemberID  string
	ProgramID string
	Cancel    *MembershipCancelForm // managers, while held
	Message   string                // a refused sale or cancellation
	// PageKey goes into the page's address (app.js), so that the page
	// drawn again by Back gives the forms the keys they had.
	PageKey string
}

// Shown reports whether there is anything to show.
func (p *MembershipPanel) Shown() bool {
	return p != nil && (p.Tier != "" || len(p.Offers) > 0)
}

// MembershipOffer is one sale button, with its form's idempotency key.
type MembershipOffer struct {
	TierID string
	Label  string // like "Sell Plus · 5.00 EUR for 1 month"
	Renew  bool
	Key    string
}

// MembershipCancelForm is a manager's cancel form.
type MembershipCancelForm struct {
	URL string
	Key string
}

// MembershipsData is the renewal list: memberships ending soon.
type MembershipsData struct {
	Days    string
	Error   string
	Rows    []MembershipRow
	Limited bool // the list was cut at its limit
}

// MembershipRow is one membership on the renewal list.
type MembershipRow struct {
	Member   string
	URL      string // the till for the member, to renew there
	Tier     string
	Until    string
	InGrace  bool
	CancelAt bool // cancelled for the period's end
}
