package provider

// Every message a provider puts on a measurement or returns as an error. Where Argo Rollouts
// v1.9.1 has the same case, the wording is Argo's (typos included), so users' greps match.

// Factory errors: the metric names no provider, or one canarydrill does not run.
const (
	errNoProvider     = "no valid provider in metric '%s'"
	errNotImplemented = "metric '%s': the %s provider is not supported by canarydrill yet"
	errOAuth2Missing  = "missing mandatory parameter in metric for OAuth2 setup"
)

// Prometheus provider.
const (
	errPromAddressNotURL    = "prometheus address is not is url format"
	errPromAddressMissing   = "prometheus address is not configured"
	errPromNegativeTimeout  = "prometheus timeout should not be negative"
	errPromTypeNotSupported = "Prometheus metric type not supported"
	errPromRangeStart       = "failed to parse rangeQuery.start as time: %w"
	errPromRangeEnd         = "failed to parse rangeQuery.end as time: %w"
	errPromRangeStep        = "failed to parse rangeQuery.step as duration: %w"
)

// Web provider. Argo passes a non-JSON body as a Successful measurement whose value is the body
// (and a null body through, issue #4535); canarydrill makes both an Error with these messages.
const (
	errWebBodyAndJSONBody = "use either Body or JSONBody; both cannot exists for WebMetric payload"
	errWebBodyWithGet     = "Body/JSONBody can only be used with POST or PUT WebMetric Method types"
	errWebStatus          = "received non 2xx response code: %v"
	errWebRead            = "Received no bytes in response: %v"
	errWebNotJSON         = "response body is not JSON: %v"
	errWebNullBody        = "response body is null"
	errWebJSONPath        = "Could not find JSONPath in body: %s"
	errWebNoValue         = "result of web metric produced no value"
	errWebJSONPathParse   = "invalid jsonPath %q: %v"
)

// Job provider.
const (
	errJobMetadataMissing = "job metadata reference missing"
	errJobNoClient        = "the job provider needs a Kubernetes client"
	errJobNotOwned        = "job %s/%s exists and belongs to another AnalysisRun"
)

// Judge provider.
const (
	errJudgeNoMetrics      = "judge: no metrics to compare"
	errJudgeDuplicate      = "judge: metrics[%d]: duplicate name '%s'"
	errJudgeNoName         = "judge: metrics[%d]: name is required"
	errJudgeNoQuery        = "judge: metrics[%d]: canary and baseline queries are required"
	errJudgeDirection      = "judge: metrics[%d]: direction must be increase, decrease or either, not %q"
	errJudgeConfidence     = "judge: metrics[%d]: confidence must be between 0 and 1"
	errJudgeTolerance      = "judge: metrics[%d]: tolerance must not be negative"
	errJudgeEffectSize     = "judge: metrics[%d]: effectSize ratios must not be negative"
	errJudgeDuration       = "judge: invalid %s %q: %v"
	errJudgeDurationNotPos = "judge: %s must be positive"
	errJudgeThresholds     = "judge: thresholds must satisfy 0 <= marginal <= pass <= 100"
	errJudgeWeight         = "judge: groups[%s]: weight must not be negative"
	errJudgeQuery          = "judge: metric %q: %s query: %w"
	errJudgeClassify       = "judge: metric %q: %w"
	errJudgeNoData         = "judge: no data for any metric (%s)"
)

// Judge measurement metadata: keys, and the text of one query's line.
const (
	JudgeScoreKey          = "score"
	JudgeMetricKeyPrefix   = "metric/"
	JudgeCanaryKeyPrefix   = "canary/"
	JudgeBaselineKeyPrefix = "baseline/"
	judgeCriticalKey       = "critical"
	judgeLineTest          = "%s: canary mean %s (%d samples), baseline mean %s (%d samples), shift %s in [%s, %s], p=%s"
	judgeLineReason        = "%s: %s (canary %d samples, baseline %d samples)"
)
