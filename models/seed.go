package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SeedOptions size a deterministic demo and benchmark data set.
type SeedOptions struct {
	Members          int
	EntriesPerMember int
	Now              time.Time
}

// SeedReport says what Seed made.
type SeedReport struct {
	MerchantID, ProgramID    int64
	OwnerEmail, ManagerEmail string
	Members, Entries         int64
	Purchases                int64
}

// SeedPassword is the password of the seeded owner and manager, printed by
// `regulars seed`; the staff have none yet.
const SeedPassword = "seed-password-123"

// seedVersion changes whenever the seeded data does: `make bench` reseeds
// its database when the marker (seedMarker) it finds differs.
const seedVersion = 2

// seedMarker is the summary of the audit entry a seed leaves, which says
// which seed made the data.
func seedMarker(opts SeedOptions) string {
	return fmt.Sprintf("Seed v%d: %d members, %d entries each", seedVersion, opts.Members, opts.EntriesPerMember)
}

// seedStaff are the seeded merchant's staff, who ring up sales, close
// vouchers and adjust balances; the manager can open the reports.
var seedStaff = []struct {
	name, login string
	role        Role
}{{"Sam Barista", "sam", RoleStaff}, {"Lou Barista", "lou", RoleStaff}, {"Mia Manager", "mia", RoleManager}}

// seedTiers climb on points earned over a rolling twelve months. The
// multiplier stays 1 so that a purchase earns floor(amount) at any tier.
var seedTiers = []TierInput{
	{Name: "Bronze", Position: "1", Threshold: "0", Discount: "0", Color: "#b08d57"},
	{Name: "Silver", Position: "2", Threshold: "250", Discount: "5", Color: "#a8a9ad"},
	{Name: "Gold", Position: "3", Threshold: "750", Discount: "10", Color: "#d4af37"},
}

// seedRewards are the catalog; members who redeem each favour one of them.
var seedRewards = []RewardInput{
	{Name: "Free coffee", Type: string(RewardFreeItem), Cost: "80", Value: "3.00"},
	{Name: "Coffee and pastry", Type: string(RewardFreeItem), Cost: "150", Value: "6.50"},
	{Name: "Lunch for two", Type: string(RewardFreeItem), Cost: "500", Value: "22.00"},
	{Name: "Beans, 1 kg", Type: string(RewardFreeItem), Cost: "1200", Value: "32.00"},
}

// Seed creates a merchant with staff, an active points program, three
// tiers and a reward catalog, then two years of history ending at
// opts.Now for opts.Members members and about opts.EntriesPerMember ledger
// entries each (see seedHistory), generated in the database with
// set-based SQL so a million members take minutes, not hours. The same
// options always give the same data.
func Seed(ctx context.Context, db *gorm.DB, opts SeedOptions) (*SeedReport, error) {
	if opts.Members < 1 || opts.EntriesPerMember < 0 {
		return nil, Errorf(EINVALID, "Seed at least one member.")
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	opts.Now = opts.Now.UTC()
	var n int64
	if err := CrossTenant(db.WithContext(ctx)).Model(&Merchant{}).Count(&n).Error; err != nil {
		return nil, fmt.Errorf("seed: count merchants: %w", err)
	}
	email := fmt.Sprintf("owner%d@seed.example", n+1)
	_, owner, err := SignUp(ctx, db, SignUpInput{
		MerchantInput: MerchantInput{Name: "Seed Coffee", Currency: "EUR", TimeZone: "Europe/Paris"},
		OwnerName:     "Seed Owner", Email: email, Password: SeedPassword,
	})
	if err != nil {
		return nil, fmt.Errorf("seed: sign up: %w", err)
	}
	scoped := ForMerchant(db.WithContext(ctx), owner.MerchantID)
	actor := ActorOf(owner)
	rep := &SeedReport{MerchantID: owner.MerchantID, OwnerEmail: email}
	h := &seedHistory{opts: opts, merchantID: owner.MerchantID}
	for _, s := range seedStaff {
		in := AddUserInput{Name: s.name, Role: s.role, Email: fmt.Sprintf("%s%d@seed.example", s.login, n+1)}
		if s.role == RoleManager { // staff wait for a set-password link: hashing costs
			in.Password = SeedPassword
		}
		u, _, err := AddUser(scoped, actor, in)
		if err != nil {
			return nil, fmt.Errorf("seed: user %s: %w", s.name, err)
		}
		h.staff = append(h.staff, *u)
		if s.role == RoleManager {
			rep.ManagerEmail = u.Email
		}
	}
	p, err := CreateProgram(scoped, actor, ProgramInput{Name: "Coffee Club", Type: "points", EarnRate: "1", Status: "active",
		PointValue: "0.03", ExpiryPolicy: string(ExpireInactivity), ExpiryMonths: "12",
		TierWindow: string(WindowRolling12)})
	if err != nil {
		return nil, fmt.Errorf("seed: program: %w", err)
	}
	rep.ProgramID, h.programID, h.unit = p.ID, p.ID, p.UnitLabel
	for i, t := range seedTiers {
		tier, err := CreateTier(scoped, actor, p.ID, t)
		if err != nil {
			return nil, fmt.Errorf("seed: tier %d: %w", i+1, err)
		}
		h.tiers = append(h.tiers, *tier)
	}
	for _, r := range seedRewards {
		reward, err := SaveReward(scoped, actor, p.ID, 0, r)
		if err != nil {
			return nil, fmt.Errorf("seed: reward %s: %w", r.Name, err)
		}
		h.rewards = append(h.rewards, *reward)
	}
	if err := CrossTenant(db.WithContext(ctx)).Transaction(h.run); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	// Fresh statistics, or the planner guesses from an empty table and
	// scans ten million rows for one account's entries.
	if err := db.WithContext(ctx).Exec("ANALYZE").Error; err != nil {
		return nil, fmt.Errorf("seed: analyze: %w", err)
	}
	// The reports' aggregates and the members' visit fields, from the
	// history just written.
	if err := RebuildRollups(scoped, opts.Now); err != nil {
		return nil, fmt.Errorf("seed: rollups: %w", err)
	}
	if err := recordAudit(scoped, actor, AuditCreate, "merchant", owner.MerchantID, seedMarker(opts), nil, nil); err != nil {
		return nil, fmt.Errorf("seed: marker: %w", err)
	}
	rep.Members, rep.Entries, rep.Purchases = int64(opts.Members), h.entries, h.purchases
	return rep, nil
}
