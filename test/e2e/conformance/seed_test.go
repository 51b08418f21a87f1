package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/canarydrill/canarydrill/api/v1alpha1"
	"github.com/canarydrill/canarydrill/internal/argoref"
)

const seedDir = "../../../scenarios/builtin/seed"

// timeScale shortens every duration of the seed's manifests (pauses, the analysis interval and
// the query's rate window) as `canarydrill run --api real --time-scale 0.1` does, so that an
// update takes seconds, not minutes, with the same proportions.
const timeScale = 0.1

// The seed's versions: the args of its container, and what they do to requests.
const (
	argsV1 = "-text=Version 1 - Healthy"
	argsV2 = "-text=Version 2 - Also Healthy"
	argsV3 = "-text=Version 3 - Bad Version"
)

// seedCase is one of the seed exercise's updates, as the built-in scenario of that name runs it.
type seedCase struct {
	name     string // the built-in scenario
	rollout  string // file under scenarios/builtin/seed
	args     string // the update
	outcome  string
	phase    v1alpha1.RolloutPhase
	runPhase v1alpha1.AnalysisPhase
	measured int // measurements in the step's run
}

// seedCases are the seed's good update (seed-good-canary) and its bad one as the seed's lesson
// fixes it (seed-bad-canary-bake): with seed/rollout.yaml's 30s pause before a 1m rate window,
// the first measurement sees the canary's errors for only half the window, a success rate of
// about 0.90, and the run is Inconclusive or Failed by chance (seed-bad-canary-unattended);
// rollout-bake.yaml makes the pause as long as the window and the run fails for certain.
var seedCases = []seedCase{
	{name: "seed-good-canary", rollout: "rollout.yaml", args: argsV2, outcome: "Promoted", phase: v1alpha1.RolloutPhaseHealthy, runPhase: v1alpha1.AnalysisPhaseSuccessful, measured: 3},
	{name: "seed-bad-canary-bake", rollout: "rollout-bake.yaml", args: argsV3, outcome: "RolledBack", phase: v1alpha1.RolloutPhaseDegraded, runPhase: v1alpha1.AnalysisPhaseFailed, measured: 1},
}

// errRate is the seed's versions: v3 fails every request, the others one in a thousand.
func errRate(p *corev1.Pod) float64 {
	for _, c := range p.Spec.Containers {
		for _, a := range c.Args {
			if a == argsV3 {
				return 1
			}
		}
	}
	return 0.001
}

// seedObjects reads the seed's analysis template and the case's rollout file, labels the Rollout
// and the template with the controller instance ID id, points the template's Prometheus at
// promURL and scales the durations by timeScale.
func seedObjects(tb testing.TB, rolloutFile, ns, id, promURL string) []*unstructured.Unstructured {
	var objs []*unstructured.Unstructured
	for _, f := range []string{"analysis-template.yaml", rolloutFile} {
		b, err := os.ReadFile(filepath.Join(seedDir, f))
		if err != nil {
			tb.Fatal(err)
		}
		docs, err := decodeAll(b)
		if err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		objs = append(objs, docs...)
	}
	for _, u := range objs {
		u.SetNamespace(ns)
		switch u.GetKind() {
		case "Rollout":
			setLabel(u, labelInstanceID, id)
			steps, _, _ := unstructured.NestedSlice(u.Object, "spec", "strategy", "canary", "steps")
			for i, s := range steps {
				step := s.(map[string]any)
				if d, ok, _ := unstructured.NestedString(step, "pause", "duration"); ok {
					step["pause"].(map[string]any)["duration"] = scaleDuration(tb, d, timeScale)
				}
				steps[i] = step
			}
			if err := unstructured.SetNestedSlice(u.Object, steps, "spec", "strategy", "canary", "steps"); err != nil {
				tb.Fatal(err)
			}
		case "AnalysisTemplate":
			setLabel(u, labelInstanceID, id)
			metrics, _, _ := unstructured.NestedSlice(u.Object, "spec", "metrics")
			for i, m := range metrics {
				metric := m.(map[string]any)
				if d, ok, _ := unstructured.NestedString(metric, "interval"); ok {
					metric["interval"] = scaleDuration(tb, d, timeScale)
				}
				if prom, ok, _ := unstructured.NestedMap(metric, "provider", "prometheus"); ok {
					// Argo dials this address: it must be fakeprom's.
					prom["address"] = promURL
					if q, ok := prom["query"].(string); ok {
						prom["query"] = scaleWindows(tb, q, timeScale)
					}
					if err := unstructured.SetNestedMap(metric, prom, "provider", "prometheus"); err != nil {
						tb.Fatal(err)
					}
				}
				metrics[i] = metric
			}
			if err := unstructured.SetNestedSlice(u.Object, metrics, "spec", "metrics"); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return objs
}

const labelInstanceID = "argo-rollouts.argoproj.io/controller-instance-id"

func setLabel(u *unstructured.Unstructured, k, v string) {
	l := u.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	l[k] = v
	u.SetLabels(l)
}

func decodeAll(b []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var out []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}

// scaleDuration scales a Go duration string ("30s", "1m") and writes it in whole seconds when it
// is whole, else in milliseconds, which both Argo's and Prometheus' parsers read.
func scaleDuration(tb testing.TB, s string, f float64) string {
	d, err := time.ParseDuration(s)
	if err != nil {
		tb.Fatalf("duration %q: %v", s, err)
	}
	d = time.Duration(float64(d) * f).Round(time.Millisecond)
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d/time.Millisecond)
}

var rangeRE = regexp.MustCompile(`\[(\d+[smh])\]`)

// scaleWindows scales the range selectors ([1m]) of a PromQL query.
func scaleWindows(tb testing.TB, q string, f float64) string {
	return rangeRE.ReplaceAllStringFunc(q, func(m string) string {
		return "[" + scaleDuration(tb, m[1:len(m)-1], f) + "]"
	})
}

// runSeed runs one case under one controller in a namespace of its own: the seed's manifests at
// v1 until Healthy, then the update, recorded until the expected end. It returns the record.
func runSeed(t testing.TB, e *env, kind string, sc seedCase, asProcess bool) *record {
	t.Helper()
	ns := setup(t, e)
	ctx, cancel := context.WithCancel(context.Background())
	store, promURL := servePrometheus(t)
	g := &traffic{store: store, c: e.admin, ns: ns, app: "demo-app", rps: 50, errRate: errRate}
	var wg sync.WaitGroup
	defer wg.Wait() // after cancel: the generator and the watches end with the run
	defer cancel()
	wg.Go(func() { g.run(ctx, 250*time.Millisecond) })

	ctl := startController(t, e, kind, ns, asProcess)
	for _, u := range seedObjects(t, sc.rollout, ns, ns, promURL) {
		if err := e.admin.Create(ctx, u); err != nil {
			t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
	ro := waitRollout(t, e, ns, "demo-app", 60*time.Second, func(ro *v1alpha1.Rollout) bool {
		return ro.Status.Phase == v1alpha1.RolloutPhaseHealthy && ro.Status.StableRS != "" && ro.Status.AvailableReplicas == 5
	})
	// The built-in scenarios update at 1m: by then a full rate window of v1's traffic is
	// recorded, and the first measurement's window holds no gap from before the pods were up.
	time.Sleep(scaled(time.Minute))

	rec := &record{rollout: "demo-app", stableHash: ro.Status.StableRS}
	rec.watch(ctx, t, e.admin, ns)
	patch := fmt.Sprintf(`[{"op":"replace","path":"/spec/template/spec/containers/0/args/0","value":%q}]`, sc.args)
	rec.updatedAt = time.Now()
	if err := e.admin.Patch(ctx, ro, client.RawPatch(types.JSONPatchType, []byte(patch))); err != nil {
		t.Fatal(err)
	}
	waitRollout(t, e, ns, "demo-app", 60*time.Second, func(ro *v1alpha1.Rollout) bool {
		if ro.Status.Phase != sc.phase || ro.Status.CurrentPodHash == rec.stableHash {
			return false
		}
		if sc.phase == v1alpha1.RolloutPhaseDegraded {
			return rec.canaryIsGone()
		}
		return ro.Status.StableRS == ro.Status.CurrentPodHash
	})
	// A moment for the last watch events (the canary's pods leaving, late Events).
	time.Sleep(500 * time.Millisecond)
	if asProcess {
		if m, err := ctl.memory(); err == nil {
			rec.mu.Lock()
			rec.memory = m
			rec.mu.Unlock()
		}
	}
	return rec
}

func (r *record) canaryIsGone() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.canaryGone.IsZero()
}

func scaled(d time.Duration) time.Duration { return time.Duration(float64(d) * timeScale) }

// waitRollout polls the Rollout until done holds for it, and fails t with its last status.
func waitRollout(t testing.TB, e *env, ns, name string, timeout time.Duration, done func(*v1alpha1.Rollout) bool) *v1alpha1.Rollout {
	t.Helper()
	deadline := time.Now().Add(timeout)
	ro := &v1alpha1.Rollout{}
	for {
		err := e.admin.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, ro)
		if err == nil && done(ro) {
			return ro
		}
		if stuck := stuckRun(e, ns); stuck != "" {
			t.Fatalf("rollout %s, step %s: %s", name, ptrString(ro.Status.CurrentStepIndex), stuck)
		}
		if time.Now().After(deadline) {
			runs := &v1alpha1.AnalysisRunList{}
			_ = e.admin.List(context.Background(), runs, client.InNamespace(ns))
			var rs []string
			for _, r := range runs.Items {
				rs = append(rs, fmt.Sprintf("%s %s %q", r.Name, r.Status.Phase, r.Status.Message))
			}
			t.Fatalf("timed out after %s: rollout %s: %v, phase %s %q, step %s, abort %v, pause %v; runs: %s",
				timeout, name, err, ro.Status.Phase, ro.Status.Message, ptrString(ro.Status.CurrentStepIndex),
				ro.Status.Abort, ro.Status.PauseConditions, strings.Join(rs, "; "))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stuckRunAfter is how long a run may exist without a status: a controller measures at once.
const stuckRunAfter = 15 * time.Second

// stuckRun names an AnalysisRun of ns that has had no status.phase for stuckRunAfter: the
// controller cannot write its status, and waiting longer shows nothing more.
func stuckRun(e *env, ns string) string {
	runs := &v1alpha1.AnalysisRunList{}
	if err := e.admin.List(context.Background(), runs, client.InNamespace(ns)); err != nil {
		return ""
	}
	for _, r := range runs.Items {
		if r.Status.Phase == "" && time.Since(r.CreationTimestamp.Time) > stuckRunAfter {
			return fmt.Sprintf("AnalysisRun %s has no status %s after its creation (the controller's log says why)", r.Name, stuckRunAfter)
		}
	}
	return ""
}

func ptrString(p *int32) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

// TestSeed runs the seed exercise's good and bad updates under Argo Rollouts' controller and
// under canarydrill's, at once, each in its own namespace with its own fakeprom, on the shared
// control plane with Argo's CRDs; checks that each ends as the built-in scenario expects; and
// compares the two controllers fact by fact.
//
// CONFORMANCE_CANARYDRILL_CRDS=canarydrill runs canarydrill's side on a control plane with its
// own CRDs instead, to compare behaviour apart from the CRDs.
func TestSeed(t *testing.T) {
	requireEnv(t)
	envOf := func(t *testing.T, kind string) *env {
		if kind == canarydrill && os.Getenv("CONFORMANCE_CANARYDRILL_CRDS") == canarydrill {
			return ownEnv(t)
		}
		return shared
	}
	records := map[string]map[string]*record{}
	var mu sync.Mutex
	t.Run("run", func(t *testing.T) {
		for _, sc := range seedCases {
			for _, kind := range controllers {
				t.Run(sc.name+"/"+kind, func(t *testing.T) {
					t.Parallel()
					rec := runSeed(t, envOf(t, kind), kind, sc, false)
					f := rec.facts()
					if f["outcome"] != sc.outcome {
						t.Errorf("%s: outcome %s, the scenario expects %s", kind, f["outcome"], sc.outcome)
					}
					mu.Lock()
					if records[sc.name] == nil {
						records[sc.name] = map[string]*record{}
					}
					records[sc.name][kind] = rec
					mu.Unlock()
				})
			}
		}
	})
	for _, sc := range seedCases {
		a, b := records[sc.name][argo], records[sc.name][canarydrill]
		if a == nil || b == nil {
			// One side failed (and said why); show what the other did.
			for _, kind := range controllers {
				if r := records[sc.name][kind]; r != nil {
					t.Logf("%s under %s alone:\n%s", sc.name, kind, describe(r.facts()))
				}
			}
			continue
		}
		table, differ := compare(a.facts(), b.facts())
		t.Logf("%s (✗ must match, ≠ differs):\n%s", sc.name, table)
		for _, k := range differ {
			t.Errorf("%s: canarydrill differs from Argo Rollouts %s in %s", sc.name, argoVersion(), k)
		}
		for _, kind := range controllers {
			r := records[sc.name][kind]
			if toAbort, toZero, total, gone, ok := r.timings(); ok {
				t.Logf("%s %s: failed measurement → abort %s → canary ReplicaSet at 0 %s (measurement → 0: %s; → pods gone %s)",
					sc.name, kind, ms(toAbort), ms(toZero), ms(total), ms(gone))
			}
		}
	}
}

func argoVersion() string { return argoref.Version }

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }
