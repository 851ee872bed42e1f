package models

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ProgramType is how a program earns.
type ProgramType string

const (
	ProgramPoints   ProgramType = "points"
	ProgramStamps   ProgramType = "stamps"
	ProgramCashback ProgramType = "cashback"
)

// ProgramStatus is where a program is in its life. Archived programs keep
// their history and take no new activity.
type ProgramStatus string

const (
	StatusDraft    ProgramStatus = "draft"
	StatusActive   ProgramStatus = "active"
	StatusPaused   ProgramStatus = "paused"
	StatusArchived ProgramStatus = "archived"
)

// ExpiryPolicy says when earned units lapse.
type ExpiryPolicy string

const (
	ExpireNever        ExpiryPolicy = "never"
	ExpireAfterEarning ExpiryPolicy = "after_earning" // N months after each earning
	ExpireInactivity   ExpiryPolicy = "inactivity"    // everything after N months without activity
)

// TierMetric is what qualifies a member for a tier.
type TierMetric string

const (
	MetricPointsEarned TierMetric = "points_earned"
	MetricSpend        TierMetric = "spend"
	MetricVisits       TierMetric = "visits"
)

// TierWindow is the period the qualifying value is counted over.
type TierWindow string

const (
	WindowLifetime     TierWindow = "lifetime"
	WindowRolling12    TierWindow = "rolling_12_months"
	WindowCalendarYear TierWindow = "calendar_year"
)

// DowngradePolicy says when a member who no longer qualifies moves down.
type DowngradePolicy string

const (
	DowngradeNever       DowngradePolicy = "never"
	DowngradeEndOfWindow DowngradePolicy = "end_of_window"
	DowngradeGrace       DowngradePolicy = "grace"
)

// Limits on what a form may set, so arithmetic downstream cannot overflow.
const (
	maxMoneyMinor  = 100_000_000_000 // a billion in major units
	maxUnits       = 100_000_000
	maxRateHundred = 100_000 // 1,000 points per currency unit
	maxMultiplier  = 10_000  // 10×
)

// Program is a way of earning; each has its own balance per member. Rates
// are integers: the earn rate in hundredths of a point per currency unit,
// cashback in basis points, the value of a point in thousandths of a minor
// unit.
type Program struct {
	ID                  int64
	MerchantID          int64
	Name                string
	Type                ProgramType
	UnitLabel           string
	Status              ProgramStatus
	EarnRateHundredths  int64
	MinPurchaseMinor    int64
	MaxPurchaseMinor    int64 // a purchase above this is refused
	LargePurchaseMinor  int64 // a purchase above this needs a second confirmation
	StampsPerCard       int64
	CardRewardID        *int64
	CashbackBasisPoints int64
	SignUpBonus         int64
	PointValueMilli     int64
	ExpiryPolicy        ExpiryPolicy
	ExpiryMonths        int64
	ReminderDays        int64
	TierMetric          TierMetric
	TierWindow          TierWindow
	DowngradePolicy     DowngradePolicy
	DowngradeGraceDays  int64
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// TakesActivity reports whether members can earn or redeem in the program.
func (p *Program) TakesActivity() bool { return p.Status == StatusActive }

// PreferredProgram is the program a page starts in when nobody chose one:
// the first of remembered (say, the till's last) that takes activity, else
// the merchant's default, else the first active one; nil when none is.
func (m *Merchant) PreferredProgram(programs []Program, remembered ...int64) *Program {
	if m.DefaultProgramID != nil {
		remembered = append(remembered, *m.DefaultProgramID)
	}
	for _, id := range remembered {
		for i := range programs {
			if programs[i].ID == id && programs[i].TakesActivity() {
				return &programs[i]
			}
		}
	}
	for i := range programs {
		if programs[i].TakesActivity() {
			return &programs[i]
		}
	}
	return nil
}

// ListedProgram is the program whose balances a member list (the page and
// its export) shows: the one it is filtered by, else the preferred one.
func (m *Merchant) ListedProgram(programs []Program, filtered int64) *Program {
	for i := range programs {
		if programs[i].ID == filtered {
			return &programs[i]
		}
	}
	return m.PreferredProgram(programs)
}

// ProgramInput is a program form as typed; the model parses and checks it.
type ProgramInput struct {
	Name, Type, UnitLabel, Status                  string
	EarnRate, MinPurchase, StampsPerCard, Cashback string
	MaxPurchase, LargePurchase                     string // empty keeps the stored value, or the default
	CardRewardID                                   string
	SignUpBonus, PointValue                        string
	ExpiryPolicy, ExpiryMonths, ReminderDays       string
	TierMetric, TierWindow, DowngradePolicy        string
	DowngradeGraceDays                             string
}

// A small shop's purchase limits, in major units of its currency: a new
// program refuses a purchase above the maximum and asks for confirmation
// above the large threshold. The migration gives existing programs the same.
const (
	DefaultMaxPurchaseMajor   = 1000
	DefaultLargePurchaseMajor = 200
)

// majorUnits is n major units of a currency in minor units.
func majorUnits(n int64, currency string) int64 {
	return n * int64(math.Pow10(moneyDigits(currency)))
}

// purchaseLimits reads the maximum and large-purchase fields: an empty
// field keeps what is stored, or the default for a new program.
func (in ProgramInput) purchaseLimits(v Validation, p *Program, currency string) {
	typedOr := func(typed string, stored, def int64) string {
		if strings.TrimSpace(typed) != "" {
			return typed
		}
		if stored > 0 {
			return FormatMoney(stored, currency)
		}
		return FormatMoney(majorUnits(def, currency), currency)
	}
	maxMsg := "Enter the largest amount one purchase may be, above 0 and at most " + FormatMoney(maxMoneyMinor, currency) + "."
	p.MaxPurchaseMinor = decimalField(v, "max_purchase", typedOr(in.MaxPurchase, p.MaxPurchaseMinor, DefaultMaxPurchaseMajor),
		moneyDigits(currency), 1, maxMoneyMinor, maxMsg)
	p.LargePurchaseMinor = decimalField(v, "large_purchase", typedOr(in.LargePurchase, p.LargePurchaseMinor, DefaultLargePurchaseMajor),
		moneyDigits(currency), 1, maxMoneyMinor, "Enter an amount above 0, like "+FormatMoney(majorUnits(DefaultLargePurchaseMajor, currency), currency)+".")
	if v["large_purchase"] == "" && v["max_purchase"] == "" {
		v.Check(p.LargePurchaseMinor <= p.MaxPurchaseMinor, "large_purchase",
			"A large purchase must be at most the maximum purchase ("+FormatMoney(p.MaxPurchaseMinor, currency)+").")
	}
}

func moneyDigits(currency string) int {
	c, _ := LookupCurrency(currency)
	return c.MinorDigits
}

// ProgramTypes, ProgramStatuses… list the choices for forms, in order.
var (
	ProgramTypes      = []ProgramType{ProgramPoints, ProgramStamps, ProgramCashback}
	ProgramStatuses   = []ProgramStatus{StatusDraft, StatusActive, StatusPaused, StatusArchived}
	ExpiryPolicies    = []ExpiryPolicy{ExpireNever, ExpireAfterEarning, ExpireInactivity}
	TierMetrics       = []TierMetric{MetricPointsEarned, MetricSpend, MetricVisits}
	TierWindows       = []TierWindow{WindowLifetime, WindowRolling12, WindowCalendarYear}
	DowngradePolicies = []DowngradePolicy{DowngradeNever, DowngradeEndOfWindow, DowngradeGrace}
)

func oneOf[T ~string](v T, choices []T) bool {
	for _, c := range choices {
		if v == c {
			return true
		}
	}
	return false
}

// apply checks the input and writes it onto p; creating is true for a new
// program, whose type may still be chosen.
func (in ProgramInput) apply(tx *gorm.DB, p *Program, currency string, creating bool) error {
	v := Validation{}
	name := strings.TrimSpace(in.Name)
	v.Check(name != "", "name", "Enter a name.")
	v.Check(utf8.RuneCountInString(name) <= 80, "name", "Use at most 80 characters.")
	checkName(v, "name", name)
	typ := ProgramType(in.Type)
	if creating {
		v.Check(oneOf(typ, ProgramTypes), "type", "Choose points, stamps or cashback.")
	} else if typ != "" && typ != p.Type {
		v.Check(false, "type", "A program's type cannot change; create a new program instead.")
	} else {
		typ = p.Type
	}
	unit := strings.TrimSpace(in.UnitLabel)
	if unit == "" {
		unit = defaultUnit(typ)
	}
	v.Check(utf8.RuneCountInString(unit) <= 20, "unit_label", "Use at most 20 characters.")
	status := ProgramStatus(in.Status)
	if status == "" {
		status = StatusDraft
	}
	v.Check(oneOf(status, ProgramStatuses), "status", "Choose draft, active, paused or archived.")

	p.Name, p.Type, p.UnitLabel, p.Status = name, typ, unit, status
	p.MinPurchaseMinor = moneyField(v, "min_purchase", in.MinPurchase, currency, maxMoneyMinor)
	in.purchaseLimits(v, p, currency)
	p.EarnRateHundredths, p.StampsPerCard, p.CashbackBasisPoints = 0, 0, 0
	p.CardRewardID = nil
	switch typ {
	case ProgramPoints:
		p.EarnRateHundredths = decimalField(v, "earn_rate", in.EarnRate, 2, 1, maxRateHundred,
			"Enter points per currency unit above 0, with up to two decimals, like 1 or 2.25.")
	case ProgramStamps:
		p.StampsPerCard = numberField(v, "stamps_per_card", in.StampsPerCard, 1, 100, "A card holds 1 to 100 stamps.")
		if id := strings.TrimSpace(in.CardRewardID); id != "" && id != "0" {
			rewardID := numberField(v, "card_reward_id", id, 1, 1<<62, "Choose one of this program's rewards.")
			if _, ok := v["card_reward_id"]; !ok {
				if err := checkCardReward(tx, p.ID, rewardID, v); err != nil {
					return err
				}
				p.CardRewardID = &rewardID
			}
		}
	case ProgramCashback:
		p.CashbackBasisPoints = decimalField(v, "cashback", in.Cashback, 2, 1, 10_000,
			"Enter a percentage above 0 and at most 100, like 5 or 2.5.")
	}
	p.SignUpBonus = numberField(v, "sign_up_bonus", in.SignUpBonus, 0, maxUnits, "Enter a whole number, 0 or more.")
	c, _ := LookupCurrency(currency)
	p.PointValueMilli = decimalField(v, "point_value", in.PointValue, c.MinorDigits+3, 0, maxMoneyMinor,
		"Enter what one unit is worth, like 0.01, or 0.")

	p.ExpiryPolicy = ExpiryPolicy(orDefault(in.ExpiryPolicy, string(ExpireNever)))
	v.Check(oneOf(p.ExpiryPolicy, ExpiryPolicies), "expiry_policy", "Choose when points expire.")
	p.ExpiryMonths, p.ReminderDays = 0, 0
	if p.ExpiryPolicy != ExpireNever {
		p.ExpiryMonths = numberField(v, "expiry_months", in.ExpiryMonths, 1, 120, "Enter 1 to 120 months.")
		p.ReminderDays = numberField(v, "reminder_days", in.ReminderDays, 0, 365, "Enter 0 to 365 days.")
		if v["expiry_months"] == "" { // a bad month count is its own message
			v.Check(p.ReminderDays < p.ExpiryMonths*28, "reminder_days", "The reminder must come before the points expire.")
		}
	}

	p.TierMetric = TierMetric(orDefault(in.TierMetric, string(MetricPointsEarned)))
	v.Check(oneOf(p.TierMetric, TierMetrics), "tier_metric", "Choose points earned, spend or visits.")
	p.TierWindow = TierWindow(orDefault(in.TierWindow, string(WindowLifetime)))
	v.Check(oneOf(p.TierWindow, TierWindows), "tier_window", "Choose lifetime, rolling 12 months or calendar year.")
	p.DowngradePolicy = DowngradePolicy(orDefault(in.DowngradePolicy, string(DowngradeNever)))
	v.Check(oneOf(p.DowngradePolicy, DowngradePolicies), "downgrade_policy", "Choose when members move down a tier.")
	p.DowngradeGraceDays = 0
	if p.DowngradePolicy == DowngradeGrace {
		p.DowngradeGraceDays = numberField(v, "downgrade_grace_days", in.DowngradeGraceDays, 1, 365, "Enter 1 to 365 days of grace.")
	}
	if p.DowngradePolicy != DowngradeNever && p.TierWindow == WindowLifetime {
		v.Check(false, "downgrade_policy", "A lifetime window never resets, so members cannot fall out of a tier: choose never, or another window.")
	}
	if err := v.Err(); err != nil {
		return err
	}
	return checkUniqueName(tx, &Program{}, "", 0, p.ID, name)
}

func orDefault(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return v
}

func defaultUnit(t ProgramType) string {
	switch t {
	case ProgramStamps:
		return "stamps"
	case ProgramCashback:
		return "credit"
	}
	return "points"
}

// checkUniqueName refuses a name already used, ignoring case, by another
// row of the same parent (parentColumn = parentID; "" for merchant-wide).
func checkUniqueName(tx *gorm.DB, model any, parentColumn string, parentID, selfID int64, name string) error {
	q := tx.Model(model).Where("lower(name) = lower(?) AND id <> ?", name, selfID)
	if parentColumn != "" {
		q = q.Where(parentColumn+" = ?", parentID)
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		return fmt.Errorf("check name: %w", err)
	}
	if n > 0 {
		return fieldError("name", "That name is already used here. Choose another.")
	}
	return nil
}

func fieldError(field, msg string) error {
	return &Error{Code: EINVALID, Message: "Please correct the highlighted fields.", Fields: map[string]string{field: msg}}
}

// duplicateName turns a unique-index race into the same message the check
// gives.
func duplicateName(err error) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return fieldError("name", "That name is already used here. Choose another.")
	}
	return err
}

func checkCardReward(tx *gorm.DB, programID, rewardID int64, v Validation) error {
	var n int64
	if err := tx.Model(&Reward{}).Where("id = ? AND program_id = ? AND archived = ?", rewardID, programID, false).Count(&n).Error; err != nil {
		return fmt.Errorf("program: check card reward: %w", err)
	}
	v.Check(n == 1, "card_reward_id", "Choose one of this program's active rewards.")
	return v.Err()
}

// ListPrograms returns the scoped merchant's programs, archived last.
func ListPrograms(db *gorm.DB) ([]Program, error) {
	var ps []Program
	if err := db.Order("status = 'archived', lower(name), id").Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("program: list: %w", err)
	}
	return ps, nil
}

// GetProgram loads one of the scoped merchant's programs.
func GetProgram(db *gorm.DB, id int64) (*Program, error) {
	if cfg := cachedConfig(db); cfg != nil {
		return cfg.program(db, id)
	}
	return readProgram(db, id)
}

func readProgram(db *gorm.DB, id int64) (*Program, error) {
	var p Program
	if err := db.Take(&p, id).Error; err != nil {
		return nil, notFound(err, "No such program.", "program: get %d", id)
	}
	return &p, nil
}

// CreateProgram adds a program to the scoped merchant.
func CreateProgram(db *gorm.DB, actor Actor, in ProgramInput) (*Program, error) {
	p := &Program{}
	err := db.Transaction(func(tx *gorm.DB) error {
		m, err := GetMerchant(tx)
		if err != nil {
			return err
		}
		if err := in.apply(tx, p, m.Currency, true); err != nil {
			return err
		}
		if err := tx.Create(p).Error; err != nil {
			return duplicateName(fmt.Errorf("program: create: %w", err))
		}
		return recordAudit(tx, actor, AuditCreate, "program", p.ID, "Created program "+p.Name, nil, p)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// UpdateProgram saves a program's settings; archiving is a status like any
// other but is logged as an archive.
func UpdateProgram(db *gorm.DB, actor Actor, id int64, in ProgramInput) (*Program, error) {
	var p *Program
	err := db.Transaction(func(tx *gorm.DB) error {
		m, err := GetMerchant(tx)
		if err != nil {
			return err
		}
		if p, err = GetProgram(tx.Clauses(clause.Locking{Strength: "UPDATE"}), id); err != nil {
			return err
		}
		before := *p
		if err := in.apply(tx, p, m.Currency, false); err != nil {
			return err
		}
		if err := tx.Save(p).Error; err != nil {
			return duplicateName(fmt.Errorf("program: update: %w", err))
		}
		action, summary := AuditUpdate, "Updated program "+p.Name
		if p.Status == StatusArchived && before.Status != StatusArchived {
			action, summary = AuditArchive, "Archived program "+p.Name
		}
		return recordAudit(tx, actor, action, "program", p.ID, summary, before, p)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// FormInput turns a stored program back into what its form shows.
func (p *Program) FormInput(currency string) ProgramInput {
	c, _ := LookupCurrency(currency)
	in := ProgramInput{
		Name: p.Name, Type: string(p.Type), UnitLabel: p.UnitLabel, Status: string(p.Status),
		EarnRate: FormatRate(p.EarnRateHundredths, 2), MinPurchase: FormatMoney(p.MinPurchaseMinor, currency),
		MaxPurchase: FormatMoney(p.MaxPurchaseMinor, currency), LargePurchase: FormatMoney(p.LargePurchaseMinor, currency),
		StampsPerCard: fmt.Sprint(p.StampsPerCard), Cashback: FormatRate(p.CashbackBasisPoints, 2),
		SignUpBonus: fmt.Sprint(p.SignUpBonus), PointValue: FormatRate(p.PointValueMilli, c.MinorDigits+3),
		ExpiryPolicy: string(p.ExpiryPolicy), ExpiryMonths: fmt.Sprint(p.ExpiryMonths), ReminderDays: fmt.Sprint(p.ReminderDays),
		TierMetric: string(p.TierMetric), TierWindow: string(p.TierWindow),
		DowngradePolicy: string(p.DowngradePolicy), DowngradeGraceDays: fmt.Sprint(p.DowngradeGraceDays),
	}
	if p.CardRewardID != nil {
		in.CardRewardID = fmt.Sprint(*p.CardRewardID)
	}
	return in
}
