package models_test

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"gorm.io/gorm"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

const testPassword = "correct horse battery"

// dummyPassword is the password of the hash Authenticate checks when an
// account has none; it is in the source, so it must never open an account.
const dummyPassword = "regulars-timing-equaliser"

func signUpInput(email string) models.SignUpInput {
	return models.SignUpInput{
		MerchantInput: models.MerchantInput{Name: "Café " + email, Currency: "EUR", TimeZone: "Europe/Paris"},
		OwnerName:     "Owner " + email,
		Email:         email,
		Password:      testPassword,
	}
}

// signUp opens a business whose owner signs in with email and testPassword.
func signUp(t *testing.T, db *gorm.DB, email string) (*models.Merchant, *models.User) {
	t.Helper()
	m, u, err := models.SignUp(t.Context(), db, signUpInput(email))
	if err != nil {
		t.Fatalf("sign up %s: %v", email, err)
	}
	return m, u
}

// addUser adds a user to a merchant; with an empty password it returns
// the set-password token.
func addUser(t *testing.T, db *gorm.DB, merchantID int64, email string, role models.Role, password string) (*models.User, string) {
	t.Helper()
	u, token, err := models.AddUser(models.ForMerchant(db, merchantID), testActor,
		models.AddUserInput{Name: "User " + email, Email: email, Role: role, Password: password})
	if err != nil {
		t.Fatalf("add user %s: %v", email, err)
	}
	return u, token
}

// reloadUser reads a user straight from the database.
func reloadUser(t *testing.T, db *gorm.DB, id int64) models.User {
	t.Helper()
	var u models.User
	if err := models.CrossTenant(db).Take(&u, id).Error; err != nil {
		t.Fatalf("reload user %d: %v", id, err)
	}
	return u
}

func countRows(t *testing.T, db *gorm.DB, model any) int64 {
	t.Helper()
	var n int64
	if err := models.CrossTenant(db).Model(model).Count(&n).Error; err != nil {
		t.Fatalf("count %T: %v", model, err)
	}
	return n
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := models.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (err: %v), want %q", got, err, code)
	}
}

// wantField checks err is a validation error naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	wantCode(t, err, models.EINVALID)
	if _, ok := models.FieldErrors(err)[field]; !ok {
		t.Fatalf("field errors = %v, want one for %q", models.FieldErrors(err), field)
	}
}

func wantLogin(t *testing.T, db *gorm.DB, email, password string) *models.User {
	t.Helper()
	u, err := models.Authenticate(t.Context(), db, email, password)
	if err != nil {
		t.Fatalf("authenticate %s: %v", email, err)
	}
	return u
}

func wantNoLogin(t *testing.T, db *gorm.DB, email, password string) {
	t.Helper()
	u, err := models.Authenticate(t.Context(), db, email, password)
	if models.ErrorCode(err) != models.EUNAUTHORIZED || u != nil {
		t.Fatalf("authenticate %s with %q = %+v, %v; want unauthorized", email, password, u, err)
	}
}

func ptr[T any](v T) *T { return &v }

// catchPanic runs fn and turns a panic into an error.
func catchPanic(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return fn()
}

func TestSignUp(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		in := signUpInput("ann@example.com")
		in.Name, in.Currency, in.TimeZone, in.OwnerName = "  Café Ann  ", " eur ", " Europe/Paris ", "  Ann  "
		m, u, err := models.SignUp(t.Context(), db, in)
		if err != nil {
			t.Fatal(err)
		}
		if m.ID == 0 || m.Name != "Café Ann" || m.Currency != "EUR" || m.TimeZone != "Europe/Paris" {
			t.Errorf("merchant = %+v, want trimmed name, EUR, Europe/Paris", m)
		}
		if u.ID == 0 || u.MerchantID != m.ID || u.Name != "Ann" || u.Role != models.RoleOwner ||
			!u.Active || u.SessionEpoch != 1 || !u.PasswordSet() {
			t.Errorf("owner = %+v, want an active owner of merchant %d at epoch 1", u, m.ID)
		}
		stored := reloadUser(t, db, u.ID)
		if stored.PasswordHash == testPassword || !models.VerifyPassword(stored.PasswordHash, testPassword) {
			t.Errorf("stored password hash %q does not verify the password", stored.PasswordHash)
		}
		// Signing up signs the owner in: that is their first login.
		if stored.LastLoginAt == nil || time.Since(*stored.LastLoginAt) > time.Minute || u.LastLoginAt == nil {
			t.Errorf("LastLoginAt = %v (returned %v) after signing up, want about now", stored.LastLoginAt, u.LastLoginAt)
		}
		got, err := models.GetMerchant(models.ForMerchant(db, m.ID))
		if err != nil || got.Currency != "EUR" || got.Location().String() != "Europe/Paris" {
			t.Errorf("stored merchant = %+v, %v", got, err)
		}
		wantLogin(t, db, "ann@example.com", testPassword)
	})
}

func TestSignUpValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		field string
		edit  func(in *models.SignUpInput)
	}{
		{"empty business name", "business_name", func(in *models.SignUpInput) { in.Name = "" }},
		{"blank business name", "business_name", func(in *models.SignUpInput) { in.Name = "   " }},
		{"business name of 101 characters", "business_name", func(in *models.SignUpInput) { in.Name = strings.Repeat("a", 101) }},
		{"business name of 101 multi-byte characters", "business_name", func(in *models.SignUpInput) { in.Name = strings.Repeat("é", 101) }},
		{"empty currency", "currency", func(in *models.SignUpInput) { in.Currency = "" }},
		{"unknown currency", "currency", func(in *models.SignUpInput) { in.Currency = "XXX" }},
		{"two-letter currency", "currency", func(in *models.SignUpInput) { in.Currency = "eu" }},
		{"empty time zone", "time_zone", func(in *models.SignUpInput) { in.TimeZone = "" }},
		{"unknown time zone", "time_zone", func(in *models.SignUpInput) { in.TimeZone = "Mars/Olympus" }},
		{"Local time zone", "time_zone", func(in *models.SignUpInput) { in.TimeZone = "Local" }},
		{"empty owner name", "name", func(in *models.SignUpInput) { in.OwnerName = "" }},
		{"blank owner name", "name", func(in *models.SignUpInput) { in.OwnerName = " \t " }},
		{"owner name of 101 multi-byte characters", "name", func(in *models.SignUpInput) { in.OwnerName = strings.Repeat("ß", 101) }},
		{"empty email", "email", func(in *models.SignUpInput) { in.Email = "" }},
		{"email without @", "email", func(in *models.SignUpInput) { in.Email = "nope" }},
		{"email without a dot in the domain", "email", func(in *models.SignUpInput) { in.Email = "a@b" }},
		{"email with a space", "email", func(in *models.SignUpInput) { in.Email = "a b@c.com" }},
		{"email in angle brackets", "email", func(in *models.SignUpInput) { in.Email = "<a@b.com>" }},
		{"email with a display name", "email", func(in *models.SignUpInput) { in.Email = "Ann <ann@example.com>" }},
		{"email over 254 characters", "email", func(in *models.SignUpInput) { in.Email = strings.Repeat("a", 250) + "@b.com" }},
		{"empty password", "password", func(in *models.SignUpInput) { in.Password = "" }},
		{"password of 9 characters", "password", func(in *models.SignUpInput) { in.Password = "123456789" }},
		{"password of 9 multi-byte characters", "password", func(in *models.SignUpInput) { in.Password = strings.Repeat("é", 9) }},
		{"password of 10 bytes but 5 characters", "password", func(in *models.SignUpInput) { in.Password = strings.Repeat("é", 5) }},
		{"password of 257 characters", "password", func(in *models.SignUpInput) { in.Password = strings.Repeat("p", 257) }},
	}
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := signUpInput("valid@example.com")
				c.edit(&in)
				m, u, err := models.SignUp(t.Context(), db, in)
				if m != nil || u != nil {
					t.Errorf("SignUp returned %+v, %+v with an error", m, u)
				}
				wantField(t, err, c.field)
				if fields := models.FieldErrors(err); len(fields) != 1 {
					t.Errorf("field errors = %v, want only %q", fields, c.field)
				}
				if n := countRows(t, db, &models.Merchant{}); n != 0 {
					t.Errorf("merchants = %d after a refused sign-up, want 0", n)
				}
				if n := countRows(t, db, &models.User{}); n != 0 {
					t.Errorf("users = %d after a refused sign-up, want 0", n)
				}
			})
		}
	})
}

// The limits are counted in characters, so the boundaries pass even when
// they are spelled in multi-byte characters.
func TestSignUpAcceptsBoundaries(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		edit func(in *models.SignUpInput)
	}{
		{"business name of 100 characters", func(in *models.SignUpInput) { in.Name = strings.Repeat("a", 100) }},
		{"business name of 100 multi-byte characters", func(in *models.SignUpInput) { in.Name = strings.Repeat("é", 100) }},
		{"owner name of 100 multi-byte characters", func(in *models.SignUpInput) { in.OwnerName = strings.Repeat("ß", 100) }},
		{"lower-case currency", func(in *models.SignUpInput) { in.Currency = "jpy" }},
		{"UTC", func(in *models.SignUpInput) { in.TimeZone = "UTC" }},
		{"password of 10 characters", func(in *models.SignUpInput) { in.Password = "1234567890" }},
		{"password of 10 multi-byte characters", func(in *models.SignUpInput) { in.Password = strings.Repeat("é", 10) }},
		{"password of 256 characters", func(in *models.SignUpInput) { in.Password = strings.Repeat("p", 256) }},
	}
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := signUpInput(fmt.Sprintf("boundary%d@example.com", i))
				c.edit(&in)
				m, u, err := models.SignUp(t.Context(), db, in)
				if err != nil {
					t.Fatal(err)
				}
				if m.Name != strings.TrimSpace(in.Name) || m.Currency != strings.ToUpper(in.Currency) {
					t.Errorf("merchant = %+v", m)
				}
				wantLogin(t, db, u.Email, in.Password)
			})
		}
	})
}

func TestSignUpNormalisesEmail(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		_, u, err := models.SignUp(t.Context(), db, signUpInput("  Ann@Example.COM "))
		if err != nil {
			t.Fatal(err)
		}
		if got := reloadUser(t, db, u.ID).Email; got != "ann@example.com" {
			t.Errorf("stored email = %q, want ann@example.com", got)
		}
		wantLogin(t, db, " ANN@example.com", testPassword)

		again := signUpInput("ann@example.com")
		again.Name = "Another business"
		m, u2, err := models.SignUp(t.Context(), db, again)
		if m != nil || u2 != nil {
			t.Errorf("second sign-up returned %+v, %+v", m, u2)
		}
		wantField(t, err, "email")
		if n := countRows(t, db, &models.Merchant{}); n != 1 {
			t.Errorf("merchants = %d, want 1: the second sign-up's merchant was not rolled back", n)
		}
		if n := countRows(t, db, &models.User{}); n != 1 {
			t.Errorf("users = %d, want 1", n)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		m, owner := signUp(t, db, "ann@example.com")

		t.Run("right password", func(t *testing.T) {
			start := time.Now().Add(-time.Second)
			u := wantLogin(t, db, "ann@example.com", testPassword)
			if u.ID != owner.ID || u.MerchantID != m.ID {
				t.Errorf("authenticated as %+v, want the owner", u)
			}
			if u.LastLoginAt == nil || u.LastLoginAt.Before(start) {
				t.Errorf("returned LastLoginAt = %v, want a time after %v", u.LastLoginAt, start)
			}
			stored := reloadUser(t, db, owner.ID)
			if stored.LastLoginAt == nil || stored.LastLoginAt.Before(start) || stored.LastLoginAt.After(time.Now().Add(time.Second)) {
				t.Errorf("stored LastLoginAt = %v, want about now", stored.LastLoginAt)
			}
		})

		t.Run("email is matched loosely", func(t *testing.T) {
			wantLogin(t, db, "  ANN@Example.com ", testPassword)
		})

		t.Run("wrong password and unknown email look alike", func(t *testing.T) {
			before := reloadUser(t, db, owner.ID).LastLoginAt
			wantNoLogin(t, db, "ann@example.com", "wrong horse battery")
			wantNoLogin(t, db, "ann@example.com", strings.ToUpper(testPassword))
			wantNoLogin(t, db, "ann@example.com", "")
			wantNoLogin(t, db, "nobody@example.com", testPassword)
			_, errWrong := models.Authenticate(t.Context(), db, "ann@example.com", "wrong horse battery")
			_, errUnknown := models.Authenticate(t.Context(), db, "nobody@example.com", testPassword)
			if models.ErrorMessage(errWrong) != models.ErrorMessage(errUnknown) {
				t.Errorf("messages differ: %q vs %q", models.ErrorMessage(errWrong), models.ErrorMessage(errUnknown))
			}
			if after := reloadUser(t, db, owner.ID).LastLoginAt; before == nil || after == nil || !after.Equal(*before) {
				t.Errorf("a failed login moved LastLoginAt from %v to %v", before, after)
			}
		})

		t.Run("deactivated user", func(t *testing.T) {
			staff, _ := addUser(t, db, m.ID, "gone@example.com", models.RoleStaff, testPassword)
			wantLogin(t, db, "gone@example.com", testPassword)
			if _, err := models.SetActive(models.ForMerchant(db, m.ID), testActor, staff.ID, false); err != nil {
				t.Fatal(err)
			}
			wantNoLogin(t, db, "gone@example.com", testPassword)
		})

		t.Run("user without a password", func(t *testing.T) {
			addUser(t, db, m.ID, "new@example.com", models.RoleStaff, "")
			wantNoLogin(t, db, "new@example.com", "")
			wantNoLogin(t, db, "new@example.com", testPassword)
		})

		t.Run("user without a password and the timing dummy's password", func(t *testing.T) {
			addUser(t, db, m.ID, "fresh@example.com", models.RoleManager, "")
			wantNoLogin(t, db, "fresh@example.com", dummyPassword)
		})
	})
}

func TestAddUser(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a, _ := signUp(t, db, "owner@a.example.com")
		b, _ := signUp(t, db, "owner@b.example.com")
		scoped := models.ForMerchant(db, a.ID)

		t.Run("with a password", func(t *testing.T) {
			u, token, err := models.AddUser(scoped, testActor, models.AddUserInput{
				Name: " Bob ", Email: " Bob@Example.com", Role: models.RoleManager, Password: "bobs password"})
			if err != nil {
				t.Fatal(err)
			}
			if token != "" {
				t.Errorf("token = %q, want none when a password is given", token)
			}
			stored := reloadUser(t, db, u.ID)
			if stored.MerchantID != a.ID || stored.Name != "Bob" || stored.Email != "bob@example.com" ||
				stored.Role != models.RoleManager || !stored.Active || stored.SessionEpoch != 1 {
				t.Errorf("stored user = %+v", stored)
			}
			if n := countRows(t, db, &models.PasswordToken{}); n != 0 {
				t.Errorf("password tokens = %d, want none", n)
			}
			wantLogin(t, db, "bob@example.com", "bobs password")
		})

		t.Run("without a password", func(t *testing.T) {
			u, token, err := models.AddUser(scoped, testActor, models.AddUserInput{Name: "Cleo", Email: "cleo@example.com", Role: models.RoleStaff})
			if err != nil {
				t.Fatal(err)
			}
			if token == "" {
				t.Fatal("token is empty, want a set-password token")
			}
			if stored := reloadUser(t, db, u.ID); u.PasswordSet() || stored.PasswordSet() {
				t.Error("user has a password before choosing one")
			}
			wantNoLogin(t, db, "cleo@example.com", "cleos password")

			holder, err := models.UserForToken(t.Context(), db, token)
			if err != nil || holder.ID != u.ID {
				t.Fatalf("UserForToken = %+v, %v; want Cleo", holder, err)
			}
			if _, err := models.UsePasswordToken(t.Context(), db, token, "cleos password", "cleos password"); err != nil {
				t.Fatal(err)
			}
			wantLogin(t, db, "cleo@example.com", "cleos password")
		})

		t.Run("email taken in another merchant", func(t *testing.T) {
			users, tokens := countRows(t, db, &models.User{}), countRows(t, db, &models.PasswordToken{})
			for _, password := range []string{"", testPassword} {
				u, token, err := models.AddUser(models.ForMerchant(db, b.ID), testActor,
					models.AddUserInput{Name: "Copy", Email: " OWNER@a.example.com", Role: models.RoleStaff, Password: password})
				if u != nil || token != "" {
					t.Errorf("AddUser returned %+v, %q with an error", u, token)
				}
				wantField(t, err, "email")
			}
			if n := countRows(t, db, &models.User{}); n != users {
				t.Errorf("users = %d, want %d", n, users)
			}
			if n := countRows(t, db, &models.PasswordToken{}); n != tokens {
				t.Errorf("password tokens = %d, want %d", n, tokens)
			}
		})

		t.Run("invalid input", func(t *testing.T) {
			users := countRows(t, db, &models.User{})
			cases := []struct {
				name  string
				in    models.AddUserInput
				field string
			}{
				{"unknown role", models.AddUserInput{Name: "Dan", Email: "dan@example.com", Role: "admin"}, "role"},
				{"no role", models.AddUserInput{Name: "Dan", Email: "dan@example.com"}, "role"},
				{"no name", models.AddUserInput{Email: "dan@example.com", Role: models.RoleStaff}, "name"},
				{"bad email", models.AddUserInput{Name: "Dan", Email: "dan@localhost", Role: models.RoleStaff}, "email"},
				{"short password", models.AddUserInput{Name: "Dan", Email: "dan@example.com", Role: models.RoleStaff, Password: "short"}, "password"},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					_, _, err := models.AddUser(scoped, testActor, c.in)
					wantField(t, err, c.field)
				})
			}
			if n := countRows(t, db, &models.User{}); n != users {
				t.Errorf("users = %d after refused adds, want %d", n, users)
			}
		})
	})
}

func TestSessionEpoch(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a, _ := signUp(t, db, "owner@a.example.com")
		b, _ := signUp(t, db, "owner@b.example.com")
		scoped := models.ForMerchant(db, a.ID)
		staff, _ := addUser(t, db, a.ID, "staff@example.com", models.RoleStaff, testPassword)
		token, err := models.StartSession(t.Context(), db, staff)
		if err != nil {
			t.Fatal(err)
		}

		wantSession := func(t *testing.T, epoch int64) {
			t.Helper()
			u, m, err := models.SessionUser(t.Context(), db, a.ID, staff.ID, epoch, token)
			if err != nil {
				t.Fatalf("SessionUser at epoch %d: %v", epoch, err)
			}
			if u.ID != staff.ID || u.Email != staff.Email || m.ID != a.ID || m.Name != a.Name || m.Currency != a.Currency {
				t.Fatalf("SessionUser = %+v, %+v", u, m)
			}
		}
		wantNoSession := func(t *testing.T, epoch int64) {
			t.Helper()
			u, m, err := models.SessionUser(t.Context(), db, a.ID, staff.ID, epoch, token)
			if models.ErrorCode(err) != models.EUNAUTHORIZED || u != nil || m != nil {
				t.Fatalf("SessionUser at epoch %d = %+v, %+v, %v; want unauthorized", epoch, u, m, err)
			}
		}
		wantEpoch := func(t *testing.T, u *models.User, want int64) {
			t.Helper()
			if u.SessionEpoch != want {
				t.Fatalf("returned epoch = %d, want %d", u.SessionEpoch, want)
			}
			if got := reloadUser(t, db, u.ID).SessionEpoch; got != want {
				t.Fatalf("stored epoch = %d, want %d", got, want)
			}
		}

		wantSession(t, 1)
		wantNoSession(t, 2)

		u, err := models.ChangeRole(scoped, testActor, staff.ID, models.RoleManager)
		if err != nil {
			t.Fatal(err)
		}
		if u.Role != models.RoleManager || reloadUser(t, db, staff.ID).Role != models.RoleManager {
			t.Errorf("role = %q, want manager", u.Role)
		}
		wantEpoch(t, u, 2)
		wantNoSession(t, 1)
		wantSession(t, 2)

		// Giving the same role again changes nothing and keeps sessions.
		u, err = models.ChangeRole(scoped, testActor, staff.ID, models.RoleManager)
		if err != nil {
			t.Fatal(err)
		}
		wantEpoch(t, u, 2)

		u, err = models.SetActive(scoped, testActor, staff.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if u.Active || reloadUser(t, db, staff.ID).Active {
			t.Error("user still active after SetActive(false)")
		}
		wantEpoch(t, u, 3)
		wantNoSession(t, 2)
		wantNoSession(t, 3) // current epoch, but deactivated

		u, err = models.SetActive(scoped, testActor, staff.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		wantEpoch(t, u, 4)
		wantSession(t, 4)

		// A session names its merchant; another merchant's id finds nobody.
		if u, m, err := models.SessionUser(t.Context(), db, b.ID, staff.ID, 4, token); err == nil || u != nil || m != nil {
			t.Errorf("SessionUser under merchant B = %+v, %+v, %v; want an error", u, m, err)
		}

		_, err = models.ChangeRole(scoped, testActor, staff.ID, "admin")
		wantField(t, err, "role")
		_, err = models.ChangeRole(scoped, testActor, staff.ID+1000, models.RoleStaff)
		wantCode(t, err, models.ENOTFOUND)
		_, err = models.SetActive(models.ForMerchant(db, b.ID), testActor, staff.ID, false)
		wantCode(t, err, models.ENOTFOUND)
		if got := reloadUser(t, db, staff.ID); !got.Active || got.SessionEpoch != 4 {
			t.Errorf("merchant B changed A's staff: %+v", got)
		}
	})
}

func TestLastActiveOwner(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a, owner := signUp(t, db, "owner@a.example.com")
		signUp(t, db, "owner@b.example.com") // another merchant's owner never counts
		scoped := models.ForMerchant(db, a.ID)

		wantUnchanged := func(t *testing.T, id int64, role models.Role, active bool, epoch int64) {
			t.Helper()
			got := reloadUser(t, db, id)
			if got.Role != role || got.Active != active || got.SessionEpoch != epoch {
				t.Errorf("user %d = role %q, active %v, epoch %d; want %q, %v, %d",
					id, got.Role, got.Active, got.SessionEpoch, role, active, epoch)
			}
		}

		t.Run("only owner", func(t *testing.T) {
			for _, role := range []models.Role{models.RoleManager, models.RoleStaff} {
				_, err := models.ChangeRole(scoped, testActor, owner.ID, role)
				wantCode(t, err, models.ECONFLICT)
			}
			_, err := models.SetActive(scoped, testActor, owner.ID, false)
			wantCode(t, err, models.ECONFLICT)
			wantUnchanged(t, owner.ID, models.RoleOwner, true, 1)

			// Staying an owner is always allowed.
			if _, err := models.ChangeRole(scoped, testActor, owner.ID, models.RoleOwner); err != nil {
				t.Error(err)
			}
			if _, err := models.SetActive(scoped, testActor, owner.ID, true); err != nil {
				t.Error(err)
			}
			wantUnchanged(t, owner.ID, models.RoleOwner, true, 1)
		})

		second, _ := addUser(t, db, a.ID, "second@a.example.com", models.RoleOwner, testPassword)

		t.Run("two owners", func(t *testing.T) {
			if _, err := models.ChangeRole(scoped, testActor, owner.ID, models.RoleManager); err != nil {
				t.Fatalf("demote one of two owners: %v", err)
			}
			wantUnchanged(t, owner.ID, models.RoleManager, true, 2)
			_, err := models.ChangeRole(scoped, testActor, second.ID, models.RoleStaff)
			wantCode(t, err, models.ECONFLICT)
			_, err = models.SetActive(scoped, testActor, second.ID, false)
			wantCode(t, err, models.ECONFLICT)
			wantUnchanged(t, second.ID, models.RoleOwner, true, 1)
		})

		t.Run("deactivated owner does not count", func(t *testing.T) {
			third, _ := addUser(t, db, a.ID, "third@a.example.com", models.RoleOwner, testPassword)
			if _, err := models.SetActive(scoped, testActor, third.ID, false); err != nil {
				t.Fatalf("deactivate one of two owners: %v", err)
			}
			_, err := models.ChangeRole(scoped, testActor, second.ID, models.RoleManager)
			wantCode(t, err, models.ECONFLICT)
			_, err = models.SetActive(scoped, testActor, second.ID, false)
			wantCode(t, err, models.ECONFLICT)
			wantUnchanged(t, second.ID, models.RoleOwner, true, 1)

			// An inactive owner may itself be demoted freely.
			if _, err := models.ChangeRole(scoped, testActor, third.ID, models.RoleStaff); err != nil {
				t.Errorf("demote a deactivated owner: %v", err)
			}
		})

		t.Run("hand over ownership", func(t *testing.T) {
			if _, err := models.ChangeRole(scoped, testActor, owner.ID, models.RoleOwner); err != nil {
				t.Fatal(err)
			}
			if _, err := models.SetActive(scoped, testActor, second.ID, false); err != nil {
				t.Fatalf("deactivate the second owner once the first is back: %v", err)
			}
			_, err := models.SetActive(scoped, testActor, owner.ID, false)
			wantCode(t, err, models.ECONFLICT)
		})
	})
}

// Two owners demoting each other at the same moment must not leave the
// merchant without one.
func TestLastActiveOwnerConcurrentDemotion(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a, first := signUp(t, db, "first@example.com")
		second, _ := addUser(t, db, a.ID, "second@example.com", models.RoleOwner, testPassword)
		scoped := models.ForMerchant(db, a.ID)
		ids := []int64{first.ID, second.ID}

		for round := range 5 {
			errs := make([]error, len(ids))
			var wg sync.WaitGroup
			for i, id := range ids {
				wg.Go(func() {
					if round%2 == 0 {
						_, errs[i] = models.ChangeRole(scoped, testActor, id, models.RoleManager)
					} else {
						_, errs[i] = models.SetActive(scoped, testActor, id, false)
					}
				})
			}
			wg.Wait()

			var ok, conflicts int
			for _, err := range errs {
				switch models.ErrorCode(err) {
				case "":
					ok++
				case models.ECONFLICT:
					conflicts++
				default:
					t.Errorf("round %d: unexpected error %v", round, err)
				}
			}
			var owners int64
			models.CrossTenant(db).Model(&models.User{}).Where("merchant_id = ? AND role = ? AND active = ?", a.ID, models.RoleOwner, true).Count(&owners)
			if ok != 1 || conflicts != 1 || owners != 1 {
				t.Fatalf("round %d: %d succeeded, %d conflicts, %d active owners left; want 1, 1, 1", round, ok, conflicts, owners)
			}
			// Restore both owners for the next round.
			for _, id := range ids {
				if _, err := models.SetActive(scoped, testActor, id, true); err != nil {
					t.Fatal(err)
				}
				if _, err := models.ChangeRole(scoped, testActor, id, models.RoleOwner); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a, owner := signUp(t, db, "ann@example.com")
		b, _ := signUp(t, db, "bob@example.com")
		scoped := models.ForMerchant(db, a.ID)
		const newPassword = "a brand new secret"

		t.Run("refused", func(t *testing.T) {
			cases := []struct {
				name  string
				in    models.ChangePasswordInput
				field string
			}{
				{"no current password", models.ChangePasswordInput{New: newPassword, Confirm: newPassword}, "current_password"},
				{"wrong current password", models.ChangePasswordInput{Current: "not my password", New: newPassword, Confirm: newPassword}, "current_password"},
				{"confirmation differs", models.ChangePasswordInput{Current: testPassword, New: newPassword, Confirm: newPassword + "!"}, "confirm_password"},
				{"new password too short", models.ChangePasswordInput{Current: testPassword, New: "123456789", Confirm: "123456789"}, "new_password"},
			}
			before := reloadUser(t, db, owner.ID)
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					u, err := models.ChangePassword(scoped, owner.ID, c.in)
					if u != nil {
						t.Errorf("ChangePassword returned %+v with an error", u)
					}
					wantField(t, err, c.field)
					after := reloadUser(t, db, owner.ID)
					if after.PasswordHash != before.PasswordHash || after.SessionEpoch != before.SessionEpoch {
						t.Errorf("a refused change altered the user: epoch %d → %d", before.SessionEpoch, after.SessionEpoch)
					}
				})
			}
		})

		t.Run("another merchant's user", func(t *testing.T) {
			_, err := models.ChangePassword(models.ForMerchant(db, b.ID), owner.ID,
				models.ChangePasswordInput{Current: testPassword, New: newPassword, Confirm: newPassword})
			wantCode(t, err, models.ENOTFOUND)
			wantLogin(t, db, "ann@example.com", testPassword)
		})

		t.Run("success", func(t *testing.T) {
			u, err := models.ChangePassword(scoped, owner.ID,
				models.ChangePasswordInput{Current: testPassword, New: newPassword, Confirm: newPassword})
			if err != nil {
				t.Fatal(err)
			}
			if u.SessionEpoch != 2 || reloadUser(t, db, owner.ID).SessionEpoch != 2 {
				t.Errorf("epoch = %d (stored %d), want 2", u.SessionEpoch, reloadUser(t, db, owner.ID).SessionEpoch)
			}
			wantLogin(t, db, "ann@example.com", newPassword)
			wantNoLogin(t, db, "ann@example.com", testPassword)
			token, err := models.StartSession(t.Context(), db, owner)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := models.SessionUser(t.Context(), db, a.ID, owner.ID, 1, token); models.ErrorCode(err) != models.EUNAUTHORIZED {
				t.Errorf("old session after a password change: err = %v, want unauthorized", err)
			}
			if _, _, err := models.SessionUser(t.Context(), db, a.ID, owner.ID, 2, token); err != nil {
				t.Errorf("new session after a password change: %v", err)
			}
		})

		t.Run("user without a password and the timing dummy's password", func(t *testing.T) {
			fresh, _ := addUser(t, db, a.ID, "fresh@example.com", models.RoleStaff, "")
			_, err := models.ChangePassword(scoped, fresh.ID,
				models.ChangePasswordInput{Current: dummyPassword, New: newPassword, Confirm: newPassword})
			wantField(t, err, "current_password")
			if reloadUser(t, db, fresh.ID).PasswordHash != "" {
				t.Error("a user without a password set one with the dummy hash's password")
			}
		})
	})
}

func TestPasswordTokens(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a, _ := signUp(t, db, "owner@a.example.com")
		b, bOwner := signUp(t, db, "owner@b.example.com")
		scoped := models.ForMerchant(db, a.ID)
		const pw = "my own password"

		wantBadToken := func(t *testing.T, token string) {
			t.Helper()
			u, err := models.UsePasswordToken(t.Context(), db, token, pw, pw)
			if u != nil {
				t.Errorf("UsePasswordToken returned %+v with an error", u)
			}
			wantCode(t, err, models.ENOTFOUND)
			_, err = models.UserForToken(t.Context(), db, token)
			wantCode(t, err, models.ENOTFOUND)
		}

		t.Run("works once", func(t *testing.T) {
			u, token := addUser(t, db, a.ID, "once@example.com", models.RoleStaff, "")
			var stored models.PasswordToken
			if err := models.CrossTenant(db).Where("user_id = ?", u.ID).Take(&stored).Error; err != nil {
				t.Fatal(err)
			}
			if stored.MerchantID != a.ID || stored.TokenHash == token || strings.Contains(stored.TokenHash, token) {
				t.Errorf("stored token = %+v; want merchant %d and only a hash of the token", stored, a.ID)
			}
			if d := time.Until(stored.ExpiresAt); d < models.PasswordTokenLifetime-time.Minute || d > models.PasswordTokenLifetime {
				t.Errorf("token expires in %v, want about %v", d, models.PasswordTokenLifetime)
			}

			got, err := models.UsePasswordToken(t.Context(), db, token, pw, pw)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != u.ID || got.SessionEpoch != 2 || reloadUser(t, db, u.ID).SessionEpoch != 2 {
				t.Errorf("user after setting a password = %+v, want epoch 2", got)
			}
			// The link signs them in: that is a login.
			if at := reloadUser(t, db, u.ID).LastLoginAt; at == nil || time.Since(*at) > time.Minute {
				t.Errorf("LastLoginAt = %v after using the link, want about now", at)
			}
			wantLogin(t, db, "once@example.com", pw)
			wantBadToken(t, token)
		})

		t.Run("refused input keeps the token", func(t *testing.T) {
			_, token := addUser(t, db, a.ID, "typo@example.com", models.RoleStaff, "")
			_, err := models.UsePasswordToken(t.Context(), db, token, pw, pw+"!")
			wantField(t, err, "confirm_password")
			_, err = models.UsePasswordToken(t.Context(), db, token, "short", "short")
			wantField(t, err, "password")
			if _, err := models.UsePasswordToken(t.Context(), db, token, pw, pw); err != nil {
				t.Errorf("token unusable after refused attempts: %v", err)
			}
		})

		t.Run("new link voids the old", func(t *testing.T) {
			u, first := addUser(t, db, a.ID, "relink@example.com", models.RoleStaff, "")
			linked, second, err := models.CreatePasswordLink(scoped, testActor, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if linked.ID != u.ID || second == "" || second == first {
				t.Fatalf("CreatePasswordLink = %+v, %q", linked, second)
			}
			wantBadToken(t, first)
			if _, err := models.UsePasswordToken(t.Context(), db, second, pw, pw); err != nil {
				t.Errorf("newest token: %v", err)
			}
		})

		t.Run("reset for a user with a password", func(t *testing.T) {
			u, _ := addUser(t, db, a.ID, "forgot@example.com", models.RoleManager, testPassword)
			_, token, err := models.CreatePasswordLink(scoped, testActor, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := models.UsePasswordToken(t.Context(), db, token, pw, pw); err != nil {
				t.Fatal(err)
			}
			wantLogin(t, db, "forgot@example.com", pw)
			wantNoLogin(t, db, "forgot@example.com", testPassword)
		})

		t.Run("expired", func(t *testing.T) {
			u, token := addUser(t, db, a.ID, "late@example.com", models.RoleStaff, "")
			if _, err := models.UserForToken(t.Context(), db, token); err != nil {
				t.Fatalf("fresh token: %v", err)
			}
			res := models.CrossTenant(db).Model(&models.PasswordToken{}).Where("user_id = ?", u.ID).
				Update("expires_at", time.Now().UTC().Add(-time.Minute))
			if res.Error != nil || res.RowsAffected != 1 {
				t.Fatalf("expire token: rows %d, err %v", res.RowsAffected, res.Error)
			}
			wantBadToken(t, token)
			if reloadUser(t, db, u.ID).PasswordHash != "" {
				t.Error("an expired token set a password")
			}
		})

		t.Run("deactivated user", func(t *testing.T) {
			u, token := addUser(t, db, a.ID, "left@example.com", models.RoleStaff, "")
			if _, err := models.SetActive(scoped, testActor, u.ID, false); err != nil {
				t.Fatal(err)
			}
			wantBadToken(t, token)
			if reloadUser(t, db, u.ID).PasswordHash != "" {
				t.Error("a deactivated user's token set a password")
			}
			_, _, err := models.CreatePasswordLink(scoped, testActor, u.ID)
			wantCode(t, err, models.ECONFLICT)
		})

		t.Run("unknown tokens", func(t *testing.T) {
			wantBadToken(t, "")
			wantBadToken(t, "not-a-token")
		})

		t.Run("another merchant's user", func(t *testing.T) {
			tokens := countRows(t, db, &models.PasswordToken{})
			_, token, err := models.CreatePasswordLink(scoped, testActor, bOwner.ID)
			if token != "" {
				t.Errorf("A got a token for B's owner")
			}
			wantCode(t, err, models.ENOTFOUND)
			if n := countRows(t, db, &models.PasswordToken{}); n != tokens {
				t.Errorf("password tokens = %d, want %d", n, tokens)
			}
			if _, _, err := models.CreatePasswordLink(models.ForMerchant(db, b.ID), testActor, bOwner.ID); err != nil {
				t.Errorf("B's own link for its owner: %v", err)
			}
		})
	})
}

// A double submit of one link spends it once.
func TestUsePasswordTokenConcurrently(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a, _ := signUp(t, db, "owner@example.com")
		u, token := addUser(t, db, a.ID, "twice@example.com", models.RoleStaff, "")
		passwords := []string{"first password", "second password"}
		errs := make([]error, len(passwords))
		var wg sync.WaitGroup
		for i, pw := range passwords {
			wg.Go(func() { _, errs[i] = models.UsePasswordToken(t.Context(), db, token, pw, pw) })
		}
		wg.Wait()

		var winner string
		for i, err := range errs {
			switch models.ErrorCode(err) {
			case "":
				if winner != "" {
					t.Fatal("the token was used twice")
				}
				winner = passwords[i]
			case models.ENOTFOUND:
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if winner == "" {
			t.Fatalf("no use of the token succeeded: %v", errs)
		}
		wantLogin(t, db, "twice@example.com", winner)
		if got := reloadUser(t, db, u.ID).SessionEpoch; got != 2 {
			t.Errorf("epoch = %d, want 2", got)
		}
	})
}

func TestHashPassword(t *testing.T) {
	t.Parallel()
	h1, err := models.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := models.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=\d+,t=\d+,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(h1) {
		t.Errorf("hash %q is not a PHC-formatted argon2id hash naming its parameters", h1)
	}
	if h1 == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if strings.Contains(h1, testPassword) {
		t.Error("the hash contains the password")
	}
	for _, h := range []string{h1, h2} {
		if !models.VerifyPassword(h, testPassword) {
			t.Errorf("VerifyPassword(%q, right password) = false", h)
		}
	}
	for _, wrong := range []string{"", "correct horse batterY", "correct horse battery ", "correct horse"} {
		if models.VerifyPassword(h1, wrong) {
			t.Errorf("VerifyPassword(hash, %q) = true", wrong)
		}
	}

	multi, err := models.HashPassword("pässwörd-ñ-日本")
	if err != nil {
		t.Fatal(err)
	}
	if !models.VerifyPassword(multi, "pässwörd-ñ-日本") || models.VerifyPassword(multi, "passwoerd-n-日本") {
		t.Error("multi-byte password round trip failed")
	}
}

// Hashes keep their own parameters, so older settings still verify.
func TestVerifyPasswordUsesStoredParameters(t *testing.T) {
	t.Parallel()
	b64 := base64.RawStdEncoding
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(testPassword), salt, 1, 8*1024, 2, 16)
	hash := fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, 8*1024, 1, 2, b64.EncodeToString(salt), b64.EncodeToString(key))
	if !models.VerifyPassword(hash, testPassword) {
		t.Errorf("VerifyPassword rejects a hash made with other parameters: %s", hash)
	}
	if models.VerifyPassword(hash, "wrong password") {
		t.Error("VerifyPassword accepts a wrong password against an older hash")
	}
}

func TestVerifyPasswordRejectsMalformedHashes(t *testing.T) {
	t.Parallel()
	good, err := models.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	key := []byte(parts[5])
	key[0] ^= 1 // stays valid base64, decodes to another key
	tampered := with(5, string(key))

	cases := map[string]string{
		"empty":              "",
		"scheme only":        "$argon2id$",
		"bcrypt":             "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"bcrypt-style label": "$bcrypt$v=19$m=19456,t=2,p=1$" + parts[4] + "$" + parts[5],
		"argon2i":            with(1, "argon2i"),
		"plain text":         testPassword,
		"other version":      with(2, "v=16"),
		"no version":         with(2, "19"),
		"no parameters":      with(3, ""),
		"bad salt":           with(4, "!!!"),
		"bad key":            with(5, "!!!"),
		"empty key":          with(5, ""),
		"tampered key":       tampered,
		"extra part":         good + "$extra",
		"missing part":       strings.Join(parts[:5], "$"),
		"zero passes":        with(3, "m=19456,t=0,p=1"),
		"zero threads":       with(3, "m=19456,t=2,p=0"),
		"too many threads":   with(3, "m=19456,t=2,p=256"),
	}
	for name, hash := range cases {
		t.Run(name, func(t *testing.T) {
			var ok bool
			if err := catchPanic(func() error { ok = models.VerifyPassword(hash, testPassword); return nil }); err != nil {
				t.Fatalf("VerifyPassword(%q) %v, want false", hash, err)
			}
			if ok {
				t.Errorf("VerifyPassword(%q, right password) = true, want false", hash)
			}
		})
	}
}

// Revoking one session ends that session only: the cookie's token opens
// nothing afterwards, while the user's other sessions stay open.
func TestRevokeSession(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a, _ := signUp(t, db, "owner@a.example.com")
		b, _ := signUp(t, db, "owner@b.example.com")
		staff, _ := addUser(t, db, a.ID, "staff@example.com", models.RoleStaff, testPassword)
		first, err := models.StartSession(t.Context(), db, staff)
		if err != nil {
			t.Fatal(err)
		}
		second, err := models.StartSession(t.Context(), db, staff)
		if err != nil {
			t.Fatal(err)
		}
		open := func(token string) error {
			_, _, err := models.SessionUser(t.Context(), db, a.ID, staff.ID, staff.SessionEpoch, token)
			return err
		}
		// Another merchant cannot revoke it.
		if err := models.RevokeSession(t.Context(), db, b.ID, first); err != nil {
			t.Fatal(err)
		}
		if err := open(first); err != nil {
			t.Fatalf("session revoked from another merchant: %v", err)
		}
		if err := models.RevokeSession(t.Context(), db, a.ID, first); err != nil {
			t.Fatal(err)
		}
		if err := open(first); models.ErrorCode(err) != models.EUNAUTHORIZED {
			t.Fatalf("revoked session opens: %v", err)
		}
		if err := open(second); err != nil {
			t.Fatalf("the other session ended too: %v", err)
		}
		if err := open("made-up-token"); models.ErrorCode(err) != models.EUNAUTHORIZED {
			t.Fatalf("unknown token opens: %v", err)
		}
		// The cookie's token itself is not stored.
		var stored int64
		if err := models.CrossTenant(db).Model(&models.UserSession{}).Where("id IN ?", []string{first, second}).Count(&stored).Error; err != nil || stored != 0 {
			t.Fatalf("raw tokens stored: %d (%v)", stored, err)
		}
	})
}
