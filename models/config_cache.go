package models

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"gorm.io/gorm"
)

// A purchase reads its merchant's configuration (the program, its tiers
// and campaigns, the webhook subscribers) on every request, and an owner
// changes it a few times a year. Each app instance keeps a copy per
// merchant, labelled with the merchant's config_version as read before
// the copy was; triggers bump that version in the transaction of any
// change (migration 00021). A request compares the version of the
// merchant row it read with its copy's once, at its start: a change
// committed on any instance is seen by the next request everywhere, and
// a copy is never newer-labelled than what it holds.

// configKey names one merchant's copy in one database: tests open many
// databases in one process, each with merchants numbered from 1. The
// dialector is what every session and transaction of one opened database
// shares (each has a copy of its gorm.Config).
type configKey struct {
	db       gorm.Dialector
	merchant int64
}

// merchantConfig is one merchant's configuration as of version, read
// lazily, each part at most once.
type merchantConfig struct {
	version int64

	mu          sync.Mutex
	programs    map[int64]Program
	tiers       map[int64][]Tier
	campaigns   map[int64][]Campaign
	subscribers []WebhookEndpoint // only ID, Events and DisabledAt are read
	subscribed  bool              // subscribers was read
}

var configs sync.Map // configKey → *merchantConfig

type configCtxKey struct{}

// withConfig is tx serving the configuration reads below from the copy of
// merchant m's configuration at m's version. Only a transaction that
// changes no configuration may use it.
func withConfig(tx *gorm.DB, m *Merchant) *gorm.DB {
	key := configKey{db: tx.Dialector, merchant: m.ID}
	c, _ := configs.Load(key)
	cfg, _ := c.(*merchantConfig)
	if cfg == nil || cfg.version != m.ConfigVersion {
		cfg = &merchantConfig{version: m.ConfigVersion}
		configs.Store(key, cfg)
	}
	return tx.WithContext(context.WithValue(tx.Statement.Context, configCtxKey{}, cfg))
}

// cachedConfig is the copy tx serves configuration from, or nil.
func cachedConfig(tx *gorm.DB) *merchantConfig {
	cfg, _ := tx.Statement.Context.Value(configCtxKey{}).(*merchantConfig)
	return cfg
}

// program is GetProgram from the copy; the caller gets its own value.
func (c *merchantConfig) program(tx *gorm.DB, id int64) (*Program, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.programs[id]; ok {
		return &p, nil
	}
	p, err := readProgram(tx, id)
	if err != nil {
		return nil, err
	}
	if c.programs == nil {
		c.programs = map[int64]Program{}
	}
	c.programs[id] = *p
	return p, nil
}

// ladder is ListTiers from the copy.
func (c *merchantConfig) ladder(tx *gorm.DB, programID int64) ([]Tier, error) {
	return cachedList(c, &c.tiers, programID, func() ([]Tier, error) { return readTiers(tx, programID) })
}

// programCampaigns is every campaign of a program, from the copy.
func (c *merchantConfig) programCampaigns(tx *gorm.DB, programID int64) ([]Campaign, error) {
	return cachedList(c, &c.campaigns, programID, func() ([]Campaign, error) {
		var cs []Campaign
		if err := tx.Where("program_id = ?", programID).Order("id").Find(&cs).Error; err != nil {
			return nil, fmt.Errorf("campaign: of program: %w", err)
		}
		return cs, nil
	})
}

// cachedList reads one program's list once into lists; callers get their
// own slice.
func cachedList[T any](c *merchantConfig, lists *map[int64][]T, programID int64, read func() ([]T, error)) ([]T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := (*lists)[programID]; ok {
		return slices.Clone(l), nil
	}
	l, err := read()
	if err != nil {
		return nil, err
	}
	if *lists == nil {
		*lists = map[int64][]T{}
	}
	(*lists)[programID] = l
	return slices.Clone(l), nil
}

// webhookSubscribers is the merchant's endpoints, from the copy.
func (c *merchantConfig) webhookSubscribers(tx *gorm.DB) ([]WebhookEndpoint, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.subscribed {
		var eps []WebhookEndpoint
		if err := tx.Select("id, events, disabled_at").Order("id").Find(&eps).Error; err != nil {
			return nil, fmt.Errorf("webhook: subscribers: %w", err)
		}
		c.subscribers, c.subscribed = eps, true
	}
	return c.subscribers, nil
}
