package reports

// Load is vegeta's view of a drill's requests (the users' side; the report's requests are the
// router's): how many it sent, at what rate per wall second, the fraction answered 2xx or 3xx,
// latency quantiles in seconds, and the answers by status code ("0" for requests that got no
// answer). FailedOnCanary counts the users' requests that failed on a canary pod (the router
// knows which pod answered).
type Load struct {
	Requests       uint64         `json:"requests"`
	Rate           float64        `json:"rate"`
	Success        float64        `json:"success"`
	Latencies      Latencies      `json:"latencies"`
	StatusCodes    map[string]int `json:"statusCodes"`
	FailedOnCanary int64          `json:"failedOnCanary"`
	Errors         []string       `json:"errors,omitempty"`
}

// Latencies are vegeta's latency quantiles and maximum, in seconds.
type Latencies struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Window is Load over one window of the run, from At (seconds since the start) for the drill's
// window width (10 s of scenario time).
type Window struct {
	At float64 `json:"at"`
	Load
}
