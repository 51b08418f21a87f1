package demoapp

import (
	"encoding/json"
	"fmt"
	"time"
)

// Faults are the knobs a drill switches while the service runs. The zero value is healthy.
type Faults struct {
	// ErrorRate is the fraction of requests answered with ErrorCode.
	ErrorRate float64 `json:"errorRate,omitempty"`
	// ErrorCode is the status of failed requests (default 500).
	ErrorCode int `json:"errorCode,omitempty"`
	// LatencyAdd is added to every request's latency.
	LatencyAdd Duration `json:"latencyAdd,omitempty"`
	// LatencyFactor multiplies every request's base latency (0 means 1).
	LatencyFactor float64 `json:"latencyFactor,omitempty"`
	// LeakBytesPerSecond makes the process allocate and keep memory; it exits like an
	// OOM-killed container when the working set passes its limit.
	LeakBytesPerSecond int64 `json:"leakBytesPerSecond,omitempty"`
	// BusinessFailure is the fraction of payments answered 200 but never completed.
	BusinessFailure float64 `json:"businessFailure,omitempty"`
}

// Validate checks the knobs' ranges.
func (f Faults) Validate() error {
	if f.ErrorRate < 0 || f.ErrorRate > 1 {
		return fmt.Errorf("errorRate: %v is not between 0 and 1", f.ErrorRate)
	}
	if f.BusinessFailure < 0 || f.BusinessFailure > 1 {
		return fmt.Errorf("businessFailure: %v is not between 0 and 1", f.BusinessFailure)
	}
	if f.ErrorCode != 0 && (f.ErrorCode < 100 || f.ErrorCode > 599) {
		return fmt.Errorf("errorCode: %d is not an HTTP status code", f.ErrorCode)
	}
	if f.LatencyAdd.Duration < 0 || f.LatencyFactor < 0 || f.LeakBytesPerSecond < 0 {
		return fmt.Errorf("latencyAdd, latencyFactor and leakBytesPerSecond must not be negative")
	}
	return nil
}

// Duration is a time.Duration written as "150ms" in JSON.
type Duration struct{ time.Duration }

// MarshalJSON writes the Go form, e.g. "150ms".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads "150ms".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration such as \"150ms\" is required: %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}
