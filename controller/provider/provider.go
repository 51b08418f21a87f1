// Package provider takes measurements of metrics from the systems that hold them.
package provider

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-logr/logr"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// Provider takes the measurements of one metric, as Argo Rollouts' metric providers do.
//
// Run starts a measurement and, for synchronous providers such as Prometheus, finishes it: the
// returned measurement has its phase judged by the metric's conditions. A provider whose
// measurement takes a while returns a Running measurement (optionally with ResumeAt) that Resume
// later completes, or Terminate cancels. GarbageCollect lets a provider drop what it created for
// measurements beyond the newest limit. Metadata is shown in the metric's result.
type Provider interface {
	Type() string
	Run(ctx context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric) v1alpha1.Measurement
	Resume(ctx context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement
	Terminate(ctx context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, m v1alpha1.Measurement) v1alpha1.Measurement
	GarbageCollect(ctx context.Context, run *v1alpha1.AnalysisRun, metric v1alpha1.Metric, limit int) error
	Metadata(metric v1alpha1.Metric) map[string]string
}

// Factory builds the provider for a metric whose arguments are already substituted.
type Factory interface {
	NewProvider(metric v1alpha1.Metric) (Provider, error)
}

// Provider type names, as Argo Rollouts reports them.
const (
	TypePrometheus = "Prometheus"
	TypeWeb        = "Web"
	TypeJob        = "Job"
	TypePlugin     = "RPCPlugin"
	// TypeJudge is canarydrill's own canary-versus-baseline provider.
	TypeJudge = "Judge"
	// TypeUnknown is the type of a metric that names no provider.
	TypeUnknown = "Unknown Provider"
)

// Type names the provider a metric uses; the first one set wins, in Argo's order.
func Type(metric v1alpha1.Metric) string {
	p := metric.Provider
	switch {
	case p.Prometheus != nil:
		return TypePrometheus
	case p.Job != nil:
		return TypeJob
	case p.Web != nil:
		return TypeWeb
	case p.Judge != nil:
		return TypeJudge
	case p.Plugin != nil:
		return TypePlugin
	}
	return TypeUnknown
}

// DefaultFactory builds canarydrill's providers. Use it by pointer: it caches one Prometheus API
// client per address and settings. The zero value works against real endpoints with the wall clock.
type DefaultFactory struct {
	// Transport carries every provider's HTTP requests (prometheus, judge and web); nil means
	// http.DefaultTransport. The simulator passes fakeprom's in-memory RoundTripper so that every
	// address is answered in-process: a web metric then talks to the synthetic Prometheus too.
	Transport http.RoundTripper
	// Clock is the time of measurements and of Prometheus queries; nil means the wall clock.
	Clock clock.PassiveClock
	// Client creates, reads and deletes the Jobs of job metrics; the other providers do not need it.
	Client client.Client
	// Log receives the providers' warnings; optional.
	Log logr.Logger
	// PrometheusAddress is used by metrics that name no address (Argo takes it from the
	// ARGO_ROLLOUTS_PROMETHEUS_ADDRESS environment variable; the caller decides here).
	PrometheusAddress string
	// JobNamespace is where job metrics create their Jobs; empty means the run's namespace
	// (Argo's --analysis-jobs-namespace).
	JobNamespace string

	mu       sync.Mutex
	promAPIs map[promClientKey]promv1.API
}

var _ Factory = (*DefaultFactory)(nil)

// NewProvider returns the provider named by the metric.
func (f *DefaultFactory) NewProvider(metric v1alpha1.Metric) (Provider, error) {
	switch t := Type(metric); t {
	case TypePrometheus:
		return f.newPrometheus(metric)
	case TypeWeb:
		return f.newWeb(metric)
	case TypeJob:
		return f.newJob(metric)
	case TypeJudge:
		return f.newJudge(metric)
	case TypeUnknown:
		return nil, fmt.Errorf(errNoProvider, metric.Name)
	default:
		return nil, fmt.Errorf(errNotImplemented, metric.Name, t)
	}
}

func (f *DefaultFactory) clock() clock.PassiveClock {
	if f.Clock == nil {
		return clock.RealClock{}
	}
	return f.Clock
}

// ErrorMeasurement marks m as an Error with err's message, finished now unless already finished.
func ErrorMeasurement(m v1alpha1.Measurement, err error, now time.Time) v1alpha1.Measurement {
	m.Phase = v1alpha1.AnalysisPhaseError
	m.Message = err.Error()
	if m.FinishedAt == nil {
		t := metav1.NewTime(now)
		m.FinishedAt = &t
	}
	return m
}
