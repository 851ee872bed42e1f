package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/regularshq/regulars/models"
)

// Config is everything Regulars reads from its environment, read here and
// nowhere else.
type Config struct {
	Addr           string       // ADDR
	DatabaseURL    string       // DATABASE_URL: a postgres:// URL or a SQLite file path
	SessionKeys    []string     // SESSION_KEYS: comma-separated, newest first
	Production     bool         // APP_ENV=production
	LogLevel       slog.Level   // LOG_LEVEL
	BaseURL        string       // BASE_URL
	TrustedProxies []*net.IPNet // TRUSTED_PROXIES: CIDRs whose X-Forwarded-For is believed
}

const (
	defaultAddr        = ":8080"
	defaultDatabaseURL = "data/regulars.db"
	minSessionKeyLen   = 32
)

// LoadConfig reads and checks the environment through getenv.
func LoadConfig(getenv func(string) string) (Config, error) {
	cfg := Config{
		Addr:        orDefault(getenv("ADDR"), defaultAddr),
		DatabaseURL: orDefault(getenv("DATABASE_URL"), defaultDatabaseURL),
		BaseURL:     strings.TrimRight(getenv("BASE_URL"), "/"),
	}
	var problems []error
	switch env := orDefault(getenv("APP_ENV"), "development"); env {
	case "development":
	case "production":
		cfg.Production = true
	default:
		problems = append(problems, fmt.Errorf("APP_ENV must be development or production, not %q", env))
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(orDefault(getenv("LOG_LEVEL"), "info"))); err != nil {
		problems = append(problems, fmt.Errorf("LOG_LEVEL must be debug, info, warn or error: %w", err))
	}
	for _, k := range strings.Split(getenv("SESSION_KEYS"), ",") {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		if len(k) < minSessionKeyLen {
			problems = append(problems, fmt.Errorf("each SESSION_KEYS entry needs at least %d characters (try: openssl rand -hex 32)", minSessionKeyLen))
			continue
		}
		cfg.SessionKeys = append(cfg.SessionKeys, k)
	}
	if cfg.Production && len(cfg.SessionKeys) == 0 {
		problems = append(problems, errors.New("SESSION_KEYS is required when APP_ENV=production (try: openssl rand -hex 32)"))
	}
	if cfg.BaseURL != "" {
		if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			problems = append(problems, fmt.Errorf("BASE_URL must be an absolute http(s) URL, like https://loyalty.example.com, not %q", cfg.BaseURL))
		}
	}
	for _, cidr := range strings.Split(getenv("TRUSTED_PROXIES"), ",") {
		if cidr = strings.TrimSpace(cidr); cidr == "" {
			continue
		}
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			problems = append(problems, fmt.Errorf("TRUSTED_PROXIES: %q is not a CIDR like 10.0.0.0/8", cidr))
			continue
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, n)
	}
	return cfg, errors.Join(problems...)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// DataDir is where Regulars keeps its files: the SQLite file's folder, or
// ./data when the database is PostgreSQL.
func (c Config) DataDir() string {
	if models.IsPostgresURL(c.DatabaseURL) {
		return "data"
	}
	return filepath.Dir(c.DatabaseURL)
}

// devSessionKeys returns the configured keys or, in development, a key
// generated once and kept in the data directory so logins survive
// restarts.
func (c Config) devSessionKeys(log *slog.Logger) ([]string, error) {
	if len(c.SessionKeys) > 0 {
		return c.SessionKeys, nil
	}
	path := filepath.Join(c.DataDir(), "session.key")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= minSessionKeyLen {
		log.Warn("using the development session key; set SESSION_KEYS in production", "file", path)
		return []string{strings.TrimSpace(string(b))}, nil
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	key := hex.EncodeToString(raw)
	if err := os.MkdirAll(c.DataDir(), 0o750); err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	log.Warn("generated a development session key; set SESSION_KEYS in production", "file", path)
	return []string{key}, nil
}

func (c Config) logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.Production {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
