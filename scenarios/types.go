// Package scenarios reads, checks and defaults scenario files, and ships the built-in scenario library.
package scenarios

import (
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// APIVersion and Kind of a scenario file.
const (
	APIVersion = "canarydrill.io/v1alpha1"
	Kind       = "Scenario"
)

// Scenario is one scenario file, with its manifests decoded.
type Scenario struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`

	// Source names where the scenario came from: a file path or builtin:NAME.
	Source string `json:"-"`
	// Objects are the decoded manifests, in file order.
	Objects []Object `json:"-"`
	// ReplayData is the content of spec.metrics.replay, read when the scenario is loaded.
	ReplayData []byte `json:"-"`
}

// Object is one decoded manifest document and where it came from.
type Object struct {
	client.Object
	// Source is the manifest's file (or "<scenario>: spec.manifests[i].inline") for error messages.
	Source string
}

// Metadata names and describes a scenario.
type Metadata struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Spec is the content of a scenario.
type Spec struct {
	Seed        *int64             `json:"seed,omitempty"`
	MaxDuration Duration           `json:"maxDuration,omitempty"`
	Manifests   []Manifest         `json:"manifests"`
	Traffic     Traffic            `json:"traffic,omitempty"`
	Metrics     Metrics            `json:"metrics,omitempty"`
	Versions    map[string]Version `json:"versions,omitempty"`
	Timeline    []Entry            `json:"timeline,omitempty"`
	// Jobs says, by metric name, how the Jobs of job metrics behave (see Job).
	Jobs   map[string]Job `json:"jobs,omitempty"`
	Expect Expect         `json:"expect,omitempty"`
	// Healthy describes the scenario's healthy twin for `canarydrill matrix`: the same
	// manifests and load with a release that should promote.
	Healthy *Healthy `json:"healthy,omitempty"`
	// Conformance is what `canarydrill conformance` must know of the scenario.
	Conformance *Conformance `json:"conformance,omitempty"`
}

// Conformance qualifies the comparison of canarydrill's controller with Argo Rollouts' on
// this scenario.
type Conformance struct {
	// Differs, when set, says why canarydrill deliberately behaves differently from Argo
	// Rollouts here: the table shows the differences and does not fail on them.
	Differs string `json:"differs,omitempty"`
}

// Healthy replaces parts of a scenario to make its healthy twin. A part left out is derived:
// the timeline without its faults, and every version behaving as the default one.
type Healthy struct {
	Versions map[string]Version `json:"versions,omitempty"`
	Timeline []Entry            `json:"timeline,omitempty"`
}

// Manifest is a file of Kubernetes YAML (relative to the scenario) or the YAML itself.
type Manifest struct {
	Path   string `json:"path,omitempty"`
	Inline string `json:"inline,omitempty"`
}

// Traffic is the load offered to the service.
type Traffic struct {
	// RPS is requests per second to the whole service.
	RPS float64 `json:"rps,omitempty"`
	// Pattern is constant, diurnal or sine.
	Pattern string `json:"pattern,omitempty"`
	// Amplitude is the swing of sine and diurnal patterns as a fraction of RPS.
	Amplitude float64 `json:"amplitude,omitempty"`
	// Period of the sine pattern (diurnal is 24h).
	Period Duration `json:"period,omitempty"`
}

// Metrics says which series the service exposes and how often they are scraped.
type Metrics struct {
	Preset         string   `json:"preset,omitempty"`
	ScrapeInterval Duration `json:"scrapeInterval,omitempty"`
	// Replay is an OpenMetrics file with timestamps (what `canarydrill fakeprom import` writes)
	// whose series the run's Prometheus serves instead of the modelled app's. Its first sample
	// lands at the scenario's start, moved by Shift.
	Replay string   `json:"replay,omitempty"`
	Shift  Duration `json:"shift,omitempty"`
}

// Version is how one version of the service behaves.
type Version struct {
	ErrorRate *float64 `json:"errorRate,omitempty"`
	Latency   Latency  `json:"latency,omitempty"`
	Memory    Memory   `json:"memory,omitempty"`
	Startup   Duration `json:"startup,omitempty"`
}

// Latency is the response-time distribution, given by two quantiles.
type Latency struct {
	P50 Duration `json:"p50,omitempty"`
	P99 Duration `json:"p99,omitempty"`
}

// Memory is the container's working set at start and its limit.
type Memory struct {
	Start Quantity `json:"start,omitempty"`
	Limit Quantity `json:"limit,omitempty"`
}

// Entry is one thing that happens at a time: an update, a fault or an action.
type Entry struct {
	At Duration `json:"at"`
	// Rollout names the Rollout acted on, as NAME or NAMESPACE/NAME; default the first in the
	// manifests.
	Rollout string `json:"rollout,omitempty"`

	Update *Update `json:"update,omitempty"`

	Fault  string `json:"fault,omitempty"`
	Target string `json:"target,omitempty"`
	// Version limits the fault to the pods of one version (a versions key, an image or an
	// update's version name), canary or stable: the bug that ships with a release.
	Version string `json:"version,omitempty"`
	// Pods limits the fault to that many of the targeted pods (0: all of them).
	Pods     int      `json:"pods,omitempty"`
	Rate     Quantity `json:"rate,omitempty"`
	Code     int      `json:"code,omitempty"`
	Add      Duration `json:"add,omitempty"`
	Factor   float64  `json:"factor,omitempty"`
	Segment  float64  `json:"segment,omitempty"`
	Duration Duration `json:"duration,omitempty"`

	Action string `json:"action,omitempty"`
}

// Update changes the Rollout's pod template, making a new revision.
type Update struct {
	Image   string            `json:"image,omitempty"`
	Args    []string          `json:"args,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	Version string            `json:"version,omitempty"`
}

// Expect is what must hold at the end of the run.
type Expect struct {
	Outcome         string    `json:"outcome,omitempty"`
	DetectionWithin *Duration `json:"detectionWithin,omitempty"`
	RollbackWithin  *Duration `json:"rollbackWithin,omitempty"`
	MaxUserErrors   *int64    `json:"maxUserErrors,omitempty"`
}

// The faults a timeline can inject.
const (
	FaultHTTPErrors      = "http-errors"
	FaultLatency         = "latency"
	FaultOOM             = "oom"
	FaultMemoryLeak      = "memory-leak"
	FaultBusinessFailure = "business-failure"
	FaultCrashLoop       = "crash-loop"
)

// The pods a fault can target.
const (
	TargetCanary = "canary"
	TargetStable = "stable"
	TargetAll    = "all"
)

// The actions a timeline can take, as `kubectl argo rollouts` verbs.
const (
	ActionPromote     = "promote"
	ActionPromoteFull = "promote-full"
	ActionAbort       = "abort"
	ActionRetry       = "retry"
	ActionPause       = "pause"
	ActionResume      = "resume"
	ActionUndo        = "undo"
)

// The outcomes a run can end in.
const (
	OutcomePromoted   = "Promoted"
	OutcomeRolledBack = "RolledBack"
	OutcomePaused     = "Paused"
	OutcomeDegraded   = "Degraded"
	OutcomeRunning    = "Running"
)

// VersionAnnotation marks a pod template with the scenario version whose behaviour its pods have,
// when an update names a version rather than an image.
const VersionAnnotation = "canarydrill.io/version"
