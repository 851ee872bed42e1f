package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

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
	Pool           models.Pool  // DB_MAX_OPEN_CONNS, DB_MAX_IDLE_CONNS, DB_CONN_MAX_LIFETIME
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
	switch {
	case cfg.BaseURL != "":
		if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			problems = append(problems, fmt.Errorf("BASE_URL must be an absolute http(s) URL, like https://loyalty.example.com, not %q", cfg.BaseURL))
		}
	case cfg.Production:
		// Links handed to people must never take their origin from a
		// request's Host header, which the client chooses.
		problems = append(problems, errors.New("BASE_URL is required when APP_ENV=production, like https://loyalty.example.com"))
	default:
		base, err := listeningURL(cfg.Addr)
		if err != nil {
			problems = append(problems, err)
		}
		cfg.BaseURL = base
	}
	cfg.Pool, problems = poolConfig(getenv, problems)
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

// listeningURL is the development origin: the address Regulars listens
// on, with localhost for an address that names no host.
func listeningURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return "", fmt.Errorf("ADDR must be host:port or :port, like :8080, not %q", addr)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

// poolConfig reads the database pool's sizes; idle defaults to open so
// connections are reused rather than closed and reopened under load.
func poolConfig(getenv func(string) string, problems []error) (models.Pool, []error) {
	pool := models.DefaultPool
	count := func(name string, def int) int {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			problems = append(problems, fmt.Errorf("%s must be a whole number of at least 1, not %q", name, v))
			return def
		}
		return n
	}
	pool.MaxOpen = count("DB_MAX_OPEN_CONNS", pool.MaxOpen)
	pool.MaxIdle = count("DB_MAX_IDLE_CONNS", pool.MaxOpen)
	if pool.MaxIdle > pool.MaxOpen {
		problems = append(problems, fmt.Errorf("DB_MAX_IDLE_CONNS (%d) cannot exceed DB_MAX_OPEN_CONNS (%d)", pool.MaxIdle, pool.MaxOpen))
	}
	if v := getenv("DB_CONN_MAX_LIFETIME"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			problems = append(problems, fmt.Errorf("DB_CONN_MAX_LIFETIME must be a duration like 30m, or 0 to keep connections, not %q", v))
		} else {
			pool.MaxLifetime = d
		}
	}
	return pool, problems
}

// webhookTargets is where webhooks may be sent: in production only public
// addresses (SSRF), in development anywhere, local receivers included.
func (c Config) webhookTargets() models.WebhookTargets {
	return models.WebhookTargets{AllowPrivate: !c.Production}
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

func (c Config) logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.Production {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
