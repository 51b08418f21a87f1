package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/scheme"
	"github.com/canarydrill/canarydrill/api/v1alpha1"
)

// abortYAML is a basic canary whose second step is the web analysis: with a failing verdict the
// first measurement fails the run, and the controller aborts.
func abortYAML(id, name, image string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: %[2]s
  labels: {argo-rollouts.argoproj.io/controller-instance-id: %[1]s}
spec:
  replicas: 4
  selector: {matchLabels: {app: %[2]s}}
  template:
    metadata: {labels: {app: %[2]s}}
    spec:
      containers: [{name: app, image: %[3]q}]
  strategy:
    canary:
      steps:
        - setWeight: 50
        - analysis: {templates: [{templateName: web-check}]}
`, id, name, image)
}

// timeline records, from watches on the test's namespace, when things first happened.
type timeline struct {
	mu          sync.Mutex
	runFailed   time.Time // an AnalysisRun's phase seen Failed
	aborted     time.Time // the Rollout's status.abort seen true
	scaledDown  time.Time // the canary ReplicaSet's spec.replicas seen 0
	trafficZero time.Time // no canary pod left that is Ready and not terminating
	canaryHash  string
	pods        map[string]bool // canary pod -> serving (Ready and not terminating)
}

func (tl *timeline) set(at *time.Time, now time.Time) {
	if at.IsZero() {
		*at = now
	}
}

func serving(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// watchAbort watches runs, Rollouts, ReplicaSets and pods of ns and fills tl for Rollout name and
// its canary hash; runs and pods of earlier updates are ignored.
func watchAbort(ctx context.Context, t *testing.T, e *env, ns, name, hash string, tl *timeline) {
	wc, err := client.NewWithWatch(e.cp.Config, client.Options{Scheme: scheme.New()})
	if err != nil {
		t.Fatal(err)
	}
	tl.canaryHash, tl.pods = hash, map[string]bool{}
	for _, l := range []client.ObjectList{&v1alpha1.AnalysisRunList{}, &v1alpha1.RolloutList{}, &appsv1.ReplicaSetList{}, &corev1.PodList{}} {
		w, err := wc.Watch(ctx, l, client.InNamespace(ns))
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			defer w.Stop()
			for ev := range w.ResultChan() {
				now := time.Now()
				if ev.Type == watch.Error {
					continue
				}
				tl.mu.Lock()
				switch o := ev.Object.(type) {
				case *v1alpha1.AnalysisRun:
					// Argo names a step's run <rollout>-<pod hash>-<revision>[-<step>].
					if strings.HasPrefix(o.Name, name+"-"+hash+"-") && o.Status.Phase == v1alpha1.AnalysisPhaseFailed {
						tl.set(&tl.runFailed, now)
					}
				case *v1alpha1.Rollout:
					if o.Name == name && o.Status.Abort {
						tl.set(&tl.aborted, now)
					}
				case *appsv1.ReplicaSet:
					if o.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] == hash && o.Spec.Replicas != nil && *o.Spec.Replicas == 0 {
						tl.set(&tl.scaledDown, now)
					}
				case *corev1.Pod:
					if o.Labels[v1alpha1.DefaultRolloutUniqueLabelKey] == hash {
						tl.pods[o.Name] = ev.Type != watch.Deleted && serving(o)
						if !tl.runFailed.IsZero() && !slices.Contains(mapValues(tl.pods), true) {
							tl.set(&tl.trafficZero, now)
						}
					}
				}
				tl.mu.Unlock()
			}
		}()
	}
}

func mapValues(m map[string]bool) []bool {
	var v []bool
	for _, b := range m {
		v = append(v, b)
	}
	return v
}

// TestAbortToTrafficZero measures, in wall time on the real API, how long after an AnalysisRun
// reaches Failed the canary stops receiving traffic. For a replica-based canary the traffic share
// is the canary's share of the Service's ready endpoints, so the clock stops when no canary pod is
// Ready and not terminating (the endpoints controller drops terminating pods). Goal: 1 s.
func TestAbortToTrafficZero(t *testing.T) {
	e, ns := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v := newVerdict(t, false)
	startDriver(t, e.controller, ns)
	if err := applyYAML(ctx, e.admin, ns, []byte(templateYAML(ns, v.url))); err != nil {
		t.Fatal(err)
	}
	const runs = 3
	var total []time.Duration
	for i := range runs {
		name := fmt.Sprintf("abort-%d", i)
		if err := applyYAML(ctx, e.admin, ns, []byte(abortYAML(ns, name, "demo:v1"))); err != nil {
			t.Fatal(err)
		}
		waitPhase(t, e.admin, ns, name, v1alpha1.RolloutPhaseHealthy, 60*time.Second)
		mustCLI(t, e, ns, "set", "image", name, "app=demo:v2")
		var hash string
		waitFor(t, 30*time.Second, "canary hash", func() (bool, error) {
			ro := getRollout(t, e.admin, ns, name)
			hash = ro.Status.CurrentPodHash
			return hash != "" && hash != ro.Status.StableRS, nil
		})
		tl := &timeline{}
		wctx, wcancel := context.WithCancel(ctx)
		watchAbort(wctx, t, e, ns, name, hash, tl)
		waitPhase(t, e.admin, ns, name, v1alpha1.RolloutPhaseDegraded, 60*time.Second)
		waitFor(t, 30*time.Second, "canary traffic 0", func() (bool, error) {
			tl.mu.Lock()
			defer tl.mu.Unlock()
			return !tl.trafficZero.IsZero(), nil
		})
		wcancel()
		tl.mu.Lock()
		d := tl.trafficZero.Sub(tl.runFailed)
		t.Logf("run %d: AnalysisRun Failed -> abort %s -> canary RS at 0 replicas %s -> canary traffic 0 %s",
			i, tl.aborted.Sub(tl.runFailed).Round(time.Millisecond), tl.scaledDown.Sub(tl.runFailed).Round(time.Millisecond), d.Round(time.Millisecond))
		tl.mu.Unlock()
		total = append(total, d)
	}
	slices.Sort(total)
	t.Logf("abort-to-traffic-0 on the real API over %d runs: min %s, median %s, max %s (goal 1s)",
		runs, total[0].Round(time.Millisecond), total[runs/2].Round(time.Millisecond), total[runs-1].Round(time.Millisecond))
	if total[runs/2] > 3*time.Second {
		t.Errorf("median abort-to-traffic-0 %s is far over the 1s goal", total[runs/2])
	}
}
