package models

import (
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// ExportTags returns the tags of the given members, each list in order and
// joined as the import splits them, so an export imports as it is.
func ExportTags(db *gorm.DB, memberIDs []int64) (map[int64]string, error) {
	var tags []MemberTag
	if err := db.Where("member_id IN ?", memberIDs).Order("member_id, tag").Find(&tags).Error; err != nil {
		return nil, fmt.Errorf("member export: tags: %w", err)
	}
	lists := map[int64][]string{}
	for _, t := range tags {
		lists[t.MemberID] = append(lists[t.MemberID], t.Tag)
	}
	out := make(map[int64]string, len(lists))
	for id, l := range lists {
		out[id] = strings.Join(l, ", ")
	}
	return out, nil
}
