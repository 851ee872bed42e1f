package models

import (
	"errors"
	"fmt"
	"testing"

	"gorm.io/gorm"
)

func TestNotFound(t *testing.T) {
	if err := notFound(nil, "No such member.", "member: get %d", 7); err != nil {
		t.Errorf("nil became %v", err)
	}
	err := notFound(fmt.Errorf("take: %w", gorm.ErrRecordNotFound), "No such member.", "member: get %d", 7)
	if ErrorCode(err) != ENOTFOUND || ErrorMessage(err) != "No such member." {
		t.Errorf("no row: %v", err)
	}
	failure := errors.New("connection reset")
	err = notFound(failure, "No such member.", "member: get %d", 7)
	if !errors.Is(err, failure) || err.Error() != "member: get 7: connection reset" || ErrorCode(err) != EINTERNAL {
		t.Errorf("failure: %v", err)
	}
}
