package conformance

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/internal/controlplane"
)

// The peer-performance measurements are benchmarks, so that `go test ./...` never runs them:
//
//	CANARYDRILL_E2E=1 go test ./test/e2e/conformance/ -run '^$' -bench . -benchtime 1x -timeout 60m -v
//
// Both controllers run as processes, each as its own ServiceAccount with its own role, each on a
// control plane with its own CRDs, as each is deployed: Argo's rollouts-controller on Argo's, the
// `canarydrill controller` binary on config/crd (a second control plane, started for it). Both
// control planes run meanwhile; one run at a time is measured.

// envInts reads a comma-separated list of integers from the environment variable name, else def.
func envInts(tb testing.TB, name string, def []int) []int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var out []int
	for _, s := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			tb.Fatalf("%s=%q: want positive integers separated by commas", name, v)
		}
		out = append(out, n)
	}
	return out
}

// BenchmarkControllerMemory measures each controller's resident memory (VmRSS, and the peak,
// VmHWM) with 1, 100 and 500 Rollouts (CONFORMANCE_ROLLOUTS=1,100,500) of one replica each,
// all Healthy, after 5s of quiet. It reports MB-RSS, MB-peak and s-to-healthy (from the first
// create to the last Rollout Healthy). The Rollouts are deleted afterwards, so every measurement
// starts from the same API contents.
func BenchmarkControllerMemory(b *testing.B) {
	requireEnv(b)
	for _, n := range envInts(b, "CONFORMANCE_ROLLOUTS", []int{1, 100, 500}) {
		for _, kind := range controllers {
			b.Run(fmt.Sprintf("rollouts=%d/%s", n, kind), func(b *testing.B) {
				for range b.N {
					measureMemory(b, kind, n)
				}
			})
		}
	}
}

func manyRolloutYAML(id, name string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: %[2]s
  labels: {%[3]s: %[1]s}
spec:
  replicas: 1
  selector: {matchLabels: {app: %[2]s}}
  template:
    metadata: {labels: {app: %[2]s}}
    spec:
      containers: [{name: app, image: "demo:v1"}]
  strategy:
    canary:
      steps: [{setWeight: 50}, {pause: {}}]
`, id, name, labelInstanceID)
}

func measureMemory(b *testing.B, kind string, n int) {
	e := homeEnv(b, kind)
	ns := setup(b, e)
	ctx := context.Background()
	s := startController(b, e, kind, ns, true)
	start := time.Now()
	for i := range n {
		if err := controlplane.ApplyYAML(ctx, e.admin, ns, []byte(manyRolloutYAML(ns, fmt.Sprintf("r-%03d", i)))); err != nil {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		l := &v1alpha1.RolloutList{}
		if err := e.admin.List(ctx, l, client.InNamespace(ns)); err != nil {
			b.Fatal(err)
		}
		healthy := 0
		for _, ro := range l.Items {
			if ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.AvailableReplicas == 1 {
				healthy++
			}
		}
		if healthy == n {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s: %d of %d Rollouts Healthy after 10m", kind, healthy, n)
		}
		time.Sleep(250 * time.Millisecond)
	}
	toHealthy := time.Since(start)
	time.Sleep(5 * time.Second)
	m, err := s.memory()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(m.RSS)/(1<<20), "MB-RSS")
	b.ReportMetric(float64(m.Peak)/(1<<20), "MB-peak")
	b.ReportMetric(toHealthy.Seconds(), "s-to-healthy")
	b.Logf("%s with %d Rollouts: RSS %.1f MB, peak %.1f MB, all Healthy after %s", kind, n,
		float64(m.RSS)/(1<<20), float64(m.Peak)/(1<<20), toHealthy.Round(100*time.Millisecond))
	if err := s.stop(); err != nil {
		b.Fatal(err)
	}
	deleteAll(b, e, ns)
}

// deleteAll deletes the namespace's Rollouts and waits until the garbage collector has removed
// their ReplicaSets and pods (the control plane runs no namespace controller, so the namespace
// itself would never go).
func deleteAll(b *testing.B, e *env, ns string) {
	ctx := context.Background()
	if err := e.admin.DeleteAllOf(ctx, &v1alpha1.Rollout{}, client.InNamespace(ns)); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		rs, pods := &appsv1.ReplicaSetList{}, &corev1.PodList{}
		if err := e.admin.List(ctx, rs, client.InNamespace(ns)); err != nil {
			b.Fatal(err)
		}
		if err := e.admin.List(ctx, pods, client.InNamespace(ns)); err != nil {
			b.Fatal(err)
		}
		if len(rs.Items) == 0 && len(pods.Items) == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("after deleting the Rollouts: %d ReplicaSets, %d pods left", len(rs.Items), len(pods.Items))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// BenchmarkAbortToCanaryZero runs the seed's bad update (seed-bad-canary-bake) under each
// controller CONFORMANCE_ABORT_RUNS times (default 5), one run at a time, each a sub-benchmark
// of its own (so each run's controller and fakeprom stop before the next starts). The
// sub-benchmark "summary" then reports, over the runs, the median time from the failed
// measurement (the AnalysisRun update that carries it, as a watch sees it) to status.abort, from
// the abort to the canary ReplicaSet's spec.replicas at 0, and from the measurement to that 0;
// its log has min, median and max.
func BenchmarkAbortToCanaryZero(b *testing.B) {
	requireEnv(b)
	runs := envInts(b, "CONFORMANCE_ABORT_RUNS", []int{5})[0]
	bad := seedCases[1]
	for _, kind := range controllers {
		b.Run(kind, func(b *testing.B) {
			var toAbort, toZero, total []time.Duration
			var rss, peak []float64
			extraRuns := 0
			for i := range runs {
				b.Run(fmt.Sprint(i), func(b *testing.B) {
					for range b.N {
						rec := runSeed(b, homeEnv(b, kind), kind, bad, true)
						a, z, tot, _, ok := rec.timings()
						if !ok {
							b.Fatalf("%s run %d: no abort timeline", kind, i)
						}
						toAbort, toZero, total = append(toAbort, a), append(toZero, z), append(total, tot)
						rss, peak = append(rss, float64(rec.memory.RSS)/(1<<20)), append(peak, float64(rec.memory.Peak)/(1<<20))
						if n := rec.runCount(); n > 1 {
							extraRuns++
							b.Logf("%s run %d: %d AnalysisRuns for the one analysis step", kind, i, n)
						}
					}
				})
			}
			b.Run("summary", func(b *testing.B) {
				if len(total) == 0 {
					b.Skip("no run finished")
				}
				b.Logf("%s: more than one AnalysisRun for the step in %d of %d runs", kind, extraRuns, len(total))
				slices.Sort(rss)
				slices.Sort(peak)
				b.Logf("%s memory at the end of a run (one Rollout, one update, one analysis, an abort): RSS median %.1f MB (%.1f–%.1f), peak median %.1f MB",
					kind, rss[len(rss)/2], rss[0], rss[len(rss)-1], peak[len(peak)/2])
				b.ReportMetric(rss[len(rss)/2], "MB-RSS")
				for _, d := range []struct {
					name string
					v    []time.Duration
				}{{"measurement→abort", toAbort}, {"abort→canary-0", toZero}, {"measurement→canary-0", total}} {
					v := slices.Clone(d.v)
					slices.Sort(v)
					b.Logf("%s %s over %d runs: min %s, median %s, max %s", kind, d.name, len(v), ms(v[0]), ms(v[len(v)/2]), ms(v[len(v)-1]))
					b.ReportMetric(float64(v[len(v)/2].Microseconds())/1000, "ms-"+d.name)
				}
			})
		})
	}
}
