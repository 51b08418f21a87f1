package reports

import (
	"fmt"
	"strconv"
	"time"

	"github.com/canarydrill/canarydrill/scenarios"
)

// Check evaluates the scenario's expectations against the report, fills Expectations and sets
// Passed. A timing expectation whose time did not happen fails.
func Check(r *Report, e scenarios.Expect) {
	r.Expectations = []Expectation{}
	if e.Outcome != "" {
		r.Expectations = append(r.Expectations, Expectation{
			Name: "outcome", Want: e.Outcome, Got: r.Outcome, Passed: r.Outcome == e.Outcome,
		})
	}
	within := func(name string, want *scenarios.Duration, got *float64) {
		if want == nil {
			return
		}
		x := Expectation{Name: name, Want: want.String(), Got: "null"}
		if got != nil {
			x.Got = scenarios.FormatDuration(time.Duration(*got * float64(time.Second)))
			x.Passed = *got <= want.Seconds()
		}
		r.Expectations = append(r.Expectations, x)
	}
	within("detectionWithin", e.DetectionWithin, r.DetectionSeconds)
	within("rollbackWithin", e.RollbackWithin, r.RollbackSeconds)
	if e.MaxUserErrors != nil {
		r.Expectations = append(r.Expectations, Expectation{
			Name:   "maxUserErrors",
			Want:   strconv.FormatInt(*e.MaxUserErrors, 10),
			Got:    strconv.FormatInt(r.Requests.Failed, 10),
			Passed: r.Requests.Failed <= *e.MaxUserErrors,
		})
	}
	r.Passed = true
	for _, x := range r.Expectations {
		r.Passed = r.Passed && x.Passed
	}
}

// Describe is a one-line account of a failed expectation.
func (x Expectation) Describe() string {
	return fmt.Sprintf("%s: want %s, got %s", x.Name, x.Want, x.Got)
}
