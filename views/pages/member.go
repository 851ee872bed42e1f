package pages

import "github.com/regularshq/regulars/views/components"

// MemberHeader is who a member is: the top of their page.
type MemberHeader struct {
	URL            string
	Name           string
	CardCode       string // formatted, like K7P2-9XQM
	CardQR         components.QRCode
	Email          string
	Phone          string
	Birthday       string // a date in words, or empty
	Since          string // the local date they enrolled
	LastActivity   string // a local date, or "never"
	ReferredBy     string // the referrer's name, or empty
	ReferredByURL  string
	MarketingOptIn bool
	Blocked        bool
}

// Path is an action of the member's page, like "adjust".
func (m MemberHeader) Path(action string) string { return m.URL + "/" + action }

// MemberProgram is a member's standing in one program: balance, tier,
// what they can have now and what they are about to lose.
type MemberProgram struct {
	ID      int64
	Name    string
	Status  string // the program's: only active programs take activity
	Active  bool
	Balance string // with the unit, like "120 points"
	// Tier is the member's tier name, empty without one; TierColor its
	// swatch.
	Tier      string
	TierColor string
	// Progress says how far the next tier is, like "120 points to Gold";
	// empty when the program has no tiers. ProgressValue and ProgressMax
	// draw it when there is a next tier.
	Progress      string
	ProgressValue int64
	ProgressMax   int64
	Expiring      []ExpiringRow
	Rewards       []AffordableReward
	Saving        []SavingReward // the nearest rewards only points stand between
	Actions       []ActionButton
	// Membership is their paid membership and its forms; nil when the
	// program has no paid tier.
	Membership *MembershipPanel
	// Message is a refused redemption or action in this program.
	Message string
}

// ExpiringRow is an amount that lapses on a date unless spent; Note says
// more when it is not a plain date.
type ExpiringRow struct {
	Amount string
	On     string
	Note   string
}

// AffordableReward is a reward the member can redeem now. Key is the
// idempotency key of its form, made when the page is drawn, so a double
// click redeems once.
type AffordableReward struct {
	ID    int64
	Name  string
	Cost  string
	Gives string
	Key   string
}

// SavingReward is a reward the member could redeem with more points, and
// how many more: ToGo, like "40 points".
type SavingReward struct {
	Name  string
	Cost  string
	Gives string
	ToGo  string
}

// ActionButton awards a custom action of a program.
type ActionButton struct {
	ID     int64
	Name   string
	Points string
	Cap    string // like "once ever" or "once a day"
	Key    string
}

// VoucherRow is one of the member's vouchers.
type VoucherRow struct {
	ID        int64
	Code      string
	Reward    string
	Program   string
	Status    string // issued, used, cancelled or expired
	Expires   string
	Issued    string
	ClosedBy  string
	UseURL    string // empty when it cannot be used
	CancelURL string // empty when it cannot be cancelled, or not by this user
}

// EntryRow is one line of the member's ledger.
type EntryRow struct {
	When         string
	Program      string
	Kind         string // in words, like "Manual credit"
	Amount       string // signed, with the unit
	Credit       bool
	BalanceAfter string
	Actor        string
	Reason       string
	Note         string
}

// PurchaseRow is one of the member's purchases, with the refund form for
// managers.
type PurchaseRow struct {
	ID        int64
	When      string
	Program   string
	Amount    string
	Refunded  string // empty when nothing was refunded
	Earned    string
	OrderRef  string
	RefundURL string // empty when nothing is left to refund, or not for this user
	Left      string // what may still be refunded, like 35.00
	Currency  string
	Key       string
	// Typed, Error and Message are a refused refund of this purchase.
	Typed   string
	Error   string
	Message string
}

// ReferralRow is a member this member referred, and whether the referral
// has paid them yet.
type ReferralRow struct {
	URL   string
	Name  string
	Since string // the local date they enrolled
	Paid  bool
	// Payouts is what the referrer got in each program that paid, like
	// "100 points" or "100 points in Coffee Club".
	Payouts []string
}

// AdjustForm is the manual adjustment form.
type AdjustForm struct {
	Programs  []components.Option
	Reasons   []components.Option
	ProgramID string
	Amount    string
	Reason    string
	Note      string
	Key       string
	Hint      string // the role's limit
	Errors    components.Errors
	Message   string
}

// MemberData is a member's page.
type MemberData struct {
	Member         MemberHeader
	Recognition    RecognitionHistory
	Programs       []MemberProgram
	Vouchers       []VoucherRow
	Purchases      []PurchaseRow
	Referrals      []ReferralRow // the newest ones, newest first
	ReferralsMore  int64         // how many more referrals are not listed
	Entries        []EntryRow
	MultiProgram   bool   // the ledger names each entry's program
	OlderURL       string // the ledger's next page
	NewestURL      string // back to the ledger's first page
	Adjust         AdjustForm
	Edit           MemberForm
	Tags           []string
	TagsValue      string // what the tags field shows: the tags, or what was typed
	TagsError      string
	CanManage      bool   // block, cancel vouchers, refund
	Message        string // a refusal that belongs to no form below, like a block
	VoucherMessage string // a refused use or cancel, shown above the table
}
