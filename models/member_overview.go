package models

import (
	"time"

	"gorm.io/gorm"
)

// How much of a member's history an overview holds.
const (
	OverviewEntries   = 25 // ledger entries, a page of history
	OverviewPurchases = 10 // the latest purchases
	OverviewReferrals = 50 // the newest members they referred
	expiryHorizonDays = 30 // how far "expiring soon" looks without a reminder period
)

// MemberSummary is what MemberOverview reads: a member and their standing
// in every program they can use, in domain terms (no formatting). The
// staff's member page, the member's own card and the API's balances read
// it, so each fact about a member has one home.
type MemberSummary struct {
	Member   Member
	Referrer *Member // who referred them; nil for no one
	Tags     []string
	// Programs are the programs shown: those they have an account in and
	// the active ones they have not used yet, as ListPrograms orders them.
	Programs []ProgramSummary
	// Vouchers are their latest vouchers, newest first.
	Vouchers []Voucher
	// Entries is a page of their ledger, newest first; OlderEntries says
	// whether more come before the last one.
	Entries      []LedgerEntry
	OlderEntries bool
	Purchases    []Purchase // their latest purchases, newest first
	// Referrals are the newest members they referred, with what each
	// referral paid; ReferralsTotal counts them all.
	Referrals      []Referral
	ReferralsTotal int64
	// Catalog is every program of the merchant, shown or not, as
	// ListPrograms orders them: the history may name one not shown.
	Catalog []Program

	programs map[int64]*Program
	rewards  map[int64]*Reward // the shown programs' rewards, archived ones too
}

// ProgramSummary is a member's standing in one program.
type ProgramSummary struct {
	Program *Program
	Account Account // the zero Account (ID 0) before their first activity here
	Tiers   []Tier  // the program's ladder by rank, paid tiers last
	Tier    *Tier   // their tier; nil for none
	// NextTier is the tier they work towards (NextTier's rule) and
	// Qualifying their value towards it, in the program's metric: units
	// earned, spend in minor units or visits, over the tier window. Nil at
	// the top, in a paid tier and without tiers.
	NextTier   *Tier
	Qualifying int64
	// Benefits says which tier's benefits apply (EffectiveTier's rule)
	// and Membership is their hold on a paid tier, nil for none, ended
	// ones too.
	Benefits   TierBenefits
	Membership *Membership
	// Rewards is the catalog on offer (archived rewards left out), each
	// with the member's standing: Redeemable now, Saving (only points
	// short, with the distance), or Barred and why.
	Rewards []RewardStanding
	// Expiring is what lapses unless spent within the program's reminder
	// period (30 days without one), oldest first: lots of earnings under
	// the after-earning policy, the whole balance under inactivity.
	Expiring []Expiring
	Actions  []EarningRule // the active custom actions staff may award
}

// Program finds one of the merchant's programs by id; nil for none.
func (s *MemberSummary) Program(id int64) *Program { return s.programs[id] }

// Reward finds a reward of a shown program by id, archived or not (a
// voucher names it); nil for none.
func (s *MemberSummary) Reward(id int64) *Reward { return s.rewards[id] }

// MemberOverview reads a member's standing: the newest page of their
// history and everything else MemberSummary holds.
func MemberOverview(db *gorm.DB, memberID int64, now time.Time) (*MemberSummary, error) {
	return MemberOverviewBefore(db, memberID, 0, now)
}

// MemberOverviewBefore is MemberOverview with the page of history before
// the entry beforeID (0 for the newest). It reads each kind of row once
// for all programs; only a tier value over a window and the lots of an
// after-earning program take a query per account.
func MemberOverviewBefore(db *gorm.DB, memberID, beforeID int64, now time.Time) (*MemberSummary, error) {
	m, err := GetMember(db, memberID)
	if err != nil {
		return nil, err
	}
	s := &MemberSummary{Member: *m}
	if m.ReferredByID != nil {
		if s.Referrer, err = GetMember(db, *m.ReferredByID); err != nil {
			return nil, err
		}
	}
	if s.Tags, err = MemberTags(db, m.ID); err != nil {
		return nil, err
	}
	if err := s.readPrograms(db, now); err != nil {
		return nil, err
	}
	if err := s.readHistory(db, beforeID); err != nil {
		return nil, err
	}
	return s, nil
}

// readPrograms fills the programs shown and the member's standing in each.
func (s *MemberSummary) readPrograms(db *gorm.DB, now time.Time) error {
	merchant, err := GetMerchant(db)
	if err != nil {
		return err
	}
	if s.Catalog, err = ListPrograms(db); err != nil {
		return err
	}
	accounts, err := ListAccounts(db, s.Member.ID)
	if err != nil {
		return err
	}
	accountOf := make(map[int64]Account, len(accounts))
	for _, a := range accounts {
		accountOf[a.ProgramID] = a
	}
	s.programs = make(map[int64]*Program, len(s.Catalog))
	var shownIDs []int64
	for i := range s.Catalog {
		p := &s.Catalog[i]
		s.programs[p.ID] = p
		if a, has := accountOf[p.ID]; has || p.TakesActivity() {
			s.Programs = append(s.Programs, ProgramSummary{Program: p, Account: a})
			shownIDs = append(shownIDs, p.ID)
		}
	}
	tiers, err := TiersOf(db, shownIDs)
	if err != nil {
		return err
	}
	rules, err := EarningRulesOf(db, shownIDs)
	if err != nil {
		return err
	}
	loc := merchant.Location()
	for i := range s.Programs {
		ps := &s.Programs[i]
		ps.Tiers, ps.Actions = tiers[ps.Program.ID], awardable(rules[ps.Program.ID])
		if err := ps.readTier(db, now, loc); err != nil {
			return err
		}
		if err := ps.readExpiring(db, now); err != nil {
			return err
		}
	}
	return s.readRewards(db, shownIDs, now.In(loc).Format(dateLayout))
}

// awardable keeps the active custom actions of a program's rules.
func awardable(rules []EarningRule) []EarningRule {
	var out []EarningRule
	for _, r := range rules {
		if r.Kind == RuleAction && r.Active {
			out = append(out, r)
		}
	}
	return out
}

// readTier finds the member's tier and the next one with their value.
func (ps *ProgramSummary) readTier(db *gorm.DB, now time.Time, loc *time.Location) error {
	if len(ps.Tiers) == 0 {
		return nil
	}
	ps.Tier = TierByID(ps.Tiers, ps.Account.TierID)
	var err error
	if ps.Membership, err = MembershipOf(db, ps.Account.ID); err != nil {
		return err
	}
	if ps.Benefits, err = accountBenefits(db, &ps.Account, ps.Program, ps.Tiers, now, loc); err != nil {
		return err
	}
	if ps.Tier != nil && ps.Tier.Paid {
		return nil // no value moves a paid tier
	}
	if ps.Account.ID != 0 {
		if ps.Qualifying, err = QualifyingValue(db, &ps.Account, ps.Program, now, loc); err != nil {
			return err
		}
	}
	ps.NextTier = NextTier(ps.Tiers, ps.Tier, ps.Qualifying)
	return nil
}

// readExpiring lists what the account loses within the program's
// reminder period unless the member spends it (or, under inactivity,
// earns or redeems).
func (ps *ProgramSummary) readExpiring(db *gorm.DB, now time.Time) error {
	p, a := ps.Program, &ps.Account
	if a.ID == 0 {
		return nil
	}
	days := int(p.ReminderDays)
	if days <= 0 {
		days = expiryHorizonDays
	}
	until := now.AddDate(0, 0, days)
	switch p.ExpiryPolicy {
	case ExpireAfterEarning:
		var err error
		ps.Expiring, err = ExpiringSoon(db, a.ID, now, until)
		return err
	case ExpireInactivity:
		if on, ok := p.InactivityExpiry(a); ok && a.Balance > 0 && on.After(now) && on.Before(until) {
			ps.Expiring = []Expiring{{Amount: a.Balance, On: on}}
		}
	}
	return nil
}

// readRewards reads the shown programs' catalogs and the member's
// standing for each reward on offer, with the redeemed counts the
// per-member limits need in one query.
func (s *MemberSummary) readRewards(db *gorm.DB, programIDs []int64, today string) error {
	catalogs, err := RewardsOf(db, programIDs)
	if err != nil {
		return err
	}
	s.rewards = map[int64]*Reward{}
	var limited []int64
	for _, rs := range catalogs {
		for i := range rs {
			s.rewards[rs[i].ID] = &rs[i]
			if rs[i].PerMemberLimit != nil {
				limited = append(limited, rs[i].ID)
			}
		}
	}
	redeemed, err := RedeemedCounts(db, s.Member.ID, limited)
	if err != nil {
		return err
	}
	for i := range s.Programs {
		ps := &s.Programs[i]
		rs := catalogs[ps.Program.ID]
		for j := range rs {
			if !rs[j].Archived {
				ps.Rewards = append(ps.Rewards, StandingFor(&rs[j], &ps.Account, ps.Tiers, redeemed[rs[j].ID], today))
			}
		}
	}
	return nil
}

// readHistory reads the vouchers, a page of the ledger, the latest
// purchases and the referrals.
func (s *MemberSummary) readHistory(db *gorm.DB, beforeID int64) error {
	var err error
	if s.Vouchers, err = ListVouchers(db, s.Member.ID); err != nil {
		return err
	}
	if s.Entries, err = ListEntries(db, s.Member.ID, beforeID, OverviewEntries+1); err != nil {
		return err
	}
	if len(s.Entries) > OverviewEntries {
		s.Entries, s.OlderEntries = s.Entries[:OverviewEntries], true
	}
	accountIDs := make([]int64, 0, len(s.Programs))
	for _, ps := range s.Programs {
		if ps.Account.ID != 0 {
			accountIDs = append(accountIDs, ps.Account.ID)
		}
	}
	if s.Purchases, err = ListAccountPurchases(db, accountIDs, OverviewPurchases); err != nil {
		return err
	}
	s.Referrals, s.ReferralsTotal, err = MemberReferrals(db, s.Member.ID, OverviewReferrals)
	return err
}
