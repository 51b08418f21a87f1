package analysis

// Every message and reason an AnalysisRun can show, worded as Argo Rollouts v1.9.1 words them,
// so that users' greps and the simulator's reports see the same text as with Argo.

// Run messages (status.message).
const (
	// MessageUnresolvedArgs ends a run whose arguments cannot be substituted or read (a Secret).
	MessageUnresolvedArgs = "Unable to resolve metric arguments: %v"
	// MessageSpecInvalid ends a run whose metrics, dry-run or retention rules are invalid.
	MessageSpecInvalid = "Analysis spec invalid: %v"
	// MessageRunTerminated is the message of a run stopped by spec.terminate.
	MessageRunTerminated = "Run Terminated"
	// MessageMetricAssessed explains the run's phase by its worst metric: name, phase, reason.
	MessageMetricAssessed = "Metric \"%s\" assessed %s due to %s"
	// MessageErrorSuffix follows MessageMetricAssessed when the metric's last measurement had a message.
	MessageErrorSuffix = ": \"Error Message: %s\""
)

// Metric and measurement messages.
const (
	// MessageMetricTerminated marks an in-flight measurement that Terminate completed successfully.
	MessageMetricTerminated = "Metric Terminated"
	// MessageDryRunMetricAssessed is a completed dry-run metric's own message: phase, reason.
	MessageDryRunMetricAssessed = "Metric assessed %s due to %s"
)

// Reasons a metric completes other than Successful (the "due to" part of the messages).
const (
	ReasonFailureLimit          = "failed (%d) > failureLimit (%d)"
	ReasonInconclusiveLimit     = "inconclusive (%d) > inconclusiveLimit (%d)"
	ReasonConsecutiveErrorLimit = "consecutiveErrors (%d) > consecutiveErrorLimit (%d)"
)

// Events: the reason is a prefix and a phase ("AnalysisRunFailed", "MetricSuccessful", ...);
// Warning for Failed and Error, Normal otherwise.
const (
	ReasonPrefixRun        = "AnalysisRun"
	ReasonPrefixMetric     = "Metric"
	MessageRunCompleted    = "Analysis Completed. Result: %s"
	MessageMetricCompleted = "Metric '%s' Completed. Result: %s"
)

// Validation errors (wrapped in MessageSpecInvalid).
const (
	errNoMetrics                   = "no metrics specified"
	errDuplicateMetricName         = "metrics[%d]: duplicate name '%s'"
	errMetricAt                    = "metrics[%d]: %v"
	errSuccessLimitNegative        = "consecutiveSuccessLimit must be >= 0"
	errFailureLimitNegative        = "failureLimit must be >= 0, or -1 to be disabled"
	errBothLimitsDisabled          = "failureLimit and consecutiveSuccessLimit cannot both be disabled"
	errInconclusiveLimitNegative   = "inconclusiveLimit must be >= 0"
	errErrorLimitNegative          = "consecutiveErrorLimit must be >= 0"
	errCountBelowLimits            = "count (%d) must be >= failureLimit + consecutiveSuccessLimit (%d + %d) if both >= 0"
	errCountBelowSuccessLimit      = "count must be >= consecutiveSuccessLimit"
	errCountBelowInconclusiveLimit = "count must be >= inconclusiveLimit"
	errCountWithoutInterval        = "interval must be specified when count > 1"
	errInvalidInterval             = "invalid interval string: %v"
	errInvalidInitialDelay         = "invalid startDelay string: %v"
	errNoProvider                  = "no provider specified"
	errManyProviders               = "multiple providers specified"
	errDryRunNoMatch               = "dryRun[%d]: Rule didn't match any metric name(s)"
	errRetentionNoMatch            = "measurementRetention[%d]: Rule didn't match any metric name(s)"
)

// Argument and template errors.
const (
	errArgNotSupplied       = "argument \"%s\" was not supplied"
	errUnresolvedTag        = "failed to resolve {{%s}}"
	errNoEndTag             = "Cannot find end tag=%q in the template=%q starting from %q"
	errArgNotResolved       = "args.%s was not resolved"
	errArgConflict          = "Argument `%s` specified multiple times with different values: '%s', '%s'"
	errSecretKeyMissing     = "key '%s' does not exist in secret '%s'"
	errTemplateMetricTwice  = "two metrics have the same name '%s'"
	errDryRunRuleTwice      = "two Dry-Run metric rules have the same name '%s'"
	errRetentionRuleTwice   = "two Measurement Retention metric rules have the same name '%s'"
	errTemplateIncludeCycle = "analysis template %q includes itself through %s"
)
