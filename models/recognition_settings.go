package models

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// RecognitionSettingsInput is the owner's settings form as typed.
type RecognitionSettingsInput struct {
	Enabled, ValueRequired                 bool
	Values, MinMessageLength, RefusedWords string
	OwnerRole, ManagerRole, StaffRole      string
	MemberGivers, MemberGiverTag           string
	MemberReceivers, MemberReceiverTag     string
	MemberGiverTiers, MemberReceiverTiers  []string
	MonthlyAllowance, MaxPerRecognition    string
	MaxPerPair, ProgramID                  string
	// A role's own allowance; blank for the monthly allowance.
	OwnerAllowance, ManagerAllowance, StaffAllowance string
}

const (
	maxRecognitionList = 30 // values or refused words
	maxRecognitionWord = 40
)

// cleanList checks a comma-separated list and returns it normalised.
func cleanList(v Validation, field, s string, lower bool) string {
	words := splitList(s)
	v.Check(len(words) <= maxRecognitionList, field, fmt.Sprintf("List at most %d, separated by commas.", maxRecognitionList))
	seen := map[string]bool{}
	var out []string
	for _, w := range words {
		w = strings.TrimPrefix(w, "#")
		if lower {
			w = strings.ToLower(w)
		}
		checkName(v, field, w)
		v.Check(utf8.RuneCountInString(w) <= maxRecognitionWord, field, fmt.Sprintf("Keep each one to %d characters.", maxRecognitionWord))
		if w != "" && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return strings.Join(out, ", ")
}

func (in RecognitionSettingsInput) apply(tx *gorm.DB, s *RecognitionSettings) error {
	v := Validation{}
	s.Enabled, s.ValueRequired = in.Enabled, in.ValueRequired
	s.RecognitionValues = cleanList(v, "values", in.Values, true)
	s.RefusedWords = cleanList(v, "refused_words", in.RefusedWords, true)
	v.Check(!s.ValueRequired || s.RecognitionValues != "", "values", "List the values, or do not require one.")
	s.MinMessageLength = numberField(v, "min_message_length", in.MinMessageLength, 0, 500, "Enter 0 to 500 characters.")
	for _, r := range []struct {
		field string
		in    string
		out   *Participation
	}{{"owner_role", in.OwnerRole, &s.OwnerRole}, {"manager_role", in.ManagerRole, &s.ManagerRole}, {"staff_role", in.StaffRole, &s.StaffRole}} {
		*r.out = Participation(r.in)
		v.Check(oneOf(*r.out, Participations), r.field, "Choose giver and receiver, giver only, receiver only, or observer.")
	}
	s.MemberGivers, s.MemberReceivers = MemberScope(in.MemberGivers), MemberScope(in.MemberReceivers)
	v.Check(oneOf(s.MemberGivers, MemberScopes), "member_givers", "Choose none, all, chosen tiers, or a tag.")
	v.Check(oneOf(s.MemberReceivers, MemberScopes), "member_receivers", "Choose none, all, chosen tiers, or a tag.")
	s.MemberGiverTag, s.MemberReceiverTag = normaliseTag(in.MemberGiverTag), normaliseTag(in.MemberReceiverTag)
	checkName(v, "member_giver_tag", s.MemberGiverTag)
	checkName(v, "member_receiver_tag", s.MemberReceiverTag)
	v.Check(s.MemberGivers != ScopeTag || s.MemberGiverTag != "", "member_giver_tag", "Name the tag of the members who give.")
	v.Check(s.MemberReceivers != ScopeTag || s.MemberReceiverTag != "", "member_receiver_tag", "Name the tag of the members who receive.")
	var err error
	if s.MemberGiverTiers, err = tierList(tx, v, "member_giver_tiers", in.MemberGiverTiers, s.MemberGivers); err != nil {
		return err
	}
	if s.MemberReceiverTiers, err = tierList(tx, v, "member_receiver_tiers", in.MemberReceiverTiers, s.MemberReceivers); err != nil {
		return err
	}
	s.MonthlyAllowance = numberField(v, "monthly_allowance", in.MonthlyAllowance, 0, maxRecognitionPoints, "Enter whole points, 0 or more.")
	const roleAllowance = "Enter whole points, or leave it blank for the monthly allowance."
	s.OwnerAllowance = optionalNumber(v, "owner_allowance", in.OwnerAllowance, 0, maxRecognitionPoints, roleAllowance)
	s.ManagerAllowance = optionalNumber(v, "manager_allowance", in.ManagerAllowance, 0, maxRecognitionPoints, roleAllowance)
	s.StaffAllowance = optionalNumber(v, "staff_allowance", in.StaffAllowance, 0, maxRecognitionPoints, roleAllowance)
	s.MaxPerRecognition = numberField(v, "max_per_recognition", in.MaxPerRecognition, 0, maxRecognitionPoints, "Enter whole points, 0 for no maximum.")
	s.MaxPerPair = numberField(v, "max_per_pair", in.MaxPerPair, 0, maxRecognitionPoints, "Enter whole points, 0 for no maximum.")
	if err := recognitionProgram(tx, v, s, in.ProgramID); err != nil {
		return err
	}
	return v.Err()
}

// tierList checks chosen tiers are the merchant's.
func tierList(tx *gorm.DB, v Validation, field string, ids []string, scope MemberScope) (string, error) {
	var out []string
	for _, s := range ids {
		id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || id <= 0 {
			v.Check(false, field, "Choose tiers from the list.")
			continue
		}
		var n int64
		if err := tx.Model(&Tier{}).Where("id = ?", id).Count(&n).Error; err != nil {
			return "", fmt.Errorf("recognition: tier: %w", err)
		}
		v.Check(n == 1, field, "Choose tiers from the list.")
		out = append(out, strconv.FormatInt(id, 10))
	}
	v.Check(scope != ScopeTiers || len(out) > 0, field, "Choose at least one tier.")
	return strings.Join(out, ","), nil
}

func recognitionProgram(tx *gorm.DB, v Validation, s *RecognitionSettings, in string) error {
	s.ProgramID = nil
	if strings.TrimSpace(in) == "" || in == "0" {
		return nil
	}
	id, err := strconv.ParseInt(strings.TrimSpace(in), 10, 64)
	if err != nil || id <= 0 {
		v.Check(false, "program_id", "Choose a program from the list.")
		return nil
	}
	if _, err := GetProgram(tx, id); err != nil {
		if ErrorCode(err) == ENOTFOUND {
			v.Check(false, "program_id", "Choose a program from the list.")
			return nil
		}
		return err
	}
	s.ProgramID = &id
	return nil
}

// SaveRecognitionSettings writes the owner's settings, audited.
func SaveRecognitionSettings(db *gorm.DB, actor Actor, in RecognitionSettingsInput, now time.Time) (*RecognitionSettings, error) {
	var out *RecognitionSettings
	err := db.Transaction(func(tx *gorm.DB) error {
		s, err := GetRecognitionSettings(tx)
		if err != nil {
			return err
		}
		before := *s
		if err := in.apply(tx, s); err != nil {
			return err
		}
		s.UpdatedAt = now.UTC()
		if s.ID == 0 {
			s.CreatedAt = now.UTC()
		}
		if err := tx.Save(s).Error; err != nil {
			return fmt.Errorf("recognition: save settings: %w", err)
		}
		out = s
		return recordAudit(tx, actor, AuditUpdate, "recognition_settings", s.ID, "Changed the recognition settings", before, *s)
	})
	return out, err
}

// SetRecognitionOverride gives a user their own participation, or with
// "" goes back to their role's default; audited.
func SetRecognitionOverride(db *gorm.DB, actor Actor, userID int64, part string, now time.Time) error {
	return db.Transaction(func(tx *gorm.DB) error {
		u, err := GetUser(tx, userID)
		if err != nil {
			return err
		}
		p := Participation(part)
		if p != "" && !oneOf(p, Participations) {
			return fieldError("participation", "Choose the role's default, giver and receiver, giver only, receiver only, or observer.")
		}
		if err := tx.Where("user_id = ?", u.ID).Delete(&RecognitionOverride{}).Error; err != nil {
			return fmt.Errorf("recognition: clear override: %w", err)
		}
		summary := fmt.Sprintf("%s follows their role in recognition", u.Name)
		if p != "" {
			o := &RecognitionOverride{UserID: u.ID, Participation: p, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
			if err := tx.Create(o).Error; err != nil {
				return fmt.Errorf("recognition: override: %w", err)
			}
			summary = fmt.Sprintf("%s is %s in recognition", u.Name, p)
		}
		return recordAudit(tx, actor, AuditUpdate, "recognition_settings", u.ID, summary, nil, map[string]any{"user_id": u.ID, "participation": string(p)})
	})
}

// RecognitionOverrides maps user ids to their own participation.
func RecognitionOverrides(db *gorm.DB) (map[int64]Participation, error) {
	var os []RecognitionOverride
	if err := db.Find(&os).Error; err != nil {
		return nil, fmt.Errorf("recognition: overrides: %w", err)
	}
	out := make(map[int64]Participation, len(os))
	for _, o := range os {
		out[o.UserID] = o.Participation
	}
	return out, nil
}

// GiverTierIDs are the tiers of members who give, as form values.
func (s *RecognitionSettings) GiverTierIDs() []string { return splitList(s.MemberGiverTiers) }

// ReceiverTierIDs are the tiers of members who receive, as form values.
func (s *RecognitionSettings) ReceiverTierIDs() []string { return splitList(s.MemberReceiverTiers) }
