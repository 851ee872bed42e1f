package models

import (
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// itemKind describes one kind of a program's items (tiers, rewards,
// earning rules, campaigns) to saveItem and deleteItem.
type itemKind[T any] struct {
	entity string // the audit log's entity type, like "earning_rule"
	words  string // the same in words, like "earning rule"
	fresh  func(programID int64) *T
	get    func(tx *gorm.DB, programID, id int64) (*T, error)
	id     func(*T) int64
	name   func(*T) string
	// saved, when set, runs in the same transaction after the item is
	// stored, for what the change implies elsewhere.
	saved func(tx *gorm.DB, p *Program) error
}

// saveItem creates (id 0) or updates an item of a program: under a lock
// on the program, so concurrent saves see each other's checks, it loads or
// starts the item, lets apply check the input and fill it in, saves it,
// and records the change in the audit log.
func saveItem[T any](db *gorm.DB, actor Actor, programID, id int64, k itemKind[T],
	apply func(tx *gorm.DB, m *Merchant, p *Program, item *T) error) (*T, error) {
	var item *T
	err := db.Transaction(func(tx *gorm.DB) error {
		m, err := GetMerchant(tx)
		if err != nil {
			return err
		}
		p, err := GetProgram(tx.Clauses(clause.Locking{Strength: "UPDATE"}), programID)
		if err != nil {
			return err
		}
		var before *T
		item = k.fresh(p.ID)
		if id != 0 {
			if item, err = k.get(tx, p.ID, id); err != nil {
				return err
			}
			copy := *item
			before = &copy
		}
		if err := apply(tx, m, p, item); err != nil {
			return err
		}
		if err := tx.Save(item).Error; err != nil {
			return duplicateName(fmt.Errorf("%s: save: %w", k.words, err))
		}
		if k.saved != nil {
			if err := k.saved(tx, p); err != nil {
				return err
			}
		}
		if before == nil {
			return recordAudit(tx, actor, AuditCreate, k.entity, k.id(item),
				fmt.Sprintf("Added %s %s to %s", k.words, k.name(item), p.Name), nil, item)
		}
		return recordAudit(tx, actor, AuditUpdate, k.entity, k.id(item),
			fmt.Sprintf("Updated %s %s of %s", k.words, k.name(item), p.Name), before, item)
	})
	if err != nil {
		return nil, err
	}
	return item, nil
}

// deleteItem removes an item of a program under the same lock on the
// program as saveItem, once refuse (when set) finds nothing against it, and
// records the deletion in the audit log.
func deleteItem[T any](db *gorm.DB, actor Actor, programID, id int64, k itemKind[T],
	refuse func(tx *gorm.DB, p *Program, item *T) error) error {
	return db.Transaction(func(tx *gorm.DB) error {
		p, err := GetProgram(tx.Clauses(clause.Locking{Strength: "UPDATE"}), programID)
		if err != nil {
			return err
		}
		item, err := k.get(tx, p.ID, id)
		if err != nil {
			return err
		}
		if refuse != nil {
			if err := refuse(tx, p, item); err != nil {
				return err
			}
		}
		if err := tx.Delete(item).Error; err != nil {
			return fmt.Errorf("%s: delete: %w", k.words, err)
		}
		return recordAudit(tx, actor, AuditDelete, k.entity, k.id(item),
			fmt.Sprintf("Deleted %s %s of %s", k.words, k.name(item), p.Name), item, nil)
	})
}

// itemsOf lists the items of several programs in one query, grouped by
// program id, each group in order: a page showing many programs reads
// each kind of item once, not once per program.
func itemsOf[T any](db *gorm.DB, programIDs []int64, order, words string, programOf func(*T) int64) (map[int64][]T, error) {
	out := make(map[int64][]T, len(programIDs))
	if len(programIDs) == 0 {
		return out, nil
	}
	var items []T
	if err := db.Where("program_id IN ?", programIDs).Order("program_id, " + order).Find(&items).Error; err != nil {
		return nil, fmt.Errorf("%s: list: %w", words, err)
	}
	for i := range items {
		id := programOf(&items[i])
		out[id] = append(out[id], items[i])
	}
	return out, nil
}
