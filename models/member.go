package models

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Member is a customer enrolled in a merchant's programs. Email is stored
// lower-cased, phone as digits with the country code, the card code in
// upper case without separators; empty email or phone means none given.
type Member struct {
	ID                int64
	MerchantID        int64
	Name              string
	Email             string
	Phone             string
	CardCode          string
	Birthday          *string
	BirthdayChangedAt *time.Time
	ReferredByID      *int64
	MarketingOptIn    bool
	Blocked           bool
	LastActivityAt    *time.Time
	// Kept by the rollup catch-up from the member's purchases; read-only
	// here, so saving a member never writes back a stale copy.
	LastVisitAt   *time.Time `gorm:"->"`
	VisitCount    int64      `gorm:"->"`
	MedianGapDays int64      `gorm:"->"`
	OverdueAt     *time.Time `gorm:"->"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Derived by setSearchKeys for the search, never shown or audited.
	NameKey       string       `json:"-"`
	PhoneNational string       `json:"-"`
	found         MemberCursor // where SearchMembers found them
}

// cardAlphabet leaves out 0/O, 1/I/L and U/V look-alikes, so a code read
// aloud at a busy till is typed right.
const (
	cardAlphabet = "23456789ABCDEFGHJKMNPQRSTWXYZ"
	cardLength   = 8
)

// FormatCardCode shows a card code in two groups, like K7P2-9XQM.
func FormatCardCode(code string) string {
	if len(code) != cardLength {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// normaliseCardCode reads a typed or scanned code: case, dashes and spaces
// do not matter.
func normaliseCardCode(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	return strings.NewReplacer("-", "", " ", "").Replace(s)
}

// maybeCode reports whether a normalised code could name a card or a
// voucher: a few letters and digits (seeded vouchers have digits outside
// cardAlphabet), so a lookup never sends the database other text.
func maybeCode(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := range len(s) {
		if (s[i] < '0' || s[i] > '9') && (s[i] < 'A' || s[i] > 'Z') {
			return false
		}
	}
	return true
}

func newCardCode() (string, error) {
	b := make([]byte, cardLength)
	max := big.NewInt(int64(len(cardAlphabet)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("card code: %w", err)
		}
		b[i] = cardAlphabet[n.Int64()]
	}
	return string(b), nil
}

// NormalisePhone keeps the digits of a phone number with its country
// code: "+33 6 12 34 56 78" and "0033612345678" are both 33612345678.
func NormalisePhone(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return strings.TrimPrefix(b.String(), "00")
}

// MemberInput is an enrolment or edit form as typed.
type MemberInput struct {
	Name, Email, Phone, Birthday, ReferralCode string
	MarketingOptIn                             bool
}

func (in MemberInput) apply(m *Member, now time.Time) Validation {
	v := Validation{}
	m.Name = strings.TrimSpace(in.Name)
	v.Check(m.Name != "", "name", "Enter the member's name.")
	v.Check(utf8.RuneCountInString(m.Name) <= 100, "name", "Use at most 100 characters.")
	checkName(v, "name", m.Name)
	m.Email = NormaliseEmail(in.Email)
	v.Check(m.Email == "" || validEmail(m.Email), "email", "Enter an email address like name@example.com, or leave it empty.")
	raw := strings.TrimSpace(in.Phone)
	m.Phone = NormalisePhone(raw)
	v.Check(raw == "" || (strings.HasPrefix(raw, "+") || strings.HasPrefix(raw, "00")) && len(m.Phone) >= 8 && len(m.Phone) <= 15,
		"phone", "Enter the number with its country code, like +33 6 12 34 56 78, or leave it empty.")
	birthday := strings.TrimSpace(in.Birthday)
	if birthday == "" {
		if m.Birthday != nil {
			m.BirthdayChangedAt = &now
		}
		m.Birthday = nil
	} else {
		if problem := dateProblem(birthday); problem != "" {
			v.Check(false, "birthday", problem)
		} else {
			d, _ := time.Parse(dateLayout, birthday)
			v.Check(d.Before(now) && d.Year() >= 1900, "birthday", "Enter a past date like 1990-05-17, or leave it empty.")
		}
		if m.Birthday == nil || *m.Birthday != birthday {
			m.Birthday, m.BirthdayChangedAt = &birthday, &now
		}
	}
	m.MarketingOptIn = in.MarketingOptIn
	return v
}

// memberTaken turns a unique-index clash into the field it is about.
func memberTaken(err error, m *Member) error {
	if !errors.Is(err, gorm.ErrDuplicatedKey) {
		return err
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "phone"):
		return fieldError("phone", "Another member has this phone number.")
	case strings.Contains(msg, "card"):
		return Errorf(ECONFLICT, "Two cards got the same code; please try again.")
	}
	return fieldError("email", "Another member has this email address.")
}

// checkMemberUnique gives a clear message before the unique indexes do.
func checkMemberUnique(tx *gorm.DB, m *Member) error {
	v := Validation{}
	for _, f := range []struct{ col, val, field, msg string }{
		{"email", m.Email, "email", "Another member has this email address."},
		{"phone", m.Phone, "phone", "Another member has this phone number."},
	} {
		if f.val == "" {
			continue
		}
		var n int64
		if err := tx.Model(&Member{}).Where(f.col+" = ? AND id <> ?", f.val, m.ID).Count(&n).Error; err != nil {
			return fmt.Errorf("member: check %s: %w", f.col, err)
		}
		v.Check(n == 0, f.field, f.msg)
	}
	return v.Err()
}

// EnrolMember adds a member, linking a referrer by card code when given.
// Nobody can refer themselves: a referrer with the same email or phone is
// refused.
func EnrolMember(db *gorm.DB, actor Actor, in MemberInput, now time.Time) (*Member, error) {
	m := &Member{}
	err := db.Transaction(func(tx *gorm.DB) error {
		v := in.apply(m, now)
		m.BirthdayChangedAt = nil // a birthday given at enrolment is not an edit
		if code := normaliseCardCode(in.ReferralCode); code != "" {
			var ref Member
			err := tx.Where("card_code = ?", code).Take(&ref).Error
			switch {
			case errors.Is(err, gorm.ErrRecordNotFound):
				v.Check(false, "referral_code", "No member has this card code.")
			case err != nil:
				return fmt.Errorf("member: find referrer: %w", err)
			case ref.Email != "" && ref.Email == m.Email, ref.Phone != "" && ref.Phone == m.Phone:
				v.Check(false, "referral_code", "A member cannot refer themselves.")
			default:
				m.ReferredByID = &ref.ID
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := checkMemberUnique(tx, m); err != nil {
			return err
		}
		if err := insertMember(tx, m, now); err != nil {
			return err
		}
		if err := payEnrolment(tx, actor, m, now); err != nil {
			return err
		}
		return enqueueEvent(tx, EventMemberCreated, memberCreated(m), now)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// insertMember gives a checked new member a card code and saves it. Two
// random codes clash about once in a few hundred thousand enrolments at
// a million members, so a clash draws a new code; each try runs in a
// savepoint, which keeps the transaction usable after a refused insert.
func insertMember(tx *gorm.DB, m *Member, now time.Time) error {
	for try := 1; ; try++ {
		code, err := newCardCode()
		if err != nil {
			return err
		}
		m.ID, m.CardCode, m.LastActivityAt = 0, code, &now
		if m.CreatedAt.IsZero() {
			m.CreatedAt = now.UTC() // the enrolment day the reports count
		}
		err = tx.Transaction(func(tx *gorm.DB) error { return createMembers(tx, []*Member{m}) })
		if err == nil {
			return nil
		}
		err = memberTaken(fmt.Errorf("member: enrol: %w", err), m)
		if ErrorCode(err) != ECONFLICT || try == 3 {
			return err
		}
	}
}

// UpdateMember saves a member's details.
func UpdateMember(db *gorm.DB, actor Actor, id int64, in MemberInput, now time.Time) (*Member, error) {
	var m *Member
	err := db.Transaction(func(tx *gorm.DB) error {
		var err error
		if m, err = GetMember(tx.Clauses(clause.Locking{Strength: "UPDATE"}), id); err != nil {
			return err
		}
		before := *m
		if err := in.apply(m, now).Err(); err != nil {
			return err
		}
		if err := checkMemberUnique(tx, m); err != nil {
			return err
		}
		if err := saveMember(tx, m); err != nil {
			return memberTaken(fmt.Errorf("member: update: %w", err), m)
		}
		return recordAudit(tx, actor, AuditUpdate, "member", m.ID, "Updated member "+m.Name, before, m)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// SetMemberBlocked blocks a member (no earning, no redeeming) or unblocks.
func SetMemberBlocked(db *gorm.DB, actor Actor, id int64, blocked bool) (*Member, error) {
	var m *Member
	err := db.Transaction(func(tx *gorm.DB) error {
		var err error
		if m, err = GetMember(tx.Clauses(clause.Locking{Strength: "UPDATE"}), id); err != nil {
			return err
		}
		if m.Blocked == blocked {
			return nil
		}
		before := *m
		m.Blocked = blocked
		if err := tx.Model(m).Update("blocked", blocked).Error; err != nil {
			return fmt.Errorf("member: block: %w", err)
		}
		verb := "Blocked"
		if !blocked {
			verb = "Unblocked"
		}
		return recordAudit(tx, actor, AuditUpdate, "member", m.ID, verb+" member "+m.Name, before, m)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// GetMember loads one of the scoped merchant's members.
func GetMember(db *gorm.DB, id int64) (*Member, error) {
	var m Member
	if err := db.Take(&m, id).Error; err != nil {
		return nil, notFound(err, "No such member.", "member: get %d", id)
	}
	return &m, nil
}

// FindMemberByCard finds a member by an exact card code, as a scan gives.
func FindMemberByCard(db *gorm.DB, code string) (*Member, error) {
	var m Member
	err := db.Where("card_code = ?", normaliseCardCode(code)).Take(&m).Error
	if err != nil {
		return nil, notFound(err, "No member has this card code.", "member: by card")
	}
	return &m, nil
}

// MembersAccounts returns the accounts a page of members holds in one
// program, by member id, in one query.
func MembersAccounts(db *gorm.DB, programID int64, memberIDs []int64) (map[int64]Account, error) {
	out := make(map[int64]Account, len(memberIDs))
	if len(memberIDs) == 0 {
		return out, nil
	}
	var as []Account
	if err := db.Where("program_id = ? AND member_id IN ?", programID, memberIDs).Find(&as).Error; err != nil {
		return nil, fmt.Errorf("member: accounts of a page: %w", err)
	}
	for _, a := range as {
		out[a.MemberID] = a
	}
	return out, nil
}

// MemberContact names one member exactly, as an integration knows them:
// an email, a phone with its country code, or a card code. Only one is
// looked at, in that order.
type MemberContact struct {
	Email, Phone, Card string
}

// FindMemberByContact finds the member whose email, phone or card code is
// exactly the one given, normalised as the member's own is stored.
func FindMemberByContact(db *gorm.DB, c MemberContact) (*Member, error) {
	if strings.TrimSpace(c.Card) != "" && strings.TrimSpace(c.Email+c.Phone) == "" {
		return FindMemberByCard(db, c.Card)
	}
	col, value := "email", NormaliseEmail(c.Email)
	if value == "" {
		col, value = "phone", NormalisePhone(c.Phone)
	}
	if value == "" {
		return nil, Errorf(ENOTFOUND, "No such member.")
	}
	var m Member
	err := db.Where(col+" = ?", value).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, Errorf(ENOTFOUND, "No member has this %s.", col)
	}
	if err != nil {
		return nil, fmt.Errorf("member: by %s: %w", col, err)
	}
	return &m, nil
}
