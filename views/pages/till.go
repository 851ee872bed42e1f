package pages

// TillData is the till: a search for the next customer and, once one is
// chosen, their card and the purchase form; after a purchase, its receipt.
type TillData struct {
	Search   TillSearch
	Programs []TillProgram // the programs to switch between; empty when there is only one
	Receipt  *TillReceipt
	Member   *TillMember
	Purchase *TillPurchase // the member's purchase form; nil when they cannot earn now
	Sale     *TillPurchase // a sale without a member, offered while nobody is chosen
	Notice   string        // why there is no purchase form
	Message  string        // why the last purchase was refused
}

// TillSearch is the search box. Results is the answer to a submitted
// search (without JavaScript); htmx fills the same list as one types.
type TillSearch struct {
	Query     string
	ProgramID string // the chosen program, carried to the member picked; empty for the default
	Autofocus bool
	Results   *TillResults
}

// TillResults is the list of members a search matches.
type TillResults struct {
	Query    string
	Members  []TillResult
	EnrolURL string
}

// TillResult is one member found.
type TillResult struct {
	URL     string
	Name    string
	Card    string
	Phone   string
	Email   string
	Blocked bool
}

// TillProgram is one program of the switcher.
type TillProgram struct {
	Name    string
	URL     string
	Current bool
}

// TillMember is the chosen member's card in the chosen program.
type TillMember struct {
	Name      string
	Card      string
	Phone     string
	Program   string
	Balance   string
	Tier      string // empty when the program has no tiers
	Blocked   bool
	MemberURL string
}

// TillPurchase is a purchase form. Key is the idempotency key made when
// the form was drawn, so a double click or a resubmitted form credits
// once. A sale has no member and no preview.
type TillPurchase struct {
	Sale       bool
	ProgramID  string
	MemberID   string
	Key        string
	Amount     string
	Error      string
	Currency   string
	Autofocus  bool
	Open       bool // a refused sale shows its form unfolded
	PreviewURL string
	Preview    *TillPreview
}

// TillPreview is what the typed amount will earn. Error is a refused
// amount; Reason says why a valid purchase earns nothing; Parts explain
// the total when a tier, campaign or bonus plays a part.
type TillPreview struct {
	Error  string
	Reason string
	Total  string
	Parts  []string
}

// TillReceipt is what a recorded purchase did. Member is empty for a sale
// without one.
type TillReceipt struct {
	Amount    string
	Program   string
	At        string
	Member    string
	Card      string
	Earned    string
	Note      string // why it earned nothing
	Balance   string
	Tier      string
	Promoted  string // "Promoted to Gold!", when the purchase moved them up
	Extras    []string
	Vouchers  []TillVoucher
	AgainURL  string
	MemberURL string
}

// TillVoucher is a reward a full stamp card issued.
type TillVoucher struct {
	Code    string
	Reward  string
	Expires string
}

// testID names a form's parts: purchase-… with a member, sale-… without.
func (f *TillPurchase) testID(part string) string {
	if f.Sale {
		return "sale-" + part
	}
	return "purchase-" + part
}
