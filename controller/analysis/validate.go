package analysis

import (
	"errors"
	"fmt"
	"regexp"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// ValidateMetrics checks a run's (resolved) metrics as Argo does before measuring anything:
// at least one metric, unique names, and each metric valid. The error names the metric's index.
func ValidateMetrics(metrics []v1alpha1.Metric) error {
	if len(metrics) == 0 {
		return errors.New(errNoMetrics)
	}
	seen := make(map[string]bool, len(metrics))
	for i, m := range metrics {
		if seen[m.Name] {
			return fmt.Errorf(errDuplicateMetricName, i, m.Name)
		}
		seen[m.Name] = true
		if err := ValidateMetric(m); err != nil {
			return fmt.Errorf(errMetricAt, i, err)
		}
	}
	return nil
}

// ValidateMetric checks one metric's limits, count, durations and provider, in Argo's order.
func ValidateMetric(m v1alpha1.Metric) error {
	count := intValue(m.Count, 0)
	failureLimit := intValue(m.FailureLimit, 0)
	successLimit := intValue(m.ConsecutiveSuccessLimit, 0)
	inconclusiveLimit := intValue(m.InconclusiveLimit, 0)

	switch {
	case successLimit < 0:
		return errors.New(errSuccessLimitNegative)
	case failureLimit < -1:
		return errors.New(errFailureLimitNegative)
	case successLimit == 0 && failureLimit == -1:
		return errors.New(errBothLimitsDisabled)
	case inconclusiveLimit < 0:
		return errors.New(errInconclusiveLimitNegative)
	case m.ConsecutiveErrorLimit != nil && m.ConsecutiveErrorLimit.IntValue() < 0:
		return errors.New(errErrorLimitNegative)
	}
	if count > 0 {
		if failureLimit >= 0 && count < failureLimit+successLimit {
			return fmt.Errorf(errCountBelowLimits, count, failureLimit, successLimit)
		}
		if failureLimit < 0 && count < successLimit {
			return errors.New(errCountBelowSuccessLimit)
		}
		if count < inconclusiveLimit {
			return errors.New(errCountBelowInconclusiveLimit)
		}
	}
	if count > 1 && m.Interval == "" {
		return errors.New(errCountWithoutInterval)
	}
	if m.Interval != "" {
		if _, err := m.Interval.Duration(); err != nil {
			return fmt.Errorf(errInvalidInterval, err)
		}
	}
	if m.InitialDelay != "" {
		if _, err := m.InitialDelay.Duration(); err != nil {
			return fmt.Errorf(errInvalidInitialDelay, err)
		}
	}
	providers := 0
	for _, set := range []bool{m.Provider.Prometheus != nil, m.Provider.Job != nil, m.Provider.Web != nil, m.Provider.Judge != nil} {
		if set {
			providers++
		}
	}
	providers += len(m.Provider.Plugin)
	switch {
	case providers == 0:
		return errors.New(errNoProvider)
	case providers > 1:
		return errors.New(errManyProviders)
	}
	return nil
}

// DryRunMetrics names the metrics that run in dry-run mode: each rule is an unanchored regular
// expression over metric names and must match at least one metric. As in Argo, a rule that is
// not a valid expression (such as "*") matches nothing; ".*" matches every metric.
func DryRunMetrics(rules []v1alpha1.DryRun, metrics []v1alpha1.Metric) (map[string]bool, error) {
	out := make(map[string]bool)
	for i, rule := range rules {
		matched := 0
		for _, m := range metrics {
			if ok, _ := regexp.MatchString(rule.MetricName, m.Name); ok {
				out[m.Name] = true
				matched++
			}
		}
		if matched == 0 {
			return out, fmt.Errorf(errDryRunNoMatch, i)
		}
	}
	return out, nil
}

// RetentionMetrics maps each metric to the last measurementRetention rule matching its name
// (rules match like dry-run rules and must each match at least one metric).
func RetentionMetrics(rules []v1alpha1.MeasurementRetention, metrics []v1alpha1.Metric) (map[string]v1alpha1.MeasurementRetention, error) {
	out := make(map[string]v1alpha1.MeasurementRetention)
	for i, rule := range rules {
		matched := 0
		for _, m := range metrics {
			if ok, _ := regexp.MatchString(rule.MetricName, m.Name); ok {
				out[m.Name] = rule
				matched++
			}
		}
		if matched == 0 {
			return out, fmt.Errorf(errRetentionNoMatch, i)
		}
	}
	return out, nil
}

// intValue is an IntOrString's integer (a numeric string counts, anything else is 0), or def when absent.
func intValue(v *intstr.IntOrString, def int) int {
	if v == nil {
		return def
	}
	return v.IntValue()
}
