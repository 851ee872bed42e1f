package models

import (
	"time"

	"gorm.io/gorm"
)

// markRollup stands in for models/rollup.go until it lands on main.
func markRollup(tx *gorm.DB, memberID int64, at ...time.Time) error { return nil }
