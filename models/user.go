package models

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Role is what a user may do; each role includes the ones below it.
type Role string

const (
	RoleStaff   Role = "staff"
	RoleManager Role = "manager"
	RoleOwner   Role = "owner"
)

// Roles lists the roles from the most to the least powerful.
var Roles = []Role{RoleOwner, RoleManager, RoleStaff}

func (r Role) rank() int {
	switch r {
	case RoleOwner:
		return 3
	case RoleManager:
		return 2
	case RoleStaff:
		return 1
	}
	return 0
}

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// Includes reports whether r may do what min may do.
func (r Role) Includes(min Role) bool { return r.Valid() && r.rank() >= min.rank() }

// User is a staff account of a merchant.
type User struct {
	ID           int64
	MerchantID   int64
	Name         string
	Email        string
	Role         Role
	PasswordHash string
	Active       bool
	// SessionEpoch is stored in every session cookie; bumping it ends all of
	// the user's sessions at once (deactivation, role or password change).
	SessionEpoch int64
	LastLoginAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// PasswordSet reports whether the user has chosen a password yet.
func (u *User) PasswordSet() bool { return u.PasswordHash != "" }

// NormaliseEmail trims and lower-cases an email address.
func NormaliseEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

func validEmail(email string) bool {
	if len(email) > 254 || strings.ContainsAny(email, " <>") {
		return false
	}
	addr, err := mail.ParseAddress(email)
	return err == nil && addr.Address == email && strings.Contains(email[strings.LastIndex(email, "@"):], ".")
}

func checkPerson(v Validation, name, email string) {
	v.Check(name != "", "name", "Enter a name.")
	v.Check(utf8.RuneCountInString(name) <= 100, "name", "Use at most 100 characters.")
	checkName(v, "name", name)
	v.Check(email != "", "email", "Enter an email address.")
	v.Check(validEmail(email), "email", "Enter an email address like name@example.com.")
}

func errEmailTaken() error {
	return &Error{Code: EINVALID, Message: "Please correct the highlighted fields.",
		Fields: map[string]string{"email": "An account with this email already exists."}}
}

func createUser(db *gorm.DB, u *User) error {
	if err := db.Create(u).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return errEmailTaken()
		}
		return fmt.Errorf("user: create: %w", err)
	}
	return nil
}

var errBadLogin = Errorf(EUNAUTHORIZED, "That email and password do not match an active account.")

// dummyHash is verified against when no account matches, so a wrong email
// takes as long as a wrong password and reveals nothing.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("regulars-timing-equaliser")
	return h
})

// Authenticate checks an email and password across all merchants. Unknown
// emails take as long as wrong passwords so neither reveals the other.
func Authenticate(ctx context.Context, db *gorm.DB, email, password string) (*User, error) {
	var u User
	err := CrossTenant(db.WithContext(ctx)).Where("email = ?", NormaliseEmail(email)).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		VerifyPassword(dummyHash(), password)
		return nil, errBadLogin
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	// Verify even when no password is set, so timing reveals nothing; a
	// match against the dummy hash must still fail.
	if !VerifyPassword(orDummy(u.PasswordHash), password) || !u.PasswordSet() || !u.Active {
		return nil, errBadLogin
	}
	if err := recordLogin(ForMerchant(db.WithContext(ctx), u.MerchantID), &u); err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	return &u, nil
}

// recordLogin stamps the moment u starts a session. Every way in counts
// (a password, sign-up, a set-password link), so "last login" is never
// "never" for someone who is signed in.
func recordLogin(db *gorm.DB, u *User) error {
	now := time.Now().UTC()
	if err := db.Model(u).Update("last_login_at", now).Error; err != nil {
		return fmt.Errorf("record login: %w", err)
	}
	u.LastLoginAt = &now
	return nil
}

func orDummy(hash string) string {
	if hash == "" {
		return dummyHash()
	}
	return hash
}

// UserSession is one signed-in browser. The cookie holds a random token
// and the row its hash; logging out stamps RevokedAt, so a copied cookie
// opens nothing afterwards. The user's SessionEpoch still ends all of
// their sessions at once.
type UserSession struct {
	ID         string // hashToken of the cookie's token
	MerchantID int64
	UserID     int64
	CreatedAt  time.Time
	RevokedAt  *time.Time
}

// newToken returns 32 random bytes, URL-safe.
func newToken() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("token: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// StartSession records a new session for u and returns the token its
// cookie carries.
func StartSession(ctx context.Context, db *gorm.DB, u *User) (string, error) {
	token, err := newToken()
	if err != nil {
		return "", fmt.Errorf("session: %w", err)
	}
	s := &UserSession{ID: hashToken(token), UserID: u.ID}
	if err := ForMerchant(db.WithContext(ctx), u.MerchantID).Create(s).Error; err != nil {
		return "", fmt.Errorf("session: start: %w", err)
	}
	return token, nil
}

// RevokeSession ends the session with token; an unknown or already ended
// one is no error, since the outcome is the same.
func RevokeSession(ctx context.Context, db *gorm.DB, merchantID int64, token string) error {
	if err := ForMerchant(db.WithContext(ctx), merchantID).Model(&UserSession{}).
		Where("id = ? AND revoked_at IS NULL", hashToken(token)).
		Update("revoked_at", time.Now().UTC()).Error; err != nil {
		return fmt.Errorf("session: revoke: %w", err)
	}
	return nil
}

var errSessionEnded = Errorf(EUNAUTHORIZED, "Your session has ended. Please log in again.")

// SessionUser loads the user behind a session; it fails unless the session
// is not revoked, the user still active and the session's epoch current.
// The session check rides in the user query: this runs on every request.
func SessionUser(ctx context.Context, db *gorm.DB, merchantID, userID, epoch int64, token string) (*User, *Merchant, error) {
	q, err := withMerchant(ForMerchant(db.WithContext(ctx), merchantID).Model(&User{}), "users")
	if err != nil {
		return nil, nil, err
	}
	var row struct {
		User     `gorm:"embedded"`
		Merchant Merchant `gorm:"embedded;embeddedPrefix:m_"`
	}
	err = q.Where("EXISTS (SELECT 1 FROM user_sessions s WHERE s.id = ? AND s.merchant_id = users.merchant_id AND s.user_id = users.id AND s.revoked_at IS NULL)",
		hashToken(token)).Where("users.id = ?", userID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, errSessionEnded
	}
	if err != nil {
		return nil, nil, fmt.Errorf("session user %d: %w", userID, err)
	}
	u, m := row.User, row.Merchant
	if !u.Active || u.SessionEpoch != epoch {
		return nil, nil, errSessionEnded
	}
	return &u, &m, nil
}

// ListUsers returns the scoped merchant's staff accounts by name.
func ListUsers(db *gorm.DB) ([]User, error) {
	var users []User
	if err := db.Order("active DESC, name, id").Find(&users).Error; err != nil {
		return nil, fmt.Errorf("user: list: %w", err)
	}
	return users, nil
}

// GetUser loads one of the scoped merchant's users.
func GetUser(db *gorm.DB, id int64) (*User, error) {
	var u User
	if err := db.Take(&u, id).Error; err != nil {
		return nil, notFound(err, "No such user.", "user: get %d", id)
	}
	return &u, nil
}

// AddUserInput describes a new staff account. With an empty password the
// account waits for its holder to choose one through a set-password link.
type AddUserInput struct {
	Name     string
	Email    string
	Role     Role
	Password string
}

// AddUser creates a user of the scoped merchant. When no password is given
// it also returns a one-time set-password token to hand to the new user.
func AddUser(db *gorm.DB, actor Actor, in AddUserInput) (*User, string, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.Email = NormaliseEmail(in.Email)
	v := Validation{}
	checkPerson(v, in.Name, in.Email)
	v.Check(in.Role.Valid(), "role", "Choose owner, manager or staff.")
	if in.Password != "" {
		checkPassword(v, "password", in.Password)
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	u := &User{Name: in.Name, Email: in.Email, Role: in.Role, Active: true, SessionEpoch: 1}
	if in.Password != "" {
		hash, err := HashPassword(in.Password)
		if err != nil {
			return nil, "", fmt.Errorf("user: add: %w", err)
		}
		u.PasswordHash = hash
	}
	var token string
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := createUser(tx, u); err != nil {
			return err
		}
		if err := recordAudit(tx, actor, AuditCreate, "user", u.ID, fmt.Sprintf("Added %s as %s", u.Name, u.Role), nil, u); err != nil {
			return err
		}
		if u.PasswordSet() {
			return nil
		}
		var err error
		token, err = issuePasswordToken(tx, u.ID)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return u, token, nil
}

// lockUserForChange loads a user for update and refuses the change when it
// would leave the merchant without an active owner.
func lockUserForChange(tx *gorm.DB, id int64, staysOwner bool) (*User, error) {
	var users []User
	// Lock every owner row too, so two owners demoting each other at once
	// cannot both succeed.
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("id = ? OR (role = ? AND active = ?)", id, RoleOwner, true).
		Order("id").Find(&users).Error; err != nil {
		return nil, fmt.Errorf("user: lock: %w", err)
	}
	var target *User
	otherOwners := 0
	for i := range users {
		if users[i].ID == id {
			target = &users[i]
		} else {
			otherOwners++
		}
	}
	if target == nil {
		return nil, Errorf(ENOTFOUND, "No such user.")
	}
	if target.Active && target.Role == RoleOwner && !staysOwner && otherOwners == 0 {
		return nil, Errorf(ECONFLICT, "%s is the last active owner. Make someone else an owner first.", target.Name)
	}
	return target, nil
}

// changeUser applies an owner's change to a user under the last-owner
// rule and ends the user's sessions. change returns the columns to update,
// or nil when the user already is as asked.
func changeUser(db *gorm.DB, actor Actor, id int64, staysOwner bool, change func(u *User) (map[string]any, string)) (*User, error) {
	var u *User
	err := db.Transaction(func(tx *gorm.DB) error {
		var err error
		if u, err = lockUserForChange(tx, id, staysOwner); err != nil {
			return err
		}
		before := *u
		updates, summary := change(u)
		if updates == nil {
			return nil
		}
		u.SessionEpoch++
		updates["session_epoch"] = u.SessionEpoch
		if err := tx.Model(u).Updates(updates).Error; err != nil {
			return fmt.Errorf("user: change %d: %w", id, err)
		}
		action := AuditUpdate
		if before.Active && !u.Active {
			action = AuditArchive
		}
		return recordAudit(tx, actor, action, "user", u.ID, summary, before, u)
	})
	return u, err
}

// ChangeRole gives a user a new role and ends their sessions.
func ChangeRole(db *gorm.DB, actor Actor, id int64, role Role) (*User, error) {
	if !role.Valid() {
		return nil, &Error{Code: EINVALID, Message: "Please correct the highlighted fields.",
			Fields: map[string]string{"role": "Choose owner, manager or staff."}}
	}
	return changeUser(db, actor, id, role == RoleOwner, func(u *User) (map[string]any, string) {
		if u.Role == role {
			return nil, ""
		}
		summary := fmt.Sprintf("Changed %s from %s to %s", u.Name, u.Role, role)
		u.Role = role
		return map[string]any{"role": role}, summary
	})
}

// SetActive deactivates a user, ending their sessions, or reactivates them.
func SetActive(db *gorm.DB, actor Actor, id int64, active bool) (*User, error) {
	return changeUser(db, actor, id, active, func(u *User) (map[string]any, string) {
		if u.Active == active {
			return nil, ""
		}
		u.Active = active
		verb := "Deactivated"
		if active {
			verb = "Reactivated"
		}
		return map[string]any{"active": active}, verb + " " + u.Name
	})
}

// ChangePasswordInput is a user's own password change.
type ChangePasswordInput struct {
	Current string
	New     string
	Confirm string
}

// ChangePassword replaces a user's password after checking the current one,
// and ends every session of theirs; the caller re-issues its own with the
// returned user's epoch.
func ChangePassword(db *gorm.DB, id int64, in ChangePasswordInput) (*User, error) {
	u, err := GetUser(db, id)
	if err != nil {
		return nil, err
	}
	v := Validation{}
	v.Check(in.Current != "", "current_password", "Enter your current password.")
	v.Check(in.Current == "" || (VerifyPassword(orDummy(u.PasswordHash), in.Current) && u.PasswordSet()), "current_password", "That is not your current password.")
	checkPassword(v, "new_password", in.New)
	v.Check(in.New == in.Confirm, "confirm_password", "The two new passwords do not match.")
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := setPassword(db, u, in.New); err != nil {
		return nil, err
	}
	return u, nil
}

func setPassword(db *gorm.DB, u *User, password string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return fmt.Errorf("user: set password: %w", err)
	}
	u.PasswordHash = hash
	// Increment in SQL so concurrent changes never reuse an epoch.
	if err := db.Model(u).Updates(map[string]any{
		"password_hash": hash,
		"session_epoch": gorm.Expr("session_epoch + 1"),
	}).Error; err != nil {
		return fmt.Errorf("user: set password: %w", err)
	}
	var epochs []int64
	if err := db.Model(&User{}).Where("id = ?", u.ID).Pluck("session_epoch", &epochs).Error; err != nil {
		return fmt.Errorf("user: read epoch: %w", err)
	}
	if len(epochs) != 1 {
		return Errorf(ENOTFOUND, "No such user.")
	}
	u.SessionEpoch = epochs[0]
	return nil
}

// CountActiveUsers counts the scoped merchant's active accounts.
func CountActiveUsers(db *gorm.DB) (int64, error) {
	var n int64
	if err := db.Model(&User{}).Where("active = ?", true).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("user: count active: %w", err)
	}
	return n, nil
}
