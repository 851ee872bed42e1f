package models

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2id at OWASP's moderate setting: 19 MiB, two passes, one lane.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16

	MinPasswordLength = 10
	maxPasswordLength = 256
)

// checkPassword validates a new password's length in characters.
func checkPassword(v Validation, field, password string) {
	n := utf8.RuneCountInString(password)
	v.Check(n >= MinPasswordLength, field, fmt.Sprintf("Use at least %d characters.", MinPasswordLength))
	v.Check(n <= maxPasswordLength, field, fmt.Sprintf("Use at most %d characters.", maxPasswordLength))
}

// HashPassword returns a PHC-formatted argon2id hash with a fresh salt.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonCost.passes, argonCost.memoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonCost.memoryKiB, argonCost.passes, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// argonCost is what HashPassword spends. VerifyPassword reads each hash's
// own parameters, so changing it never locks anyone out.
var argonCost = struct{ memoryKiB, passes uint32 }{argonMemoryKiB, argonTime}

// UseCheapPasswordHashing makes new hashes cost 64 KiB and one pass. Only
// tests call it, from TestMain before any test runs: under the race
// detector a real hash takes a fifth of a second, and the suite signs up
// and logs in thousands of times.
func UseCheapPasswordHashing() { argonCost.memoryKiB, argonCost.passes = 64, 1 }

// VerifyPassword checks password against a hash made by HashPassword, using
// the parameters stored in the hash so that older hashes keep working.
func VerifyPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var memory, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil {
		return false
	}
	// Refuse parameters argon2 would panic on, or that would let a bad row
	// burn a gigabyte per login.
	if passes < 1 || passes > 16 || threads < 1 || memory < 8*uint32(threads) || memory > 1<<20 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 128 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, passes, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
