package models

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Participation is what a user may do in recognition: give and receive,
// one of them, or only read the feed (observer).
type Participation string

const (
	PartBoth     Participation = "both"
	PartGiver    Participation = "giver"
	PartReceiver Participation = "receiver"
	PartObserver Participation = "observer"
)

// Participations lists them for forms.
var Participations = []Participation{PartBoth, PartGiver, PartReceiver, PartObserver}

func (p Participation) gives() bool    { return p == PartBoth || p == PartGiver }
func (p Participation) receives() bool { return p == PartBoth || p == PartReceiver }

// MemberScope is which members may give, or receive: none, all, those in
// chosen tiers, or those carrying a tag.
type MemberScope string

const (
	ScopeNone  MemberScope = "none"
	ScopeAll   MemberScope = "all"
	ScopeTiers MemberScope = "tiers"
	ScopeTag   MemberScope = "tag"
)

// MemberScopes lists them for forms.
var MemberScopes = []MemberScope{ScopeNone, ScopeAll, ScopeTiers, ScopeTag}

// Bounds of what the settings and a recognition may hold.
const (
	maxRecognitionMessage = 1000
	maxRecognitionPoints  = 1_000_000
	maxRecognitionReason  = 200
	maxRecognitionKey     = 100
	recognitionNudgeDays  = 30
)

// RecognitionSettings is a merchant's recognition configuration: one row,
// written by the owner and audited. Zero caps mean "no cap" for the
// per-recognition and per-pair maximums; the allowance is always a cap.
type RecognitionSettings struct {
	ID                  int64
	MerchantID          int64
	Enabled             bool
	RecognitionValues   string // comma-separated, without '#'
	ValueRequired       bool
	MinMessageLength    int64
	RefusedWords        string // comma-separated, lower case
	OwnerRole           Participation
	ManagerRole         Participation
	StaffRole           Participation
	MemberGivers        MemberScope
	MemberGiverTiers    string // comma-separated tier ids
	MemberGiverTag      string
	MemberReceivers     MemberScope
	MemberReceiverTiers string
	MemberReceiverTag   string
	MonthlyAllowance    int64
	OwnerAllowance      *int64 // nil: the monthly allowance
	ManagerAllowance    *int64
	StaffAllowance      *int64
	MaxPerRecognition   int64
	MaxPerPair          int64
	ProgramID           *int64
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// TableName keeps the plural name the migration gives.
func (RecognitionSettings) TableName() string { return "recognition_settings" }

// RecognitionOverride is one user's participation over their role's.
type RecognitionOverride struct {
	ID            int64
	MerchantID    int64
	UserID        int64
	Participation Participation
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// RecognitionAllowance is what one giver gave in one local month. Every
// give locks it, which serialises a giver's gives.
type RecognitionAllowance struct {
	ID         int64
	MerchantID int64
	Giver      string // "u:<id>" or "m:<id>"
	Month      string // YYYY-MM in the merchant's zone
	Used       int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Recognition is one public thank-you. It is never edited but to hide it.
type Recognition struct {
	ID               int64
	MerchantID       int64
	GiverUserID      *int64
	GiverMemberID    *int64
	ReceiverUserID   *int64
	ReceiverMemberID *int64
	GiverName        string
	ReceiverName     string
	Points           int64
	Value            string
	Message          string
	Month            string
	ProgramID        *int64
	IdempotencyKey   string
	HiddenAt         *time.Time
	HiddenBy         string
	HideReason       string
	CreatedAt        time.Time
}

// KudosAccount is a user's balance of points received as recognition.
// Like a member's account, its balance is the sum of its entries.
type KudosAccount struct {
	ID         int64
	MerchantID int64
	UserID     int64
	Balance    int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// KudosEntry is one append-only change to a kudos balance.
type KudosEntry struct {
	ID             int64
	MerchantID     int64
	AccountID      int64
	UserID         int64
	RecognitionID  int64
	Amount         int64
	BalanceAfter   int64
	ActorName      string
	Reason         string
	CorrectsID     *int64
	IdempotencyKey string
	CreatedAt      time.Time
}

// Party names a giver or a receiver: a user or a member, exactly one.
type Party struct {
	UserID, MemberID int64
}

// String is the party as forms carry it: "u:<id>" or "m:<id>".
func (p Party) String() string {
	if p.UserID != 0 {
		return fmt.Sprintf("u:%d", p.UserID)
	}
	return fmt.Sprintf("m:%d", p.MemberID)
}

// ParseParty reads "u:<id>" or "m:<id>"; anything else is the zero Party.
func ParseParty(s string) Party {
	kind, num, _ := strings.Cut(strings.TrimSpace(s), ":")
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id <= 0 {
		return Party{}
	}
	switch kind {
	case "u":
		return Party{UserID: id}
	case "m":
		return Party{MemberID: id}
	}
	return Party{}
}

func (p Party) valid() bool { return (p.UserID > 0) != (p.MemberID > 0) }

// defaultRecognitionSettings is what a merchant who never saved any has.
func defaultRecognitionSettings() *RecognitionSettings {
	return &RecognitionSettings{
		OwnerRole: PartBoth, ManagerRole: PartBoth, StaffRole: PartBoth,
		MemberGivers: ScopeNone, MemberReceivers: ScopeNone,
	}
}

// GetRecognitionSettings returns the merchant's settings, or the defaults.
func GetRecognitionSettings(db *gorm.DB) (*RecognitionSettings, error) {
	var ss []RecognitionSettings
	if err := db.Limit(1).Find(&ss).Error; err != nil {
		return nil, fmt.Errorf("recognition: settings: %w", err)
	}
	if len(ss) == 0 {
		return defaultRecognitionSettings(), nil
	}
	return &ss[0], nil
}

// Values lists the merchant's values.
func (s *RecognitionSettings) Values() []string { return splitList(s.RecognitionValues) }

func (s *RecognitionSettings) refused() []string { return splitList(s.RefusedWords) }

func (s *RecognitionSettings) roleDefault(r Role) Participation {
	switch r {
	case RoleOwner:
		return s.OwnerRole
	case RoleManager:
		return s.ManagerRole
	}
	return s.StaffRole
}

// allowanceOf is the one rule of what a giver may give a month: a user's
// role's allowance where the owner set one, else the monthly allowance,
// which members always have.
func (s *RecognitionSettings) allowanceOf(p participant) int64 {
	if p.UserID == 0 {
		return s.MonthlyAllowance
	}
	role := s.StaffAllowance
	switch p.role {
	case RoleOwner:
		role = s.OwnerAllowance
	case RoleManager:
		role = s.ManagerAllowance
	}
	if role == nil {
		return s.MonthlyAllowance
	}
	return *role
}

func splitList(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}

func idList(s string) []int64 {
	var ids []int64
	for _, w := range splitList(s) {
		if id, err := strconv.ParseInt(w, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// participant is a party with what eligibility depends on.
type participant struct {
	Party
	name     string
	role     Role          // a user's
	override Participation // a user's own setting, "" for none
	tiers    []int64       // a member's current tiers
	tags     []string      // a member's tags
	blocked  bool          // a blocked member neither gives nor receives
}

func (s *RecognitionSettings) userPart(p participant) Participation {
	if p.override != "" {
		return p.override
	}
	return s.roleDefault(p.role)
}

func memberIn(scope MemberScope, tierList, tag string, p participant) bool {
	if p.blocked {
		return false
	}
	switch scope {
	case ScopeAll:
		return true
	case ScopeTiers:
		for _, want := range idList(tierList) {
			for _, have := range p.tiers {
				if want == have {
					return true
				}
			}
		}
	case ScopeTag:
		for _, t := range p.tags {
			if tag != "" && t == normaliseTag(tag) {
				return true
			}
		}
	}
	return false
}

func (s *RecognitionSettings) mayGive(p participant) bool {
	if p.UserID != 0 {
		return s.userPart(p).gives()
	}
	return memberIn(s.MemberGivers, s.MemberGiverTiers, s.MemberGiverTag, p)
}

func (s *RecognitionSettings) mayReceive(p participant) bool {
	if p.UserID != 0 {
		return s.userPart(p).receives()
	}
	return memberIn(s.MemberReceivers, s.MemberReceiverTiers, s.MemberReceiverTag, p)
}

// gift is what a giver wants to give, as checked.
type gift struct {
	points         int64
	message, value string
}

// checkGive is the one rule of recognition: whether g may give r this
// gift, given what g already gave this month (used) and gave r (pair).
// Each refusal names its reason.
func checkGive(s *RecognitionSettings, g, r participant, in gift, used, pair int64) error {
	switch {
	case !s.Enabled:
		return Errorf(EINVALID, "Recognition is turned off for this business.")
	case g.Party == r.Party:
		return fieldError("receiver", "You cannot recognise yourself; choose someone else.")
	case !s.mayGive(g):
		return Errorf(EINVALID, "%s is not allowed to give recognition here.", g.name)
	case !s.mayReceive(r):
		return fieldError("receiver", r.name+" is not allowed to receive recognition here.")
	}
	if err := s.checkText(in); err != nil {
		return err
	}
	allowance := s.allowanceOf(g)
	left := max(allowance-used, 0)
	switch {
	case s.MaxPerRecognition > 0 && in.points > s.MaxPerRecognition:
		return fieldError("points", fmt.Sprintf("At most %d points per recognition.", s.MaxPerRecognition))
	case in.points > left:
		return fieldError("points", fmt.Sprintf("That is over your monthly allowance: %d of %d points left this month.", left, allowance))
	case s.MaxPerPair > 0 && pair+in.points > s.MaxPerPair:
		return fieldError("points", fmt.Sprintf("At most %d points a month from one person to another: %d left for %s this month.", s.MaxPerPair, max(s.MaxPerPair-pair, 0), r.name))
	}
	return nil
}

// checkText checks the value and the message of a gift.
func (s *RecognitionSettings) checkText(in gift) error {
	values := s.Values()
	switch {
	case in.value == "" && s.ValueRequired:
		return fieldError("value", "Choose one of the values.")
	case in.value != "" && !oneOf(in.value, values):
		return fieldError("value", "That is not one of this business's values; choose one from the list.")
	}
	n := int64(utf8.RuneCountInString(in.message))
	switch {
	case n == 0 || n < s.MinMessageLength:
		return fieldError("message", fmt.Sprintf("Say a little more: at least %d characters.", max(s.MinMessageLength, 1)))
	case n > maxRecognitionMessage:
		return fieldError("message", fmt.Sprintf("Use at most %d characters.", maxRecognitionMessage))
	}
	if w := refusedWord(in.message, s.refused()); w != "" {
		return fieldError("message", fmt.Sprintf("The word “%s” is not allowed here; reword the message.", w))
	}
	return nil
}

// refusedWord is the first word of message on the refused list, compared
// without case, or "".
func refusedWord(message string, refused []string) string {
	if len(refused) == 0 {
		return ""
	}
	words := strings.FieldsFunc(strings.ToLower(message), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for _, w := range words {
		for _, bad := range refused {
			if w == strings.ToLower(bad) {
				return bad
			}
		}
	}
	return ""
}

// loadParticipant reads a party with its role, override, tiers and tags.
// A user who left or a blocked member is not found.
func loadParticipant(tx *gorm.DB, p Party) (participant, error) {
	out := participant{Party: p}
	if p.UserID != 0 {
		u, err := GetUser(tx, p.UserID)
		if err != nil {
			return out, err
		}
		if !u.Active {
			return out, Errorf(ENOTFOUND, "No such person.")
		}
		var os []RecognitionOverride
		if err := tx.Where("user_id = ?", u.ID).Limit(1).Find(&os).Error; err != nil {
			return out, fmt.Errorf("recognition: override: %w", err)
		}
		var override Participation
		if len(os) == 1 {
			override = os[0].Participation
		}
		return userParticipant(u, override), nil
	}
	var m Member
	if err := tx.Take(&m, p.MemberID).Error; err != nil {
		return out, notFound(err, "No such member.", "recognition: member %d", p.MemberID)
	}
	out.name, out.blocked = m.Name, m.Blocked
	if err := tx.Model(&Account{}).Where("member_id = ? AND tier_id IS NOT NULL", m.ID).Pluck("tier_id", &out.tiers).Error; err != nil {
		return out, fmt.Errorf("recognition: tiers: %w", err)
	}
	tags, err := MemberTags(tx, m.ID)
	out.tags = tags
	return out, err
}

// userParticipant is a user as recognition sees them, with their own
// setting ("" for their role's).
func userParticipant(u *User, override Participation) participant {
	return participant{Party: Party{UserID: u.ID}, name: u.Name, role: u.Role, override: override}
}

// activeStaff is the merchant's active users as participants, in two
// queries whatever their number, with the users for what else is asked
// of them.
func activeStaff(db *gorm.DB) ([]User, []participant, error) {
	users, err := ListUsers(db)
	if err != nil {
		return nil, nil, err
	}
	overrides, err := RecognitionOverrides(db)
	if err != nil {
		return nil, nil, err
	}
	var active []User
	var parts []participant
	for i := range users {
		if users[i].Active {
			active = append(active, users[i])
			parts = append(parts, userParticipant(&users[i], overrides[users[i].ID]))
		}
	}
	return active, parts, nil
}

// recognitionMonth is the local month now falls in: allowances reset on
// the 1st in the merchant's zone.
func recognitionMonth(loc *time.Location, now time.Time) string { return now.In(loc).Format("2006-01") }

// lockAllowance returns the giver's allowance row of a month, creating it
// if needed, locked for the rest of the transaction as lockAccount locks
// an account: FOR UPDATE on PostgreSQL; SQLite's immediate transactions
// already hold the database's one write lock.
func lockAllowance(tx *gorm.DB, giver, month string, now time.Time) (*RecognitionAllowance, error) {
	fresh := &RecognitionAllowance{Giver: giver, Month: month, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	return lockOrOpen(tx, "recognition allowance", fresh, "giver = ? AND month = ?", giver, month)
}

// lockOrOpen locks the one row matching query, inserting fresh first when
// there is none. Two first uses at once both insert; the loser's insert
// does nothing and both then lock the one row.
func lockOrOpen[T any](tx *gorm.DB, what string, fresh *T, query string, args ...any) (*T, error) {
	var rows []T
	find := func() error {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where(query, args...).Limit(1).Find(&rows).Error
	}
	if err := find(); err != nil {
		return nil, fmt.Errorf("%s: lock: %w", what, err)
	}
	if len(rows) == 1 {
		return &rows[0], nil
	}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(fresh).Error; err != nil {
		return nil, fmt.Errorf("%s: open: %w", what, err)
	}
	if err := find(); err != nil || len(rows) != 1 {
		return nil, fmt.Errorf("%s: lock new: %w", what, err)
	}
	return &rows[0], nil
}

// Remaining is what a giver may still give this month, and their
// allowance: the giver is loaded for their role's.
func Remaining(db *gorm.DB, giver Party, now time.Time) (left, allowance int64, err error) {
	s, err := GetRecognitionSettings(db)
	if err != nil {
		return 0, 0, err
	}
	m, err := GetMerchant(db)
	if err != nil {
		return 0, 0, err
	}
	p, err := loadParticipant(db, giver)
	if err != nil {
		return 0, 0, fmt.Errorf("recognition: remaining of %s: %w", giver, err)
	}
	allowance = s.allowanceOf(p)
	var used []int64
	err = db.Model(&RecognitionAllowance{}).Where("giver = ? AND month = ?", giver.String(), recognitionMonth(m.Location(), now)).Pluck("used", &used).Error
	if err != nil {
		return 0, 0, fmt.Errorf("recognition: remaining: %w", err)
	}
	if len(used) == 1 {
		return max(allowance-used[0], 0), allowance, nil
	}
	return allowance, allowance, nil
}

// GiveInput is a give form as typed.
type GiveInput struct {
	Giver, Receiver             Party
	Points, Message, Value, Key string
}

func (in GiveInput) parse() (gift, error) {
	v := Validation{}
	g := gift{message: strings.TrimSpace(in.Message), value: strings.TrimPrefix(strings.TrimSpace(in.Value), "#")}
	g.points = numberField(v, "points", in.Points, 0, maxRecognitionPoints, "Enter whole points, 0 or more.")
	v.Check(in.Receiver.valid(), "receiver", "Choose who you are recognising.")
	key := strings.TrimSpace(in.Key)
	v.Check(key != "" && len(key) <= maxRecognitionKey, "idempotency_key", "Reload the page and send the form again.")
	return g, v.Err()
}

func findRecognition(tx *gorm.DB, key string) (*Recognition, error) {
	var rs []Recognition
	if err := tx.Where("idempotency_key = ?", key).Limit(1).Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("recognition: replay: %w", err)
	}
	if len(rs) == 0 {
		return nil, nil
	}
	return &rs[0], nil
}

func pairColumns(p Party, side string) (string, int64) {
	if p.UserID != 0 {
		return side + "_user_id = ?", p.UserID
	}
	return side + "_member_id = ?", p.MemberID
}

// pairUsed is what giver gave receiver in month.
func pairUsed(tx *gorm.DB, giver, receiver Party, month string) (int64, error) {
	gc, gid := pairColumns(giver, "giver")
	rc, rid := pairColumns(receiver, "receiver")
	var sum int64
	err := tx.Model(&Recognition{}).Select("COALESCE(SUM(points), 0)").Where(gc, gid).Where(rc, rid).Where("month = ?", month).Scan(&sum).Error
	if err != nil {
		return 0, fmt.Errorf("recognition: pair: %w", err)
	}
	return sum, nil
}

func idPtr(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// Give records a recognition and pays its points, in one transaction,
// exactly once per idempotency key: a retry returns the first one. The
// giver's allowance row is locked before anything is checked, so gives at
// once by one giver are checked one after the other.
func Give(db *gorm.DB, actor Actor, in GiveInput, now time.Time) (*Recognition, error) {
	g, err := in.parse()
	if err != nil {
		return nil, err
	}
	key := strings.TrimSpace(in.Key)
	var out *Recognition
	err = db.Transaction(func(tx *gorm.DB) error {
		if prior, err := findRecognition(tx, key); err != nil || prior != nil {
			out = prior
			return err
		}
		s, err := GetRecognitionSettings(tx)
		if err != nil {
			return err
		}
		merchant, err := GetMerchant(tx)
		if err != nil {
			return err
		}
		giver, err := loadParticipant(tx, in.Giver)
		if err != nil {
			return err
		}
		receiver, err := loadParticipant(tx, in.Receiver)
		if err != nil {
			return fieldErrorOf(err, "receiver")
		}
		month := recognitionMonth(merchant.Location(), now)
		allowance, err := lockAllowance(tx, in.Giver.String(), month, now)
		if err != nil {
			return err
		}
		if prior, err := findRecognition(tx, key); err != nil || prior != nil {
			out = prior
			return err
		}
		pair, err := pairUsed(tx, in.Giver, in.Receiver, month)
		if err != nil {
			return err
		}
		if err := checkGive(s, giver, receiver, g, allowance.Used, pair); err != nil {
			return err
		}
		r := &Recognition{
			GiverUserID: idPtr(in.Giver.UserID), GiverMemberID: idPtr(in.Giver.MemberID),
			ReceiverUserID: idPtr(in.Receiver.UserID), ReceiverMemberID: idPtr(in.Receiver.MemberID),
			GiverName: giver.name, ReceiverName: receiver.name, Points: g.points, Value: g.value,
			Message: g.message, Month: month, IdempotencyKey: key, CreatedAt: now.UTC(),
		}
		if g.points > 0 && in.Receiver.MemberID != 0 {
			if s.ProgramID == nil {
				return fieldError("points", "No program receives recognition points yet; give 0 points, or ask the owner to choose one.")
			}
			r.ProgramID = s.ProgramID
		}
		if err := tx.Create(r).Error; err != nil {
			return fmt.Errorf("recognition: create: %w", err)
		}
		allowance.Used += g.points
		if err := tx.Model(allowance).Updates(map[string]any{"used": allowance.Used, "updated_at": now.UTC()}).Error; err != nil {
			return fmt.Errorf("recognition: use allowance: %w", err)
		}
		out = r
		return payRecognition(tx, actor, merchant, r, now)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// fieldErrorOf puts a not-found receiver on the receiver field.
func fieldErrorOf(err error, field string) error {
	if ErrorCode(err) == ENOTFOUND {
		return fieldError(field, "Choose someone from the list.")
	}
	return err
}

// payRecognition posts a recognition's points: a ledger entry of kind
// recognition to a member's account, or a kudos entry to a user's.
func payRecognition(tx *gorm.DB, actor Actor, merchant *Merchant, r *Recognition, now time.Time) error {
	if r.Points == 0 {
		return nil
	}
	reason := "Recognition from " + r.GiverName
	if r.ReceiverUserID != nil {
		return postKudos(tx, *r.ReceiverUserID, &KudosEntry{RecognitionID: r.ID, Amount: r.Points, ActorName: orSystem(actor.Name),
			Reason: reason, IdempotencyKey: fmt.Sprintf("recognition:%d", r.ID)}, now)
	}
	p, err := GetProgram(tx, *r.ProgramID)
	if err != nil {
		return err
	}
	a, err := lockAccount(tx, p.ID, *r.ReceiverMemberID, now)
	if err != nil {
		return err
	}
	e := &LedgerEntry{Kind: KindRecognition, Amount: r.Points, Reason: reason, Note: r.Message,
		IdempotencyKey: key(fmt.Sprintf("recognition:%d", r.ID))}
	actorFields(e, actor)
	if err := credit(tx, a, p, e, now); err != nil {
		return err
	}
	return promote(tx, a, p, merchant.Location(), now)
}

// lockKudos returns a user's kudos account, opened if needed, locked.
func lockKudos(tx *gorm.DB, userID int64, now time.Time) (*KudosAccount, error) {
	fresh := &KudosAccount{UserID: userID, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	return lockOrOpen(tx, "kudos account", fresh, "user_id = ?", userID)
}

// postKudos appends e to the user's kudos ledger and moves the balance
// with it, under the account's lock: the kudos ledger keeps ledger rules
// 1, 2 and 4 as the members' ledger does.
func postKudos(tx *gorm.DB, userID int64, e *KudosEntry, now time.Time) error {
	a, err := lockKudos(tx, userID, now)
	if err != nil {
		return err
	}
	a.Balance += e.Amount
	e.AccountID, e.UserID, e.BalanceAfter, e.CreatedAt = a.ID, userID, a.Balance, now.UTC()
	if err := tx.Create(e).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return errAlreadyPosted
		}
		return fmt.Errorf("kudos: post: %w", err)
	}
	if err := tx.Model(a).Updates(map[string]any{"balance": a.Balance, "updated_at": now.UTC()}).Error; err != nil {
		return fmt.Errorf("kudos: move balance: %w", err)
	}
	return nil
}

// KudosBalance is a user's kudos balance.
func KudosBalance(db *gorm.DB, userID int64) (int64, error) {
	var bs []int64
	if err := db.Model(&KudosAccount{}).Where("user_id = ?", userID).Pluck("balance", &bs).Error; err != nil {
		return 0, fmt.Errorf("kudos: balance: %w", err)
	}
	if len(bs) == 0 {
		return 0, nil
	}
	return bs[0], nil
}

// GetRecognition loads one recognition.
func GetRecognition(db *gorm.DB, id int64) (*Recognition, error) {
	var r Recognition
	if err := db.Take(&r, id).Error; err != nil {
		return nil, notFound(err, "No such recognition.", "recognition: get %d", id)
	}
	return &r, nil
}

// Hide takes a recognition off the feed and the leaderboards, with a
// reason, and reverses its points by a new entry that points at the one
// it corrects. Hiding twice is refused; the reversal is posted once.
func Hide(db *gorm.DB, actor Actor, id int64, reason string, now time.Time) (*Recognition, error) {
	reason = strings.TrimSpace(reason)
	var out *Recognition
	err := db.Transaction(func(tx *gorm.DB) error {
		var r Recognition
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&r, id).Error; err != nil {
			return notFound(err, "No such recognition.", "recognition: hide %d", id)
		}
		if r.HiddenAt != nil {
			return Errorf(ECONFLICT, "This recognition is already hidden.")
		}
		v := Validation{}
		v.Check(reason != "", "reason", "Say why it is hidden.")
		v.Check(utf8.RuneCountInString(reason) <= maxRecognitionReason, "reason", fmt.Sprintf("Use at most %d characters.", maxRecognitionReason))
		if err := v.Err(); err != nil {
			return err
		}
		before := r
		at := now.UTC()
		r.HiddenAt, r.HiddenBy, r.HideReason = &at, orSystem(actor.Name), reason
		if err := tx.Model(&r).Updates(map[string]any{"hidden_at": at, "hidden_by": r.HiddenBy, "hide_reason": reason}).Error; err != nil {
			return fmt.Errorf("recognition: hide: %w", err)
		}
		if err := reverseRecognition(tx, actor, &r, now); err != nil {
			return err
		}
		out = &r
		summary := fmt.Sprintf("Hid the recognition from %s to %s: %s", r.GiverName, r.ReceiverName, reason)
		return recordAudit(tx, actor, AuditUpdate, "recognition", r.ID, summary, before, r)
	})
	return out, err
}

func reverseRecognition(tx *gorm.DB, actor Actor, r *Recognition, now time.Time) error {
	if r.Points == 0 {
		return nil
	}
	reason := "Recognition hidden: " + r.HideReason
	paid := fmt.Sprintf("recognition:%d", r.ID)
	undo := fmt.Sprintf("recognition-hide:%d", r.ID)
	if r.ReceiverUserID != nil {
		var orig KudosEntry
		if err := tx.Where("idempotency_key = ?", paid).Take(&orig).Error; err != nil {
			return fmt.Errorf("kudos: original of %d: %w", r.ID, err)
		}
		return postKudos(tx, *r.ReceiverUserID, &KudosEntry{RecognitionID: r.ID, Amount: -r.Points, ActorName: orSystem(actor.Name),
			Reason: reason, CorrectsID: &orig.ID, IdempotencyKey: undo}, now)
	}
	var orig LedgerEntry
	if err := tx.Where("idempotency_key = ?", paid).Take(&orig).Error; err != nil {
		return fmt.Errorf("recognition: original of %d: %w", r.ID, err)
	}
	a, err := lockAccount(tx, orig.ProgramID, orig.MemberID, now)
	if err != nil {
		return err
	}
	e := &LedgerEntry{Kind: KindRecognition, Amount: -r.Points, Reason: reason, CorrectsID: &orig.ID, IdempotencyKey: key(undo)}
	actorFields(e, actor)
	return post(tx, a, e, now)
}

// FeedFilter narrows the feed; zero values mean any.
type FeedFilter struct {
	Value  string
	Person Party // as giver or receiver
	Month  string
	Limit  int
}

// ListRecognitions is the feed: visible recognitions, newest first.
func ListRecognitions(db *gorm.DB, f FeedFilter) ([]Recognition, error) {
	q := visible(db).Order("id DESC").Limit(max(f.Limit, 1))
	if f.Value != "" {
		q = q.Where("value = ?", f.Value)
	}
	if f.Month != "" {
		q = q.Where("month = ?", f.Month)
	}
	switch {
	case f.Person.UserID != 0:
		q = q.Where("giver_user_id = ? OR receiver_user_id = ?", f.Person.UserID, f.Person.UserID)
	case f.Person.MemberID != 0:
		q = q.Where("giver_member_id = ? OR receiver_member_id = ?", f.Person.MemberID, f.Person.MemberID)
	}
	var rs []Recognition
	if err := q.Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("recognition: feed: %w", err)
	}
	return rs, nil
}

func visible(db *gorm.DB) *gorm.DB { return db.Model(&Recognition{}).Where("hidden_at IS NULL") }

// LeaderRow is one line of a leaderboard.
type LeaderRow struct {
	Name   string
	Count  int64
	Points int64
}

// Leaderboard is the top receivers, givers and values of a month
// ("" for all time), hidden recognitions left out.
type Leaderboard struct {
	Receivers, Givers, Values []LeaderRow
}

// RecognitionLeaders builds the leaderboard of a month, or of all time.
func RecognitionLeaders(db *gorm.DB, month string, limit int) (*Leaderboard, error) {
	board := &Leaderboard{}
	top := func(name, group string, into *[]LeaderRow) error {
		q := visible(db).Select(name + " AS name, COUNT(*) AS count, COALESCE(SUM(points), 0) AS points").
			Group(group).Order("points DESC, count DESC, name").Limit(limit)
		if month != "" {
			q = q.Where("month = ?", month)
		}
		return q.Scan(into).Error
	}
	steps := []error{
		top("receiver_name", "receiver_user_id, receiver_member_id, receiver_name", &board.Receivers),
		top("giver_name", "giver_user_id, giver_member_id, giver_name", &board.Givers),
	}
	q := visible(db).Select("value AS name, COUNT(*) AS count, COALESCE(SUM(points), 0) AS points").
		Where("value <> ''").Group("value").Order("count DESC, name").Limit(limit)
	if month != "" {
		q = q.Where("month = ?", month)
	}
	steps = append(steps, q.Scan(&board.Values).Error)
	if err := errors.Join(steps...); err != nil {
		return nil, fmt.Errorf("recognition: leaderboard: %w", err)
	}
	return board, nil
}

// Candidate is someone a giver may recognise.
type Candidate struct {
	Party Party
	Name  string
}

// maxReceiverSearch bounds a receiver search: longer is no name.
const maxReceiverSearch = 100

// Receivers lists who may receive recognition: the active users whose
// participation receives, and up to limit members in the receiving scope.
// With text, only those it finds: members as the member search finds
// them, users by the start of a word of their name or of their email.
func Receivers(db *gorm.DB, text string, limit int) ([]Candidate, error) {
	s, err := GetRecognitionSettings(db)
	if err != nil {
		return nil, err
	}
	if text = strings.TrimSpace(text); utf8.RuneCountInString(text) > maxReceiverSearch {
		text = string([]rune(text)[:maxReceiverSearch])
	}
	users, parts, err := activeStaff(db)
	if err != nil {
		return nil, err
	}
	var out []Candidate
	for i, p := range parts {
		if userMatches(text, &users[i]) && s.mayReceive(p) {
			out = append(out, Candidate{Party: p.Party, Name: p.name})
		}
	}
	members, err := scopeMembers(db, s.MemberReceivers, s.MemberReceiverTiers, s.MemberReceiverTag, text, limit)
	return append(out, members...), err
}

// ReceiversFor is whom giver may pick on a give form: Receivers for the
// search text, never the giver, and first the one already chosen when
// they may receive but the search would not find them (a refused form
// comes back with its choice).
func ReceiversFor(db *gorm.DB, giver Party, text string, chosen Party, limit int) ([]Candidate, error) {
	found, err := Receivers(db, text, limit)
	if err != nil {
		return nil, err
	}
	s, err := GetRecognitionSettings(db)
	if err != nil {
		return nil, err
	}
	part, err := findParticipant(db, chosen)
	if err != nil {
		return nil, err
	}
	var out []Candidate
	if part != nil && chosen != giver && s.mayReceive(*part) && !slices.ContainsFunc(found, func(c Candidate) bool { return c.Party == chosen }) {
		out = append(out, Candidate{Party: chosen, Name: part.name})
	}
	for _, c := range found {
		if c.Party != giver {
			out = append(out, c)
		}
	}
	return out, nil
}

// Person is p with their name, for showing whom the feed is filtered by;
// nil when p is nobody of this merchant.
func Person(db *gorm.DB, p Party) (*Candidate, error) {
	part, err := findParticipant(db, p)
	if err != nil || part == nil {
		return nil, err
	}
	return &Candidate{Party: p, Name: part.name}, nil
}

// findParticipant is loadParticipant for a party typed in a form or a
// link: nil when it names nobody of this merchant.
func findParticipant(db *gorm.DB, p Party) (*participant, error) {
	if !p.valid() {
		return nil, nil
	}
	part, err := loadParticipant(db, p)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &part, nil
}

// userMatches says whether a receiver search finds u, as the member
// search would (an @ makes it the start of an email); every user when
// there is no search.
func userMatches(text string, u *User) bool {
	switch {
	case text == "":
		return true
	case strings.Contains(text, "@"):
		return strings.HasPrefix(strings.ToLower(u.Email), strings.ToLower(text))
	}
	return wordsStart(searchWords(text), searchWords(u.Name))
}

// inScope is the members in a scope, the query memberIn answers for one
// member; nil for none.
func inScope(db *gorm.DB, scope MemberScope, tiers, tag string) *gorm.DB {
	if scope != ScopeAll && scope != ScopeTiers && scope != ScopeTag {
		return nil
	}
	return narrowToScope(db, db.Model(&Member{}), scope, tiers, tag)
}

// narrowToScope keeps the members of q that are in a scope (not none).
func narrowToScope(db, q *gorm.DB, scope MemberScope, tiers, tag string) *gorm.DB {
	q = q.Where("members.blocked = ?", false)
	switch scope {
	case ScopeTiers:
		return q.Where("members.id IN (?)", db.Model(&Account{}).Select("member_id").Where("tier_id IN ?", append(idList(tiers), 0)))
	case ScopeTag:
		return q.Where("members.id IN (?)", db.Model(&MemberTag{}).Select("member_id").Where("tag = ?", normaliseTag(tag)))
	}
	return q
}

// scopeMembers lists up to limit members in a scope: by name, or as the
// member search finds text among them.
func scopeMembers(db *gorm.DB, scope MemberScope, tiers, tag, text string, limit int) ([]Candidate, error) {
	q := inScope(db, scope, tiers, tag)
	if q == nil {
		return nil, nil
	}
	var ms []Member
	var err error
	if text == "" {
		err = q.Order("name, id").Limit(limit).Find(&ms).Error
	} else {
		ms, err = SearchMembers(db, MemberQuery{Text: text, Limit: limit, narrow: func(st *gorm.DB) *gorm.DB {
			return narrowToScope(db, st, scope, tiers, tag)
		}})
	}
	if err != nil {
		return nil, fmt.Errorf("recognition: members in scope: %w", err)
	}
	out := make([]Candidate, len(ms))
	for i, m := range ms {
		out[i] = Candidate{Party: Party{MemberID: m.ID}, Name: m.Name}
	}
	return out, nil
}

// Nudge lists up to limit people allowed to receive who have not been
// recognised in the last 30 days.
func Nudge(db *gorm.DB, now time.Time, limit int) ([]Candidate, error) {
	all, err := Receivers(db, "", 200)
	if err != nil {
		return nil, err
	}
	since := now.Add(-recognitionNudgeDays * 24 * time.Hour).UTC()
	var recent []Recognition
	if err := visible(db).Select("receiver_user_id, receiver_member_id").Where("created_at >= ?", since).Find(&recent).Error; err != nil {
		return nil, fmt.Errorf("recognition: nudge: %w", err)
	}
	seen := map[Party]bool{}
	for _, r := range recent {
		seen[Party{UserID: deref(r.ReceiverUserID), MemberID: deref(r.ReceiverMemberID)}] = true
	}
	var out []Candidate
	for _, c := range all {
		if !seen[c.Party] && len(out) < limit {
			out = append(out, c)
		}
	}
	return out, nil
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// MayGive says whether a party may give recognition under the current
// settings, for showing or hiding the give form.
func MayGive(db *gorm.DB, p Party) (bool, error) {
	s, err := GetRecognitionSettings(db)
	if err != nil {
		return false, err
	}
	part, err := loadParticipant(db, p)
	if err != nil {
		return false, err
	}
	return s.Enabled && s.mayGive(part), nil
}
