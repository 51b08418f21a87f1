package scenarios

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Duration is a Go duration written as a string ("90s", "2h") or a number of seconds.
type Duration struct {
	time.Duration
}

// UnmarshalJSON accepts "90s"-style strings and plain numbers of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			d.Duration = time.Duration(n * float64(time.Second))
			return nil
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("invalid duration %q: want a number of seconds or a duration such as 90s, 5m, 2h", s)
		}
		d.Duration = v
		return nil
	}
	var n float64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("invalid duration %s: want a number of seconds or a duration such as 90s, 5m, 2h", b)
	}
	d.Duration = time.Duration(n * float64(time.Second))
	return nil
}

// MarshalJSON writes the compact form, e.g. "90s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(FormatDuration(d.Duration)) }

// String is the compact form, e.g. "90s".
func (d Duration) String() string { return FormatDuration(d.Duration) }

// FormatDuration writes a duration in seconds, e.g. "90s" or "0.5s"; durations of whole
// hours or minutes above an hour keep Go's form ("2h0m0s" becomes "2h").
func FormatDuration(d time.Duration) string {
	if d%time.Hour == 0 && d >= time.Hour {
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	}
	// One division, correctly rounded: Seconds() adds whole seconds and a fraction, and 12.601 s
	// came out as 12.600999999999999.
	s := strconv.FormatFloat(float64(d)/float64(time.Second), 'f', -1, 64)
	return s + "s"
}

// Quantity is a number or a Kubernetes quantity ("2Mi", "0.3", 0.3).
type Quantity struct {
	resource.Quantity
	set bool
}

// UnmarshalJSON accepts numbers and quantity strings.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := resource.ParseQuantity(s)
	if err != nil {
		return fmt.Errorf("invalid quantity %s: want a number or a quantity such as 2Mi", b)
	}
	q.Quantity, q.set = v, true
	return nil
}

// MarshalJSON writes the quantity's canonical string.
func (q Quantity) MarshalJSON() ([]byte, error) { return json.Marshal(q.Quantity.String()) }

// IsSet reports whether a value was given.
func (q Quantity) IsSet() bool { return q.set }

// Float is the quantity as a float64.
func (q Quantity) Float() float64 { return q.AsApproximateFloat64() }
