package pages

// TillData is the till: a search for the next customer and, once one is
// chosen, their card and the purchase form; after a purchase, its receipt.
type TillData struct {
	Search   TillSearch
	Programs []TillProgram // the programs to switch between; empty when there is only one
	Receipt  *TillReceipt
	Paid     *TillPaid // a payment with store credit just made
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

// TillMember is the chosen member's card in the chosen program, with
// their balance in every program, what they can redeem and use here.
type TillMember struct {
	Name      string
	Card      string
	Phone     string
	Program   string
	Balance   string
	Tier      string // empty when the program has no tiers
	Blocked   bool
	MemberURL string
	Balances  []TillBalance // every program they have a balance in, when there are several
	Rewards   []TillReward  // what they can afford in the chosen program now
	Vouchers  []TillVoucherUse
	Credit    *TillCredit // a cashback program's pay-with-credit form
	// Membership is their paid membership and its forms; nil when the
	// program has no paid tier.
	Membership *MembershipPanel
	// Give is the member's recognition form (a member at the counter
	// thanks the barista); nil when they may not give.
	Give *GiveForm
}

// TillBalance is the member's balance in one program.
type TillBalance struct {
	Program string
	Balance string
	URL     string // the till in that program
	Current bool
}

// TillReward is a reward the member can redeem now, with its form's key.
type TillReward struct {
	MemberID  string
	ProgramID string
	RewardID  string
	Name      string
	Cost      string
	Key       string
}

// TillVoucherUse is an issued voucher staff can mark used.
type TillVoucherUse struct {
	Code    string
	Reward  string
	Program string
	Expires string
	UseURL  string
}

// TillCredit is the form that pays part of a purchase with store credit.
type TillCredit struct {
	ProgramID string
	MemberID  string
	Key       string
	Amount    string
	Error     string
	Currency  string
	Available string
}

// TillPaid is the receipt of a payment with store credit.
type TillPaid struct {
	Amount  string
	Member  string
	Program string
	At      string
	Credit  string // the credit left
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
	Confirm    string // "Record 450.00 EUR? That is more than usual.": the amount waits for a second yes
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
