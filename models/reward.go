package models

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// RewardType is what a reward gives.
type RewardType string

const (
	RewardFreeItem    RewardType = "free_item"
	RewardAmountOff   RewardType = "amount_off"
	RewardPercentOff  RewardType = "percent_off"
	RewardStoreCredit RewardType = "store_credit"
	RewardService     RewardType = "service"
)

// RewardTypes lists the reward types for forms.
var RewardTypes = []RewardType{RewardFreeItem, RewardAmountOff, RewardPercentOff, RewardStoreCredit, RewardService}

// dateLayout is how calendar dates are stored and typed: the merchant's
// local date, compared as text.
const dateLayout = "2006-01-02"

// Reward is an item of a program's catalog, costing units of the program.
// ValueMinor is what a free item, amount off or credit is worth; a percent
// off is in basis points. Nil stock or limit means unlimited; active dates
// are inclusive local dates.
type Reward struct {
	ID                 int64
	MerchantID         int64
	ProgramID          int64
	Name               string
	Description        string
	Type               RewardType
	Cost               int64
	ValueMinor         int64
	PercentBasisPoints int64
	MinTierID          *int64
	Stock              *int64
	PerMemberLimit     *int64
	ActiveFrom         *string
	ActiveTo           *string
	Archived           bool
	Position           int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// RewardInput is a reward form as typed.
type RewardInput struct {
	Name, Description, Type, Cost, Value, Percent string
	MinTierID, Stock, PerMemberLimit              string
	ActiveFrom, ActiveTo, Position                string
}

func optionalNumber(v Validation, field, s string, min, max int64, msg string) *int64 {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	n := numberField(v, field, s, min, max, msg)
	return &n
}

// noneIfZero treats a select's "0" as no choice.
func noneIfZero(s string) string {
	if strings.TrimSpace(s) == "0" {
		return ""
	}
	return s
}

func optionalDate(v Validation, field, s string) *string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	_, err := time.Parse(dateLayout, s)
	v.Check(err == nil, field, "Enter a date like 2026-12-24.")
	return &s
}

func (in RewardInput) apply(tx *gorm.DB, r *Reward, programID int64, currency string) error {
	v := Validation{}
	r.Name = strings.TrimSpace(in.Name)
	v.Check(r.Name != "", "name", "Enter a name.")
	v.Check(utf8.RuneCountInString(r.Name) <= 80, "name", "Use at most 80 characters.")
	checkName(v, "name", r.Name)
	r.Description = strings.TrimSpace(in.Description)
	v.Check(utf8.RuneCountInString(r.Description) <= 1000, "description", "Use at most 1000 characters.")
	r.Type = RewardType(in.Type)
	v.Check(oneOf(r.Type, RewardTypes), "type", "Choose what the reward gives.")
	r.Cost = numberField(v, "cost", in.Cost, 1, maxUnits, rangeMessage(1, maxUnits, 0))
	r.ValueMinor, r.PercentBasisPoints = 0, 0
	switch r.Type {
	case RewardPercentOff:
		r.PercentBasisPoints = decimalField(v, "percent", in.Percent, 2, 1, 10_000, "Enter a percentage above 0 and at most 100.")
	case RewardAmountOff, RewardStoreCredit:
		r.ValueMinor = moneyField(v, "value", in.Value, currency, maxMoneyMinor)
		v.Check(r.ValueMinor > 0, "value", "Enter what the reward is worth, above 0.")
	default:
		r.ValueMinor = moneyField(v, "value", in.Value, currency, maxMoneyMinor)
	}
	r.MinTierID = optionalNumber(v, "min_tier_id", noneIfZero(in.MinTierID), 1, 1<<62, "Choose one of this program's tiers.")
	r.Stock = optionalNumber(v, "stock", in.Stock, 0, maxUnits, "Enter how many are left, or leave empty for unlimited.")
	r.PerMemberLimit = optionalNumber(v, "per_member_limit", in.PerMemberLimit, 1, 10_000, "Enter 1 or more, or leave empty for no limit.")
	r.ActiveFrom = optionalDate(v, "active_from", in.ActiveFrom)
	r.ActiveTo = optionalDate(v, "active_to", in.ActiveTo)
	if r.ActiveFrom != nil && r.ActiveTo != nil && *r.ActiveTo < *r.ActiveFrom {
		v.Check(false, "active_to", "The end date is before the start date.")
	}
	r.Position = numberField(v, "position", in.Position, 0, 10_000, "Enter a display order from 0 to 10000.")
	if r.MinTierID != nil && v["min_tier_id"] == "" {
		if _, err := GetTier(tx, programID, *r.MinTierID); err != nil {
			if ErrorCode(err) != ENOTFOUND {
				return err
			}
			v.Check(false, "min_tier_id", "Choose one of this program's tiers.")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	return checkUniqueActiveReward(tx, r, programID)
}

// checkUniqueActiveReward keeps names unique among a program's rewards
// that are not archived; an archived reward's name may be reused.
func checkUniqueActiveReward(tx *gorm.DB, r *Reward, programID int64) error {
	if r.Archived {
		return nil
	}
	var n int64
	if err := tx.Model(&Reward{}).Where("program_id = ? AND archived = ? AND lower(name) = lower(?) AND id <> ?",
		programID, false, r.Name, r.ID).Count(&n).Error; err != nil {
		return fmt.Errorf("reward: check name: %w", err)
	}
	if n > 0 {
		return fieldError("name", "That name is already used here. Choose another.")
	}
	return nil
}

// ListRewards returns a program's catalog in display order; archived ones
// only when asked.
func ListRewards(db *gorm.DB, programID int64, withArchived bool) ([]Reward, error) {
	q := db.Where("program_id = ?", programID)
	if !withArchived {
		q = q.Where("archived = ?", false)
	}
	var rs []Reward
	if err := q.Order(rewardOrder).Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("reward: list: %w", err)
	}
	return rs, nil
}

// CatalogPage is the business's rewards on offer (archived ones left
// out) in id order after afterID, at most limit: a keyset page for the
// API. programID 0 reads every program's.
func CatalogPage(db *gorm.DB, programID, afterID int64, limit int) ([]Reward, error) {
	q := db.Where("archived = ? AND id > ?", false, afterID)
	if programID != 0 {
		q = q.Where("program_id = ?", programID)
	}
	var rs []Reward
	if err := q.Order("id").Limit(limit).Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("reward: page: %w", err)
	}
	return rs, nil
}

// rewardOrder is a catalog's display order, archived rewards last.
const rewardOrder = "archived, position, cost, id"

// RewardsOf returns the catalogs of several programs in one query, by
// program id, archived rewards included, each as ListRewards orders it.
func RewardsOf(db *gorm.DB, programIDs []int64) (map[int64][]Reward, error) {
	return itemsOf(db, programIDs, rewardOrder, "reward", func(r *Reward) int64 { return r.ProgramID })
}

// GetReward loads one reward of a program.
func GetReward(db *gorm.DB, programID, id int64) (*Reward, error) {
	var r Reward
	if err := db.Where("program_id = ?", programID).Take(&r, id).Error; err != nil {
		return nil, notFound(err, "No such reward.", "reward: get %d", id)
	}
	return &r, nil
}

// SaveReward creates (rewardID 0) or updates a reward of a program.
func SaveReward(db *gorm.DB, actor Actor, programID, rewardID int64, in RewardInput) (*Reward, error) {
	return saveItem(db, actor, programID, rewardID, rewardKind,
		func(tx *gorm.DB, m *Merchant, p *Program, r *Reward) error {
			before := r.ValueMinor
			if err := in.apply(tx, r, p.ID, m.Currency); err != nil {
				return err
			}
			return markRewardValue(tx, m, r, before)
		})
}

var rewardKind = itemKind[Reward]{
	entity: "reward", words: "reward", get: GetReward,
	fresh: func(programID int64) *Reward { return &Reward{ProgramID: programID} },
	id:    func(r *Reward) int64 { return r.ID }, name: func(r *Reward) string { return r.Name },
}

// SetRewardArchived archives a reward, taking it out of the catalog while
// keeping its history, or restores it.
func SetRewardArchived(db *gorm.DB, actor Actor, programID, rewardID int64, archived bool) (*Reward, error) {
	var r *Reward
	err := db.Transaction(func(tx *gorm.DB) error {
		// Lock the program as every catalog change does, so the name check
		// and the card-reward check see concurrent saves.
		if _, err := GetProgram(tx.Clauses(clause.Locking{Strength: "UPDATE"}), programID); err != nil {
			return err
		}
		var err error
		if r, err = GetReward(tx, programID, rewardID); err != nil {
			return err
		}
		if r.Archived == archived {
			return nil
		}
		before := *r
		r.Archived = archived
		if !archived {
			if err := checkUniqueActiveReward(tx, r, programID); err != nil {
				return Errorf(ECONFLICT, "Another active reward is called %s. Rename one of them first.", r.Name)
			}
		}
		if archived {
			var p Program
			if err := tx.Where("card_reward_id = ?", r.ID).Limit(1).Find(&p).Error; err != nil {
				return fmt.Errorf("reward: check card: %w", err)
			}
			if p.ID != 0 {
				return Errorf(ECONFLICT, "%s is what a full card of %s gives. Choose another card reward first.", r.Name, p.Name)
			}
		}
		if err := tx.Model(r).Update("archived", archived).Error; err != nil {
			return fmt.Errorf("reward: archive: %w", err)
		}
		action, verb := AuditArchive, "Archived"
		if !archived {
			action, verb = AuditUpdate, "Restored"
		}
		return recordAudit(tx, actor, action, "reward", r.ID, verb+" reward "+r.Name, before, r)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// ActiveOn reports whether the reward is in the catalog on a local date.
func (r *Reward) ActiveOn(date string) bool {
	if r.Archived {
		return false
	}
	return (r.ActiveFrom == nil || date >= *r.ActiveFrom) && (r.ActiveTo == nil || date <= *r.ActiveTo)
}

// FormInput turns a stored reward back into what its form shows.
func (r *Reward) FormInput(currency string) RewardInput {
	in := RewardInput{
		Name: r.Name, Description: r.Description, Type: string(r.Type), Cost: fmt.Sprint(r.Cost),
		Value: FormatMoney(r.ValueMinor, currency), Percent: FormatRate(r.PercentBasisPoints, 2),
		Position: fmt.Sprint(r.Position),
	}
	if r.MinTierID != nil {
		in.MinTierID = fmt.Sprint(*r.MinTierID)
	}
	if r.Stock != nil {
		in.Stock = fmt.Sprint(*r.Stock)
	}
	if r.PerMemberLimit != nil {
		in.PerMemberLimit = fmt.Sprint(*r.PerMemberLimit)
	}
	if r.ActiveFrom != nil {
		in.ActiveFrom = *r.ActiveFrom
	}
	if r.ActiveTo != nil {
		in.ActiveTo = *r.ActiveTo
	}
	return in
}
