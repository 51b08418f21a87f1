package conformance

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/internal/argoref"
)

// record is what one controller did with one Rollout from the moment the test changed its
// template, seen through watches of the namespace (so both controllers are observed the same
// way, from outside, in wall time).
type record struct {
	mu sync.Mutex

	rollout    string
	stableHash string // the stable ReplicaSet's hash before the update; any other is the canary's
	updatedAt  time.Time

	steps    []string // status.currentStepIndex, consecutive repeats dropped
	phases   []string // "phase: message", consecutive repeats dropped
	pauses   []string // pause condition reasons, as they appear
	runs     map[string]*v1alpha1.AnalysisRun
	replicas map[string][]int32 // ReplicaSet hash -> spec.replicas, consecutive repeats dropped
	events   []string           // "Kind/Reason" of the Events recorded after the update
	oldEvent map[string]int32   // Event name -> count, to see repeats
	final    *v1alpha1.Rollout

	// When the watches first saw: a Failed measurement, an AnalysisRun Failed, status.abort,
	// the canary ReplicaSet's spec.replicas at 0 and its status.replicas at 0 (pods gone), and
	// the update promoted (stableRS is the updated hash, phase Healthy).
	failedMeasurement, runFailed, aborted, canaryZero, canaryGone, promoted time.Time

	// memory is the controller's at the end, when it ran as a process.
	memory argoref.Memory
}

func dedupAppend(s []string, v string) []string {
	if len(s) > 0 && s[len(s)-1] == v {
		return s
	}
	return append(s, v)
}

func set(at *time.Time, now time.Time) {
	if at.IsZero() {
		*at = now
	}
}

// watch starts the watches of ns for rollout, whose stable hash is stableHash, until ctx ends.
// Events that exist already are not recorded.
func (r *record) watch(ctx context.Context, tb testing.TB, c client.WithWatch, ns string) {
	r.runs, r.replicas, r.oldEvent = map[string]*v1alpha1.AnalysisRun{}, map[string][]int32{}, map[string]int32{}
	old := &corev1.EventList{}
	if err := c.List(ctx, old, client.InNamespace(ns)); err != nil {
		tb.Fatal(err)
	}
	for _, ev := range old.Items {
		r.oldEvent[ev.Name] = ev.Count
	}
	var started sync.WaitGroup
	for _, l := range []client.ObjectList{&v1alpha1.RolloutList{}, &v1alpha1.AnalysisRunList{}, &appsv1.ReplicaSetList{}, &corev1.EventList{}} {
		w, err := c.Watch(ctx, l, client.InNamespace(ns))
		if err != nil {
			tb.Fatal(err)
		}
		started.Add(1)
		go func() {
			defer w.Stop()
			started.Done()
			for ev := range w.ResultChan() {
				if ev.Type == watch.Error || ev.Type == watch.Bookmark {
					continue
				}
				r.observe(ev.Object, ev.Type == watch.Deleted, time.Now())
			}
		}()
	}
	started.Wait()
}

func (r *record) observe(obj any, deleted bool, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch o := obj.(type) {
	case *v1alpha1.Rollout:
		if o.Name != r.rollout || deleted {
			return
		}
		st := o.Status
		r.final = o.DeepCopy()
		if st.CurrentStepIndex != nil {
			r.steps = dedupAppend(r.steps, fmt.Sprint(*st.CurrentStepIndex))
		}
		r.phases = dedupAppend(r.phases, fmt.Sprintf("%s: %s", st.Phase, st.Message))
		for _, pc := range st.PauseConditions {
			r.pauses = dedupAppend(r.pauses, string(pc.Reason))
		}
		if st.Abort {
			set(&r.aborted, now)
		}
		if st.CurrentPodHash != r.stableHash && st.StableRS == st.CurrentPodHash && st.Phase == v1alpha1.RolloutPhaseHealthy {
			set(&r.promoted, now)
		}
	case *v1alpha1.AnalysisRun:
		r.runs[o.Name] = o.DeepCopy()
		for _, m := range o.Status.MetricResults {
			for _, x := range m.Measurements {
				if x.Phase == v1alpha1.AnalysisPhaseFailed {
					set(&r.failedMeasurement, now)
				}
			}
		}
		if o.Status.Phase == v1alpha1.AnalysisPhaseFailed {
			set(&r.runFailed, now)
		}
	case *appsv1.ReplicaSet:
		hash := o.Labels[v1alpha1.DefaultRolloutUniqueLabelKey]
		if o.Spec.Replicas == nil || deleted {
			return
		}
		if s := r.replicas[hash]; len(s) == 0 || s[len(s)-1] != *o.Spec.Replicas {
			r.replicas[hash] = append(s, *o.Spec.Replicas)
		}
		if hash != r.stableHash && !r.aborted.IsZero() {
			if *o.Spec.Replicas == 0 {
				set(&r.canaryZero, now)
			}
			if *o.Spec.Replicas == 0 && o.Status.Replicas == 0 {
				set(&r.canaryGone, now)
			}
		}
	case *corev1.Event:
		if deleted {
			return
		}
		if n, ok := r.oldEvent[o.Name]; ok && o.Count <= n {
			return
		}
		r.oldEvent[o.Name] = o.Count
		r.events = append(r.events, o.InvolvedObject.Kind+"/"+o.Reason)
	}
}

// countEvents lists "Kind/Reason×n" sorted: the order in which Events arrive follows timing
// (which of two writes the API server finished first), their kinds and numbers follow behaviour.
func countEvents(evs []string) string {
	n := map[string]int{}
	for _, e := range evs {
		n[e]++
	}
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s×%d", k, n[k]))
	}
	return strings.Join(out, " ")
}

// facts are the record's behaviour as comparable strings, by name.
func (r *record) facts() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := map[string]string{}
	ro := r.final
	if ro == nil {
		return f
	}
	f["outcome"] = outcome(ro, r.stableHash)
	f["phase"] = fmt.Sprintf("%s: %q", ro.Status.Phase, ro.Status.Message)
	f["steps"] = strings.Join(r.steps, " ")
	f["phases"] = strings.Join(r.phases, " → ")
	f["pauses"] = strings.Join(r.pauses, " ")
	f["abort"] = fmt.Sprint(ro.Status.Abort)
	canary := ro.Status.CurrentPodHash
	f["hashes"] = fmt.Sprintf("stable %s, updated %s", r.stableHash, canary)
	f["replicas"] = fmt.Sprintf("stable %v, updated %v", r.replicas[r.stableHash], r.replicas[canary])
	var conds []string
	for _, c := range ro.Status.Conditions {
		conds = append(conds, fmt.Sprintf("%s=%s(%s)", c.Type, c.Status, c.Reason))
	}
	sort.Strings(conds)
	f["conditions"] = strings.Join(conds, " ")
	f["events"] = countEvents(r.events)
	names := make([]string, 0, len(r.runs))
	for n := range r.runs {
		names = append(names, n)
	}
	sort.Strings(names)
	// Run names carry the pod-template hash, which depends on the CRDs' defaulting (see
	// hashes), not on the controller.
	norm := strings.NewReplacer(canary, "{hash}", r.stableHash, "{stable}")
	var runs, measured []string
	for _, n := range names {
		run := r.runs[n]
		n = norm.Replace(n)
		runs = append(runs, fmt.Sprintf("%s %s", n, run.Status.Phase))
		for _, m := range run.Status.MetricResults {
			var ph []string
			for _, x := range m.Measurements {
				ph = append(ph, string(x.Phase))
			}
			measured = append(measured, fmt.Sprintf("%s/%s %s count=%d [%s]", n, m.Name, m.Phase, m.Count, strings.Join(ph, " ")))
		}
		if run.Status.Message != "" {
			f["run message"] = strings.TrimSpace(f["run message"] + " " + run.Status.Message)
		}
	}
	f["runs"] = strings.Join(runs, ", ")
	f["measurements"] = strings.Join(measured, ", ")
	return f
}

// outcome names the end of an update in report.json's words.
func outcome(ro *v1alpha1.Rollout, stableHash string) string {
	st := ro.Status
	switch {
	case st.Abort && st.Phase == v1alpha1.RolloutPhaseDegraded:
		return "RolledBack"
	case st.Phase == v1alpha1.RolloutPhaseHealthy && st.StableRS == st.CurrentPodHash && st.CurrentPodHash != stableHash:
		return "Promoted"
	case st.Phase == v1alpha1.RolloutPhasePaused:
		return "Paused"
	case st.Phase == v1alpha1.RolloutPhaseDegraded:
		return "Degraded"
	}
	return "Running"
}

// mustMatch are the facts in which the two controllers must agree; the others are shown.
var mustMatch = []string{"outcome", "phase", "steps", "runs", "measurements"}

// factOrder is the order of the comparison table.
var factOrder = []string{"outcome", "phase", "steps", "runs", "measurements", "run message", "abort", "pauses", "phases", "hashes", "replicas", "conditions", "events"}

// compare returns the comparison table of a (the reference) and b, and the names of the
// must-match facts in which they differ.
func compare(a, b map[string]string) (table string, differ []string) {
	var sb strings.Builder
	for _, k := range factOrder {
		mark := "="
		if a[k] != b[k] {
			mark = "≠"
			if slices.Contains(mustMatch, k) {
				mark = "✗"
				differ = append(differ, k)
			}
		}
		fmt.Fprintf(&sb, "  %s %-13s argo:        %s\n  %s               canarydrill: %s\n", mark, k, a[k], strings.Repeat(" ", len(mark)), b[k])
	}
	return sb.String(), differ
}

// describe lists one side's facts, when there is nothing to compare them with.
func describe(f map[string]string) string {
	var sb strings.Builder
	for _, k := range factOrder {
		fmt.Fprintf(&sb, "  %-13s %s\n", k, f[k])
	}
	return sb.String()
}

// runCount is the number of AnalysisRuns seen.
func (r *record) runCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.runs)
}

// timings are the record's wall-clock intervals, for the tables.
func (r *record) timings() (measurementToAbort, abortToCanaryZero, measurementToCanaryZero, measurementToPodsGone time.Duration, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failedMeasurement.IsZero() || r.aborted.IsZero() || r.canaryZero.IsZero() {
		return 0, 0, 0, 0, false
	}
	gone := time.Duration(0)
	if !r.canaryGone.IsZero() {
		gone = r.canaryGone.Sub(r.failedMeasurement)
	}
	return r.aborted.Sub(r.failedMeasurement), r.canaryZero.Sub(r.aborted), r.canaryZero.Sub(r.failedMeasurement), gone, true
}
