package models

import (
	"time"

	"gorm.io/gorm"
)

// LeftByMonth is an account's expiry replay (lots) summed by the local
// month each credit was earned: what the economics rollup must hold.
func LeftByMonth(db *gorm.DB, accountID int64, loc *time.Location) (map[string]int64, error) {
	ls, err := lots(db, accountID)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, l := range ls {
		if l.Left != 0 {
			out[l.EarnedAt.In(loc).Format(monthLayout)] += l.Left
		}
	}
	return out, nil
}

// RollupTables is the registry of the tables a rebuild clears.
var RollupTables = rollupTables
