package models

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
)

// MemberTag is a label on a member ("vip", "regular at 8am"), for the
// member list's filter.
type MemberTag struct {
	MerchantID int64
	MemberID   int64  `gorm:"primaryKey"`
	Tag        string `gorm:"primaryKey"`
}

const (
	maxTags      = 10
	maxTagLength = 30
)

func normaliseTag(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// MemberTags returns a member's tags in order.
func MemberTags(db *gorm.DB, memberID int64) ([]string, error) {
	var tags []string
	if err := db.Model(&MemberTag{}).Where("member_id = ?", memberID).Order("tag").Pluck("tag", &tags).Error; err != nil {
		return nil, fmt.Errorf("member: tags: %w", err)
	}
	return tags, nil
}

// parseTags reads a list of tags separated by commas (or semicolons or
// bars, as spreadsheets write them), sorted and without repeats.
func parseTags(list string, v Validation) []string {
	var tags []string
	for _, t := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ';' || r == '|' }) {
		if t = normaliseTag(t); t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	slices.Sort(tags)
	v.Check(len(tags) <= maxTags, "tags", fmt.Sprintf("Use at most %d tags.", maxTags))
	for _, t := range tags {
		v.Check(utf8.RuneCountInString(t) <= maxTagLength, "tags", fmt.Sprintf("Keep each tag to %d characters.", maxTagLength))
		v.Check(utf8.RuneCountInString(t) <= maxTagLength, "tags", fmt.Sprintf("Keep each tag to %d characters.", maxTagLength))
		checkName(v, "tags", t)
	}
	return tags
}

// addTags tags a member; the member has none yet or none of these.
func addTags(tx *gorm.DB, memberID int64, tags []string) error {
	for _, t := range tags {
		if err := tx.Create(&MemberTag{MemberID: memberID, Tag: t}).Error; err != nil {
			return fmt.Errorf("member: tag: %w", err)
		}
	}
	return nil
}

// SetMemberTags replaces a member's tags with a comma-separated list.
func SetMemberTags(db *gorm.DB, actor Actor, memberID int64, list string) ([]string, error) {
	v := Validation{}
	tags := parseTags(list, v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	err := db.Transaction(func(tx *gorm.DB) error {
		m, err := GetMember(tx, memberID)
		if err != nil {
			return err
		}
		before, err := MemberTags(tx, m.ID)
		if err != nil {
			return err
		}
		if err := tx.Where("member_id = ?", m.ID).Delete(&MemberTag{}).Error; err != nil {
			return fmt.Errorf("member: clear tags: %w", err)
		}
		if err := addTags(tx, m.ID, tags); err != nil {
			return err
		}
		return recordAudit(tx, actor, AuditUpdate, "member", m.ID, "Tagged member "+m.Name,
			map[string]string{"Tags": strings.Join(before, ", ")}, map[string]string{"Tags": strings.Join(tags, ", ")})
	})
	if err != nil {
		return nil, err
	}
	return tags, nil
}
