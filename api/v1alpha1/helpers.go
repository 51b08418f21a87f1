package v1alpha1

import (
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// DurationSeconds is the pause length in seconds: 0 when absent (an indefinite pause), -1 when
// the string is neither an integer nor a Go duration. A bare integer string counts as seconds.
func (p RolloutPause) DurationSeconds() int32 {
	if p.Duration == nil {
		return 0
	}
	if p.Duration.Type == intstr.Int {
		return p.Duration.IntVal
	}
	if n, err := strconv.ParseInt(p.Duration.StrVal, 10, 32); err == nil {
		return int32(n)
	}
	d, err := time.ParseDuration(p.Duration.StrVal)
	if err != nil {
		return -1
	}
	return int32(d.Seconds())
}

// Duration parses the string as a Go duration.
func (d DurationString) Duration() (time.Duration, error) {
	return time.ParseDuration(string(d))
}

// EffectiveCount is the number of measurements to take: 1 when neither count nor interval is set,
// nil (unbounded) when only the interval is set, else the given count.
func (m *Metric) EffectiveCount() *intstr.IntOrString {
	if m.Count == nil || m.Count.IntValue() == 0 {
		if m.Interval == "" {
			one := intstr.FromInt32(1)
			return &one
		}
		return nil
	}
	return m.Count
}

// MetricsOf returns the metrics of an AnalysisTemplate, ClusterAnalysisTemplate or AnalysisRun,
// the object's own slice (a caller may change them in place); nil for any other object.
func MetricsOf(obj runtime.Object) []Metric {
	switch o := obj.(type) {
	case *AnalysisTemplate:
		return o.Spec.Metrics
	case *ClusterAnalysisTemplate:
		return o.Spec.Metrics
	case *AnalysisRun:
		return o.Spec.Metrics
	}
	return nil
}
