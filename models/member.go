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
	CreatedAt         time.Time
	UpdatedAt         time.Time
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
		return payEnrolment(tx, actor, m, now)
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
		err = tx.Transaction(func(tx *gorm.DB) error { return tx.Create(m).Error })
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
		if err := tx.Save(m).Error; err != nil {
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
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, Errorf(ENOTFOUND, "No such member.")
		}
		return nil, fmt.Errorf("member: get %d: %w", id, err)
	}
	return &m, nil
}

// MemberQuery is a search of the member list: Text matches the start of a
// name, email, phone or card code. AfterName/AfterID continue a page
// (keyset, by name then id).
type MemberQuery struct {
	Text      string
	AfterName string
	AfterID   int64
	Limit     int
	// Filters; zero values mean any.
	ProgramID    int64  // has an account in this program
	TierID       int64  // is in this tier
	InactiveDays int    // no activity for at least this many days
	Tag          string // carries this tag
	Now          time.Time
}

// filter narrows a member query. The subqueries are written by hand, so
// each names the merchant itself; the outer query is scoped anyway.
func (q MemberQuery) filter(s *gorm.DB) *gorm.DB {
	merchant, _ := MerchantOf(s)
	if q.ProgramID != 0 {
		s = s.Where("id IN (SELECT member_id FROM accounts WHERE merchant_id = ? AND program_id = ?)", merchant, q.ProgramID)
	}
	if q.TierID != 0 {
		s = s.Where("id IN (SELECT member_id FROM accounts WHERE merchant_id = ? AND tier_id = ?)", merchant, q.TierID)
	}
	if q.InactiveDays > 0 {
		now := q.Now
		if now.IsZero() {
			now = time.Now()
		}
		s = s.Where("(last_activity_at IS NULL OR last_activity_at < ?)", now.UTC().AddDate(0, 0, -q.InactiveDays))
	}
	if tag := normaliseTag(q.Tag); tag != "" {
		s = s.Where("id IN (SELECT member_id FROM member_tags WHERE merchant_id = ? AND tag = ?)", merchant, tag)
	}
	return s
}

// SearchMembers finds members by prefix, in name order, one page at a
// time. Each field is searched through its own index and the results
// merged, so the query stays fast at a million members.
func SearchMembers(db *gorm.DB, q MemberQuery) ([]Member, error) {
	if q.Limit <= 0 || q.Limit > 100 {
		q.Limit = 25
	}
	text := strings.TrimSpace(q.Text)
	// Byte order on both databases: SQLite compares text that way, and on
	// PostgreSQL the "C" collation lets one index serve both the prefix
	// match and the order, so a page stops after its 25 rows.
	nameKey := "lower(name)"
	if DialectOf(db) == Postgres {
		nameKey = `lower(name) COLLATE "C"`
	}
	base := func() *gorm.DB {
		s := db.Model(&Member{}).Order(nameKey + ", id").Limit(q.Limit)
		if q.AfterID != 0 {
			s = s.Where("("+nameKey+" > ? OR ("+nameKey+" = ? AND id > ?))", q.AfterName, q.AfterName, q.AfterID)
		}
		return q.filter(s)
	}
	if text == "" {
		var ms []Member
		if err := base().Find(&ms).Error; err != nil {
			return nil, fmt.Errorf("member: list: %w", err)
		}
		return ms, nil
	}
	prefixes := map[string]string{nameKey: strings.ToLower(text)}
	if strings.Contains(text, "@") {
		prefixes["email"] = strings.ToLower(text)
	}
	if digits := NormalisePhone(text); len(digits) >= 3 && len(digits) >= len(strings.Join(strings.Fields(text), ""))/2 {
		prefixes["phone"] = digits
	}
	if code := normaliseCardCode(text); len(code) >= 2 && len(code) <= cardLength {
		prefixes["card_code"] = code
	}
	seen := map[int64]bool{}
	var all []Member
	for col, prefix := range prefixes {
		var ms []Member
		if err := base().Where(prefixCondition(db, col), prefixArgs(db, prefix)...).Find(&ms).Error; err != nil {
			return nil, fmt.Errorf("member: search %s: %w", col, err)
		}
		for _, m := range ms {
			if !seen[m.ID] {
				seen[m.ID] = true
				all = append(all, m)
			}
		}
	}
	sortMembers(all)
	if len(all) > q.Limit {
		all = all[:q.Limit]
	}
	return all, nil
}

// prefixCondition matches the start of a column through its index: LIKE
// with a pattern index on PostgreSQL, a range on SQLite (whose LIKE
// ignores case and skips indexes).
func prefixCondition(db *gorm.DB, col string) string {
	if DialectOf(db) == Postgres {
		return col + " LIKE ?"
	}
	return col + " >= ? AND " + col + " < ?"
}

func prefixArgs(db *gorm.DB, prefix string) []any {
	if DialectOf(db) == Postgres {
		esc := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(prefix)
		return []any{esc + "%"}
	}
	return []any{prefix, prefix + "\U0010FFFF"}
}

func sortMembers(ms []Member) {
	less := func(a, b Member) bool {
		la, lb := strings.ToLower(a.Name), strings.ToLower(b.Name)
		if la != lb {
			return la < lb
		}
		return a.ID < b.ID
	}
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && less(ms[j], ms[j-1]); j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

// FindMemberByCard finds a member by an exact card code, as a scan gives.
func FindMemberByCard(db *gorm.DB, code string) (*Member, error) {
	var m Member
	err := db.Where("card_code = ?", normaliseCardCode(code)).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, Errorf(ENOTFOUND, "No member has this card code.")
	}
	if err != nil {
		return nil, fmt.Errorf("member: by card: %w", err)
	}
	return &m, nil
}
