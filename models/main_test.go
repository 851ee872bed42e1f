package models_test

import (
	"testing"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testActor is who the tests' changes are recorded as.
var testActor = models.Actor{Name: "Test Runner"}
