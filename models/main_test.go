package models_test

import (
	"testing"

	"github.com/regularshq/regulars/models/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }
