package v1alpha1

// JudgeMetric compares canary and baseline samples of each query, in the spirit of Kayenta's
// NetflixACAJudge, and scores the canary from 0 to 100. It is canarydrill's own provider: Argo
// Rollouts has no such field. The queries go to Prometheus through the same client as the
// prometheus provider, with the same address, timeout, headers and authentication settings.
type JudgeMetric struct {
	// Address is the Prometheus that the queries go to.
	Address string `json:"address,omitempty"`
	// Timeout bounds each query, in seconds; default 30.
	Timeout *int64 `json:"timeout,omitempty"`
	// Insecure skips TLS verification.
	Insecure bool `json:"insecure,omitempty"`
	// Headers are added to every query.
	Headers []WebMetricHeader `json:"headers,omitempty"`
	// Authentication is basic or OAuth2 client-credentials authentication, as for prometheus.
	Authentication Authentication `json:"authentication,omitempty"`
	// Window is how far back samples are taken, e.g. "5m"; default 5m.
	Window DurationString `json:"window,omitempty"`
	// Step is the spacing of samples in the window, e.g. "10s"; default 10s.
	Step DurationString `json:"step,omitempty"`
	// Metrics are the compared queries.
	Metrics []JudgeQuery `json:"metrics"`
	// Thresholds: a score >= pass is Successful, >= marginal Inconclusive, else Failed.
	Thresholds JudgeThresholds `json:"thresholds,omitempty"`
	// Groups weighs each group's share of the score (by group name); groups not listed share
	// what is left of 100 equally.
	Groups map[string]float64 `json:"groups,omitempty"`
}

// JudgeQuery is one compared signal.
type JudgeQuery struct {
	Name string `json:"name"`
	// Canary and Baseline are PromQL queries; every sample of every series they return over the
	// window counts.
	Canary   string `json:"canary"`
	Baseline string `json:"baseline"`
	// Direction is which change is bad: increase, decrease or either (default).
	Direction string `json:"direction,omitempty"`
	// Group names the group this query's result counts towards; default "default".
	Group string `json:"group,omitempty"`
	// Critical fails the whole judgement when this query is High or Low.
	Critical bool `json:"critical,omitempty"`
	// Confidence of the Mann-Whitney U test's interval for the shift; default 0.98.
	Confidence float64 `json:"confidence,omitempty"`
	// Tolerance is the share of the Hodges-Lehmann shift estimate that the confidence interval
	// must clear for the shift to count; default 0.25.
	Tolerance float64 `json:"tolerance,omitempty"`
	// EffectSize additionally requires the canary's mean to differ from the baseline's by this
	// ratio before a shift counts.
	EffectSize *JudgeEffectSize `json:"effectSize,omitempty"`
}

// JudgeEffectSize bounds the ratio of the canary's mean to the baseline's (Kayenta's meanRatio).
type JudgeEffectSize struct {
	// AllowedIncrease: a ratio at or below it is not High, e.g. 1.1; default 1 (no bound).
	AllowedIncrease float64 `json:"allowedIncrease,omitempty"`
	// AllowedDecrease: a ratio at or above it is not Low, e.g. 0.9; default 1 (no bound).
	AllowedDecrease float64 `json:"allowedDecrease,omitempty"`
}

// JudgeThresholds are the score thresholds; absent or zero means the default.
type JudgeThresholds struct {
	// Pass is the lowest Successful score; default 95.
	Pass float64 `json:"pass,omitempty"`
	// Marginal is the lowest Inconclusive score; default 75.
	Marginal float64 `json:"marginal,omitempty"`
}

// The directions of a judged query: which change is bad.
const (
	JudgeDirectionIncrease = "increase"
	JudgeDirectionDecrease = "decrease"
	JudgeDirectionEither   = "either"
)
