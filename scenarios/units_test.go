package scenarios

import (
	"testing"
	"time"
)

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{90 * time.Second, "90s"},
		{500 * time.Millisecond, "0.5s"},
		{2 * time.Hour, "2h"},
		{12601 * time.Millisecond, "12.601s"}, // a wall time, not 12.600999999999999s
		{131996 * time.Millisecond, "131.996s"},
	} {
		if got := FormatDuration(tc.d); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
