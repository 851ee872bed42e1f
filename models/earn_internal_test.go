package models

import (
	"math"
	"testing"
)

// The proportional clawback of a refund is exact at the int64 edges.
func TestRefundClawbackAtTheEdges(t *testing.T) {
	const top = math.MaxInt64
	for _, c := range []struct{ earned, amount, refunded, clawed, want int64 }{
		{top, top, top, 0, top},
		{top, top, top / 2, 0, top / 2},
		{top, top, top, top / 2, top - top/2},
		{top, 1, 1, 0, top},
		{1, top, top - 1, 0, 0},
		{top - 1, top, top - 1, 0, top - 2},
		{0, top, top, 0, 0},
	} {
		if got := refundClawback(c.earned, c.amount, c.refunded, c.clawed); got != c.want {
			t.Errorf("refundClawback(%d, %d, %d, %d) = %d, want %d", c.earned, c.amount, c.refunded, c.clawed, got, c.want)
		}
	}
}

func TestAddClamped(t *testing.T) {
	for _, c := range []struct{ a, b, want int64 }{
		{math.MaxInt64, 1, math.MaxInt64},
		{math.MaxInt64 - 1, 1, math.MaxInt64},
		{math.MinInt64, -1, math.MinInt64},
		{5, -7, -2},
	} {
		if got := addClamped(c.a, c.b); got != c.want {
			t.Errorf("addClamped(%d, %d) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
