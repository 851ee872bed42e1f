package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// PasswordTokenLifetime is how long a set-password link stays usable.
const PasswordTokenLifetime = 72 * time.Hour

// PasswordToken is a one-time set-password link. Only the token's hash is
// stored, so a copy of the database cannot be used to take over accounts.
type PasswordToken struct {
	ID         int64
	MerchantID int64
	UserID     int64
	TokenHash  string
	ExpiresAt  time.Time
	UsedAt     *time.Time
	CreatedAt  time.Time
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// issuePasswordToken makes a new link for a user and voids their older ones.
func issuePasswordToken(tx *gorm.DB, userID int64) (string, error) {
	token, err := newToken()
	if err != nil {
		return "", fmt.Errorf("password token: %w", err)
	}
	now := time.Now().UTC()
	if err := tx.Model(&PasswordToken{}).Where("user_id = ? AND used_at IS NULL", userID).
		Update("used_at", now).Error; err != nil {
		return "", fmt.Errorf("password token: void old: %w", err)
	}
	t := &PasswordToken{UserID: userID, TokenHash: hashToken(token), ExpiresAt: now.Add(PasswordTokenLifetime)}
	if err := tx.Create(t).Error; err != nil {
		return "", fmt.Errorf("password token: create: %w", err)
	}
	return token, nil
}

// CreatePasswordLink issues a fresh set-password token for one of the
// scoped merchant's users, for an owner to pass on.
func CreatePasswordLink(db *gorm.DB, actor Actor, userID int64) (*User, string, error) {
	var (
		u     *User
		token string
	)
	err := db.Transaction(func(tx *gorm.DB) error {
		var err error
		if u, err = GetUser(tx, userID); err != nil {
			return err
		}
		if !u.Active {
			return Errorf(ECONFLICT, "%s is deactivated. Reactivate the account first.", u.Name)
		}
		if token, err = issuePasswordToken(tx, u.ID); err != nil {
			return err
		}
		return recordAudit(tx, actor, AuditUpdate, "user", u.ID, "Made a set-password link for "+u.Name, nil, nil)
	})
	if err != nil {
		return nil, "", err
	}
	return u, token, nil
}

var errBadToken = Errorf(ENOTFOUND, "This link is invalid, used or expired. Ask an owner for a new one.")

// UserForToken finds the active user a valid, unused token belongs to.
func UserForToken(ctx context.Context, db *gorm.DB, token string) (*User, error) {
	u, _, err := findToken(CrossTenant(db.WithContext(ctx)), token, false)
	return u, err
}

// findToken looks a token up, locking its row when it is about to be spent.
func findToken(db *gorm.DB, token string, forUpdate bool) (*User, *PasswordToken, error) {
	var t PasswordToken
	q := db
	if forUpdate {
		q = db.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	err := q.Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", hashToken(token), time.Now().UTC()).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, errBadToken
	}
	if err != nil {
		return nil, nil, fmt.Errorf("password token: find: %w", err)
	}
	u, err := GetUser(ForMerchant(db, t.MerchantID), t.UserID)
	if err != nil {
		return nil, nil, err
	}
	if !u.Active {
		return nil, nil, errBadToken
	}
	return u, &t, nil
}

// UsePasswordToken sets a new password through a one-time link, spends the
// link, and ends any sessions the user had.
func UsePasswordToken(ctx context.Context, db *gorm.DB, token, password, confirm string) (*User, error) {
	v := Validation{}
	checkPassword(v, "password", password)
	v.Check(password == confirm, "confirm_password", "The two passwords do not match.")
	if err := v.Err(); err != nil {
		return nil, err
	}
	var u *User
	err := CrossTenant(db.WithContext(ctx)).Transaction(func(tx *gorm.DB) error {
		var (
			t   *PasswordToken
			err error
		)
		if u, t, err = findToken(tx, token, true); err != nil {
			return err
		}
		// The used_at guard makes a double submit spend the token once.
		res := tx.Model(t).Where("used_at IS NULL").Update("used_at", time.Now().UTC())
		if res.Error != nil {
			return fmt.Errorf("password token: spend: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return errBadToken
		}
		if err := setPassword(ForMerchant(tx, u.MerchantID), u, password); err != nil {
			return err
		}
		return recordLogin(ForMerchant(tx, u.MerchantID), u)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}
