package models_test

import (
	"testing"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// TestMain hashes passwords cheaply (under the race detector a real hash
// takes a fifth of a second): the same code at a lower cost.
func TestMain(m *testing.M) {
	models.UseCheapPasswordHashing()
	dbtest.Main(m)
}

// testActor is who the tests' changes are recorded as.
var testActor = models.Actor{Name: "Test Runner"}
