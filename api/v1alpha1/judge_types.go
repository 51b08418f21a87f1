package v1alpha1

// JudgeMetric compares canary and baseline samples of each query, in the spirit of Kayenta's
// NetflixACAJudge, and scores the canary from 0 to 100. It is canarydrill's own provider.
type JudgeMetric struct {
	// Address is the Prometheus that the queries go to.
	Address string `json:"address,omitempty"`
	// Window is how far back samples are taken, e.g. "5m".
	Window DurationString `json:"window,omitempty"`
	// Step is the spacing of samples in the window, e.g. "10s".
	Step DurationString `json:"step,omitempty"`
	// Metrics are the compared queries.
	Metrics []JudgeQuery `json:"metrics"`
	// Thresholds: a score >= pass is Successful, >= marginal Inconclusive, else Failed.
	Thresholds JudgeThresholds `json:"thresholds,omitempty"`
	// Groups weighs each group's share of the score (by group name); absent groups share equally.
	Groups map[string]float64 `json:"groups,omitempty"`
}

// JudgeQuery is one compared signal.
type JudgeQuery struct {
	Name string `json:"name"`
	// Canary and Baseline are PromQL queries that each return one series.
	Canary   string `json:"canary"`
	Baseline string `json:"baseline"`
	// Direction is which change is bad: increase, decrease or either (default).
	Direction string `json:"direction,omitempty"`
	// Group names the group this query's result counts towards; default "default".
	Group string `json:"group,omitempty"`
	// Critical fails the whole judgement when this query is High or Low.
	Critical bool `json:"critical,omitempty"`
	// Confidence of the Mann-Whitney U test; default 0.98.
	Confidence float64 `json:"confidence,omitempty"`
	// Tolerance is the allowed relative effect size of the Hodges-Lehmann estimate; default 0.25.
	Tolerance float64 `json:"tolerance,omitempty"`
}

// JudgeThresholds are the score thresholds.
type JudgeThresholds struct {
	Pass     float64 `json:"pass,omitempty"`
	Marginal float64 `json:"marginal,omitempty"`
}
