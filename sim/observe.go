package sim

import (
	"fmt"
	"math"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/reports"
	"github.com/canarydrill/canarydrill/sim/memapi"
)

// observer watches the API and the models and keeps the run's record: the times the report
// gives, every AnalysisRun with every measurement (retention limits do not lose any), and the
// events. It is also the controllers' event recorder.
type observer struct {
	w *World

	events []reports.Event
	runs   map[string]*runRecord
	order  []string

	faultAt       *time.Time
	updatePending bool
	// pendingFrom is the revision the rollout was on when the update came (an aborted canary's,
	// say): the updated revision is the next other one.
	pendingFrom  string
	updatedHash  string
	firstBadMeas *time.Time
	detected     *time.Time
	aborted      *time.Time
	abortedHash  string
	restored     *time.Time
	scaledDown   *time.Time
	promoted     *time.Time
	weights      []reports.WeightPoint
	lastShare    float64
	checkTraffic bool
}

type runRecord struct {
	report reports.AnalysisRun
	seen   map[string]int // measurement key -> index in its metric
}

var _ record.EventRecorder = (*observer)(nil)

func newObserver(w *World) *observer {
	return &observer{w: w, runs: map[string]*runRecord{}, lastShare: -1}
}

func (o *observer) at(t time.Time) float64 {
	if o.w.rt != nil {
		return math.Round(t.Sub(o.w.clock.origin).Seconds()*1000) / 1000 // wall-clock times, to the millisecond
	}
	return t.Sub(o.w.clock.origin).Seconds()
}

func (o *observer) event(kind, msg string) {
	o.events = append(o.events, reports.Event{At: o.at(o.w.now()), Kind: kind, Message: msg})
}

// Event records a controller's Kubernetes event.
func (o *observer) Event(_ runtime.Object, _, reason, message string) { o.event(reason, message) }

// Eventf records a controller's Kubernetes event.
func (o *observer) Eventf(obj runtime.Object, t, reason, format string, args ...any) {
	o.event(reason, fmt.Sprintf(format, args...))
}

// AnnotatedEventf records a controller's Kubernetes event.
func (o *observer) AnnotatedEventf(obj runtime.Object, _ map[string]string, t, reason, format string, args ...any) {
	o.event(reason, fmt.Sprintf(format, args...))
}

func (o *observer) controllerError(kind string, nn types.NamespacedName, err error) {
	o.event("ReconcileError", fmt.Sprintf("%s %s: %v", kind, nn, err))
}

func (o *observer) faultStarted(_ interface{}) {
	if o.faultAt == nil {
		t := o.w.now()
		o.faultAt = &t
	}
}

// updated notes that the timeline changed a rollout's template; the next pod hash the
// controller reports is the updated revision.
func (o *observer) updated(key types.NamespacedName) {
	if key.Name == o.w.focus {
		o.updatePending = true
		o.pendingFrom = o.w.focusRollout().Status.CurrentPodHash
		o.aborted, o.abortedHash, o.restored, o.scaledDown = nil, "", nil, nil
	}
}

func (o *observer) trafficMayHaveChanged() { o.checkTraffic = true }

// afterFault is "at or after the fault", or any time when the timeline has no fault.
func (o *observer) afterFault(t time.Time) bool {
	if !o.w.hasFaults() {
		return true
	}
	return o.faultAt != nil && !t.Before(*o.faultAt)
}

func (o *observer) onChange(e memapi.Event) {
	now := o.w.now()
	switch obj := e.Object.(type) {
	case *v1alpha1.Rollout:
		if obj.Name != o.w.focus {
			return
		}
		o.checkTraffic = true
		if o.updatePending && obj.Status.CurrentPodHash != "" && obj.Status.CurrentPodHash != obj.Status.StableRS && obj.Status.CurrentPodHash != o.pendingFrom {
			o.updatedHash, o.updatePending = obj.Status.CurrentPodHash, false
		}
		if obj.Status.Abort && o.aborted == nil && e.Type == memapi.Modified {
			o.aborted, o.abortedHash = &now, obj.Status.CurrentPodHash
		}
		if !obj.Status.Abort && o.aborted != nil && o.restored == nil {
			// Retried before traffic came back: this abort is over.
			o.aborted, o.abortedHash = nil, ""
		}
		if o.updatedHash != "" && obj.Status.StableRS == o.updatedHash && o.promoted == nil {
			o.promoted = &now
		}
	case *v1alpha1.AnalysisRun:
		if !o.ownedByFocus(obj) {
			return
		}
		o.recordRun(obj, e.Type == memapi.Deleted)
	case *appsv1.ReplicaSet:
		if o.aborted != nil && o.scaledDown == nil && o.abortedHash != "" &&
			obj.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] == o.abortedHash &&
			(e.Type == memapi.Deleted || (obj.Spec.Replicas != nil && *obj.Spec.Replicas == 0 && obj.Status.Replicas == 0)) {
			o.scaledDown = &now
		}
	}
}

func (o *observer) ownedByFocus(obj client.Object) bool {
	for _, ref := range obj.GetOwnerReferences() {
		if ref.Kind == kindRollout && ref.Name == o.w.focus {
			return true
		}
	}
	return false
}

func (o *observer) recordRun(ar *v1alpha1.AnalysisRun, deleted bool) {
	now := o.w.now()
	rr := o.runs[ar.Name]
	if rr == nil {
		if deleted {
			return
		}
		rr = &runRecord{report: reports.AnalysisRun{
			Name:      ar.Name,
			Kind:      ar.Labels[v1alpha1.RolloutTypeLabel],
			CreatedAt: o.at(ar.CreationTimestamp.Time),
			Metrics:   []reports.Metric{},
		}, seen: map[string]int{}}
		o.runs[ar.Name] = rr
		o.order = append(o.order, ar.Name)
	}
	if deleted {
		return
	}
	prev := rr.report.Phase
	rr.report.Phase = string(ar.Status.Phase)
	rr.report.Message = ar.Status.Message
	for _, mr := range ar.Status.MetricResults {
		mi := -1
		for i := range rr.report.Metrics {
			if rr.report.Metrics[i].Name == mr.Name {
				mi = i
			}
		}
		if mi < 0 {
			rr.report.Metrics = append(rr.report.Metrics, reports.Metric{Name: mr.Name, Measurements: []reports.Measurement{}})
			mi = len(rr.report.Metrics) - 1
		}
		m := &rr.report.Metrics[mi]
		m.Phase, m.Message = string(mr.Phase), mr.Message
		for _, ms := range mr.Measurements {
			if ms.FinishedAt == nil {
				continue
			}
			k := fmt.Sprintf("%s/%d/%d", mr.Name, startedUnix(ms), ms.FinishedAt.Unix())
			rec := reports.Measurement{At: o.at(ms.FinishedAt.Time), Phase: string(ms.Phase), Value: ms.Value, Message: ms.Message}
			if i, ok := rr.seen[k]; ok {
				m.Measurements[i] = rec
				continue
			}
			rr.seen[k] = len(m.Measurements)
			m.Measurements = append(m.Measurements, rec)
			bad := ms.Phase == v1alpha1.AnalysisPhaseFailed || ms.Phase == v1alpha1.AnalysisPhaseInconclusive || ms.Phase == v1alpha1.AnalysisPhaseError
			if bad && !mr.DryRun && o.firstBadMeas == nil && o.afterFault(ms.FinishedAt.Time) {
				t := ms.FinishedAt.Time
				o.firstBadMeas = &t
			}
		}
	}
	switch ar.Status.Phase {
	case v1alpha1.AnalysisPhaseFailed, v1alpha1.AnalysisPhaseError, v1alpha1.AnalysisPhaseInconclusive:
		if prev != string(ar.Status.Phase) && o.detected == nil && o.afterFault(now) {
			o.detected = &now
		}
	}
}

func startedUnix(m v1alpha1.Measurement) int64 {
	if m.StartedAt == nil {
		return 0
	}
	return m.StartedAt.Unix()
}

// endOfInstant runs after everything due at an instant has run: traffic shares are final then.
func (o *observer) endOfInstant() {
	if !o.checkTraffic {
		return
	}
	o.checkTraffic = false
	s := o.w.traffic.canaryShare()
	if s != o.lastShare {
		o.weights = append(o.weights, reports.WeightPoint{At: o.at(o.w.now()), Canary: round6(s)})
		o.lastShare = s
	}
	if o.aborted != nil && o.restored == nil && s == 0 {
		t := o.w.now()
		o.restored = &t
	}
}

func round6(x float64) float64 { return float64(int64(x*1e6+0.5)) / 1e6 }

// runs returns the recorded AnalysisRuns in creation order.
func (o *observer) analysisRuns() []reports.AnalysisRun {
	out := make([]reports.AnalysisRun, 0, len(o.order))
	for _, n := range o.order {
		out = append(out, o.runs[n].report)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt < out[j].CreatedAt })
	return out
}
