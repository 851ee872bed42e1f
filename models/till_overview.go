package models

import (
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The till's read-model: what the till shows for what it was asked, as
// domain values. The page formats it; its benchmark (and later the API)
// reads the same function, so they measure and answer what staff see.

// TillSearchLimit is how many members a till search lists.
const TillSearchLimit = 10

// TillQuery is what the till is asked to show.
type TillQuery struct {
	Text       string // a submitted search; read while no member is chosen
	MemberID   int64  // the chosen member; 0 for none (or a sale's receipt)
	ProgramID  int64  // the chosen program; 0 for the one the till starts in
	Remembered int64  // the program this session last worked in
	ReceiptID  int64  // a purchase just recorded, shown instead of the card
	PaidID     int64  // a store-credit payment just made (its ledger entry)
}

// TillOverview is the till for a query.
type TillOverview struct {
	Programs []Program // every program of the merchant
	Default  *Program  // the program the till starts in; nil when none takes activity
	// Program is the one shown: the receipt's or payment's, else the one
	// asked for, else Default; nil when the merchant has none active.
	Program *Program
	Matches []Member    // the members Text finds, while no member is chosen
	Member  *TillMember // the chosen member's card; nil with a receipt or nobody chosen
	Receipt *TillReceipt
	Paid    *LedgerEntry // the store-credit payment asked for, the member's own
}

// TillMember is a member at the till, in the till's program.
type TillMember struct {
	Member Member
	// Balances are the programs the member holds an account in or could
	// earn in, in the order of TillOverview.Programs.
	Balances []TillBalance
	Account  Account // theirs in the program; a zero balance before their first
	Tiered   bool    // the program has tiers
	Tier     *Tier   // their tier in the program; nil before their first
	// Benefits says which tier's benefits apply (EffectiveTier's rule);
	// Membership is their hold on a paid tier, nil for none; PaidTiers
	// are what the till can sell them.
	Benefits   TierBenefits
	Membership *Membership
	PaidTiers  []Tier
	// What they can do besides buying, read only when they can buy: the
	// program takes activity and they are not blocked.
	Rewards  []Reward      // the rewards they can redeem now
	Vouchers []TillVoucher // their issued vouchers of the program not yet expired
	Credit   *int64        // a cashback program's store credit to pay with; nil for other programs
}

// TillBalance is a member's balance in one program.
type TillBalance struct {
	Program *Program
	Balance int64
}

// TillVoucher is a voucher with the name of its reward.
type TillVoucher struct {
	Voucher Voucher
	Reward  string
}

// TillReceipt is what a recorded purchase did, as the till words it.
type TillReceipt struct {
	Receipt
	Member   *Member // nil for a sale without one
	Tiered   bool    // the program has tiers
	Tier     *Tier   // the account's tier now; nil before its first
	Promoted *Tier   // the tier the purchase moved the account up to
	// BelowMinimum is why a member's purchase earned nothing: its amount
	// is under the program's minimum.
	BelowMinimum bool
	Extras       []LedgerEntry // credits besides the purchase's own earnings (a referral welcome)
	Cards        []TillVoucher // the vouchers of the stamp cards it filled, named by their debit
}

// TillSearch lists the members a till search finds; none for blank text.
func TillSearch(db *gorm.DB, text string) ([]Member, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	return SearchMembers(db, MemberQuery{Text: text, Limit: TillSearchLimit})
}

// ReadTill reads the till of merchant m for q. A receipt, payment,
// program or member of another merchant, or a receipt or payment that is
// not the chosen member's, is ENOTFOUND.
func ReadTill(db *gorm.DB, m *Merchant, q TillQuery, now time.Time) (*TillOverview, error) {
	programs, err := ListPrograms(db)
	if err != nil {
		return nil, err
	}
	o := &TillOverview{Programs: programs, Default: m.PreferredProgram(programs, q.Remembered)}
	shown := q.ProgramID
	if q.ReceiptID != 0 {
		if o.Receipt, err = tillReceipt(db, q.ReceiptID, q.MemberID); err != nil {
			return nil, err
		}
		shown = o.Receipt.Purchase.ProgramID
	}
	if q.PaidID != 0 {
		if o.Paid, err = GetCreditPayment(db, q.PaidID); err != nil {
			return nil, err
		}
		if o.Paid.MemberID != q.MemberID {
			return nil, Errorf(ENOTFOUND, "No such payment.")
		}
		shown = o.Paid.ProgramID
	}
	if o.Program = o.Default; shown != 0 {
		if o.Program = programByID(programs, shown); o.Program == nil {
			return nil, Errorf(ENOTFOUND, "No such program.")
		}
	}
	if q.MemberID == 0 {
		if o.Matches, err = TillSearch(db, q.Text); err != nil {
			return nil, err
		}
	}
	switch {
	case o.Receipt != nil:
		err = o.Receipt.read(db, o.Program)
	case q.MemberID != 0:
		o.Member, err = readTillMember(db, q.MemberID, programs, o.Program, m.Location(), now)
	}
	if err != nil {
		return nil, err
	}
	return o, nil
}

// Active is the programs that take activity, in list order.
func (o *TillOverview) Active() []*Program {
	var out []*Program
	for i := range o.Programs {
		if o.Programs[i].TakesActivity() {
			out = append(out, &o.Programs[i])
		}
	}
	return out
}

func programByID(programs []Program, id int64) *Program {
	for i := range programs {
		if programs[i].ID == id {
			return &programs[i]
		}
	}
	return nil
}

// tillReceipt reads a purchase back for the member it must belong to (0
// for a sale without one).
func tillReceipt(db *gorm.DB, purchaseID, memberID int64) (*TillReceipt, error) {
	r, err := GetReceipt(db, purchaseID)
	if err != nil {
		return nil, err
	}
	if pm := r.Purchase.MemberID; (pm == nil) != (memberID == 0) || pm != nil && *pm != memberID {
		return nil, Errorf(ENOTFOUND, "No such purchase.")
	}
	return &TillReceipt{Receipt: *r}, nil
}

// read adds to a receipt its member, tiers and what its entries were.
func (r *TillReceipt) read(db *gorm.DB, p *Program) error {
	if r.Account == nil {
		return nil
	}
	var err error
	if r.Member, err = GetMember(db, r.Account.MemberID); err != nil {
		return err
	}
	ladder, err := ListTiers(db, p.ID)
	if err != nil {
		return err
	}
	r.Tiered, r.Tier = len(ladder) > 0, TierByID(ladder, r.Account.TierID)
	if r.PromotedTo != nil {
		if r.Promoted = TierByID(ladder, r.PromotedTo); r.Promoted == nil {
			return Errorf(ENOTFOUND, "No such tier.")
		}
	}
	r.BelowMinimum = r.Purchase.Earned == 0 && r.Purchase.AmountMinor < p.MinPurchaseMinor
	cards := map[int64]string{}
	for _, e := range r.Entries {
		switch {
		case e.VoucherID != nil:
			cards[*e.VoucherID] = e.Reason
		case e.PurchaseID == nil && e.Amount > 0:
			r.Extras = append(r.Extras, e)
		}
	}
	for _, v := range r.Vouchers {
		r.Cards = append(r.Cards, TillVoucher{Voucher: v, Reward: cards[v.ID]})
	}
	return nil
}

// readTillMember reads a member's card in program p (nil for none) at
// now, in the merchant's zone loc.
func readTillMember(db *gorm.DB, memberID int64, programs []Program, p *Program, loc *time.Location, now time.Time) (*TillMember, error) {
	mem, err := GetMember(db, memberID)
	if err != nil {
		return nil, err
	}
	accounts, err := ListAccounts(db, memberID)
	if err != nil {
		return nil, err
	}
	out := &TillMember{Member: *mem, Account: Account{MemberID: memberID}}
	balances := make(map[int64]int64, len(accounts))
	for _, a := range accounts {
		balances[a.ProgramID] = a.Balance
		if p != nil && a.ProgramID == p.ID {
			out.Account = a
		}
	}
	for i := range programs {
		q := &programs[i]
		if _, held := balances[q.ID]; held || q.TakesActivity() {
			out.Balances = append(out.Balances, TillBalance{Program: q, Balance: balances[q.ID]})
		}
	}
	if p == nil {
		return out, nil
	}
	ladder, err := ListTiers(db, p.ID)
	if err != nil {
		return nil, err
	}
	out.Tiered, out.Tier = len(ladder) > 0, TierByID(ladder, out.Account.TierID)
	if out.Membership, err = MembershipOf(db, out.Account.ID); err != nil {
		return nil, err
	}
	if out.Benefits, err = accountBenefits(db, &out.Account, p, ladder, now, loc); err != nil {
		return nil, err
	}
	if mem.Blocked || !p.TakesActivity() {
		return out, nil
	}
	out.PaidTiers = PaidTiers(ladder)
	return out, out.readOffers(db, p, ladder, now.In(loc).Format(dateLayout), now)
}

// readOffers adds what the member can do in p besides buying: redeem what
// the redemption rule allows now, use their vouchers, pay with store
// credit.
func (t *TillMember) readOffers(db *gorm.DB, p *Program, ladder []Tier, today string, now time.Time) error {
	rewards, err := ListRewards(db, p.ID, true) // archived too: their vouchers still need a name
	if err != nil {
		return err
	}
	standings, err := RewardStandings(db, &t.Account, rewards, ladder, today)
	if err != nil {
		return err
	}
	names := make(map[int64]string, len(rewards))
	for i, s := range standings {
		names[rewards[i].ID] = rewards[i].Name
		if s.Redeemable() {
			t.Rewards = append(t.Rewards, rewards[i])
		}
	}
	var vouchers []Voucher
	if err := db.Where("member_id = ? AND program_id = ? AND status = ?", t.Member.ID, p.ID, VoucherIssued).
		Order("id DESC").Limit(100).Find(&vouchers).Error; err != nil {
		return fmt.Errorf("till: vouchers: %w", err)
	}
	for _, v := range vouchers {
		if !v.Expired(now) {
			t.Vouchers = append(t.Vouchers, TillVoucher{Voucher: v, Reward: names[v.RewardID]})
		}
	}
	if p.Type == ProgramCashback {
		credit := max(t.Account.Balance, 0)
		t.Credit = &credit
	}
	return nil
}
