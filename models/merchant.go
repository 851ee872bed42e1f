package models

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Merchant is one business: the tenant every row of business data belongs to.
type Merchant struct {
	ID       int64
	Name     string
	Currency string
	TimeZone string
	// How many units staff and managers may credit or debit by hand in
	// one adjustment; owners have no limit.
	StaffAdjustLimit   int64
	ManagerAdjustLimit int64
	// The program the till starts in, one of the merchant's active ones;
	// nil for the first active program.
	DefaultProgramID *int64
	// ConfigVersion counts changes to the configuration a purchase reads,
	// bumped by triggers (models/config_cache.go); never written here.
	ConfigVersion int64 `gorm:"->"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Location returns the merchant's time zone; days, weeks and birthdays are
// counted in it.
func (m *Merchant) Location() *time.Location {
	if loc, ok := locations.Load(m.TimeZone); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(m.TimeZone)
	if err != nil {
		return time.UTC
	}
	locations.Store(m.TimeZone, loc)
	return loc
}

// locations keeps each zone once loaded: LoadLocation reads and parses
// the zone's file every time, and every purchase asks.
var locations sync.Map // zone name → *time.Location

// MerchantInput is the editable part of a merchant.
type MerchantInput struct {
	Name     string
	Currency string
	TimeZone string
}

func (in *MerchantInput) normalise() {
	in.Name = strings.TrimSpace(in.Name)
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	in.TimeZone = strings.TrimSpace(in.TimeZone)
}

func (in *MerchantInput) validate(v Validation) {
	v.Check(in.Name != "", "business_name", "Enter your business name.")
	v.Check(utf8.RuneCountInString(in.Name) <= 100, "business_name", "Use at most 100 characters.")
	checkName(v, "business_name", in.Name)
	_, ok := LookupCurrency(in.Currency)
	v.Check(in.Currency != "", "currency", "Choose a currency.")
	v.Check(ok, "currency", "Choose a currency by its three-letter ISO 4217 code, like EUR or USD.")
	v.Check(in.TimeZone != "", "time_zone", "Choose a time zone.")
	v.Check(validTimeZone(in.TimeZone), "time_zone", "Choose a time zone by its IANA name, like Europe/Paris.")
}

func validTimeZone(name string) bool {
	if name == "" || name == "Local" {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// Adjustment limits a new business starts with.
const (
	DefaultStaffAdjustLimit   = 500
	DefaultManagerAdjustLimit = 5000
)

// AdjustLimit is the most a role may adjust a balance by in one go; 0
// with ok false means unlimited.
func (m *Merchant) AdjustLimit(r Role) (limit int64, limited bool) {
	switch r {
	case RoleOwner:
		return 0, false
	case RoleManager:
		return m.ManagerAdjustLimit, true
	}
	return m.StaffAdjustLimit, true
}

// withMerchant reads, beside the rows of q's table, their merchant's
// columns as m_<column>, joined on the merchant column: a request's first
// row and its merchant in one statement. Scan into a struct embedding the
// row's model and a Merchant with embeddedPrefix m_.
func withMerchant(q *gorm.DB, table string) (*gorm.DB, error) {
	stmt := &gorm.Statement{DB: q}
	if err := stmt.Parse(&Merchant{}); err != nil {
		return nil, fmt.Errorf("merchant: columns: %w", err)
	}
	s := stmt.Schema
	cols := []string{table + ".*"}
	for _, name := range s.DBNames {
		cols = append(cols, "merchants."+name+" AS m_"+name)
	}
	return q.Select(strings.Join(cols, ", ")).Joins("JOIN merchants ON merchants.id = " + table + ".merchant_id"), nil
}

// GetMerchant loads the merchant a scoped db belongs to.
func GetMerchant(db *gorm.DB) (*Merchant, error) {
	var m Merchant
	if err := db.Take(&m).Error; err != nil {
		return nil, notFound(err, "This business no longer exists.", "merchant: get")
	}
	return &m, nil
}

// UpdateMerchant saves the business settings of the scoped merchant.
func UpdateMerchant(db *gorm.DB, actor Actor, in MerchantInput) (*Merchant, error) {
	in.normalise()
	v := Validation{}
	in.validate(v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var m *Merchant
	err := db.Transaction(func(tx *gorm.DB) error {
		var err error
		if m, err = GetMerchant(tx.Clauses(clause.Locking{Strength: "UPDATE"})); err != nil {
			return err
		}
		before := *m
		if in.Currency != m.Currency {
			locked, err := CurrencyLocked(tx)
			if err != nil {
				return err
			}
			if locked {
				return fieldError("currency", currencyLockedMessage(m.Currency))
			}
		}
		m.Name, m.Currency, m.TimeZone = in.Name, in.Currency, in.TimeZone
		if err := tx.Save(m).Error; err != nil {
			return fmt.Errorf("merchant: update: %w", err)
		}
		return recordAudit(tx, actor, AuditUpdate, "business", m.ID, "Updated business settings", before, m)
	})
	return m, err
}

// CurrencyLocked reports whether the scoped merchant's currency can no
// longer change: once a purchase is recorded in it, another currency
// would relabel the amounts of history (4.50 EUR becoming 4.50 USD).
func CurrencyLocked(db *gorm.DB) (bool, error) {
	var ids []int64
	if err := db.Model(&Purchase{}).Limit(1).Pluck("id", &ids).Error; err != nil {
		return false, fmt.Errorf("merchant: any purchase: %w", err)
	}
	return len(ids) > 0, nil
}

func currencyLockedMessage(currency string) string {
	return "Purchases are recorded in " + currency + ": changing the currency would relabel their amounts, so it is fixed."
}

// CurrencyLockedMessage says why a locked currency cannot change.
func (m *Merchant) CurrencyLockedMessage() string { return currencyLockedMessage(m.Currency) }

// SetDefaultProgram makes one of the scoped merchant's active programs the
// one the till starts in. Any other id (another merchant's, an archived
// program's) is refused on the field and changes nothing.
func SetDefaultProgram(db *gorm.DB, actor Actor, programID int64) (*Merchant, error) {
	var m *Merchant
	err := db.Transaction(func(tx *gorm.DB) error {
		var err error
		if m, err = GetMerchant(tx.Clauses(clause.Locking{Strength: "UPDATE"})); err != nil {
			return err
		}
		p, err := GetProgram(tx, programID)
		if ErrorCode(err) == ENOTFOUND || err == nil && !p.TakesActivity() {
			return fieldError("default_program_id", "Choose one of your active programs.")
		}
		if err != nil {
			return err
		}
		before := *m
		m.DefaultProgramID = &p.ID
		if err := tx.Model(m).Update("default_program_id", p.ID).Error; err != nil {
			return fmt.Errorf("merchant: default program: %w", err)
		}
		return recordAudit(tx, actor, AuditUpdate, "business", m.ID, "Made "+p.Name+" the till's default program", before, m)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// SignUpInput is what a new business gives to open an account.
type SignUpInput struct {
	MerchantInput
	OwnerName string
	Email     string
	Password  string
}

// SignUp creates a merchant and its first owner in one transaction.
func SignUp(ctx context.Context, db *gorm.DB, in SignUpInput) (*Merchant, *User, error) {
	in.normalise()
	in.OwnerName = strings.TrimSpace(in.OwnerName)
	in.Email = NormaliseEmail(in.Email)
	v := Validation{}
	in.validate(v)
	checkPerson(v, in.OwnerName, in.Email)
	checkPassword(v, "password", in.Password)
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, nil, fmt.Errorf("sign up: %w", err)
	}
	m := &Merchant{Name: in.Name, Currency: in.Currency, TimeZone: in.TimeZone,
		StaffAdjustLimit: DefaultStaffAdjustLimit, ManagerAdjustLimit: DefaultManagerAdjustLimit}
	u := &User{Name: in.OwnerName, Email: in.Email, Role: RoleOwner, PasswordHash: hash, Active: true, SessionEpoch: 1}
	err = CrossTenant(db.WithContext(ctx)).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(m).Error; err != nil {
			return fmt.Errorf("sign up: create merchant: %w", err)
		}
		if err := createUser(ForMerchant(tx, m.ID), u); err != nil {
			return err
		}
		return recordLogin(ForMerchant(tx, m.ID), u)
	})
	if err != nil {
		return nil, nil, err
	}
	return m, u, nil
}
