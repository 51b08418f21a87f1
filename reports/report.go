// Package reports holds the record of a run (report.json) and renders it as text, JSON and the other formats.
package reports

// Report is the record of one run, as report.json. Times are seconds since the scenario start;
// a time that did not happen is null, and so is a duration built on it.
type Report struct {
	Scenario              string        `json:"scenario"`
	Description           string        `json:"description,omitempty"`
	Seed                  int64         `json:"seed"`
	Passed                bool          `json:"passed"`
	Outcome               string        `json:"outcome"`
	FinalPhase            string        `json:"finalPhase"`
	FinalMessage          string        `json:"finalMessage,omitempty"`
	VirtualSeconds        float64       `json:"virtualSeconds"`
	FaultStartedAt        *float64      `json:"faultStartedAt"`
	FirstBadMeasurementAt *float64      `json:"firstBadMeasurementAt"`
	DetectedAt            *float64      `json:"detectedAt"`
	AbortedAt             *float64      `json:"abortedAt"`
	TrafficRestoredAt     *float64      `json:"trafficRestoredAt"`
	CanaryScaledDownAt    *float64      `json:"canaryScaledDownAt"`
	PromotedAt            *float64      `json:"promotedAt"`
	DetectionSeconds      *float64      `json:"detectionSeconds"`
	RollbackSeconds       *float64      `json:"rollbackSeconds"`
	Requests              Requests      `json:"requests"`
	Expectations          []Expectation `json:"expectations"`
	AnalysisRuns          []AnalysisRun `json:"analysisRuns"`
	Events                []Event       `json:"events"`
	Prometheus            []string      `json:"prometheusAddresses,omitempty"`
	Weights               []WeightPoint `json:"weights,omitempty"`
	Signals               *Signals      `json:"signals,omitempty"`
	Notes                 []string      `json:"notes,omitempty"`

	// A drill's own fields (canarydrill drill): its time scale (wall time per scenario time;
	// the report's times are scenario seconds), how long it took on the wall clock, and vegeta's
	// view of the requests, overall and per window.
	TimeScale   float64  `json:"timeScale,omitempty"`
	WallSeconds *float64 `json:"wallSeconds,omitempty"`
	Load        *Load    `json:"load,omitempty"`
	Windows     []Window `json:"windows,omitempty"`

	// A run against a real API server (canarydrill run --api real): the API ("real"), the
	// controller under test ("canarydrill" or "argo"), and for a rolled-back run the wall-clock
	// seconds from the AnalysisRun reaching Failed (or Error, Inconclusive) to the canary's
	// traffic share reaching 0, as the run's watches saw them (never scaled).
	API                            string   `json:"api,omitempty"`
	Controller                     string   `json:"controller,omitempty"`
	FailedToTrafficZeroWallSeconds *float64 `json:"failedToTrafficZeroWallSeconds,omitempty"`
}

// Signals are what users saw per window of Step seconds, starting At: requests, failed
// requests and the p99 latency in milliseconds (null without requests), for the stable and the
// canary pods. The charts of the html report draw them.
type Signals struct {
	Step           float64    `json:"step"`
	At             []float64  `json:"at"`
	StableRequests []int64    `json:"stableRequests"`
	StableErrors   []int64    `json:"stableErrors"`
	StableP99      []*float64 `json:"stableP99Ms"`
	CanaryRequests []int64    `json:"canaryRequests"`
	CanaryErrors   []int64    `json:"canaryErrors"`
	CanaryP99      []*float64 `json:"canaryP99Ms"`
}

// Requests counts the requests users sent during the run.
type Requests struct {
	Total          int64 `json:"total"`
	Failed         int64 `json:"failed"`
	ServedByCanary int64 `json:"servedByCanary"`
	FailedOnCanary int64 `json:"failedOnCanary"`
	// PaymentsReceived and PaymentsFailed are the business view of the successful requests:
	// each is a payment, and a business-failure fault fails some with 200 OK.
	PaymentsReceived int64 `json:"paymentsReceived"`
	PaymentsFailed   int64 `json:"paymentsFailed"`
}

// Expectation is one checked expectation of the scenario.
type Expectation struct {
	Name   string `json:"name"`
	Want   string `json:"want"`
	Got    string `json:"got"`
	Passed bool   `json:"passed"`
}

// AnalysisRun is one AnalysisRun of the rollout and every measurement it took.
type AnalysisRun struct {
	Name      string   `json:"name"`
	Kind      string   `json:"kind"`
	CreatedAt float64  `json:"createdAt"`
	Phase     string   `json:"phase"`
	Message   string   `json:"message,omitempty"`
	Metrics   []Metric `json:"metrics"`
}

// Metric is one metric of an AnalysisRun.
type Metric struct {
	Name         string        `json:"name"`
	Phase        string        `json:"phase"`
	Message      string        `json:"message,omitempty"`
	Measurements []Measurement `json:"measurements"`
}

// Measurement is one measurement; At is when it finished.
type Measurement struct {
	At      float64 `json:"at"`
	Phase   string  `json:"phase"`
	Value   string  `json:"value,omitempty"`
	Message string  `json:"message,omitempty"`
}

// Event is something that happened: a Kubernetes event of the controller, or a timeline entry.
type Event struct {
	At      float64 `json:"at"`
	Kind    string  `json:"kind"`
	Message string  `json:"message"`
}

// WeightPoint is the canary's share of requests from At on.
type WeightPoint struct {
	At     float64 `json:"at"`
	Canary float64 `json:"canary"`
}

// Secs returns a pointer to s, for the nullable time fields.
func Secs(s float64) *float64 { return &s }
