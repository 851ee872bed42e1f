package models

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
)

// RecognitionUse is how a merchant's people use recognition, as of now:
// of those the settings allow, who gave and who received in the last 30
// days; how much of this month's allowance went; and the pairs trading
// more than half of the monthly allowance with each other.
type RecognitionUse struct {
	Givers, Gave                  int64 // allowed givers; of them, those who gave
	Receivers, Received           int64 // allowed receivers; of them, those who received
	Month                         string
	AllowanceUsed, AllowanceTotal int64 // this month: given, and the sum of each allowed giver's own allowance
	Allowance                     int64 // the monthly allowance: members', and a role's without its own
	Reciprocal                    []ReciprocalPair
}

// ReciprocalPair is two people who each gave the other more than half of
// the monthly allowance this month: points going back and forth. The one
// threshold for every pair, whatever their roles' allowances.
type ReciprocalPair struct {
	A, B       string
	AToB, BToA int64
}

// recognitionUseDays is how far back participation looks.
const recognitionUseDays = 30

// RecognitionReport reads recognition's use; nil when recognition is off.
func RecognitionReport(db *gorm.DB, now time.Time) (*RecognitionUse, error) {
	s, err := GetRecognitionSettings(db)
	if err != nil || !s.Enabled {
		return nil, err
	}
	m, err := GetMerchant(db)
	if err != nil {
		return nil, err
	}
	u := &RecognitionUse{Month: recognitionMonth(m.Location(), now), Allowance: s.MonthlyAllowance}
	since := now.Add(-recognitionUseDays * 24 * time.Hour).UTC()
	givers, err := participating(db, "giver", since, s.mayGive, func() *gorm.DB {
		return inScope(db, s.MemberGivers, s.MemberGiverTiers, s.MemberGiverTag)
	})
	if err != nil {
		return nil, fmt.Errorf("recognition: givers: %w", err)
	}
	receivers, err := participating(db, "receiver", since, s.mayReceive, func() *gorm.DB {
		return inScope(db, s.MemberReceivers, s.MemberReceiverTiers, s.MemberReceiverTag)
	})
	if err != nil {
		return nil, fmt.Errorf("recognition: receivers: %w", err)
	}
	u.Givers, u.Gave = givers.allowed(), givers.active
	u.Receivers, u.Received = receivers.allowed(), receivers.active
	// Members are counted, not loaded: the zero participant is a member,
	// and every member has the same allowance.
	u.AllowanceTotal = givers.members * s.allowanceOf(participant{})
	for _, p := range givers.users {
		u.AllowanceTotal += s.allowanceOf(p)
	}
	if err := db.Model(&RecognitionAllowance{}).Where("month = ?", u.Month).
		Select("COALESCE(SUM(used), 0)").Scan(&u.AllowanceUsed).Error; err != nil {
		return nil, fmt.Errorf("recognition: allowance used: %w", err)
	}
	if u.Reciprocal, err = reciprocalPairs(db, u.Month, s.MonthlyAllowance); err != nil {
		return nil, err
	}
	return u, nil
}

// sideUse is one side of recognition: whom the settings allow on it, and
// how many of them took that side of a recognition since.
type sideUse struct {
	users   []participant // the allowed users, as loaded, for their roles
	members int64         // the members in scope
	active  int64
}

func (u sideUse) allowed() int64 { return int64(len(u.users)) + u.members }

// participating finds the users and members the settings allow on one
// side ("giver" or "receiver": allowed for users, the members in scope)
// and counts how many of them took that side of a recognition since.
func participating(db *gorm.DB, side string, since time.Time, allowed func(participant) bool,
	scope func() *gorm.DB) (sideUse, error) {
	var out sideUse
	recent := func(column string) *gorm.DB {
		return visible(db).Distinct(column).Where("created_at >= ? AND "+column+" IS NOT NULL", since)
	}
	_, users, err := activeStaff(db)
	if err != nil {
		return out, err
	}
	var ids []int64
	if err := recent(side+"_user_id").Pluck(side+"_user_id", &ids).Error; err != nil {
		return out, err
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	for _, p := range users {
		if allowed(p) {
			out.users = append(out.users, p)
			if seen[p.UserID] {
				out.active++
			}
		}
	}
	if scope() == nil {
		return out, nil
	}
	var membersActive int64
	if err := scope().Count(&out.members).Error; err != nil {
		return out, err
	}
	if err := scope().Where("id IN (?)", recent(side+"_member_id").Select(side+"_member_id")).Count(&membersActive).Error; err != nil {
		return out, err
	}
	out.active += membersActive
	return out, nil
}

// reciprocalPairs finds this month's pairs where each gave the other more
// than half of the monthly allowance.
func reciprocalPairs(db *gorm.DB, month string, allowance int64) ([]ReciprocalPair, error) {
	type flow struct {
		GiverUserID, GiverMemberID, ReceiverUserID, ReceiverMemberID *int64
		GiverName, ReceiverName                                      string
		Points                                                       int64
	}
	var flows []flow
	if err := visible(db).Select("giver_user_id, giver_member_id, receiver_user_id, receiver_member_id, "+
		"MAX(giver_name) AS giver_name, MAX(receiver_name) AS receiver_name, SUM(points) AS points").
		Where("month = ?", month).Group("giver_user_id, giver_member_id, receiver_user_id, receiver_member_id").
		Scan(&flows).Error; err != nil {
		return nil, fmt.Errorf("recognition: reciprocity: %w", err)
	}
	type pair struct{ from, to Party }
	given := map[pair]flow{}
	for _, f := range flows {
		given[pair{Party{deref(f.GiverUserID), deref(f.GiverMemberID)}, Party{deref(f.ReceiverUserID), deref(f.ReceiverMemberID)}}] = f
	}
	var out []ReciprocalPair
	for k, ab := range given {
		ba, ok := given[pair{k.to, k.from}]
		// Each pair once: from the side whose party sorts first.
		if !ok || k.from.String() > k.to.String() || 2*ab.Points <= allowance || 2*ba.Points <= allowance {
			continue
		}
		out = append(out, ReciprocalPair{A: ab.GiverName, B: ab.ReceiverName, AToB: ab.Points, BToA: ba.Points})
	}
	slices.SortFunc(out, func(a, b ReciprocalPair) int { return cmp.Or(cmp.Compare(a.A, b.A), cmp.Compare(a.B, b.B)) })
	return out, nil
}
